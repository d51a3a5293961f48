//! crier: reports ProwJob results to GitHub. See `crier --help`.

use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    crier::cli::run(crier::cli::Cli::parse()).await
}
