//! The [`GitHub`] trait implemented over the REST API: paths, methods and bodies per call.

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::Method;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::json;

use super::GitHubClient;
use super::link::next_page_url;
use super::transport::{Call, decode};
use crate::error::{Error, Result};
use crate::github::GitHub;
use crate::types::{
    Branch, BranchProtection, CheckRun, CheckRunRequest, CollaboratorPermission, CombinedStatus,
    GitRef, Issue, IssueComment, IssueUpdate, Label, NewStatus, PullRequest, PullRequestFile,
    Repository, Review, Team, User,
};

/// Percent-encodes one path segment (everything but RFC 3986 unreserved characters), so a
/// label like `do-not-merge/hold` or a branch like `release/1.0` stays one segment.
pub(crate) fn segment(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Percent-encodes a slash-separated path (file path, git ref), keeping the slashes.
fn segments(value: &str) -> String {
    value.split('/').map(segment).collect::<Vec<_>>().join("/")
}

fn repo_path(org: &str, repo: &str) -> String {
    format!("/repos/{}/{}", segment(org), segment(repo))
}

impl GitHubClient {
    async fn fetch<T: DeserializeOwned>(&self, call: Call<'_>) -> Result<T> {
        let reply = self.inner.execute(&call).await?;
        decode(&call, &reply.body)
    }

    async fn fetch_all<T: DeserializeOwned>(&self, call: Call<'_>) -> Result<Vec<T>> {
        self.inner.get_all_pages(call).await
    }

    async fn send(&self, call: Call<'_>) -> Result<()> {
        self.inner.execute(&call).await.map(drop)
    }

    /// Sends a write whose target may already be gone; 404 counts as done.
    async fn send_idempotent(&self, call: Call<'_>) -> Result<()> {
        match self.inner.execute(&call).await {
            Ok(_) => Ok(()),
            Err(error) if error.is_not_found() => Ok(()),
            Err(error) => Err(error),
        }
    }

    /// A membership-style check: 204 yes, 404 no.
    async fn exists(&self, call: Call<'_>) -> Result<bool> {
        match self.inner.execute(&call).await {
            Ok(reply) => Ok(reply.status == 204 || reply.status == 200),
            Err(error) if error.is_not_found() => Ok(false),
            Err(error) => Err(error),
        }
    }
}

/// Prow's `prepareReviewersBody`: `org/team` entries of the repository's org become
/// `team_reviewers` (by slug), everything else `reviewers`.
fn reviewers_body(org: &str, reviewers: &[String]) -> serde_json::Value {
    let mut users = Vec::new();
    let mut teams = Vec::new();
    for reviewer in reviewers {
        match reviewer.split_once('/') {
            Some((team_org, slug)) if team_org.eq_ignore_ascii_case(org) => teams.push(slug),
            _ => users.push(reviewer.as_str()),
        }
    }
    json!({ "reviewers": users, "team_reviewers": teams })
}

impl GitHubClient {
    /// One `POST .../requested_reviewers`; a team of another org is refused as GitHub would
    /// refuse an unknown reviewer (422), without asking.
    async fn try_request_review(
        &self,
        org: &str,
        repo: &str,
        number: u64,
        reviewers: &[String],
    ) -> Result<()> {
        let foreign_team = reviewers.iter().any(|r| {
            r.split_once('/')
                .is_some_and(|(team_org, _)| !team_org.eq_ignore_ascii_case(org))
        });
        if foreign_team {
            return Err(Error::Api {
                operation: "request_reviewers",
                method: "POST",
                route: "/repos/{owner}/{repo}/pulls/{number}/requested_reviewers",
                status: 422,
                message: format!("a team in {reviewers:?} is not part of the {org} org"),
            });
        }
        let path = format!(
            "{}/pulls/{number}/requested_reviewers",
            repo_path(org, repo)
        );
        self.send(
            Call::new(
                "request_reviewers",
                Method::POST,
                "/repos/{owner}/{repo}/pulls/{number}/requested_reviewers",
                path,
                Some(org),
            )
            .json(&reviewers_body(org, reviewers)),
        )
        .await
    }
}

#[async_trait]
impl GitHub for GitHubClient {
    async fn get_user(&self) -> Result<User> {
        if self.inner.app().is_some() {
            #[derive(Deserialize)]
            struct App {
                slug: String,
            }
            let call = Call::new("get_user", Method::GET, "/app", "/app".into(), None);
            let app: App = self.fetch(call).await?;
            return Ok(User {
                login: format!("{}[bot]", app.slug),
                kind: "Bot".into(),
                ..User::default()
            });
        }
        self.fetch(Call::new(
            "get_user",
            Method::GET,
            "/user",
            "/user".into(),
            None,
        ))
        .await
    }

    async fn is_org_member(&self, org: &str, user: &str) -> Result<bool> {
        let path = format!("/orgs/{}/members/{}", segment(org), segment(user));
        self.exists(Call::new(
            "is_org_member",
            Method::GET,
            "/orgs/{org}/members/{user}",
            path,
            Some(org),
        ))
        .await
    }

    async fn is_collaborator(&self, org: &str, repo: &str, user: &str) -> Result<bool> {
        let path = format!("{}/collaborators/{}", repo_path(org, repo), segment(user));
        self.exists(Call::new(
            "is_collaborator",
            Method::GET,
            "/repos/{owner}/{repo}/collaborators/{user}",
            path,
            Some(org),
        ))
        .await
    }

    async fn get_collaborator_permission(
        &self,
        org: &str,
        repo: &str,
        user: &str,
    ) -> Result<CollaboratorPermission> {
        let path = format!(
            "{}/collaborators/{}/permission",
            repo_path(org, repo),
            segment(user)
        );
        self.fetch(Call::new(
            "get_collaborator_permission",
            Method::GET,
            "/repos/{owner}/{repo}/collaborators/{user}/permission",
            path,
            Some(org),
        ))
        .await
    }

    async fn list_org_members(&self, org: &str) -> Result<Vec<User>> {
        let path = format!("/orgs/{}/members", segment(org));
        self.fetch_all(Call::new(
            "list_org_members",
            Method::GET,
            "/orgs/{org}/members",
            path,
            Some(org),
        ))
        .await
    }

    async fn list_teams(&self, org: &str) -> Result<Vec<Team>> {
        let path = format!("/orgs/{}/teams", segment(org));
        self.fetch_all(Call::new(
            "list_teams",
            Method::GET,
            "/orgs/{org}/teams",
            path,
            Some(org),
        ))
        .await
    }

    async fn list_team_members(&self, org: &str, team: &str) -> Result<Vec<User>> {
        let path = format!("/orgs/{}/teams/{}/members", segment(org), segment(team));
        self.fetch_all(Call::new(
            "list_team_members",
            Method::GET,
            "/orgs/{org}/teams/{team_slug}/members",
            path,
            Some(org),
        ))
        .await
    }

    async fn get_repo(&self, org: &str, repo: &str) -> Result<Repository> {
        self.fetch(Call::new(
            "get_repo",
            Method::GET,
            "/repos/{owner}/{repo}",
            repo_path(org, repo),
            Some(org),
        ))
        .await
    }

    async fn list_org_repos(&self, org: &str) -> Result<Vec<Repository>> {
        self.fetch_all(Call::new(
            "list_org_repos",
            Method::GET,
            "/orgs/{org}/repos",
            format!("/orgs/{}/repos", segment(org)),
            Some(org),
        ))
        .await
    }

    async fn list_branches(
        &self,
        org: &str,
        repo: &str,
        protected_only: bool,
    ) -> Result<Vec<Branch>> {
        let query = if protected_only {
            "?protected=true"
        } else {
            ""
        };
        let path = format!("{}/branches{query}", repo_path(org, repo));
        self.fetch_all(Call::new(
            "list_branches",
            Method::GET,
            "/repos/{owner}/{repo}/branches",
            path,
            Some(org),
        ))
        .await
    }

    async fn get_branch_protection(
        &self,
        org: &str,
        repo: &str,
        branch: &str,
    ) -> Result<Option<BranchProtection>> {
        let path = format!(
            "{}/branches/{}/protection",
            repo_path(org, repo),
            segment(branch)
        );
        let call = Call::new(
            "get_branch_protection",
            Method::GET,
            "/repos/{owner}/{repo}/branches/{branch}/protection",
            path,
            Some(org),
        );
        match self.fetch(call).await {
            Ok(protection) => Ok(Some(protection)),
            Err(error) if error.is_not_found() => Ok(None),
            Err(error) => Err(error),
        }
    }

    async fn update_branch_protection(
        &self,
        org: &str,
        repo: &str,
        branch: &str,
        protection: &BranchProtection,
    ) -> Result<()> {
        let path = format!(
            "{}/branches/{}/protection",
            repo_path(org, repo),
            segment(branch)
        );
        self.send(
            Call::new(
                "update_branch_protection",
                Method::PUT,
                "/repos/{owner}/{repo}/branches/{branch}/protection",
                path,
                Some(org),
            )
            .json(protection),
        )
        .await
    }

    async fn remove_branch_protection(&self, org: &str, repo: &str, branch: &str) -> Result<()> {
        let path = format!(
            "{}/branches/{}/protection",
            repo_path(org, repo),
            segment(branch)
        );
        self.send_idempotent(Call::new(
            "remove_branch_protection",
            Method::DELETE,
            "/repos/{owner}/{repo}/branches/{branch}/protection",
            path,
            Some(org),
        ))
        .await
    }

    async fn get_pull_request(&self, org: &str, repo: &str, number: u64) -> Result<PullRequest> {
        let path = format!("{}/pulls/{number}", repo_path(org, repo));
        self.fetch(Call::new(
            "get_pull_request",
            Method::GET,
            "/repos/{owner}/{repo}/pulls/{number}",
            path,
            Some(org),
        ))
        .await
    }

    async fn list_pull_request_files(
        &self,
        org: &str,
        repo: &str,
        number: u64,
    ) -> Result<Vec<PullRequestFile>> {
        let path = format!("{}/pulls/{number}/files", repo_path(org, repo));
        self.fetch_all(Call::new(
            "list_pull_request_files",
            Method::GET,
            "/repos/{owner}/{repo}/pulls/{number}/files",
            path,
            Some(org),
        ))
        .await
    }

    async fn list_reviews(&self, org: &str, repo: &str, number: u64) -> Result<Vec<Review>> {
        let path = format!("{}/pulls/{number}/reviews", repo_path(org, repo));
        self.fetch_all(Call::new(
            "list_reviews",
            Method::GET,
            "/repos/{owner}/{repo}/pulls/{number}/reviews",
            path,
            Some(org),
        ))
        .await
    }

    async fn request_reviewers(
        &self,
        org: &str,
        repo: &str,
        number: u64,
        reviewers: &[String],
    ) -> Result<Vec<String>> {
        if reviewers.is_empty() {
            return Ok(Vec::new());
        }
        match self.try_request_review(org, repo, number, reviewers).await {
            Ok(()) => Ok(Vec::new()),
            Err(error) if error.status() == Some(422) => {
                // GitHub refuses the whole request without naming the culprit: ask one by one.
                let mut missing = Vec::new();
                for reviewer in reviewers {
                    match self
                        .try_request_review(org, repo, number, std::slice::from_ref(reviewer))
                        .await
                    {
                        Ok(()) => {}
                        Err(error) if error.status() == Some(422) => missing.push(reviewer.clone()),
                        Err(error) => return Err(error),
                    }
                }
                Ok(missing)
            }
            Err(error) => Err(error),
        }
    }

    async fn remove_requested_reviewers(
        &self,
        org: &str,
        repo: &str,
        number: u64,
        reviewers: &[String],
    ) -> Result<()> {
        let path = format!(
            "{}/pulls/{number}/requested_reviewers",
            repo_path(org, repo)
        );
        self.send(
            Call::new(
                "remove_requested_reviewers",
                Method::DELETE,
                "/repos/{owner}/{repo}/pulls/{number}/requested_reviewers",
                path,
                Some(org),
            )
            .json(&reviewers_body(org, reviewers)),
        )
        .await
    }

    async fn get_issue(&self, org: &str, repo: &str, number: u64) -> Result<Issue> {
        let path = format!("{}/issues/{number}", repo_path(org, repo));
        self.fetch(Call::new(
            "get_issue",
            Method::GET,
            "/repos/{owner}/{repo}/issues/{number}",
            path,
            Some(org),
        ))
        .await
    }

    async fn list_issue_comments(
        &self,
        org: &str,
        repo: &str,
        number: u64,
    ) -> Result<Vec<IssueComment>> {
        let path = format!("{}/issues/{number}/comments", repo_path(org, repo));
        self.fetch_all(Call::new(
            "list_issue_comments",
            Method::GET,
            "/repos/{owner}/{repo}/issues/{number}/comments",
            path,
            Some(org),
        ))
        .await
    }

    async fn create_issue_comment(
        &self,
        org: &str,
        repo: &str,
        number: u64,
        body: &str,
    ) -> Result<IssueComment> {
        let path = format!("{}/issues/{number}/comments", repo_path(org, repo));
        self.fetch(
            Call::new(
                "create_issue_comment",
                Method::POST,
                "/repos/{owner}/{repo}/issues/{number}/comments",
                path,
                Some(org),
            )
            .json(&json!({ "body": body })),
        )
        .await
    }

    async fn edit_issue_comment(
        &self,
        org: &str,
        repo: &str,
        comment_id: u64,
        body: &str,
    ) -> Result<IssueComment> {
        let path = format!("{}/issues/comments/{comment_id}", repo_path(org, repo));
        self.fetch(
            Call::new(
                "edit_issue_comment",
                Method::PATCH,
                "/repos/{owner}/{repo}/issues/comments/{comment_id}",
                path,
                Some(org),
            )
            .json(&json!({ "body": body })),
        )
        .await
    }

    async fn delete_issue_comment(&self, org: &str, repo: &str, comment_id: u64) -> Result<()> {
        let path = format!("{}/issues/comments/{comment_id}", repo_path(org, repo));
        self.send_idempotent(Call::new(
            "delete_issue_comment",
            Method::DELETE,
            "/repos/{owner}/{repo}/issues/comments/{comment_id}",
            path,
            Some(org),
        ))
        .await
    }

    async fn update_issue(
        &self,
        org: &str,
        repo: &str,
        number: u64,
        update: &IssueUpdate,
    ) -> Result<Issue> {
        let path = format!("{}/issues/{number}", repo_path(org, repo));
        self.fetch(
            Call::new(
                "update_issue",
                Method::PATCH,
                "/repos/{owner}/{repo}/issues/{number}",
                path,
                Some(org),
            )
            .json(update),
        )
        .await
    }

    async fn list_issue_labels(&self, org: &str, repo: &str, number: u64) -> Result<Vec<Label>> {
        let path = format!("{}/issues/{number}/labels", repo_path(org, repo));
        self.fetch_all(Call::new(
            "list_issue_labels",
            Method::GET,
            "/repos/{owner}/{repo}/issues/{number}/labels",
            path,
            Some(org),
        ))
        .await
    }

    async fn add_labels(
        &self,
        org: &str,
        repo: &str,
        number: u64,
        labels: &[String],
    ) -> Result<()> {
        let path = format!("{}/issues/{number}/labels", repo_path(org, repo));
        self.send(
            Call::new(
                "add_labels",
                Method::POST,
                "/repos/{owner}/{repo}/issues/{number}/labels",
                path,
                Some(org),
            )
            .json(&json!({ "labels": labels })),
        )
        .await
    }

    async fn remove_label(&self, org: &str, repo: &str, number: u64, label: &str) -> Result<()> {
        let path = format!(
            "{}/issues/{number}/labels/{}",
            repo_path(org, repo),
            segment(label)
        );
        self.send_idempotent(Call::new(
            "remove_label",
            Method::DELETE,
            "/repos/{owner}/{repo}/issues/{number}/labels/{name}",
            path,
            Some(org),
        ))
        .await
    }

    async fn list_repo_labels(&self, org: &str, repo: &str) -> Result<Vec<Label>> {
        let path = format!("{}/labels", repo_path(org, repo));
        self.fetch_all(Call::new(
            "list_repo_labels",
            Method::GET,
            "/repos/{owner}/{repo}/labels",
            path,
            Some(org),
        ))
        .await
    }

    async fn add_assignees(
        &self,
        org: &str,
        repo: &str,
        number: u64,
        assignees: &[String],
    ) -> Result<Vec<String>> {
        let path = format!("{}/issues/{number}/assignees", repo_path(org, repo));
        let issue: Issue = self
            .fetch(
                Call::new(
                    "add_assignees",
                    Method::POST,
                    "/repos/{owner}/{repo}/issues/{number}/assignees",
                    path,
                    Some(org),
                )
                .json(&json!({ "assignees": assignees })),
            )
            .await?;
        Ok(assignees
            .iter()
            .filter(|wanted| {
                !issue
                    .assignees
                    .iter()
                    .any(|a| a.login.eq_ignore_ascii_case(wanted.trim_start_matches('@')))
            })
            .cloned()
            .collect())
    }

    async fn remove_assignees(
        &self,
        org: &str,
        repo: &str,
        number: u64,
        assignees: &[String],
    ) -> Result<()> {
        let path = format!("{}/issues/{number}/assignees", repo_path(org, repo));
        self.send(
            Call::new(
                "remove_assignees",
                Method::DELETE,
                "/repos/{owner}/{repo}/issues/{number}/assignees",
                path,
                Some(org),
            )
            .json(&json!({ "assignees": assignees })),
        )
        .await
    }

    async fn create_status(
        &self,
        org: &str,
        repo: &str,
        sha: &str,
        status: &NewStatus,
    ) -> Result<()> {
        let path = format!("{}/statuses/{}", repo_path(org, repo), segment(sha));
        self.send(
            Call::new(
                "create_status",
                Method::POST,
                "/repos/{owner}/{repo}/statuses/{sha}",
                path,
                Some(org),
            )
            .json(status),
        )
        .await
    }

    async fn get_combined_status(
        &self,
        org: &str,
        repo: &str,
        git_ref: &str,
    ) -> Result<CombinedStatus> {
        // The combined status paginates its `statuses`; gather every page into one.
        let mut call = Call::new(
            "get_combined_status",
            Method::GET,
            "/repos/{owner}/{repo}/commits/{ref}/status",
            format!(
                "{}/commits/{}/status?per_page={}",
                repo_path(org, repo),
                segments(git_ref),
                self.inner.config.page_size
            ),
            Some(org),
        );
        let mut combined: Option<CombinedStatus> = None;
        loop {
            let reply = self.inner.execute(&call).await?;
            let page: CombinedStatus = decode(&call, &reply.body)?;
            match &mut combined {
                None => combined = Some(page),
                Some(all) => all.statuses.extend(page.statuses),
            }
            match reply.link.as_deref().and_then(next_page_url) {
                Some(next) => call.path = next.to_string(),
                None => break,
            }
        }
        combined.ok_or(Error::Transport {
            operation: "get_combined_status",
            route: "/repos/{owner}/{repo}/commits/{ref}/status",
            message: "no response".into(),
        })
    }

    async fn create_check_run(
        &self,
        org: &str,
        repo: &str,
        request: &CheckRunRequest,
    ) -> Result<CheckRun> {
        let path = format!("{}/check-runs", repo_path(org, repo));
        self.fetch(
            Call::new(
                "create_check_run",
                Method::POST,
                "/repos/{owner}/{repo}/check-runs",
                path,
                Some(org),
            )
            .json(request),
        )
        .await
    }

    async fn update_check_run(
        &self,
        org: &str,
        repo: &str,
        check_run_id: u64,
        request: &CheckRunRequest,
    ) -> Result<CheckRun> {
        let path = format!("{}/check-runs/{check_run_id}", repo_path(org, repo));
        self.fetch(
            Call::new(
                "update_check_run",
                Method::PATCH,
                "/repos/{owner}/{repo}/check-runs/{check_run_id}",
                path,
                Some(org),
            )
            .json(request),
        )
        .await
    }

    async fn get_file(
        &self,
        org: &str,
        repo: &str,
        path: &str,
        git_ref: Option<&str>,
    ) -> Result<Option<Vec<u8>>> {
        #[derive(Deserialize)]
        struct Contents {
            #[serde(default)]
            content: String,
        }
        let query = git_ref
            .map(|r| format!("?ref={}", segment(r)))
            .unwrap_or_default();
        let url_path = format!(
            "{}/contents/{}{query}",
            repo_path(org, repo),
            segments(path.trim_start_matches('/'))
        );
        let call = Call::new(
            "get_file",
            Method::GET,
            "/repos/{owner}/{repo}/contents/{path}",
            url_path,
            Some(org),
        );
        let contents: Contents = match self.fetch(call).await {
            Ok(contents) => contents,
            Err(error) if error.is_not_found() => return Ok(None),
            Err(error) => return Err(error),
        };
        // GitHub wraps the base64 at 60 columns.
        let compact: String = contents
            .content
            .chars()
            .filter(|c| !c.is_ascii_whitespace())
            .collect();
        STANDARD
            .decode(compact)
            .map(Some)
            .map_err(|_| Error::DecodeContent {
                path: path.to_string(),
            })
    }

    async fn get_ref(&self, org: &str, repo: &str, git_ref: &str) -> Result<GitRef> {
        let git_ref = git_ref.trim_start_matches("refs/");
        let path = format!("{}/git/ref/{}", repo_path(org, repo), segments(git_ref));
        self.fetch(Call::new(
            "get_ref",
            Method::GET,
            "/repos/{owner}/{repo}/git/ref/{ref}",
            path,
            Some(org),
        ))
        .await
    }

    async fn get_commit_tree(&self, org: &str, repo: &str, sha: &str) -> Result<String> {
        #[derive(serde::Deserialize)]
        struct Tree {
            sha: String,
        }
        #[derive(serde::Deserialize)]
        struct Commit {
            tree: Tree,
        }
        #[derive(serde::Deserialize)]
        struct SingleCommit {
            commit: Commit,
        }
        let single: SingleCommit = self
            .fetch(Call::new(
                "get_commit_tree",
                Method::GET,
                "/repos/{owner}/{repo}/commits/{ref}",
                format!("{}/commits/{}", repo_path(org, repo), segments(sha)),
                Some(org),
            ))
            .await?;
        Ok(single.commit.tree.sha)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_encoding() {
        let cases = [
            ("needs-ok-to-test", "needs-ok-to-test"),
            ("do-not-merge/hold", "do-not-merge%2Fhold"),
            ("kind bug", "kind%20bug"),
            ("lgtm?", "lgtm%3F"),
            ("größe", "gr%C3%B6%C3%9Fe"),
        ];
        for (input, want) in cases {
            assert_eq!(segment(input), want, "{input}");
        }
        assert_eq!(segments("docs/a b/OWNERS"), "docs/a%20b/OWNERS");
        assert_eq!(segments("heads/release/1.0"), "heads/release/1.0");
    }
}
