//! GitHub REST and webhook object types: only the fields prow-rs uses. Unknown fields are
//! ignored (never `deny_unknown_fields`), so new fields GitHub adds never break parsing.

use serde::{Deserialize, Serialize};

/// A user, bot or organization account.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct User {
    /// Login name (`octocat`, `my-app[bot]`).
    #[serde(default)]
    pub login: String,
    /// Numeric id.
    #[serde(default)]
    pub id: u64,
    /// `User`, `Bot` or `Organization`.
    #[serde(default, rename = "type")]
    pub kind: String,
    /// Display name, when GitHub sends it.
    #[serde(default)]
    pub name: Option<String>,
    /// Public e-mail, when GitHub sends it.
    #[serde(default)]
    pub email: Option<String>,
}

/// A repository.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Repository {
    /// Numeric id.
    #[serde(default)]
    pub id: u64,
    /// Repository name without owner.
    pub name: String,
    /// `owner/name`.
    #[serde(default)]
    pub full_name: String,
    /// Owning user or organization.
    pub owner: User,
    /// Default branch (`main`).
    #[serde(default)]
    pub default_branch: String,
    /// Whether the repository is private.
    #[serde(default)]
    pub private: bool,
    /// Whether the repository is archived.
    #[serde(default)]
    pub archived: bool,
    /// Web URL.
    #[serde(default)]
    pub html_url: String,
    /// HTTPS clone URL.
    #[serde(default)]
    pub clone_url: String,
    /// SSH clone URL.
    #[serde(default)]
    pub ssh_url: String,
}

/// A label, on a repository or an issue.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Label {
    /// Label name.
    pub name: String,
    /// Hex colour without `#`.
    #[serde(default)]
    pub color: String,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
}

/// One side (head or base) of a pull request.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PullRequestBranch {
    /// Branch name.
    #[serde(rename = "ref")]
    pub git_ref: String,
    /// Commit SHA.
    pub sha: String,
    /// Repository the branch lives in (absent when a fork was deleted).
    #[serde(default)]
    pub repo: Option<Repository>,
}

/// A pull request.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PullRequest {
    /// Numeric id.
    #[serde(default)]
    pub id: u64,
    /// PR number.
    pub number: u64,
    /// Title.
    #[serde(default)]
    pub title: String,
    /// Body (description).
    #[serde(default)]
    pub body: Option<String>,
    /// Author.
    pub user: User,
    /// `open` or `closed`.
    #[serde(default)]
    pub state: String,
    /// Draft PR.
    #[serde(default)]
    pub draft: bool,
    /// Merged.
    #[serde(default)]
    pub merged: bool,
    /// Whether GitHub can merge it (`None` while GitHub is computing it).
    #[serde(default)]
    pub mergeable: Option<bool>,
    /// SHA of the test merge commit or the merge commit.
    #[serde(default)]
    pub merge_commit_sha: Option<String>,
    /// Head branch.
    pub head: PullRequestBranch,
    /// Base branch.
    pub base: PullRequestBranch,
    /// Labels.
    #[serde(default)]
    pub labels: Vec<Label>,
    /// Assignees.
    #[serde(default)]
    pub assignees: Vec<User>,
    /// Users asked for a review.
    #[serde(default)]
    pub requested_reviewers: Vec<User>,
    /// Web URL.
    #[serde(default)]
    pub html_url: String,
    /// How the author is associated with the repository (`MEMBER`, `CONTRIBUTOR`, ...).
    #[serde(default)]
    pub author_association: String,
}

/// One file changed by a pull request.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PullRequestFile {
    /// Path of the file.
    pub filename: String,
    /// `added`, `removed`, `modified`, `renamed`, ...
    #[serde(default)]
    pub status: String,
    /// Lines added.
    #[serde(default)]
    pub additions: u64,
    /// Lines deleted.
    #[serde(default)]
    pub deletions: u64,
    /// Lines changed.
    #[serde(default)]
    pub changes: u64,
    /// Previous path for a rename.
    #[serde(default)]
    pub previous_filename: Option<String>,
}

/// A pull request review.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Review {
    /// Numeric id.
    pub id: u64,
    /// Reviewer.
    pub user: User,
    /// Review text.
    #[serde(default)]
    pub body: Option<String>,
    /// `APPROVED`, `CHANGES_REQUESTED`, `COMMENTED`, ... (webhooks send lower case).
    #[serde(default)]
    pub state: String,
    /// Web URL.
    #[serde(default)]
    pub html_url: String,
    /// Commit the review was made on.
    #[serde(default)]
    pub commit_id: Option<String>,
}

