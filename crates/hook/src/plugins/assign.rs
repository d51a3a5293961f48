//! The `assign` plugin (Prow's `assign`): `/assign [@user...]` and `/unassign [@user...]`
//! on issues and pull requests, `/cc [@user|@org/team...]` and `/uncc` to request (or withdraw)
//! reviews on pull requests. Without names a command targets its author. People GitHub will
//! not assign (or ask to review) are named in one comment, worded as Prow's.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use async_trait::async_trait;
use prow_config::Loaded;
use regex::Regex;

use crate::plugin::{CommandHelp, Delivery, Plugin, PluginError, PluginHelp, Services};
use crate::plugins::comment_event::{NewComment, new_comment};

static ASSIGN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?mi)^/(un)?assign(( @?[-\w]+?)*)\s*$").unwrap_or_else(|e| unreachable!("{e}"))
});
static CC: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?mi)^/(un)?cc(( +@?[-/\w]+?)*)\s*$").unwrap_or_else(|e| unreachable!("{e}"))
});

/// Which command family to parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// `/assign`, `/unassign`.
    Assignees,
    /// `/cc`, `/uncc`.
    Reviewers,
}

/// Logins to add and to remove, as one comment asks (a later line wins for the same login).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    /// Logins (or `org/team`) to add.
    pub add: Vec<String>,
    /// Logins (or `org/team`) to remove.
    pub remove: Vec<String>,
}

/// Parses the `/assign` or `/cc` lines of `body`; a line without names means `author`.
pub fn parse_changes(body: &str, target: Target, author: &str) -> Changes {
    let regex = match target {
        Target::Assignees => &ASSIGN,
        Target::Reviewers => &CC,
    };
    let mut wanted: BTreeMap<String, bool> = BTreeMap::new();
    for captures in regex.captures_iter(body) {
        let add = captures.get(1).is_none();
        let names = captures.get(2).map(|m| m.as_str()).unwrap_or_default();
        if names.is_empty() {
            wanted.insert(author.to_string(), add);
            continue;
        }
        for name in names.split(' ') {
            let login = name.trim_matches(|c| c == '@' || c == ' ');
            if !login.is_empty() {
                wanted.insert(login.to_string(), add);
            }
        }
    }
    let mut changes = Changes::default();
    for (login, add) in wanted {
        if add {
            changes.add.push(login);
        } else {
            changes.remove.push(login);
        }
    }
    changes
}

/// Prow's answer when GitHub did not assign some users.
pub fn assign_refused(org: &str, missing: &[String]) -> String {
    format!(
        "GitHub didn't allow me to assign the following users: {}.\n\nNote that only [{org} members](https://github.com/orgs/{org}/people) with read permissions, repo collaborators and people who have commented on this issue/PR can be assigned. Additionally, issues/PRs can only have 10 assignees at the same time.\nFor more information please see [the contributor guide](https://git.k8s.io/community/contributors/guide/first-contribution.md#issue-assignment-in-github)",
        missing.join(", ")
    )
}

/// Prow's answer when GitHub refused some review requests.
pub fn review_refused(org: &str, missing: &[String]) -> String {
    format!(
        "GitHub didn't allow me to request PR reviews from the following users: {}.\n\nNote that only [{org} members](https://github.com/orgs/{org}/people) and repo collaborators can review this PR, and authors cannot review their own PRs.",
        missing.join(", ")
    )
}

/// The `assign` plugin.
#[derive(Debug, Default)]
pub struct Assign;

