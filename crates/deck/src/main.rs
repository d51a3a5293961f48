//! deck: the status page. See `deck --help`.

use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    deck::cli::run(deck::cli::Cli::parse()).await
}