/// Present on an issue when the issue is a pull request.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct IssuePullRequestLinks {
    /// API URL of the pull request.
    #[serde(default)]
    pub url: Option<String>,
}

/// An issue (pull requests are issues too).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Issue {
    /// Numeric id.
    #[serde(default)]
    pub id: u64,
    /// Issue number.
    pub number: u64,
    /// Title.
    #[serde(default)]
    pub title: String,
    /// Body.
    #[serde(default)]
    pub body: Option<String>,
    /// Author.
    pub user: User,
    /// `open` or `closed`.
    #[serde(default)]
    pub state: String,
    /// Labels.
    #[serde(default)]
    pub labels: Vec<Label>,
    /// Assignees.
    #[serde(default)]
    pub assignees: Vec<User>,
    /// Set when the issue is a pull request.
    #[serde(default)]
    pub pull_request: Option<IssuePullRequestLinks>,
    /// Web URL.
    #[serde(default)]
    pub html_url: String,
    /// How the author is associated with the repository.
    #[serde(default)]
    pub author_association: String,
}

impl Issue {
    /// True when this issue is a pull request.
    pub fn is_pull_request(&self) -> bool {
        self.pull_request.is_some()
    }

    /// True when the issue has a label with this name.
    pub fn has_label(&self, name: &str) -> bool {
        self.labels.iter().any(|label| label.name == name)
    }
}

/// Fields to change on an issue or pull request (`PATCH /repos/{owner}/{repo}/issues/{n}`);
/// `None` fields are not sent.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct IssueUpdate {
    /// New title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// `open` or `closed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Why an issue is closed: `completed` or `not_planned` (issues only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_reason: Option<String>,
}

impl IssueUpdate {
    /// Sets the title.
    pub fn title(title: impl Into<String>) -> Self {
        IssueUpdate {
            title: Some(title.into()),
            ..IssueUpdate::default()
        }
    }

    /// Sets the state (`open` or `closed`).
    pub fn state(state: impl Into<String>) -> Self {
        IssueUpdate {
            state: Some(state.into()),
            ..IssueUpdate::default()
        }
    }
}

/// A comment on an issue or pull request conversation.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct IssueComment {
    /// Numeric id.
    pub id: u64,
    /// Text.
    #[serde(default)]
    pub body: String,
    /// Author.
    pub user: User,
    /// Web URL.
    #[serde(default)]
    pub html_url: String,
    /// Creation time (RFC 3339).
    #[serde(default)]
    pub created_at: String,
    /// Last update time (RFC 3339).
    #[serde(default)]
    pub updated_at: String,
    /// How the author is associated with the repository.
    #[serde(default)]
    pub author_association: String,
}

/// A review comment on a line of a pull request diff.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ReviewComment {
    /// Numeric id.
    pub id: u64,
    /// Text.
    #[serde(default)]
    pub body: String,
    /// Author.
    pub user: User,
    /// File the comment is on.
    #[serde(default)]
    pub path: String,
    /// Web URL.
    #[serde(default)]
    pub html_url: String,
}

/// A team in an organization.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Team {
    /// Numeric id.
    pub id: u64,
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// URL slug, used in API paths.
    pub slug: String,
}

/// A branch.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Branch {
    /// Branch name.
    pub name: String,
    /// Whether branch protection is enabled.
    #[serde(default)]
    pub protected: bool,
    /// Head commit.
    #[serde(default)]
    pub commit: Option<CommitRef>,
}

/// A reference to a commit by SHA.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CommitRef {
    /// Commit SHA.
    pub sha: String,
}

/// A collaborator's permission on a repository (`GET .../collaborators/{user}/permission`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CollaboratorPermission {
    /// `admin`, `write`, `read` or `none` (GitHub's legacy field).
    pub permission: String,
    /// Finer role (`admin`, `maintain`, `write`, `triage`, `read`), when GitHub sends it.
    #[serde(default)]
    pub role_name: Option<String>,
}

