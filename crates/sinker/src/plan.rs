//! What to delete: a pure function of the configuration, the ProwJobs, the Prow Pods of every
//! build cluster and the time, with the rules of Prow's `cmd/sinker`:
//!
//! - a finished ProwJob whose start is older than `max_prowjob_age` (reason `aged`), except
//!   the latest run (latest start) of every periodic still in the configuration, which
//!   horologium needs to schedule the next run; other periodic runs: reason `aged-periodic`;
//!   unfinished ProwJobs are never deleted;
//! - a Pod (only with label `created-by-prow=true`) of a finished ProwJob that started more
//!   than `max_pod_age` ago (`aged`) or whose ProwJob finished more than
//!   `terminated_pod_ttl` ago (`ttled`); the Pod of an unfinished ProwJob is kept, since
//!   deleting it would make plank start a new one;
//! - a Prow Pod whose ProwJob does not exist, once older than [`ORPHAN_GRACE_PERIOD`]
//!   (`orphaned`); the sweep confirms with a GET that the ProwJob is really gone;
//! - nothing in the build clusters listed in `sinker.exclude_clusters`, and nothing that is
//!   already being deleted (`deletionTimestamp` set: a Pod waiting for its kubelet).
//!
//! The ProwJob of a Pod is its `prow.k8s.io/id` label, else the Pod's name.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use prow_api::ProwJobType;
use prow_config::Config;

use crate::records::{JobRecord, PodRecord};

/// Pods younger than this are never orphaned: the ProwJob list may lag behind (Prow: 30s).
pub const ORPHAN_GRACE_PERIOD: Duration = Duration::from_secs(30);

/// The Prow Pods of one build cluster.
#[derive(Debug, Clone, Default)]
pub struct ClusterPods {
    /// The build cluster alias.
    pub cluster: String,
    /// Its Pods in the Pod namespace (Pods without `created-by-prow=true` are ignored).
    pub pods: Vec<PodRecord>,
}

/// What a deletion deletes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ObjectKind {
    /// A ProwJob in the ProwJob namespace.
    ProwJob,
    /// A Pod in the Pod namespace of a build cluster.
    Pod {
        /// The build cluster alias.
        cluster: String,
    },
}

/// Why something is deleted; the metric label is [`Reason::as_str`] (Prow's reasons).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reason {
    /// A finished non-periodic ProwJob older than `max_prowjob_age`.
    ProwJobAged,
    /// A finished periodic ProwJob older than `max_prowjob_age` that is not the latest run
    /// of a periodic in the configuration.
    ProwJobAgedPeriodic,
    /// A Pod of a finished job, started more than `max_pod_age` ago.
    PodAged,
    /// A Pod whose job finished more than `terminated_pod_ttl` ago.
    PodTtled,
    /// A Prow Pod without ProwJob.
    PodOrphaned,
}

