//! Comments on pull requests (Prow's `trigger/generic-comment.go`): `/test`, `/retest`,
//! `/retest-required`, `/ok-to-test`, `/ok-to-test cancel` and the `/test ?` help.

use std::collections::BTreeMap;

use prow_api::labels;
use prow_github::webhook::Event;
use prow_github::webhook::events::{CommentAction, ReviewAction};

use super::comment_commands::{
    OK_TO_TEST_CANCEL_RE, OK_TO_TEST_RE, RETEST_RE, RETEST_REQUIRED_RE, command_text,
    comment_matches_trigger, format_response, help_message, help_note, is_help_comment,
};
use super::job_selection::{
    available_jobs, available_jobs_need_files, candidates, comment_filter, decide, needs_contexts,
};
use super::pull_request::changed_files;
use super::trust::{
    NEEDS_OK_TO_TEST, OK_TO_TEST, has_label, is_bot, trusted_pull_request, trusted_user,
};
use super::{TriggerContext, TriggerError, github_err};

/// A comment on an issue or PR from any of the comment-carrying events (Prow's
/// `GenericCommentEvent`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenericComment {
    /// The comment was just created (edits and deletions are ignored).
    pub created: bool,
    /// The issue is a pull request.
    pub is_pr: bool,
    /// `open` or `closed`.
    pub issue_state: String,
    /// Repository owner.
    pub org: String,
    /// Repository name.
    pub repo: String,
    /// Issue or PR number.
    pub number: u64,
    /// Comment text.
    pub body: String,
    /// Comment URL.
    pub html_url: String,
    /// Who wrote the comment.
    pub commenter: String,
    /// Who opened the issue or PR.
    pub issue_author: String,
}

impl GenericComment {
    /// Whether trigger may act on it: a newly created comment on an open pull request.
    pub fn is_actionable(&self) -> bool {
        self.created && self.is_pr && self.issue_state == "open"
    }

    /// The comment of an `issue_comment`, `pull_request_review` or
    /// `pull_request_review_comment` event; `None` for other events.
    pub fn from_event(event: &Event) -> Option<Self> {
        match event {
            Event::IssueComment(e) => Some(Self {
                created: e.action == CommentAction::Created,
                is_pr: e.issue.is_pull_request(),
                issue_state: e.issue.state.clone(),
                org: e.repository.owner.login.clone(),
                repo: e.repository.name.clone(),
                number: e.issue.number,
                body: e.comment.body.clone(),
                html_url: e.comment.html_url.clone(),
                commenter: e.comment.user.login.clone(),
                issue_author: e.issue.user.login.clone(),
            }),
            Event::PullRequestReview(e) => Some(Self {
                created: e.action == ReviewAction::Submitted,
                is_pr: true,
                issue_state: e.pull_request.state.clone(),
                org: e.repository.owner.login.clone(),
                repo: e.repository.name.clone(),
                number: e.pull_request.number,
                body: e.review.body.clone().unwrap_or_default(),
                html_url: e.review.html_url.clone(),
                commenter: e.review.user.login.clone(),
                issue_author: e.pull_request.user.login.clone(),
            }),
            Event::PullRequestReviewComment(e) => Some(Self {
                created: e.action == CommentAction::Created,
                is_pr: true,
                issue_state: e.pull_request.state.clone(),
                org: e.repository.owner.login.clone(),
                repo: e.repository.name.clone(),
                number: e.pull_request.number,
                body: e.comment.body.clone(),
                html_url: e.comment.html_url.clone(),
                commenter: e.comment.user.login.clone(),
                issue_author: e.pull_request.user.login.clone(),
            }),
            _ => None,
        }
    }
}

