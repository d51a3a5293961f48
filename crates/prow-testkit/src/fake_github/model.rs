//! The fake GitHub's shared state: the same types are the `--state FILE` document format
//! (see the module documentation of [`crate::fake_github`]) and the live data the HTTP
//! handlers read and write.

use serde::{Deserialize, Serialize};

/// Everything the fake GitHub knows. Deserialize it from a state document, or build it in
/// Rust and script it through [`crate::fake_github::FakeGitHub::state`].
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct GitHubState {
    /// Login returned by `GET /user` (the authenticated account). Defaults to `fake-bot`.
    pub viewer: Option<String>,
    /// Users and bots.
    pub users: Vec<User>,
    /// Organizations with members and teams.
    pub orgs: Vec<Org>,
    /// Repositories with everything that lives in them.
    pub repos: Vec<Repo>,
    /// The GitHub App the fake serves for App authentication (`GET /app`, installations on
    /// every org and user, installation tokens). Writes made with an installation token are
    /// authored by `<slug>[bot]`.
    pub app: Option<GitHubApp>,
    /// Installation tokens handed out so far (accepted like configured tokens).
    #[serde(skip)]
    pub installation_tokens: Vec<String>,
    /// Next id handed out to a created object (ids below it are taken).
    #[serde(skip)]
    pub next_id: u64,
}

/// A GitHub App.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct GitHubApp {
    /// URL slug; the bot account is `<slug>[bot]`.
    pub slug: String,
    /// App id (0 = assign one on load).
    pub id: u64,
    /// Display name (defaults to the slug).
    pub name: Option<String>,
}

impl GitHubApp {
    /// Login of the App's bot account.
    pub fn bot_login(&self) -> String {
        format!("{}[bot]", self.slug)
    }
}

/// Kind of account, GitHub's `type` field.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
pub enum AccountKind {
    /// A person.
    #[default]
    User,
    /// A bot account (e.g. a GitHub App's `name[bot]`).
    Bot,
    /// An organization account.
    Organization,
}

/// A user account.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct User {
    /// Login name.
    pub login: String,
    /// Numeric id (0 = assign one on load).
    pub id: u64,
    /// `User` or `Bot`.
    #[serde(rename = "type")]
    pub kind: AccountKind,
    /// Display name.
    pub name: Option<String>,
}

/// An organization.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Org {
    /// Organization login.
    pub login: String,
    /// Numeric id (0 = assign one on load).
    pub id: u64,
    /// Logins of all members (private and public).
    pub members: Vec<String>,
    /// Members whose membership is public (a subset of `members`).
    pub public_members: Vec<String>,
    /// Members with the `admin` role.
    pub admins: Vec<String>,
    /// Teams.
    pub teams: Vec<Team>,
}

/// A team in an organization.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Team {
    /// URL slug.
    pub slug: String,
    /// Display name (defaults to the slug).
    pub name: Option<String>,
    /// Numeric id (0 = assign one on load).
    pub id: u64,
    /// Member logins.
    pub members: Vec<String>,
    /// Repository names (in the same org) the team has access to.
    pub repos: Vec<String>,
}

/// A repository and everything in it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Repo {
    /// Owner login (user or org).
    pub owner: String,
    /// Repository name.
    pub name: String,
    /// Numeric id (0 = assign one on load).
    pub id: u64,
    /// Default branch, `main` when empty.
    pub default_branch: String,
    /// Private repository.
    pub private: bool,
    /// Archived (read-only) repository.
    pub archived: bool,
    /// Collaborators with their permission.
    pub collaborators: Vec<Collaborator>,
    /// Branches.
    pub branches: Vec<Branch>,
    /// Labels defined in the repository.
    pub labels: Vec<Label>,
    /// File contents per ref (for OWNERS files and the like).
    pub contents: Vec<FileContent>,
    /// Git refs beyond the branches (e.g. `tags/v1.0`).
    pub refs: Vec<GitRef>,
    /// Pull requests (they are issues too and share the issue number space).
    pub pulls: Vec<PullRequest>,
    /// Plain issues.
    pub issues: Vec<Issue>,
    /// Issue and pull request comments.
    pub comments: Vec<IssueComment>,
    /// Pull request reviews.
    pub reviews: Vec<Review>,
    /// Commit statuses, oldest first.
    pub statuses: Vec<CommitStatus>,
    /// Check runs, oldest first.
    pub check_runs: Vec<CheckRun>,
    /// Tree SHA of a commit, by commit SHA (`GET /repos/{o}/{r}/commits/{sha}` answers
    /// `commit.tree.sha`); a commit not listed gets a tree SHA derived from its own SHA, so
    /// two different commits never share a tree unless the state says so.
    pub commit_trees: std::collections::BTreeMap<String, String>,
}

