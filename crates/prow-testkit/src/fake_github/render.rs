//! JSON views of the state in the shapes GitHub's REST API v3 returns (the fields clients
//! such as octocrab and go-github read: ids, `node_id`, `url`, `html_url`, user objects,
//! timestamps).

use base64::Engine as _;
use serde_json::{Value, json};

use super::model::{
    AccountKind, Branch, CheckRun, CommitStatus, GitHubApp, GitHubState, IssueComment, Label,
    PullFile, PullRequest, Repo, Review, Team,
};

/// Base URLs the views link to (the fake serves both the API and "html" pages' URLs).
#[derive(Debug, Clone)]
pub struct Urls {
    /// API base, e.g. `http://127.0.0.1:41234`.
    pub api: String,
}

/// GitHub-style opaque node id.
fn node_id(kind: &str, id: u64) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{kind}{id}"))
}

/// Stable id for a login that is not in the state.
fn login_id(login: &str) -> u64 {
    login.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    }) % 1_000_000_000
}

/// A user object (`simple-user`).
pub fn user(state: &GitHubState, urls: &Urls, login: &str) -> Value {
    let (login, id, kind) = match state.user(login) {
        Some(u) => (u.login.clone(), u.id, u.kind),
        None => match state.org(login) {
            Some(o) => (o.login.clone(), o.id, AccountKind::Organization),
            None => (login.to_string(), login_id(login), AccountKind::User),
        },
    };
    let api = &urls.api;
    let kind = match kind {
        AccountKind::User => "User",
        AccountKind::Bot => "Bot",
        AccountKind::Organization => "Organization",
    };
    json!({
        "login": login,
        "id": id,
        "node_id": node_id("04:User", id),
        "avatar_url": format!("{api}/avatars/u/{id}?v=4"),
        "gravatar_id": "",
        "url": format!("{api}/users/{login}"),
        "html_url": format!("{api}/{login}"),
        "followers_url": format!("{api}/users/{login}/followers"),
        "following_url": format!("{api}/users/{login}/following{{/other_user}}"),
        "gists_url": format!("{api}/users/{login}/gists{{/gist_id}}"),
        "starred_url": format!("{api}/users/{login}/starred{{/owner}}{{/repo}}"),
        "subscriptions_url": format!("{api}/users/{login}/subscriptions"),
        "organizations_url": format!("{api}/users/{login}/orgs"),
        "repos_url": format!("{api}/users/{login}/repos"),
        "events_url": format!("{api}/users/{login}/events{{/privacy}}"),
        "received_events_url": format!("{api}/users/{login}/received_events"),
        "type": kind,
        "site_admin": false,
    })
}

/// A full user object (`GET /users/{u}`, `GET /user`).
pub fn full_user(state: &GitHubState, urls: &Urls, login: &str) -> Value {
    let mut value = user(state, urls, login);
    let name = state.user(login).and_then(|u| u.name.clone());
    if let Some(object) = value.as_object_mut() {
        object.insert("name".into(), json!(name));
        object.insert("company".into(), Value::Null);
        object.insert("blog".into(), json!(""));
        object.insert("location".into(), Value::Null);
        object.insert("email".into(), Value::Null);
        object.insert("bio".into(), Value::Null);
        object.insert("public_repos".into(), json!(0));
        object.insert("followers".into(), json!(0));
        object.insert("following".into(), json!(0));
        object.insert("created_at".into(), json!("2020-01-01T00:00:00Z"));
        object.insert("updated_at".into(), json!("2020-01-01T00:00:00Z"));
    }
    value
}

/// A GitHub App object (`GET /app`).
pub fn app(state: &GitHubState, urls: &Urls, app: &GitHubApp) -> Value {
    let owner = state
        .orgs
        .first()
        .map(|o| o.login.clone())
        .unwrap_or_else(|| state.viewer_login().to_string());
    json!({
        "id": app.id,
        "slug": app.slug,
        "node_id": node_id("03:App", app.id),
        "name": app.name.clone().unwrap_or_else(|| app.slug.clone()),
        "owner": user(state, urls, &owner),
        "html_url": format!("{}/apps/{}", urls.api, app.slug),
        "created_at": "2020-01-01T00:00:00Z",
        "updated_at": "2020-01-01T00:00:00Z",
        "permissions": {"contents": "read", "issues": "write", "pull_requests": "write",
                        "statuses": "write", "checks": "write", "members": "read"},
        "events": ["issue_comment", "pull_request", "pull_request_review", "push"],
    })
}

