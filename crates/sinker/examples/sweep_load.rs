//! Load measurement: sinker's time and memory to observe, plan and sweep N ProwJobs (default
//! 20,000; `SWEEP_LOAD_PROWJOBS`) and N/10 Prow Pods against a real local control plane
//! (prow-testkit's etcd + kube-apiserver).
//!
//! ```text
//! cargo run --release -p sinker --example sweep_load
//! SWEEP_LOAD_PROWJOBS=2000 cargo run --release -p sinker --example sweep_load
//! ```
//!
//! ProwJobs start over the last 10 days, a quarter are runs of 500 periodics, 5% still run;
//! with `max_prowjob_age` 7 days about 30% are deleted. Pods are bound to a node that does
//! not exist, so they are not run (and stay terminating once deleted). Memory is this
//! process's peak RSS during the sweep (`VmHWM` after resetting it through
//! `/proc/self/clear_refs`), so it excludes the API server and etcd.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use futures::StreamExt;
use jiff::{SignedDuration, Timestamp};
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::{Patch, PatchParams, PostParams};
use prow_api::{ProwJob, ProwJobSpec, ProwJobType};
use prow_config::{Config, GoDuration, Periodic};
use prow_kube::build_clusters::BuildClusters;
use prow_testkit::control_plane::ControlPlane;
use sinker::metrics::Metrics;
use sinker::plan::plan_cleanup;
use sinker::sweep::{execute, observe};

const PERIODICS: usize = 500;
const CREATE_CONCURRENCY: usize = 32;

fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn reset_peak_rss() {
    if let Err(e) = std::fs::write("/proc/self/clear_refs", "5") {
        eprintln!("cannot reset the peak RSS ({e}); VmHWM includes the setup");
    }
}

