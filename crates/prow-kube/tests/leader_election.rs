//! Leader election against the real local control plane: two candidates for one Lease.

use std::time::Duration;

use k8s_openapi::api::coordination::v1::Lease;
use kube::Api;
use kube::api::PostParams;
use prometheus_client::registry::Registry;
use prow_kube::client::ClientArgs;
use prow_kube::leader::{LeaderElection, LeaderState};
use prow_testkit::control_plane::ControlPlane;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

const LEASE_DURATION: Duration = Duration::from_secs(2);
const RENEW_DEADLINE: Duration = Duration::from_secs(1);
const RETRY_PERIOD: Duration = Duration::from_millis(200);
/// A failure bound only: outcomes are awaited, never timed.
const BOUND: Duration = Duration::from_secs(60);

struct Candidate {
    identity: &'static str,
    state: LeaderState,
    stop: CancellationToken,
    task: JoinHandle<prow_kube::Result<()>>,
    registry: Registry,
}

impl Candidate {
    fn is_leader_gauge(&self) -> String {
        let text = prow_kube::metrics::encode_registry(&self.registry).expect("encode");
        text.lines()
            .find(|l| l.starts_with("plank_leader_election_is_leader "))
            .unwrap_or_default()
            .to_string()
    }
}

async fn start(client: kube::Client, namespace: &str, identity: &'static str) -> Candidate {
    let election = LeaderElection::new(
        client,
        namespace,
        "plank",
        identity,
        LEASE_DURATION,
        RENEW_DEADLINE,
        RETRY_PERIOD,
    )
    .expect("valid timings");
    let state = election.leader_state();
    let mut registry = Registry::with_prefix("plank");
    election.register_metrics(&mut registry);
    let stop = CancellationToken::new();
    let task = tokio::spawn(election.run(stop.clone()));
    Candidate {
        identity,
        state,
        stop,
        task,
        registry,
    }
}

async fn client() -> kube::Client {
    let control_plane = ControlPlane::shared().await;
    ClientArgs::for_kubeconfig(control_plane.kubeconfig_path())
        .client()
        .await
        .expect("client from the control plane's kubeconfig")
}

/// Waits until exactly one of the candidates leads and returns its index.
async fn wait_for_one_leader(candidates: &mut [&mut Candidate]) -> usize {
    tokio::time::timeout(BOUND, async {
        loop {
            let leading: Vec<usize> = (0..candidates.len())
                .filter(|i| *candidates[*i].state.borrow())
                .collect();
            if leading.len() == 1 {
                return leading[0];
            }
            tokio::time::sleep(RETRY_PERIOD / 2).await;
        }
    })
    .await
    .expect("a leader is elected")
}

async fn wait_until_leading(candidate: &mut Candidate) {
    tokio::time::timeout(BOUND, candidate.state.wait_for(|leading| *leading))
        .await
        .unwrap_or_else(|_| panic!("{} never became leader", candidate.identity))
        .expect("election still running");
}

async fn holder(api: &Api<Lease>) -> Option<String> {
    let lease = api.get("plank").await.expect("lease exists");
    lease.spec.and_then(|s| s.holder_identity)
}

#[tokio::test]
async fn one_leader_at_a_time_and_a_released_lease_passes_to_the_other() {
    let control_plane = ControlPlane::shared().await;
    let namespace = control_plane.test_namespace("leader-release").await;
    let client = client().await;
    let leases: Api<Lease> = Api::namespaced(client.clone(), namespace.name());

    let mut a = start(client.clone(), namespace.name(), "replica-a").await;
    let mut b = start(client.clone(), namespace.name(), "replica-b").await;
    let first = wait_for_one_leader(&mut [&mut a, &mut b]).await;
    let (leader, follower) = if first == 0 { (a, b) } else { (b, a) };

    // over several lease durations the leader keeps renewing and the other never leads
    for _ in 0..(3 * LEASE_DURATION.as_millis() / RETRY_PERIOD.as_millis()) {
        assert!(
            *leader.state.borrow(),
            "{} stopped leading",
            leader.identity
        );
        assert!(!*follower.state.borrow(), "two leaders at once");
        tokio::time::sleep(RETRY_PERIOD).await;
    }
    assert_eq!(holder(&leases).await.as_deref(), Some(leader.identity));
    assert_eq!(
        leader.is_leader_gauge(),
        "plank_leader_election_is_leader 1"
    );
    assert_eq!(
        follower.is_leader_gauge(),
        "plank_leader_election_is_leader 0"
    );

    // graceful shutdown releases the lease; the follower takes over
    leader.stop.cancel();
    leader
        .task
        .await
        .expect("join")
        .expect("leader stops cleanly");
    assert!(
        !*leader.state.borrow(),
        "a stopped leader must not claim leadership"
    );
    let mut follower = follower;
    wait_until_leading(&mut follower).await;
    let lease = leases.get("plank").await.expect("lease");
    let spec = lease.spec.expect("spec");
    assert_eq!(spec.holder_identity.as_deref(), Some(follower.identity));
    assert!(spec.lease_transitions.unwrap_or(0) >= 1, "{spec:?}");

    follower.stop.cancel();
    follower
        .task
        .await
        .expect("join")
        .expect("follower stops cleanly");
    assert_eq!(
        holder(&leases).await,
        None,
        "the last leader released the lease too"
    );
}

#[tokio::test]
async fn a_leader_that_stops_renewing_is_replaced_after_the_lease_expires() {
    let control_plane = ControlPlane::shared().await;
    let namespace = control_plane.test_namespace("leader-crash").await;
    let client = client().await;
    let leases: Api<Lease> = Api::namespaced(client.clone(), namespace.name());

    let mut a = start(client.clone(), namespace.name(), "replica-a").await;
    wait_until_leading(&mut a).await;
    let mut b = start(client.clone(), namespace.name(), "replica-b").await;

    // the leader crashes: no release, no more renewals
    a.task.abort();
    assert!(a.task.await.is_err(), "aborted");
    wait_until_leading(&mut b).await;
    assert_eq!(holder(&leases).await.as_deref(), Some("replica-b"));
    b.stop.cancel();
    b.task.await.expect("join").expect("stops cleanly");
    drop(a.stop);
}

#[tokio::test]
async fn a_leader_steps_down_when_another_holder_took_the_lease() {
    let control_plane = ControlPlane::shared().await;
    let namespace = control_plane.test_namespace("leader-lost").await;
    let client = client().await;
    let leases: Api<Lease> = Api::namespaced(client.clone(), namespace.name());

    let mut a = start(client.clone(), namespace.name(), "replica-a").await;
    wait_until_leading(&mut a).await;

    // another writer takes the lease with a long, fresh term (optimistic replace)
    let mut lease = leases.get("plank").await.expect("lease");
    if let Some(spec) = lease.spec.as_mut() {
        spec.holder_identity = Some("intruder".into());
        spec.lease_duration_seconds = Some(3600);
        spec.renew_time = Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime(
            jiff::Timestamp::now(),
        ));
    }
    leases
        .replace("plank", &PostParams::default(), &lease)
        .await
        .expect("take over the lease");

    tokio::time::timeout(BOUND, a.state.wait_for(|leading| !*leading))
        .await
        .expect("the leader notices it lost the lease")
        .expect("election still running");
    a.stop.cancel();
    a.task.await.expect("join").expect("stops cleanly");
    assert_eq!(
        holder(&leases).await.as_deref(),
        Some("intruder"),
        "a candidate that lost the lease must not release someone else's lease"
    );
}
