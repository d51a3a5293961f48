//! Forwarding deliveries to external plugins (`external_plugins` in `plugins.yaml`), as
//! Prow's hook does: every external plugin configured for the event's org or `org/repo` whose
//! `events` list is empty or names the event type receives the delivery as GitHub sent it —
//! the same raw body and the GitHub headers (so it can verify `X-Hub-Signature-256` with the
//! shared HMAC token) — in a `POST` to its endpoint, with `User-Agent: ProwHook`.
//!
//! A connection failure is retried (5 attempts, backoff from 100 ms doubling, as Prow); an
//! answer outside 2xx is an error. Each forward runs beside the built-in plugins, isolated
//! and counted the same way (plugin label `external:<name>`).

use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, header};
use prow_config::{ExternalPlugin, Loaded};
use prow_github::https::{HttpsClient, HttpsError};
use prow_github::webhook::Event;

/// Attempts per forward when the connection fails (Prow's `maxRetries`).
const ATTEMPTS: u32 = 5;
/// First pause between attempts; doubled after each.
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
/// Longest response body read back from a plugin (only shown in errors).
const MAX_RESPONSE_BYTES: usize = 64 * 1024;
/// Longest wait for one forward attempt.
pub const DEFAULT_FORWARD_TIMEOUT: Duration = Duration::from_secs(30);

/// A delivery to forward and the external plugins that want it.
#[derive(Debug, Clone)]
pub struct Forward {
    /// The raw body as received (the signature covers exactly these bytes).
    pub body: Bytes,
    /// The headers sent on: GitHub's `X-GitHub-*` and `X-Hub-*`, `Content-Type`, and
    /// `User-Agent: ProwHook`.
    pub headers: HeaderMap,
    /// The receiving plugins.
    pub plugins: Vec<ExternalPlugin>,
}

impl Forward {
    /// The forward for a delivery, or `None` when no external plugin wants it (then the
    /// body is not kept).
    pub fn for_delivery(
        config: &Loaded,
        event: &Event,
        event_type: &str,
        incoming: &HeaderMap,
        body: &Bytes,
    ) -> Option<Forward> {
        let plugin_config = config.plugins.as_ref()?;
        let repo = event.repository()?;
        let plugins: Vec<ExternalPlugin> = plugin_config
            .external_plugins_for(&repo.owner.login, &repo.name, event_type)
            .into_iter()
            .cloned()
            .collect();
        if plugins.is_empty() {
            return None;
        }
        Some(Forward {
            body: body.clone(),
            headers: forwarded_headers(incoming),
            plugins,
        })
    }
}

/// GitHub's delivery headers from `incoming`, plus `User-Agent: ProwHook`.
fn forwarded_headers(incoming: &HeaderMap) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (name, value) in incoming {
        let lower = name.as_str();
        if lower.starts_with("x-github-")
            || lower.starts_with("x-hub-")
            || name == header::CONTENT_TYPE
        {
            headers.append(name.clone(), value.clone());
        }
    }
    headers.insert(header::USER_AGENT, HeaderValue::from_static("ProwHook"));
    headers
}

/// Sends forwards over HTTP(S).
#[derive(Debug, Clone)]
pub struct ExternalForwarder {
    http: HttpsClient,
    first_backoff: Duration,
}

impl ExternalForwarder {
    /// A forwarder whose attempts each take at most `timeout`.
    ///
    /// # Errors
    /// When TLS cannot be set up.
    pub fn new(timeout: Duration) -> Result<Self, HttpsError> {
        Ok(ExternalForwarder {
            http: HttpsClient::new(timeout, MAX_RESPONSE_BYTES)?,
            first_backoff: FIRST_BACKOFF,
        })
    }

    /// Posts `forward` to `plugin`'s endpoint; retries connection failures.
    ///
    /// # Errors
    /// The last failure, or the plugin's non-2xx answer (status and body start).
    pub async fn send(&self, plugin: &ExternalPlugin, forward: &Forward) -> Result<(), String> {
        let endpoint = plugin.endpoint_url();
        let mut backoff = self.first_backoff;
        let mut attempt = 1;
        let response = loop {
            match self
                .http
                .post(&endpoint, forward.headers.clone(), forward.body.clone())
                .await
            {
                Ok(response) => break response,
                Err(err @ HttpsError::InvalidUrl { .. }) => return Err(err.to_string()),
                Err(err) if attempt >= ATTEMPTS => {
                    return Err(format!("{err} (after {ATTEMPTS} attempts)"));
                }
                Err(err) => {
                    tracing::debug!(plugin = %plugin.name, attempt, error = %err, "external plugin unreachable, retrying");
                    tokio::time::sleep(backoff).await;
                    backoff *= 2;
                    attempt += 1;
                }
            }
        };
        if response.status.is_success() {
            return Ok(());
        }
        let body = String::from_utf8_lossy(&response.body);
        let body: String = body.chars().take(500).collect();
        Err(format!(
            "{endpoint} answered {}: {body:?}",
            response.status.as_u16()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_github_headers_and_the_content_type_are_forwarded() {
        let mut incoming = HeaderMap::new();
        for (name, value) in [
            ("x-github-event", "pull_request"),
            ("x-github-delivery", "d-1"),
            ("x-hub-signature-256", "sha256=ab"),
            ("x-hub-signature", "sha1=cd"),
            ("content-type", "application/json"),
            ("authorization", "Bearer secret"),
            ("cookie", "c=1"),
            ("user-agent", "GitHub-Hookshot/1"),
        ] {
            incoming.insert(
                http::HeaderName::from_static(name),
                HeaderValue::from_static(value),
            );
        }
        let out = forwarded_headers(&incoming);
        let mut names: Vec<&str> = out.keys().map(|n| n.as_str()).collect();
        names.sort_unstable();
        assert_eq!(
            names,
            [
                "content-type",
                "user-agent",
                "x-github-delivery",
                "x-github-event",
                "x-hub-signature",
                "x-hub-signature-256"
            ]
        );
        assert_eq!(out[header::USER_AGENT], "ProwHook");
    }
}
