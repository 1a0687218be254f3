//! Scenarios: TOML files describing a simulation run, and the runner that turns one
//! (plus a seed) into `results/<name>/<seed>/{metrics.csv, peers.csv, summary.json,
//! convergence.svg/png}` (DESIGN.md, "Data flow of `ipv8sim run`").
//!
//! | file | noun |
//! |---|---|
//! | [`format`] | the file format as serde structs (every key; defaults) |
//! | [`source`] | the text, `--set` overrides, error locations ([`ScenarioError`]) |
//! | [`validate`] | semantic checks before anything runs |
//! | [`build`] | network, latency model, peers and the schedule from a scenario + seed |
//! | [`metrics`] | message classification, counting endpoint, samples, `metrics.csv`/`peers.csv` |
//! | [`floor`] | the crypto floor: signatures × measured cost, and `wall / floor` |
//! | [`run`] | [`run::run`]: build, run with sampling, write the results |
//!
//! ```no_run
//! use ipv8sim::sim::scenario::{run, Scenario};
//! let s = Scenario::load("scenarios/docs-bootstrap.toml".as_ref(), &["duration=20".into()])?;
//! let out = run::run(&s, 1, &run::RunOptions::new("results/docs-bootstrap/1"))?;
//! println!("{} events", out.summary.events);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The format is documented key by key in `scenarios/README.md`.

pub mod build;
pub mod floor;
pub mod format;
pub mod metrics;
pub mod run;
pub mod source;
pub mod validate;

use std::path::{Path, PathBuf};

pub use format::ScenarioFile;
pub use source::{Located, ScenarioError, Source};

/// A parsed and validated scenario.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The typed document (defaults filled).
    pub file: ScenarioFile,
    /// Its text (after overrides), for error locations.
    pub source: Source,
    /// The directory relative paths in the file are resolved against.
    pub base_dir: PathBuf,
}

impl Scenario {
    /// Read, override (`key=value` strings as for `ipv8sim run --set`), parse and
    /// validate a scenario file. Files it names (matrix, trace) are checked when a run
    /// is built.
    pub fn load(path: &Path, overrides: &[String]) -> Result<Scenario, ScenarioError> {
        Self::from_source(Source::load(path, overrides)?)
    }

    /// Parse and validate scenario text as if read from `path`.
    pub fn from_text(
        path: &Path,
        text: &str,
        overrides: &[String],
    ) -> Result<Scenario, ScenarioError> {
        Self::from_source(Source::from_text(path, text.to_string(), overrides)?)
    }

    fn from_source(source: Source) -> Result<Scenario, ScenarioError> {
        let file = source.parse()?;
        validate::validate(&file, &source)?;
        let base_dir = source
            .path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        Ok(Scenario {
            file,
            source,
            base_dir,
        })
    }

    /// The seeds to run (`seed`, or `seeds`, or `[1]`).
    pub fn seeds(&self) -> Vec<u64> {
        self.file.seed_list()
    }

    /// A path from the file, resolved against the scenario's directory.
    pub fn resolve(&self, p: &str) -> PathBuf {
        let p = Path::new(p);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.base_dir.join(p)
        }
    }
}