/// A collaborator and their permission.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Collaborator {
    /// Login.
    pub login: String,
    /// `admin`, `maintain`, `write`, `triage` or `read` (empty = `write`).
    pub permission: String,
}

/// A branch.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Branch {
    /// Branch name.
    pub name: String,
    /// Head commit sha.
    pub sha: String,
    /// Whether branch protection is enabled.
    pub protected: bool,
    /// The branch protection document last PUT (GitHub's request shape), if any.
    pub protection: Option<serde_json::Value>,
}

/// A label.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Label {
    /// Label name.
    pub name: String,
    /// Hex colour without `#`.
    pub color: String,
    /// Description.
    pub description: Option<String>,
    /// Numeric id (0 = assign one on load).
    pub id: u64,
}

/// A file's content at a ref.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct FileContent {
    /// Path in the repository, no leading slash.
    pub path: String,
    /// Branch, tag or sha; empty = the default branch.
    #[serde(rename = "ref")]
    pub git_ref: String,
    /// UTF-8 content (served base64-encoded as GitHub does).
    pub content: String,
}

/// A git ref that is not a branch.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct GitRef {
    /// Ref without the `refs/` prefix, e.g. `tags/v1.0`.
    #[serde(rename = "ref")]
    pub name: String,
    /// Target sha.
    pub sha: String,
}

/// One side (head or base) of a pull request.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct PullRef {
    /// Branch name.
    #[serde(rename = "ref")]
    pub branch: String,
    /// Commit sha.
    pub sha: String,
    /// `owner/name` of the repository (empty = the pull request's repository).
    pub repo: String,
}

/// A pull request.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct PullRequest {
    /// Number (shared with issues).
    pub number: u64,
    /// Numeric id (0 = assign one on load).
    pub id: u64,
    /// Title.
    pub title: String,
    /// Body.
    pub body: Option<String>,
    /// Author login.
    pub user: String,
    /// `open` or `closed` (empty = `open`).
    pub state: String,
    /// Draft pull request.
    pub draft: bool,
    /// Head branch.
    pub head: PullRef,
    /// Base branch.
    pub base: PullRef,
    /// GitHub's `mergeable` (null while computing).
    pub mergeable: Option<bool>,
    /// Merged.
    pub merged: bool,
    /// Label names.
    pub labels: Vec<String>,
    /// Assignee logins.
    pub assignees: Vec<String>,
    /// Requested reviewer logins.
    pub requested_reviewers: Vec<String>,
    /// Requested team slugs (teams of the repository's org).
    pub requested_teams: Vec<String>,
    /// Changed files.
    pub files: Vec<PullFile>,
    /// Creation time (RFC 3339; empty = load time).
    pub created_at: String,
    /// Last update time (RFC 3339; empty = load time).
    pub updated_at: String,
}

/// A file changed by a pull request.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct PullFile {
    /// Path.
    pub filename: String,
    /// `added`, `removed`, `modified`, `renamed`, ... (empty = `modified`).
    pub status: String,
    /// Added lines.
    pub additions: u64,
    /// Deleted lines.
    pub deletions: u64,
    /// Changed lines (0 = additions + deletions).
    pub changes: u64,
    /// Unified diff hunk.
    pub patch: Option<String>,
    /// Previous path of a renamed file.
    pub previous_filename: Option<String>,
}

