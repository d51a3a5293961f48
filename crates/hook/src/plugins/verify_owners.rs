//! The `verify-owners` plugin (Prow's `verify-owners`): when a PR changes OWNERS or
//! OWNERS_ALIASES files (or on `/verify-owners`), checks them at the PR's head: each changed
//! OWNERS file must parse, must not set a label of `owners.labels_denylist`, and the root
//! OWNERS file must name approvers; OWNERS_ALIASES must parse; people newly added to them must
//! be trusted as trigger trusts (org members, collaborators unless `only_org_members`,
//! `trusted_apps`, `trusted_org`) unless the repository is in `owners.skip_collaborators`.
//! Problems add `do-not-merge/invalid-owners-file` and explain themselves in a comment;
//! a clean check removes the label and the old untrusted-users comment.
//!
//! Not as Prow: files are read through the contents API at the head commit (Prow checks out
//! the merge with the base); the invalid-file messages go into one issue comment (Prow posts a
//! review with line comments, a call the GitHub client does not have); "newly added" owners
//! are those in the head's file and not in the base's (Prow reads the diff's `+ - login`
//! lines).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use async_trait::async_trait;
use prow_config::Loaded;
use prow_github::GitHub;
use prow_github::types::PullRequest;
use prow_github::webhook::Event;
use prow_github::webhook::events::PullRequestAction;
use regex::Regex;

use crate::owners::file_format::parse_aliases;
use crate::owners::plugin_config;
use crate::owners::{OwnersFile, OwnersFilenames, RepoAliases, norm_login};
use crate::plugin::{CommandHelp, Delivery, Plugin, PluginError, PluginHelp, Services};
use crate::plugins::cat::format_response;
use crate::plugins::lgtm::pr_comment::{has_label, pr_comment};
use crate::plugins::trigger::trust::{is_bot, trusted_user};

/// The label for invalid OWNERS changes.
pub const INVALID_OWNERS: &str = "do-not-merge/invalid-owners-file";
/// Comment for an unparsable OWNERS_ALIASES.
pub const INVALID_ALIASES: &str = "The content of OWNERS_ALIASES is invalid.";
/// Comment for empty aliases.
pub const EMPTY_ALIASES: &str = "There are empty aliases in OWNER_ALIASES, cleanup is advised.";

static VERIFY_OWNERS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?mi)^/verify-owners\s*$").unwrap_or_else(|e| unreachable!("{e}"))
});

/// Prow's `untrustedResponseFormat`.
pub fn untrusted_intro(owners_name: &str, join_org_url: &str, org: &str) -> String {
    format!(
        "The OWNERS file contains untrusted users, which makes it INVALID. The following users are mentioned in {owners_name} file(s) but are untrusted for the following reasons. One way to make the user trusted is to add them as [members]({join_org_url}) of the {org} org. You can then trigger verification by writing `/verify-owners` in a comment."
    )
}

/// What is wrong with one changed OWNERS file, or who it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OwnersCheck {
    /// The file is invalid, with Prow's message.
    Invalid(String),
    /// The file is valid and names these logins (aliases not expanded).
    Valid(Vec<String>),
}

/// Prow's `parseOwnersFile`: parse errors, banned labels, a root file without approvers.
pub fn check_owners_file(path: &str, text: &str, banned_labels: &[String]) -> OwnersCheck {
    let file = match OwnersFile::parse(path, text) {
        Ok(file) => file,
        Err(e) => return OwnersCheck::Invalid(format!("Cannot parse file: {e}.")),
    };
    let mut people = Vec::new();
    let mut approvers = Vec::new();
    let mut labels = BTreeSet::new();
    for (_, entry) in file.entries() {
        people.extend(entry.reviewers.iter().cloned());
        approvers.extend(entry.approvers.iter().cloned());
        labels.extend(entry.labels.iter().cloned());
    }
    let banned: Vec<String> = labels
        .iter()
        .filter(|l| banned_labels.contains(l))
        .cloned()
        .collect();
    if !banned.is_empty() {
        return OwnersCheck::Invalid(format!(
            "File contains banned labels: [{}].",
            banned.join(" ")
        ));
    }
    let owners_name = path.rsplit('/').next().unwrap_or(path);
    if path == owners_name && approvers.is_empty() {
        return OwnersCheck::Invalid(format!(
            "No approvers defined in this root directory {owners_name} file."
        ));
    }
    people.extend(approvers);
    OwnersCheck::Valid(people)
}

