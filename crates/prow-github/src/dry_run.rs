//! `--dry-run`: a [`GitHub`] that reads through to a real client but only logs writes.

use async_trait::async_trait;

use crate::error::Result;
use crate::github::GitHub;
use crate::types::{
    Branch, BranchProtection, CheckRun, CheckRunRequest, CollaboratorPermission, CombinedStatus,
    GitRef, Issue, IssueComment, IssueUpdate, Label, NewStatus, PullRequest, PullRequestFile,
    Repository, Review, Team, User,
};

/// Wraps a client: every read goes to `inner`, every write is logged (at `info`, without
/// bodies beyond their length) and reported as successful without reaching GitHub. Writes
/// that return an object return a placeholder with id 0 built from the request.
#[derive(Debug, Clone)]
pub struct DryRunGitHub<G> {
    inner: G,
}

impl<G> DryRunGitHub<G> {
    /// Wraps `inner`.
    pub fn new(inner: G) -> Self {
        Self { inner }
    }
}

fn skipped(operation: &str, org: &str, repo: &str, target: &str) {
    tracing::info!(
        operation,
        org,
        repo,
        target,
        "dry run: not writing to GitHub"
    );
}

#[async_trait]
impl<G: GitHub> GitHub for DryRunGitHub<G> {
    async fn get_user(&self) -> Result<User> {
        self.inner.get_user().await
    }
    async fn is_org_member(&self, org: &str, user: &str) -> Result<bool> {
        self.inner.is_org_member(org, user).await
    }
    async fn is_collaborator(&self, org: &str, repo: &str, user: &str) -> Result<bool> {
        self.inner.is_collaborator(org, repo, user).await
    }
    async fn get_collaborator_permission(
        &self,
        org: &str,
        repo: &str,
        user: &str,
    ) -> Result<CollaboratorPermission> {
        self.inner
            .get_collaborator_permission(org, repo, user)
            .await
    }
    async fn list_org_members(&self, org: &str) -> Result<Vec<User>> {
        self.inner.list_org_members(org).await
    }
    async fn list_teams(&self, org: &str) -> Result<Vec<Team>> {
        self.inner.list_teams(org).await
    }
    async fn list_team_members(&self, org: &str, team: &str) -> Result<Vec<User>> {
        self.inner.list_team_members(org, team).await
    }
    async fn get_repo(&self, org: &str, repo: &str) -> Result<Repository> {
        self.inner.get_repo(org, repo).await
    }
    async fn list_org_repos(&self, org: &str) -> Result<Vec<Repository>> {
        self.inner.list_org_repos(org).await
    }

