//! The `ipv8sim` command line.

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
}

fn main() {
    let cli = Cli::parse();
    match cli.command {
        None | Some(Command::Info) => {
            println!("ipv8sim {}", ipv8sim::VERSION);
            println!("subcommands: info (more arrive with the scenario and live-peer issues)");
        }
    }
}
