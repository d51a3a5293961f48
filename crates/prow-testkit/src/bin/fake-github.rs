//! `fake-github`: the prow-rs fake GitHub REST server as a process, for local runs and
//! end-to-end tests. Prints one line containing `listening` and the base URL, serves until
//! SIGINT or SIGTERM. Script it with the `/_fake/` admin API (see `prow_testkit::fake_github`).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use clap::Parser;
use prow_testkit::fake_github::FakeGitHub;

/// How long a graceful shutdown may wait for open connections.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// A fake GitHub REST API v3 server on loopback, scriptable over `/_fake/`.
#[derive(Debug, Parser)]
#[command(
    name = "fake-github",
    version,
    after_help = "Admin API on the same port (not GitHub paths):\n  \
      curl -X POST $URL/_fake/state --data @crates/prow-testkit/testdata/fake-github/demo-state.json\n  \
      curl $URL/_fake/writes          # every POST/PUT/PATCH/DELETE with its JSON body\n  \
      curl $URL/_fake/requests        # every request: method, path, query, status\n  \
      curl -X POST $URL/_fake/faults -d '{\"path\":\"/repos/*\",\"times\":2,\"action\":{\"kind\":\"status\",\"status\":502}}'\n  \
      curl -X POST $URL/_fake/rate_limit -d '{\"limit\":5000,\"remaining\":0}'\n  \
      curl -X POST $URL/_fake/reset"
)]
struct Args {
    /// Port to listen on; 0 picks a free port (the URL is printed on start).
    #[arg(long, env = "FAKE_GITHUB_PORT", default_value_t = 0)]
    port: u16,
    /// Address to bind.
    #[arg(long, env = "FAKE_GITHUB_ADDRESS", default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    address: IpAddr,
    /// State document (JSON) to preload: orgs, users, repos, pull requests, ...
    #[arg(long, env = "FAKE_GITHUB_STATE")]
    state: Option<PathBuf>,
    /// Accept only this token (`Authorization: Bearer <t>` or `token <t>`); repeatable.
    /// Without it every request is accepted.
    #[arg(long, env = "FAKE_GITHUB_TOKEN")]
    token: Vec<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let github = FakeGitHub::start_on(SocketAddr::new(args.address, args.port))
        .await
        .context("start fake GitHub")?;
    if let Some(path) = &args.state {
        github.load_state_file(path).context("load --state")?;
    }
    github.set_tokens(args.token);
    println!("fake-github listening on {}", github.url());
    wait_for_signal().await?;
    // Clients holding keep-alive connections must not keep the process alive for long.
    if tokio::time::timeout(SHUTDOWN_GRACE, github.shutdown())
        .await
        .is_err()
    {
        eprintln!("fake-github: connections still open after {SHUTDOWN_GRACE:?}, exiting");
    }
    Ok(())
}

async fn wait_for_signal() -> anyhow::Result<()> {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context("install SIGTERM handler")?;
    tokio::select! {
        result = tokio::signal::ctrl_c() => result.context("wait for SIGINT"),
        _ = terminate.recv() => Ok(()),
    }
}
