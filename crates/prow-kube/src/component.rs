//! What every leader-elected component (horologium, sinker, branch-protector in a loop, ...)
//! runs beside its own work: the Lease election and the admin server.

use kube::Client;
use prometheus_client::registry::Registry;
use tokio_util::sync::CancellationToken;

use crate::Error;
use crate::admin::{AdminArgs, AdminServer};
use crate::leader::{LeaderElectionArgs, LeaderState};
use crate::readiness::ReadinessGates;
use crate::shutdown::TaskGroup;

/// Starts the election for Lease `component` and the admin server (serving `registry`, with
/// the election's own metrics added), both stopping on `shutdown`. Returns the task group to
/// add the component's loop to, and whether this replica leads.
///
/// # Errors
/// Inconsistent lease durations, or the admin port cannot be bound.
pub async fn start_leader_elected(
    client: Client,
    component: &str,
    mut registry: Registry,
    leader: &LeaderElectionArgs,
    admin: &AdminArgs,
    shutdown: &CancellationToken,
) -> Result<(TaskGroup, LeaderState), Error> {
    let election = leader.election(client, component)?;
    election.register_metrics(&mut registry);
    let leading = election.leader_state();
    let admin = AdminServer::new(registry, ReadinessGates::new())
        .bind(admin.addr())
        .await?;
    let mut tasks = TaskGroup::new(shutdown.clone());
    tasks.spawn("admin", admin.serve(shutdown.clone()));
    tasks.spawn("leader-election", election.run(shutdown.clone()));
    Ok((tasks, leading))
}
