//! ProwJobs for deck's browser tests and benchmark, created the way Prow's components create
//! them: `create` through the API server, then the status through the `/status` subresource.

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};
use kube::Api;
use kube::api::{Patch, PatchParams, PostParams};
use prow_api::{ProwJob, ProwJobSpec, ProwJobState, ProwJobType, Pull, Refs};
use serde_json::json;

/// What a test needs to say about one run; everything else gets Prow's usual values.
#[derive(Clone, Debug)]
pub struct RunFixture {
    /// The ProwJob's name (Prow uses a UUID).
    pub name: String,
    /// The job's name.
    pub job: String,
    /// presubmit, postsubmit, periodic or batch.
    pub job_type: ProwJobType,
    /// `org/repo` under test (none for a periodic without refs).
    pub org_repo: Option<(String, String)>,
    /// The pull request: number, author, title.
    pub pull: Option<(u64, String, String)>,
    /// The state written to the status.
    pub state: ProwJobState,
    /// When the run started.
    pub started: Timestamp,
    /// How long it ran (completed states only).
    pub duration: SignedDuration,
    /// The build ID (also the storage path's last element).
    pub build_id: String,
    /// `spec.hidden`.
    pub hidden: bool,
    /// `spec.decoration_config.gcs_configuration.bucket`, when set.
    pub bucket: Option<String>,
}

impl RunFixture {
    /// A presubmit of `org/repo#pull` by `author`.
    pub fn presubmit(
        name: &str,
        job: &str,
        org: &str,
        repo: &str,
        pull: u64,
        author: &str,
    ) -> Self {
        RunFixture {
            name: name.to_owned(),
            job: job.to_owned(),
            job_type: ProwJobType::Presubmit,
            org_repo: Some((org.to_owned(), repo.to_owned())),
            pull: Some((pull, author.to_owned(), format!("Change number {pull}"))),
            state: ProwJobState::Success,
            started: Timestamp::now() - SignedDuration::from_mins(10),
            duration: SignedDuration::from_secs(312),
            build_id: String::new(),
            hidden: false,
            bucket: None,
        }
    }

    /// A periodic without refs.
    pub fn periodic(name: &str, job: &str) -> Self {
        RunFixture {
            job_type: ProwJobType::Periodic,
            org_repo: None,
            pull: None,
            ..RunFixture::presubmit(name, job, "", "", 0, "")
        }
    }

    /// A postsubmit on `org/repo`'s main branch.
    pub fn postsubmit(name: &str, job: &str, org: &str, repo: &str) -> Self {
        RunFixture {
            job_type: ProwJobType::Postsubmit,
            pull: None,
            ..RunFixture::presubmit(name, job, org, repo, 0, "")
        }
    }

    /// The ProwJob object (labels as Prow sets them) without status.
    pub fn prowjob(&self) -> ProwJob {
        let mut spec = ProwJobSpec::new(self.job_type, self.job.clone());
        spec.context = self.job.clone();
        spec.report = true;
        spec.hidden = self.hidden;
        spec.refs = self.org_repo.as_ref().map(|(org, repo)| Refs {
            org: org.clone(),
            repo: repo.clone(),
            repo_link: format!("https://github.com/{org}/{repo}"),
            base_ref: "main".into(),
            base_sha: "5a1d0c5e2b7f4e3a9c8b1d6f0e2a4c6b8d0f1e3a".into(),
            base_link: format!(
                "https://github.com/{org}/{repo}/commit/5a1d0c5e2b7f4e3a9c8b1d6f0e2a4c6b8d0f1e3a"
            ),
            pulls: self
                .pull
                .iter()
                .map(|(number, author, title)| Pull {
                    number: *number,
                    author: author.clone(),
                    sha: "9f8e7d6c5b4a39281706f5e4d3c2b1a098765432".into(),
                    title: title.clone(),
                    link: format!("https://github.com/{org}/{repo}/pull/{number}"),
                    author_link: format!("https://github.com/{author}"),
                    ..Pull::default()
                })
                .collect(),
            ..Refs::default()
        });
        if let Some(bucket) = &self.bucket {
            spec.decoration_config = Some(
                serde_json::from_value(json!({
                    "gcs_configuration": {"bucket": bucket, "path_strategy": "explicit"}
                }))
                .unwrap_or_else(|e| panic!("decoration config fixture: {e}")),
            );
        }
        let mut extra_labels = BTreeMap::new();
        extra_labels.insert(
            prow_api::labels::PROW_BUILD_ID.to_owned(),
            self.build_id.clone(),
        );
        ProwJob::from_spec(
            &self.name,
            spec,
            &extra_labels,
            &BTreeMap::new(),
            k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(self.started),
            self.state,
        )
    }

    /// The status, as a merge patch for `/status`.
    pub fn status_patch(&self) -> serde_json::Value {
        let mut status = json!({
            "state": self.state.as_str(),
            "startTime": self.started.to_string(),
            "build_id": self.build_id,
            "description": description(self.state),
        });
        if !matches!(
            self.state,
            ProwJobState::Triggered | ProwJobState::Scheduling
        ) {
            status["pod_name"] = json!(self.name);
            status["pendingTime"] = json!(self.started.to_string());
        }
        if self.state.is_complete() {
            status["completionTime"] = json!((self.started + self.duration).to_string());
        }
        json!({ "status": status })
    }

    /// Where Prow's pod utilities put this run's files in its bucket (`explicit` strategy):
    /// `pr-logs/pull/<org>_<repo>/<pr>/<job>/<build>` or `logs/<job>/<build>`.
    pub fn storage_path(&self) -> String {
        match (&self.org_repo, &self.pull, self.job_type) {
            (Some((org, repo)), Some((number, _, _)), ProwJobType::Presubmit) => format!(
                "pr-logs/pull/{org}_{repo}/{number}/{}/{}",
                self.job, self.build_id
            ),
            _ => format!("logs/{}/{}", self.job, self.build_id),
        }
    }

    /// Creates the ProwJob, then writes its status through `/status`.
    pub async fn create(&self, api: &Api<ProwJob>) -> Result<(), kube::Error> {
        api.create(&PostParams::default(), &self.prowjob()).await?;
        api.patch_status(
            &self.name,
            &PatchParams::default(),
            &Patch::Merge(&self.status_patch()),
        )
        .await?;
        Ok(())
    }
}

fn description(state: ProwJobState) -> &'static str {
    match state {
        ProwJobState::Success => "Job succeeded.",
        ProwJobState::Failure => "Job failed.",
        ProwJobState::Error => "Job errored.",
        ProwJobState::Aborted => "Job aborted.",
        ProwJobState::Pending => "Job is running.",
        _ => "Job triggered.",
    }
}
