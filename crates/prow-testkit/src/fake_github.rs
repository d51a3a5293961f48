//! A fake GitHub **server**: real HTTP on 127.0.0.1 speaking the REST API v3 endpoints
//! prow-rs calls, scriptable from Rust and through a small admin API, recording every
//! request and every write.
//!
//! ```no_run
//! # async fn demo() -> Result<(), prow_testkit::fake_github::FakeGitHubError> {
//! use prow_testkit::fake_github::FakeGitHub;
//! let github = FakeGitHub::start().await?;
//! github.load_state_file("testdata/fake-github/demo-state.json".as_ref())?;
//! // point the client under test at github.url() (like `--github-endpoint`) ...
//! assert!(github.writes().is_empty());
//! # Ok(()) }
//! ```
//!
//! # Behaviour
//! - Tokens: `Authorization: Bearer <t>` or `token <t>`. With [`FakeGitHub::set_tokens`]
//!   (or `fake-github --token`) a request without an accepted token gets `401`
//!   `{"message":"Bad credentials",...}`; with no tokens configured everything is accepted.
//! - Lists honour `per_page` (default 30, max 100) and `page`, with GitHub's `Link` header
//!   (`prev`, `next`, `last`, `first`) built from the request URL.
//! - Every `200` GET carries a weak `ETag` (`W/"<sha256 of body>"`); a matching
//!   `If-None-Match` gets `304` with an empty body and is not counted against the budget.
//! - `X-RateLimit-Limit/-Remaining/-Reset/-Used/-Resource` on every answer; when the budget
//!   (default 5000) is exhausted: `403`, `{"message":"API rate limit exceeded for user ID
//!   N.",...}`, `X-RateLimit-Remaining: 0`. `GET /rate_limit` is free, as on GitHub.
//! - Errors use GitHub's bodies: `404 {"message":"Not Found",...}`, `422 {"message":
//!   "Validation Failed","errors":[...]}`, `404 {"message":"Label does not exist"}` when
//!   removing a label an issue does not have.
//! - Every request to a GitHub path is recorded ([`FakeGitHub::requests`]) and every write
//!   with its JSON body ([`FakeGitHub::writes`]); the journal keeps the latest 100 000 of each.
//! - GitHub App mode (when the state has an `app`): `GET /app`, `GET /orgs/{org}/installation`,
//!   `/users/{u}/installation`, `/repos/{o}/{r}/installation` (the App is installed on every
//!   account; installation id = account id) and `POST /app/installations/{id}/access_tokens`.
//!   App routes accept any JWT-shaped bearer (signatures are not verified); issued
//!   installation tokens are accepted everywhere and writes made with them are authored by
//!   `<slug>[bot]`.
//! - [`Fault`]s: the next N requests matching a method and path glob get a status (e.g.
//!   502), a primary or secondary (`403` + `retry-after`) rate limit, or a delay.
//!
//! # Admin API (same server, under `/_fake/`)
//! | request | effect |
//! |---|---|
//! | `POST /_fake/state` | replace the state with a state document (below) |
//! | `GET /_fake/state` | the current state document |
//! | `GET /_fake/writes` | recorded writes: `[{method, path, body, status, at}]` |
//! | `GET /_fake/requests` | recorded requests: `[{method, path, query, if_none_match, accept, auth_scheme, user_agent, status}]` |
//! | `POST /_fake/faults` | add a fault or a list: `{"method":"GET","path":"/repos/*","times":1,"action":{"kind":"status","status":502}}`; kinds `status`, `primary_rate_limit`, `secondary_rate_limit` (`retry_after`), `delay` (`millis`) |
//! | `GET`/`DELETE /_fake/faults` | list / clear pending faults |
//! | `GET`/`POST /_fake/rate_limit` | read / set the budget: `{"limit":5000,"remaining":10,"reset":1700000000}` |
//! | `POST /_fake/reset` | clear journal and faults, refill the budget; `{"state":true}` also empties the data |
//!
//! # State document
//! JSON, the serde form of [`GitHubState`] (unknown fields are errors; ids may be left out
//! and are assigned on load; every login mentioned becomes a user):
//! ```json
//! {
//!   "viewer": "prow-bot",
//!   "app": {"slug": "prow-rs-app"},
//!   "users": [{"login": "prow-bot", "type": "Bot"}, {"login": "alice"}],
//!   "orgs": [{"login": "prow-rs-demo", "members": ["alice"], "public_members": ["alice"],
//!             "admins": ["alice"],
//!             "teams": [{"slug": "maintainers", "members": ["alice"], "repos": ["hello"]}]}],
//!   "repos": [{
//!     "owner": "prow-rs-demo", "name": "hello", "default_branch": "main",
//!     "collaborators": [{"login": "alice", "permission": "admin"}],
//!     "branches": [{"name": "main", "sha": "0123abcd...", "protected": true}],
//!     "labels": [{"name": "lgtm", "color": "15dd18"}],
//!     "contents": [{"path": "OWNERS", "ref": "main", "content": "approvers:\n- alice\n"}],
//!     "pulls": [{"number": 1, "title": "Add greeting", "user": "bob",
//!                "head": {"ref": "greeting", "sha": "89abcdef..."},
//!                "base": {"ref": "main", "sha": "0123abcd..."},
//!                "files": [{"filename": "hello.sh", "status": "added", "additions": 3}]}]
//!   }]
//! }
//! ```
//! A complete example ships as `crates/prow-testkit/testdata/fake-github/demo-state.json`.

mod admin;
mod api;
mod clock;
mod faults;
mod journal;
mod model;
mod paging;
mod rate_limit;
mod render;
mod server;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

