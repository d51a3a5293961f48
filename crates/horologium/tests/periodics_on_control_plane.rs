//! Horologium rounds against the real local control plane, under an injected clock: interval,
//! cron and minimum_interval periodics start on time, and a restart or a second replica
//! never starts the same run twice.

use std::collections::BTreeSet;

use jiff::Timestamp;
use kube::Api;
use kube::api::{ListParams, Patch, PatchParams};
use prow_api::{ProwJob, ProwJobState, ProwJobType};
use prow_config::{Config, LoadOptions, load};
use prow_testkit::control_plane::ControlPlane;

use horologium::sync::sync_periodics;

fn config(namespace: &str) -> (tempfile::TempDir, Config) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("config.yaml");
    let text = format!(
        r#"
prowjob_namespace: {namespace}
pod_namespace: {namespace}
periodics:
- name: ci-interval
  interval: 1h
  spec:
    containers:
    - image: busybox
      command: ["true"]
- name: ci-cron
  cron: "0 * * * *"
  spec:
    containers:
    - image: busybox
      command: ["true"]
- name: ci-minimum
  minimum_interval: 20m
  labels:
    team: infra
  spec:
    containers:
    - image: busybox
      command: ["true"]
"#
    );
    std::fs::write(&path, text).expect("write config");
    let loaded = load(&LoadOptions {
        config_path: path,
        job_config_path: None,
        plugin_config_path: None,
    })
    .expect("load");
    assert!(!loaded.has_errors(), "{:?}", loaded.problems);
    (dir, loaded.config)
}

fn ts(s: &str) -> Timestamp {
    s.parse().expect("timestamp")
}

async fn runs(api: &Api<ProwJob>) -> Vec<ProwJob> {
    let mut jobs = api.list(&ListParams::default()).await.expect("list").items;
    jobs.sort_by_key(|j| {
        (
            j.spec.job.clone(),
            j.status
                .as_ref()
                .and_then(|s| s.start_time.clone())
                .map(|t| t.0),
        )
    });
    jobs
}

fn count_by_job(jobs: &[ProwJob], job: &str) -> usize {
    jobs.iter().filter(|j| j.spec.job == job).count()
}

async fn finish_all(api: &Api<ProwJob>, at: &str) {
    for job in runs(api).await {
        if job.is_complete() {
            continue;
        }
        let name = job.metadata.name.clone().expect("name");
        let patch = serde_json::json!({
            "status": {"state": "success", "completionTime": at}
        });
        api.patch_status(&name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .expect("finish job");
    }
}

async fn started_jobs(client: &kube::Client, config: &Config, now: &str) -> BTreeSet<String> {
    let report = sync_periodics(client, config, ts(now)).await.expect("sync");
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    report.started.into_iter().map(|d| d.job).collect()
}

fn set(jobs: &[&str]) -> BTreeSet<String> {
    jobs.iter().map(|j| j.to_string()).collect()
}

#[tokio::test]
async fn periodics_start_on_time_and_never_twice() {
    let control_plane = ControlPlane::shared().await;
    let namespace = control_plane.test_namespace("horologium").await;
    let client = control_plane.client();
    let (_dir, config) = config(namespace.name());
    let api: Api<ProwJob> = Api::namespaced(client.clone(), namespace.name());

    // no earlier run: everything starts at once; two replicas racing start each run once
    let (a, b) = tokio::join!(
        sync_periodics(&client, &config, ts("2026-11-26T10:20:00Z")),
        sync_periodics(&client, &config, ts("2026-11-26T10:20:00Z")),
    );
    let (a, b) = (a.expect("replica a"), b.expect("replica b"));
    assert_eq!(a.started.len() + b.started.len(), 3, "{a:?} {b:?}");
    assert_eq!(a.already_started.len() + b.already_started.len(), 3);
    let jobs = runs(&api).await;
    assert_eq!(jobs.len(), 3);
    for job in &jobs {
        assert_eq!(job.spec.job_type, ProwJobType::Periodic);
        assert_eq!(job.state(), Some(ProwJobState::Triggered), "{job:?}");
        let start = job
            .status
            .as_ref()
            .and_then(|s| s.start_time.as_ref())
            .expect("start");
        assert_eq!(start.0, ts("2026-11-26T10:20:00Z"));
        let labels = job.metadata.labels.as_ref().expect("labels");
        assert_eq!(labels.get("prow.k8s.io/job"), Some(&job.spec.job));
        assert_eq!(
            labels.get("created-by-prow").map(String::as_str),
            Some("true")
        );
    }
    let minimum = jobs
        .iter()
        .find(|j| j.spec.job == "ci-minimum")
        .expect("ci-minimum");
    assert_eq!(
        minimum
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get("team"))
            .map(String::as_str),
        Some("infra")
    );

    // a restart: runs still going, nothing starts
    assert_eq!(
        started_jobs(&client, &config, "2026-11-26T12:00:00Z").await,
        set(&[])
    );

    finish_all(&api, "2026-11-26T10:25:00Z").await;
    // minimum interval counts from completion (10:25 + 20m)
    assert_eq!(
        started_jobs(&client, &config, "2026-11-26T10:44:59Z").await,
        set(&[])
    );
    assert_eq!(
        started_jobs(&client, &config, "2026-11-26T10:45:00Z").await,
        set(&["ci-minimum"])
    );
    finish_all(&api, "2026-11-26T10:50:00Z").await;
    // the cron fires at 11:00
    assert_eq!(
        started_jobs(&client, &config, "2026-11-26T10:59:59Z").await,
        set(&[])
    );
    assert_eq!(
        started_jobs(&client, &config, "2026-11-26T11:00:00Z").await,
        set(&["ci-cron"])
    );
    // the interval counts from the previous start (10:20 + 1h); minimum interval again
    assert_eq!(
        started_jobs(&client, &config, "2026-11-26T11:20:00Z").await,
        set(&["ci-interval", "ci-minimum"])
    );
    finish_all(&api, "2026-11-26T11:21:00Z").await;
    // the same round again (a restart at the same instant) starts nothing
    assert_eq!(
        started_jobs(&client, &config, "2026-11-26T11:20:00Z").await,
        set(&[])
    );

    // after a day of downtime: one run each, never a burst
    assert_eq!(
        started_jobs(&client, &config, "2026-11-27T11:30:00Z").await,
        set(&["ci-interval", "ci-cron", "ci-minimum"])
    );
    assert_eq!(
        started_jobs(&client, &config, "2026-11-27T11:30:30Z").await,
        set(&[])
    );
    let jobs = runs(&api).await;
    assert_eq!(count_by_job(&jobs, "ci-interval"), 3);
    assert_eq!(count_by_job(&jobs, "ci-cron"), 3);
    assert_eq!(count_by_job(&jobs, "ci-minimum"), 4);

    // a periodic removed from the config stops
    finish_all(&api, "2026-11-27T11:31:00Z").await;
    let mut reduced = config.clone();
    reduced
        .jobs
        .periodics
        .retain(|p| p.base.name != "ci-interval");
    assert_eq!(
        started_jobs(&client, &reduced, "2026-11-28T12:00:00Z").await,
        set(&["ci-cron", "ci-minimum"])
    );
}
