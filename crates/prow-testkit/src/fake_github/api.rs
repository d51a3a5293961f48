//! GitHub REST endpoints over [`GitHubState`]: routing on decoded path segments, reads and
//! writes. Cross-cutting behaviour (auth, rate limits, ETags, pagination, faults) lives in
//! [`super::server`].

use serde_json::{Value, json};

use super::model::{
    CheckRun, CommitStatus, GitHubState, IssueComment, Label, Repo, permission_rank,
};
use super::paging::query_param;
use super::render::{self, Urls};

/// Link to GitHub's REST documentation used in error bodies.
pub const DOCS_URL: &str = "https://docs.github.com/rest";

/// A parsed request handed to the endpoints.
#[derive(Debug)]
pub struct ApiRequest<'a> {
    /// HTTP method, upper case.
    pub method: &'a str,
    /// Percent-decoded path segments (`/repos/o/r` → `["repos", "o", "r"]`).
    pub segments: Vec<String>,
    /// Raw query string.
    pub query: Option<&'a str>,
    /// JSON body (`Null` when absent).
    pub body: &'a Value,
    /// Request time, RFC 3339.
    pub now: &'a str,
    /// Login that authors writes (the viewer, or `<slug>[bot]` with an installation token).
    pub actor: &'a str,
}

/// A response body before pagination and serialization.
#[derive(Debug, Clone, PartialEq)]
pub enum ReplyBody {
    /// A single JSON document.
    One(Value),
    /// A paginated list; with an envelope a page is sent as the envelope object plus
    /// `{"total_count": N, key: [...page...]}` (the check-runs and combined-status shapes).
    List {
        /// All items.
        items: Vec<Value>,
        /// Envelope object and the key the page goes under, if any.
        envelope: Option<(Value, &'static str)>,
    },
    /// No body.
    Empty,
}

/// An endpoint's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// Body.
    pub body: ReplyBody,
}

impl Reply {
    fn ok(value: Value) -> Self {
        Self {
            status: 200,
            body: ReplyBody::One(value),
        }
    }
    fn created(value: Value) -> Self {
        Self {
            status: 201,
            body: ReplyBody::One(value),
        }
    }
    fn list(items: Vec<Value>) -> Self {
        Self {
            status: 200,
            body: ReplyBody::List {
                items,
                envelope: None,
            },
        }
    }
    fn no_content() -> Self {
        Self {
            status: 204,
            body: ReplyBody::Empty,
        }
    }
    /// GitHub's 404 body.
    pub fn not_found() -> Self {
        Self::error(404, "Not Found")
    }
    /// An error with GitHub's `{"message", "documentation_url", "status"}` body.
    pub fn error(status: u16, message: &str) -> Self {
        Self {
            status,
            body: ReplyBody::One(json!({
                "message": message,
                "documentation_url": DOCS_URL,
                "status": status.to_string(),
            })),
        }
    }
    /// GitHub's 422 `Validation Failed` with one error entry.
    fn validation_failed(resource: &str, field: &str, code: &str) -> Self {
        Self {
            status: 422,
            body: ReplyBody::One(json!({
                "message": "Validation Failed",
                "errors": [{"resource": resource, "field": field, "code": code}],
                "documentation_url": DOCS_URL,
                "status": "422",
            })),
        }
    }
}

/// Whether a method changes state (and so is recorded as a write).
pub fn is_write(method: &str) -> bool {
    matches!(method, "POST" | "PUT" | "PATCH" | "DELETE")
}

/// Routes a request to its endpoint.
pub fn dispatch(state: &mut GitHubState, urls: &Urls, req: &ApiRequest<'_>) -> Reply {
    let segs: Vec<&str> = req.segments.iter().map(String::as_str).collect();
    match (req.method, segs.as_slice()) {
        ("GET", ["user"]) => Reply::ok(render::full_user(state, urls, state.viewer_login())),
        ("GET", ["users", login]) => get_user(state, urls, login),
        ("GET", ["users", login, "installation"]) => installation(state, urls, login),
        ("GET", ["app"]) => match &state.app {
            Some(app) => Reply::ok(render::app(state, urls, app)),
            None => Reply::not_found(),
        },
        ("POST", ["app", "installations", id, "access_tokens"]) => {
            create_installation_token(state, id)
        }
        ("GET", ["orgs", org, rest @ ..]) => org_endpoint(state, urls, req, org, rest),
        (_, ["repos", owner, name, rest @ ..]) => {
            let Some(index) = state.repos.iter().position(|r| {
                r.owner.eq_ignore_ascii_case(owner) && r.name.eq_ignore_ascii_case(name)
            }) else {
                return Reply::not_found();
            };
            repo_endpoint(state, urls, req, index, rest)
        }
        _ => Reply::not_found(),
    }
}

/// `GET /orgs/{org}/installation`, `/users/{u}/installation`: the App is installed on
/// every account the fake knows; the installation id is the account id.
fn installation(state: &GitHubState, urls: &Urls, account: &str) -> Reply {
    let Some(app) = &state.app else {
        return Reply::not_found();
    };
    let target = if let Some(org) = state.org(account) {
        Some((org.login.clone(), org.id, "Organization"))
    } else {
        state.user(account).map(|u| (u.login.clone(), u.id, "User"))
    };
    match target {
        Some((login, id, kind)) => Reply::ok(json!({
            "id": id,
            "account": render::user(state, urls, &login),
            "app_id": app.id,
            "app_slug": app.slug,
            "target_id": id,
            "target_type": kind,
            "repository_selection": "all",
            "access_tokens_url": format!("{}/app/installations/{id}/access_tokens", urls.api),
            "permissions": {"contents": "read", "issues": "write", "pull_requests": "write",
                            "statuses": "write", "checks": "write", "members": "read"},
            "events": ["issue_comment", "pull_request", "pull_request_review", "push"],
        })),
        None => Reply::not_found(),
    }
}

