//! The `lgtm` plugin (Prow's `lgtm`): `/lgtm` adds the `lgtm` label, `/lgtm cancel` and
//! `/remove-lgtm` remove it; with `review_acts_as_lgtm` an approving review adds it and a
//! "changes requested" review removes it. A new push removes it, unless `store_tree_hash` is
//! set and the pushed tree is the one that got the lgtm (Prow records the tree hash in a bot
//! comment, `LGTM label has been added. <details>Git tree hash: …</details>`), or the author
//! is in `trusted_team_for_sticky_lgtm`.
//!
//! Who may: collaborators (a reviewer who is not assigned gets assigned); the author may
//! `/lgtm cancel` but not `/lgtm`; with `owners.skip_collaborators` for the repository, the
//! approvers and reviewers OWNERS files name for the changed files instead. Refusals are
//! answered with Prow's words, quoting the command.
//!
//! The tree hash is the pushed commit's `commit.tree.sha` (`GitHub::get_commit_tree`); when
//! it cannot be read, an empty hash is recorded and the next push removes `lgtm` (what Prow
//! does when it cannot read the commit).

pub mod pr_comment;

use std::sync::{Arc, LazyLock};

use async_trait::async_trait;
use prow_config::Lgtm as LgtmConfig;
use prow_config::Loaded;
use prow_github::types::{IssueComment, User};
use prow_github::webhook::Event;
use prow_github::webhook::events::{PullRequestAction, ReviewAction};
use regex::Regex;

use self::pr_comment::{has_label, pr_comment};
use crate::owners::plugin_config;
use crate::owners::{OwnersFilenames, OwnersLoader, norm_login};
use crate::plugin::{CommandHelp, Delivery, Plugin, PluginError, PluginHelp, Services};
use crate::plugins::cat::format_response;
use crate::plugins::trigger::trust::is_bot;

/// The label.
pub const LGTM: &str = "lgtm";
/// Comment written when a push removed the label.
pub const REMOVED_NOTIFICATION: &str = "New changes are detected. LGTM label has been removed.";

static LGTM_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?mi)^/lgtm(?: no-issue)?\s*$").unwrap_or_else(|e| unreachable!("{e}"))
});
static LGTM_CANCEL_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?mi)^/(remove-lgtm|lgtm cancel)\s*$").unwrap_or_else(|e| unreachable!("{e}"))
});
static TREE_HASH_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"LGTM label has been added\.  <details>Git tree hash: (.*)</details>")
        .unwrap_or_else(|e| unreachable!("{e}"))
});

/// Prow's tree-hash comment for `tree`.
pub fn tree_hash_comment(tree: &str) -> String {
    format!("LGTM label has been added.  <details>Git tree hash: {tree}</details>")
}

/// The tree hash of the bot's latest unedited tree-hash comment (Prow's search, newest first).
pub fn last_tree_hash(comments: &[IssueComment], bot_login: &str) -> Option<String> {
    comments.iter().rev().find_map(|c| {
        if !is_bot(bot_login, &c.user.login) || c.updated_at != c.created_at {
            return None;
        }
        TREE_HASH_RE.captures(&c.body).map(|m| m[1].to_string())
    })
}

/// What a comment asks for: `Some(true)` = `/lgtm`, `Some(false)` = cancel, `None` = nothing.
pub fn wanted_lgtm(body: &str) -> Option<bool> {
    if LGTM_RE.is_match(body) {
        Some(true)
    } else if LGTM_CANCEL_RE.is_match(body) {
        Some(false)
    } else {
        None
    }
}

/// Prow's `LgtmFor`: the entry naming `org/repo`, else the org, else defaults.
pub fn lgtm_for(config: &Loaded, org: &str, repo: &str) -> LgtmConfig {
    let full = format!("{org}/{repo}");
    let entries = &plugin_config(config).lgtm;
    entries
        .iter()
        .find(|l| l.repos.contains(&full))
        .or_else(|| entries.iter().find(|l| l.repos.iter().any(|r| r == org)))
        .cloned()
        .unwrap_or_default()
}

