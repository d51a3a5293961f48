//! A small HTTP(S) client for the endpoints components call besides the GitHub API (hook's
//! `cat` image API, external plugins): the same hyper + rustls (`ring`) stack as
//! [`crate::GitHubClient`], so no second TLS implementation enters the build.
//!
//! TLS trusts the platform's root certificates; where there are none (a minimal image
//! without CA certificates) plain `http://` still works and `https://` fails at the
//! handshake with an error naming the host.

use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method, Request, StatusCode, Uri};
use http_body_util::{BodyExt, Full, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum HttpsError {
    /// rustls could not be configured.
    #[error("TLS setup failed: {0}")]
    TlsSetup(String),
    /// The URL does not parse or is not `http`/`https`.
    #[error("invalid URL {url:?}: {reason}")]
    InvalidUrl {
        /// The URL as given (callers redact secrets before passing it on in messages).
        url: String,
        /// What is wrong.
        reason: String,
    },
    /// Connecting, TLS or the exchange failed.
    #[error("request to {host} failed: {source}")]
    Transport {
        /// Host of the URL.
        host: String,
        /// The transport error.
        #[source]
        source: hyper_util::client::legacy::Error,
    },
    /// No complete response within the timeout.
    #[error("request to {host} timed out after {timeout:?}")]
    Timeout {
        /// Host of the URL.
        host: String,
        /// The timeout.
        timeout: Duration,
    },
    /// The response body was larger than allowed, or could not be read.
    #[error("response from {host}: {reason}")]
    Body {
        /// Host of the URL.
        host: String,
        /// What went wrong.
        reason: String,
    },
}

/// A response: status, headers and the (size-capped) body.
#[derive(Debug, Clone)]
pub struct HttpsResponse {
    /// Status code.
    pub status: StatusCode,
    /// Response headers.
    pub headers: HeaderMap,
    /// Body bytes (empty for `HEAD`).
    pub body: Bytes,
}

/// An HTTP(S) client with a per-request timeout and a cap on response bodies.
#[derive(Clone, Debug)]
pub struct HttpsClient {
    http: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    timeout: Duration,
    max_body_bytes: usize,
}

impl HttpsClient {
    /// A client whose requests (connect to last body byte) take at most `timeout` and whose
    /// response bodies are refused above `max_body_bytes`.
    ///
    /// # Errors
    /// [`HttpsError::TlsSetup`] if rustls cannot be configured (not expected with `ring`).
    pub fn new(timeout: Duration, max_body_bytes: usize) -> Result<Self, HttpsError> {
        let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
        let builder = match hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(provider.clone())
        {
            Ok(builder) => builder,
            Err(err) => {
                tracing::warn!(error = %err, "no platform root certificates: https:// requests will fail, http:// works");
                let tls = rustls::ClientConfig::builder_with_provider(provider)
                    .with_safe_default_protocol_versions()
                    .map_err(|e| HttpsError::TlsSetup(e.to_string()))?
                    .with_root_certificates(rustls::RootCertStore::empty())
                    .with_no_client_auth();
                hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(tls)
            }
        };
        let connector = builder.https_or_http().enable_all_versions().build();
        Ok(HttpsClient {
            http: Client::builder(TokioExecutor::new()).build(connector),
            timeout,
            max_body_bytes,
        })
    }

    /// `GET url`.
    ///
    /// # Errors
    /// [`HttpsError`] for a bad URL, a transport failure, a timeout or an oversized body.
    pub async fn get(&self, url: &str) -> Result<HttpsResponse, HttpsError> {
        self.send(Method::GET, url, HeaderMap::new(), Bytes::new())
            .await
    }

    /// `HEAD url`.
    ///
    /// # Errors
    /// As [`HttpsClient::get`].
    pub async fn head(&self, url: &str) -> Result<HttpsResponse, HttpsError> {
        self.send(Method::HEAD, url, HeaderMap::new(), Bytes::new())
            .await
    }

    /// `POST url` with `headers` and `body`.
    ///
    /// # Errors
    /// As [`HttpsClient::get`].
    pub async fn post(
        &self,
        url: &str,
        headers: HeaderMap,
        body: Bytes,
    ) -> Result<HttpsResponse, HttpsError> {
        self.send(Method::POST, url, headers, body).await
    }

    async fn send(
        &self,
        method: Method,
        url: &str,
        headers: HeaderMap,
        body: Bytes,
    ) -> Result<HttpsResponse, HttpsError> {
        let uri = parse_url(url)?;
        let host = uri.host().unwrap_or_default().to_string();
        let mut request = Request::builder()
            .method(method)
            .uri(uri)
            .body(Full::new(body))
            .map_err(|e| HttpsError::InvalidUrl {
                url: url.to_string(),
                reason: e.to_string(),
            })?;
        *request.headers_mut() = headers;
        let exchange = async {
            let response =
                self.http
                    .request(request)
                    .await
                    .map_err(|source| HttpsError::Transport {
                        host: host.clone(),
                        source,
                    })?;
            let (parts, body) = response.into_parts();
            let body = Limited::new(body, self.max_body_bytes)
                .collect()
                .await
                .map_err(|e| HttpsError::Body {
                    host: host.clone(),
                    reason: if e.is::<http_body_util::LengthLimitError>() {
                        format!("body larger than {} bytes", self.max_body_bytes)
                    } else {
                        e.to_string()
                    },
                })?
                .to_bytes();
            Ok(HttpsResponse {
                status: parts.status,
                headers: parts.headers,
                body,
            })
        };
        tokio::time::timeout(self.timeout, exchange)
            .await
            .map_err(|_| HttpsError::Timeout {
                host: host.clone(),
                timeout: self.timeout,
            })?
    }
}

fn parse_url(url: &str) -> Result<Uri, HttpsError> {
    let invalid = |reason: &str| HttpsError::InvalidUrl {
        url: url.to_string(),
        reason: reason.to_string(),
    };
    let uri: Uri = url.parse().map_err(|_| invalid("not a URL"))?;
    match uri.scheme_str() {
        Some("http" | "https") => {}
        _ => return Err(invalid("the scheme must be http or https")),
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(invalid("no host"));
    }
    Ok(uri)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_and_https_urls_with_a_host_are_accepted() {
        for good in [
            "http://127.0.0.1:8080/x?y=1",
            "https://api.thecatapi.com/v1",
        ] {
            assert!(parse_url(good).is_ok(), "{good}");
        }
        for bad in ["ftp://host/x", "/relative", "http://", "not a url"] {
            assert!(parse_url(bad).is_err(), "{bad}");
        }
    }
}