fn create_installation_token(state: &mut GitHubState, id: &str) -> Reply {
    let Ok(id) = id.parse::<u64>() else {
        return Reply::not_found();
    };
    let known = state.orgs.iter().any(|o| o.id == id) || state.users.iter().any(|u| u.id == id);
    if state.app.is_none() || !known {
        return Reply::not_found();
    }
    let serial = state.allocate_id();
    let digest = <sha2::Sha256 as sha2::Digest>::digest(format!("{id}:{serial}"));
    let token = format!("ghs_{}", &hex::encode(digest)[..36]);
    state.installation_tokens.push(token.clone());
    Reply::created(json!({
        "token": token,
        "expires_at": super::clock::rfc3339_in(3600),
        "permissions": {"contents": "read", "issues": "write", "pull_requests": "write",
                        "statuses": "write", "checks": "write", "members": "read"},
        "repository_selection": "all",
    }))
}

fn get_user(state: &GitHubState, urls: &Urls, login: &str) -> Reply {
    if state.user(login).is_some() || state.org(login).is_some() {
        Reply::ok(render::full_user(state, urls, login))
    } else {
        Reply::not_found()
    }
}

fn org_endpoint(
    state: &GitHubState,
    urls: &Urls,
    req: &ApiRequest<'_>,
    org_login: &str,
    rest: &[&str],
) -> Reply {
    let Some(org) = state.org(org_login) else {
        return Reply::not_found();
    };
    let is_member = |login: &str| org.members.iter().any(|m| m.eq_ignore_ascii_case(login));
    let users = |logins: &[String]| -> Vec<Value> {
        logins
            .iter()
            .map(|l| render::user(state, urls, l))
            .collect()
    };
    match rest {
        [] => Reply::ok(json!({
            "login": org.login, "id": org.id,
            "url": format!("{}/orgs/{}", urls.api, org.login),
            "members_url": format!("{}/orgs/{}/members{{/member}}", urls.api, org.login),
            "type": "Organization",
        })),
        ["members"] => {
            let role = query_param(req.query, "role").unwrap_or_else(|| "all".into());
            let members: Vec<String> = org
                .members
                .iter()
                .filter(|m| match role.as_str() {
                    "admin" => org.admins.contains(m),
                    "member" => !org.admins.contains(m),
                    _ => true,
                })
                .cloned()
                .collect();
            Reply::list(users(&members))
        }
        ["members", login] if is_member(login) => Reply::no_content(),
        ["installation"] => installation(state, urls, &org.login),
        ["repos"] => Reply::list(
            state
                .repos
                .iter()
                .filter(|r| r.owner.eq_ignore_ascii_case(&org.login))
                .map(|r| render::repo(state, urls, r))
                .collect(),
        ),
        ["public_members"] => Reply::list(users(&org.public_members)),
        ["public_members", login]
            if org
                .public_members
                .iter()
                .any(|m| m.eq_ignore_ascii_case(login)) =>
        {
            Reply::no_content()
        }
        ["memberships", login] if is_member(login) => {
            let role = if org.admins.iter().any(|a| a.eq_ignore_ascii_case(login)) {
                "admin"
            } else {
                "member"
            };
            Reply::ok(json!({
                "url": format!("{}/orgs/{}/memberships/{login}", urls.api, org.login),
                "state": "active",
                "role": role,
                "organization_url": format!("{}/orgs/{}", urls.api, org.login),
                "organization": {"login": org.login, "id": org.id,
                                 "url": format!("{}/orgs/{}", urls.api, org.login)},
                "user": render::user(state, urls, login),
            }))
        }
        ["teams"] => Reply::list(
            org.teams
                .iter()
                .map(|t| render::team(urls, &org.login, t))
                .collect(),
        ),
        ["teams", slug] | ["teams", slug, ..] => {
            let Some(team) = org.teams.iter().find(|t| t.slug == *slug) else {
                return Reply::not_found();
            };
            match rest.get(2) {
                None => Reply::ok(render::team(urls, &org.login, team)),
                Some(&"members") => Reply::list(users(&team.members)),
                Some(&"repos") => Reply::list(
                    team.repos
                        .iter()
                        .filter_map(|r| state.repo(&org.login, r))
                        .map(|r| render::repo(state, urls, r))
                        .collect(),
                ),
                Some(_) => Reply::not_found(),
            }
        }
        _ => Reply::not_found(),
    }
}

