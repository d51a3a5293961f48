//! horologium: starts periodic ProwJobs. See `horologium --help`.

use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    horologium::cli::run(horologium::cli::Cli::parse()).await
}
