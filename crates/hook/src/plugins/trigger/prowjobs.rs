//! Writing ProwJobs: deterministic names, the refs of a PR or a push, create-then-`/status`,
//! and aborting a PR's running presubmits.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;
use kube::Api;
use kube::api::{ListParams, Patch, PatchParams, PostParams};
use prow_api::{ProwJob, ProwJobSpec, ProwJobState, Pull, Refs, field_manager, labels};
use prow_github::types::PullRequest;
use prow_github::webhook::events::PushEvent;
use serde_json::json;
use sha1::{Digest, Sha1};

/// Description Prow writes on jobs it aborts.
pub const ABORTED_DESCRIPTION: &str = "Aborted by trigger plugin.";

/// A fixed namespace for [`prowjob_name`] (a random UUID chosen once for prow-rs hook).
const NAME_NAMESPACE: [u8; 16] = [
    0x6f, 0x2b, 0x1c, 0x3e, 0x94, 0x57, 0x4d, 0x0a, 0xb1, 0x8e, 0x21, 0xc4, 0x5f, 0x73, 0x9a, 0x0d,
];

/// The ProwJob name for `job` started by delivery `delivery_id`: a UUID v5 (SHA-1 of a fixed
/// namespace, the delivery id and the job name), so a redelivered event — on any replica —
/// names the same objects and the second create finds them already there.
pub fn prowjob_name(delivery_id: &str, job: &str) -> String {
    let mut hasher = Sha1::new();
    hasher.update(NAME_NAMESPACE);
    hasher.update(delivery_id.as_bytes());
    hasher.update([0]);
    hasher.update(job.as_bytes());
    let digest = hasher.finalize();
    let mut bytes = [0_u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    bytes[6] = (bytes[6] & 0x0f) | 0x50;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// The account URL for `login` on the host of `repo_link` (`https://github.com/org/repo`).
fn user_link(repo_link: &str, login: &str) -> String {
    let host = repo_link
        .rsplitn(3, '/')
        .nth(2)
        .filter(|h| h.starts_with("http"))
        .unwrap_or("https://github.com");
    format!("{host}/{login}")
}

/// The refs of a presubmit for `pr` tested on `base_sha` (Prow's `createRefs`).
pub fn pull_request_refs(org: &str, repo: &str, pr: &PullRequest, base_sha: &str) -> Refs {
    let repo_link = pr
        .base
        .repo
        .as_ref()
        .map(|r| r.html_url.clone())
        .filter(|l| !l.is_empty())
        .unwrap_or_else(|| format!("https://github.com/{org}/{repo}"));
    Refs {
        org: org.to_string(),
        repo: repo.to_string(),
        base_ref: pr.base.git_ref.clone(),
        base_sha: base_sha.to_string(),
        base_link: format!("{repo_link}/commit/{base_sha}"),
        pulls: vec![Pull {
            number: pr.number,
            author: pr.user.login.clone(),
            sha: pr.head.sha.clone(),
            title: pr.title.clone(),
            head_ref: pr.head.git_ref.clone(),
            link: pr.html_url.clone(),
            commit_link: format!("{repo_link}/pull/{}/commits/{}", pr.number, pr.head.sha),
            author_link: user_link(&repo_link, &pr.user.login),
            ..Pull::default()
        }],
        repo_link,
        ..Refs::default()
    }
}

/// The branch or tag a push updated (Prow's `PushEvent.Branch`: `refs/heads/` and
/// `refs/tags/` stripped).
pub fn pushed_ref_name(git_ref: &str) -> &str {
    let name = git_ref.strip_prefix("refs/heads/").unwrap_or(git_ref);
    name.strip_prefix("refs/tags/").unwrap_or(name)
}

/// The refs of a postsubmit for a push (Prow's push `createRefs`).
pub fn push_refs(push: &PushEvent) -> Refs {
    Refs {
        org: push.repository.owner.login.clone(),
        repo: push.repository.name.clone(),
        repo_link: push.repository.html_url.clone(),
        base_ref: pushed_ref_name(&push.git_ref).to_string(),
        base_sha: push.after.clone(),
        base_link: push.compare.clone(),
        ..Refs::default()
    }
}

/// Every file a push changed (added, removed or modified in any pushed commit).
pub fn push_changed_files(push: &PushEvent) -> Vec<String> {
    let mut files: Vec<String> = push
        .commits
        .iter()
        .flat_map(|c| c.added.iter().chain(&c.removed).chain(&c.modified))
        .cloned()
        .collect();
    files.sort();
    files.dedup();
    files
}

/// Where and how trigger writes ProwJobs.
pub struct ProwJobWriter<'a> {
    /// The ProwJob API in `prowjob_namespace`.
    pub api: Api<ProwJob>,
    /// Log and write nothing.
    pub dry_run: bool,
    /// `X-GitHub-Delivery` of the event.
    pub delivery_id: &'a str,
}

/// Why a ProwJob write failed.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// Creating the ProwJob failed.
    #[error("create ProwJob {name} for job {job}: {source}")]
    Create {
        /// ProwJob name.
        name: String,
        /// Job name.
        job: String,
        /// API error.
        source: kube::Error,
    },
    /// Writing `/status` failed.
    #[error("patch status of ProwJob {name}: {source}")]
    PatchStatus {
        /// ProwJob name.
        name: String,
        /// API error.
        source: kube::Error,
    },
    /// Listing a PR's ProwJobs failed.
    #[error("list ProwJobs of {org}/{repo}#{number}: {source}")]
    List {
        /// Org.
        org: String,
        /// Repo.
        repo: String,
        /// PR number.
        number: u64,
        /// API error.
        source: kube::Error,
    },
}