/// Whether `owners.skip_collaborators` names the org or `org/repo`.
pub fn skip_collaborators(config: &Loaded, org: &str, repo: &str) -> bool {
    let full = format!("{org}/{repo}");
    plugin_config(config)
        .owners
        .skip_collaborators
        .iter()
        .any(|e| e == org || *e == full)
}

/// One `/lgtm`-like request.
struct Request<'a> {
    org: &'a str,
    repo: &'a str,
    number: u64,
    author: &'a str,
    issue_author: &'a str,
    body: &'a str,
    html_url: &'a str,
    assignees: Option<&'a [User]>,
    want: bool,
}

/// The `lgtm` plugin.
#[derive(Clone)]
pub struct Lgtm {
    owners: Arc<OwnersLoader>,
}

impl std::fmt::Debug for Lgtm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lgtm").finish()
    }
}

impl Lgtm {
    /// An lgtm plugin reading OWNERS through `owners`.
    pub fn new(owners: Arc<OwnersLoader>) -> Self {
        Lgtm { owners }
    }

    /// The tree SHA of commit `sha`, or empty when GitHub cannot tell (logged).
    async fn tree_hash(services: &Services, org: &str, repo: &str, sha: &str) -> String {
        services
            .github
            .get_commit_tree(org, repo, sha)
            .await
            .unwrap_or_else(|e| {
                tracing::error!(error = %e, sha, "lgtm: cannot read the commit's tree");
                String::new()
            })
    }

    /// Deletes the bot's comments that `matches` (Prow's comment pruner).
    async fn prune(
        services: &Services,
        org: &str,
        repo: &str,
        number: u64,
        matches: impl Fn(&str) -> bool,
    ) {
        let github = services.github.as_ref();
        let comments = match github.list_issue_comments(org, repo, number).await {
            Ok(comments) => comments,
            Err(e) => {
                tracing::warn!(error = %e, "lgtm: cannot list comments to prune");
                return;
            }
        };
        for c in comments {
            if is_bot(&services.bot_login, &c.user.login)
                && matches(&c.body)
                && let Err(e) = github.delete_issue_comment(org, repo, c.id).await
            {
                tracing::warn!(error = %e, "lgtm: cannot delete a comment");
            }
        }
    }

    async fn reply(services: &Services, r: &Request<'_>, text: &str) -> Result<(), PluginError> {
        services
            .github
            .create_issue_comment(
                r.org,
                r.repo,
                r.number,
                &format_response(r.body, r.html_url, r.author, text),
            )
            .await
            .map(|_| ())
            .map_err(|e| PluginError::new(format!("lgtm: comment: {e}")))
    }

