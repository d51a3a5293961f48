//! The REST implementation of [`crate::GitHub`] over hyper + rustls (ring).
//!
//! Why not octocrab: this client's job is transport policy — an ETag cache consulted on every
//! GET, retries that read `Retry-After` / `X-RateLimit-*` and GitHub's secondary-limit
//! messages, per-org GitHub App installation tokens, and metrics by route template. octocrab
//! hides the response headers behind its typed builders, its retry layer only counts
//! attempts, and its conditional-request support covers a few endpoints; we would be fighting
//! it on every one of those points while using none of its 600 endpoints beyond the ~35 here.
//! A thin hyper client with serde types for exactly those calls is smaller and fully under our
//! control. TLS is rustls with the `ring` provider and native roots (no OpenSSL, no aws-lc).

pub mod app_jwt;
pub mod credentials;
pub mod etag_cache;
pub mod link;
pub mod metrics;
pub mod retry_policy;
pub mod throttle;

mod calls;
mod installation_tokens;
mod transport;

use std::sync::Arc;
use std::time::Duration;

pub use credentials::Credentials;
pub use metrics::ClientMetrics;
pub use retry_policy::RetryPolicy;
pub use throttle::ThrottleConfig;

use crate::error::Result;

/// The public GitHub API endpoint.
pub const DEFAULT_ENDPOINT: &str = "https://api.github.com";

/// Client settings. `Default` gives production values.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// API base URL (`--github-endpoint`): `https://api.github.com`, a GitHub Enterprise
    /// `https://ghe.example.com/api/v3`, or a local fake.
    pub endpoint: String,
    /// Timeout of one attempt (sending and reading the whole response).
    pub request_timeout: Duration,
    /// Retry and rate-limit behaviour.
    pub retry: RetryPolicy,
    /// Number of GET responses kept for conditional requests (0 disables the cache).
    pub etag_cache_size: usize,
    /// Upper bound of the ETag cache's memory (keys and bodies), in bytes.
    pub etag_cache_bytes: usize,
    /// `per_page` for list calls (GitHub allows at most 100).
    pub page_size: u32,
    /// `User-Agent` header (GitHub requires one).
    pub user_agent: String,
    /// Client-side throttling; `None` sends as fast as callers ask.
    pub throttle: Option<ThrottleConfig>,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            endpoint: DEFAULT_ENDPOINT.to_string(),
            request_timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            etag_cache_size: 4096,
            etag_cache_bytes: 64 << 20,
            page_size: 100,
            user_agent: "prow-rs".to_string(),
            throttle: None,
        }
    }
}

/// The GitHub REST client. Cheap to clone; clones share connections, cache, tokens and
/// metrics.
#[derive(Clone, Debug)]
pub struct GitHubClient {
    inner: Arc<transport::Transport>,
}

impl GitHubClient {
    /// Builds a client; reads the token file or App key now so misconfiguration fails at
    /// startup.
    pub fn new(config: ClientConfig, credentials: Credentials) -> Result<Self> {
        Ok(Self {
            inner: Arc::new(transport::Transport::new(
                config,
                credentials,
                ClientMetrics::default(),
            )?),
        })
    }

    /// The client's metrics, to register in the process registry.
    pub fn metrics(&self) -> &ClientMetrics {
        &self.inner.metrics
    }
}
