//! The `skip` plugin (Prow's `skip`): `/skip` on an open pull request marks the failed (or
//! otherwise not successful) statuses of its optional presubmits as `success` with the
//! description `Skipped`, so they stop showing red. Required contexts are never touched, and
//! neither are jobs the same comment starts (`/skip` with `/test foo` tests foo). Anyone may
//! use it; when every status is already green nothing happens.

use std::sync::LazyLock;

use async_trait::async_trait;
use prow_config::Loaded;
use prow_github::types::{NewStatus, StatusState};
use regex::Regex;

use crate::plugin::{CommandHelp, Delivery, Plugin, PluginError, PluginHelp, Services};
use crate::plugins::comment_event::{NewComment, new_comment};
use crate::plugins::trigger::comment_commands::command_text;
use crate::plugins::trigger::job_selection::{candidates, comment_filter, decide};

static SKIP: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?mi)^/skip\s*$").unwrap_or_else(|e| unreachable!("{e}")));

/// Whether `body` holds `/skip`.
pub fn is_skip(body: &str) -> bool {
    SKIP.is_match(body)
}

/// The `skip` plugin.
#[derive(Debug, Default)]
pub struct Skip;

impl Skip {
    async fn answer(
        services: &Services,
        comment: &NewComment<'_>,
        message: &str,
    ) -> Result<(), PluginError> {
        services
            .github
            .create_issue_comment(
                comment.org,
                comment.repo,
                comment.number,
                &comment.reply(message),
            )
            .await
            .map(drop)
            .map_err(|e| PluginError::new(format!("comment: {e}")))
    }
}

#[async_trait]
impl Plugin for Skip {
    fn name(&self) -> &'static str {
        "skip"
    }

    fn help(&self, _config: &Loaded, _org_repo: Option<&str>) -> PluginHelp {
        PluginHelp {
            description: "The skip plugin allows users to clean up GitHub stale commit statuses for non-blocking jobs on a PR.".into(),
            config: None,
            commands: vec![CommandHelp {
                usage: "/skip".into(),
                description: "Cleans up GitHub stale commit statuses for non-blocking jobs on a PR.".into(),
                who_can_use: "Anyone can trigger this command on a PR.".into(),
                examples: vec!["/skip".into()],
            }],
        }
    }

    async fn handle(
        &self,
        services: &Services,
        delivery: &Delivery<'_>,
    ) -> Result<(), PluginError> {
        let Some(comment) = new_comment(delivery.event) else {
            return Ok(());
        };
        if !comment.is_pr || comment.issue_state != "open" || !is_skip(comment.body) {
            return Ok(());
        }
        let (org, repo, number) = (comment.org, comment.repo, comment.number);
        let github = &services.github;
        let pr = match github.get_pull_request(org, repo, number).await {
            Ok(pr) => pr,
            Err(err) => {
                let message = format!("Cannot get PR #{number} in {org}/{repo}: {err}");
                return Self::answer(services, &comment, &message).await;
            }
        };
        let presubmits = delivery
            .config
            .config
            .jobs
            .presubmits_for(&format!("{org}/{repo}"));
        let status = match github.get_combined_status(org, repo, &pr.head.sha).await {
            Ok(status) => status,
            Err(err) => {
                let message = format!(
                    "Cannot get combined commit statuses for PR #{number} in {org}/{repo}: {err}"
                );
                return Self::answer(services, &comment, &message).await;
            }
        };
        if status.state == StatusState::Success {
            return Ok(());
        }
        // The jobs trigger starts for this very comment are left to trigger.
        let honor_ok_to_test = !delivery
            .config
            .plugins
            .as_ref()
            .map(|p| p.trigger_for(org, repo).ignore_ok_to_test)
            .unwrap_or(false);
        let branch = &pr.base.git_ref;
        let (picked, needs_files) = {
            // The filter is not `Send`: done with it before the next await.
            let text = command_text(comment.body);
            let filter = comment_filter(honor_ok_to_test, Some(&status), &text);
            candidates(&filter, branch, presubmits)
        };
        let changed: Vec<String> = if needs_files {
            github
                .list_pull_request_files(org, repo, number)
                .await
                .map_err(|e| PluginError::new(format!("list changed files: {e}")))?
                .into_iter()
                .map(|f| f.filename)
                .collect()
        } else {
            Vec::new()
        };
        let triggered = decide(&picked, branch, &changed);
        for job in presubmits {
            let context = &job.reporter.context;
            if !status.statuses.iter().any(|s| s.context == *context) {
                continue;
            }
            let success = status
                .statuses
                .iter()
                .any(|s| s.context == *context && s.state == StatusState::Success);
            if success
                || triggered
                    .iter()
                    .any(|t| t.base.name == job.base.name && t.reporter.context == *context)
                || job.context_required()
            {
                continue;
            }
            let skipped = NewStatus {
                state: StatusState::Success,
                context: context.clone(),
                description: Some("Skipped".into()),
                target_url: None,
            };
            if let Err(err) = github
                .create_status(org, repo, &pr.head.sha, &skipped)
                .await
            {
                let message = format!("Cannot update PR status for context {context}: {err}");
                return Self::answer(services, &comment, &message).await;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skip_command_table() {
        let cases = [
            ("/skip", true),
            ("/SKIP  ", true),
            ("lgtm\n/skip\n", true),
            ("/skip it", false),
            ("please /skip", false),
        ];
        for (body, want) in cases {
            assert_eq!(is_skip(body), want, "{body:?}");
        }
    }
}
