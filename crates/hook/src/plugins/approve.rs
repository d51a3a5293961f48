//! The `approve` plugin (Prow's `approve`): manages the `approved` label from `/approve`
//! commands of the people OWNERS files name as approvers, and keeps one
//! `[APPROVALNOTIFIER]` comment up to date with who approved and who may still approve which
//! OWNERS files.
//!
//! Runs on `/approve [no-issue|cancel]` and `/remove-approve` (and `/lgtm [cancel]` with
//! `lgtm_acts_as_approve`) in new comments of open PRs, on submitted or dismissed reviews
//! (unless `ignore_review_state`), on opened/reopened/synchronized PRs, and when a human
//! adds `approved`. Every run recomputes the state from all comments and reviews, so it is
//! idempotent.
//!
//! Not as Prow: the notifier is edited in place (Prow deletes and re-creates it); line review
//! comments are not read (the GitHub client has no call for them); reviews carry no time in
//! the client's type, so they count as older than every conversation comment; suggested
//! approvers are shuffled by a fixed function of the PR number (Prow uses Go's `math/rand`
//! seeded the same way); whether a human added `approved` is inferred from the notifier
//! (Prow asks the issue events API): the label counts as manual when the bot's last notifier
//! did not say APPROVED, or said it was bypassed by a manual approval.

pub mod approvers;
pub mod notification;

use std::sync::{Arc, LazyLock};

use async_trait::async_trait;
use prow_config::Approve as ApproveConfig;
use prow_config::Loaded;
use prow_github::types::{IssueComment, PullRequest, Review};
use prow_github::webhook::Event;
use prow_github::webhook::events::{PullRequestAction, ReviewAction};
use regex::Regex;

use self::approvers::{Approvers, ChangeOwners};
use self::notification::{MessageLinks, approval_message};
use crate::owners::plugin_config;
use crate::owners::{OwnersFilenames, OwnersLoader};
use crate::plugin::{CommandHelp, Delivery, Plugin, PluginError, PluginHelp, Services};
use crate::plugins::lgtm::pr_comment::{has_label, pr_comment};
use crate::plugins::trigger::trust::is_bot;

/// The label the plugin manages.
pub const APPROVED: &str = "approved";
/// Prow's default `commandHelpLink`.
pub const DEFAULT_COMMAND_HELP_LINK: &str = "https://go.k8s.io/bot-commands";
/// Prow's default `pr_process_link`.
pub const DEFAULT_PR_PROCESS_LINK: &str =
    "https://git.k8s.io/community/contributors/guide/owners.md#the-code-review-process";

static COMMAND: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?m)^/([^\s]+)[\t ]*([^\n\r]*)").unwrap_or_else(|e| unreachable!("{e}"))
});
static NOTIFICATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?is)^\[APPROVALNOTIFIER\] *?([^\n]*)(?:\n\n(.*))?")
        .unwrap_or_else(|e| unreachable!("{e}"))
});

/// Prow's `ApproveFor`: the entry naming `org/repo`, else the org, else defaults; empty
/// links get Prow's defaults.
pub fn approve_for(config: &Loaded, org: &str, repo: &str) -> ApproveConfig {
    let full = format!("{org}/{repo}");
    let entries = &plugin_config(config).approve;
    let mut found = entries
        .iter()
        .find(|a| a.repos.contains(&full))
        .or_else(|| entries.iter().find(|a| a.repos.iter().any(|r| r == org)))
        .cloned()
        .unwrap_or_default();
    if found.command_help_link.is_empty() {
        found.command_help_link = DEFAULT_COMMAND_HELP_LINK.into();
    }
    if found.pr_process_link.is_empty() {
        found.pr_process_link = DEFAULT_PR_PROCESS_LINK.into();
    }
    found
}

/// Prow's `HasSelfApproval`: authors approve their own PRs unless `require_self_approval`.
pub fn has_self_approval(config: &ApproveConfig) -> bool {
    !config.require_self_approval.unwrap_or(false)
}

/// Prow's `ConsiderReviewState`: review states count unless `ignore_review_state`.
pub fn consider_review_state(config: &ApproveConfig) -> bool {
    !config.ignore_review_state.unwrap_or(false)
}