/// Handles one comment.
///
/// # Errors
/// A GitHub call or a ProwJob write failed.
pub async fn handle(ctx: &TriggerContext<'_>, gc: &GenericComment) -> Result<(), TriggerError> {
    if !gc.is_actionable() || is_bot(ctx.bot_login, &gc.commenter) {
        return Ok(());
    }
    let (org, repo, number) = (gc.org.as_str(), gc.repo.as_str(), gc.number);
    let presubmits = ctx
        .loaded
        .config
        .jobs
        .presubmits_for(&format!("{org}/{repo}"));
    let text = command_text(&gc.body);
    if !comment_matches_trigger(&text, presubmits) {
        return Ok(());
    }
    let github = ctx.github;
    let commenter_trusted = trusted_user(
        github,
        &ctx.settings,
        ctx.bot_login,
        &gc.commenter,
        org,
        repo,
    )
    .await
    .map_err(github_err("check trust"))?;
    let mut labels = None;
    if !commenter_trusted {
        let (fetched, trusted) = trusted_pull_request(
            github,
            &ctx.settings,
            ctx.bot_login,
            &gc.issue_author,
            org,
            repo,
            number,
        )
        .await
        .map_err(github_err("check trust"))?;
        if !trusted {
            let reply = if ctx.settings.ignore_ok_to_test {
                "PRs from untrusted users cannot be marked as trusted with `/ok-to-test` in this \
                 repo meaning untrusted PR authors can never trigger tests themselves. \
                 Collaborators can still trigger tests on the PR using `/test`."
            } else {
                "Cannot trigger testing until a trusted user reviews the PR and leaves an \
                 `/ok-to-test` message."
            };
            let body = format_response(&gc.body, &gc.html_url, &gc.commenter, reply);
            github
                .create_issue_comment(org, repo, number, &body)
                .await
                .map_err(github_err("comment"))?;
            return Ok(());
        }
        labels = fetched;
    }
    let labels = match labels {
        Some(l) => l,
        None => github
            .list_issue_labels(org, repo, number)
            .await
            .map_err(github_err("list labels"))?,
    };
    let honor = ctx.honor_ok_to_test();
    let ok_to_test = honor && OK_TO_TEST_RE.is_match(&text);
    if ok_to_test && !has_label(&labels, OK_TO_TEST) {
        github
            .add_labels(org, repo, number, &[OK_TO_TEST.to_string()])
            .await
            .map_err(github_err("add label"))?;
    }
    if (ok_to_test || has_label(&labels, OK_TO_TEST)) && has_label(&labels, NEEDS_OK_TO_TEST) {
        github
            .remove_label(org, repo, number, NEEDS_OK_TO_TEST)
            .await
            .map_err(github_err("remove label"))?;
    }
    if honor && OK_TO_TEST_CANCEL_RE.is_match(&text) {
        return cancel_ok_to_test(ctx, gc, commenter_trusted, &labels).await;
    }

    let pr = github
        .get_pull_request(org, repo, number)
        .await
        .map_err(github_err("get pull request"))?;
    let status = if needs_contexts(&text) {
        Some(
            github
                .get_combined_status(org, repo, &pr.head.sha)
                .await
                .map_err(github_err("get combined status"))?,
        )
    } else {
        None
    };
    let branch = pr.base.git_ref.as_str();
    // The filter is not `Send`: drop it before the next await.
    let (picked, needs_files) = {
        let filter = comment_filter(honor, status.as_ref(), &text);
        candidates(&filter, branch, presubmits)
    };
    let mut files: Option<Vec<String>> = None;
    if needs_files {
        files = Some(changed_files(ctx, org, repo, number).await?);
    }
    let to_test = decide(&picked, branch, files.as_deref().unwrap_or_default());

    if let Some(note) = help_note(&text, to_test.len()) {
        if files.is_none() && available_jobs_need_files(branch, presubmits) {
            files = Some(changed_files(ctx, org, repo, number).await?);
        }
        let available = available_jobs(branch, presubmits, files.as_deref().unwrap_or_default());
        let reply = help_message(org, repo, branch, note, &available);
        let body = format_response(&gc.body, &gc.html_url, &gc.commenter, &reply);
        github
            .create_issue_comment(org, repo, number, &body)
            .await
            .map_err(github_err("help comment"))?;
        return Ok(());
    }

    let mut extra_labels = BTreeMap::new();
    if RETEST_RE.is_match(&text) || RETEST_REQUIRED_RE.is_match(&text) {
        extra_labels.insert(labels::RETEST.to_string(), "true".to_string());
    }
    if to_test.is_empty() {
        return Ok(());
    }
    prune_help_comments(ctx, org, repo, number).await;
    let base_sha = ctx.base_sha(org, repo, branch).await?;
    ctx.run_requested(org, repo, &pr, &base_sha, &to_test, &extra_labels)
        .await?;
    Ok(())
}