pub use faults::{Fault, FaultAction};
pub use journal::{RecordedRequest, RecordedWrite};
pub use model::{
    AccountKind, Branch, CheckRun, Collaborator, CommitStatus, FileContent, GitHubApp, GitHubState,
    GitRef, Issue, IssueComment, Label, Org, PullFile, PullRef, PullRequest, Repo, Review, Team,
    User,
};
pub use paging::{PageRequest, link_header};
pub use rate_limit::RateBudget;

use server::{Control, Journal, Shared, lock};

/// What can go wrong starting or loading the fake GitHub.
#[derive(Debug, thiserror::Error)]
pub enum FakeGitHubError {
    /// The listening socket could not be bound.
    #[error("bind fake GitHub on {addr}: {source}")]
    Bind {
        /// Requested address.
        addr: SocketAddr,
        /// Underlying error.
        source: std::io::Error,
    },
    /// A state file could not be read.
    #[error("read state file {path}: {source}")]
    ReadState {
        /// File path.
        path: PathBuf,
        /// Underlying error.
        source: std::io::Error,
    },
    /// A state document is not valid.
    #[error("parse state document {path}: {source}")]
    ParseState {
        /// File path (or `-` for in-memory documents).
        path: PathBuf,
        /// Underlying error.
        source: serde_json::Error,
    },
}

/// A running fake GitHub server. Dropping it stops the server.
#[derive(Debug)]
pub struct FakeGitHub {
    shared: Arc<Shared>,
    addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl FakeGitHub {
    /// Starts on a free port on 127.0.0.1.
    pub async fn start() -> Result<Self, FakeGitHubError> {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Starts on `addr` (port 0 = any free port).
    pub async fn start_on(addr: SocketAddr) -> Result<Self, FakeGitHubError> {
        crate::crypto::install_ring_provider();
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| FakeGitHubError::Bind { addr, source })?;
        let bound = listener
            .local_addr()
            .map_err(|source| FakeGitHubError::Bind { addr, source })?;
        let mut state = GitHubState::default();
        state.normalize(&clock::now_rfc3339());
        let shared = Arc::new(Shared {
            state: Mutex::new(state),
            control: Mutex::new(Control {
                tokens: Vec::new(),
                budget: RateBudget::new(rate_limit::DEFAULT_LIMIT, clock::now_unix()),
                faults: Vec::new(),
            }),
            journal: Mutex::new(Journal::default()),
            urls: render::Urls {
                api: format!("http://{bound}"),
            },
            request_seq: std::sync::atomic::AtomicU64::new(0),
        });
        let (shutdown, signal) = tokio::sync::oneshot::channel::<()>();
        let app = server::router(Arc::clone(&shared));
        let task = tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
                let _ = signal.await;
            });
            if let Err(error) = serve.await {
                tracing::error!(error = %error, "fake GitHub server stopped");
            }
        });
        Ok(Self {
            shared,
            addr: bound,
            shutdown: Some(shutdown),
            task: Some(task),
        })
    }

    /// API base URL, e.g. `http://127.0.0.1:41234` (use it like `--github-endpoint`).
    pub fn url(&self) -> String {
        self.shared.urls.api.clone()
    }

    /// Bound socket address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The live state, to read or script. Do not hold the guard across an `.await`. After
    /// adding objects by hand, call [`GitHubState::normalize`] to assign ids.
    pub fn state(&self) -> MutexGuard<'_, GitHubState> {
        lock(&self.shared.state)
    }

    /// Replaces the state (ids and defaults are filled in).
    pub fn load_state(&self, mut state: GitHubState) {
        state.normalize(&clock::now_rfc3339());
        *lock(&self.shared.state) = state;
    }

    /// Replaces the state with a state document file (JSON).
    pub fn load_state_file(&self, path: &Path) -> Result<(), FakeGitHubError> {
        let bytes = std::fs::read(path).map_err(|source| FakeGitHubError::ReadState {
            path: path.to_path_buf(),
            source,
        })?;
        let state =
            GitHubState::from_json(&bytes).map_err(|source| FakeGitHubError::ParseState {
                path: path.to_path_buf(),
                source,
            })?;
        *lock(&self.shared.state) = state;
        Ok(())
    }

    /// Every write (`POST`/`PUT`/`PATCH`/`DELETE` to a GitHub path) so far, oldest first.
    pub fn writes(&self) -> Vec<RecordedWrite> {
        lock(&self.shared.journal).writes.clone()
    }

    /// Every request to a GitHub path so far, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.journal).requests.clone()
    }

    /// Accept only these tokens (empty = accept everything).
    pub fn set_tokens(&self, tokens: Vec<String>) {
        lock(&self.shared.control).tokens = tokens;
    }

    /// Adds a fault for upcoming requests.
    pub fn add_fault(&self, fault: Fault) {
        lock(&self.shared.control).faults.push(fault);
    }

    /// Sets the primary rate-limit budget: `limit` per window, `remaining` left now.
    pub fn set_rate_limit(&self, limit: u64, remaining: u64) {
        let mut budget = RateBudget::new(limit, clock::now_unix());
        budget.remaining = remaining.min(limit);
        lock(&self.shared.control).budget = budget;
    }

    /// The current primary rate-limit budget.
    pub fn rate_limit(&self) -> RateBudget {
        lock(&self.shared.control).budget
    }

    /// Clears the journal and faults and refills the budget (the data stays).
    pub fn reset_journal(&self) {
        admin::reset(&self.shared, false);
    }

    /// Stops the server and waits for in-flight requests to finish.
    pub async fn shutdown(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for FakeGitHub {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
