//! The `hold` plugin (Prow's `hold`): `/hold` adds `do-not-merge/hold` to a pull request,
//! `/hold cancel`, `/unhold` and `/remove-hold` remove it. Anyone may use it; repeating a
//! command changes nothing and says nothing.

use std::sync::LazyLock;

use async_trait::async_trait;
use prow_config::Loaded;
use regex::Regex;

use crate::plugin::{CommandHelp, Delivery, Plugin, PluginError, PluginHelp, Services};
use crate::plugins::comment_event::{has_label, new_comment};

/// The label that keeps a pull request from merging.
pub const HOLD_LABEL: &str = "do-not-merge/hold";

static HOLD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?mi)^/hold(\s.*)?$").unwrap_or_else(|e| unreachable!("{e}")));
static HOLD_CANCEL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?mi)^/(remove-hold|hold\s+cancel|unhold)\s*$")
        .unwrap_or_else(|e| unreachable!("{e}"))
});

/// What a comment asks of the hold label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldCommand {
    /// `/hold`.
    Hold,
    /// `/hold cancel`, `/unhold`, `/remove-hold` (wins over `/hold` in the same comment).
    Unhold,
}

/// The hold command in `body`, if any.
pub fn parse_hold(body: &str) -> Option<HoldCommand> {
    if HOLD_CANCEL.is_match(body) {
        Some(HoldCommand::Unhold)
    } else if HOLD.is_match(body) {
        Some(HoldCommand::Hold)
    } else {
        None
    }
}

/// The `hold` plugin.
#[derive(Debug, Default)]
pub struct Hold;

#[async_trait]
impl Plugin for Hold {
    fn name(&self) -> &'static str {
        "hold"
    }

    fn help(&self, _config: &Loaded, _org_repo: Option<&str>) -> PluginHelp {
        PluginHelp {
            description: format!(
                "The hold plugin allows anyone to add or remove the '{HOLD_LABEL}' Label from a pull request in order to temporarily prevent the PR from merging without withholding approval."
            ),
            config: None,
            commands: vec![CommandHelp {
                usage: "/[remove-][un]hold [cancel]".into(),
                description: format!(
                    "Adds or removes the `{HOLD_LABEL}` Label which is used to indicate that the PR should not be automatically merged."
                ),
                who_can_use: format!(
                    "Anyone can use the /hold command to add or remove the '{HOLD_LABEL}' Label."
                ),
                examples: vec![
                    "/hold".into(),
                    "/hold cancel".into(),
                    "/unhold".into(),
                    "/remove-hold".into(),
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
        if !comment.is_pr {
            return Ok(());
        }
        let Some(command) = parse_hold(comment.body) else {
            return Ok(());
        };
        let (org, repo, number) = (comment.org, comment.repo, comment.number);
        let github = &services.github;
        let labels = github
            .list_issue_labels(org, repo, number)
            .await
            .map_err(|e| {
                PluginError::new(format!("get the labels of {org}/{repo}#{number}: {e}"))
            })?;
        let held = has_label(&labels, HOLD_LABEL);
        match command {
            HoldCommand::Unhold if held => github
                .remove_label(org, repo, number, HOLD_LABEL)
                .await
                .map_err(|e| PluginError::new(format!("remove {HOLD_LABEL}: {e}"))),
            HoldCommand::Hold if !held => github
                .add_labels(org, repo, number, &[HOLD_LABEL.to_string()])
                .await
                .map_err(|e| PluginError::new(format!("add {HOLD_LABEL}: {e}"))),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hold_commands_table() {
        let cases = [
            ("/hold", Some(HoldCommand::Hold)),
            ("/HOLD until the release", Some(HoldCommand::Hold)),
            ("/hold cancel", Some(HoldCommand::Unhold)),
            ("/hold  cancel  ", Some(HoldCommand::Unhold)),
            ("/unhold", Some(HoldCommand::Unhold)),
            ("/remove-hold", Some(HoldCommand::Unhold)),
            ("/hold\n/unhold", Some(HoldCommand::Unhold)),
            ("please /hold", None),
            ("/holdup", None),
            ("/unhold now", None),
        ];
        for (body, want) in cases {
            assert_eq!(parse_hold(body), want, "{body:?}");
        }
    }
}
