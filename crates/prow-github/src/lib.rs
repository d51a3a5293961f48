//! `prow-github`: the only prow-rs crate that talks to GitHub.
//!
//! - [`GitHub`]: the trait with exactly the calls the suite makes; [`GitHubClient`] implements
//!   it over the REST API (token or GitHub App auth, ETag cache, rate-limit aware retries,
//!   timeouts, pagination, metrics). See [`client`] for why it is built on hyper rather than
//!   octocrab.
//! - [`types`]: the GitHub objects, with only the fields prow-rs uses.
//! - [`webhook`]: webhook event types, `X-Hub-Signature-256` verification and Prow's HMAC
//!   secret file.
//! - [`https::HttpsClient`]: the same HTTP stack for endpoints that are not GitHub's API.
//! - [`Secret`]: tokens and secrets that never print.
//! - [`GitHubFlags`]: Prow's `--github-*` flags for a binary's clap struct;
//!   [`DryRunGitHub`]: `--dry-run` (reads go through, writes are only logged).
//!
//! ```no_run
//! use std::sync::Arc;
//! use prow_github::{ClientConfig, Credentials, GitHub, GitHubClient, Secret};
//! use prow_github::webhook::{Event, HmacSecrets, hmac_secrets::org_repo_of, verify_signature};
//!
//! # async fn demo(body: &[u8], signature: &str) -> Result<(), prow_github::Error> {
//! let github: Arc<dyn GitHub> = Arc::new(GitHubClient::new(
//!     ClientConfig::default(),
//!     Credentials::TokenFile("/etc/github/oauth".into()),
//! )?);
//! let secrets = HmacSecrets::load("/etc/webhook/hmac".as_ref())?;
//! let scope = org_repo_of(body).unwrap_or_default();
//! if verify_signature(secrets.secrets_for(&scope), body, signature) {
//!     if let Event::IssueComment(comment) = Event::parse("issue_comment", body)? {
//!         let repo = &comment.repository;
//!         let trusted = github.is_org_member(&repo.owner.login, &comment.sender.login).await?;
//!         # let _ = trusted;
//!     }
//! }
//! # Ok(()) }
//! ```

pub mod client;
pub mod dry_run;
pub mod error;
pub mod flags;
pub mod github;
pub mod https;
pub mod secret;
pub mod types;
pub mod webhook;

pub use client::{
    ClientConfig, ClientMetrics, Credentials, GitHubClient, RetryPolicy, ThrottleConfig,
};
pub use dry_run::DryRunGitHub;
pub use error::{Error, Result};
pub use flags::GitHubFlags;
pub use github::GitHub;
pub use secret::Secret;