/// A plain issue.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Issue {
    /// Number (shared with pull requests).
    pub number: u64,
    /// Numeric id (0 = assign one on load).
    pub id: u64,
    /// Title.
    pub title: String,
    /// Body.
    pub body: Option<String>,
    /// Author login.
    pub user: String,
    /// `open` or `closed` (empty = `open`).
    pub state: String,
    /// Label names.
    pub labels: Vec<String>,
    /// Assignee logins.
    pub assignees: Vec<String>,
    /// Creation time (RFC 3339; empty = load time).
    pub created_at: String,
    /// Last update time (RFC 3339; empty = load time).
    pub updated_at: String,
}

/// A comment on an issue or pull request.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct IssueComment {
    /// Comment id (0 = assign one on load).
    pub id: u64,
    /// Issue or pull request number.
    pub issue_number: u64,
    /// Author login.
    pub user: String,
    /// Markdown body.
    pub body: String,
    /// Creation time (RFC 3339).
    pub created_at: String,
    /// Last update time (RFC 3339).
    pub updated_at: String,
}

/// A pull request review.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Review {
    /// Review id (0 = assign one on load).
    pub id: u64,
    /// Pull request number.
    pub pull_number: u64,
    /// Reviewer login.
    pub user: String,
    /// `APPROVED`, `CHANGES_REQUESTED`, `COMMENTED`, `DISMISSED` or `PENDING`.
    pub state: String,
    /// Review body.
    pub body: String,
    /// Commit the review was made on.
    pub commit_id: String,
    /// Submission time (RFC 3339).
    pub submitted_at: String,
}

/// A commit status.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct CommitStatus {
    /// Status id (0 = assign one on load).
    pub id: u64,
    /// Commit sha.
    pub sha: String,
    /// `error`, `failure`, `pending` or `success`.
    pub state: String,
    /// Context (e.g. the job name).
    pub context: String,
    /// Description.
    pub description: Option<String>,
    /// Link target.
    pub target_url: Option<String>,
    /// Creator login.
    pub creator: String,
    /// Creation time (RFC 3339).
    pub created_at: String,
}

/// A check run.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct CheckRun {
    /// Check run id (0 = assign one on load).
    pub id: u64,
    /// Check name.
    pub name: String,
    /// Commit sha.
    pub head_sha: String,
    /// `queued`, `in_progress` or `completed`.
    pub status: String,
    /// Conclusion once completed.
    pub conclusion: Option<String>,
    /// Details link.
    pub details_url: Option<String>,
    /// External id.
    pub external_id: Option<String>,
    /// Start time (RFC 3339).
    pub started_at: Option<String>,
    /// Completion time (RFC 3339).
    pub completed_at: Option<String>,
    /// `output` object as sent by the client.
    pub output: Option<serde_json::Value>,
}

/// Well-known permission order, lowest first.
const PERMISSIONS: [&str; 5] = ["read", "triage", "write", "maintain", "admin"];

/// Rank of a collaborator permission (`read` = 0 ... `admin` = 4); unknown = `write`.
pub fn permission_rank(permission: &str) -> usize {
    PERMISSIONS
        .iter()
        .position(|p| *p == permission)
        .unwrap_or(2)
}

impl GitHubState {
    /// Parses a state document (JSON) and fills in ids, defaults and timestamps.
    pub fn from_json(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        let mut state: GitHubState = serde_json::from_slice(bytes)?;
        state.normalize(&crate::fake_github::clock::now_rfc3339());
        Ok(state)
    }

    /// Login of the authenticated account.
    pub fn viewer_login(&self) -> &str {
        self.viewer.as_deref().unwrap_or("fake-bot")
    }

    /// Hands out a fresh id.
    pub fn allocate_id(&mut self) -> u64 {
        self.next_id = self.next_id.max(1000) + 1;
        self.next_id
    }

