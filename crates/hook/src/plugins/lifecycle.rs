//! The `lifecycle` plugin (Prow's `lifecycle`): `/close` (`/close not-planned` for issues),
//! `/reopen`, `/[remove-]lifecycle active|frozen|stale|rotten`.
//!
//! Who may: the author or a collaborator may `/reopen`, and `/close` an active issue or PR;
//! anyone may `/close` one marked `lifecycle/stale` or `lifecycle/rotten`; anyone may change
//! the lifecycle labels (one at a time: adding one removes the others). `lifecycle/frozen`
//! cannot be put on a pull request. Every close and reopen leaves a comment naming who asked.

use std::sync::LazyLock;

use async_trait::async_trait;
use prow_config::Loaded;
use prow_github::types::IssueUpdate;
use regex::Regex;

use crate::plugin::{CommandHelp, Delivery, Plugin, PluginError, PluginHelp, Services};
use crate::plugins::comment_event::{NewComment, has_label, new_comment};

const LIFECYCLE_LABELS: [&str; 4] = [
    "lifecycle/active",
    "lifecycle/frozen",
    "lifecycle/stale",
    "lifecycle/rotten",
];

static CLOSE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?mi)^/close\s*$").unwrap_or_else(|e| unreachable!("{e}")));
static CLOSE_NOT_PLANNED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?mi)^/close not-planned\s*$").unwrap_or_else(|e| unreachable!("{e}"))
});
static REOPEN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?mi)^/reopen\s*$").unwrap_or_else(|e| unreachable!("{e}")));
static LIFECYCLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?mi)^/(remove-)?lifecycle (active|frozen|stale|rotten)\s*$")
        .unwrap_or_else(|e| unreachable!("{e}"))
});

/// The `/[remove-]lifecycle` commands of `body`: (remove, label) in order.
pub fn parse_lifecycle(body: &str) -> Vec<(bool, String)> {
    LIFECYCLE
        .captures_iter(body)
        .map(|c| {
            (
                c.get(1).is_some(),
                format!("lifecycle/{}", c[2].to_lowercase()),
            )
        })
        .collect()
}

/// The `lifecycle` plugin.
#[derive(Debug, Default)]
pub struct Lifecycle;

fn failed(what: &'static str) -> impl Fn(prow_github::Error) -> PluginError {
    move |e| PluginError::new(format!("{what}: {e}"))
}

impl Lifecycle {
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
            .map_err(failed("comment"))
    }

    async fn is_collaborator(services: &Services, comment: &NewComment<'_>) -> bool {
        services
            .github
            .is_collaborator(comment.org, comment.repo, comment.author)
            .await
            .unwrap_or_else(|err| {
                tracing::warn!(error = %err, "lifecycle: collaborator check failed");
                false
            })
    }

    async fn reopen(services: &Services, comment: &NewComment<'_>) -> Result<(), PluginError> {
        if comment.issue_state != "closed" || !REOPEN.is_match(comment.body) {
            return Ok(());
        }
        let is_author = comment.issue_author.eq_ignore_ascii_case(comment.author);
        if !is_author && !Self::is_collaborator(services, comment).await {
            return Self::answer(
                services,
                comment,
                "You can't reopen an issue/PR unless you authored it or you are a collaborator.",
            )
            .await;
        }
        services
            .github
            .update_issue(
                comment.org,
                comment.repo,
                comment.number,
                &IssueUpdate::state("open"),
            )
            .await
            .map_err(failed("reopen"))?;
        let done = if comment.is_pr {
            "Reopened this PR."
        } else {
            "Reopened this issue."
        };
        Self::answer(services, comment, done).await
    }

    async fn close(services: &Services, comment: &NewComment<'_>) -> Result<(), PluginError> {
        let not_planned = CLOSE_NOT_PLANNED.is_match(comment.body);
        if comment.issue_state != "open" || !(CLOSE.is_match(comment.body) || not_planned) {
            return Ok(());
        }
        let is_author = comment.issue_author.eq_ignore_ascii_case(comment.author);
        let collaborator = Self::is_collaborator(services, comment).await;
        let active = match services
            .github
            .list_issue_labels(comment.org, comment.repo, comment.number)
            .await
        {
            Ok(labels) => {
                !(has_label(&labels, "lifecycle/stale") || has_label(&labels, "lifecycle/rotten"))
            }
            Err(err) => {
                tracing::warn!(error = %err, "lifecycle: cannot determine if the issue is active");
                true
            }
        };
        if !is_author && !collaborator && active {
            return Self::answer(services, comment, "You can't close an active issue/PR unless you authored it or you are a collaborator.").await;
        }
        if comment.is_pr && not_planned {
            return Self::answer(services, comment, "PRs cannot be closed as Not Planned.").await;
        }
        let mut update = IssueUpdate::state("closed");
        if not_planned {
            update.state_reason = Some("not_planned".into());
        }
        services
            .github
            .update_issue(comment.org, comment.repo, comment.number, &update)
            .await
            .map_err(failed("close"))?;
        let done = match (comment.is_pr, not_planned) {
            (true, _) => "Closed this PR.",
            (false, true) => "Closing this issue, marking it as \"Not Planned\".",
            (false, false) => "Closing this issue.",
        };
        Self::answer(services, comment, done).await
    }

    async fn relabel(services: &Services, comment: &NewComment<'_>) -> Result<(), PluginError> {
        let (org, repo, number) = (comment.org, comment.repo, comment.number);
        for (remove, label) in parse_lifecycle(comment.body) {
            if comment.is_pr && !remove && label == "lifecycle/frozen" {
                return Self::answer(
                    services,
                    comment,
                    "The `lifecycle/frozen` label cannot be applied to Pull Requests.",
                )
                .await;
            }
            let labels = services
                .github
                .list_issue_labels(org, repo, number)
                .await
                .map_err(failed("get labels"))?;
            let present = has_label(&labels, &label);
            if present && remove {
                services
                    .github
                    .remove_label(org, repo, number, &label)
                    .await
                    .map_err(failed("remove label"))?;
            } else if !present && !remove {
                for other in LIFECYCLE_LABELS {
                    if other != label
                        && has_label(&labels, other)
                        && let Err(err) =
                            services.github.remove_label(org, repo, number, other).await
                    {
                        tracing::warn!(label = other, error = %err, "lifecycle: GitHub failed to remove the label");
                    }
                }
                services
                    .github
                    .add_labels(org, repo, number, std::slice::from_ref(&label))
                    .await
                    .map_err(failed("add label"))?;
            }
        }
        Ok(())
    }
}