impl Assign {
    async fn apply(
        &self,
        services: &Services,
        comment: &NewComment<'_>,
        target: Target,
    ) -> Result<(), PluginError> {
        let changes = parse_changes(comment.body, target, comment.author);
        let (org, repo, number) = (comment.org, comment.repo, comment.number);
        let github = &services.github;
        if !changes.remove.is_empty() {
            match target {
                Target::Assignees => {
                    github
                        .remove_assignees(org, repo, number, &changes.remove)
                        .await
                }
                Target::Reviewers => {
                    github
                        .remove_requested_reviewers(org, repo, number, &changes.remove)
                        .await
                }
            }
            .map_err(|e| PluginError::new(format!("remove {:?}: {e}", changes.remove)))?;
        }
        if changes.add.is_empty() {
            return Ok(());
        }
        let missing = match target {
            Target::Assignees => github.add_assignees(org, repo, number, &changes.add).await,
            Target::Reviewers => {
                github
                    .request_reviewers(org, repo, number, &changes.add)
                    .await
            }
        }
        .map_err(|e| PluginError::new(format!("add {:?}: {e}", changes.add)))?;
        if missing.is_empty() {
            return Ok(());
        }
        let message = match target {
            Target::Assignees => assign_refused(org, &missing),
            Target::Reviewers => review_refused(org, &missing),
        };
        github
            .create_issue_comment(org, repo, number, &comment.reply(&message))
            .await
            .map(drop)
            .map_err(|e| PluginError::new(format!("comment: {e}")))
    }
}

#[async_trait]
impl Plugin for Assign {
    fn name(&self) -> &'static str {
        "assign"
    }

    fn help(&self, _config: &Loaded, _org_repo: Option<&str>) -> PluginHelp {
        PluginHelp {
            description: "The assign plugin assigns or requests reviews from users/teams. Specific users can be assigned with the command '/assign @user1' or have reviews requested of them with the command '/cc @user1'. If no users are specified, the commands default to targeting the user who created the command. Assignments and requested reviews can be removed in the same way that they are added by prefixing the commands with 'un'.".into(),
            config: None,
            commands: vec![
                CommandHelp {
                    usage: "/[un]assign [[@]<username>...|[@]<orgname/teamname>...]".into(),
                    description: "Assigns assignee(s) or team(s) to the PR".into(),
                    who_can_use: "Anyone can use the command, but the target user(s) must be an org member, a repo collaborator, or should have previously commented on the issue or PR.".into(),
                    examples: vec!["/assign".into(), "/unassign".into(), "/assign @spongebob".into(), "/assign spongebob patrick".into()],
                },
                CommandHelp {
                    usage: "/[un]cc [[@]<username>...|[@]<orgname/teamname>...]".into(),
                    description: "Requests a review from the user(s) or team(s).".into(),
                    who_can_use: "Anyone can use the command, but the target user(s) must be a member of the org that owns the repository.".into(),
                    examples: vec!["/cc".into(), "/uncc".into(), "/cc @spongebob".into(), "/cc spongebob patrick".into(), "/cc @kubernetes/sig-foo-bar".into()],
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
        let assigned = self.apply(services, &comment, Target::Assignees).await;
        let reviewed = if comment.is_pr {
            self.apply(services, &comment, Target::Reviewers).await
        } else {
            Ok(())
        };
        match (assigned, reviewed) {
            (Err(a), Err(r)) => Err(PluginError::new(format!("two errors: 1) {a} 2) {r}"))),
            (Err(e), _) | (_, Err(e)) => Err(e),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assign_and_cc_commands_table() {
        let cases: &[(&str, Target, &[&str], &[&str])] = &[
            ("/assign", Target::Assignees, &["me"], &[]),
            ("/assign @alice", Target::Assignees, &["alice"], &[]),
            (
                "/assign alice @bob",
                Target::Assignees,
                &["alice", "bob"],
                &[],
            ),
            ("/unassign", Target::Assignees, &[], &["me"]),
            ("/UNASSIGN @alice  ", Target::Assignees, &[], &["alice"]),
            (
                "/assign @alice\n/unassign @alice",
                Target::Assignees,
                &[],
                &["alice"],
            ),
            ("/assign @org/team", Target::Assignees, &[], &[]),
            ("/assignee", Target::Assignees, &[], &[]),
            ("please /assign me", Target::Assignees, &[], &[]),
            ("/cc", Target::Reviewers, &["me"], &[]),
            (
                "/cc @org/team @bob",
                Target::Reviewers,
                &["bob", "org/team"],
                &[],
            ),
            ("/uncc @bob", Target::Reviewers, &[], &["bob"]),
            ("/cc\n/assign", Target::Reviewers, &["me"], &[]),
        ];
        for (body, target, add, remove) in cases {
            let got = parse_changes(body, *target, "me");
            assert_eq!(got.add, *add, "{body:?}");
            assert_eq!(got.remove, *remove, "{body:?}");
        }
    }
}
