//! `branch-protector`: see the crate documentation and `--help`.

use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<ExitCode> {
    branch_protector::app::run(branch_protector::Cli::parse()).await
}
