//! The `ipv8sim` command line.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;

use futures::channel::mpsc;
use ipv8sim::node::live::{Control, LiveOptions};

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
    ///
    /// On Linux with glibc it first re-executes itself once with malloc asking for
    /// transparent huge pages (faster; results unchanged). IPV8SIM_HUGE_PAGES=0 turns
    /// that off.
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
        /// Do not measure this machine's sign/verify cost for the crypto floor
        /// (summary.json `crypto_floor`; timed during the run, ~1.5 % of it and left
        /// out of the wall times, or ~0.1 s per key kind after a short run).
        #[arg(long)]
        no_floor: bool,
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
    /// Cost growth of several runs: print the Markdown table of benches/README.md
    /// (peers, events/s, peak RSS, crypto floor, wall/floor, µs per peer per simulated
    /// second) and draw wall time against peers on log–log axes.
    Scaling {
        /// Run directories (holding summary.json) or summary.json files.
        #[arg(required = true, value_name = "RUN")]
        runs: Vec<PathBuf>,
        /// Output plot, .svg or .png (repeatable; default results/scaling.svg).
        #[arg(long, value_name = "FILE")]
        out: Vec<PathBuf>,
    },
    /// Run one live IPv8 peer on a real UDP socket from a py-ipv8 configuration file
    /// (.json or .toml). Logs each new verified peer and, periodically, the peer
    /// counts. Commands on stdin: `peers`, `send <hex public key>`, `status`, `quit`.
    /// Ctrl-C stops it cleanly.
    Node {
        /// The configuration file (py-ipv8's configuration dict as JSON or TOML).
        config: PathBuf,
        #[command(flatten)]
        live: LiveArgs,
        /// Override the port of the first interface.
        #[arg(long)]
        port: Option<u16>,
        /// Walk to IP:PORT every walker interval until a verified peer has that
        /// address (direct contact without a tracker). Repeatable.
        #[arg(long = "walk-to", value_name = "IP:PORT")]
        walk_to: Vec<SocketAddr>,
        /// Seed of generated keys and of the node's RNG (default: from the OS).
        #[arg(long)]
        seed: Option<u64>,
        /// Directory relative key file paths are resolved against.
        #[arg(long, value_name = "DIR", default_value = ".")]
        key_dir: PathBuf,
    },
    /// Run a live bootstrap server (py-ipv8's tracker): fresh sect163k1 key, answers
    /// old-style introduction-requests of any community, logs them.
    Tracker {
        /// UDP port (exactly this one).
        #[arg(long, default_value_t = 6421)]
        port: u16,
        /// Address to bind.
        #[arg(long, default_value = "0.0.0.0")]
        ip: IpAddr,
        #[command(flatten)]
        live: LiveArgs,
    },
}

/// Options shared by `node` and `tracker`.
#[derive(clap::Args)]
struct LiveArgs {
    /// Advertise IP:<bound port> as our LAN and WAN address (use 127.0.0.1 on
    /// loopback; otherwise the LAN address is guessed and the WAN address learned).
    #[arg(long = "pin-address", alias = "estimated-lan", value_name = "IP")]
    pin_address: Option<IpAddr>,
    /// Exit after this many seconds.
    #[arg(long, value_name = "SECONDS")]
    duration: Option<f64>,
    /// Machine-readable events on stdout, one JSON object per line.
    #[arg(long)]
    json: bool,
    /// Seconds between peer-count lines.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    status_interval: f64,
}

impl LiveArgs {
    fn options(&self) -> Result<LiveOptions, String> {
        let secs = |name: &str, v: f64| {
            std::time::Duration::try_from_secs_f64(v)
                .map_err(|_| format!("--{name}: not a valid number of seconds: {v}"))
        };
        Ok(LiveOptions {
            pin_address: self.pin_address,
            duration: self.duration.map(|d| secs("duration", d)).transpose()?,
            json: self.json,
            status_interval: secs("status-interval", self.status_interval)?
                .max(std::time::Duration::from_millis(100)),
            ..LiveOptions::default()
        })
    }
}

/// Control channel of a live peer: stdin lines become commands, Ctrl-C / SIGTERM a
/// shutdown. The reader thread lives in the binary (the library has no threads).
fn control_channel() -> mpsc::Receiver<Control> {
    let (tx, rx) = mpsc::channel(64);
    let mut on_signal = tx.clone();
    if let Err(e) = ctrlc::set_handler(move || {
        let _ = on_signal.try_send(Control::Shutdown);
    }) {
        eprintln!("warning: cannot install the Ctrl-C handler: {e}");
    }
    let mut lines = tx;
    #[allow(clippy::disallowed_methods)] // the binary's stdin reader; blocking reads need a thread
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            // Bounded channel: wait while the peer is busy rather than queue without limit.
            if futures::executor::block_on(futures::SinkExt::send(
                &mut lines,
                Control::Command(line),
            ))
            .is_err()
            {
                break;
            }
        }
    });
    rx
}