fn repo_endpoint(
    state: &mut GitHubState,
    urls: &Urls,
    req: &ApiRequest<'_>,
    index: usize,
    rest: &[&str],
) -> Reply {
    let method = req.method;
    match (method, rest) {
        ("GET", []) => Reply::ok(render::repo(state, urls, &state.repos[index])),
        ("GET", ["installation"]) => {
            let owner = state.repos[index].owner.clone();
            installation(state, urls, &owner)
        }
        ("GET", ["collaborators", ..]) => collaborators(state, urls, index, &rest[1..]),
        ("GET", ["branches"]) => {
            let repo = &state.repos[index];
            let only_protected = query_param(req.query, "protected").as_deref() == Some("true");
            Reply::list(
                repo.branches
                    .iter()
                    .filter(|b| !only_protected || b.protected)
                    .map(|b| render::branch(urls, repo, b, false))
                    .collect(),
            )
        }
        (_, ["branches", branch @ ..]) if !branch.is_empty() => {
            branches(state, urls, req, index, branch)
        }
        (_, ["pulls", ..]) => pulls(state, urls, req, index, &rest[1..]),
        (_, ["issues", "comments", id]) => comment_by_id(state, urls, req, index, id),
        (_, ["issues", number, tail @ ..]) => {
            let Ok(number) = number.parse::<u64>() else {
                return Reply::not_found();
            };
            if !state.repos[index].has_issue(number) {
                return Reply::not_found();
            }
            issues(state, urls, req, index, number, tail)
        }
        (_, ["labels", ..]) => repo_labels(state, urls, req, index, &rest[1..]),
        ("POST", ["statuses", sha]) => create_status(state, urls, req, index, sha),
        ("GET", ["commits", git_ref, tail]) => commit_reads(state, urls, index, git_ref, tail),
        ("GET", ["commits", git_ref]) => single_commit(state, index, git_ref),
        (_, ["check-runs", ..]) => check_runs(state, urls, req, index, &rest[1..]),
        ("GET", ["contents", path @ ..]) if !path.is_empty() => {
            let repo = &state.repos[index];
            let path = path.join("/");
            let git_ref =
                query_param(req.query, "ref").unwrap_or_else(|| repo.default_branch.clone());
            let found = repo.contents.iter().find(|c| {
                c.path == path
                    && (c.git_ref == git_ref
                        || (c.git_ref.is_empty() && git_ref == repo.default_branch))
            });
            match found {
                Some(c) => Reply::ok(render::content(urls, repo, &path, &git_ref, &c.content)),
                None => Reply::not_found(),
            }
        }
        ("GET", ["git", "ref", name @ ..]) if !name.is_empty() => {
            let repo = &state.repos[index];
            let name = name.join("/");
            match all_refs(repo).into_iter().find(|(n, _)| *n == name) {
                Some((n, sha)) => Reply::ok(render::git_ref(urls, repo, &n, &sha)),
                None => Reply::not_found(),
            }
        }
        ("GET", ["git", "refs", name @ ..]) => {
            let repo = &state.repos[index];
            let name = name.join("/");
            let refs = all_refs(repo);
            if let Some((n, sha)) = refs.iter().find(|(n, _)| *n == name) {
                return Reply::ok(render::git_ref(urls, repo, n, sha));
            }
            let prefix = if name.is_empty() {
                String::new()
            } else {
                format!("{name}/")
            };
            let matching: Vec<Value> = refs
                .iter()
                .filter(|(n, _)| n.starts_with(&prefix))
                .map(|(n, sha)| render::git_ref(urls, repo, n, sha))
                .collect();
            if matching.is_empty() {
                Reply::not_found()
            } else {
                Reply::list(matching)
            }
        }
        _ => Reply::not_found(),
    }
}

/// Every ref of a repository as (name without `refs/`, sha): branches then other refs.
fn all_refs(repo: &Repo) -> Vec<(String, String)> {
    repo.branches
        .iter()
        .map(|b| (format!("heads/{}", b.name), b.sha.clone()))
        .chain(repo.refs.iter().map(|r| (r.name.clone(), r.sha.clone())))
        .collect()
}

fn collaborators(state: &GitHubState, urls: &Urls, index: usize, rest: &[&str]) -> Reply {
    let repo = &state.repos[index];
    let permission_of = |login: &str| effective_permission(state, repo, login);
    let with_permissions = |login: &str, permission: &str| {
        let rank = permission_rank(permission);
        let mut user = render::user(state, urls, login);
        if let Some(object) = user.as_object_mut() {
            object.insert(
                "permissions".into(),
                json!({"pull": true, "triage": rank >= 1, "push": rank >= 2,
                       "maintain": rank >= 3, "admin": rank >= 4}),
            );
            object.insert("role_name".into(), json!(permission));
        }
        user
    };
    match rest {
        [] => {
            // Direct collaborators, then org admins and team members with access (GitHub's
            // default `affiliation=all`).
            let mut logins: Vec<String> =
                repo.collaborators.iter().map(|c| c.login.clone()).collect();
            if let Some(org) = state.org(&repo.owner) {
                let via_teams = org
                    .teams
                    .iter()
                    .filter(|t| t.repos.iter().any(|r| r.eq_ignore_ascii_case(&repo.name)))
                    .flat_map(|t| t.members.iter());
                for login in org.admins.iter().chain(via_teams) {
                    if !logins.iter().any(|l| l.eq_ignore_ascii_case(login)) {
                        logins.push(login.clone());
                    }
                }
            }
            Reply::list(
                logins
                    .iter()
                    .filter_map(|l| permission_of(l).map(|p| with_permissions(l, &p)))
                    .collect(),
            )
        }
        [login] => match permission_of(login) {
            Some(_) => Reply::no_content(),
            None => Reply::not_found(),
        },
        [login, "permission"] => {
            let role = permission_of(login);
            // The legacy `permission` field folds maintain into write and triage into read.
            let legacy = match role.as_deref() {
                Some("admin") => "admin",
                Some("maintain" | "write") => "write",
                Some(_) => "read",
                None if repo.private => "none",
                None => "read",
            };
            Reply::ok(json!({
                "permission": legacy,
                "role_name": role.as_deref().unwrap_or(legacy),
                "user": with_permissions(login, role.as_deref().unwrap_or("read")),
            }))
        }
        _ => Reply::not_found(),
    }
}

