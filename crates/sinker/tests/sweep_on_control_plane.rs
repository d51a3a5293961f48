//! Sinker sweeps against the real local control plane: the latest run of a configured
//! periodic is kept, the rest goes by the rules, foreign Pods are left alone, and dry-run
//! deletes nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::{ListParams, Patch, PatchParams, PostParams};
use prometheus_client::registry::Registry;
use prow_api::{ProwJob, ProwJobSpec, ProwJobType};
use prow_config::{Config, GoDuration, Periodic};
use prow_kube::build_clusters::BuildClusters;
use prow_testkit::control_plane::ControlPlane;

use sinker::metrics::Metrics;
use sinker::plan::plan_cleanup;
use sinker::plan::{ObjectKind, Reason};
use sinker::sweep::{execute, observe, sweep};

fn config(namespace: &str) -> Config {
    let mut config = Config::default();
    config.prow.prowjob_namespace = namespace.to_string();
    config.prow.pod_namespace = namespace.to_string();
    config.prow.sinker.max_prowjob_age = GoDuration(Duration::from_secs(24 * 3600));
    config.prow.sinker.max_pod_age = GoDuration(Duration::from_secs(12 * 3600));
    config.prow.sinker.terminated_pod_ttl = Some(GoDuration(Duration::from_secs(3600)));
    let mut periodic = Periodic::default();
    periodic.base.name = "ci-kept".into();
    periodic.interval = "1h".into();
    config.jobs.periodics = vec![periodic];
    config
}

fn ago(now: Timestamp, hours: f64) -> String {
    now.checked_sub(SignedDuration::from_secs_f64(hours * 3600.0))
        .expect("time")
        .to_string()
}

async fn create_job(
    api: &Api<ProwJob>,
    name: &str,
    job_type: ProwJobType,
    job: &str,
    started: String,
    completed: Option<String>,
) {
    let mut pj = ProwJob::new(name, ProwJobSpec::new(job_type, job));
    pj.metadata.labels = Some(BTreeMap::from([(
        "created-by-prow".to_string(),
        "true".to_string(),
    )]));
    api.create(&PostParams::default(), &pj)
        .await
        .expect("create ProwJob");
    let status = match completed {
        Some(completed) => serde_json::json!({
            "state": "success", "startTime": started, "completionTime": completed
        }),
        None => serde_json::json!({"state": "pending", "startTime": started}),
    };
    api.patch_status(
        name,
        &PatchParams::default(),
        &Patch::Merge(serde_json::json!({ "status": status })),
    )
    .await
    .expect("patch status");
}

async fn create_pod(api: &Api<Pod>, name: &str, prow: bool) {
    let mut labels = serde_json::Map::new();
    if prow {
        labels.insert("created-by-prow".into(), "true".into());
    }
    // bound to a node that does not exist, so the node agent leaves it alone
    let pod: Pod = serde_json::from_value(serde_json::json!({
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "nodeName": "sinker-test-nowhere",
            "containers": [{"name": "test", "image": "busybox", "command": ["true"]}]
        }
    }))
    .expect("pod");
    api.create(&PostParams::default(), &pod)
        .await
        .expect("create pod");
}

/// The objects not being deleted (a deleted Pod on a node without kubelet stays
/// terminating).
async fn names<K>(api: &Api<K>) -> BTreeSet<String>
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    api.list(&ListParams::default())
        .await
        .expect("list")
        .items
        .into_iter()
        .filter(|o| o.meta().deletion_timestamp.is_none())
        .filter_map(|o| o.meta().name.clone())
        .collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|n| n.to_string()).collect()
}

