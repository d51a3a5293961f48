//! The `trigger` plugin (Prow's `pkg/plugins/trigger`): starts presubmits for trusted pull
//! requests and on `/test`, `/retest`, `/ok-to-test` comments, aborts a PR's older runs on a new
//! push or when it closes, and starts postsubmits on pushes.
//!
//! ProwJobs are named from the delivery id and the job name ([`prowjobs::prowjob_name`]), so a
//! redelivered event never creates a second set.

pub mod comment_commands;
pub mod generic_comment;
pub mod job_selection;
pub mod prowjobs;
pub mod pull_request;
pub mod push;
pub mod trust;

use std::collections::BTreeMap;

use async_trait::async_trait;
use kube::Api;
use prow_api::labels;
use prow_config::{Loaded, Presubmit, Trigger as TriggerConfig};
use prow_github::GitHub;
use prow_github::types::PullRequest;
use prow_github::webhook::Event;

use crate::plugin::{CommandHelp, Delivery, Plugin, PluginError, PluginHelp, Services};
use prowjobs::{ProwJobWriter, WriteError};

/// The `trigger` plugin.
#[derive(Debug, Default, Clone, Copy)]
pub struct Trigger;

/// What can go wrong handling one event.
#[derive(Debug, thiserror::Error)]
pub enum TriggerError {
    /// A GitHub call failed.
    #[error("GitHub {operation}: {source}")]
    GitHub {
        /// The call, e.g. `get pull request`.
        operation: &'static str,
        /// The client's error.
        source: prow_github::Error,
    },
    /// A ProwJob write failed.
    #[error(transparent)]
    Write(#[from] WriteError),
    /// A job could not be turned into a ProwJob spec.
    #[error("job spec: {0}")]
    JobSpec(#[from] prow_config::LoadError),
    /// Several steps failed (every job is attempted even when one fails).
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Several(Vec<TriggerError>),
}

impl TriggerError {
    /// Joins the errors of independent steps: `Ok` when there are none.
    pub fn aggregate(mut errors: Vec<TriggerError>) -> Result<(), TriggerError> {
        match errors.len() {
            0 => Ok(()),
            1 => Err(errors.remove(0)),
            _ => Err(TriggerError::Several(errors)),
        }
    }
}

/// Maps a GitHub error to [`TriggerError::GitHub`] for `operation`.
pub(crate) fn github_err(
    operation: &'static str,
) -> impl FnOnce(prow_github::Error) -> TriggerError {
    move |source| TriggerError::GitHub { operation, source }
}

/// Everything a handler needs for one delivery.
pub struct TriggerContext<'a> {
    /// GitHub client.
    pub github: &'a dyn GitHub,
    /// The bot's login.
    pub bot_login: &'a str,
    /// Trigger settings of the event's repository.
    pub settings: TriggerConfig,
    /// The configuration snapshot.
    pub loaded: &'a Loaded,
    /// Where ProwJobs go.
    pub writer: ProwJobWriter<'a>,
}

impl TriggerContext<'_> {
    /// `/ok-to-test` is honoured unless `ignore_ok_to_test` (Prow's `HonorOkToTest`).
    pub fn honor_ok_to_test(&self) -> bool {
        !self.settings.ignore_ok_to_test
    }

    /// The current SHA of `branch` (Prow reads it fresh rather than trusting the event).
    ///
    /// # Errors
    /// The ref could not be read.
    pub async fn base_sha(
        &self,
        org: &str,
        repo: &str,
        branch: &str,
    ) -> Result<String, TriggerError> {
        let git_ref = self
            .github
            .get_ref(org, repo, &format!("heads/{branch}"))
            .await
            .map_err(github_err("get base ref"))?;
        Ok(git_ref.object.sha)
    }