#[async_trait]
impl Plugin for Lifecycle {
    fn name(&self) -> &'static str {
        "lifecycle"
    }

    fn help(&self, _config: &Loaded, _org_repo: Option<&str>) -> PluginHelp {
        let authors = "Authors and collaborators on the repository can trigger this command.";
        PluginHelp {
            description: "Close, reopen, flag and/or unflag an issue or PR as frozen/stale/rotten"
                .into(),
            config: None,
            commands: vec![
                CommandHelp {
                    usage: "/close [not-planned]".into(),
                    description: "Closes an issue or PR.".into(),
                    who_can_use: authors.into(),
                    examples: vec!["/close".into(), "/close not-planned".into()],
                },
                CommandHelp {
                    usage: "/reopen".into(),
                    description: "Reopens an issue or PR".into(),
                    who_can_use: authors.into(),
                    examples: vec!["/reopen".into()],
                },
                CommandHelp {
                    usage: "/[remove-]lifecycle <frozen|stale|rotten>".into(),
                    description: "Flags an issue or PR as frozen/stale/rotten".into(),
                    who_can_use: "Anyone can trigger this command.".into(),
                    examples: vec!["/lifecycle frozen".into(), "/remove-lifecycle stale".into()],
                },
            ],
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
        Self::reopen(services, &comment).await?;
        Self::close(services, &comment).await?;
        Self::relabel(services, &comment).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifecycle_commands_table() {
        let cases: &[(&str, &[(bool, &str)])] = &[
            ("/lifecycle frozen", &[(false, "lifecycle/frozen")]),
            ("/remove-lifecycle stale", &[(true, "lifecycle/stale")]),
            ("/LIFECYCLE Rotten  ", &[(false, "lifecycle/rotten")]),
            (
                "/lifecycle active\n/remove-lifecycle frozen",
                &[(false, "lifecycle/active"), (true, "lifecycle/frozen")],
            ),
            ("/lifecycle dead", &[]),
            ("/lifecycle", &[]),
        ];
        for (body, want) in cases {
            let want: Vec<(bool, String)> = want.iter().map(|(r, l)| (*r, l.to_string())).collect();
            assert_eq!(parse_lifecycle(body), want, "{body:?}");
        }
        assert!(CLOSE.is_match("/close"));
        assert!(!CLOSE.is_match("/close not-planned"));
        assert!(CLOSE_NOT_PLANNED.is_match("/close not-planned"));
        assert!(REOPEN.is_match("thanks\n/reopen\n"));
        assert!(!REOPEN.is_match("/reopened"));
    }
}
