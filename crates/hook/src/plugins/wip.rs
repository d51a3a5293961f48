//! The `wip` plugin (Prow's `wip`): a pull request whose title starts with `WIP` (also
//! `[WIP]`, `WIP:`) or that is a draft carries `do-not-merge/work-in-progress`; the label
//! goes when the title loses the prefix and the PR is ready for review.

use std::sync::LazyLock;

use async_trait::async_trait;
use prow_config::Loaded;
use prow_github::webhook::Event;
use prow_github::webhook::events::PullRequestAction;
use regex::Regex;

use crate::plugin::{Delivery, Plugin, PluginError, PluginHelp, Services};
use crate::plugins::comment_event::has_label;

/// The work-in-progress label.
pub const WIP_LABEL: &str = "do-not-merge/work-in-progress";

static WIP_TITLE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^\W?WIP\W").unwrap_or_else(|e| unreachable!("{e}")));

/// Whether a pull request with this title and draft state is a work in progress.
pub fn is_work_in_progress(title: &str, draft: bool) -> bool {
    draft || WIP_TITLE.is_match(title)
}

/// The `wip` plugin.
#[derive(Debug, Default)]
pub struct Wip;

#[async_trait]
impl Plugin for Wip {
    fn name(&self) -> &'static str {
        "wip"
    }

    fn help(&self, _config: &Loaded, _org_repo: Option<&str>) -> PluginHelp {
        PluginHelp {
            description: format!(
                "The wip (Work In Progress) plugin applies the '{WIP_LABEL}' Label to pull requests whose title starts with 'WIP' or are in the 'draft' stage, and removes it from pull requests when they remove the title prefix or become ready for review. The '{WIP_LABEL}' Label is typically used to block a pull request from merging while it is still in progress."
            ),
            config: None,
            commands: Vec::new(),
        }
    }

    async fn handle(
        &self,
        services: &Services,
        delivery: &Delivery<'_>,
    ) -> Result<(), PluginError> {
        let Event::PullRequest(event) = delivery.event else {
            return Ok(());
        };
        // The only actions after which the title or draft state may differ.
        if !matches!(
            event.action,
            PullRequestAction::Opened
                | PullRequestAction::Reopened
                | PullRequestAction::Edited
                | PullRequestAction::ReadyForReview
                | PullRequestAction::ConvertedToDraft
        ) {
            return Ok(());
        }
        let (org, repo) = (&event.repository.owner.login, &event.repository.name);
        let pr = &event.pull_request;
        let labels = services
            .github
            .list_issue_labels(org, repo, pr.number)
            .await
            .map_err(|e| {
                PluginError::new(format!("get the labels of {org}/{repo}#{}: {e}", pr.number))
            })?;
        let labelled = has_label(&labels, WIP_LABEL);
        let wanted = is_work_in_progress(&pr.title, pr.draft);
        if wanted && !labelled {
            services
                .github
                .add_labels(org, repo, pr.number, &[WIP_LABEL.to_string()])
                .await
                .map_err(|e| PluginError::new(format!("add {WIP_LABEL}: {e}")))?;
        } else if !wanted && labelled {
            services
                .github
                .remove_label(org, repo, pr.number, WIP_LABEL)
                .await
                .map_err(|e| PluginError::new(format!("remove {WIP_LABEL}: {e}")))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn work_in_progress_titles_table() {
        let cases = [
            ("WIP: add feature", false, true),
            ("[WIP] add feature", false, true),
            ("wip add feature", false, true),
            ("(WIP) add feature", false, true),
            ("WIP", false, false),
            ("Wipe the cache", false, false),
            ("Add WIP support", false, false),
            ("Add feature", true, true),
            ("Add feature", false, false),
        ];
        for (title, draft, want) in cases {
            assert_eq!(
                is_work_in_progress(title, draft),
                want,
                "{title:?} draft={draft}"
            );
        }
    }
}
