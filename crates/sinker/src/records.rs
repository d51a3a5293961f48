//! What sinker keeps of a listed ProwJob or Pod: the few fields its rules read. A listed
//! object is converted page by page, so 20,000 ProwJobs cost a few MB instead of the
//! full objects (a `ProwJob` value alone is over 4 KB before any heap data).

use jiff::Timestamp;
use k8s_openapi::api::core::v1::Pod;
use prow_api::labels::{CREATED_BY_PROW, PROW_JOB_ID};
use prow_api::{ProwJob, ProwJobType};

/// A ProwJob as the cleanup rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRecord {
    /// `metadata.name`.
    pub name: String,
    /// `spec.job`.
    pub job: String,
    /// `spec.type`.
    pub job_type: ProwJobType,
    /// `metadata.creationTimestamp`.
    pub created: Option<Timestamp>,
    /// `status.startTime`.
    pub started: Option<Timestamp>,
    /// `status.completionTime` (set once the job finished).
    pub completed: Option<Timestamp>,
    /// `metadata.deletionTimestamp` is set.
    pub deleting: bool,
}

impl From<&ProwJob> for JobRecord {
    fn from(job: &ProwJob) -> Self {
        let status = job.status.as_ref();
        JobRecord {
            name: job.metadata.name.clone().unwrap_or_default(),
            job: job.spec.job.clone(),
            job_type: job.spec.job_type,
            created: job.metadata.creation_timestamp.as_ref().map(|t| t.0),
            started: status.and_then(|s| s.start_time.as_ref()).map(|t| t.0),
            completed: status.and_then(|s| s.completion_time.as_ref()).map(|t| t.0),
            deleting: job.metadata.deletion_timestamp.is_some(),
        }
    }
}

/// A Pod as the cleanup rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodRecord {
    /// `metadata.name`.
    pub name: String,
    /// The ProwJob it belongs to: its `prow.k8s.io/id` label, else its name.
    pub prowjob: String,
    /// It carries `created-by-prow=true`.
    pub created_by_prow: bool,
    /// `metadata.creationTimestamp`.
    pub created: Option<Timestamp>,
    /// `status.startTime`.
    pub started: Option<Timestamp>,
    /// `metadata.deletionTimestamp` is set.
    pub deleting: bool,
}

impl From<&Pod> for PodRecord {
    fn from(pod: &Pod) -> Self {
        let labels = pod.metadata.labels.as_ref();
        let name = pod.metadata.name.clone().unwrap_or_default();
        PodRecord {
            prowjob: labels
                .and_then(|l| l.get(PROW_JOB_ID))
                .cloned()
                .unwrap_or_else(|| name.clone()),
            name,
            created_by_prow: labels
                .and_then(|l| l.get(CREATED_BY_PROW))
                .is_some_and(|v| v == "true"),
            created: pod.metadata.creation_timestamp.as_ref().map(|t| t.0),
            started: pod
                .status
                .as_ref()
                .and_then(|s| s.start_time.as_ref())
                .map(|t| t.0),
            deleting: pod.metadata.deletion_timestamp.is_some(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_keep_what_the_rules_read() {
        let job: ProwJob = serde_json::from_value(serde_json::json!({
            "apiVersion": "prow.k8s.io/v1", "kind": "ProwJob",
            "metadata": {
                "name": "a", "creationTimestamp": "2026-11-26T09:59:59Z",
                "managedFields": [{"manager": "horologium", "operation": "Update"}]
            },
            "spec": {
                "type": "periodic", "job": "ci-x",
                "pod_spec": {"containers": [{"name": "test", "image": "busybox"}]}
            },
            "status": {
                "state": "success", "startTime": "2026-11-26T10:00:00Z",
                "completionTime": "2026-11-26T10:05:00Z"
            }
        }))
        .expect("prowjob");
        let ts = |s: &str| Some(s.parse::<Timestamp>().expect("timestamp"));
        assert_eq!(
            JobRecord::from(&job),
            JobRecord {
                name: "a".into(),
                job: "ci-x".into(),
                job_type: ProwJobType::Periodic,
                created: ts("2026-11-26T09:59:59Z"),
                started: ts("2026-11-26T10:00:00Z"),
                completed: ts("2026-11-26T10:05:00Z"),
                deleting: false,
            }
        );
        let pod: Pod = serde_json::from_value(serde_json::json!({
            "metadata": {
                "name": "a", "labels": {"created-by-prow": "true", "prow.k8s.io/id": "b"},
                "creationTimestamp": "2026-11-26T10:00:00Z",
                "deletionTimestamp": "2026-11-26T11:00:00Z"
            },
            "spec": {"containers": [{"name": "test", "image": "busybox"}]},
            "status": {"phase": "Succeeded", "startTime": "2026-11-26T10:00:01Z"}
        }))
        .expect("pod");
        assert_eq!(
            PodRecord::from(&pod),
            PodRecord {
                name: "a".into(),
                prowjob: "b".into(),
                created_by_prow: true,
                created: ts("2026-11-26T10:00:00Z"),
                started: ts("2026-11-26T10:00:01Z"),
                deleting: true,
            }
        );
        let foreign: Pod = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "c", "labels": {"created-by-prow": "false"}}
        }))
        .expect("pod");
        let foreign = PodRecord::from(&foreign);
        assert!(!foreign.created_by_prow);
        assert_eq!(foreign.prowjob, "c");
    }
}