/// A repository object.
pub fn repo(state: &GitHubState, urls: &Urls, repo: &Repo) -> Value {
    let api = &urls.api;
    let full = repo.full_name();
    let base = format!("{api}/repos/{full}");
    json!({
        "id": repo.id,
        "node_id": node_id("010:Repository", repo.id),
        "name": repo.name,
        "full_name": full,
        "private": repo.private,
        "visibility": if repo.private { "private" } else { "public" },
        "owner": user(state, urls, &repo.owner),
        "html_url": format!("{api}/{full}"),
        "description": Value::Null,
        "fork": false,
        "url": base,
        "issues_url": format!("{base}/issues{{/number}}"),
        "pulls_url": format!("{base}/pulls{{/number}}"),
        "labels_url": format!("{base}/labels{{/name}}"),
        "statuses_url": format!("{base}/statuses/{{sha}}"),
        "contents_url": format!("{base}/contents/{{+path}}"),
        "branches_url": format!("{base}/branches{{/branch}}"),
        "collaborators_url": format!("{base}/collaborators{{/collaborator}}"),
        "git_url": format!("git://fake-github/{full}.git"),
        "ssh_url": format!("git@fake-github:{full}.git"),
        "clone_url": format!("{api}/{full}.git"),
        "default_branch": repo.default_branch,
        "archived": repo.archived,
        "disabled": false,
        "has_issues": true,
        "open_issues_count": repo.pulls.iter().filter(|p| p.state == "open").count()
            + repo.issues.iter().filter(|i| i.state == "open").count(),
        "created_at": "2020-01-01T00:00:00Z",
        "updated_at": "2020-01-01T00:00:00Z",
        "pushed_at": "2020-01-01T00:00:00Z",
        "permissions": {"admin": true, "maintain": true, "push": true, "triage": true, "pull": true},
    })
}

/// A label object.
pub fn label(urls: &Urls, repo: &Repo, label: &Label) -> Value {
    json!({
        "id": label.id,
        "node_id": node_id("05:Label", label.id),
        "url": format!("{}/repos/{}/labels/{}", urls.api, repo.full_name(), label.name),
        "name": label.name,
        "color": label.color,
        "default": false,
        "description": label.description,
    })
}

/// Label objects for label names on an issue (unknown names get a synthesized label).
pub fn labels_named(urls: &Urls, repo: &Repo, names: &[String]) -> Vec<Value> {
    names
        .iter()
        .map(|name| match repo.labels.iter().find(|l| &l.name == name) {
            Some(l) => label(urls, repo, l),
            None => label(
                urls,
                repo,
                &Label {
                    name: name.clone(),
                    color: "ededed".into(),
                    description: None,
                    id: login_id(name),
                },
            ),
        })
        .collect()
}

fn pull_side(state: &GitHubState, urls: &Urls, side: &super::model::PullRef) -> Value {
    let (owner, _) = side
        .repo
        .split_once('/')
        .unwrap_or((side.repo.as_str(), ""));
    let repo_value = side
        .repo
        .split_once('/')
        .and_then(|(o, n)| state.repo(o, n))
        .map(|r| repo(state, urls, r))
        .unwrap_or(Value::Null);
    json!({
        "label": format!("{owner}:{}", side.branch),
        "ref": side.branch,
        "sha": side.sha,
        "user": user(state, urls, owner),
        "repo": repo_value,
    })
}