    /// Assigns missing ids, fills defaults and timestamps, and makes every referenced login
    /// a known user. Idempotent; call it after editing the state by hand.
    pub fn normalize(&mut self, now: &str) {
        let mut max_id = self.next_id.max(1000);
        let mut seen = |id: u64| max_id = max_id.max(id);
        for user in &self.users {
            seen(user.id);
        }
        for org in &self.orgs {
            seen(org.id);
            org.teams.iter().for_each(|t| seen(t.id));
        }
        if let Some(app) = &self.app {
            seen(app.id);
        }
        for repo in &self.repos {
            seen(repo.id);
            repo.labels.iter().for_each(|l| seen(l.id));
            repo.pulls.iter().for_each(|p| seen(p.id));
            repo.issues.iter().for_each(|i| seen(i.id));
            repo.comments.iter().for_each(|c| seen(c.id));
            repo.reviews.iter().for_each(|r| seen(r.id));
            repo.statuses.iter().for_each(|s| seen(s.id));
            repo.check_runs.iter().for_each(|c| seen(c.id));
        }
        self.next_id = max_id;
        let mut logins = Vec::new();
        let mut orgs = std::mem::take(&mut self.orgs);
        for org in &mut orgs {
            assign(&mut org.id, self);
            for team in &mut org.teams {
                assign(&mut team.id, self);
                logins.extend(team.members.iter().cloned());
            }
            logins.extend(org.members.iter().cloned());
        }
        self.orgs = orgs;
        let mut repos = std::mem::take(&mut self.repos);
        for repo in &mut repos {
            self.normalize_repo(repo, now, &mut logins);
        }
        self.repos = repos;
        logins.push(self.viewer_login().to_string());
        if let Some(mut app) = self.app.take() {
            assign(&mut app.id, self);
            logins.push(app.bot_login());
            self.app = Some(app);
        }
        let mut users = std::mem::take(&mut self.users);
        for user in &mut users {
            assign(&mut user.id, self);
        }
        for login in logins {
            let known = users.iter().any(|u| u.login.eq_ignore_ascii_case(&login))
                || self
                    .orgs
                    .iter()
                    .any(|o| o.login.eq_ignore_ascii_case(&login));
            if !known && !login.is_empty() {
                let kind = if login.ends_with("[bot]") {
                    AccountKind::Bot
                } else {
                    AccountKind::User
                };
                users.push(User {
                    id: self.allocate_id(),
                    login,
                    kind,
                    name: None,
                });
            }
        }
        self.users = users;
    }

    fn normalize_repo(&mut self, repo: &mut Repo, now: &str, logins: &mut Vec<String>) {
        assign(&mut repo.id, self);
        if repo.default_branch.is_empty() {
            repo.default_branch = "main".to_string();
        }
        for label in &mut repo.labels {
            assign(&mut label.id, self);
            if label.color.is_empty() {
                label.color = "ededed".to_string();
            }
        }
        for collaborator in &mut repo.collaborators {
            if collaborator.permission.is_empty() {
                collaborator.permission = "write".to_string();
            }
            logins.push(collaborator.login.clone());
        }
        let full_name = format!("{}/{}", repo.owner, repo.name);
        for pull in &mut repo.pulls {
            assign(&mut pull.id, self);
            default_str(&mut pull.state, "open");
            default_str(&mut pull.created_at, now);
            default_str(&mut pull.updated_at, now);
            default_str(&mut pull.base.branch, &repo.default_branch);
            default_str(&mut pull.base.repo, &full_name);
            default_str(&mut pull.head.repo, &full_name);
            for file in &mut pull.files {
                default_str(&mut file.status, "modified");
                if file.changes == 0 {
                    file.changes = file.additions + file.deletions;
                }
            }
            logins.push(pull.user.clone());
            logins.extend(pull.assignees.iter().cloned());
            logins.extend(pull.requested_reviewers.iter().cloned());
        }
        for issue in &mut repo.issues {
            assign(&mut issue.id, self);
            default_str(&mut issue.state, "open");
            default_str(&mut issue.created_at, now);
            default_str(&mut issue.updated_at, now);
            logins.push(issue.user.clone());
        }
        for comment in &mut repo.comments {
            assign(&mut comment.id, self);
            default_str(&mut comment.created_at, now);
            default_str(&mut comment.updated_at, now);
            logins.push(comment.user.clone());
        }
        for review in &mut repo.reviews {
            assign(&mut review.id, self);
            default_str(&mut review.submitted_at, now);
            logins.push(review.user.clone());
        }
        for status in &mut repo.statuses {
            assign(&mut status.id, self);
            default_str(&mut status.created_at, now);
        }
        for run in &mut repo.check_runs {
            assign(&mut run.id, self);
        }
    }