    /// Starts `jobs` for `pr` on `base_sha` (Prow's `RunRequested`): nothing when GitHub says
    /// the PR cannot merge; every job is attempted, errors are collected.
    ///
    /// # Errors
    /// Some job could not be created.
    pub async fn run_requested(
        &self,
        org: &str,
        repo: &str,
        pr: &PullRequest,
        base_sha: &str,
        jobs: &[&Presubmit],
        extra_labels: &BTreeMap<String, String>,
    ) -> Result<Vec<String>, TriggerError> {
        if pr.mergeable == Some(false) {
            tracing::info!(
                org,
                repo,
                pr = pr.number,
                "PR cannot merge, not starting jobs"
            );
            return Ok(Vec::new());
        }
        let mut created = Vec::new();
        let mut errors = Vec::new();
        for job in jobs {
            let refs = prowjobs::pull_request_refs(org, repo, pr, base_sha);
            let spec = match prow_config::presubmit_spec(job, refs) {
                Ok(spec) => spec,
                Err(e) => {
                    errors.push(e.into());
                    continue;
                }
            };
            let mut job_labels = job.base.labels.clone();
            job_labels.extend(extra_labels.iter().map(|(k, v)| (k.clone(), v.clone())));
            job_labels.insert(labels::IS_OPTIONAL.to_string(), job.optional.to_string());
            match self
                .writer
                .create(spec, &job_labels, &job.base.annotations)
                .await
            {
                Ok(name) => created.push(name),
                Err(e) => errors.push(e.into()),
            }
        }
        TriggerError::aggregate(errors)?;
        Ok(created)
    }
}

const DESCRIPTION: &str = "The trigger plugin starts tests in reaction to commands and pull \
request events. It is responsible for ensuring that test jobs are only run on trusted PRs. A PR \
is considered trusted if the author is a member of the 'trusted organization' for the repository \
or if such a member has left an '/ok-to-test' command on the PR.\n<br>Trigger starts jobs \
automatically when a new trusted PR is created or when an untrusted PR becomes trusted, but it \
can also be used to start jobs manually via the '/test' command.\n<br>The '/retest' command can \
be used to rerun jobs that have reported failure.";

fn command(usage: &str, description: &str, who: &str, examples: &[&str]) -> CommandHelp {
    CommandHelp {
        usage: usage.to_string(),
        description: description.to_string(),
        who_can_use: who.to_string(),
        examples: examples.iter().map(|e| e.to_string()).collect(),
    }
}

/// The per-repository settings in words (Prow's trigger help config).
fn settings_text(settings: &TriggerConfig, org: &str) -> String {
    let trusted = if settings.trusted_org.is_empty() || settings.trusted_org == org {
        format!("members of the '{org}' GitHub organization")
    } else {
        format!(
            "members of the '{org}' and '{}' GitHub organizations",
            settings.trusted_org
        )
    };
    let collaborators = if settings.only_org_members {
        ""
    } else {
        " and repository collaborators"
    };
    let mut text = format!("The trusted users for this repository are {trusted}{collaborators}.");
    if !settings.trusted_apps.is_empty() {
        text.push_str(&format!(
            " Trusted GitHub apps: {}.",
            settings.trusted_apps.join(", ")
        ));
    }
    if settings.ignore_ok_to_test {
        text.push_str(" '/ok-to-test' is ignored in this repository.");
    }
    text
}