/// The strongest permission `login` has on `repo`: owner and org admins get `admin`,
/// direct collaborators their permission, members of a team with the repository `write`.
pub fn effective_permission(state: &GitHubState, repo: &Repo, login: &str) -> Option<String> {
    let same = |other: &String| other.eq_ignore_ascii_case(login);
    let mut found: Vec<String> = Vec::new();
    if repo.owner.eq_ignore_ascii_case(login) {
        found.push("admin".into());
    }
    if let Some(org) = state.org(&repo.owner) {
        if org.admins.iter().any(same) {
            found.push("admin".into());
        }
        let team_access = org.teams.iter().any(|t| {
            t.members.iter().any(same) && t.repos.iter().any(|r| r.eq_ignore_ascii_case(&repo.name))
        });
        if team_access {
            found.push("write".into());
        }
    }
    if let Some(c) = repo.collaborators.iter().find(|c| same(&c.login)) {
        found.push(c.permission.clone());
    }
    found.into_iter().max_by_key(|p| permission_rank(p))
}

fn branches(
    state: &mut GitHubState,
    urls: &Urls,
    req: &ApiRequest<'_>,
    index: usize,
    path: &[&str],
) -> Reply {
    let (name, protection) = match path.split_last() {
        Some((&"protection", head)) if !head.is_empty() => (head.join("/"), true),
        _ => (path.join("/"), false),
    };
    let repo = &mut state.repos[index];
    let Some(branch_index) = repo.branches.iter().position(|b| b.name == name) else {
        return Reply::not_found();
    };
    let protection_url = format!(
        "{}/repos/{}/branches/{name}/protection",
        urls.api,
        repo.full_name()
    );
    let branch = &mut repo.branches[branch_index];
    match (req.method, protection) {
        ("GET", false) => {
            let branch = &state.repos[index].branches[branch_index];
            Reply::ok(render::branch(urls, &state.repos[index], branch, true))
        }
        ("GET", true) => match (&branch.protection, branch.protected) {
            (Some(doc), true) => Reply::ok(protection_view(&protection_url, doc)),
            _ => Reply::error(404, "Branch not protected"),
        },
        ("PUT", true) => {
            if !req.body.is_object() {
                return Reply::validation_failed(
                    "Branch",
                    "required_status_checks",
                    "missing_field",
                );
            }
            branch.protected = true;
            branch.protection = Some(req.body.clone());
            Reply::ok(protection_view(&protection_url, req.body))
        }
        ("DELETE", true) => {
            if !branch.protected {
                return Reply::error(404, "Branch not protected");
            }
            branch.protected = false;
            branch.protection = None;
            Reply::no_content()
        }
        _ => Reply::not_found(),
    }
}

/// Turns a PUT branch-protection request document into GitHub's response shape.
fn protection_view(url: &str, doc: &Value) -> Value {
    let checks = &doc["required_status_checks"];
    let checks_view = if checks.is_object() {
        let contexts = checks["contexts"].as_array().cloned().unwrap_or_default();
        json!({
            "url": format!("{url}/required_status_checks"),
            "strict": checks["strict"].as_bool().unwrap_or(false),
            "contexts": contexts,
            "checks": contexts.iter().map(|c| json!({"context": c, "app_id": null})).collect::<Vec<_>>(),
        })
    } else {
        Value::Null
    };
    let enabled = |value: &Value| json!({"enabled": value.as_bool().unwrap_or(false)});
    let mut view = json!({
        "url": url,
        "enforce_admins": {"url": format!("{url}/enforce_admins"),
                           "enabled": doc["enforce_admins"].as_bool().unwrap_or(false)},
        "allow_force_pushes": enabled(&doc["allow_force_pushes"]),
        "allow_deletions": enabled(&doc["allow_deletions"]),
        "required_linear_history": enabled(&doc["required_linear_history"]),
        "required_conversation_resolution": enabled(&doc["required_conversation_resolution"]),
        "block_creations": enabled(&doc["block_creations"]),
        "lock_branch": enabled(&doc["lock_branch"]),
        "allow_fork_syncing": enabled(&doc["allow_fork_syncing"]),
    });
    if let Some(object) = view.as_object_mut() {
        if !checks_view.is_null() {
            object.insert("required_status_checks".into(), checks_view);
        }
        if doc["required_pull_request_reviews"].is_object() {
            object.insert(
                "required_pull_request_reviews".into(),
                doc["required_pull_request_reviews"].clone(),
            );
        }
        if doc["restrictions"].is_object() {
            object.insert("restrictions".into(), doc["restrictions"].clone());
        }
    }
    view
}