impl Reason {
    /// Prow's name for the reason.
    pub const fn as_str(self) -> &'static str {
        match self {
            Reason::ProwJobAged | Reason::PodAged => "aged",
            Reason::ProwJobAgedPeriodic => "aged-periodic",
            Reason::PodTtled => "ttled",
            Reason::PodOrphaned => "orphaned",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One object to delete.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Deletion {
    /// What it is.
    pub kind: ObjectKind,
    /// Its name.
    pub name: String,
    /// Why it goes.
    pub reason: Reason,
}

fn older_than(at: Timestamp, age: Duration, now: Timestamp) -> bool {
    match SignedDuration::try_from(age) {
        Ok(age) => now.duration_since(at) > age,
        Err(_) => false,
    }
}

/// The name of the latest run (latest start, ties broken by name) of every periodic job.
fn latest_periodic_runs(prowjobs: &[JobRecord]) -> HashMap<&str, (Timestamp, &str)> {
    let mut latest: HashMap<&str, (Timestamp, &str)> = HashMap::new();
    for job in prowjobs {
        if job.job_type != ProwJobType::Periodic {
            continue;
        }
        let started = job.started.or(job.created).unwrap_or(Timestamp::MIN);
        let run = (started, job.name.as_str());
        latest
            .entry(job.job.as_str())
            .and_modify(|current| {
                if run > *current {
                    *current = run;
                }
            })
            .or_insert(run);
    }
    latest
}

/// Everything sinker deletes at `now` (see the module docs), ProwJobs first, then Pods by
/// cluster, each in input order.
pub fn plan_cleanup(
    config: &Config,
    prowjobs: &[JobRecord],
    pods: &[ClusterPods],
    now: Timestamp,
) -> Vec<Deletion> {
    let settings = &config.prow.sinker;
    let max_prowjob_age = settings.max_prowjob_age.0;
    let max_pod_age = settings.max_pod_age.0;
    let terminated_pod_ttl = settings.terminated_pod_ttl.map_or(max_pod_age, |ttl| ttl.0);
    let active_periodics: HashSet<&str> = config
        .jobs
        .periodics
        .iter()
        .map(|p| p.base.name.as_str())
        .collect();
    let latest = latest_periodic_runs(prowjobs);
    let mut deletions = Vec::new();
    // name → completion time, for finished jobs; unfinished ones map to None
    let mut by_name: HashMap<&str, Option<Timestamp>> = HashMap::with_capacity(prowjobs.len());
    for job in prowjobs {
        let name = job.name.as_str();
        by_name.insert(name, job.completed);
        if job.completed.is_none() || job.deleting {
            continue;
        }
        let periodic = job.job_type == ProwJobType::Periodic;
        if periodic
            && active_periodics.contains(job.job.as_str())
            && latest.get(job.job.as_str()).map(|l| l.1) == Some(name)
        {
            continue;
        }
        let Some(started) = job.started else {
            continue;
        };
        if older_than(started, max_prowjob_age, now) {
            deletions.push(Deletion {
                kind: ObjectKind::ProwJob,
                name: name.to_string(),
                reason: if periodic {
                    Reason::ProwJobAgedPeriodic
                } else {
                    Reason::ProwJobAged
                },
            });
        }
    }
    for cluster in pods {
        if settings.exclude_clusters.contains(&cluster.cluster) {
            continue;
        }
        for pod in &cluster.pods {
            if let Some(reason) =
                pod_deletion_reason(pod, &by_name, now, max_pod_age, terminated_pod_ttl)
            {
                deletions.push(Deletion {
                    kind: ObjectKind::Pod {
                        cluster: cluster.cluster.clone(),
                    },
                    name: pod.name.clone(),
                    reason,
                });
            }
        }
    }
    deletions
}

fn pod_deletion_reason(
    pod: &PodRecord,
    prowjobs: &HashMap<&str, Option<Timestamp>>,
    now: Timestamp,
    max_pod_age: Duration,
    terminated_pod_ttl: Duration,
) -> Option<Reason> {
    if !pod.created_by_prow || pod.deleting {
        return None;
    }
    match prowjobs.get(pod.prowjob.as_str()) {
        None => {
            let created = pod.created?;
            older_than(created, ORPHAN_GRACE_PERIOD, now).then_some(Reason::PodOrphaned)
        }
        // the job is still running: plank would start a new Pod
        Some(None) => None,
        // Prow's order: age first, then the TTL
        Some(Some(completed)) => {
            if pod
                .started
                .is_some_and(|started| older_than(started, max_pod_age, now))
            {
                Some(Reason::PodAged)
            } else if older_than(*completed, terminated_pod_ttl, now) {
                Some(Reason::PodTtled)
            } else {
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use k8s_openapi::api::core::v1::{Pod, PodStatus};
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
    use prow_api::{ProwJob, ProwJobSpec, ProwJobState, ProwJobStatus};
    use prow_config::{GoDuration, Periodic};

    use super::*;

    const NOW: &str = "2026-11-26T12:00:00Z";

    fn ts(s: &str) -> Timestamp {
        s.parse().expect("timestamp")
    }

    fn config(periodics: &[&str], exclude: &[&str]) -> Config {
        let mut config = Config::default();
        config.prow.sinker.max_prowjob_age = GoDuration(Duration::from_secs(24 * 3600));
        config.prow.sinker.max_pod_age = GoDuration(Duration::from_secs(6 * 3600));
        config.prow.sinker.terminated_pod_ttl = Some(GoDuration(Duration::from_secs(3600)));
        config.prow.sinker.exclude_clusters = exclude.iter().map(|c| c.to_string()).collect();
        config.jobs.periodics = periodics
            .iter()
            .map(|name| {
                let mut p = Periodic::default();
                p.base.name = name.to_string();
                p.interval = "1h".into();
                p
            })
            .collect();
        config
    }

    fn job(
        name: &str,
        job_type: ProwJobType,
        job: &str,
        started: &str,
        completed: Option<&str>,
    ) -> ProwJob {
        let mut pj = ProwJob::new(name, ProwJobSpec::new(job_type, job));
        pj.status = Some(ProwJobStatus {
            start_time: Some(Time(ts(started))),
            completion_time: completed.map(|c| Time(ts(c))),
            ..ProwJobStatus::new(if completed.is_some() {
                ProwJobState::Failure
            } else {
                ProwJobState::Pending
            })
        });
        pj
    }

    fn records(jobs: &[ProwJob]) -> Vec<JobRecord> {
        jobs.iter().map(JobRecord::from).collect()
    }

    fn pod(name: &str, labels: &[(&str, &str)], created: &str, started: Option<&str>) -> PodRecord {
        let mut pod = Pod::default();
        pod.metadata.name = Some(name.into());
        pod.metadata.labels = Some(
            labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>(),
        );
        pod.metadata.creation_timestamp = Some(Time(ts(created)));
        pod.status = Some(PodStatus {
            start_time: started.map(|s| Time(ts(s))),
            ..PodStatus::default()
        });
        PodRecord::from(&pod)
    }

    fn terminating(mut pod: PodRecord) -> PodRecord {
        pod.deleting = true;
        pod
    }

    const PROW: (&str, &str) = ("created-by-prow", "true");

    fn pj(name: &str) -> Deletion {
        deletion(ObjectKind::ProwJob, name, Reason::ProwJobAged)
    }

    fn deletion(kind: ObjectKind, name: &str, reason: Reason) -> Deletion {
        Deletion {
            kind,
            name: name.into(),
            reason,
        }
    }

    fn in_cluster(cluster: &str) -> ObjectKind {
        ObjectKind::Pod {
            cluster: cluster.into(),
        }
    }

    #[test]
    fn prowjobs_age_out_except_the_latest_run_of_configured_periodics() {
        use ProwJobType::*;
        let old = "2026-11-24T10:00:00Z";
        let prowjobs = vec![
            job(
                "old-pre",
                Presubmit,
                "pull-test",
                old,
                Some("2026-11-24T10:30:00Z"),
            ),
            job(
                "new-pre",
                Presubmit,
                "pull-test",
                "2026-11-26T10:00:00Z",
                Some(NOW),
            ),
            job("old-running", Postsubmit, "post", old, None),
            // periodic still in config: the older run goes, the latest stays although old
            job(
                "per-1",
                Periodic,
                "ci-daily",
                "2026-11-23T10:00:00Z",
                Some(old),
            ),
            job("per-2", Periodic, "ci-daily", old, Some(old)),
            // periodic removed from config: every old run goes
            job("gone-1", Periodic, "ci-removed", old, Some(old)),
            // unfinished old periodic stays
            job("per-running", Periodic, "ci-hang", old, None),
        ];
        let got = plan_cleanup(
            &config(&["ci-daily", "ci-hang"], &[]),
            &records(&prowjobs),
            &[],
            ts(NOW),
        );
        let want = vec![
            pj("old-pre"),
            deletion(ObjectKind::ProwJob, "per-1", Reason::ProwJobAgedPeriodic),
            deletion(ObjectKind::ProwJob, "gone-1", Reason::ProwJobAgedPeriodic),
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn pods_by_rule() {
        use ProwJobType::*;
        let prowjobs = vec![
            // finished 2h ago: past the 1h TTL
            job(
                "ttl",
                Presubmit,
                "a",
                "2026-11-26T09:00:00Z",
                Some("2026-11-26T10:00:00Z"),
            ),
            // finished 10 minutes ago, pod started 7h ago: aged
            job(
                "aged",
                Presubmit,
                "a",
                "2026-11-26T05:00:00Z",
                Some("2026-11-26T11:50:00Z"),
            ),
            // finished 10 minutes ago, pod young: stays
            job(
                "fresh",
                Presubmit,
                "a",
                "2026-11-26T11:00:00Z",
                Some("2026-11-26T11:50:00Z"),
            ),
            // running for 10h: its pod stays whatever its age
            job("running", Presubmit, "a", "2026-11-26T02:00:00Z", None),
            // finished 2h ago, pod started 8h ago: both rules apply, age wins (Prow's order)
            job(
                "both",
                Presubmit,
                "a",
                "2026-11-26T04:00:00Z",
                Some("2026-11-26T10:00:00Z"),
            ),
            // the pod names its job through prow.k8s.io/id
            job(
                "by-id",
                Presubmit,
                "a",
                "2026-11-26T09:00:00Z",
                Some("2026-11-26T10:00:00Z"),
            ),
        ];
        let pods = vec![ClusterPods {
            cluster: "default".into(),
            pods: vec![
                pod(
                    "ttl",
                    &[PROW],
                    "2026-11-26T09:00:00Z",
                    Some("2026-11-26T09:00:01Z"),
                ),
                pod(
                    "aged",
                    &[PROW],
                    "2026-11-26T05:00:00Z",
                    Some("2026-11-26T05:00:01Z"),
                ),
                pod(
                    "fresh",
                    &[PROW],
                    "2026-11-26T11:00:00Z",
                    Some("2026-11-26T11:00:01Z"),
                ),
                pod(
                    "both",
                    &[PROW],
                    "2026-11-26T04:00:00Z",
                    Some("2026-11-26T04:00:01Z"),
                ),
                pod(
                    "running",
                    &[PROW],
                    "2026-11-26T02:00:00Z",
                    Some("2026-11-26T02:00:01Z"),
                ),
                pod(
                    "renamed",
                    &[PROW, ("prow.k8s.io/id", "by-id")],
                    "2026-11-26T09:00:00Z",
                    None,
                ),
                // orphans: past the grace period, and one just created
                pod("orphan", &[PROW], "2026-11-26T11:59:00Z", None),
                pod("orphan-new", &[PROW], "2026-11-26T11:59:45Z", None),
                // foreign pods are never touched, even with a matching name
                pod(
                    "ttl-foreign",
                    &[],
                    "2026-11-20T00:00:00Z",
                    Some("2026-11-20T00:00:00Z"),
                ),
                pod(
                    "foreign",
                    &[("created-by-prow", "false")],
                    "2026-11-20T00:00:00Z",
                    None,
                ),
                terminating(pod("orphan-going", &[PROW], "2026-11-26T11:00:00Z", None)),
            ],
        }];
        let got = plan_cleanup(&config(&[], &[]), &records(&prowjobs), &pods, ts(NOW));
        let default = in_cluster("default");
        let want = vec![
            deletion(default.clone(), "ttl", Reason::PodTtled),
            deletion(default.clone(), "aged", Reason::PodAged),
            deletion(default.clone(), "both", Reason::PodAged),
            deletion(default.clone(), "renamed", Reason::PodTtled),
            deletion(default, "orphan", Reason::PodOrphaned),
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn excluded_clusters_are_left_alone() {
        let orphan = || pod("orphan", &[PROW], "2026-11-20T00:00:00Z", None);
        let pods = vec![
            ClusterPods {
                cluster: "build01".into(),
                pods: vec![orphan()],
            },
            ClusterPods {
                cluster: "trusted".into(),
                pods: vec![orphan()],
            },
        ];
        let got = plan_cleanup(&config(&[], &["trusted"]), &[], &pods, ts(NOW));
        assert_eq!(
            got,
            vec![deletion(
                in_cluster("build01"),
                "orphan",
                Reason::PodOrphaned
            )]
        );
    }

    #[test]
    fn default_ttl_is_max_pod_age_and_reasons_are_prows() {
        let mut config = config(&[], &[]);
        config.prow.sinker.terminated_pod_ttl = None;
        let prowjobs = vec![job(
            "a",
            ProwJobType::Periodic,
            "p",
            "2026-11-26T11:00:00Z",
            Some("2026-11-26T05:59:59Z"),
        )];
        let pods = vec![ClusterPods {
            cluster: "default".into(),
            pods: vec![pod("a", &[PROW], "2026-11-26T11:00:00Z", None)],
        }];
        let got = plan_cleanup(&config, &records(&prowjobs), &pods, ts(NOW));
        assert_eq!(
            got,
            vec![deletion(in_cluster("default"), "a", Reason::PodTtled)]
        );
        let names: Vec<_> = [
            Reason::ProwJobAged,
            Reason::ProwJobAgedPeriodic,
            Reason::PodAged,
            Reason::PodTtled,
            Reason::PodOrphaned,
        ]
        .iter()
        .map(|r| r.as_str())
        .collect();
        assert_eq!(
            names,
            ["aged", "aged-periodic", "aged", "ttled", "orphaned"]
        );
    }
}