/// `/ok-to-test cancel`: only a trusted user may revoke; swaps `ok-to-test` for
/// `needs-ok-to-test`.
async fn cancel_ok_to_test(
    ctx: &TriggerContext<'_>,
    gc: &GenericComment,
    commenter_trusted: bool,
    labels: &[prow_github::types::Label],
) -> Result<(), TriggerError> {
    let (org, repo, number) = (gc.org.as_str(), gc.repo.as_str(), gc.number);
    if !commenter_trusted {
        let body = format_response(
            &gc.body,
            &gc.html_url,
            &gc.commenter,
            "Only trusted users can revoke `/ok-to-test`.",
        );
        ctx.github
            .create_issue_comment(org, repo, number, &body)
            .await
            .map_err(github_err("comment"))?;
        return Ok(());
    }
    if has_label(labels, OK_TO_TEST) {
        ctx.github
            .remove_label(org, repo, number, OK_TO_TEST)
            .await
            .map_err(github_err("remove label"))?;
    }
    if !has_label(labels, NEEDS_OK_TO_TEST) {
        ctx.github
            .add_labels(org, repo, number, &[NEEDS_OK_TO_TEST.to_string()])
            .await
            .map_err(github_err("add label"))?;
    }
    Ok(())
}

/// Deletes the bot's earlier `/test ?` answers once jobs were requested (Prow's
/// `PruneComments` of help comments). Best effort: failures are logged.
async fn prune_help_comments(ctx: &TriggerContext<'_>, org: &str, repo: &str, number: u64) {
    let comments = match ctx.github.list_issue_comments(org, repo, number).await {
        Ok(comments) => comments,
        Err(e) => {
            tracing::warn!(org, repo, pr = number, error = %e, "cannot list comments to prune help");
            return;
        }
    };
    for comment in comments {
        if is_bot(ctx.bot_login, &comment.user.login)
            && is_help_comment(&comment.body)
            && let Err(e) = ctx.github.delete_issue_comment(org, repo, comment.id).await
        {
            tracing::warn!(org, repo, pr = number, error = %e, "cannot delete help comment");
        }
    }
}

#[cfg(test)]
mod tests {
    use prow_testkit::webhook::{PayloadEdit, payload};
    use serde_json::json;

    use super::*;

    fn event(kind: &str, name: &str, edit: impl FnOnce(PayloadEdit) -> PayloadEdit) -> Event {
        let body = edit(PayloadEdit::new(payload(kind, name).expect("payload")).expect("parses"))
            .repo("o", "r")
            .number(5)
            .into_bytes()
            .expect("bytes");
        Event::parse(kind, &body).expect("event parses")
    }

    #[test]
    fn comments_from_every_comment_event() {
        let issue_comment = event("issue_comment", "created", |e| {
            e.on_pull_request()
                .sender("bob")
                .comment_body("/retest")
                .set("/issue/user/login", json!("alice"))
        });
        let gc = GenericComment::from_event(&issue_comment).expect("a comment");
        assert!(gc.created && gc.is_pr);
        assert_eq!(
            (gc.org.as_str(), gc.repo.as_str(), gc.number),
            ("o", "r", 5)
        );
        assert_eq!(
            (gc.commenter.as_str(), gc.issue_author.as_str()),
            ("bob", "alice")
        );
        assert_eq!(gc.body, "/retest");

        let plain_issue = event("issue_comment", "created", |e| e);
        assert!(
            !GenericComment::from_event(&plain_issue)
                .expect("a comment")
                .is_pr
        );
        let edited = event("issue_comment", "edited", |e| e.on_pull_request());
        assert!(
            !GenericComment::from_event(&edited)
                .expect("a comment")
                .created
        );

        let review = event("pull_request_review", "submitted", |e| {
            e.sender("bob").comment_body("/test all")
        });
        let gc = GenericComment::from_event(&review).expect("a review");
        assert!(gc.created && gc.is_pr);
        assert_eq!(
            (gc.commenter.as_str(), gc.body.as_str()),
            ("bob", "/test all")
        );
        let dismissed = event("pull_request_review", "dismissed", |e| e);
        assert!(
            !GenericComment::from_event(&dismissed)
                .expect("a review")
                .created
        );

        let review_comment = event("pull_request_review_comment", "created", |e| {
            e.comment_body("/retest")
        });
        let gc = GenericComment::from_event(&review_comment).expect("a review comment");
        assert!(gc.created && gc.is_pr);
        assert_eq!(gc.body, "/retest");

        let push = event("push", "branch", |e| e);
        assert!(GenericComment::from_event(&push).is_none());
    }
}