#[tokio::test]
async fn sweep_keeps_latest_periodic_run_and_foreign_pods() {
    let control_plane = ControlPlane::shared().await;
    let namespace = control_plane.test_namespace("sinker").await;
    let client = control_plane.client();
    let ns = namespace.name();
    let config = config(ns);
    let prowjobs: Api<ProwJob> = Api::namespaced(client.clone(), ns);
    let pods: Api<Pod> = Api::namespaced(client.clone(), ns);
    // Pods get the server's creation time; the sweep runs a minute later (orphan grace)
    let now = Timestamp::now()
        .checked_add(SignedDuration::from_secs(60))
        .expect("time");

    use ProwJobType::*;
    create_job(
        &prowjobs,
        "pre-old",
        Presubmit,
        "pull-a",
        ago(now, 72.0),
        Some(ago(now, 71.0)),
    )
    .await;
    create_job(
        &prowjobs,
        "pre-new",
        Presubmit,
        "pull-a",
        ago(now, 1.0),
        Some(ago(now, 0.5)),
    )
    .await;
    create_job(
        &prowjobs,
        "per-a",
        Periodic,
        "ci-kept",
        ago(now, 120.0),
        Some(ago(now, 119.0)),
    )
    .await;
    create_job(
        &prowjobs,
        "per-b",
        Periodic,
        "ci-kept",
        ago(now, 96.0),
        Some(ago(now, 95.0)),
    )
    .await;
    create_job(
        &prowjobs,
        "gone-a",
        Periodic,
        "ci-removed",
        ago(now, 96.0),
        Some(ago(now, 95.0)),
    )
    .await;
    create_job(
        &prowjobs,
        "running",
        Presubmit,
        "pull-a",
        ago(now, 72.0),
        None,
    )
    .await;
    create_job(
        &prowjobs,
        "done",
        Presubmit,
        "pull-a",
        ago(now, 2.0),
        Some(ago(now, 2.0)),
    )
    .await;
    for pod in ["pre-new", "running", "done", "orphan"] {
        create_pod(&pods, pod, true).await;
    }
    // foreign Pods: one named like a deleted ProwJob, one like an orphan
    create_pod(&pods, "pre-old", false).await;
    create_pod(&pods, "foreign", false).await;

    let clusters =
        BuildClusters::from_clients(BTreeMap::from([("default".to_string(), client.clone())]));
    let mut registry = Registry::with_prefix("sinker");
    let metrics = Metrics::register(&mut registry);

    let all_jobs = set(&[
        "pre-old", "pre-new", "per-a", "per-b", "gone-a", "running", "done",
    ]);
    let all_pods = set(&["pre-new", "running", "done", "orphan", "pre-old", "foreign"]);
    let mut want_plan = vec![
        (
            ObjectKind::ProwJob,
            "pre-old".to_string(),
            Reason::ProwJobAged,
        ),
        (
            ObjectKind::ProwJob,
            "per-a".to_string(),
            Reason::ProwJobAgedPeriodic,
        ),
        (
            ObjectKind::ProwJob,
            "gone-a".to_string(),
            Reason::ProwJobAgedPeriodic,
        ),
        (pod_kind(), "done".to_string(), Reason::PodTtled),
        (pod_kind(), "orphan".to_string(), Reason::PodOrphaned),
    ];
    want_plan.sort();

    // dry run: the plan, and nothing deleted
    let report = sweep(&client, &clusters, &config, now, true, &metrics)
        .await
        .expect("dry-run sweep");
    assert_eq!(plan_of(&report.planned), want_plan);
    assert!(report.deleted.is_empty());
    assert_eq!(report.pods_listed, 4, "only Prow Pods are listed");
    assert_eq!(names(&prowjobs).await, all_jobs);
    assert_eq!(names(&pods).await, all_pods);

    // the real sweep
    let report = sweep(&client, &clusters, &config, now, false, &metrics)
        .await
        .expect("sweep");
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(plan_of(&report.deleted), want_plan);
    assert_eq!(
        names(&prowjobs).await,
        set(&["pre-new", "per-b", "running", "done"])
    );
    assert_eq!(
        names(&pods).await,
        set(&["pre-new", "running", "pre-old", "foreign"])
    );
    let text = prow_kube::metrics::encode_registry(&registry).expect("encode");
    for line in [
        r#"sinker_deletions_total{kind="prowjob",reason="aged-periodic"} 2"#,
        r#"sinker_deletions_total{kind="prowjob",reason="aged"} 1"#,
        r#"sinker_deletions_total{kind="pod",reason="ttled"} 1"#,
        r#"sinker_deletions_total{kind="pod",reason="orphaned"} 1"#,
        r#"sinker_planned_deletions_total{kind="prowjob",reason="aged-periodic"} 4"#,
    ] {
        assert!(text.lines().any(|l| l == line), "missing {line} in\n{text}");
    }

    // nothing left to do
    let report = sweep(&client, &clusters, &config, now, false, &metrics)
        .await
        .expect("second sweep");
    assert_eq!(plan_of(&report.planned), vec![]);
}

#[tokio::test]
async fn an_orphan_whose_prowjob_appears_after_the_list_is_kept() {
    let control_plane = ControlPlane::shared().await;
    let namespace = control_plane.test_namespace("sinker-orphan").await;
    let client = control_plane.client();
    let ns = namespace.name();
    let config = config(ns);
    let pods: Api<Pod> = Api::namespaced(client.clone(), ns);
    create_pod(&pods, "late", true).await;
    create_pod(&pods, "lost", true).await;
    let now = Timestamp::now()
        .checked_add(SignedDuration::from_secs(60))
        .expect("time");
    let clusters =
        BuildClusters::from_clients(BTreeMap::from([("default".to_string(), client.clone())]));
    let observed = observe(&client, &clusters, &config).await.expect("observe");
    let planned = plan_cleanup(&config, &observed.prowjobs, &observed.pods, now);
    assert_eq!(
        plan_of(&planned),
        vec![
            (pod_kind(), "late".to_string(), Reason::PodOrphaned),
            (pod_kind(), "lost".to_string(), Reason::PodOrphaned),
        ]
    );
    // the ProwJob of "late" appears after the list: the GET before deleting sees it
    let prowjobs: Api<ProwJob> = Api::namespaced(client.clone(), ns);
    create_job(
        &prowjobs,
        "late",
        ProwJobType::Presubmit,
        "pull-a",
        ago(now, 0.1),
        None,
    )
    .await;
    let executed = execute(
        &client,
        &clusters,
        &config,
        &planned,
        &observed.pods,
        &Metrics::default(),
    )
    .await;
    assert!(executed.errors.is_empty(), "{:?}", executed.errors);
    assert_eq!(
        plan_of(&executed.kept),
        vec![(pod_kind(), "late".to_string(), Reason::PodOrphaned)]
    );
    assert_eq!(names(&pods).await, set(&["late"]));
}

fn pod_kind() -> ObjectKind {
    ObjectKind::Pod {
        cluster: "default".to_string(),
    }
}

fn plan_of(deletions: &[sinker::plan::Deletion]) -> Vec<(ObjectKind, String, Reason)> {
    let mut plan: Vec<_> = deletions
        .iter()
        .map(|d| (d.kind.clone(), d.name.clone(), d.reason))
        .collect();
    plan.sort();
    plan
}