    async fn list_branches(
        &self,
        org: &str,
        repo: &str,
        protected_only: bool,
    ) -> Result<Vec<Branch>> {
        self.inner.list_branches(org, repo, protected_only).await
    }
    async fn get_branch_protection(
        &self,
        org: &str,
        repo: &str,
        branch: &str,
    ) -> Result<Option<BranchProtection>> {
        self.inner.get_branch_protection(org, repo, branch).await
    }
    async fn update_branch_protection(
        &self,
        org: &str,
        repo: &str,
        branch: &str,
        _protection: &BranchProtection,
    ) -> Result<()> {
        skipped("update_branch_protection", org, repo, branch);
        Ok(())
    }
    async fn remove_branch_protection(&self, org: &str, repo: &str, branch: &str) -> Result<()> {
        skipped("remove_branch_protection", org, repo, branch);
        Ok(())
    }
    async fn get_pull_request(&self, org: &str, repo: &str, number: u64) -> Result<PullRequest> {
        self.inner.get_pull_request(org, repo, number).await
    }
    async fn list_pull_request_files(
        &self,
        org: &str,
        repo: &str,
        number: u64,
    ) -> Result<Vec<PullRequestFile>> {
        self.inner.list_pull_request_files(org, repo, number).await
    }
    async fn list_reviews(&self, org: &str, repo: &str, number: u64) -> Result<Vec<Review>> {
        self.inner.list_reviews(org, repo, number).await
    }
    async fn request_reviewers(
        &self,
        org: &str,
        repo: &str,
        number: u64,
        reviewers: &[String],
    ) -> Result<Vec<String>> {
        skipped(
            "request_reviewers",
            org,
            repo,
            &format!("#{number} {reviewers:?}"),
        );
        Ok(Vec::new())
    }
    async fn remove_requested_reviewers(
        &self,
        org: &str,
        repo: &str,
        number: u64,
        reviewers: &[String],
    ) -> Result<()> {
        skipped(
            "remove_requested_reviewers",
            org,
            repo,
            &format!("#{number} {reviewers:?}"),
        );
        Ok(())
    }
    async fn get_issue(&self, org: &str, repo: &str, number: u64) -> Result<Issue> {
        self.inner.get_issue(org, repo, number).await
    }
    async fn list_issue_comments(
        &self,
        org: &str,
        repo: &str,
        number: u64,
    ) -> Result<Vec<IssueComment>> {
        self.inner.list_issue_comments(org, repo, number).await
    }
    async fn create_issue_comment(
        &self,
        org: &str,
        repo: &str,
        number: u64,
        body: &str,
    ) -> Result<IssueComment> {
        skipped(
            "create_issue_comment",
            org,
            repo,
            &format!("#{number} ({} bytes)", body.len()),
        );
        Ok(IssueComment {
            body: body.to_string(),
            ..IssueComment::default()
        })
    }
    async fn edit_issue_comment(
        &self,
        org: &str,
        repo: &str,
        comment_id: u64,
        body: &str,
    ) -> Result<IssueComment> {
        skipped(
            "edit_issue_comment",
            org,
            repo,
            &format!("comment {comment_id} ({} bytes)", body.len()),
        );
        Ok(IssueComment {
            id: comment_id,
            body: body.to_string(),
            ..IssueComment::default()
        })
    }
    async fn delete_issue_comment(&self, org: &str, repo: &str, comment_id: u64) -> Result<()> {
        skipped(
            "delete_issue_comment",
            org,
            repo,
            &format!("comment {comment_id}"),
        );
        Ok(())
    }
    async fn update_issue(
        &self,
        org: &str,
        repo: &str,
        number: u64,
        update: &IssueUpdate,
    ) -> Result<Issue> {
        skipped("update_issue", org, repo, &format!("#{number} {update:?}"));
        // What GitHub would answer: the issue as it is, with the edit applied.
        let mut issue = self.inner.get_issue(org, repo, number).await?;
        if let Some(title) = &update.title {
            issue.title = title.clone();
        }
        if let Some(state) = &update.state {
            issue.state = state.clone();
        }
        Ok(issue)
    }
    async fn list_issue_labels(&self, org: &str, repo: &str, number: u64) -> Result<Vec<Label>> {
        self.inner.list_issue_labels(org, repo, number).await
    }
    async fn add_labels(
        &self,
        org: &str,
        repo: &str,
        number: u64,
        labels: &[String],
    ) -> Result<()> {
        skipped("add_labels", org, repo, &format!("#{number} {labels:?}"));
        Ok(())
    }
    async fn remove_label(&self, org: &str, repo: &str, number: u64, label: &str) -> Result<()> {
        skipped("remove_label", org, repo, &format!("#{number} {label}"));
        Ok(())
    }
    async fn list_repo_labels(&self, org: &str, repo: &str) -> Result<Vec<Label>> {
        self.inner.list_repo_labels(org, repo).await
    }
    async fn add_assignees(
        &self,
        org: &str,
        repo: &str,
        number: u64,
        assignees: &[String],
    ) -> Result<Vec<String>> {
        skipped(
            "add_assignees",
            org,
            repo,
            &format!("#{number} {assignees:?}"),
        );
        Ok(Vec::new())
    }
    async fn remove_assignees(
        &self,
        org: &str,
        repo: &str,
        number: u64,
        assignees: &[String],
    ) -> Result<()> {
        skipped(
            "remove_assignees",
            org,
            repo,
            &format!("#{number} {assignees:?}"),
        );
        Ok(())
    }
    async fn create_status(
        &self,
        org: &str,
        repo: &str,
        sha: &str,
        status: &NewStatus,
    ) -> Result<()> {
        skipped(
            "create_status",
            org,
            repo,
            &format!("{sha} {} {:?}", status.context, status.state),
        );
        Ok(())
    }
    async fn get_combined_status(
        &self,
        org: &str,
        repo: &str,
        git_ref: &str,
    ) -> Result<CombinedStatus> {
        self.inner.get_combined_status(org, repo, git_ref).await
    }
    async fn create_check_run(
        &self,
        org: &str,
        repo: &str,
        request: &CheckRunRequest,
    ) -> Result<CheckRun> {
        skipped(
            "create_check_run",
            org,
            repo,
            request.name.as_deref().unwrap_or_default(),
        );
        Ok(placeholder_check_run(0, request))
    }
    async fn update_check_run(
        &self,
        org: &str,
        repo: &str,
        check_run_id: u64,
        request: &CheckRunRequest,
    ) -> Result<CheckRun> {
        skipped(
            "update_check_run",
            org,
            repo,
            &format!("check run {check_run_id}"),
        );
        Ok(placeholder_check_run(check_run_id, request))
    }
    async fn get_file(
        &self,
        org: &str,
        repo: &str,
        path: &str,
        git_ref: Option<&str>,
    ) -> Result<Option<Vec<u8>>> {
        self.inner.get_file(org, repo, path, git_ref).await
    }
    async fn get_ref(&self, org: &str, repo: &str, git_ref: &str) -> Result<GitRef> {
        self.inner.get_ref(org, repo, git_ref).await
    }
    async fn get_commit_tree(&self, org: &str, repo: &str, sha: &str) -> Result<String> {
        self.inner.get_commit_tree(org, repo, sha).await
    }
}

fn placeholder_check_run(id: u64, request: &CheckRunRequest) -> CheckRun {
    CheckRun {
        id,
        name: request.name.clone().unwrap_or_default(),
        head_sha: request.head_sha.clone().unwrap_or_default(),
        status: request.status.clone().unwrap_or_default(),
        conclusion: request.conclusion.clone(),
        external_id: request.external_id.clone(),
        details_url: request.details_url.clone(),
    }
}
