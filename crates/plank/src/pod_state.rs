//! What a pending job's Pod means for the job (Prow's `syncPendingJob`), as a pure
//! function of the job, its Pod, the timeouts and the time.

use std::time::Duration;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::Pod;
use prow_api::{ProwJob, ProwJobState};

/// `status.reason` of an evicted Pod.
pub const EVICTED: &str = "Evicted";
/// `status.reason` of a Pod whose node stopped responding.
pub const NODE_LOST: &str = "NodeLost";
/// How long after its deletion is due a Pod deleted under a running job may take to go
/// away before the job errors.
pub const DELETION_WAIT: Duration = Duration::from_secs(30);
/// How often a job whose Pod is being deleted looks again (the Pod's removal also
/// triggers a look).
const DELETION_RECHECK: Duration = Duration::from_secs(5);

/// How long a job's Pod may stay unscheduled, pending and running: `plank.pod_*_timeout`,
/// each overridden by the job's `decoration_config`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Created but not on a node.
    pub unscheduled: Duration,
    /// On a node but not running.
    pub pending: Duration,
    /// Running.
    pub running: Duration,
}

impl Timeouts {
    /// The timeouts that apply to `job`.
    pub fn for_job(plank: &prow_config::Plank, job: &ProwJob) -> Self {
        let decoration = job.spec.decoration_config.as_ref();
        let pick = |job_value: Option<prow_api::GoDuration>, default: Duration| {
            job_value.and_then(|d| d.to_std()).unwrap_or(default)
        };
        Timeouts {
            unscheduled: pick(
                decoration.and_then(|d| d.pod_unscheduled_timeout),
                plank.pod_unscheduled_timeout.0,
            ),
            pending: pick(
                decoration.and_then(|d| d.pod_pending_timeout),
                plank.pod_pending_timeout.0,
            ),
            running: pick(
                decoration.and_then(|d| d.pod_running_timeout),
                plank.pod_running_timeout.0,
            ),
        }
    }
}

/// What to do with a pending job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PendingStep {
    /// The Pod is gone: create a new one with a new build id, counting a revival.
    RecreatePod,
    /// The Pod stopped unexpectedly (evicted, node lost, unknown phase): delete it; the
    /// next pass finds it missing and recreates it.
    DeletePodForRevival {
        /// Why (`evicted`, `node lost`, `unknown phase`).
        cause: &'static str,
    },
    /// The job is over.
    Finish {
        /// Its final state.
        state: ProwJobState,
        /// `status.description`.
        description: String,
        /// Delete the Pod too (timeouts).
        delete_pod: bool,
    },
    /// Nothing to do now; look again after this long (`None`: when something changes).
    Wait(Option<Duration>),
}

fn finish(state: ProwJobState, description: &str, delete_pod: bool) -> PendingStep {
    PendingStep::Finish {
        state,
        description: description.to_owned(),
        delete_pod,
    }
}

/// Every container (init and main) terminated with exit code 0 and a finish time
/// (Prow's `didPodSucceed`).
pub fn all_containers_succeeded(pod: &Pod) -> bool {
    let Some(status) = &pod.status else {
        return false;
    };
    status
        .container_statuses
        .iter()
        .flatten()
        .chain(status.init_container_statuses.iter().flatten())
        .all(|container| {
            container
                .state
                .as_ref()
                .and_then(|state| state.terminated.as_ref())
                .is_some_and(|done| done.exit_code == 0 && done.finished_at.is_some())
        })
}

/// The main container was killed for running out of memory.
pub fn was_oom_killed(pod: &Pod) -> bool {
    pod.status
        .as_ref()
        .and_then(|status| status.container_statuses.as_ref())
        .into_iter()
        .flatten()
        .any(|container| {
            container
                .state
                .as_ref()
                .and_then(|state| state.terminated.as_ref())
                .and_then(|done| done.reason.as_deref())
                == Some("OOMKilled")
        })
}

fn elapsed(since: Timestamp, now: Timestamp) -> Duration {
    let nanos = now.as_nanosecond() - since.as_nanosecond();
    Duration::from_nanos(u64::try_from(nanos).unwrap_or(0))
}

/// When the Pod was scheduled: its `startTime` (the kubelet acknowledged it), else the
/// `PodScheduled` condition's transition, else its creation if it names a node. `None`
/// while unscheduled.
fn scheduled_at(pod: &Pod) -> Option<Timestamp> {
    let status = pod.status.as_ref();
    if let Some(start) = status.and_then(|s| s.start_time.as_ref()) {
        return Some(start.0);
    }
    let condition = status
        .and_then(|s| s.conditions.as_ref())
        .into_iter()
        .flatten()
        .find(|c| c.type_ == "PodScheduled" && c.status == "True");
    if let Some(condition) = condition {
        return condition
            .last_transition_time
            .as_ref()
            .map(|t| t.0)
            .or_else(|| pod.metadata.creation_timestamp.as_ref().map(|t| t.0));
    }
    let bound = pod
        .spec
        .as_ref()
        .and_then(|spec| spec.node_name.as_deref())
        .is_some_and(|node| !node.is_empty());
    if bound {
        return pod.metadata.creation_timestamp.as_ref().map(|t| t.0);
    }
    None
}

