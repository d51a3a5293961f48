//! Time of `plan_cleanup` over 20,000 ProwJobs and their Pods (in memory).
//!
//! `cargo bench -p sinker --bench plan_cleanup`

use std::collections::BTreeMap;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use jiff::{SignedDuration, Timestamp};
use k8s_openapi::api::core::v1::{Pod, PodStatus};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use prow_api::{ProwJob, ProwJobSpec, ProwJobState, ProwJobStatus, ProwJobType};
use prow_config::{Config, GoDuration, Periodic};
use sinker::plan::{ClusterPods, plan_cleanup};
use sinker::records::{JobRecord, PodRecord};

const PROWJOBS: usize = 20_000;
const PERIODICS: usize = 500;

fn at(now: Timestamp, minutes_ago: i64) -> Time {
    Time(now - SignedDuration::from_mins(minutes_ago))
}

/// 20,000 ProwJobs over 10 days (a quarter periodic, of 500 periodics, 5% still running),
/// one Pod each, plus 1% orphan Pods.
/// Built as full objects, kept as records (what `observe` keeps of a listed object).
fn inventory(now: Timestamp) -> (Config, Vec<JobRecord>, Vec<ClusterPods>) {
    let mut config = Config::default();
    config.prow.sinker.max_prowjob_age = GoDuration(Duration::from_secs(7 * 24 * 3600));
    config.jobs.periodics = (0..PERIODICS)
        .map(|i| {
            let mut p = Periodic::default();
            p.base.name = format!("ci-periodic-{i}");
            p.interval = "1h".into();
            p
        })
        .collect();
    let mut prowjobs = Vec::with_capacity(PROWJOBS);
    let mut pods = Vec::with_capacity(PROWJOBS);
    for i in 0..PROWJOBS {
        let name = format!("{i:08x}-0000-4000-8000-000000000000");
        let started = (i as i64 * 14_400) / PROWJOBS as i64; // 0..10 days, in minutes
        let (job_type, job) = if i % 4 == 0 {
            (
                ProwJobType::Periodic,
                format!("ci-periodic-{}", i % PERIODICS),
            )
        } else {
            (ProwJobType::Presubmit, format!("pull-test-{}", i % 300))
        };
        let mut pj = ProwJob::new(&name, ProwJobSpec::new(job_type, job));
        let running = i % 20 == 0;
        pj.status = Some(ProwJobStatus {
            start_time: Some(at(now, started)),
            completion_time: (!running).then(|| at(now, (started - 30).max(0))),
            ..ProwJobStatus::new(if running {
                ProwJobState::Pending
            } else {
                ProwJobState::Success
            })
        });
        prowjobs.push(JobRecord::from(&pj));
        pods.push(PodRecord::from(&pod(&name, at(now, started))));
    }
    for i in 0..PROWJOBS / 100 {
        pods.push(PodRecord::from(&pod(&format!("orphan-{i}"), at(now, 60))));
    }
    let clusters = vec![ClusterPods {
        cluster: "default".into(),
        pods,
    }];
    (config, prowjobs, clusters)
}

fn pod(name: &str, started: Time) -> Pod {
    let mut pod = Pod::default();
    pod.metadata.name = Some(name.to_string());
    pod.metadata.labels = Some(BTreeMap::from([(
        "created-by-prow".to_string(),
        "true".to_string(),
    )]));
    pod.metadata.creation_timestamp = Some(started.clone());
    pod.status = Some(PodStatus {
        start_time: Some(started),
        ..PodStatus::default()
    });
    pod
}

fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn bench(c: &mut Criterion) {
    let now: Timestamp = "2026-11-26T12:00:00Z".parse().expect("timestamp");
    let before = status_kib("VmRSS:");
    let (config, prowjobs, pods) = inventory(now);
    let built = status_kib("VmRSS:");
    let planned = plan_cleanup(&config, &prowjobs, &pods, now);
    eprintln!(
        "{} ProwJobs, {} Pods: {} deletions planned; RSS {before} KiB before, {built} KiB with the inventory, peak {} KiB after planning; size_of JobRecord {} B, PodRecord {} B",
        prowjobs.len(),
        pods[0].pods.len(),
        planned.len(),
        status_kib("VmHWM:"),
        std::mem::size_of::<JobRecord>(),
        std::mem::size_of::<PodRecord>(),
    );
    c.bench_function("plan_cleanup 20k ProwJobs + 20.2k Pods", |b| {
        b.iter(|| plan_cleanup(&config, &prowjobs, &pods, now))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
