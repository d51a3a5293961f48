//! The compact form of one ProwJob that deck lists, filters and renders, plus the ProwJob
//! itself as JSON (managedFields stripped) for `/prowjobs.js` and the job page.

use jiff::Timestamp;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use prow_api::{ProwJob, ProwJobState, ProwJobType};
use serde::Serialize;

/// One pull request of a run, as shown in the list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PullRecord {
    /// PR number.
    pub number: u64,
    /// PR author login.
    pub author: String,
    /// Head commit SHA.
    pub sha: String,
    /// PR title (untrusted text).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub title: String,
    /// Link to the PR.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub link: String,
    /// Link to the head commit.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub commit_link: String,
    /// Link to the author.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub author_link: String,
}

/// What the list, the filters, the history pages and the badge need of one ProwJob.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct JobRecord {
    /// The ProwJob's name (also its Pod's name).
    pub name: String,
    /// The job's name (`spec.job`).
    pub job: String,
    /// Presubmit, postsubmit, periodic or batch.
    #[serde(rename = "type")]
    pub job_type: ProwJobType,
    /// The state; `triggered` while the ProwJob has no status yet.
    pub state: ProwJobState,
    /// Org of the main refs (empty for periodics without refs).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub org: String,
    /// Repo of the main refs.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub repo: String,
    /// Link to the repository.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub repo_link: String,
    /// Base branch.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub base_ref: String,
    /// Base commit.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub base_sha: String,
    /// Link to the base commit.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub base_link: String,
    /// Pull requests under test.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pulls: Vec<PullRecord>,
    /// `org/repo` of every extra ref (for `hidden_repos`).
    #[serde(skip)]
    pub extra_repos: Vec<(String, String)>,
    /// Build cluster alias.
    pub cluster: String,
    /// Namespace of the Pod.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub pod_namespace: String,
    /// Status context.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub context: String,
    /// Status description.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// `status.url` (the link reported to GitHub).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub url: String,
    /// Build ID.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub build_id: String,
    /// Pod name.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub pod_name: String,
    /// When the ProwJob was created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<Timestamp>,
    /// When the run started (`status.startTime`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started: Option<Timestamp>,
    /// When its Pod started running.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending: Option<Timestamp>,
    /// When it finished.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completed: Option<Timestamp>,
    /// `spec.hidden`.
    #[serde(skip)]
    pub hidden: bool,
}

fn timestamp(time: Option<&Time>) -> Option<Timestamp> {
    time.map(|t| t.0)
}

impl JobRecord {
    /// The record of `job`.
    pub fn of(job: &ProwJob) -> Self {
        let spec = &job.spec;
        let status = job.status.as_ref();
        let main = spec.refs.as_ref();
        let text =
            |f: fn(&prow_api::Refs) -> &String| main.map(|r| f(r).clone()).unwrap_or_default();
        JobRecord {
            name: job.metadata.name.clone().unwrap_or_default(),
            job: spec.job.clone(),
            job_type: spec.job_type,
            state: job.state().unwrap_or(ProwJobState::Triggered),
            org: text(|r| &r.org),
            repo: text(|r| &r.repo),
            repo_link: text(|r| &r.repo_link),
            base_ref: text(|r| &r.base_ref),
            base_sha: text(|r| &r.base_sha),
            base_link: text(|r| &r.base_link),
            pulls: main
                .map(|r| {
                    r.pulls
                        .iter()
                        .map(|p| PullRecord {
                            number: p.number,
                            author: p.author.clone(),
                            sha: p.sha.clone(),
                            title: p.title.clone(),
                            link: p.link.clone(),
                            commit_link: p.commit_link.clone(),
                            author_link: p.author_link.clone(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            extra_repos: spec
                .extra_refs
                .iter()
                .map(|r| (r.org.clone(), r.repo.clone()))
                .collect(),
            cluster: spec.cluster_alias().to_string(),
            pod_namespace: spec.namespace.clone(),
            context: spec.context.clone(),
            description: status.map(|s| s.description.clone()).unwrap_or_default(),
            url: status.map(|s| s.url.clone()).unwrap_or_default(),
            build_id: status.map(|s| s.build_id.clone()).unwrap_or_default(),
            pod_name: status.map(|s| s.pod_name.clone()).unwrap_or_default(),
            created: timestamp(job.metadata.creation_timestamp.as_ref()),
            started: status.and_then(|s| timestamp(s.start_time.as_ref())),
            pending: status.and_then(|s| timestamp(s.pending_time.as_ref())),
            completed: status.and_then(|s| timestamp(s.completion_time.as_ref())),
            hidden: spec.hidden,
        }
    }

    /// When the run started, or when the ProwJob was created if it has not started.
    pub fn start_or_created(&self) -> Option<Timestamp> {
        self.started.or(self.created)
    }

    /// `org/repo` of the main refs, empty without refs.
    pub fn org_repo(&self) -> String {
        if self.org.is_empty() {
            String::new()
        } else {
            format!("{}/{}", self.org, self.repo)
        }
    }

    /// How long the run took (until now while it runs).
    pub fn duration(&self, now: Timestamp) -> Option<jiff::SignedDuration> {
        let start = self.started?;
        let end = self.completed.unwrap_or(now);
        Some(end.duration_since(start))
    }

    /// The head SHA of the first pull, else the base SHA.
    pub fn head_sha(&self) -> &str {
        self.pulls
            .first()
            .map_or(self.base_sha.as_str(), |p| p.sha.as_str())
    }
}

/// One cached ProwJob: its record and its JSON (managedFields stripped).
#[derive(Debug)]
pub struct CachedJob {
    /// The compact record.
    pub record: JobRecord,
    /// The ProwJob as JSON, for `/prowjobs.js` and the job page.
    pub json: Box<[u8]>,
}

impl CachedJob {
    /// Caches `job`, dropping its managedFields.
    pub fn new(mut job: ProwJob) -> Self {
        job.metadata.managed_fields = None;
        let record = JobRecord::of(&job);
        // serialising a typed ProwJob cannot fail (string keys, no non-finite floats)
        let json = serde_json::to_vec(&job)
            .unwrap_or_default()
            .into_boxed_slice();
        CachedJob { record, json }
    }

    /// The ProwJob, parsed back from its JSON.
    pub fn prowjob(&self) -> Option<ProwJob> {
        serde_json::from_slice(&self.json).ok()
    }
}