/// Attempts of a create before giving up (Prow's `createWithRetry` retries too: the name is
/// deterministic, so a create that succeeded behind an error comes back as AlreadyExists).
const CREATE_ATTEMPTS: u32 = 4;

/// Whether a failed write may succeed when repeated: transport errors, 429 and 5xx.
fn is_transient(error: &kube::Error) -> bool {
    match error {
        kube::Error::Api(status) => status.code == 429 || status.code >= 500,
        kube::Error::HyperError(_) | kube::Error::Service(_) => true,
        _ => false,
    }
}

async fn create_with_retry(
    api: &Api<ProwJob>,
    params: &PostParams,
    prowjob: &ProwJob,
) -> Result<(), kube::Error> {
    let mut delay = std::time::Duration::from_millis(100);
    let mut attempt = 1;
    loop {
        match api.create(params, prowjob).await {
            Ok(_) => return Ok(()),
            Err(e) if attempt < CREATE_ATTEMPTS && is_transient(&e) => {
                tracing::warn!(error = %e, attempt, "create ProwJob failed, retrying");
                tokio::time::sleep(delay).await;
                delay *= 2;
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

impl ProwJobWriter<'_> {
    /// Creates the ProwJob for `spec` (named by delivery and job), then writes its status
    /// (`triggered`, `startTime`) through `/status`. Already existing (a redelivery) is success;
    /// its status is written only if it has none yet.
    ///
    /// # Errors
    /// The create or the status patch failed.
    pub async fn create(
        &self,
        spec: ProwJobSpec,
        extra_labels: &BTreeMap<String, String>,
        annotations: &BTreeMap<String, String>,
    ) -> Result<String, WriteError> {
        let job = spec.job.clone();
        let name = prowjob_name(self.delivery_id, &job);
        let mut labels = extra_labels.clone();
        labels.insert(labels::EVENT_GUID.to_string(), self.delivery_id.to_string());
        let now = Time(Timestamp::now());
        let mut prowjob = ProwJob::from_spec(
            &name,
            spec,
            &labels,
            annotations,
            now.clone(),
            ProwJobState::Triggered,
        );
        if self.dry_run {
            tracing::info!(prowjob = %name, job = %job, "dry run: would create ProwJob");
            return Ok(name);
        }
        let status = prowjob.status.take();
        let params = PostParams {
            field_manager: Some(field_manager::HOOK.to_string()),
            ..PostParams::default()
        };
        let needs_status = match create_with_retry(&self.api, &params, &prowjob).await {
            Ok(()) => true,
            Err(kube::Error::Api(e)) if e.is_already_exists() => {
                let existing = self
                    .api
                    .get(&name)
                    .await
                    .map_err(|source| WriteError::Create {
                        name: name.clone(),
                        job: job.clone(),
                        source,
                    })?;
                existing.status.is_none()
            }
            Err(source) => {
                return Err(WriteError::Create { name, job, source });
            }
        };
        if needs_status {
            let patch = Patch::Merge(json!({ "status": status }));
            let params = PatchParams {
                field_manager: Some(field_manager::HOOK.to_string()),
                ..PatchParams::default()
            };
            self.api
                .patch_status(&name, &params, &patch)
                .await
                .map_err(|source| WriteError::PatchStatus {
                    name: name.clone(),
                    source,
                })?;
        }
        tracing::info!(prowjob = %name, job = %job, "created ProwJob");
        Ok(name)
    }

    /// Aborts the incomplete presubmits of PR `org/repo#number` (Prow's `abortAllJobs`): state
    /// `aborted` through `/status`, guarded by the resource version so a concurrent change by
    /// the job's controller wins. Jobs started by this same delivery are left alone, so a
    /// redelivered `synchronize` does not abort what its first delivery started.
    ///
    /// # Errors
    /// Listing failed, or a status patch failed with something other than a conflict.
    pub async fn abort_pull_request_jobs(
        &self,
        org: &str,
        repo: &str,
        number: u64,
    ) -> Result<Vec<String>, WriteError> {
        let selector = format!(
            "{}={org},{}={repo},{}={number},{}=presubmit",
            labels::REFS_ORG,
            labels::REFS_REPO,
            labels::REFS_PULL,
            labels::PROW_JOB_TYPE
        );
        let jobs = self
            .api
            .list(&ListParams::default().labels(&selector))
            .await
            .map_err(|source| WriteError::List {
                org: org.to_string(),
                repo: repo.to_string(),
                number,
                source,
            })?;
        let mut aborted = Vec::new();
        for job in jobs {
            let name = job.metadata.name.clone().unwrap_or_default();
            let same_delivery = job
                .metadata
                .labels
                .as_ref()
                .and_then(|l| l.get(labels::EVENT_GUID))
                .is_some_and(|guid| guid == self.delivery_id);
            if job.is_complete() || same_delivery || job.state() == Some(ProwJobState::Aborted) {
                continue;
            }
            if self.dry_run {
                tracing::info!(prowjob = %name, "dry run: would abort ProwJob");
                aborted.push(name);
                continue;
            }
            let patch = Patch::Merge(json!({
                "metadata": { "resourceVersion": job.metadata.resource_version },
                "status": {
                    "state": ProwJobState::Aborted,
                    "description": ABORTED_DESCRIPTION,
                    "startTime": job.status.as_ref().and_then(|s| s.start_time.clone())
                        .unwrap_or_else(|| Time(Timestamp::now())),
                },
            }));
            let params = PatchParams {
                field_manager: Some(field_manager::HOOK.to_string()),
                ..PatchParams::default()
            };
            match self.api.patch_status(&name, &params, &patch).await {
                Ok(_) => {
                    tracing::info!(prowjob = %name, "aborted ProwJob");
                    aborted.push(name);
                }
                Err(kube::Error::Api(e)) if e.is_conflict() || e.is_not_found() => {}
                Err(source) => return Err(WriteError::PatchStatus { name, source }),
            }
        }
        Ok(aborted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_deterministic_dns_names() {
        let a = prowjob_name("72d3162e-cc78-11e3-81ab-4c9367dc0958", "pull-unit");
        assert_eq!(
            a,
            prowjob_name("72d3162e-cc78-11e3-81ab-4c9367dc0958", "pull-unit")
        );
        assert_ne!(
            a,
            prowjob_name("72d3162e-cc78-11e3-81ab-4c9367dc0958", "pull-lint")
        );
        assert_ne!(a, prowjob_name("another-delivery", "pull-unit"));
        // No ambiguity between the two parts.
        assert_ne!(prowjob_name("ab", "c"), prowjob_name("a", "bc"));
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "5", "UUID version 5: {a}");
        assert!(a.chars().all(|c| c.is_ascii_hexdigit() || c == '-'), "{a}");
    }

    #[test]
    fn pushed_refs() {
        let cases = [
            ("refs/heads/main", "main"),
            ("refs/heads/release/1.0", "release/1.0"),
            ("refs/tags/v1.2.3", "v1.2.3"),
            ("main", "main"),
        ];
        for (git_ref, want) in cases {
            assert_eq!(pushed_ref_name(git_ref), want);
        }
    }

    #[test]
    fn author_links_follow_the_repository_host() {
        assert_eq!(
            user_link("https://github.com/o/r", "alice"),
            "https://github.com/alice"
        );
        assert_eq!(
            user_link("https://ghe.example.com/o/r", "bob"),
            "https://ghe.example.com/bob"
        );
        assert_eq!(user_link("", "carol"), "https://github.com/carol");
    }
}
