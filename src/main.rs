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
            println!(
                "subcommands: info, plot, node, tracker (more arrive with the scenario issue)"
            );
            ExitCode::SUCCESS
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