/// Branch protection settings, both as read (`GET`) and written (`PUT`) — the fields Prow's
/// branch-protector manages. Unknown fields from GitHub are ignored; `None` fields are sent as
/// `null`, which is how the `PUT` endpoint disables a setting.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct BranchProtection {
    /// Required status checks; `None` disables them.
    pub required_status_checks: Option<RequiredStatusChecks>,
    /// Enforce for administrators too.
    #[serde(default, deserialize_with = "enabled_flag")]
    pub enforce_admins: Option<bool>,
    /// Required pull request reviews; `None` disables them.
    #[serde(default)]
    pub required_pull_request_reviews: Option<serde_json::Value>,
    /// Push restrictions; `None` disables them.
    #[serde(default)]
    pub restrictions: Option<serde_json::Value>,
    /// Require linear history.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "enabled_flag"
    )]
    pub required_linear_history: Option<bool>,
    /// Allow force pushes.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "enabled_flag"
    )]
    pub allow_force_pushes: Option<bool>,
    /// Allow deletions.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "enabled_flag"
    )]
    pub allow_deletions: Option<bool>,
}

/// GitHub reads flags as `{"enabled": true}` objects but writes them as plain booleans.
fn enabled_flag<'de, D: serde::Deserializer<'de>>(de: D) -> Result<Option<bool>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Flag {
        Plain(bool),
        Object { enabled: bool },
    }
    Ok(Option::<Flag>::deserialize(de)?.map(|flag| match flag {
        Flag::Plain(enabled) | Flag::Object { enabled } => enabled,
    }))
}

/// Required status checks of a protected branch.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RequiredStatusChecks {
    /// Require branches to be up to date before merging.
    #[serde(default)]
    pub strict: bool,
    /// Required contexts.
    #[serde(default)]
    pub contexts: Vec<String>,
}

/// State of a commit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StatusState {
    /// Waiting.
    Pending,
    /// Passed.
    Success,
    /// Failed.
    Failure,
    /// Could not run.
    Error,
}

/// A commit status to create (`POST /repos/{owner}/{repo}/statuses/{sha}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewStatus {
    /// State.
    pub state: StatusState,
    /// Context (the job name).
    pub context: String,
    /// Short description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Link to details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_url: Option<String>,
}

/// One commit status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    /// State.
    pub state: StatusState,
    /// Context.
    pub context: String,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Link to details.
    #[serde(default)]
    pub target_url: Option<String>,
}

/// The combined status of a ref.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CombinedStatus {
    /// Overall state (`pending` when there are no statuses).
    pub state: StatusState,
    /// Commit SHA.
    #[serde(default)]
    pub sha: String,
    /// Latest status per context.
    #[serde(default)]
    pub statuses: Vec<Status>,
}

/// A check run (Checks API).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CheckRun {
    /// Numeric id.
    pub id: u64,
    /// Name (the job name).
    #[serde(default)]
    pub name: String,
    /// Commit SHA.
    #[serde(default)]
    pub head_sha: String,
    /// `queued`, `in_progress`, `completed`.
    #[serde(default)]
    pub status: String,
    /// `success`, `failure`, ... once completed.
    #[serde(default)]
    pub conclusion: Option<String>,
    /// Our identifier (the ProwJob name).
    #[serde(default)]
    pub external_id: Option<String>,
    /// Link to details.
    #[serde(default)]
    pub details_url: Option<String>,
}

/// Title and summary shown for a check run.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CheckRunOutput {
    /// Title.
    pub title: String,
    /// Markdown summary.
    pub summary: String,
}

/// Fields for creating or updating a check run; `None` fields are not sent.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CheckRunRequest {
    /// Name (required on create).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Commit SHA (required on create).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head_sha: Option<String>,
    /// `queued`, `in_progress`, `completed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Required when `status` is `completed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conclusion: Option<String>,
    /// Our identifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// Link to details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details_url: Option<String>,
    /// Output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<CheckRunOutput>,
}

/// A git reference (`GET /repos/{owner}/{repo}/git/ref/{ref}`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct GitRef {
    /// Full ref name (`refs/heads/main`).
    #[serde(rename = "ref")]
    pub git_ref: String,
    /// The object it points at.
    pub object: GitObject,
}

/// The object a git reference points at.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct GitObject {
    /// Object SHA.
    pub sha: String,
    /// `commit` or `tag`.
    #[serde(default, rename = "type")]
    pub kind: String,
}