fn pulls(
    state: &mut GitHubState,
    urls: &Urls,
    req: &ApiRequest<'_>,
    index: usize,
    rest: &[&str],
) -> Reply {
    if let ("GET", []) = (req.method, rest) {
        let repo = &state.repos[index];
        let wanted = query_param(req.query, "state").unwrap_or_else(|| "open".into());
        let base = query_param(req.query, "base");
        let mut pulls: Vec<_> = repo
            .pulls
            .iter()
            .filter(|p| wanted == "all" || p.state == wanted)
            .filter(|p| base.as_ref().is_none_or(|b| &p.base.branch == b))
            .collect();
        pulls.sort_by_key(|p| std::cmp::Reverse(p.number));
        return Reply::list(
            pulls
                .into_iter()
                .map(|p| render::pull(state, urls, repo, p))
                .collect(),
        );
    }
    let Some(number) = rest.first().and_then(|n| n.parse::<u64>().ok()) else {
        return Reply::not_found();
    };
    let Some(pull_index) = state.repos[index]
        .pulls
        .iter()
        .position(|p| p.number == number)
    else {
        return Reply::not_found();
    };
    match (req.method, &rest[1..]) {
        ("GET", []) => {
            let repo = &state.repos[index];
            Reply::ok(render::pull(state, urls, repo, &repo.pulls[pull_index]))
        }
        ("GET", ["files"]) => {
            let repo = &state.repos[index];
            let pull = &repo.pulls[pull_index];
            Reply::list(
                pull.files
                    .iter()
                    .map(|f| render::file(urls, repo, &pull.head.sha, f))
                    .collect(),
            )
        }
        ("GET", ["reviews"]) => {
            let repo = &state.repos[index];
            Reply::list(
                repo.reviews
                    .iter()
                    .filter(|r| r.pull_number == number)
                    .map(|r| render::review(state, urls, repo, r))
                    .collect(),
            )
        }
        (method @ ("POST" | "DELETE"), ["requested_reviewers"]) => {
            let reviewers = string_list(&req.body["reviewers"]);
            let teams = string_list(&req.body["team_reviewers"]);
            if reviewers.is_none() && teams.is_none() {
                return Reply::validation_failed("PullRequest", "reviewers", "missing_field");
            }
            let reviewers = reviewers.unwrap_or_default();
            let teams = teams.unwrap_or_default();
            if method == "POST"
                && let Some(refused) =
                    refused_review_request(state, index, pull_index, &reviewers, &teams)
            {
                return refused;
            }
            let pull = &mut state.repos[index].pulls[pull_index];
            if method == "POST" {
                for reviewer in reviewers {
                    if !pull.requested_reviewers.contains(&reviewer) {
                        pull.requested_reviewers.push(reviewer);
                    }
                }
                for team in teams {
                    if !pull.requested_teams.contains(&team) {
                        pull.requested_teams.push(team);
                    }
                }
            } else {
                pull.requested_reviewers
                    .retain(|r| !reviewers.iter().any(|x| x.eq_ignore_ascii_case(r)));
                pull.requested_teams.retain(|t| !teams.contains(t));
            }
            let repo = &state.repos[index];
            let view = render::pull(state, urls, repo, &repo.pulls[pull_index]);
            if method == "POST" {
                Reply::created(view)
            } else {
                Reply::ok(view)
            }
        }
        _ => Reply::not_found(),
    }
}

/// GitHub's 422 for a review request it refuses as a whole: a reviewer who is neither a
/// collaborator nor an org member, the pull request's author, or a team the org lacks.
fn refused_review_request(
    state: &GitHubState,
    index: usize,
    pull_index: usize,
    reviewers: &[String],
    teams: &[String],
) -> Option<Reply> {
    let repo = &state.repos[index];
    let pull = &repo.pulls[pull_index];
    if reviewers.iter().any(|r| r.eq_ignore_ascii_case(&pull.user)) {
        return Some(Reply::error(
            422,
            "Review cannot be requested from pull request author.",
        ));
    }
    let org = state.org(&repo.owner);
    let is_member =
        |login: &str| org.is_some_and(|o| o.members.iter().any(|m| m.eq_ignore_ascii_case(login)));
    let stranger = reviewers
        .iter()
        .any(|r| effective_permission(state, repo, r).is_none() && !is_member(r));
    let unknown_team = teams
        .iter()
        .any(|t| !org.is_some_and(|o| o.teams.iter().any(|team| &team.slug == t)));
    (stranger || unknown_team).then(|| {
        Reply::error(
            422,
            &format!(
                "Reviews may only be requested from collaborators. One or more of the users or teams you specified is not a collaborator of the {} repository.",
                repo.full_name()
            ),
        )
    })
}

/// Whether GitHub lets `login` be assigned to issue `number`: someone with access to the
/// repository, an org member, or someone who commented on the issue. Others are silently
/// dropped from an assignment, as GitHub does.
fn assignable(state: &GitHubState, repo: &Repo, number: u64, login: &str) -> bool {
    let member = state
        .org(&repo.owner)
        .is_some_and(|o| o.members.iter().any(|m| m.eq_ignore_ascii_case(login)));
    let commented = repo
        .comments
        .iter()
        .any(|c| c.issue_number == number && c.user.eq_ignore_ascii_case(login));
    member || commented || effective_permission(state, repo, login).is_some()
}

fn string_list(value: &Value) -> Option<Vec<String>> {
    value
        .as_array()?
        .iter()
        .map(|v| v.as_str().map(str::to_string))
        .collect()
}