    async fn handle_request(
        &self,
        services: &Services,
        config: &Loaded,
        r: Request<'_>,
    ) -> Result<(), PluginError> {
        let github = services.github.as_ref();
        let fail = |what: &str, e: &dyn std::fmt::Display| {
            PluginError::new(format!(
                "lgtm {}/{}#{}: {what}: {e}",
                r.org, r.repo, r.number
            ))
        };
        let is_author = r.author == r.issue_author;
        if is_author && r.want {
            return Self::reply(services, &r, "you cannot LGTM your own PR.").await;
        }
        let skip = skip_collaborators(config, r.org, r.repo);
        let is_collaborator = github
            .is_collaborator(r.org, r.repo, r.author)
            .await
            .map_err(|e| fail("check collaborator", &e))?;
        if !is_author && !skip && !is_collaborator {
            return Self::reply(services, &r, "changing LGTM is restricted to collaborators").await;
        }
        let pr = github
            .get_pull_request(r.org, r.repo, r.number)
            .await
            .map_err(|e| fail("get the PR", &e))?;
        let assignees = r.assignees.unwrap_or(&pr.assignees);
        let is_assignee = assignees.iter().any(|a| a.login == r.author);
        if !is_author && !is_assignee && !skip {
            if let Err(e) = github
                .add_assignees(r.org, r.repo, r.number, &[r.author.to_string()])
                .await
            {
                tracing::warn!(error = %e, "lgtm: cannot assign the reviewer");
            }
        } else if !is_author && skip {
            let files: Vec<String> = github
                .list_pull_request_files(r.org, r.repo, r.number)
                .await
                .map_err(|e| fail("list files", &e))?
                .into_iter()
                .map(|f| f.filename)
                .collect();
            let filenames = OwnersFilenames::for_repo(&plugin_config(config).owners, r.org, r.repo);
            let owners = self
                .owners
                .load(github, r.org, r.repo, &pr.base.sha, &filenames, &files)
                .await
                .map_err(|e| fail("load OWNERS", &e))?;
            let login = norm_login(r.author);
            let allowed = files.iter().any(|f| {
                owners.approvers(f).contains(&login) || owners.reviewers(f).contains(&login)
            });
            if !allowed {
                return Self::reply(
                    services,
                    &r,
                    "adding LGTM is restricted to approvers and reviewers in OWNERS files.",
                )
                .await;
            }
        }

        let labels = github
            .list_issue_labels(r.org, r.repo, r.number)
            .await
            .map_err(|e| fail("list labels", &e))?;
        let has_lgtm = has_label(&labels, LGTM);
        let opts = lgtm_for(config, r.org, r.repo);
        if has_lgtm && !r.want {
            let logins: Vec<String> = assignees.iter().map(|a| a.login.clone()).collect();
            self.remove_lgtm(
                services,
                r.org,
                r.repo,
                r.number,
                &logins,
                opts.store_tree_hash,
            )
            .await?;
            if opts.store_tree_hash {
                Self::prune(services, r.org, r.repo, r.number, |b| {
                    TREE_HASH_RE.is_match(b)
                })
                .await;
            }
        } else if !has_lgtm && r.want {
            github
                .add_labels(r.org, r.repo, r.number, &[LGTM.to_string()])
                .await
                .map_err(|e| fail("add lgtm", &e))?;
            if !self.sticky(services, &opts, r.issue_author, r.org).await {
                if opts.store_tree_hash {
                    let tree = Self::tree_hash(services, r.org, r.repo, &pr.head.sha).await;
                    github
                        .create_issue_comment(r.org, r.repo, r.number, &tree_hash_comment(&tree))
                        .await
                        .map_err(|e| fail("comment the tree hash", &e))?;
                }
                Self::prune(services, r.org, r.repo, r.number, |b| {
                    b.contains(REMOVED_NOTIFICATION)
                })
                .await;
            }
        }
        Ok(())
    }

    async fn remove_lgtm(
        &self,
        services: &Services,
        org: &str,
        repo: &str,
        number: u64,
        assignees: &[String],
        store_tree_hash: bool,
    ) -> Result<(), PluginError> {
        let github = services.github.as_ref();
        github
            .remove_label(org, repo, number, LGTM)
            .await
            .map_err(|e| PluginError::new(format!("lgtm: remove the label: {e}")))?;
        if store_tree_hash && !assignees.is_empty() {
            github
                .request_reviewers(org, repo, number, assignees)
                .await
                .map(|_| ())
                .map_err(|e| PluginError::new(format!("lgtm: re-request review: {e}")))?;
        }
        Ok(())
    }

    /// Whether the PR author is in `trusted_team_for_sticky_lgtm` (by team name, as Prow).
    async fn sticky(
        &self,
        services: &Services,
        opts: &LgtmConfig,
        author: &str,
        org: &str,
    ) -> bool {
        let team_name = &opts.trusted_team_for_sticky_lgtm;
        if team_name.is_empty() {
            return false;
        }
        let github = services.github.as_ref();
        let teams = match github.list_teams(org).await {
            Ok(teams) => teams,
            Err(e) => {
                tracing::error!(error = %e, org, "lgtm: cannot list teams");
                return false;
            }
        };
        let Some(team) = teams.iter().find(|t| t.name == *team_name) else {
            tracing::error!(team = %team_name, org, "lgtm: trusted_team_for_sticky_lgtm not found");
            return false;
        };
        match github.list_team_members(org, &team.slug).await {
            Ok(members) => members.iter().any(|m| m.login == author),
            Err(e) => {
                tracing::error!(error = %e, "lgtm: cannot list team members");
                false
            }
        }
    }