/// The logins in `head` that `base` does not have (both normalized).
fn newly_added(head: &[String], base: &[String]) -> Vec<String> {
    let before: BTreeSet<String> = base.iter().map(|l| norm_login(l)).collect();
    let mut out: Vec<String> = head
        .iter()
        .map(|l| norm_login(l))
        .filter(|l| !before.contains(l))
        .collect();
    out.sort();
    out.dedup();
    out
}

fn alias_members(aliases: &RepoAliases) -> Vec<String> {
    aliases.values().flatten().cloned().collect()
}

/// The `verify-owners` plugin.
#[derive(Debug, Clone, Default)]
pub struct VerifyOwners;

async fn read(
    github: &dyn GitHub,
    org: &str,
    repo: &str,
    path: &str,
    sha: &str,
) -> Result<Option<String>, PluginError> {
    github
        .get_file(org, repo, path, Some(sha))
        .await
        .map(|b| b.map(|b| String::from_utf8_lossy(&b).into_owned()))
        .map_err(|e| PluginError::new(format!("verify-owners: read {path}: {e}")))
}

impl VerifyOwners {
    async fn verify(
        &self,
        services: &Services,
        config: &Loaded,
        org: &str,
        repo: &str,
        pr: &PullRequest,
    ) -> Result<(), PluginError> {
        let github = services.github.as_ref();
        let number = pr.number;
        let fail = |what: &str, e: &dyn std::fmt::Display| {
            PluginError::new(format!("verify-owners {org}/{repo}#{number}: {what}: {e}"))
        };
        let filenames = OwnersFilenames::for_repo(&plugin_config(config).owners, org, repo);
        let changes = github
            .list_pull_request_files(org, repo, number)
            .await
            .map_err(|e| fail("list files", &e))?;
        let modified_owners: Vec<String> = changes
            .iter()
            .filter(|c| {
                c.filename.rsplit('/').next() == Some(filenames.owners.as_str())
                    && c.status != "removed"
            })
            .map(|c| c.filename.clone())
            .collect();
        let aliases_modified = changes
            .iter()
            .any(|c| c.filename == filenames.owners_aliases);
        let labels = github
            .list_issue_labels(org, repo, number)
            .await
            .map_err(|e| fail("list labels", &e))?;
        let has_invalid = has_label(&labels, INVALID_OWNERS);
        if modified_owners.is_empty() && !aliases_modified && !has_invalid {
            return Ok(());
        }
        let add_label = || async {
            if has_invalid {
                return Ok(());
            }
            github
                .add_labels(org, repo, number, &[INVALID_OWNERS.to_string()])
                .await
                .map_err(|e| fail("add the label", &e))
        };
        let head = pr.head.sha.as_str();
        let base = if pr.base.sha.is_empty() {
            pr.base.git_ref.as_str()
        } else {
            pr.base.sha.as_str()
        };
        let skip_trust = plugin_config(config)
            .owners
            .skip_collaborators
            .iter()
            .any(|r| *r == format!("{org}/{repo}"));
        let trigger = plugin_config(config).trigger_for(org, repo);

        // OWNERS_ALIASES at the head.
        let aliases = match read(github, org, repo, &filenames.owners_aliases, head).await? {
            None => RepoAliases::new(),
            Some(text) => match parse_aliases(&filenames.owners_aliases, &text) {
                Ok(aliases) => aliases,
                Err(e) => {
                    tracing::info!(error = %e, "verify-owners: invalid aliases file");
                    add_label().await?;
                    github
                        .create_issue_comment(org, repo, number, INVALID_ALIASES)
                        .await
                        .map_err(|e| fail("comment", &e))?;
                    return Ok(());
                }
            },
        };
        let comments = github
            .list_issue_comments(org, repo, number)
            .await
            .map_err(|e| fail("list comments", &e))?;
        let bot_said = |text: &str| {
            comments
                .iter()
                .any(|c| is_bot(&services.bot_login, &c.user.login) && c.body.contains(text))
        };
        if aliases.values().any(BTreeSet::is_empty) && !bot_said(EMPTY_ALIASES) {
            github
                .create_issue_comment(org, repo, number, EMPTY_ALIASES)
                .await
                .map_err(|e| fail("comment", &e))?;
        }

        // Who is newly named, per file.
        let mut candidates: BTreeMap<String, Vec<String>> = BTreeMap::new();
        if aliases_modified && !skip_trust {
            let before = match read(github, org, repo, &filenames.owners_aliases, base).await? {
                Some(text) => parse_aliases(&filenames.owners_aliases, &text).unwrap_or_default(),
                None => RepoAliases::new(),
            };
            for login in newly_added(&alias_members(&aliases), &alias_members(&before)) {
                candidates
                    .entry(login)
                    .or_default()
                    .push(filenames.owners_aliases.clone());
            }
        }
        let mut invalid: BTreeMap<String, String> = BTreeMap::new();
        for path in &modified_owners {
            let Some(text) = read(github, org, repo, path, head).await? else {
                continue;
            };
            match check_owners_file(path, &text, &plugin_config(config).owners.labels_denylist) {
                OwnersCheck::Invalid(message) => {
                    invalid.insert(path.clone(), message);
                }
                OwnersCheck::Valid(people) if !skip_trust => {
                    let before = match read(github, org, repo, path, base).await? {
                        Some(text) => match check_owners_file(path, &text, &[]) {
                            OwnersCheck::Valid(people) => people,
                            OwnersCheck::Invalid(_) => Vec::new(),
                        },
                        None => Vec::new(),
                    };
                    for login in newly_added(&people, &before) {
                        if aliases.contains_key(&login) {
                            continue;
                        }
                        candidates.entry(login).or_default().push(path.clone());
                    }
                }
                OwnersCheck::Valid(_) => {}
            }
        }
        let mut untrusted: BTreeMap<String, Vec<String>> = BTreeMap::new();
        // Prow caps the checks at about 50 users to spare API tokens.
        for (login, files) in candidates.into_iter().take(50) {
            let trusted = trusted_user(github, &trigger, &services.bot_login, &login, org, repo)
                .await
                .map_err(|e| fail("check trust", &e))?;
            if !trusted {
                untrusted.insert(login, files);
            }
        }

        if !invalid.is_empty() {
            add_label().await?;
            let s = if invalid.len() == 1 { "" } else { "s" };
            let mut reply = format!("{} invalid {} file{s}", invalid.len(), filenames.owners);
            for (path, message) in &invalid {
                reply.push_str(&format!("\n- `{path}`: {message}"));
            }
            let body = format_response(
                pr.body.as_deref().unwrap_or_default(),
                &pr.html_url,
                &pr.user.login,
                &reply,
            );
            if !bot_said(&reply) {
                github
                    .create_issue_comment(org, repo, number, &body)
                    .await
                    .map_err(|e| fail("comment", &e))?;
            }
        }
        let join_org_url = if trigger.join_org_url.is_empty() {
            format!("https://github.com/orgs/{org}/people")
        } else {
            trigger.join_org_url.clone()
        };
        let intro = untrusted_intro(&filenames.owners, &join_org_url, org);
        if !untrusted.is_empty() {
            add_label().await?;
            let reason = if trigger.only_org_members {
                "User is not a member of the org. Satisfy at least one of these conditions to make the user trusted."
            } else {
                "User is not a member of the org. User is not a collaborator. Satisfy at least one of these conditions to make the user trusted."
            };
            let mut lines = vec![intro.clone()];
            for (login, files) in &untrusted {
                lines.push(format!("- {login}"));
                lines.push(format!("  - {reason}"));
                lines.extend(files.iter().map(|f| format!("  - {f}")));
            }
            let body = lines.join("\n");
            if !bot_said(&body) {
                self.prune(services, org, repo, number, &comments, &intro)
                    .await;
                github
                    .create_issue_comment(org, repo, number, &body)
                    .await
                    .map_err(|e| fail("comment", &e))?;
            }
        }
        if invalid.is_empty() && untrusted.is_empty() {
            github
                .remove_label(org, repo, number, INVALID_OWNERS)
                .await
                .map_err(|e| fail("remove the label", &e))?;
            self.prune(services, org, repo, number, &comments, &intro)
                .await;
        }
        Ok(())
    }

