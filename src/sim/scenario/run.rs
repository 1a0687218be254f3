//! [`run`]: build a scenario for one seed, run it to the end in virtual time, and
//! write `metrics.csv`, `peers.csv`, `summary.json` and the convergence plot.
//!
//! `metrics.csv`, `peers.csv` and everything in `summary.json` except the wall-time
//! fields, `crypto_floor`, `verify_pool`, `peak_memory_kb` and `heap_huge_pages` are
//! pure functions of the scenario and the seed. The crypto options (`crypto`, `verify_skip`,
//! `verify_threads`) change none of the reproducible outputs except `crypto_mode`,
//! `crypto[].verifies_skipped` and the scenario echo. Wall time is
//! read from [`RealClock`] (the one sanctioned wall clock) and never reaches the
//! simulation.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::build::World;
use super::metrics::{metrics_header, peer_line, PEERS_HEADER};
use super::{Scenario, ScenarioError};
use crate::runtime::{Clock, Instant, RealClock};

/// Why a run failed after validation.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Building the world failed (a file named by the scenario is bad).
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    /// An output file could not be written.
    #[error("{path}: cannot write: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The plot could not be drawn.
    #[error("plot: {0}")]
    Plot(#[from] crate::report::ReportError),
}

/// Progress of a running simulation (for progress bars).
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    /// Virtual time reached.
    pub sim_time: Instant,
    /// Virtual end time.
    pub end: Instant,
    /// Events processed so far.
    pub events: u64,
    /// Peers online.
    pub online: usize,
}

/// A progress callback.
pub type ProgressFn = Box<dyn Fn(&Progress)>;

/// How to run.
pub struct RunOptions {
    /// Output directory (created).
    pub out_dir: PathBuf,
    /// Draw `convergence.svg`/`.png`.
    pub plot: bool,
    /// Called after every sample interval of virtual time.
    pub progress: Option<ProgressFn>,
    /// Measure this machine's sign/verify cost and report the crypto floor
    /// (`crypto_floor` in `summary.json`): during the run ([`super::floor::Sampler`],
    /// ~1.5 % of it, left out of the wall times), or after a run too short for that
    /// (≈ 0.1 s per key kind used).
    pub floor: bool,
}

impl RunOptions {
    /// Write to `out_dir`, with the plot, without progress reports.
    pub fn new(out_dir: impl Into<PathBuf>) -> Self {
        RunOptions {
            out_dir: out_dir.into(),
            plot: true,
            progress: None,
            floor: false,
        }
    }
}

/// `summary.json`.
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    /// Scenario name.
    pub scenario: String,
    /// The seed of this run.
    pub seed: u64,
    /// ipv8sim version.
    pub version: String,
    /// Virtual seconds simulated.
    pub duration_s: f64,
    /// Peers (all groups; bootstrap servers not included).
    pub peers: usize,
    /// Bootstrap servers.
    pub bootstrap_servers: usize,
    /// Executor events processed.
    pub events: u64,
    /// Datagrams handed to the network (all hosts, servers included).
    pub packets_sent: u64,
    /// Datagrams delivered.
    pub packets_delivered: u64,
    /// Datagrams dropped by the network.
    pub packets_dropped: u64,
    /// Signatures made by peers.
    pub signatures_made: u64,
    /// Signatures verified by peers.
    pub signatures_verified: u64,
    /// Signatures made and verified per key kind, all hosts (servers included).
    pub crypto: Vec<KindCount>,
    /// `"real"` or `"fast"` (scenario key `crypto`). In fast mode every count above is
    /// the same as in real mode, but no real signature was made or checked, so there is
    /// no `crypto_floor`.
    pub crypto_mode: String,
    /// What the verify worker pool did (`verify_threads > 0`; depends on thread
    /// timing, not reproducible).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verify_pool: Option<crate::community::PoolStats>,
    /// Wall-clock seconds of build + run (not reproducible).
    pub wall_time_s: f64,
    /// Wall-clock seconds of building the world (keys, hosts; not reproducible).
    pub build_wall_s: f64,
    /// Wall-clock seconds of the simulation itself (not reproducible).
    pub run_wall_s: f64,
    /// Events per wall second of the simulation (not reproducible).
    pub events_per_s: f64,
    /// The crypto floor of this run on this machine, if measured (not reproducible;
    /// see [`super::floor`]). Absent in fast crypto mode.
    pub crypto_floor: Option<CryptoFloor>,
    /// Peak resident memory of the process, kB (VmHWM; not reproducible).
    pub peak_memory_kb: Option<u64>,
    /// Whether malloc asked for transparent huge pages for the heap
    /// ([`crate::sim::hugepages`]; not reproducible, changes no result).
    pub heap_huge_pages: bool,
    /// The scenario as run (defaults filled, overrides applied).
    pub scenario_file: super::ScenarioFile,
}

