//! The [`GitHub`] trait: exactly the GitHub calls the prow-rs components make.

use async_trait::async_trait;

use crate::error::Result;
use crate::types::{
    Branch, BranchProtection, CheckRun, CheckRunRequest, CollaboratorPermission, CombinedStatus,
    GitRef, Issue, IssueComment, IssueUpdate, Label, NewStatus, PullRequest, PullRequestFile,
    Repository, Review, Team, User,
};

/// The GitHub calls prow-rs makes (hook and its plugins, plank's reporter, branch-protector).
///
/// Written with `#[async_trait]` rather than native `async fn` in traits: components hold the
/// client as `Arc<dyn GitHub>` (one trait object shared by every plugin, swappable in tests),
/// and native async trait methods are not object safe; `async_trait` boxes the futures and
/// adds the `Send` bound every tokio task needs.
///
/// `org`/`repo` are the owner and repository name. List calls return every page.
#[async_trait]
pub trait GitHub: Send + Sync {
    /// The authenticated account (the bot identity). With GitHub App auth this is
    /// `<app-slug>[bot]`.
    async fn get_user(&self) -> Result<User>;
    /// Whether `user` is a member of `org` (public or private membership).
    async fn is_org_member(&self, org: &str, user: &str) -> Result<bool>;
    /// Whether `user` is a collaborator on the repository.
    async fn is_collaborator(&self, org: &str, repo: &str, user: &str) -> Result<bool>;
    /// The permission `user` has on the repository.
    async fn get_collaborator_permission(
        &self,
        org: &str,
        repo: &str,
        user: &str,
    ) -> Result<CollaboratorPermission>;
    /// All members of `org`.
    async fn list_org_members(&self, org: &str) -> Result<Vec<User>>;
    /// All teams of `org`.
    async fn list_teams(&self, org: &str) -> Result<Vec<Team>>;
    /// All members of the team with slug `team`.
    async fn list_team_members(&self, org: &str, team: &str) -> Result<Vec<User>>;
    /// The repository.
    async fn get_repo(&self, org: &str, repo: &str) -> Result<Repository>;
    /// Every repository of the organization `org` (archived ones included).
    async fn list_org_repos(&self, org: &str) -> Result<Vec<Repository>>;
    /// All branches, or only the protected ones.
    async fn list_branches(
        &self,
        org: &str,
        repo: &str,
        protected_only: bool,
    ) -> Result<Vec<Branch>>;
    /// The branch protection of `branch`; `None` when the branch is not protected.
    async fn get_branch_protection(
        &self,
        org: &str,
        repo: &str,
        branch: &str,
    ) -> Result<Option<BranchProtection>>;
    /// Replaces the branch protection of `branch`.
    async fn update_branch_protection(
        &self,
        org: &str,
        repo: &str,
        branch: &str,
        protection: &BranchProtection,
    ) -> Result<()>;
    /// Removes the branch protection of `branch` (success when it was not protected).
    async fn remove_branch_protection(&self, org: &str, repo: &str, branch: &str) -> Result<()>;
    /// The pull request.
    async fn get_pull_request(&self, org: &str, repo: &str, number: u64) -> Result<PullRequest>;
    /// Every file the pull request changes (all pages).
    async fn list_pull_request_files(
        &self,
        org: &str,
        repo: &str,
        number: u64,
    ) -> Result<Vec<PullRequestFile>>;
    /// Every review of the pull request.
    async fn list_reviews(&self, org: &str, repo: &str, number: u64) -> Result<Vec<Review>>;
    /// Asks `reviewers` to review the pull request; an entry `org/team` of the repository's
    /// org asks a team. Returns the entries GitHub refused (not collaborators, the author,
    /// teams of another org), as Prow's `RequestReview` with its `MissingUsers`: when the
    /// whole request is refused (422) each entry is retried alone.
    async fn request_reviewers(
        &self,
        org: &str,
        repo: &str,
        number: u64,
        reviewers: &[String],
    ) -> Result<Vec<String>>;
    /// Withdraws review requests from `reviewers`.
    async fn remove_requested_reviewers(
        &self,
        org: &str,
        repo: &str,
        number: u64,
        reviewers: &[String],
    ) -> Result<()>;
    /// The issue (or pull request, as an issue).
    async fn get_issue(&self, org: &str, repo: &str, number: u64) -> Result<Issue>;
    /// Every comment of the issue or pull request conversation.
    async fn list_issue_comments(
        &self,
        org: &str,
        repo: &str,
        number: u64,
    ) -> Result<Vec<IssueComment>>;
    /// Posts a comment.
    async fn create_issue_comment(
        &self,
        org: &str,
        repo: &str,
        number: u64,
        body: &str,
    ) -> Result<IssueComment>;
    /// Replaces the text of a comment.
    async fn edit_issue_comment(
        &self,
        org: &str,
        repo: &str,
        comment_id: u64,
        body: &str,
    ) -> Result<IssueComment>;
    /// Deletes a comment (success when it is already gone).
    async fn delete_issue_comment(&self, org: &str, repo: &str, comment_id: u64) -> Result<()>;
    /// Edits an issue or pull request (title, open/closed state); returns the edited issue.
    async fn update_issue(
        &self,
        org: &str,
        repo: &str,
        number: u64,
        update: &IssueUpdate,
    ) -> Result<Issue>;
    /// The labels on the issue.
    async fn list_issue_labels(&self, org: &str, repo: &str, number: u64) -> Result<Vec<Label>>;
    /// Adds labels to the issue.
    async fn add_labels(&self, org: &str, repo: &str, number: u64, labels: &[String])
    -> Result<()>;
    /// Removes a label from the issue (success when the issue did not have it).
    async fn remove_label(&self, org: &str, repo: &str, number: u64, label: &str) -> Result<()>;
    /// Every label defined in the repository.
    async fn list_repo_labels(&self, org: &str, repo: &str) -> Result<Vec<Label>>;
    /// Assigns users to the issue. Returns the logins GitHub silently did not assign (users
    /// who may not be assigned), as Prow's `AssignIssue` with its `MissingUsers`.
    async fn add_assignees(
        &self,
        org: &str,
        repo: &str,
        number: u64,
        assignees: &[String],
    ) -> Result<Vec<String>>;
    /// Unassigns users from the issue.
    async fn remove_assignees(
        &self,
        org: &str,
        repo: &str,
        number: u64,
        assignees: &[String],
    ) -> Result<()>;
    /// Creates a commit status on `sha`.
    async fn create_status(
        &self,
        org: &str,
        repo: &str,
        sha: &str,
        status: &NewStatus,
    ) -> Result<()>;
    /// The combined status of a ref (SHA, branch or tag).
    async fn get_combined_status(
        &self,
        org: &str,
        repo: &str,
        git_ref: &str,
    ) -> Result<CombinedStatus>;
    /// Creates a check run; `request.name` and `request.head_sha` are required.
    async fn create_check_run(
        &self,
        org: &str,
        repo: &str,
        request: &CheckRunRequest,
    ) -> Result<CheckRun>;
    /// Updates a check run.
    async fn update_check_run(
        &self,
        org: &str,
        repo: &str,
        check_run_id: u64,
        request: &CheckRunRequest,
    ) -> Result<CheckRun>;
    /// The decoded contents of the file at `path`, at `git_ref` (default branch when `None`);
    /// `None` when the file does not exist.
    async fn get_file(
        &self,
        org: &str,
        repo: &str,
        path: &str,
        git_ref: Option<&str>,
    ) -> Result<Option<Vec<u8>>>;
    /// A git reference such as `heads/main` or `tags/v1.0`.
    async fn get_ref(&self, org: &str, repo: &str, git_ref: &str) -> Result<GitRef>;
    /// The tree SHA of commit `sha` (`commit.tree.sha` of Prow's `GetSingleCommit`).
    async fn get_commit_tree(&self, org: &str, repo: &str, sha: &str) -> Result<String>;
}