/// Whether `body` holds an approval command (`/approve`, `/remove-approve`, and `/lgtm` when
/// it acts as approval).
pub fn has_approval_command(body: &str, lgtm_acts_as_approve: bool) -> bool {
    COMMAND.captures_iter(body).any(|c| {
        let name = c[1].to_uppercase();
        name == "APPROVE" || name == "REMOVE-APPROVE" || (name == "LGTM" && lgtm_acts_as_approve)
    })
}

fn is_approval_state(state: &str, consider_review_state: bool) -> bool {
    let state = state.to_uppercase();
    consider_review_state
        && matches!(
            state.as_str(),
            "APPROVED" | "CHANGES_REQUESTED" | "DISMISSED"
        )
}

/// The issue a PR body refers to (`#123` or `<org>/<repo>/issues/123`), 0 when none.
pub fn associated_issue(body: &str, org: &str) -> u64 {
    let pattern = format!(r"(?:{}/[^/]+/issues/|#)(\d+)", regex::escape(org));
    Regex::new(&pattern)
        .ok()
        .and_then(|re| re.captures(body).and_then(|c| c[1].parse().ok()))
        .unwrap_or(0)
}

/// A comment or review as the approval rules see it.
#[derive(Debug, Clone)]
pub struct ApprovalInput {
    /// Author login.
    pub author: String,
    /// Text.
    pub body: String,
    /// Link.
    pub html_url: String,
    /// Review state (upper case; empty for comments).
    pub review_state: String,
}

impl ApprovalInput {
    fn from_review(review: &Review) -> Self {
        ApprovalInput {
            author: review.user.login.clone(),
            body: review.body.clone().unwrap_or_default(),
            html_url: review.html_url.clone(),
            review_state: review.state.to_uppercase(),
        }
    }

    fn from_comment(comment: &IssueComment) -> Self {
        ApprovalInput {
            author: comment.user.login.clone(),
            body: comment.body.clone(),
            html_url: comment.html_url.clone(),
            review_state: String::new(),
        }
    }
}

/// Prow's `addApprovers`: replays approval commands and review states in order.
pub fn add_approvals(
    ap: &mut Approvers<'_>,
    inputs: &[ApprovalInput],
    pr_author: &str,
    review_acts_as_approve: bool,
) {
    for c in inputs {
        if c.author.is_empty() {
            continue;
        }
        if review_acts_as_approve && c.review_state == "APPROVED" {
            ap.add_approver(&c.author, &c.html_url, false);
        }
        if review_acts_as_approve && c.review_state == "CHANGES_REQUESTED" {
            ap.remove_approver(&c.author);
        }
        for captures in COMMAND.captures_iter(&c.body) {
            let name = captures[1].to_uppercase();
            if name == "REMOVE-APPROVE" {
                ap.remove_approver(&c.author);
                continue;
            }
            if name != "APPROVE" && name != "LGTM" {
                continue;
            }
            let args = captures[2].trim().to_lowercase();
            if args.contains("cancel") {
                ap.remove_approver(&c.author);
                continue;
            }
            let no_issue = args == "no-issue";
            if c.author == pr_author {
                ap.add_author_self_approver(&c.author, &c.html_url, no_issue);
            }
            if name == "APPROVE" {
                ap.add_approver(&c.author, &c.html_url, no_issue);
            } else {
                ap.add_lgtmer(&c.author, &c.html_url, no_issue);
            }
        }
    }
}

/// The `approve` plugin.
#[derive(Debug, Clone)]
pub struct Approve {
    owners: Arc<OwnersLoader>,
}

impl Approve {
    /// An approve plugin reading OWNERS through `owners`.
    pub fn new(owners: Arc<OwnersLoader>) -> Self {
        Approve { owners }
    }

