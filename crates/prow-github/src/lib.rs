//! `prow-github`: the only prow-rs crate that talks to GitHub.
//!
//! - [`GitHub`]: the trait with exactly the calls the suite makes; [`GitHubClient`] implements
//!   it over the REST API (token or GitHub App auth, ETag cache, rate-limit aware retries,
//!   timeouts, pagination, metrics). See [`client`] for why it is built on hyper rather than
//!   octocrab.
//! - [`types`]: the GitHub objects, with only the fields prow-rs uses.
//! - [`webhook`]: webhook event types, `X-Hub-Signature-256` verification and Prow's HMAC
//!   secret file.
//! - [`Secret`]: tokens and secrets that never print.

pub mod client;
pub mod dry_run;
pub mod error;
pub mod flags;
pub mod github;
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
