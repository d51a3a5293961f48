//! The node agent's fault annotations.

use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::PostParams;
use prow_testkit::control_plane::{ControlPlane, SHARED_NODE_NAME};
use prow_testkit::node_agent::{
    FAULT_ANNOTATION, FAULT_NEVER_BIND, FAULT_OOM_KILL, FAULT_STAY_PENDING, FAULT_VANISH,
};

fn faulty_pod(name: &str, fault: &str) -> Pod {
    serde_json::from_value(serde_json::json!({
        "metadata": { "name": name, "annotations": { FAULT_ANNOTATION: fault } },
        "spec": {
            "restartPolicy": "Never",
            "containers": [{ "name": "main", "image": "busybox", "command": ["sh", "-c", "echo ran"] }],
        },
    }))
    .expect("pod")
}

fn phase(pod: &Pod) -> Option<&str> {
    pod.status.as_ref().and_then(|s| s.phase.as_deref())
}

/// Polls until `done` holds (or panics after a minute).
async fn wait_for(
    api: &Api<Pod>,
    name: &str,
    what: &str,
    done: impl Fn(Option<&Pod>) -> bool,
) -> Option<Pod> {
    for _ in 0..600 {
        let pod = api.get_opt(name).await.expect("get pod");
        if done(pod.as_ref()) {
            return pod;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("pod {name}: gave up waiting until {what}");
}

/// A control pod without faults, created after the faulty one: once it has finished, the
/// agent has certainly seen (and acted on) the faulty one too.
async fn run_control_pod(api: &Api<Pod>) {
    let control = faulty_pod("control", "none");
    api.create(&PostParams::default(), &control)
        .await
        .expect("create control");
    wait_for(api, "control", "finished", |p| {
        p.and_then(phase) == Some("Succeeded")
    })
    .await;
}

#[tokio::test]
async fn never_bind_leaves_the_pod_unscheduled() {
    let cluster = ControlPlane::shared().await;
    let ns = cluster.test_namespace("fault-never-bind").await;
    let api: Api<Pod> = Api::namespaced(cluster.client(), ns.name());
    api.create(
        &PostParams::default(),
        &faulty_pod("unbound", FAULT_NEVER_BIND),
    )
    .await
    .expect("create");
    run_control_pod(&api).await;

    let pod = api.get("unbound").await.expect("get");

    assert_eq!(pod.spec.and_then(|s| s.node_name), None);
    assert_eq!(pod.status.and_then(|s| s.container_statuses), None);
}

#[tokio::test]
async fn stay_pending_binds_but_never_starts() {
    let cluster = ControlPlane::shared().await;
    let ns = cluster.test_namespace("fault-stay-pending").await;
    let api: Api<Pod> = Api::namespaced(cluster.client(), ns.name());
    api.create(
        &PostParams::default(),
        &faulty_pod("stuck", FAULT_STAY_PENDING),
    )
    .await
    .expect("create");
    run_control_pod(&api).await;

    let pod = api.get("stuck").await.expect("get");

    assert_eq!(
        pod.spec.as_ref().and_then(|s| s.node_name.as_deref()),
        Some(SHARED_NODE_NAME)
    );
    assert_eq!(phase(&pod), Some("Pending"));
    assert_eq!(pod.status.and_then(|s| s.container_statuses), None);
}

#[tokio::test]
async fn oom_kill_reports_oomkilled_with_exit_code_137() {
    let cluster = ControlPlane::shared().await;
    let ns = cluster.test_namespace("fault-oom").await;
    let api: Api<Pod> = Api::namespaced(cluster.client(), ns.name());
    api.create(&PostParams::default(), &faulty_pod("oom", FAULT_OOM_KILL))
        .await
        .expect("create");

    let pod = wait_for(&api, "oom", "failed", |p| {
        p.and_then(phase) == Some("Failed")
    })
    .await
    .expect("pod exists");

    let terminated = pod
        .status
        .and_then(|s| s.container_statuses)
        .unwrap_or_default()[0]
        .state
        .clone()
        .and_then(|s| s.terminated)
        .expect("terminated");
    assert_eq!(
        (terminated.exit_code, terminated.reason.as_deref()),
        (137, Some("OOMKilled"))
    );
}

#[tokio::test]
async fn vanish_deletes_the_pod_without_running_it() {
    let cluster = ControlPlane::shared().await;
    let ns = cluster.test_namespace("fault-vanish").await;
    let api: Api<Pod> = Api::namespaced(cluster.client(), ns.name());
    let created = api
        .create(&PostParams::default(), &faulty_pod("ghost", FAULT_VANISH))
        .await
        .expect("create");
    assert!(created.metadata.uid.is_some());

    let gone = wait_for(&api, "ghost", "gone", |p| p.is_none()).await;

    assert!(gone.is_none());
}
