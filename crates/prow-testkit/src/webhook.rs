//! Sends webhooks the way GitHub does (same headers, same HMAC signatures over the raw
//! body) and serves real recorded GitHub webhook payloads for tests.
//!
//! ```no_run
//! # async fn demo() -> Result<(), prow_testkit::webhook::WebhookError> {
//! use prow_testkit::webhook::{PayloadEdit, WebhookSender, payload};
//! let body = PayloadEdit::new(payload("issue_comment", "created")?)?
//!     .repo("prow-rs-demo", "hello")
//!     .number(1)
//!     .comment_body("/test all")
//!     .on_pull_request()
//!     .into_bytes()?;
//! let sender = WebhookSender::new("http://127.0.0.1:8888/hook", b"secret".to_vec());
//! let response = sender.send("issue_comment", body).await?;
//! # let _ = response; Ok(()) }
//! ```
//!
//! The recorded payloads live in `crates/prow-testkit/testdata/webhooks/<event>/<name>.json`;
//! `testdata/webhooks/README.md` lists where each one comes from.

mod payloads;
mod signature;

pub use payloads::{PAYLOADS, PayloadEdit, payload};
pub use signature::{signature_1, signature_256};

/// What can go wrong sending a webhook or loading a payload.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// No recorded payload for this event and name.
    #[error("no recorded payload for event {event:?} named {name:?}")]
    UnknownPayload {
        /// Event type.
        event: String,
        /// Action or variant name.
        name: String,
    },
    /// A payload is not valid JSON or lacks a field an edit needs.
    #[error("edit payload: {0}")]
    Payload(#[from] serde_json::Error),
    /// The HTTP request failed.
    #[error("send webhook to {url}: {source}")]
    Send {
        /// Target URL.
        url: String,
        /// Underlying error.
        source: reqwest::Error,
    },
}

/// Sends signed webhook deliveries to one URL, with GitHub's headers.
#[derive(Debug, Clone)]
pub struct WebhookSender {
    url: String,
    secret: Vec<u8>,
    hook_id: u64,
    target_type: String,
    target_id: u64,
    client: reqwest::Client,
}

/// The headers GitHub puts on a delivery, in the order it sends them.
pub fn delivery_headers(
    event_type: &str,
    delivery_id: &str,
    hook_id: u64,
    target: (&str, u64),
    secret: &[u8],
    body: &[u8],
) -> Vec<(&'static str, String)> {
    vec![
        (
            "user-agent",
            format!("GitHub-Hookshot/{}", hookshot_version(hook_id)),
        ),
        ("content-type", "application/json".to_string()),
        ("x-github-delivery", delivery_id.to_string()),
        ("x-github-event", event_type.to_string()),
        ("x-github-hook-id", hook_id.to_string()),
        ("x-github-hook-installation-target-id", target.1.to_string()),
        (
            "x-github-hook-installation-target-type",
            target.0.to_string(),
        ),
        ("x-hub-signature", signature_1(secret, body)),
        ("x-hub-signature-256", signature_256(secret, body)),
    ]
}

/// A short hex build id for the `GitHub-Hookshot/<hex>` user agent (GitHub sends a 7-digit
/// hex string that changes with their deployments).
fn hookshot_version(seed: u64) -> String {
    format!(
        "{:07x}",
        (seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 36) & 0xfff_ffff
    )
}

/// A random UUID version 4 string, as GitHub's `X-GitHub-Delivery` carries.
pub fn delivery_id() -> String {
    let mut bytes: [u8; 16] = rand::random();
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex = hex::encode(bytes);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

impl WebhookSender {
    /// A sender to `url` signing with `hmac_secret`, as a repository webhook.
    pub fn new(url: impl Into<String>, hmac_secret: impl Into<Vec<u8>>) -> Self {
        crate::crypto::install_ring_provider();
        Self {
            url: url.into(),
            secret: hmac_secret.into(),
            hook_id: 123_456_789,
            target_type: "repository".to_string(),
            target_id: 186_853_002,
            // Header names go out as `X-Github-Event`, `Content-Type`, ... (HTTP/1.1 title
            // case, like Go's canonical form) rather than hyper's lower case.
            client: reqwest::Client::builder()
                .http1_title_case_headers()
                .build()
                .unwrap_or_default(),
        }
    }

    /// Sets `X-GitHub-Hook-ID` and the installation target (`repository`, `organization`
    /// or `integration`, with its id).
    pub fn with_hook(mut self, hook_id: u64, target_type: &str, target_id: u64) -> Self {
        self.hook_id = hook_id;
        self.target_type = target_type.to_string();
        self.target_id = target_id;
        self
    }

    /// Builds the request GitHub would send for this delivery (not sent).
    pub fn request(&self, event_type: &str, body: Vec<u8>) -> reqwest::RequestBuilder {
        let headers = delivery_headers(
            event_type,
            &delivery_id(),
            self.hook_id,
            (&self.target_type, self.target_id),
            &self.secret,
            &body,
        );
        headers
            .into_iter()
            .fold(self.client.post(&self.url), |request, (name, value)| {
                request.header(name, value)
            })
            .body(body)
    }

    /// Sends one delivery: `POST` with GitHub's headers and signatures over `body`.
    pub async fn send(
        &self,
        event_type: &str,
        body: impl Into<Vec<u8>>,
    ) -> Result<reqwest::Response, WebhookError> {
        self.request(event_type, body.into())
            .send()
            .await
            .map_err(|source| WebhookError::Send {
                url: self.url.clone(),
                source,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delivery_ids_are_uuid_v4() {
        let first = delivery_id();
        let parts: Vec<&str> = first.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(parts[2].starts_with('4'));
        assert!(matches!(
            parts[3].chars().next(),
            Some('8' | '9' | 'a' | 'b')
        ));
        assert_ne!(first, delivery_id());
    }

    #[test]
    fn headers_carry_both_signatures() {
        let headers = delivery_headers("ping", "id", 1, ("repository", 2), b"s", b"{}");
        let get = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(get("x-hub-signature-256"), Some(signature_256(b"s", b"{}")));
        assert_eq!(get("x-hub-signature"), Some(signature_1(b"s", b"{}")));
        assert!(get("user-agent").is_some_and(|ua| ua.starts_with("GitHub-Hookshot/")));
    }
}