fn issues(
    state: &mut GitHubState,
    urls: &Urls,
    req: &ApiRequest<'_>,
    index: usize,
    number: u64,
    tail: &[&str],
) -> Reply {
    let issue_view = |state: &GitHubState| {
        render::issue(state, urls, &state.repos[index], number).unwrap_or(Value::Null)
    };
    match (req.method, tail) {
        ("GET", []) => Reply::ok(issue_view(state)),
        ("PATCH", []) => {
            let repo = &mut state.repos[index];
            let body = req.body;
            if let Some(p) = repo.pulls.iter_mut().find(|p| p.number == number) {
                patch_fields(
                    body,
                    &mut p.title,
                    &mut p.body,
                    &mut p.state,
                    &mut p.labels,
                    &mut p.assignees,
                );
                p.updated_at = req.now.to_string();
            } else if let Some(i) = repo.issues.iter_mut().find(|i| i.number == number) {
                patch_fields(
                    body,
                    &mut i.title,
                    &mut i.body,
                    &mut i.state,
                    &mut i.labels,
                    &mut i.assignees,
                );
                i.updated_at = req.now.to_string();
            }
            Reply::ok(issue_view(state))
        }
        ("GET", ["comments"]) => {
            let repo = &state.repos[index];
            Reply::list(
                repo.comments
                    .iter()
                    .filter(|c| c.issue_number == number)
                    .map(|c| render::comment(state, urls, repo, c))
                    .collect(),
            )
        }
        ("POST", ["comments"]) => {
            let Some(text) = req.body["body"].as_str() else {
                return Reply::validation_failed("IssueComment", "body", "missing_field");
            };
            let id = state.allocate_id();
            let comment = IssueComment {
                id,
                issue_number: number,
                user: req.actor.to_string(),
                body: text.to_string(),
                created_at: req.now.to_string(),
                updated_at: req.now.to_string(),
            };
            state.repos[index].comments.push(comment);
            let repo = &state.repos[index];
            let stored = repo
                .comments
                .last()
                .map(|c| render::comment(state, urls, repo, c));
            Reply::created(stored.unwrap_or(Value::Null))
        }
        ("GET", ["labels"]) => {
            let repo = &state.repos[index];
            let names = issue_label_names(repo, number);
            Reply::list(render::labels_named(urls, repo, &names))
        }
        (method @ ("POST" | "PUT"), ["labels"]) => {
            let names = string_list(&req.body["labels"]).or_else(|| string_list(req.body));
            let Some(names) = names else {
                return Reply::validation_failed("Label", "labels", "missing_field");
            };
            let repo = &mut state.repos[index];
            for name in &names {
                if !repo.labels.iter().any(|l| &l.name == name) {
                    // GitHub creates a label that does not exist yet.
                    repo.labels.push(Label {
                        name: name.clone(),
                        color: "ededed".into(),
                        description: None,
                        id: 0,
                    });
                }
            }
            let next = state.next_id;
            let repo = &mut state.repos[index];
            let mut next_id = next;
            for label in repo.labels.iter_mut().filter(|l| l.id == 0) {
                next_id += 1;
                label.id = next_id;
            }
            state.next_id = next_id;
            let repo = &mut state.repos[index];
            if let Some(labels) = repo.issue_labels_mut(number) {
                if method == "PUT" {
                    labels.clear();
                }
                for name in names {
                    if !labels.contains(&name) {
                        labels.push(name);
                    }
                }
            }
            let repo = &state.repos[index];
            Reply::list(render::labels_named(
                urls,
                repo,
                &issue_label_names(repo, number),
            ))
        }
        ("DELETE", ["labels"]) => {
            if let Some(labels) = state.repos[index].issue_labels_mut(number) {
                labels.clear();
            }
            Reply::no_content()
        }
        ("DELETE", ["labels", name]) => {
            let repo = &mut state.repos[index];
            let Some(labels) = repo.issue_labels_mut(number) else {
                return Reply::not_found();
            };
            let before = labels.len();
            labels.retain(|l| l != name);
            if labels.len() == before {
                return Reply::error(404, "Label does not exist");
            }
            let repo = &state.repos[index];
            Reply::ok(json!(render::labels_named(
                urls,
                repo,
                &issue_label_names(repo, number)
            )))
        }
        (method @ ("POST" | "DELETE"), ["assignees"]) => {
            let Some(logins) = string_list(&req.body["assignees"]) else {
                return Reply::validation_failed("Issue", "assignees", "missing_field");
            };
            let logins: Vec<String> = if method == "POST" {
                let repo = &state.repos[index];
                logins
                    .into_iter()
                    .filter(|l| assignable(state, repo, number, l))
                    .collect()
            } else {
                logins
            };
            if let Some(assignees) = state.repos[index].issue_assignees_mut(number) {
                if method == "POST" {
                    for login in logins {
                        if !assignees.contains(&login) {
                            assignees.push(login);
                        }
                    }
                } else {
                    assignees.retain(|a| !logins.contains(a));
                }
            }
            let view = issue_view(state);
            if method == "POST" {
                Reply::created(view)
            } else {
                Reply::ok(view)
            }
        }
        _ => Reply::not_found(),
    }
}

fn patch_fields(
    body: &Value,
    title: &mut String,
    text: &mut Option<String>,
    state: &mut String,
    labels: &mut Vec<String>,
    assignees: &mut Vec<String>,
) {
    if let Some(t) = body["title"].as_str() {
        *title = t.to_string();
    }
    if let Some(b) = body.get("body") {
        *text = b.as_str().map(str::to_string);
    }
    if let Some(s) = body["state"].as_str() {
        *state = s.to_string();
    }
    if let Some(l) = string_list(&body["labels"]) {
        *labels = l;
    }
    if let Some(a) = string_list(&body["assignees"]) {
        *assignees = a;
    }
}

fn issue_label_names(repo: &Repo, number: u64) -> Vec<String> {
    repo.pull(number)
        .map(|p| p.labels.clone())
        .or_else(|| {
            repo.issues
                .iter()
                .find(|i| i.number == number)
                .map(|i| i.labels.clone())
        })
        .unwrap_or_default()
}

