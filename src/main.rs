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
            println!(
                "subcommands: info, plot (more arrive with the scenario and live-peer issues)"
            );
            ExitCode::SUCCESS
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
