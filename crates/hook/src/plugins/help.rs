//! The `help` plugin (Prow's `help`): on open issues, `/help` adds `help wanted` and
//! `/good-first-issue` adds `good first issue` (and `help wanted`), each with Prow's comment
//! pointing at the guidelines (`help.help_guidelines_url`, `help.help_guidelines_summary`);
//! `/remove-help` and `/remove-good-first-issue` remove them and delete the bot's comment.
//! Anyone may use them; a command whose label is already there does nothing.

use std::sync::LazyLock;

use async_trait::async_trait;
use prow_config::Loaded;
use regex::Regex;

use crate::plugin::{CommandHelp, Delivery, Plugin, PluginError, PluginHelp, Services};
use crate::plugins::comment_event::{NewComment, has_label, new_comment};

/// The help-wanted label.
pub const HELP_LABEL: &str = "help wanted";
/// The good-first-issue label.
pub const GOOD_FIRST_ISSUE_LABEL: &str = "good first issue";
/// Prow's default guidelines.
pub const DEFAULT_GUIDELINES_URL: &str =
    "https://git.k8s.io/community/contributors/guide/help-wanted.md";

const HELP_MARK: &str = "This request has been marked as needing help from a contributor.";
const GOOD_FIRST_ISSUE_MARK: &str =
    "This request has been marked as suitable for new contributors.";

static HELP: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?mi)^/help\s*$").unwrap_or_else(|e| unreachable!("{e}")));
static HELP_REMOVE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?mi)^/remove-help\s*$").unwrap_or_else(|e| unreachable!("{e}")));
static GOOD_FIRST_ISSUE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?mi)^/good-first-issue\s*$").unwrap_or_else(|e| unreachable!("{e}"))
});
static GOOD_FIRST_ISSUE_REMOVE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?mi)^/remove-good-first-issue\s*$").unwrap_or_else(|e| unreachable!("{e}"))
});

/// Prow's comment for `/help` (or `/good-first-issue` when `good_first_issue`).
pub fn guidelines_message(url: &str, summary: &str, good_first_issue: bool) -> String {
    let (mark, anchor, command) = if good_first_issue {
        (
            GOOD_FIRST_ISSUE_MARK,
            "#good-first-issue",
            "/remove-good-first-issue",
        )
    } else {
        (HELP_MARK, "", "/remove-help")
    };
    if summary.is_empty() {
        format!(
            "\n\t{mark}\n\nPlease ensure the request meets the requirements listed [here]({url}{anchor}).\n\nIf this request no longer meets these requirements, the label can be removed\nby commenting with the `{command}` command.\n"
        )
    } else {
        format!(
            "\n\t{mark}\n\n### Guidelines\n{summary}\n\nFor more details on the requirements of such an issue, please see [here]({url}{anchor}) and ensure that they are met.\n\nIf this request no longer meets these requirements, the label can be removed\nby commenting with the `{command}` command.\n"
        )
    }
}

/// The `help` plugin.
#[derive(Debug, Default)]
pub struct HelpPlugin;

fn failed(what: &'static str) -> impl Fn(prow_github::Error) -> PluginError {
    move |e| PluginError::new(format!("{what}: {e}"))
}

impl HelpPlugin {
    /// Deletes the bot's earlier comments holding `mark` (Prow's comment pruner).
    async fn prune(
        services: &Services,
        comment: &NewComment<'_>,
        mark: &str,
    ) -> Result<(), PluginError> {
        let comments = services
            .github
            .list_issue_comments(comment.org, comment.repo, comment.number)
            .await
            .map_err(failed("list comments"))?;
        for old in comments {
            if old.user.login.eq_ignore_ascii_case(&services.bot_login) && old.body.contains(mark) {
                services
                    .github
                    .delete_issue_comment(comment.org, comment.repo, old.id)
                    .await
                    .map_err(failed("delete comment"))?;
            }
        }
        Ok(())
    }

    async fn comment_and_label(
        services: &Services,
        comment: &NewComment<'_>,
        message: &str,
        labels: &[String],
    ) -> Result<(), PluginError> {
        let body = crate::plugins::cat::format_response(
            comment.body,
            comment.issue_html_url,
            comment.author,
            message,
        );
        services
            .github
            .create_issue_comment(comment.org, comment.repo, comment.number, &body)
            .await
            .map_err(failed("comment"))?;
        services
            .github
            .add_labels(comment.org, comment.repo, comment.number, labels)
            .await
            .map_err(failed("add label"))
    }
}