    /// Finds a user by login (case-insensitive, as GitHub logins are).
    pub fn user(&self, login: &str) -> Option<&User> {
        self.users
            .iter()
            .find(|u| u.login.eq_ignore_ascii_case(login))
    }

    /// Finds an organization by login.
    pub fn org(&self, login: &str) -> Option<&Org> {
        self.orgs
            .iter()
            .find(|o| o.login.eq_ignore_ascii_case(login))
    }

    /// Finds a repository.
    pub fn repo(&self, owner: &str, name: &str) -> Option<&Repo> {
        self.repos
            .iter()
            .find(|r| r.owner.eq_ignore_ascii_case(owner) && r.name.eq_ignore_ascii_case(name))
    }

    /// Finds a repository for editing.
    pub fn repo_mut(&mut self, owner: &str, name: &str) -> Option<&mut Repo> {
        self.repos
            .iter_mut()
            .find(|r| r.owner.eq_ignore_ascii_case(owner) && r.name.eq_ignore_ascii_case(name))
    }

    /// Adds (or replaces) a repository and normalizes the state.
    pub fn put_repo(&mut self, repo: Repo) {
        self.repos
            .retain(|r| !(r.owner == repo.owner && r.name == repo.name));
        self.repos.push(repo);
        self.normalize(&crate::fake_github::clock::now_rfc3339());
    }

    /// Adds (or replaces) a pull request in an existing repository; `false` if the
    /// repository does not exist.
    pub fn put_pull(&mut self, owner: &str, name: &str, pull: PullRequest) -> bool {
        let Some(repo) = self.repo_mut(owner, name) else {
            return false;
        };
        repo.pulls.retain(|p| p.number != pull.number);
        repo.pulls.push(pull);
        self.normalize(&crate::fake_github::clock::now_rfc3339());
        true
    }

    /// Makes `login` a member of `org` (creating the org if needed).
    pub fn add_org_member(&mut self, org: &str, login: &str, public: bool) {
        if self.org(org).is_none() {
            self.orgs.push(Org {
                login: org.to_string(),
                ..Org::default()
            });
        }
        if let Some(o) = self.orgs.iter_mut().find(|o| o.login == org) {
            if !o.members.iter().any(|m| m == login) {
                o.members.push(login.to_string());
            }
            if public && !o.public_members.iter().any(|m| m == login) {
                o.public_members.push(login.to_string());
            }
        }
        self.normalize(&crate::fake_github::clock::now_rfc3339());
    }
}

impl Repo {
    /// `owner/name`.
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.owner, self.name)
    }

    /// Pull request by number.
    pub fn pull(&self, number: u64) -> Option<&PullRequest> {
        self.pulls.iter().find(|p| p.number == number)
    }

    /// Whether `number` is a pull request or an issue here.
    pub fn has_issue(&self, number: u64) -> bool {
        self.pull(number).is_some() || self.issues.iter().any(|i| i.number == number)
    }

    /// Labels of issue or pull request `number`.
    pub fn issue_labels_mut(&mut self, number: u64) -> Option<&mut Vec<String>> {
        if let Some(p) = self.pulls.iter_mut().find(|p| p.number == number) {
            return Some(&mut p.labels);
        }
        self.issues
            .iter_mut()
            .find(|i| i.number == number)
            .map(|i| &mut i.labels)
    }

    /// Assignees of issue or pull request `number`.
    pub fn issue_assignees_mut(&mut self, number: u64) -> Option<&mut Vec<String>> {
        if let Some(p) = self.pulls.iter_mut().find(|p| p.number == number) {
            return Some(&mut p.assignees);
        }
        self.issues
            .iter_mut()
            .find(|i| i.number == number)
            .map(|i| &mut i.assignees)
    }

    /// Resolves a ref (branch, `heads/x`, tag ref or sha) to a sha.
    pub fn resolve_sha(&self, git_ref: &str) -> Option<String> {
        let name = git_ref.strip_prefix("refs/").unwrap_or(git_ref);
        let short = name.strip_prefix("heads/").unwrap_or(name);
        if let Some(b) = self.branches.iter().find(|b| b.name == short) {
            return Some(b.sha.clone());
        }
        if let Some(r) = self.refs.iter().find(|r| r.name == name) {
            return Some(r.sha.clone());
        }
        let is_sha = git_ref.len() >= 7 && git_ref.chars().all(|c| c.is_ascii_hexdigit());
        is_sha.then(|| git_ref.to_string())
    }
}