/// A pull request object.
pub fn pull(state: &GitHubState, urls: &Urls, repo_: &Repo, pull: &PullRequest) -> Value {
    let api = &urls.api;
    let full = repo_.full_name();
    let n = pull.number;
    let users =
        |logins: &[String]| -> Vec<Value> { logins.iter().map(|l| user(state, urls, l)).collect() };
    let closed_at = (pull.state == "closed").then(|| pull.updated_at.clone());
    let merged_at = pull.merged.then(|| pull.updated_at.clone());
    let mut value = json!({
        "url": format!("{api}/repos/{full}/pulls/{n}"),
        "id": pull.id,
        "node_id": node_id("011:PullRequest", pull.id),
        "html_url": format!("{api}/{full}/pull/{n}"),
        "diff_url": format!("{api}/{full}/pull/{n}.diff"),
        "patch_url": format!("{api}/{full}/pull/{n}.patch"),
        "issue_url": format!("{api}/repos/{full}/issues/{n}"),
        "commits_url": format!("{api}/repos/{full}/pulls/{n}/commits"),
        "review_comments_url": format!("{api}/repos/{full}/pulls/{n}/comments"),
        "comments_url": format!("{api}/repos/{full}/issues/{n}/comments"),
        "statuses_url": format!("{api}/repos/{full}/statuses/{}", pull.head.sha),
        "number": n,
        "state": pull.state,
        "locked": false,
        "title": pull.title,
        "user": user(state, urls, &pull.user),
        "body": pull.body,
        "labels": labels_named(urls, repo_, &pull.labels),
        "milestone": Value::Null,
        "created_at": pull.created_at,
        "updated_at": pull.updated_at,
        "closed_at": closed_at,
        "merged_at": merged_at,
        "merge_commit_sha": Value::Null,
        "assignee": pull.assignees.first().map(|a| user(state, urls, a)),
        "assignees": users(&pull.assignees),
        "requested_reviewers": users(&pull.requested_reviewers),
        "requested_teams": state
            .org(&repo_.owner)
            .map(|org| {
                org.teams
                    .iter()
                    .filter(|t| pull.requested_teams.contains(&t.slug))
                    .map(|t| team(urls, &org.login, t))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default(),
    });
    let more = json!({
        "head": pull_side(state, urls, &pull.head),
        "base": pull_side(state, urls, &pull.base),
        "author_association": author_association(state, repo_, &pull.user),
        "draft": pull.draft,
        "merged": pull.merged,
        "mergeable": pull.mergeable,
        "rebaseable": pull.mergeable,
        "mergeable_state": match pull.mergeable { Some(true) => "clean", Some(false) => "dirty", None => "unknown" },
        "comments": repo_.comments.iter().filter(|c| c.issue_number == n).count(),
        "review_comments": 0,
        "commits": 1,
        "additions": pull.files.iter().map(|f| f.additions).sum::<u64>(),
        "deletions": pull.files.iter().map(|f| f.deletions).sum::<u64>(),
        "changed_files": pull.files.len(),
    });
    if let (Some(object), Value::Object(extra)) = (value.as_object_mut(), more) {
        object.extend(extra);
    }
    value
}

/// GitHub's `author_association` of `login` in `repo`.
pub fn author_association(state: &GitHubState, repo: &Repo, login: &str) -> &'static str {
    if repo.owner.eq_ignore_ascii_case(login) {
        "OWNER"
    } else if state
        .org(&repo.owner)
        .is_some_and(|o| o.members.iter().any(|m| m.eq_ignore_ascii_case(login)))
    {
        "MEMBER"
    } else if repo
        .collaborators
        .iter()
        .any(|c| c.login.eq_ignore_ascii_case(login))
    {
        "COLLABORATOR"
    } else {
        "NONE"
    }
}

/// An issue object for issue or pull request `number` (pull requests carry a
/// `pull_request` key, as on GitHub).
pub fn issue(state: &GitHubState, urls: &Urls, repo_: &Repo, number: u64) -> Option<Value> {
    let api = &urls.api;
    let full = repo_.full_name();
    let (id, title, body, author, issue_state, labels, assignees, created, updated, is_pull) =
        if let Some(p) = repo_.pull(number) {
            let f = (
                p.id,
                &p.title,
                &p.body,
                &p.user,
                &p.state,
                &p.labels,
                &p.assignees,
            );
            (
                f.0,
                f.1,
                f.2,
                f.3,
                f.4,
                f.5,
                f.6,
                &p.created_at,
                &p.updated_at,
                true,
            )
        } else {
            let i = repo_.issues.iter().find(|i| i.number == number)?;
            let f = (
                i.id,
                &i.title,
                &i.body,
                &i.user,
                &i.state,
                &i.labels,
                &i.assignees,
            );
            (
                f.0,
                f.1,
                f.2,
                f.3,
                f.4,
                f.5,
                f.6,
                &i.created_at,
                &i.updated_at,
                false,
            )
        };
    let mut value = json!({
        "id": id,
        "node_id": node_id("05:Issue", id),
        "url": format!("{api}/repos/{full}/issues/{number}"),
        "repository_url": format!("{api}/repos/{full}"),
        "labels_url": format!("{api}/repos/{full}/issues/{number}/labels{{/name}}"),
        "comments_url": format!("{api}/repos/{full}/issues/{number}/comments"),
        "events_url": format!("{api}/repos/{full}/issues/{number}/events"),
        "html_url": format!("{api}/{full}/{}/{number}", if is_pull { "pull" } else { "issues" }),
        "number": number,
        "state": issue_state,
        "title": title,
        "body": body,
        "user": user(state, urls, author),
        "labels": labels_named(urls, repo_, labels),
        "assignee": assignees.first().map(|a| user(state, urls, a)),
        "assignees": assignees.iter().map(|a| user(state, urls, a)).collect::<Vec<_>>(),
        "milestone": Value::Null,
        "locked": false,
        "comments": repo_.comments.iter().filter(|c| c.issue_number == number).count(),
        "created_at": created,
        "updated_at": updated,
        "closed_at": (issue_state == "closed").then(|| updated.clone()),
        "author_association": author_association(state, repo_, author),
    });
    if is_pull && let Some(object) = value.as_object_mut() {
        object.insert(
            "pull_request".into(),
            json!({
                "url": format!("{api}/repos/{full}/pulls/{number}"),
                "html_url": format!("{api}/{full}/pull/{number}"),
                "diff_url": format!("{api}/{full}/pull/{number}.diff"),
                "patch_url": format!("{api}/{full}/pull/{number}.patch"),
            }),
        );
    }
    Some(value)
}

/// An issue comment object.
pub fn comment(state: &GitHubState, urls: &Urls, repo_: &Repo, c: &IssueComment) -> Value {
    let api = &urls.api;
    let full = repo_.full_name();
    let kind = if repo_.pull(c.issue_number).is_some() {
        "pull"
    } else {
        "issues"
    };
    json!({
        "id": c.id,
        "node_id": node_id("012:IssueComment", c.id),
        "url": format!("{api}/repos/{full}/issues/comments/{}", c.id),
        "html_url": format!("{api}/{full}/{kind}/{}#issuecomment-{}", c.issue_number, c.id),
        "issue_url": format!("{api}/repos/{full}/issues/{}", c.issue_number),
        "body": c.body,
        "user": user(state, urls, &c.user),
        "created_at": c.created_at,
        "updated_at": c.updated_at,
        "author_association": author_association(state, repo_, &c.user),
    })
}

/// A pull request review object.
pub fn review(state: &GitHubState, urls: &Urls, repo_: &Repo, r: &Review) -> Value {
    let api = &urls.api;
    let full = repo_.full_name();
    json!({
        "id": r.id,
        "node_id": node_id("017:PullRequestReview", r.id),
        "user": user(state, urls, &r.user),
        "body": r.body,
        "state": r.state,
        "html_url": format!("{api}/{full}/pull/{}#pullrequestreview-{}", r.pull_number, r.id),
        "pull_request_url": format!("{api}/repos/{full}/pulls/{}", r.pull_number),
        "commit_id": r.commit_id,
        "submitted_at": r.submitted_at,
        "author_association": author_association(state, repo_, &r.user),
    })
}

/// A pull request file object.
pub fn file(urls: &Urls, repo_: &Repo, sha: &str, f: &PullFile) -> Value {
    let api = &urls.api;
    let full = repo_.full_name();
    let mut value = json!({
        "sha": format!("{:040x}", u128::from(login_id(&f.filename))),
        "filename": f.filename,
        "status": f.status,
        "additions": f.additions,
        "deletions": f.deletions,
        "changes": f.changes,
        "blob_url": format!("{api}/{full}/blob/{sha}/{}", f.filename),
        "raw_url": format!("{api}/{full}/raw/{sha}/{}", f.filename),
        "contents_url": format!("{api}/repos/{full}/contents/{}?ref={sha}", f.filename),
        "patch": f.patch,
    });
    if let (Some(previous), Some(object)) = (&f.previous_filename, value.as_object_mut()) {
        object.insert("previous_filename".into(), json!(previous));
    }
    value
}

/// A commit status object.
pub fn status(state: &GitHubState, urls: &Urls, repo_: &Repo, s: &CommitStatus) -> Value {
    json!({
        "url": format!("{}/repos/{}/statuses/{}", urls.api, repo_.full_name(), s.sha),
        "avatar_url": Value::Null,
        "id": s.id,
        "node_id": node_id("013:StatusContext", s.id),
        "state": s.state,
        "description": s.description,
        "target_url": s.target_url,
        "context": s.context,
        "created_at": s.created_at,
        "updated_at": s.created_at,
        "creator": user(state, urls, &s.creator),
    })
}

/// Combined state of the latest status per context, as GitHub computes it: `failure` if any
/// is `error` or `failure`, `pending` if none or any pending, else `success`.
pub fn combined_state(latest: &[&CommitStatus]) -> &'static str {
    if latest
        .iter()
        .any(|s| s.state == "error" || s.state == "failure")
    {
        "failure"
    } else if latest.is_empty() || latest.iter().any(|s| s.state == "pending") {
        "pending"
    } else {
        "success"
    }
}

