//! plank: runs ProwJobs as Pods. See `plank --help`.

use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    plank::cli::run(plank::cli::Cli::parse()).await
}