    async fn run(
        &self,
        services: &Services,
        config: &Loaded,
        pr: &PullRequest,
        org: &str,
        repo: &str,
    ) -> Result<(), PluginError> {
        let github = services.github.as_ref();
        let number = pr.number;
        let fail = |what: &str, e: &dyn std::fmt::Display| {
            PluginError::new(format!("approve {org}/{repo}#{number}: {what}: {e}"))
        };
        let opts = approve_for(config, org, repo);
        let files: Vec<String> = github
            .list_pull_request_files(org, repo, number)
            .await
            .map_err(|e| fail("list files", &e))?
            .into_iter()
            .map(|f| f.filename)
            .collect();
        let labels = github
            .list_issue_labels(org, repo, number)
            .await
            .map_err(|e| fail("list labels", &e))?;
        let has_approved = has_label(&labels, APPROVED);
        let comments = github
            .list_issue_comments(org, repo, number)
            .await
            .map_err(|e| fail("list comments", &e))?;
        let reviews = github
            .list_reviews(org, repo, number)
            .await
            .map_err(|e| fail("list reviews", &e))?;
        let filenames = OwnersFilenames::for_repo(&plugin_config(config).owners, org, repo);
        let base = if pr.base.sha.is_empty() {
            pr.base.git_ref.as_str()
        } else {
            pr.base.sha.as_str()
        };
        let repo_owners = self
            .owners
            .load(github, org, repo, base, &filenames, &files)
            .await
            .map_err(|e| fail("load OWNERS", &e))?;

        let bot = services.bot_login.as_str();
        let notifications: Vec<&IssueComment> = comments
            .iter()
            .filter(|c| is_bot(bot, &c.user.login) && NOTIFICATION.is_match(&c.body))
            .collect();
        let latest = notifications.last().copied();

        let mut ap = Approvers::new(ChangeOwners::new(files, &repo_owners, number));
        ap.associated_issue = associated_issue(pr.body.as_deref().unwrap_or_default(), org);
        ap.require_issue = opts.issue_required;
        ap.manually_approved = has_approved
            && latest.is_none_or(|n| {
                !n.body
                    .starts_with("[APPROVALNOTIFIER] This PR is **APPROVED**")
                    || n.body
                        .contains("Approval requirements bypassed by manually added approval.")
            });
        let author = pr.user.login.as_str();
        if has_self_approval(&opts) {
            ap.add_author_self_approver(author, &format!("{}#", pr.html_url), false);
        } else {
            ap.add_assignees([author]);
        }
        let consider_reviews = consider_review_state(&opts);
        let mut inputs: Vec<ApprovalInput> =
            reviews.iter().map(ApprovalInput::from_review).collect();
        let mut ordered: Vec<&IssueComment> = comments.iter().collect();
        ordered.sort_by(|a, b| a.created_at.cmp(&b.created_at));
        inputs.extend(ordered.into_iter().map(ApprovalInput::from_comment));
        inputs.retain(|c| {
            !is_bot(bot, &c.author)
                && (has_approval_command(&c.body, opts.lgtm_acts_as_approve)
                    || is_approval_state(&c.review_state, consider_reviews))
        });
        add_approvals(&mut ap, &inputs, author, consider_reviews);
        ap.add_assignees(pr.assignees.iter().map(|a| a.login.as_str()));

        let links = MessageLinks {
            link_url: if config.config.prow.github.link_url.is_empty() {
                "https://github.com"
            } else {
                &config.config.prow.github.link_url
            },
            command_help_link: &opts.command_help_link,
            pr_process_link: &opts.pr_process_link,
            org,
            repo,
            branch: &pr.base.git_ref,
        };
        let message = approval_message(&ap, &links);
        let up_to_date = latest.is_some_and(|n| n.body.contains(&message));
        if !up_to_date {
            match latest {
                Some(current) => {
                    github
                        .edit_issue_comment(org, repo, current.id, &message)
                        .await
                        .map_err(|e| fail("edit the notifier", &e))?;
                    for old in &notifications[..notifications.len() - 1] {
                        if let Err(e) = github.delete_issue_comment(org, repo, old.id).await {
                            tracing::warn!(error = %e, "approve: cannot delete an old notifier");
                        }
                    }
                }
                None => {
                    github
                        .create_issue_comment(org, repo, number, &message)
                        .await
                        .map_err(|e| fail("comment the notifier", &e))?;
                }
            }
        }

        if !ap.is_approved() {
            if has_approved {
                github
                    .remove_label(org, repo, number, APPROVED)
                    .await
                    .map_err(|e| fail("remove approved", &e))?;
            }
        } else if !has_approved {
            github
                .add_labels(org, repo, number, &[APPROVED.to_string()])
                .await
                .map_err(|e| fail("add approved", &e))?;
        }
        Ok(())
    }
}

