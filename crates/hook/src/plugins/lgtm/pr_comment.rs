//! New texts on pull requests that review commands arrive in (the part of Prow's
//! `GenericCommentEvent` the review plugins use): created issue comments, created PR review
//! comments and submitted review bodies. Shared by `lgtm`, `approve`, `blunderbuss` and
//! `verify-owners`.

use prow_github::types::Label;
use prow_github::webhook::Event;
use prow_github::webhook::events::{CommentAction, ReviewAction};

/// A newly written text on an issue or pull request.
#[derive(Debug, Clone)]
pub struct PrComment<'a> {
    /// Repository owner.
    pub org: &'a str,
    /// Repository name.
    pub repo: &'a str,
    /// Issue or PR number.
    pub number: u64,
    /// Whether it is a pull request.
    pub is_pr: bool,
    /// `open` or `closed`.
    pub issue_state: &'a str,
    /// The text.
    pub body: &'a str,
    /// Link to the text.
    pub html_url: &'a str,
    /// Who wrote it.
    pub author: &'a str,
    /// Who opened the issue or PR.
    pub issue_author: &'a str,
}

/// The new text of `event`, when it carries one.
pub fn pr_comment(event: &Event) -> Option<PrComment<'_>> {
    match event {
        Event::IssueComment(e) if e.action == CommentAction::Created => Some(PrComment {
            org: &e.repository.owner.login,
            repo: &e.repository.name,
            number: e.issue.number,
            is_pr: e.issue.is_pull_request(),
            issue_state: &e.issue.state,
            body: &e.comment.body,
            html_url: &e.comment.html_url,
            author: &e.comment.user.login,
            issue_author: &e.issue.user.login,
        }),
        Event::PullRequestReviewComment(e) if e.action == CommentAction::Created => {
            Some(PrComment {
                org: &e.repository.owner.login,
                repo: &e.repository.name,
                number: e.pull_request.number,
                is_pr: true,
                issue_state: &e.pull_request.state,
                body: &e.comment.body,
                html_url: &e.comment.html_url,
                author: &e.comment.user.login,
                issue_author: &e.pull_request.user.login,
            })
        }
        Event::PullRequestReview(e) if e.action == ReviewAction::Submitted => Some(PrComment {
            org: &e.repository.owner.login,
            repo: &e.repository.name,
            number: e.pull_request.number,
            is_pr: true,
            issue_state: &e.pull_request.state,
            body: e.review.body.as_deref().unwrap_or_default(),
            html_url: &e.review.html_url,
            author: &e.review.user.login,
            issue_author: &e.pull_request.user.login,
        }),
        _ => None,
    }
}

/// Whether `labels` has `name`.
pub fn has_label(labels: &[Label], name: &str) -> bool {
    labels.iter().any(|l| l.name == name)
}