fn assign(id: &mut u64, state: &mut GitHubState) {
    if *id == 0 {
        *id = state.allocate_id();
    }
}

fn default_str(field: &mut String, default: &str) {
    if field.is_empty() {
        *field = default.to_string();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permission_rank_orders_github_permissions() {
        let cases = [
            ("read", 0),
            ("triage", 1),
            ("write", 2),
            ("maintain", 3),
            ("admin", 4),
        ];
        for (permission, rank) in cases {
            assert_eq!(permission_rank(permission), rank, "{permission}");
        }
    }

    #[test]
    fn normalize_assigns_ids_and_users() {
        let doc = br#"{"repos":[{"owner":"o","name":"r","pulls":[{"number":1,"user":"alice",
            "files":[{"filename":"a","additions":2,"deletions":1}]}]}]}"#;
        let state = GitHubState::from_json(doc).expect("valid doc");
        let repo = state.repo("o", "r").expect("repo");
        assert_ne!(repo.id, 0);
        assert_eq!(repo.default_branch, "main");
        let pull = repo.pull(1).expect("pull");
        assert_eq!(pull.state, "open");
        assert_eq!(pull.files[0].changes, 3);
        assert!(state.user("alice").is_some());
        assert!(state.user("fake-bot").is_some());
    }

    #[test]
    fn scripting_helpers_normalize_what_they_add() {
        let mut state = GitHubState::default();
        state.add_org_member("org", "alice", true);
        state.add_org_member("org", "bob", false);
        let org = state.org("org").expect("org created");
        assert_eq!(org.members, vec!["alice", "bob"]);
        assert_eq!(org.public_members, vec!["alice"]);
        assert_ne!(org.id, 0);
        assert!(!state.put_pull("org", "repo", PullRequest::default()));
        state.put_repo(Repo {
            owner: "org".into(),
            name: "repo".into(),
            ..Repo::default()
        });
        let pull = PullRequest {
            number: 3,
            user: "carol".into(),
            ..PullRequest::default()
        };
        assert!(state.put_pull("org", "repo", pull));
        let repo = state.repo("ORG", "Repo").expect("case-insensitive lookup");
        assert_ne!(repo.pull(3).expect("pull").id, 0);
        assert!(repo.has_issue(3));
        assert!(state.user("carol").is_some());
    }

    #[test]
    fn unknown_fields_are_rejected() {
        assert!(GitHubState::from_json(br#"{"repoz":[]}"#).is_err());
    }

    #[test]
    fn resolve_sha_handles_branches_refs_and_shas() {
        let repo = Repo {
            branches: vec![Branch {
                name: "main".into(),
                sha: "aaa1111".into(),
                ..Branch::default()
            }],
            refs: vec![GitRef {
                name: "tags/v1".into(),
                sha: "bbb2222".into(),
            }],
            ..Repo::default()
        };
        let cases = [
            ("main", Some("aaa1111")),
            ("heads/main", Some("aaa1111")),
            ("refs/heads/main", Some("aaa1111")),
            ("tags/v1", Some("bbb2222")),
            ("deadbeef", Some("deadbeef")),
            ("nope", None),
        ];
        for (input, want) in cases {
            assert_eq!(repo.resolve_sha(input).as_deref(), want, "{input}");
        }
    }
}
