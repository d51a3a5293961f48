//! sinker: deletes old ProwJobs and Pods. See `sinker --help`.

use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    sinker::cli::run(sinker::cli::Cli::parse()).await
}
