//! Prow's `GenericCommentEvent`: one shape for every text a `/command` can arrive in, so the
//! command plugins (hold, label, assign, lifecycle, help, retitle, skip) read one thing.
//!
//! As Prow, a new comment is an issue comment, a PR review comment or a review body
//! (`created`/`submitted`), and the description of a newly opened issue or pull request
//! (`opened`). Edits and deletions are not commands.

use prow_github::webhook::Event;
use prow_github::webhook::events::{CommentAction, IssueAction, PullRequestAction, ReviewAction};

use crate::plugins::cat::format_response;

/// A newly written text on an issue or pull request.
#[derive(Debug, Clone)]
pub struct NewComment<'a> {
    /// Repository owner.
    pub org: &'a str,
    /// Repository name.
    pub repo: &'a str,
    /// Issue or pull request number.
    pub number: u64,
    /// Whether the conversation is a pull request.
    pub is_pr: bool,
    /// The text.
    pub body: &'a str,
    /// Link to the text (comment, review, or the issue itself).
    pub html_url: &'a str,
    /// Who wrote it.
    pub author: &'a str,
    /// Who opened the issue or pull request.
    pub issue_author: &'a str,
    /// `open` or `closed`.
    pub issue_state: &'a str,
    /// Link to the issue or pull request.
    pub issue_html_url: &'a str,
}

impl NewComment<'_> {
    /// Prow's `FormatResponseRaw` answer to this text: mention the author, say `reply`, quote
    /// the text.
    pub fn reply(&self, reply: &str) -> String {
        format_response(self.body, self.html_url, self.author, reply)
    }
}

/// The new text of `event`, when it carries one.
pub fn new_comment(event: &Event) -> Option<NewComment<'_>> {
    match event {
        Event::IssueComment(e) if e.action == CommentAction::Created => Some(NewComment {
            org: &e.repository.owner.login,
            repo: &e.repository.name,
            number: e.issue.number,
            is_pr: e.issue.is_pull_request(),
            body: &e.comment.body,
            html_url: &e.comment.html_url,
            author: &e.comment.user.login,
            issue_author: &e.issue.user.login,
            issue_state: &e.issue.state,
            issue_html_url: &e.issue.html_url,
        }),
        Event::PullRequestReviewComment(e) if e.action == CommentAction::Created => {
            Some(NewComment {
                org: &e.repository.owner.login,
                repo: &e.repository.name,
                number: e.pull_request.number,
                is_pr: true,
                body: &e.comment.body,
                html_url: &e.comment.html_url,
                author: &e.comment.user.login,
                issue_author: &e.pull_request.user.login,
                issue_state: &e.pull_request.state,
                issue_html_url: &e.pull_request.html_url,
            })
        }
        Event::PullRequestReview(e) if e.action == ReviewAction::Submitted => Some(NewComment {
            org: &e.repository.owner.login,
            repo: &e.repository.name,
            number: e.pull_request.number,
            is_pr: true,
            body: e.review.body.as_deref().unwrap_or_default(),
            html_url: &e.review.html_url,
            author: &e.review.user.login,
            issue_author: &e.pull_request.user.login,
            issue_state: &e.pull_request.state,
            issue_html_url: &e.pull_request.html_url,
        }),
        Event::Issues(e) if e.action == IssueAction::Opened => Some(NewComment {
            org: &e.repository.owner.login,
            repo: &e.repository.name,
            number: e.issue.number,
            is_pr: e.issue.is_pull_request(),
            body: e.issue.body.as_deref().unwrap_or_default(),
            html_url: &e.issue.html_url,
            author: &e.issue.user.login,
            issue_author: &e.issue.user.login,
            issue_state: &e.issue.state,
            issue_html_url: &e.issue.html_url,
        }),
        Event::PullRequest(e) if e.action == PullRequestAction::Opened => Some(NewComment {
            org: &e.repository.owner.login,
            repo: &e.repository.name,
            number: e.pull_request.number,
            is_pr: true,
            body: e.pull_request.body.as_deref().unwrap_or_default(),
            html_url: &e.pull_request.html_url,
            author: &e.pull_request.user.login,
            issue_author: &e.pull_request.user.login,
            issue_state: &e.pull_request.state,
            issue_html_url: &e.pull_request.html_url,
        }),
        _ => None,
    }
}

/// Whether `labels` holds `name` (GitHub label names compare without case).
pub fn has_label(labels: &[prow_github::types::Label], name: &str) -> bool {
    labels.iter().any(|l| l.name.eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use prow_testkit::webhook::payload;

    fn event(kind: &str, name: &str) -> Event {
        Event::parse(kind, payload(kind, name).expect("recorded")).expect("parses")
    }

    #[test]
    fn new_texts_from_recorded_payloads() {
        // (event, recording, is_pr) for texts that are commands; edits and the rest are not.
        let cases = [
            ("issue_comment", "created", Some(false)),
            ("issue_comment", "edited", None),
            ("issue_comment", "deleted", None),
            ("issues", "opened", Some(false)),
            ("issues", "labeled", None),
            ("pull_request", "opened", Some(true)),
            ("pull_request", "synchronize", None),
            ("pull_request_review", "submitted", Some(true)),
            ("pull_request_review", "dismissed", None),
            ("pull_request_review_comment", "created", Some(true)),
            ("push", "branch", None),
        ];
        for (kind, name, want) in cases {
            let event = event(kind, name);
            let got = new_comment(&event);
            assert_eq!(got.as_ref().map(|c| c.is_pr), want, "{kind}/{name}");
            if let Some(comment) = got {
                assert!(
                    !comment.org.is_empty() && !comment.author.is_empty(),
                    "{kind}/{name}"
                );
                assert!(comment.number > 0, "{kind}/{name}");
            }
        }
    }

    #[test]
    fn replies_quote_the_command() {
        let event = event("issue_comment", "created");
        let comment = new_comment(&event).expect("a comment");
        let reply = comment.reply("No.");
        assert!(
            reply.starts_with(&format!("@{}: No.", comment.author)),
            "{reply}"
        );
        assert!(reply.contains(&format!("In response to [this]({})", comment.html_url)));
    }
}
