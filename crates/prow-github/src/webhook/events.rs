//! Webhook event payloads hook handles, parsed from `X-GitHub-Event` and the body. Only the
//! fields prow-rs uses are declared; unknown fields and unknown actions are tolerated so new
//! GitHub additions never break parsing.

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::types::{
    CheckRun, Issue, IssueComment, Label, PullRequest, Repository, Review, ReviewComment, User,
};

/// Declares an action enum with a catch-all `Other` for actions GitHub adds later.
macro_rules! action_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vdoc])* $variant,)*
            /// An action this version does not know.
            #[serde(other)]
            Other,
        }
    };
}

action_enum!(
    /// `pull_request` actions.
    PullRequestAction {
        /// Opened.
        Opened,
        /// Reopened.
        Reopened,
        /// New commits pushed to the head branch.
        Synchronize,
        /// Title, body or base branch edited.
        Edited,
        /// Closed (merged or not).
        Closed,
        /// Label added.
        Labeled,
        /// Label removed.
        Unlabeled,
        /// Marked ready for review.
        ReadyForReview,
        /// Converted to a draft.
        ConvertedToDraft,
        /// Assignee added.
        Assigned,
        /// Assignee removed.
        Unassigned,
        /// Review requested.
        ReviewRequested,
        /// Review request removed.
        ReviewRequestRemoved,
    }
);

action_enum!(
    /// `issues` actions.
    IssueAction {
        /// Opened.
        Opened,
        /// Reopened.
        Reopened,
        /// Edited.
        Edited,
        /// Closed.
        Closed,
        /// Label added.
        Labeled,
        /// Label removed.
        Unlabeled,
        /// Assignee added.
        Assigned,
        /// Assignee removed.
        Unassigned,
    }
);

action_enum!(
    /// `issue_comment` and `pull_request_review_comment` actions.
    CommentAction {
        /// Posted.
        Created,
        /// Edited.
        Edited,
        /// Deleted.
        Deleted,
    }
);

action_enum!(
    /// `pull_request_review` actions.
    ReviewAction {
        /// Submitted.
        Submitted,
        /// Body edited.
        Edited,
        /// Dismissed.
        Dismissed,
    }
);

action_enum!(
    /// `check_run` actions.
    CheckRunAction {
        /// Created.
        Created,
        /// Completed.
        Completed,
        /// "Re-run" clicked.
        Rerequested,
        /// A requested action button clicked.
        RequestedAction,
    }
);

/// `pull_request` event.
#[derive(Debug, Clone, Deserialize)]
pub struct PullRequestEvent {
    /// What happened.
    pub action: PullRequestAction,
    /// PR number.
    pub number: u64,
    /// The pull request after the change.
    pub pull_request: PullRequest,
    /// The base repository.
    pub repository: Repository,
    /// Who caused the event.
    pub sender: User,
    /// The label, for `labeled` / `unlabeled`.
    #[serde(default)]
    pub label: Option<Label>,
    /// Previous values, for `edited` (e.g. `changes.base.ref.from`).
    #[serde(default)]
    pub changes: Option<serde_json::Value>,
}

impl PullRequestEvent {
    /// For `edited`: the previous base branch when the edit changed it (trigger re-runs
    /// presubmits then), `None` for title/body edits.
    pub fn previous_base_ref(&self) -> Option<&str> {
        self.changes
            .as_ref()?
            .get("base")?
            .get("ref")?
            .get("from")?
            .as_str()
    }
}

/// `issues` event.
#[derive(Debug, Clone, Deserialize)]
pub struct IssuesEvent {
    /// What happened.
    pub action: IssueAction,
    /// The issue.
    pub issue: Issue,
    /// The repository.
    pub repository: Repository,
    /// Who caused the event.
    pub sender: User,
    /// The label, for `labeled` / `unlabeled`.
    #[serde(default)]
    pub label: Option<Label>,
    /// The assignee, for `assigned` / `unassigned`.
    #[serde(default)]
    pub assignee: Option<User>,
}

/// `issue_comment` event (comments on issues and on PR conversations).
#[derive(Debug, Clone, Deserialize)]
pub struct IssueCommentEvent {
    /// What happened.
    pub action: CommentAction,
    /// The issue (or PR) commented on.
    pub issue: Issue,
    /// The comment.
    pub comment: IssueComment,
    /// The repository.
    pub repository: Repository,
    /// Who caused the event.
    pub sender: User,
}

/// `pull_request_review` event.
#[derive(Debug, Clone, Deserialize)]
pub struct PullRequestReviewEvent {
    /// What happened.
    pub action: ReviewAction,
    /// The review.
    pub review: Review,
    /// The pull request.
    pub pull_request: PullRequest,
    /// The repository.
    pub repository: Repository,
    /// Who caused the event.
    pub sender: User,
}

