//! `prow-local`: prow-rs on one machine, for trying it out.
//!
//! `prow-local up` starts, on loopback: a real Kubernetes control plane (etcd +
//! kube-apiserver) with the node agent that runs Pods as local processes, a fake GitHub
//! preloaded with the demo org `prow-rs-demo` and its repository `hello` (a real git
//! repository served over HTTP, so jobs clone it), local object storage (a directory), and
//! every prow-rs component (hook, plank, crier, horologium, sinker, deck) with the
//! repository's `config/` and `jobs/`. It prints deck's URL and the command that sends a
//! signed demo pull-request event; Ctrl-C stops everything and removes what it made.
//!
//! `prow-local demo-pr` sends that event (an org member opens pull request #3).

mod children;
mod demo_event;
mod demo_repo;
mod git_server;
mod local_config;
mod up;

use clap::{Parser, Subcommand};

/// prow-rs on one machine.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start everything and run until Ctrl-C.
    Up(up::UpArgs),
    /// Send the signed demo pull-request event to a running `prow-local up`.
    DemoPr(demo_event::DemoArgs),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    prow_testkit::crypto::install_ring_provider();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
                tracing_subscriber::EnvFilter::new("info,kube_client::client::builder=off")
            }),
        )
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        Command::Up(args) => up::run(args).await,
        Command::DemoPr(args) => demo_event::run(args).await,
    }
}
