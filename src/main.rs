//! The `ipv8sim` command line.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// IPv8 (py-ipv8 wire-compatible) as a deterministic discrete-event network simulator.
#[derive(Parser)]
#[command(name = "ipv8sim", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Print the version and the available subcommands.
    Info,
    /// Run a scenario: results/<name>/<seed>/{metrics.csv, peers.csv, summary.json,
    /// convergence.svg, convergence.png}.
    Run {
        /// The scenario file (TOML; keys in scenarios/README.md).
        scenario: PathBuf,
        /// Run only this seed (default: the file's `seed` / `seeds`).
        #[arg(long)]
        seed: Option<u64>,
        /// Output directory (default results/<name>/<seed>; with several seeds,
        /// DIR/<seed>).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Override a key of the file, e.g. --set duration=20 --set group.0.count=50.
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        /// Do not draw convergence.svg/png.
        #[arg(long)]
        no_plot: bool,
    },
    /// Check a scenario file without running it.
    Validate {
        /// The scenario file.
        scenario: PathBuf,
        /// Overrides, as for `run`.
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
    },
    /// Plot one metric of several runs on one chart (e.g. RandomWalk vs EdgeWalk).
    ///
    /// Each RESULTS_DIR is a seed directory (results/<scenario>/<seed>/, holding
    /// metrics.csv) drawn as a line, or a scenario directory (results/<scenario>/)
    /// whose seed sub-directories are drawn as one line (mean across seeds) with a
    /// min–max band. Series are labelled by scenario directory name (+ overlay when a
    /// run has several). Writes results/plot.svg and results/plot.png (relative to the
    /// current directory) unless --out is given.
    Plot {
        /// Results directories: seed dirs or scenario dirs (see above).
        #[arg(required = true, value_name = "RESULTS_DIR")]
        dirs: Vec<PathBuf>,
        /// The metrics.csv column to plot: verified_mean, verified_p10, verified_p50,
        /// verified_p90, verified_min, verified_max, peers_online, fraction_at_target,
        /// msgs_sent, msgs_received, bytes_sent, bytes_received, or an extra column
        /// (e.g. sent:introduction-request).
        #[arg(long, default_value = "verified_mean")]
        metric: String,
        /// py-ipv8 reference curves (t,mean,min,max), drawn dashed. Files named
        /// n<N>_seed<S>.csv with the same N are averaged into one series with a min–max
        /// band. Only for verified_mean / verified_min / verified_max.
        #[arg(long = "reference", value_name = "CSV", num_args = 1..)]
        references: Vec<PathBuf>,
        /// Output file, .svg or .png (default: results/plot.svg and results/plot.png).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Instead of a comparison, (re)draw convergence.svg/.png inside each seed
        /// directory given.
        #[arg(long, conflicts_with_all = ["metric", "references", "out"])]
        convergence: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        None | Some(Command::Info) => {
            println!("ipv8sim {}", ipv8sim::VERSION);
            println!("subcommands: info, run, validate, plot");
            ExitCode::SUCCESS
        }
        Some(Command::Run {
            scenario,
            seed,
            out,
            set,
            no_plot,
        }) => cli_run(&scenario, seed, out, &set, !no_plot),
        Some(Command::Validate { scenario, set }) => {
            let checked = ipv8sim::sim::scenario::Scenario::load(&scenario, &set).and_then(|s| {
                let seed = s.seeds().first().copied().unwrap_or(1);
                ipv8sim::sim::scenario::build::check(&s, seed).map(|()| s)
            });
            match checked {
                Ok(s) => {
                    println!(
                        "{}: ok ({} groups, {} events, seeds {:?})",
                        scenario.display(),
                        s.file.groups.len(),
                        s.file.events.len(),
                        s.seeds()
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Some(Command::Plot {
            dirs,
            metric,
            references,
            out,
            convergence,
        }) => {
            let written = if convergence {
                dirs.iter()
                    .map(|d| ipv8sim::report::plot::convergence(d).map(|f| vec![f.svg, f.png]))
                    .collect::<Result<Vec<_>, _>>()
                    .map(|v| v.concat())
            } else {
                ipv8sim::report::plot::plot_runs(&dirs, &metric, &references, out.as_deref())
            };
            match written {
                Ok(files) => {
                    for f in files {
                        println!("wrote {}", f.display());
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

/// `ipv8sim run`.
fn cli_run(
    path: &std::path::Path,
    seed: Option<u64>,
    out: Option<PathBuf>,
    set: &[String],
    plot: bool,
) -> ExitCode {
    use ipv8sim::sim::scenario::{run, Scenario};
    let scenario = match Scenario::load(path, set) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let seeds = match seed {
        Some(s) => vec![s],
        None => scenario.seeds(),
    };
    for s in &seeds {
        let dir = match (&out, seeds.len()) {
            (Some(d), 1) => d.clone(),
            (Some(d), _) => d.join(s.to_string()),
            (None, _) => PathBuf::from("results")
                .join(&scenario.file.name)
                .join(s.to_string()),
        };
        let mut opts = run::RunOptions::new(&dir);
        opts.plot = plot;
        let bar = progress::bar(&scenario.file.name, *s);
        if let Some(b) = &bar {
            opts.progress = Some(progress::reporter(b.clone()));
        }
        let result = run::run(&scenario, *s, &opts);
        if let Some(b) = bar {
            b.finish_and_clear();
        }
        match result {
            Ok(o) => println!(
                "{} seed {}: {} peers, {} events, {} packets, {:.2} s wall -> {}",
                scenario.file.name,
                s,
                o.summary.peers,
                o.summary.events,
                o.summary.packets_sent,
                o.summary.wall_time_s,
                o.out_dir.display()
            ),
            Err(e) => {
                eprintln!("error: {e} (seed {s})");
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}

/// The progress bar (hidden when stderr is not a terminal).
mod progress {
    use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
    use ipv8sim::runtime::Clock;
    use ipv8sim::sim::scenario::run::Progress;
    use std::io::IsTerminal;

    pub fn bar(name: &str, seed: u64) -> Option<ProgressBar> {
        if !std::io::stderr().is_terminal() {
            return None;
        }
        let b = ProgressBar::with_draw_target(Some(1000), ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template("{prefix} [{bar:30}] {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        b.set_style(style);
        b.set_prefix(format!("{name} seed {seed}"));
        Some(b)
    }

    pub fn reporter(b: ProgressBar) -> Box<dyn Fn(&Progress)> {
        let wall = ipv8sim::runtime::RealClock::new();
        Box::new(move |p: &Progress| {
            let w = wall.now().as_secs_f64();
            let end = p.end.as_secs_f64().max(1e-9);
            b.set_position((p.sim_time.as_secs_f64() / end * 1000.0) as u64);
            b.set_message(format!(
                "sim {:.1}/{:.0} s | wall {:.1} s | {:.0} events/s | {} peers online",
                p.sim_time.as_secs_f64(),
                end,
                w,
                p.events as f64 / w.max(1e-9),
                p.online
            ));
        })
    }
}