    async fn prune(
        &self,
        services: &Services,
        org: &str,
        repo: &str,
        _number: u64,
        comments: &[prow_github::types::IssueComment],
        text: &str,
    ) {
        for c in comments {
            if is_bot(&services.bot_login, &c.user.login)
                && c.body.contains(text)
                && let Err(e) = services.github.delete_issue_comment(org, repo, c.id).await
            {
                tracing::warn!(error = %e, "verify-owners: cannot delete an old comment");
            }
        }
    }
}

#[async_trait]
impl Plugin for VerifyOwners {
    fn name(&self) -> &'static str {
        "verify-owners"
    }

    fn help(&self, config: &Loaded, org_repo: Option<&str>) -> PluginHelp {
        let filenames = org_repo
            .and_then(|full| full.split_once('/'))
            .map(|(org, repo)| OwnersFilenames::for_repo(&plugin_config(config).owners, org, repo))
            .unwrap_or_default();
        let mut config_text = format!(
            "{} and {} files are validated.",
            filenames.owners, filenames.owners_aliases
        );
        let denylist = &plugin_config(config).owners.labels_denylist;
        if !denylist.is_empty() {
            config_text.push_str(&format!(
                " The verify-owners plugin will complain if {} files contain any of the following banned labels: {}.",
                filenames.owners,
                denylist.join(", ")
            ));
        }
        PluginHelp {
            description: format!(
                "The verify-owners plugin validates OWNERS and OWNERS_ALIASES files (by default) and ensures that they always contain collaborators of the org, if they are modified in a PR. On validation failure it automatically adds the '{INVALID_OWNERS}' label to the PR, and a review comment on the incriminating file(s). Per-repo configuration for filenames is possible."
            ),
            config: Some(config_text),
            commands: vec![CommandHelp {
                usage: "/verify-owners".into(),
                description: INVALID_OWNERS.into(),
                who_can_use: "Anyone".into(),
                examples: vec!["/verify-owners".into()],
            }],
        }
    }

    async fn handle(
        &self,
        services: &Services,
        delivery: &Delivery<'_>,
    ) -> Result<(), PluginError> {
        let config = delivery.config.as_ref();
        match delivery.event {
            Event::PullRequest(e) => {
                if !matches!(
                    e.action,
                    PullRequestAction::Opened
                        | PullRequestAction::Reopened
                        | PullRequestAction::Synchronize
                ) {
                    return Ok(());
                }
                let (org, repo) = (&e.repository.owner.login, &e.repository.name);
                self.verify(services, config, org, repo, &e.pull_request)
                    .await
            }
            event => {
                let Some(c) = pr_comment(event) else {
                    return Ok(());
                };
                if c.issue_state != "open" || !c.is_pr || !VERIFY_OWNERS.is_match(c.body) {
                    return Ok(());
                }
                let pr = services
                    .github
                    .get_pull_request(c.org, c.repo, c.number)
                    .await
                    .map_err(|e| PluginError::new(format!("verify-owners: get the PR: {e}")))?;
                self.verify(services, config, c.org, c.repo, &pr).await
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Expected result: the people named, or the start of the error message.
    type Want = Result<&'static [&'static str], &'static str>;

    #[test]
    fn owners_file_checks_table() {
        let banned = vec!["priority/critical-urgent".to_string()];
        let cases: [(&str, &str, Want); 6] = [
            (
                "OWNERS",
                "approvers: [alice]\nreviewers: [bob]\n",
                Ok(&["bob", "alice"]),
            ),
            (
                "OWNERS",
                "reviewers: [bob]\n",
                Err("No approvers defined in this root directory OWNERS file."),
            ),
            ("pkg/OWNERS", "reviewers: [bob]\n", Ok(&["bob"])),
            (
                "pkg/OWNERS",
                "approvers: [alice]\nlabels: [priority/critical-urgent]\n",
                Err("File contains banned labels: [priority/critical-urgent]."),
            ),
            (
                "pkg/OWNERS",
                "filters:\n  '.*':\n    approvers: [carol]\n",
                Ok(&["carol"]),
            ),
            (
                "pkg/OWNERS",
                "approvers: [unclosed\n",
                Err("Cannot parse file"),
            ),
        ];
        for (path, text, want) in cases {
            let got = check_owners_file(path, text, &banned);
            match (want, got) {
                (Ok(people), OwnersCheck::Valid(got)) => assert_eq!(got, people, "{path} {text:?}"),
                (Err(prefix), OwnersCheck::Invalid(message)) => {
                    assert!(message.starts_with(prefix), "{path} {text:?}: {message}")
                }
                (want, got) => panic!("{path} {text:?}: want {want:?}, got {got:?}"),
            }
        }
    }

    #[test]
    fn only_new_logins_count() {
        let head = vec!["Alice".to_string(), "@bob".to_string(), "carol".to_string()];
        let base = vec!["alice".to_string()];
        assert_eq!(newly_added(&head, &base), ["bob", "carol"]);
    }
}
