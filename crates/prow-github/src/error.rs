//! The one error type of this crate.

use std::path::PathBuf;
use std::time::Duration;

/// Everything that can go wrong talking to GitHub or reading GitHub-related files.
/// Variants are named after what failed; API failures keep GitHub's status code and `message`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The API token file could not be read.
    #[error("reading GitHub token file {path}: {source}")]
    ReadToken {
        /// The token file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The API token file is empty.
    #[error("GitHub token file {path} is empty")]
    EmptyToken {
        /// The token file.
        path: PathBuf,
    },
    /// Neither a token file nor GitHub App credentials were given.
    #[error(
        "no GitHub credentials: pass --github-token-path, or --github-app-id with --github-app-private-key-path"
    )]
    MissingCredentials,
    /// The GitHub App private key could not be read or is not a usable RSA key.
    #[error("GitHub App private key {path}: {reason}")]
    AppKey {
        /// The key file.
        path: PathBuf,
        /// Why it was rejected.
        reason: String,
    },
    /// Signing the GitHub App JWT failed.
    #[error("signing the GitHub App JWT failed")]
    SignJwt,
    /// The configured API endpoint is not a usable base URL.
    #[error("invalid GitHub endpoint {endpoint:?}: {reason}")]
    InvalidEndpoint {
        /// The endpoint as given.
        endpoint: String,
        /// Why it was rejected.
        reason: String,
    },
    /// The HTTPS connector could not be built (e.g. no native root certificates).
    #[error("building the HTTPS connector: {0}")]
    TlsSetup(std::io::Error),
    /// GitHub answered with an unsuccessful status.
    #[error("{operation} ({method} {route}): GitHub answered {status}: {message}")]
    Api {
        /// The client call that failed, e.g. `get_pull_request`.
        operation: &'static str,
        /// The HTTP method.
        method: &'static str,
        /// The route template, e.g. `/repos/{owner}/{repo}/pulls/{number}`.
        route: &'static str,
        /// HTTP status code.
        status: u16,
        /// GitHub's `message` field (or the start of the body if it had none).
        message: String,
    },
    /// The primary rate limit is exhausted and resets later than the configured maximum wait.
    #[error(
        "{operation} ({route}): rate limit exhausted, resets in {reset_in:?} (more than the maximum wait)"
    )]
    RateLimited {
        /// The client call that failed.
        operation: &'static str,
        /// The route template.
        route: &'static str,
        /// Time until GitHub resets the budget.
        reset_in: Duration,
    },
    /// The request could not be sent or its response not read (after all retries).
    #[error("{operation} ({route}): {message}")]
    Transport {
        /// The client call that failed.
        operation: &'static str,
        /// The route template.
        route: &'static str,
        /// The underlying error, rendered.
        message: String,
    },
    /// The request did not complete within the per-request timeout (after all retries).
    #[error("{operation} ({route}): timed out after {timeout:?}")]
    Timeout {
        /// The client call that failed.
        operation: &'static str,
        /// The route template.
        route: &'static str,
        /// The per-request timeout.
        timeout: Duration,
    },
    /// A response body was not the JSON we expected.
    #[error("{operation} ({route}): decoding the response: {source}")]
    Decode {
        /// The client call that failed.
        operation: &'static str,
        /// The route template.
        route: &'static str,
        /// The JSON error.
        source: serde_json::Error,
    },
    /// File contents returned by GitHub were not valid base64.
    #[error("get_file {path}: content is not valid base64")]
    DecodeContent {
        /// The file path in the repository.
        path: String,
    },
    /// The HMAC secret file could not be read.
    #[error("reading HMAC secret file {path}: {source}")]
    ReadHmacSecret {
        /// The secret file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The HMAC secret file is a YAML mapping but not in Prow's format, or is empty.
    #[error("HMAC secret file {path}: {message}")]
    ParseHmacSecret {
        /// The secret file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// A webhook body did not match the event type named by `X-GitHub-Event`.
    #[error("parsing {event} webhook payload: {source}")]
    ParseEvent {
        /// The `X-GitHub-Event` value.
        event: String,
        /// The JSON error.
        source: serde_json::Error,
    },
}

impl Error {
    /// The HTTP status GitHub answered with, if this error is an API error.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// True when GitHub answered 404.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
