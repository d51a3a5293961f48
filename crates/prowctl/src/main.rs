//! `prowctl`: the prow-rs command line.

mod checkconfig;
mod crd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// The prow-rs command line: check a Prow configuration, print the ProwJob CRD.
#[derive(Debug, Parser)]
#[command(name = "prowctl", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Load and validate config.yaml, the job configs and plugins.yaml the way the
    /// prow-rs components load them, and report every problem as `file:line:col: message`.
    Checkconfig(checkconfig::Args),
    /// Print the ProwJob CustomResourceDefinition as YAML.
    Crd,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Checkconfig(args) => checkconfig::run(&args),
        Command::Crd => crd::run(),
    }
}
