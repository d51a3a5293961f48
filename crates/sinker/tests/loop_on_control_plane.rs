//! The sinker loop against the real local control plane, with the real clock: it sweeps
//! only while leading. Timeouts are failure bounds only.

use std::collections::BTreeMap;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use kube::Api;
use kube::api::{Patch, PatchParams, PostParams};
use prow_api::{ProwJob, ProwJobSpec, ProwJobType};
use prow_config::{LoadOptions, Reloader};
use prow_kube::build_clusters::BuildClusters;
use prow_testkit::control_plane::ControlPlane;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use sinker::controller::run_sinker;
use sinker::metrics::Metrics;

const BOUND: Duration = Duration::from_secs(60);

#[tokio::test]
async fn sweeps_old_prowjobs_only_while_leading() {
    let control_plane = ControlPlane::shared().await;
    let namespace = control_plane.test_namespace("sinker-loop").await;
    let ns = namespace.name();
    let client = control_plane.client();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("config.yaml");
    std::fs::write(
        &path,
        format!(
            "prowjob_namespace: {ns}\npod_namespace: {ns}\nsinker:\n  resync_period: 1s\n  max_prowjob_age: 24h\n"
        ),
    )
    .expect("write config");
    let reloader = Reloader::new(LoadOptions {
        config_path: path,
        job_config_path: None,
        plugin_config_path: None,
    })
    .expect("load");

    let api: Api<ProwJob> = Api::namespaced(client.clone(), ns);
    for (name, days) in [("old", 3), ("young", 0)] {
        let pj = ProwJob::new(name, ProwJobSpec::new(ProwJobType::Postsubmit, "post-x"));
        api.create(&PostParams::default(), &pj)
            .await
            .expect("create");
        let started = Timestamp::now() - SignedDuration::from_hours(24 * days + 1);
        let status = serde_json::json!({"status": {
            "state": "success",
            "startTime": started.to_string(),
            "completionTime": (started + SignedDuration::from_mins(5)).to_string(),
        }});
        api.patch_status(name, &PatchParams::default(), &Patch::Merge(&status))
            .await
            .expect("status");
    }

    let clusters =
        BuildClusters::from_clients(BTreeMap::from([("default".to_string(), client.clone())]));
    let (lead, leading) = watch::channel(false);
    let metrics = Metrics::default();
    let stop = CancellationToken::new();
    let task = tokio::spawn(run_sinker(
        client.clone(),
        clusters,
        reloader,
        leading,
        metrics.clone(),
        false,
        stop.clone(),
    ));
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(metrics.sweeps.get(), 0, "no sweep while not leading");
    assert!(api.get_opt("old").await.expect("get").is_some());
    lead.send_replace(true);
    tokio::time::timeout(BOUND, async {
        while api.get_opt("old").await.expect("get").is_some() {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("the old ProwJob is deleted within the failure bound");
    assert!(api.get_opt("young").await.expect("get").is_some());
    stop.cancel();
    tokio::time::timeout(BOUND, task)
        .await
        .expect("the loop stops on cancel")
        .expect("no panic");
}