/// `pull_request_review_comment` event.
#[derive(Debug, Clone, Deserialize)]
pub struct PullRequestReviewCommentEvent {
    /// What happened.
    pub action: CommentAction,
    /// The review comment.
    pub comment: ReviewComment,
    /// The pull request.
    pub pull_request: PullRequest,
    /// The repository.
    pub repository: Repository,
    /// Who caused the event.
    pub sender: User,
}

/// The pusher of a `push` event (a git identity, not always an account).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Pusher {
    /// Name.
    #[serde(default)]
    pub name: String,
    /// E-mail.
    #[serde(default)]
    pub email: Option<String>,
}

/// One commit of a `push` event.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PushCommit {
    /// Commit SHA.
    pub id: String,
    /// Commit message.
    #[serde(default)]
    pub message: String,
    /// Files added.
    #[serde(default)]
    pub added: Vec<String>,
    /// Files removed.
    #[serde(default)]
    pub removed: Vec<String>,
    /// Files modified.
    #[serde(default)]
    pub modified: Vec<String>,
}

/// `push` event.
#[derive(Debug, Clone, Deserialize)]
pub struct PushEvent {
    /// Full ref (`refs/heads/main`, `refs/tags/v1`).
    #[serde(rename = "ref")]
    pub git_ref: String,
    /// SHA before the push.
    pub before: String,
    /// SHA after the push (all zeros for a deletion).
    pub after: String,
    /// The ref was created.
    #[serde(default)]
    pub created: bool,
    /// The ref was deleted.
    #[serde(default)]
    pub deleted: bool,
    /// Force push.
    #[serde(default)]
    pub forced: bool,
    /// Compare URL.
    #[serde(default)]
    pub compare: String,
    /// Pushed commits (at most 20 in the payload).
    #[serde(default)]
    pub commits: Vec<PushCommit>,
    /// The head commit, absent for deletions.
    #[serde(default)]
    pub head_commit: Option<PushCommit>,
    /// The repository.
    pub repository: Repository,
    /// Who pushed.
    #[serde(default)]
    pub pusher: Pusher,
    /// Who caused the event.
    pub sender: User,
}

impl PushEvent {
    /// The branch name for a branch push (`refs/heads/x` → `x`).
    pub fn branch(&self) -> Option<&str> {
        self.git_ref.strip_prefix("refs/heads/")
    }
}

/// `status` event.
#[derive(Debug, Clone, Deserialize)]
pub struct StatusEvent {
    /// Commit SHA.
    pub sha: String,
    /// Context.
    pub context: String,
    /// `pending`, `success`, `failure`, `error`.
    pub state: String,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Link to details.
    #[serde(default)]
    pub target_url: Option<String>,
    /// The repository.
    pub repository: Repository,
    /// Who caused the event.
    pub sender: User,
}

/// `check_run` event.
#[derive(Debug, Clone, Deserialize)]
pub struct CheckRunEvent {
    /// What happened.
    pub action: CheckRunAction,
    /// The check run.
    pub check_run: CheckRun,
    /// The repository.
    pub repository: Repository,
    /// Who caused the event.
    pub sender: User,
}

/// `ping` event, sent when a webhook is configured (repository or organization level).
#[derive(Debug, Clone, Deserialize)]
pub struct PingEvent {
    /// A GitHub zen saying.
    #[serde(default)]
    pub zen: String,
    /// The webhook's id.
    #[serde(default)]
    pub hook_id: u64,
    /// The repository, for a repository webhook.
    #[serde(default)]
    pub repository: Option<Repository>,
    /// Who configured the webhook.
    #[serde(default)]
    pub sender: Option<User>,
}

/// A parsed webhook event.
#[derive(Debug, Clone)]
pub enum Event {
    /// `pull_request`.
    PullRequest(Box<PullRequestEvent>),
    /// `issues`.
    Issues(Box<IssuesEvent>),
    /// `issue_comment`.
    IssueComment(Box<IssueCommentEvent>),
    /// `pull_request_review`.
    PullRequestReview(Box<PullRequestReviewEvent>),
    /// `pull_request_review_comment`.
    PullRequestReviewComment(Box<PullRequestReviewCommentEvent>),
    /// `push`.
    Push(Box<PushEvent>),
    /// `status`.
    Status(Box<StatusEvent>),
    /// `check_run`.
    CheckRun(Box<CheckRunEvent>),
    /// `ping`.
    Ping(Box<PingEvent>),
    /// Any other event type; carries the `X-GitHub-Event` value. Not an error: GitHub sends
    /// many event types hook simply ignores.
    Unsupported(String),
}