#[async_trait]
impl Plugin for HelpPlugin {
    fn name(&self) -> &'static str {
        "help"
    }

    fn help(&self, _config: &Loaded, _org_repo: Option<&str>) -> PluginHelp {
        PluginHelp {
            description: format!(
                "The help plugin provides commands that add or remove the '{HELP_LABEL}' and the '{GOOD_FIRST_ISSUE_LABEL}' labels from issues."
            ),
            config: None,
            commands: vec![CommandHelp {
                usage: "/[remove-](help|good-first-issue)".into(),
                description: format!(
                    "Applies or removes the '{HELP_LABEL}' and '{GOOD_FIRST_ISSUE_LABEL}' labels to an issue."
                ),
                who_can_use: "Anyone can trigger this command on an issue.".into(),
                examples: vec![
                    "/help".into(),
                    "/remove-help".into(),
                    "/good-first-issue".into(),
                    "/remove-good-first-issue".into(),
                ],
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
        if comment.is_pr || comment.issue_state != "open" {
            return Ok(());
        }
        let body = comment.body;
        if !(HELP.is_match(body)
            || HELP_REMOVE.is_match(body)
            || GOOD_FIRST_ISSUE.is_match(body)
            || GOOD_FIRST_ISSUE_REMOVE.is_match(body))
        {
            return Ok(());
        }
        let (org, repo, number) = (comment.org, comment.repo, comment.number);
        let (url, summary) = delivery
            .config
            .plugins
            .as_ref()
            .map(|p| {
                (
                    p.help.help_guidelines_url.clone(),
                    p.help.help_guidelines_summary.clone(),
                )
            })
            .unwrap_or_default();
        let url = if url.is_empty() {
            DEFAULT_GUIDELINES_URL.to_string()
        } else {
            url
        };
        let labels = services
            .github
            .list_issue_labels(org, repo, number)
            .await
            .map_err(failed("get labels"))?;
        let has_help = has_label(&labels, HELP_LABEL);
        let has_first = has_label(&labels, GOOD_FIRST_ISSUE_LABEL);

        if has_help && HELP_REMOVE.is_match(body) {
            services
                .github
                .remove_label(org, repo, number, HELP_LABEL)
                .await
                .map_err(failed("remove label"))?;
            Self::prune(services, &comment, HELP_MARK).await?;
            if has_first {
                services
                    .github
                    .remove_label(org, repo, number, GOOD_FIRST_ISSUE_LABEL)
                    .await
                    .map_err(failed("remove label"))?;
                Self::prune(services, &comment, GOOD_FIRST_ISSUE_MARK).await?;
            }
            return Ok(());
        }
        if !has_first && GOOD_FIRST_ISSUE.is_match(body) {
            let mut add = vec![GOOD_FIRST_ISSUE_LABEL.to_string()];
            if !has_help {
                add.push(HELP_LABEL.to_string());
            }
            return Self::comment_and_label(
                services,
                &comment,
                &guidelines_message(&url, &summary, true),
                &add,
            )
            .await;
        }
        if !has_help && HELP.is_match(body) {
            return Self::comment_and_label(
                services,
                &comment,
                &guidelines_message(&url, &summary, false),
                &[HELP_LABEL.to_string()],
            )
            .await;
        }
        if has_first && GOOD_FIRST_ISSUE_REMOVE.is_match(body) {
            services
                .github
                .remove_label(org, repo, number, GOOD_FIRST_ISSUE_LABEL)
                .await
                .map_err(failed("remove label"))?;
            Self::prune(services, &comment, GOOD_FIRST_ISSUE_MARK).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guidelines_messages() {
        let plain = guidelines_message("https://example.com/g", "", false);
        assert!(plain.contains(HELP_MARK));
        assert!(plain.contains("[here](https://example.com/g)."));
        assert!(plain.contains("`/remove-help`"));
        let first = guidelines_message("https://example.com/g", "- be small", true);
        assert!(first.contains(GOOD_FIRST_ISSUE_MARK));
        assert!(first.contains("### Guidelines\n- be small\n"));
        assert!(first.contains("(https://example.com/g#good-first-issue)"));
        assert!(first.contains("`/remove-good-first-issue`"));
        assert!(HELP.is_match("/help"));
        assert!(!HELP.is_match("/help me"));
        assert!(GOOD_FIRST_ISSUE_REMOVE.is_match("/remove-good-first-issue "));
    }
}