#[async_trait]
impl Plugin for Trigger {
    fn name(&self) -> &'static str {
        "trigger"
    }

    fn help(&self, config: &Loaded, org_repo: Option<&str>) -> PluginHelp {
        let settings = org_repo.and_then(|full| {
            let (org, repo) = full.split_once('/').unwrap_or((full, ""));
            let plugins = config.plugins.as_ref()?;
            Some(settings_text(&plugins.trigger_for(org, repo), org))
        });
        let anyone = "Anyone can trigger this command on a trusted PR.";
        PluginHelp {
            description: DESCRIPTION.to_string(),
            config: settings,
            commands: vec![
                command(
                    "/ok-to-test",
                    "Marks a PR as 'trusted' and starts tests.",
                    "Members of the trusted organization for the repo.",
                    &["/ok-to-test"],
                ),
                command(
                    "/ok-to-test cancel",
                    "Revokes a PR's 'trusted' status.",
                    "Members of the trusted organization for the repo.",
                    &["/ok-to-test cancel"],
                ),
                command(
                    "/test [<job name>|all]",
                    "Manually starts a/all automatically triggered test job(s). Lists all \
                     possible job(s) when no jobs/an invalid job are specified.",
                    anyone,
                    &["/test all", "/test pull-bazel-test"],
                ),
                command(
                    "/retest",
                    "Rerun test jobs that have failed.",
                    anyone,
                    &["/retest"],
                ),
                command(
                    "/retest-required",
                    "Rerun required test jobs that have failed.",
                    anyone,
                    &["/retest-required"],
                ),
                command(
                    "/test ?",
                    "List available test job(s) for a trusted PR.",
                    anyone,
                    &["/test ?"],
                ),
            ],
        }
    }

    async fn handle(
        &self,
        services: &Services,
        delivery: &Delivery<'_>,
    ) -> Result<(), PluginError> {
        let Some(repository) = delivery.event.repository() else {
            return Ok(());
        };
        let relevant = matches!(
            delivery.event,
            Event::PullRequest(_)
                | Event::IssueComment(_)
                | Event::PullRequestReview(_)
                | Event::PullRequestReviewComment(_)
                | Event::Push(_)
        );
        if !relevant {
            return Ok(());
        }
        // Comments trigger never acts on (edits, issues, closed PRs) cost nothing more.
        let comment = generic_comment::GenericComment::from_event(delivery.event);
        if comment.as_ref().is_some_and(|c| !c.is_actionable()) {
            return Ok(());
        }
        let loaded = delivery.config.as_ref();
        let settings = loaded
            .plugins
            .as_ref()
            .map(|p| p.trigger_for(&repository.owner.login, &repository.name))
            .unwrap_or_default();
        let namespace = &loaded.config.prow.prowjob_namespace;
        let ctx = TriggerContext {
            github: services.github.as_ref(),
            bot_login: &services.bot_login,
            settings,
            loaded,
            writer: ProwJobWriter {
                api: Api::namespaced(services.kube.clone(), namespace),
                dry_run: services.dry_run,
                delivery_id: delivery.delivery_id,
            },
        };
        let result = match delivery.event {
            Event::PullRequest(event) => pull_request::handle(&ctx, event).await,
            Event::Push(event) => push::handle(&ctx, event).await,
            _ => match &comment {
                Some(comment) => generic_comment::handle(&ctx, comment).await,
                None => Ok(()),
            },
        };
        result.map_err(|e| PluginError::new(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_in_words() {
        let mut settings = TriggerConfig::default();
        assert_eq!(
            settings_text(&settings, "kubernetes"),
            "The trusted users for this repository are members of the 'kubernetes' GitHub \
             organization and repository collaborators."
        );
        settings.only_org_members = true;
        settings.trusted_org = "kubernetes-sigs".into();
        settings.trusted_apps = vec!["dependabot".into()];
        settings.ignore_ok_to_test = true;
        assert_eq!(
            settings_text(&settings, "kubernetes"),
            "The trusted users for this repository are members of the 'kubernetes' and \
             'kubernetes-sigs' GitHub organizations. Trusted GitHub apps: dependabot. \
             '/ok-to-test' is ignored in this repository."
        );
    }

    #[test]
    fn help_lists_the_commands() {
        let help = Trigger.help(&Loaded::default(), None);
        let usages: Vec<&str> = help.commands.iter().map(|c| c.usage.as_str()).collect();
        assert_eq!(
            usages,
            [
                "/ok-to-test",
                "/ok-to-test cancel",
                "/test [<job name>|all]",
                "/retest",
                "/retest-required",
                "/test ?"
            ]
        );
        assert!(help.config.is_none());
        assert_eq!(Trigger.name(), "trigger");
    }

    #[test]
    fn errors_aggregate() {
        assert!(TriggerError::aggregate(Vec::new()).is_ok());
        let several = TriggerError::aggregate(vec![
            TriggerError::GitHub {
                operation: "a",
                source: prow_github::Error::MissingCredentials,
            },
            TriggerError::GitHub {
                operation: "b",
                source: prow_github::Error::SignJwt,
            },
        ]);
        let text = several.expect_err("two errors").to_string();
        assert!(
            text.starts_with("GitHub a: ") && text.contains("; GitHub b: "),
            "{text}"
        );
    }
}