/// Signatures of one key kind.
#[derive(Clone, Debug, Serialize)]
pub struct KindCount {
    /// py-ipv8 name of the key kind.
    pub kind: String,
    /// Signatures made.
    pub signs: u64,
    /// Signatures verified (attempts; the same with and without verify skip).
    pub verifies: u64,
    /// Verifies answered by verify skip without the curve arithmetic (included in
    /// `verifies`).
    pub verifies_skipped: u64,
}

/// `summary.json`'s `crypto_floor`.
#[derive(Clone, Debug, Serialize)]
pub struct CryptoFloor {
    /// Per key kind: counts, measured µs per operation, seconds.
    pub kinds: Vec<super::floor::KindFloor>,
    /// Σ floors, seconds.
    pub floor_s: f64,
    /// `run_wall_s / floor_s`.
    pub wall_over_floor: f64,
    /// Wall seconds spent timing signatures during the run for the floor (left out of
    /// `run_wall_s` and `wall_time_s`).
    pub sampling_s: f64,
    /// Wall seconds the run itself spent inside its sign and verify calls, each call
    /// timed on the wall clock: what the floor predicts, measured.
    pub crypto_calls_s: f64,
    /// `crypto_calls_s / floor_s`: what the run's signatures cost against the same
    /// operations in a hot loop (above 1: cold caches between signatures).
    pub calls_over_floor: f64,
    /// `run_wall_s − crypto_calls_s`: the simulation's own time.
    pub outside_crypto_s: f64,
}

/// What a run produced.
#[derive(Debug)]
pub struct RunOutput {
    /// The output directory.
    pub out_dir: PathBuf,
    /// The summary.
    pub summary: Summary,
}