/// Latest status per context for `sha`, newest first.
pub fn latest_statuses<'a>(repo_: &'a Repo, sha: &str) -> Vec<&'a CommitStatus> {
    let mut latest: Vec<&CommitStatus> = Vec::new();
    for s in repo_.statuses.iter().rev().filter(|s| s.sha == sha) {
        if !latest.iter().any(|l| l.context == s.context) {
            latest.push(s);
        }
    }
    latest
}

/// The combined status object.
pub fn combined_status(state: &GitHubState, urls: &Urls, repo_: &Repo, sha: &str) -> Value {
    let latest = latest_statuses(repo_, sha);
    json!({
        "state": combined_state(&latest),
        "statuses": latest.iter().map(|s| status(state, urls, repo_, s)).collect::<Vec<_>>(),
        "sha": sha,
        "total_count": latest.len(),
        "repository": repo(state, urls, repo_),
        "commit_url": format!("{}/repos/{}/commits/{sha}", urls.api, repo_.full_name()),
        "url": format!("{}/repos/{}/commits/{sha}/status", urls.api, repo_.full_name()),
    })
}

/// A check run object.
pub fn check_run(urls: &Urls, repo_: &Repo, c: &CheckRun) -> Value {
    let api = &urls.api;
    let full = repo_.full_name();
    json!({
        "id": c.id,
        "node_id": node_id("08:CheckRun", c.id),
        "head_sha": c.head_sha,
        "external_id": c.external_id,
        "url": format!("{api}/repos/{full}/check-runs/{}", c.id),
        "html_url": format!("{api}/{full}/runs/{}", c.id),
        "details_url": c.details_url,
        "status": c.status,
        "conclusion": c.conclusion,
        "started_at": c.started_at,
        "completed_at": c.completed_at,
        "output": c.output.clone().unwrap_or_else(|| json!({"title": null, "summary": null, "text": null, "annotations_count": 0})),
        "name": c.name,
        "app": Value::Null,
        "pull_requests": [],
    })
}

