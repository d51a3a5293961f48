//! The `hook` binary: see [`hook::app::HookArgs`] (`hook --help`).

use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    hook::app::run(hook::app::HookArgs::parse()).await
}