fn comment_by_id(
    state: &mut GitHubState,
    urls: &Urls,
    req: &ApiRequest<'_>,
    index: usize,
    id: &str,
) -> Reply {
    let Ok(id) = id.parse::<u64>() else {
        return Reply::not_found();
    };
    let Some(position) = state.repos[index].comments.iter().position(|c| c.id == id) else {
        return Reply::not_found();
    };
    match req.method {
        "GET" => {
            let repo = &state.repos[index];
            Reply::ok(render::comment(state, urls, repo, &repo.comments[position]))
        }
        "PATCH" => {
            let Some(text) = req.body["body"].as_str() else {
                return Reply::validation_failed("IssueComment", "body", "missing_field");
            };
            let comment = &mut state.repos[index].comments[position];
            comment.body = text.to_string();
            comment.updated_at = req.now.to_string();
            let repo = &state.repos[index];
            Reply::ok(render::comment(state, urls, repo, &repo.comments[position]))
        }
        "DELETE" => {
            state.repos[index].comments.remove(position);
            Reply::no_content()
        }
        _ => Reply::not_found(),
    }
}

fn repo_labels(
    state: &mut GitHubState,
    urls: &Urls,
    req: &ApiRequest<'_>,
    index: usize,
    rest: &[&str],
) -> Reply {
    match (req.method, rest) {
        ("GET", []) => {
            let repo = &state.repos[index];
            Reply::list(
                repo.labels
                    .iter()
                    .map(|l| render::label(urls, repo, l))
                    .collect(),
            )
        }
        ("POST", []) => {
            let Some(name) = req.body["name"].as_str() else {
                return Reply::validation_failed("Label", "name", "missing_field");
            };
            if state.repos[index]
                .labels
                .iter()
                .any(|l| l.name.eq_ignore_ascii_case(name))
            {
                return Reply::validation_failed("Label", "name", "already_exists");
            }
            let label = Label {
                name: name.to_string(),
                color: req.body["color"].as_str().unwrap_or("ededed").to_string(),
                description: req.body["description"].as_str().map(str::to_string),
                id: state.allocate_id(),
            };
            let repo = &mut state.repos[index];
            repo.labels.push(label);
            let repo = &state.repos[index];
            let created = repo.labels.last().map(|l| render::label(urls, repo, l));
            Reply::created(created.unwrap_or(Value::Null))
        }
        (method, [name]) => {
            let repo = &mut state.repos[index];
            let Some(position) = repo.labels.iter().position(|l| l.name == *name) else {
                return Reply::not_found();
            };
            match method {
                "GET" => Reply::ok(render::label(urls, repo, &repo.labels[position])),
                "PATCH" => {
                    let label = &mut repo.labels[position];
                    if let Some(n) = req.body["new_name"].as_str() {
                        label.name = n.to_string();
                    }
                    if let Some(c) = req.body["color"].as_str() {
                        label.color = c.to_string();
                    }
                    if let Some(d) = req.body.get("description") {
                        label.description = d.as_str().map(str::to_string);
                    }
                    Reply::ok(render::label(urls, repo, &repo.labels[position]))
                }
                "DELETE" => {
                    let removed = repo.labels.remove(position);
                    for pull in &mut repo.pulls {
                        pull.labels.retain(|l| *l != removed.name);
                    }
                    for issue in &mut repo.issues {
                        issue.labels.retain(|l| *l != removed.name);
                    }
                    Reply::no_content()
                }
                _ => Reply::not_found(),
            }
        }
        _ => Reply::not_found(),
    }
}

const STATUS_STATES: [&str; 4] = ["error", "failure", "pending", "success"];

fn create_status(
    state: &mut GitHubState,
    urls: &Urls,
    req: &ApiRequest<'_>,
    index: usize,
    sha: &str,
) -> Reply {
    let Some(status_state) = req.body["state"].as_str() else {
        return Reply::validation_failed("Status", "state", "missing_field");
    };
    if !STATUS_STATES.contains(&status_state) {
        return Reply {
            status: 422,
            body: ReplyBody::One(json!({
                "message": "Validation Failed",
                "errors": [{"resource": "Status", "code": "custom", "field": "state",
                            "message": "state is not included in the list"}],
                "documentation_url": DOCS_URL,
                "status": "422",
            })),
        };
    }
    let status = CommitStatus {
        id: state.allocate_id(),
        sha: sha.to_string(),
        state: status_state.to_string(),
        context: req.body["context"]
            .as_str()
            .unwrap_or("default")
            .to_string(),
        description: req.body["description"].as_str().map(str::to_string),
        target_url: req.body["target_url"].as_str().map(str::to_string),
        creator: req.actor.to_string(),
        created_at: req.now.to_string(),
    };
    state.repos[index].statuses.push(status);
    let repo = &state.repos[index];
    let view = repo
        .statuses
        .last()
        .map(|s| render::status(state, urls, repo, s));
    Reply::created(view.unwrap_or(Value::Null))
}

/// `GET /repos/{o}/{r}/commits/{ref}`: the commit with its tree (only `sha` and
/// `commit.tree.sha` are modelled).
fn single_commit(state: &GitHubState, index: usize, git_ref: &str) -> Reply {
    use sha1::Digest;
    let repo = &state.repos[index];
    let Some(sha) = repo.resolve_sha(git_ref) else {
        return Reply::error(422, &format!("No commit found for SHA: {git_ref}"));
    };
    let tree = repo.commit_trees.get(&sha).cloned().unwrap_or_else(|| {
        let digest = sha1::Sha1::digest(format!("tree of {sha}").as_bytes());
        digest.iter().map(|b| format!("{b:02x}")).collect()
    });
    Reply::ok(json!({"sha": sha, "commit": {"tree": {"sha": tree}}}))
}