/// The next step for a pending `job` whose Pod is `pod` (`None`: not found), with
/// `max_revivals` from `plank.max_revivals`.
///
/// As Prow, except: a Pod deleted by someone else (not finished successfully, no
/// finalizer) is waited for until it is gone and then counts as missing, instead of
/// erroring the job or failing it depending on which Pod update is seen; a missing Pod is recreated at most `max_revivals` times (each counted
/// in `pod_revival_count`), then the job errors — Prow recreates a vanished Pod forever;
/// and a Pod bound to a node without a `startTime` counts as scheduled (pending timeout,
/// not scheduling timeout).
pub fn pending_step(
    job: &ProwJob,
    pod: Option<&Pod>,
    timeouts: &Timeouts,
    max_revivals: u32,
    now: Timestamp,
) -> PendingStep {
    let revivals = job.status.as_ref().map_or(0, |s| s.pod_revival_count);
    let Some(pod) = pod else {
        if revivals >= max_revivals {
            return finish(
                ProwJobState::Error,
                &format!(
                    "Pod got deleted unexpectedly and was revived {revivals} times already (max_revivals: {max_revivals})."
                ),
                false,
            );
        }
        return PendingStep::RecreatePod;
    };
    let status = pod.status.clone().unwrap_or_default();
    let reason = status.reason.as_deref().unwrap_or_default();
    let phase = status.phase.as_deref().unwrap_or_default();
    let deleting = pod.metadata.deletion_timestamp.is_some();

    let unexpected_stop = if reason == EVICTED {
        Some("evicted")
    } else if deleting && reason == NODE_LOST {
        Some("node lost")
    } else if phase == "Unknown" {
        Some("unknown phase")
    } else {
        None
    };
    if let Some(cause) = unexpected_stop {
        if cause == "evicted" && job.spec.error_on_eviction {
            return finish(
                ProwJobState::Error,
                "Job pod was evicted by the cluster.",
                false,
            );
        }
        if revivals >= max_revivals {
            return finish(
                ProwJobState::Error,
                &format!(
                    "Job pod stopped unexpectedly ({cause}) and reached the maximum number of revivals ({max_revivals})."
                ),
                false,
            );
        }
        return PendingStep::DeletePodForRevival { cause };
    }

    if deleting && phase != "Succeeded" {
        // Deleted by someone else while the job runs: once it is gone, the missing-Pod rule
        // recreates it (up to max_revivals). A Pod that cannot go away (a finalizer holds
        // it) or that takes too long errors the job now, as Prow does.
        let has_finalizers = pod
            .metadata
            .finalizers
            .as_ref()
            .is_some_and(|f| !f.is_empty());
        let due = pod
            .metadata
            .deletion_timestamp
            .as_ref()
            .map_or(now, |t| t.0);
        if has_finalizers || elapsed(due, now) >= DELETION_WAIT {
            return finish(ProwJobState::Error, "Pod got deleted unexpectedly", false);
        }
        return PendingStep::Wait(Some(DELETION_RECHECK));
    }
    match phase {
        "Succeeded" => {
            if all_containers_succeeded(pod) {
                finish(ProwJobState::Success, "Job succeeded.", false)
            } else {
                finish(
                    ProwJobState::Error,
                    "Pod was in succeeded phase but some containers didn't finish",
                    false,
                )
            }
        }
        "Failed" => finish(ProwJobState::Failure, "Job failed.", false),
        "Pending" => {
            let created = pod
                .metadata
                .creation_timestamp
                .as_ref()
                .map_or(now, |t| t.0);
            let (since, limit, description) = match scheduled_at(pod) {
                None => (created, timeouts.unscheduled, "Pod scheduling timeout."),
                Some(at) => (at, timeouts.pending, "Pod pending timeout."),
            };
            let waited = elapsed(since, now);
            if waited >= limit {
                finish(ProwJobState::Error, description, true)
            } else {
                PendingStep::Wait(Some(limit - waited))
            }
        }
        "Running" => match status.start_time.as_ref() {
            None => PendingStep::Wait(None),
            Some(start) => {
                let ran = elapsed(start.0, now);
                if ran < timeouts.running {
                    PendingStep::Wait(Some(timeouts.running - ran))
                } else {
                    finish(ProwJobState::Aborted, "Pod running timeout.", true)
                }
            }
        },
        _ => PendingStep::Wait(None),
    }
}

