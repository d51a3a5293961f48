//! Reporting one ProwJob to GitHub (Prow's `pkg/crier/reporters/github`): the commit status
//! or check run, then the PR's summary comment under a per-PR lock (workers reporting jobs of
//! the same PR would otherwise race on the comment).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use prow_api::{ProwJob, ProwJobState, ProwJobType};
use prow_github::GitHub;
use tokio::sync::OnceCell;

use crate::Error;
use crate::selection::ReporterSettings;
use crate::status::{CommitTarget, check_run, commit_status, commit_target};
use crate::summary_comment::{
    CommentWrite, ExistingComment, JobResult, plan_comment, summary_jobs,
};

/// A pull request: org, repo, number.
type PullKey = (String, String, u64);

/// Reports ProwJobs to GitHub. Cheap to share (`Arc`); safe to use from many workers.
pub struct GitHubReporter {
    github: Arc<dyn GitHub>,
    bot_login: OnceCell<String>,
    pull_locks: Mutex<HashMap<PullKey, Arc<tokio::sync::Mutex<()>>>>,
    /// Status (or check run) already sent for a ProwJob uid in this state, while its comment
    /// or the recording of `prev_report_states` is still to succeed: a retry does not send
    /// it again.
    sent: Mutex<HashMap<String, ProwJobState>>,
    /// The check run created for a ProwJob uid that has not finished: its later states
    /// update that run. Forgotten once the job finishes (or crier restarts: then a new run
    /// is created, and GitHub shows the newest run of a name).
    check_runs: Mutex<HashMap<String, u64>>,
}

impl std::fmt::Debug for GitHubReporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitHubReporter")
            .field("bot_login", &self.bot_login.get())
            .finish_non_exhaustive()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // the maps stay consistent even if a holder panicked
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// GitHub errors that retrying cannot fix and Prow swallows: the commit is gone (force push)
/// or the context has too many statuses.
fn is_unrecoverable(error: &prow_github::Error) -> bool {
    match error {
        prow_github::Error::Api {
            status, message, ..
        } => {
            *status == 404
                || message.contains("No commit found for SHA")
                || message.contains("reached the maximum number of statuses")
        }
        _ => false,
    }
}

impl GitHubReporter {
    /// A reporter writing through `github`.
    pub fn new(github: Arc<dyn GitHub>) -> Self {
        GitHubReporter {
            github,
            bot_login: OnceCell::new(),
            pull_locks: Mutex::new(HashMap::new()),
            sent: Mutex::new(HashMap::new()),
            check_runs: Mutex::new(HashMap::new()),
        }
    }

    /// Reports `job` in its current state: the status or check run, then (presubmits of one
    /// PR, unless the repo is in `no_comment_repos`) the summary comment. `all_jobs` gives the
    /// ProwJobs known to the watch cache, read only for `summary_comment_repos`.
    ///
    /// # Errors
    /// A GitHub call failed (after the client's own retries); the caller retries later, and
    /// a status already sent is not sent again.
    pub async fn report(
        &self,
        job: &ProwJob,
        settings: &ReporterSettings,
        all_jobs: impl FnOnce() -> Vec<Arc<ProwJob>>,
    ) -> Result<(), Error> {
        let (Some(target), Some(status)) = (commit_target(job), job.status.as_ref()) else {
            // no single commit to report on (batch jobs): nothing to do, as in Prow
            return Ok(());
        };
        let uid = job.metadata.uid.clone().unwrap_or_default();
        let already_sent = lock(&self.sent).get(&uid) == Some(&status.state);
        if !already_sent {
            self.send_status(job, settings, &target).await?;
            lock(&self.sent).insert(uid.clone(), status.state);
        }
        if job.spec.job_type == ProwJobType::Presubmit
            && !settings.no_comment(&target.org, &target.repo)
        {
            self.update_comment(job, settings, all_jobs).await?;
        }
        Ok(())
    }

    /// Forgets what [`GitHubReporter::report`] sent for the job with `uid` (call once its
    /// report is recorded in `prev_report_states`).
    pub fn forget(&self, uid: &str) {
        lock(&self.sent).remove(uid);
    }

