//! The `retitle` plugin (Prow's `retitle`): `/retitle <title>` renames an issue or pull
//! request for people GitHub would not let do it. Only trusted users (org members and
//! collaborators, as trigger decides) may; empty titles and titles with issue-closing keywords
//! (`fixes #1`) or @-mentions are refused with Prow's comments. Closed issues and PRs are left
//! alone unless `retitle.allow_closed_issues` is set.

use std::sync::LazyLock;

use async_trait::async_trait;
use prow_config::Loaded;
use prow_github::types::IssueUpdate;
use regex::Regex;

use crate::plugin::{CommandHelp, Delivery, Plugin, PluginError, PluginHelp, Services};
use crate::plugins::comment_event::new_comment;
use crate::plugins::trigger::trust::trusted_user;

static RETITLE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?mi)^/retitle\s*(.*)$").unwrap_or_else(|e| unreachable!("{e}")));
static CLOSE_ISSUE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"((?i)(clos(?:e[sd]?))|(fix(?:(es|ed)?))|(resolv(?:e[sd]?)))[\s:]+(\w+/\w+)?#(\d+)")
        .unwrap_or_else(|e| unreachable!("{e}"))
});
static AT_MENTION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\B([@][\w_-]+)").unwrap_or_else(|e| unreachable!("{e}")));

/// What `/retitle` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Retitle {
    /// A valid new title.
    Title(String),
    /// Refused, with Prow's reason.
    Invalid(&'static str),
}

/// The `/retitle` request of `body`, if any.
pub fn parse_retitle(body: &str) -> Option<Retitle> {
    let captures = RETITLE.captures(body)?;
    let title = captures
        .get(1)
        .map(|m| m.as_str().trim())
        .unwrap_or_default();
    Some(if title.is_empty() {
        Retitle::Invalid("Titles may not be empty.")
    } else if AT_MENTION.is_match(title) || CLOSE_ISSUE.is_match(title) {
        Retitle::Invalid(
            "Titles may not contain [keywords](https://help.github.com/articles/closing-issues-using-keywords) which can automatically close issues and at(@) mentions.",
        )
    } else {
        Retitle::Title(title.to_string())
    })
}

/// The `retitle` plugin.
#[derive(Debug, Default)]
pub struct RetitlePlugin;

#[async_trait]
impl Plugin for RetitlePlugin {
    fn name(&self) -> &'static str {
        "retitle"
    }

    fn help(&self, config: &Loaded, _org_repo: Option<&str>) -> PluginHelp {
        let closed = config
            .plugins
            .as_ref()
            .is_some_and(|p| p.retitle.allow_closed_issues);
        PluginHelp {
            description: "The retitle plugin allows users to re-title pull requests and issues where GitHub permissions don't allow them to.".into(),
            config: Some(if closed {
                "The retitle plugin also allows retitling closed/merged issues and PRs.".into()
            } else {
                "The retitle plugin does not allow retitling closed/merged issues and PRs.".into()
            }),
            commands: vec![CommandHelp {
                usage: "/retitle <title>".into(),
                description: "Edits the pull request or issue title.".into(),
                who_can_use: "Collaborators on the repository.".into(),
                examples: vec!["/retitle New Title".into()],
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
        let plugins = delivery.config.plugins.as_ref();
        let allow_closed = plugins.is_some_and(|p| p.retitle.allow_closed_issues);
        if !allow_closed && comment.issue_state != "open" {
            return Ok(());
        }
        let Some(request) = parse_retitle(comment.body) else {
            return Ok(());
        };
        let (org, repo, number) = (comment.org, comment.repo, comment.number);
        let trigger = plugins
            .map(|p| p.trigger_for(org, repo))
            .unwrap_or_default();
        let trusted = trusted_user(
            services.github.as_ref(),
            &trigger,
            &services.bot_login,
            comment.author,
            org,
            repo,
        )
        .await
        .map_err(|e| PluginError::new(format!("could not check if the user is trusted: {e}")))?;
        let answer = |message: &str| comment.reply(message);
        let reply = if !trusted {
            Some(answer(
                "Re-titling can only be requested by trusted users, like repository collaborators.",
            ))
        } else {
            match request {
                Retitle::Invalid(reason) => Some(answer(reason)),
                Retitle::Title(title) => {
                    services
                        .github
                        .update_issue(org, repo, number, &IssueUpdate::title(title))
                        .await
                        .map_err(|e| {
                            PluginError::new(format!("retitle {org}/{repo}#{number}: {e}"))
                        })?;
                    None
                }
            }
        };
        if let Some(body) = reply {
            services
                .github
                .create_issue_comment(org, repo, number, &body)
                .await
                .map_err(|e| PluginError::new(format!("comment: {e}")))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retitle_requests_table() {
        let keywords = "Titles may not contain [keywords](https://help.github.com/articles/closing-issues-using-keywords) which can automatically close issues and at(@) mentions.";
        let cases = [
            (
                "/retitle Better title",
                Some(Retitle::Title("Better title".into())),
            ),
            (
                "/RETITLE   spaced out  ",
                Some(Retitle::Title("spaced out".into())),
            ),
            (
                "/retitle",
                Some(Retitle::Invalid("Titles may not be empty.")),
            ),
            ("/retitle fixes #12", Some(Retitle::Invalid(keywords))),
            (
                "/retitle Closes org/repo#3 now",
                Some(Retitle::Invalid(keywords)),
            ),
            ("/retitle ping @alice", Some(Retitle::Invalid(keywords))),
            (
                "/retitle mail a@b.c about it",
                Some(Retitle::Title("mail a@b.c about it".into())),
            ),
            ("/retitle Fixed: #7", Some(Retitle::Invalid(keywords))),
            (
                "/retitle fix the #1 bug",
                Some(Retitle::Title("fix the #1 bug".into())),
            ),
            ("please /retitle x", None),
        ];
        for (body, want) in cases {
            assert_eq!(parse_retitle(body), want, "{body:?}");
        }
    }
}