#[cfg(test)]
mod tests {
    use prow_api::{ProwJobSpec, ProwJobStatus, ProwJobType};

    use super::*;

    const NOW: &str = "2026-11-26T12:00:00Z";

    fn at(offset_secs: i64) -> String {
        let now: Timestamp = NOW.parse().expect("now");
        (now - jiff::SignedDuration::from_secs(offset_secs)).to_string()
    }

    fn job(revivals: u32, error_on_eviction: bool) -> ProwJob {
        let mut spec = ProwJobSpec::new(ProwJobType::Periodic, "ci-job");
        spec.error_on_eviction = error_on_eviction;
        let mut job = ProwJob::new("job", spec);
        job.status = Some(ProwJobStatus {
            pod_revival_count: revivals,
            ..ProwJobStatus::new(ProwJobState::Pending)
        });
        job
    }

    fn pod(value: serde_json::Value) -> Pod {
        let mut pod: Pod = serde_json::from_value(value).expect("pod");
        if pod.metadata.creation_timestamp.is_none() {
            pod.metadata.creation_timestamp = Some(
                k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(at(30).parse().expect("time")),
            );
        }
        pod
    }

    fn terminated(exit_code: i32, reason: &str) -> serde_json::Value {
        serde_json::json!({"name": "test", "ready": false, "restartCount": 0, "image": "x", "imageID": "",
            "state": {"terminated": {"exitCode": exit_code, "reason": reason, "finishedAt": at(1)}}})
    }