    async fn send_status(
        &self,
        job: &ProwJob,
        settings: &ReporterSettings,
        target: &CommitTarget,
    ) -> Result<(), Error> {
        let CommitTarget { org, repo, sha } = target;
        let context = job.spec.context.clone();
        let result = if settings.check_runs(org, repo) {
            let Some(request) = check_run(job, sha) else {
                return Ok(());
            };
            let uid = job.metadata.uid.clone().unwrap_or_default();
            let existing = lock(&self.check_runs).get(&uid).copied();
            let written = match existing {
                Some(id) => self.github.update_check_run(org, repo, id, &request).await,
                None => self.github.create_check_run(org, repo, &request).await,
            };
            written
                .map(|run| {
                    let mut runs = lock(&self.check_runs);
                    if request.status.as_deref() == Some("completed") {
                        runs.remove(&uid);
                    } else {
                        runs.insert(uid, run.id);
                    }
                })
                .map_err(|source| (source, true))
        } else {
            let Some(status) = commit_status(job) else {
                return Ok(());
            };
            self.github
                .create_status(org, repo, sha, &status)
                .await
                .map_err(|source| (source, false))
        };
        match result {
            Ok(()) => Ok(()),
            Err((source, _)) if is_unrecoverable(&source) => {
                tracing::info!(error = %source, prowjob = ?job.metadata.name, "commit gone or too many statuses; not retrying");
                Ok(())
            }
            Err((source, true)) => Err(Error::CreateCheckRun {
                org: org.clone(),
                repo: repo.clone(),
                sha: sha.clone(),
                context,
                source,
            }),
            Err((source, false)) => Err(Error::CreateStatus {
                org: org.clone(),
                repo: repo.clone(),
                sha: sha.clone(),
                context,
                source,
            }),
        }
    }

    fn pull_lock(&self, key: PullKey) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = lock(&self.pull_locks);
        // drop the locks nobody holds or waits for
        locks.retain(|_, lock| Arc::strong_count(lock) > 1);
        Arc::clone(locks.entry(key).or_default())
    }

    async fn bot_login(&self) -> Result<&str, Error> {
        self.bot_login
            .get_or_try_init(|| async {
                self.github
                    .get_user()
                    .await
                    .map(|user| user.login)
                    .map_err(Error::GetBotUser)
            })
            .await
            .map(String::as_str)
    }

    async fn update_comment(
        &self,
        job: &ProwJob,
        settings: &ReporterSettings,
        all_jobs: impl FnOnce() -> Vec<Arc<ProwJob>>,
    ) -> Result<(), Error> {
        let Some(refs) = job.spec.refs.as_ref() else {
            return Ok(());
        };
        let [pull] = refs.pulls.as_slice() else {
            return Ok(());
        };
        let (org, repo, number) = (refs.org.clone(), refs.repo.clone(), pull.number);
        let pull_lock = self.pull_lock((org.clone(), repo.clone(), number));
        let _held = pull_lock.lock().await;
        let must_create = settings.summary_comment(&org, &repo);
        let jobs: Vec<ProwJob> = if must_create {
            summary_jobs(&all_jobs(), job)
        } else {
            vec![job.clone()]
        };
        let results: Vec<JobResult> = jobs
            .iter()
            .filter(|candidate| settings.should_report(candidate) && candidate.is_complete())
            .filter_map(JobResult::of)
            .collect();
        if results.is_empty() {
            return Ok(());
        }
        let comments = self
            .github
            .list_issue_comments(&org, &repo, number)
            .await
            .map_err(|source| Error::ListComments {
                org: org.clone(),
                repo: repo.clone(),
                number,
                source,
            })?;
        let existing: Vec<ExistingComment> = comments
            .into_iter()
            .map(|comment| ExistingComment {
                id: comment.id,
                login: comment.user.login,
                body: comment.body,
            })
            .collect();
        let bot = self.bot_login().await?.to_string();
        let plan = plan_comment(&results, &existing, &bot, must_create);
        let failed = |operation: &'static str| {
            let (org, repo) = (org.clone(), repo.clone());
            move |source| Error::WriteComment {
                operation,
                org,
                repo,
                number,
                source,
            }
        };
        for id in plan.delete {
            self.github
                .delete_issue_comment(&org, &repo, id)
                .await
                .map_err(failed("delete"))?;
        }
        match plan.write {
            None => {}
            Some(CommentWrite::Create(body)) => {
                self.github
                    .create_issue_comment(&org, &repo, number, &body)
                    .await
                    .map_err(failed("create"))?;
            }
            Some(CommentWrite::Edit { id, body }) => {
                self.github
                    .edit_issue_comment(&org, &repo, id, &body)
                    .await
                    .map_err(failed("edit"))?;
            }
        }
        Ok(())
    }
}