impl Event {
    /// Parses `body` as the event named by the `X-GitHub-Event` header.
    pub fn parse(event_type: &str, body: &[u8]) -> Result<Self> {
        fn parse<T: for<'de> Deserialize<'de>>(event_type: &str, body: &[u8]) -> Result<Box<T>> {
            serde_json::from_slice(body).map_err(|source| Error::ParseEvent {
                event: event_type.to_string(),
                source,
            })
        }
        Ok(match event_type {
            "pull_request" => Self::PullRequest(parse(event_type, body)?),
            "issues" => Self::Issues(parse(event_type, body)?),
            "issue_comment" => Self::IssueComment(parse(event_type, body)?),
            "pull_request_review" => Self::PullRequestReview(parse(event_type, body)?),
            "pull_request_review_comment" => {
                Self::PullRequestReviewComment(parse(event_type, body)?)
            }
            "push" => Self::Push(parse(event_type, body)?),
            "status" => Self::Status(parse(event_type, body)?),
            "check_run" => Self::CheckRun(parse(event_type, body)?),
            "ping" => Self::Ping(parse(event_type, body)?),
            other => Self::Unsupported(other.to_string()),
        })
    }

    /// The `X-GitHub-Event` name of this event.
    pub fn kind(&self) -> &str {
        match self {
            Self::PullRequest(_) => "pull_request",
            Self::Issues(_) => "issues",
            Self::IssueComment(_) => "issue_comment",
            Self::PullRequestReview(_) => "pull_request_review",
            Self::PullRequestReviewComment(_) => "pull_request_review_comment",
            Self::Push(_) => "push",
            Self::Status(_) => "status",
            Self::CheckRun(_) => "check_run",
            Self::Ping(_) => "ping",
            Self::Unsupported(kind) => kind,
        }
    }

    /// The repository the event is about, if any.
    pub fn repository(&self) -> Option<&Repository> {
        match self {
            Self::PullRequest(e) => Some(&e.repository),
            Self::Issues(e) => Some(&e.repository),
            Self::IssueComment(e) => Some(&e.repository),
            Self::PullRequestReview(e) => Some(&e.repository),
            Self::PullRequestReviewComment(e) => Some(&e.repository),
            Self::Push(e) => Some(&e.repository),
            Self::Status(e) => Some(&e.repository),
            Self::CheckRun(e) => Some(&e.repository),
            Self::Ping(e) => e.repository.as_ref(),
            Self::Unsupported(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_actions_and_fields_are_tolerated() {
        let body = br#"{
            "action": "auto_merge_enabled", "number": 7, "brand_new_field": {"x": 1},
            "pull_request": {"number": 7, "user": {"login": "a"},
                "head": {"ref": "f", "sha": "h"}, "base": {"ref": "main", "sha": "b"}},
            "repository": {"name": "r", "full_name": "o/r", "owner": {"login": "o"}},
            "sender": {"login": "a"}
        }"#;
        let Event::PullRequest(event) = Event::parse("pull_request", body).expect("parses") else {
            panic!("wrong variant");
        };
        assert_eq!(event.action, PullRequestAction::Other);
        assert_eq!(event.pull_request.base.git_ref, "main");
    }

    #[test]
    fn base_change_of_an_edited_pull_request() {
        let body = |changes: &str| {
            format!(
                r#"{{"action": "edited", "number": 7, "changes": {changes},
                "pull_request": {{"number": 7, "user": {{"login": "a"}},
                    "head": {{"ref": "f", "sha": "h"}}, "base": {{"ref": "main", "sha": "b"}}}},
                "repository": {{"name": "r", "owner": {{"login": "o"}}}},
                "sender": {{"login": "a"}}}}"#
            )
        };
        let cases = [
            (
                r#"{"base": {"ref": {"from": "release-1.0"}, "sha": {"from": "x"}}}"#,
                Some("release-1.0"),
            ),
            (r#"{"title": {"from": "old title"}}"#, None),
            ("null", None),
        ];
        for (changes, want) in cases {
            let Event::PullRequest(event) =
                Event::parse("pull_request", body(changes).as_bytes()).expect("parses")
            else {
                panic!("wrong variant");
            };
            assert_eq!(event.action, PullRequestAction::Edited);
            assert_eq!(event.previous_base_ref(), want, "{changes}");
        }
    }

    #[test]
    fn unsupported_and_invalid_events() {
        let event = Event::parse("star", b"{}").expect("unsupported is not an error");
        assert_eq!(event.kind(), "star");
        assert!(matches!(event, Event::Unsupported(_)));
        let err = Event::parse("push", b"{\"ref\": 1}").expect_err("invalid");
        assert!(err.to_string().contains("push"), "{err}");
    }
}