fn live_result(
    r: Result<ipv8sim::node::live::ExitReason, ipv8sim::node::live::LiveError>,
) -> ExitCode {
    match r {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        None | Some(Command::Info) => {
            println!("ipv8sim {}", ipv8sim::VERSION);
            println!("subcommands: run, validate, plot, scaling, node, tracker, info (see --help)");
            ExitCode::SUCCESS
        }
        Some(Command::Run {
            scenario,
            seed,
            out,
            set,
            no_plot,
            no_floor,
        }) => {
            reexec_with_huge_pages();
            cli_run(&scenario, seed, out, &set, !no_plot, !no_floor)
        }
        Some(Command::Scaling { runs, out }) => {
            let outs = if out.is_empty() {
                vec![PathBuf::from("results/scaling.svg")]
            } else {
                out
            };
            match ipv8sim::report::scaling::scaling(&runs, &outs) {
                Ok(table) => {
                    print!("{table}");
                    for o in &outs {
                        eprintln!("wrote {}", o.display());
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::FAILURE
                }
            }
        }
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
        Some(Command::Node {
            config,
            live,
            port,
            walk_to,
            seed,
            key_dir,
        }) => {
            let mut opts = match live.options() {
                Ok(o) => o,
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::FAILURE;
                }
            };
            opts.port = port;
            opts.walk_to = walk_to;
            opts.seed = seed;
            opts.key_dir = key_dir;
            let cfg = match ipv8sim::node::config::Configuration::load(&config) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("error: {}: {e}", config.display());
                    return ExitCode::FAILURE;
                }
            };
            let registry = ipv8sim::node::registry::Registry::with_defaults();
            live_result(ipv8sim::node::live::run_node(
                &cfg,
                &registry,
                &opts,
                control_channel(),
            ))
        }
        Some(Command::Tracker { port, ip, live }) => {
            let opts = match live.options() {
                Ok(o) => o,
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::FAILURE;
                }
            };
            live_result(ipv8sim::node::live::run_tracker(
                SocketAddr::new(ip, port),
                &opts,
                control_channel(),
            ))
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

/// Re-execute this `ipv8sim run` with glibc's huge-page tunable, when it is missing
/// (see `ipv8sim::sim::hugepages`; `IPV8SIM_HUGE_PAGES=0` turns it off). Returns only
/// if it does not re-execute, or if the re-execution fails (the run then goes on here).
fn reexec_with_huge_pages() {
    use ipv8sim::sim::hugepages::{reexec_tunables, OPT_OUT};
    let current = std::env::var("GLIBC_TUNABLES").ok();
    let opt_out = std::env::var(OPT_OUT).ok();
    let Some(tunables) = reexec_tunables(current.as_deref(), opt_out.as_deref()) else {
        return;
    };
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        let Ok(exe) = std::env::current_exe() else {
            return;
        };
        let mut args = std::env::args_os();
        let mut cmd = std::process::Command::new(exe);
        if let Some(arg0) = args.next() {
            cmd.arg0(arg0);
        }
        // `exec` returns only on failure; then run without huge pages.
        let _ = cmd.args(args).env("GLIBC_TUNABLES", tunables).exec();
    }
    #[cfg(not(unix))]
    let _ = tunables;
}

/// `ipv8sim run`.
fn cli_run(
    path: &std::path::Path,
    seed: Option<u64>,
    out: Option<PathBuf>,
    set: &[String],
    plot: bool,
    floor: bool,
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
        opts.floor = floor;
        let bar = progress::bar(&scenario.file.name, *s);
        if let Some(b) = &bar {
            let peers: i64 = scenario.file.groups.iter().map(|g| g.count).sum();
            b.set_message(format!("building {peers} peers (keys, nodes) …"));
            opts.progress = Some(progress::reporter(b.clone()));
        }
        let result = run::run(&scenario, *s, &opts);
        if let Some(b) = bar {
            b.finish_and_clear();
        }
        match result {
            Ok(o) => {
                let floor = o.summary.crypto_floor.as_ref().map_or(String::new(), |f| {
                    format!(
                        " (simulation {:.2} s, of which {:.2} s in signatures; crypto floor \
                         {:.2} s, wall/floor {:.2})",
                        o.summary.run_wall_s, f.crypto_calls_s, f.floor_s, f.wall_over_floor
                    )
                });
                println!(
                    "{} seed {}: {} peers, {} events, {} packets, {:.2} s wall{} -> {}",
                    scenario.file.name,
                    s,
                    o.summary.peers,
                    o.summary.events,
                    o.summary.packets_sent,
                    o.summary.wall_time_s,
                    floor,
                    o.out_dir.display()
                )
            }
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