/// A branch object (list form when `full` is false).
pub fn branch(urls: &Urls, repo_: &Repo, b: &Branch, full: bool) -> Value {
    let api = &urls.api;
    let name = &repo_.full_name();
    let mut value = json!({
        "name": b.name,
        "commit": {"sha": b.sha, "url": format!("{api}/repos/{name}/commits/{}", b.sha)},
        "protected": b.protected,
    });
    if full && let Some(object) = value.as_object_mut() {
        object.insert(
            "protection_url".into(),
            json!(format!("{api}/repos/{name}/branches/{}/protection", b.name)),
        );
        object.insert(
            "_links".into(),
            json!({"self": format!("{api}/repos/{name}/branches/{}", b.name),
                   "html": format!("{api}/{name}/tree/{}", b.name)}),
        );
    }
    value
}

/// A team object.
pub fn team(urls: &Urls, org: &str, t: &Team) -> Value {
    let api = &urls.api;
    json!({
        "id": t.id,
        "node_id": node_id("04:Team", t.id),
        "url": format!("{api}/organizations/{org}/team/{}", t.id),
        "html_url": format!("{api}/orgs/{org}/teams/{}", t.slug),
        "name": t.name.clone().unwrap_or_else(|| t.slug.clone()),
        "slug": t.slug,
        "description": Value::Null,
        "privacy": "closed",
        "permission": "pull",
        "members_url": format!("{api}/organizations/{org}/team/{}/members{{/member}}", t.id),
        "repositories_url": format!("{api}/organizations/{org}/team/{}/repos", t.id),
        "parent": Value::Null,
    })
}

