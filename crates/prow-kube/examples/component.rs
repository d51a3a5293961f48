//! How a prow-rs component wires prow-kube together: flags, tracing, one shutdown token, a
//! client, a warm watch behind a readiness gate, leader election, the admin server, and a
//! loop that only writes while it leads.
//!
//! ```text
//! cargo run -p prow-kube --example component -- --kubeconfig ~/.kube/config --admin-port 8081
//! curl localhost:8081/readyz; curl localhost:8081/metrics; kill -TERM <pid>
//! ```

use std::time::Duration;

use clap::Parser;
use futures::StreamExt;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::Api;
use kube::runtime::watcher;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::registry::Registry;
use prow_kube::admin::{AdminArgs, AdminServer};
use prow_kube::client::ClientArgs;
use prow_kube::leader::LeaderElectionArgs;
use prow_kube::readiness::{ReadinessGates, ready_after_first_list};
use prow_kube::shutdown::{TaskGroup, shutdown_on_signals};
use prow_kube::telemetry::{LogArgs, init_tracing};

/// An example component.
#[derive(Debug, Parser)]
struct Cli {
    #[command(flatten)]
    client: ClientArgs,
    #[command(flatten)]
    log: LogArgs,
    #[command(flatten)]
    admin: AdminArgs,
    #[command(flatten)]
    leader: LeaderElectionArgs,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    init_tracing(&cli.log)?;
    let shutdown = shutdown_on_signals()?;
    let client = cli.client.client().await?;

    let mut registry = Registry::with_prefix("example");
    let rounds = Counter::<u64>::default();
    registry.register(
        "leader_rounds",
        "Work rounds done as leader",
        rounds.clone(),
    );
    let gates = ReadinessGates::new();
    let configmaps_listed = gates.gate("configmaps");

    let election = cli.leader.election(client.clone(), "example")?;
    let leading = election.leader_state();
    let admin = AdminServer::new(registry, gates)
        .bind(cli.admin.addr())
        .await?;

    let mut tasks = TaskGroup::new(shutdown.clone());
    tasks.spawn("admin", admin.serve(shutdown.clone()));
    tasks.spawn("leader-election", election.run(shutdown.clone()));
    let api: Api<ConfigMap> = Api::namespaced(client, &cli.leader.leader_election_namespace);
    let stop = shutdown.clone();
    tasks.spawn("configmap-watch", async move {
        let events =
            ready_after_first_list(watcher(api, watcher::Config::default()), configmaps_listed);
        let mut events = std::pin::pin!(events.take_until(stop.cancelled_owned()));
        while let Some(event) = events.next().await {
            if let Err(error) = event {
                tracing::warn!(%error, "watch error; the watcher retries");
            }
        }
        Ok::<_, std::convert::Infallible>(())
    });
    let stop = shutdown.clone();
    tasks.spawn("work", async move {
        while !stop.is_cancelled() {
            if *leading.borrow() {
                rounds.inc();
            }
            tokio::select! {
                _ = stop.cancelled() => {}
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        }
        Ok::<_, std::convert::Infallible>(())
    });
    tasks.join().await?;
    Ok(())
}