    async fn handle_push(
        &self,
        services: &Services,
        config: &Loaded,
        org: &str,
        repo: &str,
        pr: &prow_github::types::PullRequest,
    ) -> Result<(), PluginError> {
        let github = services.github.as_ref();
        let number = pr.number;
        let opts = lgtm_for(config, org, repo);
        if self.sticky(services, &opts, &pr.user.login, org).await {
            return Ok(());
        }
        let labels = github
            .list_issue_labels(org, repo, number)
            .await
            .map_err(|e| PluginError::new(format!("lgtm: list labels: {e}")))?;
        if !has_label(&labels, LGTM) {
            return Ok(());
        }
        if opts.store_tree_hash {
            let comments = github
                .list_issue_comments(org, repo, number)
                .await
                .map_err(|e| PluginError::new(format!("lgtm: list comments: {e}")))?;
            if let Some(last) = last_tree_hash(&comments, &services.bot_login)
                && !last.is_empty()
            {
                let tree = Self::tree_hash(services, org, repo, &pr.head.sha).await;
                if tree == last {
                    tracing::info!(tree = %tree, "lgtm: keeping the label, the tree is unchanged");
                    return Ok(());
                }
            }
        }
        let logins: Vec<String> = pr.assignees.iter().map(|a| a.login.clone()).collect();
        self.remove_lgtm(services, org, repo, number, &logins, opts.store_tree_hash)
            .await?;
        github
            .create_issue_comment(org, repo, number, REMOVED_NOTIFICATION)
            .await
            .map(|_| ())
            .map_err(|e| PluginError::new(format!("lgtm: comment: {e}")))
    }
}