fn commit_reads(
    state: &GitHubState,
    urls: &Urls,
    index: usize,
    git_ref: &str,
    tail: &str,
) -> Reply {
    let repo = &state.repos[index];
    let Some(sha) = repo.resolve_sha(git_ref) else {
        return Reply::error(422, &format!("No commit found for SHA: {git_ref}"));
    };
    match tail {
        "status" => {
            // GitHub paginates the `statuses` of a combined status with `per_page`/`page`.
            let mut combined = render::combined_status(state, urls, repo, &sha);
            let statuses = match combined.get_mut("statuses").map(Value::take) {
                Some(Value::Array(statuses)) => statuses,
                _ => Vec::new(),
            };
            Reply {
                status: 200,
                body: ReplyBody::List {
                    items: statuses,
                    envelope: Some((combined, "statuses")),
                },
            }
        }
        "statuses" => Reply::list(
            repo.statuses
                .iter()
                .rev()
                .filter(|s| s.sha == sha)
                .map(|s| render::status(state, urls, repo, s))
                .collect(),
        ),
        "check-runs" => Reply {
            status: 200,
            body: ReplyBody::List {
                items: repo
                    .check_runs
                    .iter()
                    .rev()
                    .filter(|c| c.head_sha == sha)
                    .map(|c| render::check_run(urls, repo, c))
                    .collect(),
                envelope: Some((json!({}), "check_runs")),
            },
        },
        _ => Reply::not_found(),
    }
}

fn check_runs(
    state: &mut GitHubState,
    urls: &Urls,
    req: &ApiRequest<'_>,
    index: usize,
    rest: &[&str],
) -> Reply {
    match (req.method, rest) {
        ("POST", []) => {
            let (Some(name), Some(head_sha)) =
                (req.body["name"].as_str(), req.body["head_sha"].as_str())
            else {
                let field = if req.body["name"].is_string() {
                    "head_sha"
                } else {
                    "name"
                };
                return Reply::validation_failed("CheckRun", field, "missing_field");
            };
            let mut run = CheckRun {
                id: state.allocate_id(),
                name: name.to_string(),
                head_sha: head_sha.to_string(),
                status: "queued".into(),
                ..CheckRun::default()
            };
            apply_check_run_fields(&mut run, req.body, req.now);
            state.repos[index].check_runs.push(run);
            let repo = &state.repos[index];
            let view = repo
                .check_runs
                .last()
                .map(|c| render::check_run(urls, repo, c));
            Reply::created(view.unwrap_or(Value::Null))
        }
        (method @ ("GET" | "PATCH"), [id]) => {
            let repo = &mut state.repos[index];
            let Some(run) = id
                .parse::<u64>()
                .ok()
                .and_then(|id| repo.check_runs.iter_mut().find(|c| c.id == id))
            else {
                return Reply::not_found();
            };
            if method == "PATCH" {
                if let Some(name) = req.body["name"].as_str() {
                    run.name = name.to_string();
                }
                apply_check_run_fields(run, req.body, req.now);
            }
            let run = run.clone();
            Reply::ok(render::check_run(urls, &state.repos[index], &run))
        }
        _ => Reply::not_found(),
    }
}

fn apply_check_run_fields(run: &mut CheckRun, body: &Value, now: &str) {
    let text = |key: &str| body[key].as_str().map(str::to_string);
    if let Some(status) = text("status") {
        run.status = status;
    }
    if let Some(conclusion) = text("conclusion") {
        run.conclusion = Some(conclusion);
        run.status = "completed".into();
    }
    if run.status == "completed" && run.completed_at.is_none() {
        run.completed_at = text("completed_at").or_else(|| Some(now.to_string()));
    }
    if run.started_at.is_none() {
        run.started_at = text("started_at").or_else(|| Some(now.to_string()));
    }
    if let Some(url) = text("details_url") {
        run.details_url = Some(url);
    }
    if let Some(id) = text("external_id") {
        run.external_id = Some(id);
    }
    if body["output"].is_object() {
        run.output = Some(body["output"].clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake_github::model::{Collaborator, Org, Team};

    #[test]
    fn effective_permission_takes_the_strongest_source() {
        let repo = Repo {
            owner: "org".into(),
            name: "repo".into(),
            collaborators: vec![
                Collaborator {
                    login: "reader".into(),
                    permission: "read".into(),
                },
                Collaborator {
                    login: "teamed".into(),
                    permission: "triage".into(),
                },
            ],
            ..Repo::default()
        };
        let state = GitHubState {
            orgs: vec![Org {
                login: "org".into(),
                admins: vec!["boss".into()],
                members: vec!["boss".into(), "teamed".into(), "member".into()],
                teams: vec![Team {
                    slug: "devs".into(),
                    members: vec!["teamed".into()],
                    repos: vec!["repo".into()],
                    ..Team::default()
                }],
                ..Org::default()
            }],
            ..GitHubState::default()
        };
        let cases = [
            ("org", Some("admin")),
            ("boss", Some("admin")),
            ("teamed", Some("write")),
            ("reader", Some("read")),
            ("member", None),
            ("stranger", None),
        ];
        for (login, want) in cases {
            assert_eq!(
                effective_permission(&state, &repo, login).as_deref(),
                want,
                "{login}"
            );
        }
    }
}