    #[test]
    fn pod_phases_map_to_prows_states() {
        let timeouts = Timeouts {
            unscheduled: Duration::from_secs(60),
            pending: Duration::from_secs(60),
            running: Duration::from_secs(600),
        };
        let now: Timestamp = NOW.parse().expect("now");
        let deleting = serde_json::json!({"deletionTimestamp": at(1)});
        let fin = |state, description: &str, delete_pod| PendingStep::Finish {
            state,
            description: description.to_owned(),
            delete_pod,
        };
        use ProwJobState::{Aborted, Error, Failure, Success};
        // (name, job, pod, expected step)
        let cases: Vec<(&str, ProwJob, Option<Pod>, PendingStep)> = vec![
            (
                "missing pod is recreated",
                job(0, false),
                None,
                PendingStep::RecreatePod,
            ),
            (
                "missing pod after max revivals errors",
                job(3, false),
                None,
                fin(
                    Error,
                    "Pod got deleted unexpectedly and was revived 3 times already (max_revivals: 3).",
                    false,
                ),
            ),
            (
                "succeeded with every container done",
                job(0, false),
                Some(pod(
                    serde_json::json!({"status": {"phase": "Succeeded", "containerStatuses": [terminated(0, "Completed")]}}),
                )),
                fin(Success, "Job succeeded.", false),
            ),
            (
                "succeeded with an unfinished container",
                job(0, false),
                Some(pod(
                    serde_json::json!({"status": {"phase": "Succeeded", "containerStatuses": [
                    {"name": "test", "ready": true, "restartCount": 0, "image": "x", "imageID": "", "state": {"running": {}}}]}}),
                )),
                fin(
                    Error,
                    "Pod was in succeeded phase but some containers didn't finish",
                    false,
                ),
            ),
            (
                "failed",
                job(0, false),
                Some(pod(
                    serde_json::json!({"status": {"phase": "Failed", "containerStatuses": [terminated(1, "Error")]}}),
                )),
                fin(Failure, "Job failed.", false),
            ),
            (
                "OOM killed is a failure",
                job(0, false),
                Some(pod(
                    serde_json::json!({"status": {"phase": "Failed", "containerStatuses": [terminated(137, "OOMKilled")]}}),
                )),
                fin(Failure, "Job failed.", false),
            ),
            (
                "evicted is revived",
                job(0, false),
                Some(pod(
                    serde_json::json!({"status": {"phase": "Failed", "reason": "Evicted"}}),
                )),
                PendingStep::DeletePodForRevival { cause: "evicted" },
            ),
            (
                "evicted with error_on_eviction",
                job(0, true),
                Some(pod(
                    serde_json::json!({"status": {"phase": "Failed", "reason": "Evicted"}}),
                )),
                fin(Error, "Job pod was evicted by the cluster.", false),
            ),
            (
                "evicted too often",
                job(3, false),
                Some(pod(
                    serde_json::json!({"status": {"phase": "Failed", "reason": "Evicted"}}),
                )),
                fin(
                    Error,
                    "Job pod stopped unexpectedly (evicted) and reached the maximum number of revivals (3).",
                    false,
                ),
            ),
            (
                "unknown phase is revived",
                job(1, false),
                Some(pod(serde_json::json!({"status": {"phase": "Unknown"}}))),
                PendingStep::DeletePodForRevival {
                    cause: "unknown phase",
                },
            ),
            (
                "unscheduled within the timeout",
                job(0, false),
                Some(pod(serde_json::json!({"status": {"phase": "Pending"}}))),
                PendingStep::Wait(Some(Duration::from_secs(30))),
            ),
            (
                "unscheduled too long",
                job(0, false),
                Some(pod(
                    serde_json::json!({"metadata": {"creationTimestamp": at(61)}, "status": {"phase": "Pending"}}),
                )),
                fin(Error, "Pod scheduling timeout.", true),
            ),
            (
                "bound but never started: pending timeout",
                job(0, false),
                Some(pod(
                    serde_json::json!({"metadata": {"creationTimestamp": at(90)}, "spec": {"nodeName": "n", "containers": []},
                    "status": {"phase": "Pending"}}),
                )),
                fin(Error, "Pod pending timeout.", true),
            ),
            (
                "started, pending within the timeout",
                job(0, false),
                Some(pod(
                    serde_json::json!({"metadata": {"creationTimestamp": at(90)}, "status": {"phase": "Pending", "startTime": at(20)}}),
                )),
                PendingStep::Wait(Some(Duration::from_secs(40))),
            ),
            (
                "running within the timeout",
                job(0, false),
                Some(pod(
                    serde_json::json!({"status": {"phase": "Running", "startTime": at(100)}}),
                )),
                PendingStep::Wait(Some(Duration::from_secs(500))),
            ),
            (
                "running too long is aborted",
                job(0, false),
                Some(pod(
                    serde_json::json!({"status": {"phase": "Running", "startTime": at(600)}}),
                )),
                fin(Aborted, "Pod running timeout.", true),
            ),
            (
                "running pod being deleted: wait until it is gone",
                job(0, false),
                Some(pod(
                    serde_json::json!({"metadata": deleting, "status": {"phase": "Running", "startTime": at(10)}}),
                )),
                PendingStep::Wait(Some(Duration::from_secs(5))),
            ),
            (
                "failed because it was deleted: wait until it is gone",
                job(0, false),
                Some(pod(
                    serde_json::json!({"metadata": deleting, "status": {"phase": "Failed", "containerStatuses": [terminated(137, "Error")]}}),
                )),
                PendingStep::Wait(Some(Duration::from_secs(5))),
            ),
            (
                "deleted but held by a finalizer",
                job(0, false),
                Some(pod(
                    serde_json::json!({"metadata": {"deletionTimestamp": at(1), "finalizers": ["prow.x-k8s.io/gcsk8sreporter"]}, "status": {"phase": "Running"}}),
                )),
                fin(Error, "Pod got deleted unexpectedly", false),
            ),
            (
                "deleted long ago and still there",
                job(0, false),
                Some(pod(
                    serde_json::json!({"metadata": {"deletionTimestamp": at(31)}, "status": {"phase": "Pending"}}),
                )),
                fin(Error, "Pod got deleted unexpectedly", false),
            ),
            (
                "node lost while deleting is revived",
                job(0, false),
                Some(pod(
                    serde_json::json!({"metadata": deleting, "status": {"phase": "Running", "reason": "NodeLost"}}),
                )),
                PendingStep::DeletePodForRevival { cause: "node lost" },
            ),
        ];
        for (name, job, pod, want) in cases {
            let got = pending_step(&job, pod.as_ref(), &timeouts, 3, now);
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn decoration_config_timeouts_override_plank_defaults() {
        let plank = prow_config::Plank::default();
        let mut job = job(0, false);
        assert_eq!(
            Timeouts::for_job(&plank, &job),
            Timeouts {
                unscheduled: Duration::from_secs(300),
                pending: Duration::from_secs(600),
                running: Duration::from_secs(48 * 3600),
            }
        );
        job.spec.decoration_config = Some(prow_api::DecorationConfig {
            pod_running_timeout: Some(prow_api::GoDuration::from_secs(5)),
            pod_unscheduled_timeout: Some(prow_api::GoDuration::from_secs(7)),
            ..Default::default()
        });
        let timeouts = Timeouts::for_job(&plank, &job);
        assert_eq!(timeouts.running, Duration::from_secs(5));
        assert_eq!(timeouts.unscheduled, Duration::from_secs(7));
        assert_eq!(timeouts.pending, Duration::from_secs(600));
    }

    #[test]
    fn oom_is_recognised_from_the_container_status() {
        let oom = pod(
            serde_json::json!({"status": {"phase": "Failed", "containerStatuses": [terminated(137, "OOMKilled")]}}),
        );
        let plain = pod(
            serde_json::json!({"status": {"phase": "Failed", "containerStatuses": [terminated(1, "Error")]}}),
        );
        assert!(was_oom_killed(&oom));
        assert!(!was_oom_killed(&plain));
    }
}