#[async_trait]
impl Plugin for Lgtm {
    fn name(&self) -> &'static str {
        "lgtm"
    }

    fn help(&self, config: &Loaded, org_repo: Option<&str>) -> PluginHelp {
        let config_text = org_repo.and_then(|full| full.split_once('/')).and_then(|(org, repo)| {
            let opts = lgtm_for(config, org, repo);
            let mut items = Vec::new();
            if opts.review_acts_as_lgtm {
                items.push(
                    "<li>Reviews of \"approve\" or \"request changes\" act as adding or removing LGTM.</li>"
                        .to_string(),
                );
            }
            if opts.store_tree_hash {
                items.push("<li>Squashing commits does not remove LGTM.</li>".to_string());
            }
            if !opts.trusted_team_for_sticky_lgtm.is_empty() {
                items.push(format!(
                    "<li>Commits from \"{}\" do not remove LGTM.</li>",
                    opts.trusted_team_for_sticky_lgtm
                ));
            }
            (!items.is_empty()).then(|| {
                format!(
                    "The plugin has the following configuration:<ul>\n{}\n</ul>",
                    items.join("\n")
                )
            })
        });
        PluginHelp {
            description: "The lgtm plugin manages the application and removal of the 'lgtm' (Looks Good To Me) label which is typically used to gate merging.".into(),
            config: config_text,
            commands: vec![CommandHelp {
                usage: "/[remove-]lgtm [cancel] or GitHub Review action".into(),
                description: "Adds or removes the 'lgtm' label which is typically used to gate merging.".into(),
                who_can_use: "Collaborators on the repository. '/lgtm cancel' can be used additionally by the PR author.".into(),
                examples: vec![
                    "/lgtm".into(),
                    "/lgtm cancel".into(),
                    "/remove-lgtm".into(),
                    "<a href=\"https://help.github.com/articles/about-pull-request-reviews/\">'Approve' or 'Request Changes'</a>".into(),
                ],
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
                if e.action != PullRequestAction::Synchronize || e.pull_request.merged {
                    return Ok(());
                }
                let (org, repo) = (&e.repository.owner.login, &e.repository.name);
                self.handle_push(services, config, org, repo, &e.pull_request)
                    .await
            }
            Event::PullRequestReview(e) if e.action == ReviewAction::Submitted => {
                let body = e.review.body.as_deref().unwrap_or_default();
                let (org, repo) = (&e.repository.owner.login, &e.repository.name);
                // A review whose body holds a command is a comment.
                if let Some(want) = wanted_lgtm(body) {
                    if e.pull_request.state != "open" {
                        return Ok(());
                    }
                    let request = Request {
                        org,
                        repo,
                        number: e.pull_request.number,
                        author: &e.review.user.login,
                        issue_author: &e.pull_request.user.login,
                        body,
                        html_url: &e.review.html_url,
                        assignees: Some(&e.pull_request.assignees),
                        want,
                    };
                    return self.handle_request(services, config, request).await;
                }
                if !lgtm_for(config, org, repo).review_acts_as_lgtm
                    || is_bot(&services.bot_login, &e.review.user.login)
                    || e.review.user.kind == "Bot"
                {
                    return Ok(());
                }
                let want = match e.review.state.to_uppercase().as_str() {
                    "APPROVED" => true,
                    "CHANGES_REQUESTED" => false,
                    _ => return Ok(()),
                };
                let request = Request {
                    org,
                    repo,
                    number: e.pull_request.number,
                    author: &e.review.user.login,
                    issue_author: &e.pull_request.user.login,
                    body,
                    html_url: &e.review.html_url,
                    assignees: Some(&e.pull_request.assignees),
                    want,
                };
                self.handle_request(services, config, request).await
            }
            event => {
                let Some(c) = pr_comment(event) else {
                    return Ok(());
                };
                if !c.is_pr || c.issue_state != "open" {
                    return Ok(());
                }
                let Some(want) = wanted_lgtm(c.body) else {
                    return Ok(());
                };
                let request = Request {
                    org: c.org,
                    repo: c.repo,
                    number: c.number,
                    author: c.author,
                    issue_author: c.issue_author,
                    body: c.body,
                    html_url: c.html_url,
                    assignees: None,
                    want,
                };
                self.handle_request(services, config, request).await
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lgtm_commands_table() {
        let cases = [
            ("/lgtm", Some(true)),
            ("/LGTM", Some(true)),
            ("/lgtm no-issue", Some(true)),
            ("looks fine\n/lgtm  \n", Some(true)),
            ("/lgtm cancel", Some(false)),
            ("/remove-lgtm", Some(false)),
            ("/lgtmfoo", None),
            ("I said /lgtm", None),
            ("/lgtm please", None),
        ];
        for (body, want) in cases {
            assert_eq!(wanted_lgtm(body), want, "{body:?}");
        }
    }

    #[test]
    fn latest_unedited_bot_tree_hash_wins() {
        let comment = |user: &str, body: &str, edited: bool| IssueComment {
            body: body.into(),
            user: User {
                login: user.into(),
                ..User::default()
            },
            created_at: "2024-01-01T00:00:00Z".into(),
            updated_at: if edited {
                "2024-01-02T00:00:00Z".into()
            } else {
                "2024-01-01T00:00:00Z".into()
            },
            ..IssueComment::default()
        };
        let comments = vec![
            comment("bot", &tree_hash_comment("aaa"), false),
            comment("bot", &tree_hash_comment("bbb"), false),
            comment("bot", &tree_hash_comment("ccc"), true),
            comment("mallory", &tree_hash_comment("ddd"), false),
        ];
        assert_eq!(last_tree_hash(&comments, "bot").as_deref(), Some("bbb"));
        assert_eq!(last_tree_hash(&comments[..0], "bot"), None);
    }
}