#[async_trait]
impl Plugin for Approve {
    fn name(&self) -> &'static str {
        "approve"
    }

    fn help(&self, config: &Loaded, org_repo: Option<&str>) -> PluginHelp {
        let do_not = |b: bool| if b { "" } else { "do not " };
        let will_not = |b: bool| if b { "will " } else { "will not " };
        let config_text = org_repo.and_then(|full| full.split_once('/')).map(|(org, repo)| {
            let opts = approve_for(config, org, repo);
            format!(
                "Pull requests {}require an associated issue.<br>Pull request authors {}implicitly approve their own PRs.<br>The /lgtm [cancel] command(s) {}act as approval.<br>A GitHub approved or changes requested review {}act as approval or cancel respectively.",
                do_not(opts.issue_required),
                do_not(has_self_approval(&opts)),
                will_not(opts.lgtm_acts_as_approve),
                will_not(consider_review_state(&opts)),
            )
        });
        PluginHelp {
            description: "The approve plugin implements a pull request approval process that manages the 'approved' label and an approval notification comment. Approval is achieved when the set of users that have approved the PR is capable of approving every file changed by the PR. A user is able to approve a file if their username or an alias they belong to is listed in the 'approvers' section of an OWNERS file in the directory of the file or higher in the directory tree.\n<br>\n<br>Per-repo configuration may be used to require that PRs link to an associated issue before approval is granted. It may also be used to specify that the PR authors implicitly approve their own PRs.".into(),
            config: config_text,
            commands: vec![CommandHelp {
                usage: "/[remove-]approve [no-issue|cancel]".into(),
                description: "Approves a pull request".into(),
                who_can_use: "Users listed as 'approvers' in appropriate OWNERS files.".into(),
                examples: vec![
                    "/approve".into(),
                    "/approve no-issue".into(),
                    "/remove-approve".into(),
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
        let bot = services.bot_login.as_str();
        match delivery.event {
            Event::PullRequest(e) => {
                let pr = &e.pull_request;
                let wanted = match e.action {
                    PullRequestAction::Opened
                    | PullRequestAction::Reopened
                    | PullRequestAction::Synchronize => true,
                    PullRequestAction::Labeled => {
                        e.label.as_ref().is_some_and(|l| l.name == APPROVED)
                            && !is_bot(bot, &e.sender.login)
                            && pr.state != "closed"
                    }
                    _ => false,
                };
                if !wanted {
                    return Ok(());
                }
                let (org, repo) = (&e.repository.owner.login, &e.repository.name);
                self.run(services, config, pr, org, repo).await
            }
            Event::PullRequestReview(e)
                if matches!(e.action, ReviewAction::Submitted | ReviewAction::Dismissed) =>
            {
                let (org, repo) = (&e.repository.owner.login, &e.repository.name);
                let opts = approve_for(config, org, repo);
                let body = e.review.body.as_deref().unwrap_or_default();
                // A review body with a command counts as a comment (Prow's generic comment
                // handler); otherwise only its state may count.
                let command = e.action == ReviewAction::Submitted
                    && has_approval_command(body, opts.lgtm_acts_as_approve);
                if is_bot(bot, &e.review.user.login)
                    || (!command
                        && !is_approval_state(&e.review.state, consider_review_state(&opts)))
                {
                    return Ok(());
                }
                self.run(services, config, &e.pull_request, org, repo).await
            }
            event => {
                let Some(comment) = pr_comment(event) else {
                    return Ok(());
                };
                if !comment.is_pr || comment.issue_state == "closed" || is_bot(bot, comment.author)
                {
                    return Ok(());
                }
                let opts = approve_for(config, comment.org, comment.repo);
                if !has_approval_command(comment.body, opts.lgtm_acts_as_approve) {
                    return Ok(());
                }
                let pr = services
                    .github
                    .get_pull_request(comment.org, comment.repo, comment.number)
                    .await
                    .map_err(|e| PluginError::new(format!("approve: get the PR: {e}")))?;
                self.run(services, config, &pr, comment.org, comment.repo)
                    .await
            }
        }
    }
}