/// A file content object (`GET /repos/{o}/{r}/contents/{path}`).
pub fn content(urls: &Urls, repo_: &Repo, path: &str, git_ref: &str, text: &str) -> Value {
    let api = &urls.api;
    let full = repo_.full_name();
    let encoded = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    let name = path.rsplit('/').next().unwrap_or(path);
    let sha = format!("{:040x}", u128::from(login_id(text)));
    json!({
        "type": "file",
        "encoding": "base64",
        "size": text.len(),
        "name": name,
        "path": path,
        "content": encoded,
        "sha": sha,
        "url": format!("{api}/repos/{full}/contents/{path}?ref={git_ref}"),
        "git_url": format!("{api}/repos/{full}/git/blobs/{sha}"),
        "html_url": format!("{api}/{full}/blob/{git_ref}/{path}"),
        "download_url": format!("{api}/{full}/raw/{git_ref}/{path}"),
        "_links": {
            "self": format!("{api}/repos/{full}/contents/{path}?ref={git_ref}"),
            "git": format!("{api}/repos/{full}/git/blobs/{sha}"),
            "html": format!("{api}/{full}/blob/{git_ref}/{path}"),
        },
    })
}

/// A git ref object; `name` without the `refs/` prefix.
pub fn git_ref(urls: &Urls, repo_: &Repo, name: &str, sha: &str) -> Value {
    let api = &urls.api;
    json!({
        "ref": format!("refs/{name}"),
        "node_id": node_id("03:Ref", login_id(name)),
        "url": format!("{api}/repos/{}/git/refs/{name}", repo_.full_name()),
        "object": {
            "type": "commit",
            "sha": sha,
            "url": format!("{api}/repos/{}/git/commits/{sha}", repo_.full_name()),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(context: &str, state: &str) -> CommitStatus {
        CommitStatus {
            sha: "abc".into(),
            context: context.into(),
            state: state.into(),
            ..CommitStatus::default()
        }
    }

    #[test]
    fn combined_state_follows_github_rules() {
        let (ok, pending, failed, errored) = (
            status("a", "success"),
            status("b", "pending"),
            status("c", "failure"),
            status("d", "error"),
        );
        let cases: [(Vec<&CommitStatus>, &str); 5] = [
            (vec![], "pending"),
            (vec![&ok], "success"),
            (vec![&ok, &pending], "pending"),
            (vec![&ok, &pending, &failed], "failure"),
            (vec![&errored], "failure"),
        ];
        for (latest, want) in cases {
            assert_eq!(combined_state(&latest), want);
        }
    }

    #[test]
    fn latest_status_per_context_wins() {
        let repo = Repo {
            statuses: vec![
                status("a", "pending"),
                status("b", "failure"),
                status("a", "success"),
            ],
            ..Repo::default()
        };
        let latest = latest_statuses(&repo, "abc");
        let states: Vec<(&str, &str)> = latest
            .iter()
            .map(|s| (s.context.as_str(), s.state.as_str()))
            .collect();
        assert_eq!(states, vec![("a", "success"), ("b", "failure")]);
    }
}
