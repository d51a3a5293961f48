//! The horologium loop against the real local control plane, with the real clock: it starts
//! periodics only while leading, and in dry-run mode it creates nothing. Timeouts are
//! failure bounds only.

use std::time::Duration;

use kube::Api;
use kube::api::ListParams;
use prow_api::ProwJob;
use prow_config::{LoadOptions, Reloader};
use prow_testkit::control_plane::ControlPlane;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use horologium::controller::run_periodics;
use horologium::metrics::Metrics;

const BOUND: Duration = Duration::from_secs(60);

fn reloader(dir: &tempfile::TempDir, namespace: &str) -> Reloader {
    let path = dir.path().join("config.yaml");
    let text = format!(
        r#"
prowjob_namespace: {namespace}
pod_namespace: {namespace}
horologium:
  tick_interval: 1s
periodics:
- name: ci-hourly
  interval: 1h
  spec:
    containers:
    - image: busybox
      command: ["true"]
"#
    );
    std::fs::write(&path, text).expect("write config");
    Reloader::new(LoadOptions {
        config_path: path,
        job_config_path: None,
        plugin_config_path: None,
    })
    .expect("load")
}

async fn prowjob_count(api: &Api<ProwJob>) -> usize {
    api.list(&ListParams::default())
        .await
        .expect("list")
        .items
        .len()
}

async fn wait_until<F: std::future::Future<Output = bool>>(mut condition: impl FnMut() -> F) {
    tokio::time::timeout(BOUND, async {
        while !condition().await {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("condition within the failure bound");
}

#[tokio::test]
async fn starts_periodics_only_while_leading() {
    let control_plane = ControlPlane::shared().await;
    let namespace = control_plane.test_namespace("horologium-loop").await;
    let client = control_plane.client();
    let dir = tempfile::tempdir().expect("tempdir");
    let api: Api<ProwJob> = Api::namespaced(client.clone(), namespace.name());
    let (lead, leading) = watch::channel(false);
    let metrics = Metrics::default();
    let stop = CancellationToken::new();
    let task = tokio::spawn(run_periodics(
        client.clone(),
        reloader(&dir, namespace.name()),
        leading,
        metrics.clone(),
        false,
        stop.clone(),
    ));
    // not leading: no round runs
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(metrics.syncs.get(), 0);
    assert_eq!(prowjob_count(&api).await, 0);
    lead.send_replace(true);
    wait_until(|| async { prowjob_count(&api).await == 1 }).await;
    // later rounds find the run going and start nothing more
    let rounds = metrics.syncs.get();
    wait_until(|| async { metrics.syncs.get() >= rounds + 2 }).await;
    assert_eq!(prowjob_count(&api).await, 1);
    assert_eq!(metrics.runs_started.get(), 1);
    stop.cancel();
    tokio::time::timeout(BOUND, task)
        .await
        .expect("the loop stops on cancel")
        .expect("no panic");
}

#[tokio::test]
async fn dry_run_creates_nothing() {
    let control_plane = ControlPlane::shared().await;
    let namespace = control_plane.test_namespace("horologium-dry").await;
    let client = control_plane.client();
    let dir = tempfile::tempdir().expect("tempdir");
    let api: Api<ProwJob> = Api::namespaced(client.clone(), namespace.name());
    let (_lead, leading) = watch::channel(true);
    let metrics = Metrics::default();
    let stop = CancellationToken::new();
    let task = tokio::spawn(run_periodics(
        client.clone(),
        reloader(&dir, namespace.name()),
        leading,
        metrics.clone(),
        true,
        stop.clone(),
    ));
    wait_until(|| async { metrics.syncs.get() >= 2 }).await;
    assert_eq!(prowjob_count(&api).await, 0);
    assert_eq!(metrics.runs_started.get(), 0);
    stop.cancel();
    tokio::time::timeout(BOUND, task)
        .await
        .expect("the loop stops on cancel")
        .expect("no panic");
}