/// Peak resident set size of this process, kB (Linux `VmHWM`).
pub fn peak_memory_kb() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn write(path: &Path, data: &[u8]) -> Result<(), RunError> {
    let mut f = std::fs::File::create(path).map_err(|source| RunError::Write {
        path: path.to_path_buf(),
        source,
    })?;
    f.write_all(data).map_err(|source| RunError::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// Run `scenario` with `seed` and write the results into `opts.out_dir`.
pub fn run(scenario: &Scenario, seed: u64, opts: &RunOptions) -> Result<RunOutput, RunError> {
    let wall = RealClock::new();
    let world = World::build(scenario, seed)?;
    let built = wall.now();
    let end = Instant::from_nanos((scenario.file.duration * 1e9).round() as u64);
    // How far to run between progress reports: a sample interval, or 1/200 of the
    // run if that is shorter (a 1M-peer join burst takes minutes per simulated 10 s).
    // Samples are events of their own, so this changes no result. With the floor
    // sampled during the run, a step runs in chunks of 500 events, between which the
    // sampler may take its sample (every ~40 ms of wall time); chunks change no
    // result either (`Sim::run_until_capped`).
    let fast = world.crypto_options().mode == crate::community::CryptoMode::Fast;
    let mut sampler = (opts.floor && !fast)
        .then(|| super::floor::Sampler::new(world.crypto_options().vartime_sign));
    if sampler.is_some() {
        world.time_crypto_calls();
    }
    let step = Instant::from_nanos((scenario.file.sample_interval * 1e9).round() as u64)
        .as_nanos()
        .min(end.as_nanos() / 200)
        .max(1);
    let mut t = 0u64;
    loop {
        t = t.saturating_add(step).min(end.as_nanos());
        match &mut sampler {
            None => {
                world.sim.run_until(Instant::from_nanos(t));
            }
            Some(s) => loop {
                let outcome = world.sim.run_until_capped(Instant::from_nanos(t), 500);
                s.maybe_sample(&world.crypto_counts());
                if outcome != crate::sim::RunOutcome::EventCapReached {
                    break;
                }
            },
        }
        if let Some(p) = &opts.progress {
            p(&Progress {
                sim_time: world.sim.now(),
                end,
                events: world.sim.events_processed(),
                online: world.online(),
            });
        }
        if t >= end.as_nanos() {
            break;
        }
    }

    let ran = wall.now();
    std::fs::create_dir_all(&opts.out_dir).map_err(|source| RunError::Write {
        path: opts.out_dir.clone(),
        source,
    })?;
    let mut metrics = metrics_header();
    for row in world.samples.borrow().iter() {
        metrics.push_str(&row.to_csv());
    }
    write(&opts.out_dir.join("metrics.csv"), metrics.as_bytes())?;

    let mut peers_csv = String::from(PEERS_HEADER);
    let (mut signs, mut verifies) = (0u64, 0u64);
    {
        let peers = world.peers.borrow();
        for (i, p) in peers.iter().enumerate() {
            let live = p.live.borrow();
            signs += live.past.signs;
            verifies += live.past.verifies;
            let degree = p.driver.as_ref().map(|d| {
                let n = d.node().borrow();
                let st = n.stats();
                signs += st.signs;
                verifies += st.verifies;
                n.overlays().first().map_or(0, |o| o.peer_count())
            });
            peers_csv.push_str(&peer_line(i, &world.group_names[p.group], &live, degree));
        }
    }
    write(&opts.out_dir.join("peers.csv"), peers_csv.as_bytes())?;

    let net = world.net.stats();
    let counts = world.crypto_counts();
    // The floor's in-run samples are not simulation: left out of the wall times.
    let sampling_s = sampler.as_ref().map_or(0.0, |s| s.spent_s());
    let run_wall_s = (ran.as_nanos() - built.as_nanos()) as f64 * 1e-9 - sampling_s;
    let options = world.crypto_options();
    let verify_pool = world.crypto_pool_stats();
    let crypto_calls_s = world.crypto_call_time_s();
    world.shutdown_crypto();
    let crypto_floor = (opts.floor && !fast).then(|| {
        let kinds = super::floor::floor(&counts, options.vartime_sign, sampler.as_ref());
        let floor_s: f64 = kinds.iter().map(|k| k.floor_s).sum();
        let over_floor = |x: f64| if floor_s > 0.0 { x / floor_s } else { 0.0 };
        let calls_s = crypto_calls_s.unwrap_or(0.0);
        CryptoFloor {
            kinds,
            floor_s,
            sampling_s,
            wall_over_floor: over_floor(run_wall_s),
            crypto_calls_s: calls_s,
            calls_over_floor: over_floor(calls_s),
            outside_crypto_s: run_wall_s - calls_s,
        }
    });
    let summary = Summary {
        scenario: scenario.file.name.clone(),
        seed,
        version: crate::VERSION.to_string(),
        duration_s: scenario.file.duration,
        peers: world.peers.borrow().len(),
        bootstrap_servers: world.servers.len(),
        events: world.sim.events_processed(),
        packets_sent: net.sent_packets,
        packets_delivered: net.delivered_packets,
        packets_dropped: net.dropped_total(),
        signatures_made: signs,
        signatures_verified: verifies,
        crypto: counts
            .kinds_used()
            .into_iter()
            .map(|k| KindCount {
                kind: k.name().to_string(),
                signs: counts.signs_of(k),
                verifies: counts.verifies_of(k),
                verifies_skipped: counts.skipped_of(k),
            })
            .collect(),
        crypto_mode: options.mode.name().to_string(),
        verify_pool,
        wall_time_s: ran.as_secs_f64() - sampling_s,
        build_wall_s: built.as_secs_f64(),
        run_wall_s,
        events_per_s: world.sim.events_processed() as f64 / run_wall_s.max(1e-9),
        crypto_floor,
        peak_memory_kb: peak_memory_kb(),
        heap_huge_pages: crate::sim::hugepages::heap_huge_pages(),
        scenario_file: scenario.file.clone(),
    };
    world.sim.shutdown();
    let json = serde_json::to_string_pretty(&summary).unwrap_or_default();
    write(&opts.out_dir.join("summary.json"), json.as_bytes())?;
    if opts.plot {
        crate::report::plot::convergence(&opts.out_dir)?;
    }
    Ok(RunOutput {
        out_dir: opts.out_dir.clone(),
        summary,
    })
}