fn prowjob(i: usize, count: usize, now: Timestamp) -> (ProwJob, serde_json::Value) {
    let name = format!("{i:08x}-0000-4000-8000-000000000000");
    let started_min = (i * 14_400 / count.max(1)) as i64;
    let (job_type, job) = if i.is_multiple_of(4) {
        (
            ProwJobType::Periodic,
            format!("ci-periodic-{}", i % PERIODICS),
        )
    } else {
        (ProwJobType::Presubmit, format!("pull-test-{}", i % 300))
    };
    let mut pj = ProwJob::new(&name, ProwJobSpec::new(job_type, job));
    pj.metadata.labels = Some(BTreeMap::from([(
        "created-by-prow".to_string(),
        "true".to_string(),
    )]));
    let started = now - SignedDuration::from_mins(started_min);
    let status = if i.is_multiple_of(20) {
        serde_json::json!({"state": "pending", "startTime": started.to_string()})
    } else {
        let completed = started + SignedDuration::from_mins(30);
        serde_json::json!({
            "state": "success",
            "startTime": started.to_string(),
            "completionTime": completed.min(now).to_string()
        })
    };
    (pj, serde_json::json!({ "status": status }))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let count: usize = std::env::var("SWEEP_LOAD_PROWJOBS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let control_plane = ControlPlane::start().await?;
    let client = control_plane.client();
    let namespace = "sweep-load";
    let ns: k8s_openapi::api::core::v1::Namespace =
        serde_json::from_value(serde_json::json!({"metadata": {"name": namespace}}))?;
    Api::<k8s_openapi::api::core::v1::Namespace>::all(client.clone())
        .create(&PostParams::default(), &ns)
        .await?;
    let prowjobs: Api<ProwJob> = Api::namespaced(client.clone(), namespace);
    let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let now = Timestamp::now();

    let setup = Instant::now();
    let created: Vec<anyhow::Result<()>> = futures::stream::iter(0..count)
        .map(|i| {
            let prowjobs = prowjobs.clone();
            async move {
                let (pj, status) = prowjob(i, count, now);
                let name = pj.metadata.name.clone().unwrap_or_default();
                prowjobs.create(&PostParams::default(), &pj).await?;
                prowjobs
                    .patch_status(&name, &PatchParams::default(), &Patch::Merge(&status))
                    .await?;
                Ok(())
            }
        })
        .buffer_unordered(CREATE_CONCURRENCY)
        .collect()
        .await;
    created.into_iter().collect::<anyhow::Result<Vec<_>>>()?;
    let pod_count = count / 10;
    let created: Vec<anyhow::Result<()>> = futures::stream::iter(0..pod_count)
        .map(|i| {
            let pods = pods.clone();
            async move {
                // every other Pod belongs to a ProwJob, the rest are orphans
                let name = if i.is_multiple_of(2) {
                    format!("{:08x}-0000-4000-8000-000000000000", i * 10)
                } else {
                    format!("orphan-{i}")
                };
                let pod: Pod = serde_json::from_value(serde_json::json!({
                    "metadata": {"name": name, "labels": {"created-by-prow": "true"}},
                    "spec": {
                        "nodeName": "sweep-load-nowhere",
                        "containers": [{"name": "test", "image": "busybox", "command": ["true"]}]
                    }
                }))?;
                pods.create(&PostParams::default(), &pod).await?;
                Ok(())
            }
        })
        .buffer_unordered(CREATE_CONCURRENCY)
        .collect()
        .await;
    created.into_iter().collect::<anyhow::Result<Vec<_>>>()?;
    println!(
        "setup: {count} ProwJobs and {pod_count} Pods created in {:.1?}",
        setup.elapsed()
    );

    let mut config = Config::default();
    config.prow.prowjob_namespace = namespace.into();
    config.prow.pod_namespace = namespace.into();
    config.prow.sinker.max_prowjob_age = GoDuration(Duration::from_secs(7 * 24 * 3600));
    config.jobs.periodics = (0..PERIODICS)
        .map(|i| {
            let mut p = Periodic::default();
            p.base.name = format!("ci-periodic-{i}");
            p.interval = "1h".into();
            p
        })
        .collect();
    let clusters =
        BuildClusters::from_clients(BTreeMap::from([("default".to_string(), client.clone())]));
    let metrics = Metrics::default();
    // Pods must be past the orphan grace period
    let sweep_now = Timestamp::now() + SignedDuration::from_secs(60);

    let rss_before = status_kib("VmRSS:");
    reset_peak_rss();
    let started = Instant::now();
    let observed = observe(&client, &clusters, &config).await?;
    let observed_in = started.elapsed();
    let rss_observed = status_kib("VmRSS:");
    let plan_started = Instant::now();
    let planned = plan_cleanup(&config, &observed.prowjobs, &observed.pods, sweep_now);
    let planned_in = plan_started.elapsed();
    let execute_started = Instant::now();
    let executed = execute(
        &client,
        &clusters,
        &config,
        &planned,
        &observed.pods,
        &metrics,
    )
    .await;
    let executed_in = execute_started.elapsed();
    let total = started.elapsed();
    let peak = status_kib("VmHWM:");
    println!(
        "observe: {} ProwJobs + {} Pods listed in {observed_in:.1?}",
        observed.prowjobs.len(),
        observed.pods.iter().map(|c| c.pods.len()).sum::<usize>()
    );
    println!("plan: {} deletions in {planned_in:.1?}", planned.len());
    println!(
        "execute: {} deleted, {} kept, {} errors in {executed_in:.1?}",
        executed.deleted.len(),
        executed.kept.len(),
        executed.errors.len()
    );
    println!("sweep total: {total:.1?}");
    println!(
        "memory: RSS before {rss_before} KiB, after listing {rss_observed} KiB, peak during sweep {peak} KiB"
    );
    for (name, kib) in control_plane.memory_usage_kib() {
        println!("{name} RSS: {kib:?} KiB");
    }
    control_plane.stop().await;
    Ok(())
}
