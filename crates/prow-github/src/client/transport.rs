//! Sending one API call: authentication, the ETag cache, retries, timeouts, metrics.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use tracing::Instrument;

use super::ClientConfig;
use super::credentials::{Credentials, TokenFile};
use super::etag_cache::{CachedResponse, EtagCache};
use super::installation_tokens::AppAuth;
use super::link::next_page_url;
use super::metrics::ClientMetrics;
use super::retry_policy::{AttemptOutcome, RetryDecision};
use super::throttle::Throttle;
use crate::error::{Error, Result};
use crate::secret::Secret;

type HttpClient = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// One API call to make.
#[derive(Debug, Clone)]
pub(crate) struct Call<'a> {
    /// The trait method making the call (for errors and logs).
    pub operation: &'static str,
    /// HTTP method.
    pub method: Method,
    /// Route template, for metrics and errors.
    pub route: &'static str,
    /// Path below the endpoint (starting with `/`, query included) or an absolute URL
    /// (a pagination `next` link).
    pub path: String,
    /// The org whose installation token to use (GitHub App auth).
    pub org: Option<&'a str>,
    /// JSON body.
    pub body: Option<Bytes>,
}

impl<'a> Call<'a> {
    /// A call without a body.
    pub fn new(
        operation: &'static str,
        method: Method,
        route: &'static str,
        path: String,
        org: Option<&'a str>,
    ) -> Self {
        Self {
            operation,
            method,
            route,
            path,
            org,
            body: None,
        }
    }

    /// The same call with a JSON body.
    pub fn json(mut self, body: &impl serde::Serialize) -> Self {
        // Serializing our own request structs cannot fail (no maps with non-string keys).
        self.body = Some(Bytes::from(serde_json::to_vec(body).unwrap_or_default()));
        self
    }
}

/// A successful response (`304`s from the cache come back as `200`).
#[derive(Debug)]
pub(crate) struct Reply {
    pub status: u16,
    pub body: Bytes,
    pub link: Option<String>,
}

enum Auth {
    Token(Secret),
    TokenFile(TokenFile),
    App(Box<AppAuth>),
}

/// The shared state behind a [`super::GitHubClient`].
pub(crate) struct Transport {
    http: HttpClient,
    endpoint: String,
    origin: String,
    pub(crate) config: ClientConfig,
    auth: Auth,
    cache: Mutex<EtagCache>,
    throttle: Option<Throttle>,
    /// Last `(remaining, reset)` GitHub reported, per credential identity.
    budgets: Mutex<HashMap<String, (u64, u64)>>,
    pub(crate) metrics: ClientMetrics,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitHubClient")
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

impl Transport {
    pub(crate) fn new(
        config: ClientConfig,
        credentials: Credentials,
        metrics: ClientMetrics,
    ) -> Result<Self> {
        let (endpoint, origin) = parse_endpoint(&config.endpoint)?;
        let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
        let builder = if origin.starts_with("https://") {
            hyper_rustls::HttpsConnectorBuilder::new()
                .with_provider_and_native_roots(provider)
                .map_err(Error::TlsSetup)?
        } else {
            // Plain HTTP (a local fake): no certificates needed.
            let tls = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .map_err(|e| Error::TlsSetup(std::io::Error::other(e)))?
                .with_root_certificates(rustls::RootCertStore::empty())
                .with_no_client_auth();
            hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(tls)
        };
        let connector = builder.https_or_http().enable_all_versions().build();
        let http = Client::builder(TokioExecutor::new()).build(connector);
        let auth = match credentials {
            Credentials::Token(token) => Auth::Token(token),
            Credentials::TokenFile(path) => Auth::TokenFile(TokenFile::open(&path)?),
            Credentials::App {
                app_id,
                private_key_path,
            } => Auth::App(Box::new(AppAuth::new(app_id, &private_key_path)?)),
        };
        Ok(Self {
            http,
            endpoint,
            origin,
            cache: Mutex::new(EtagCache::new(
                config.etag_cache_size,
                config.etag_cache_bytes,
            )),
            throttle: config.throttle.map(Throttle::new),
            budgets: Mutex::new(HashMap::new()),
            config,
            auth,
            metrics,
        })
    }

    /// `Authorization` header value and the identity the ETag cache keys on.
    async fn authorization(&self, org: Option<&str>) -> Result<(Secret, String)> {
        match &self.auth {
            Auth::Token(token) => Ok(bearer(token)),
            Auth::TokenFile(file) => Ok(bearer(&file.token())),
            Auth::App(app) => match org {
                Some(org) => {
                    let token = app.installation_token(self, org).await?;
                    Ok((
                        Secret::new(format!("Bearer {}", token.expose())),
                        format!("app-installation:{org}"),
                    ))
                }
                None => Ok((
                    Secret::new(format!("Bearer {}", app.jwt()?.expose())),
                    "app-jwt".to_string(),
                )),
            },
        }
    }

    /// The App's JWT as an `Authorization` value, when App auth is configured.
    pub(crate) fn app(&self) -> Option<&AppAuth> {
        match &self.auth {
            Auth::App(app) => Some(app),
            _ => None,
        }
    }

    /// Sends `call` with the configured credentials.
    pub(crate) async fn execute(&self, call: &Call<'_>) -> Result<Reply> {
        let (authorization, identity) = self.authorization(call.org).await?;
        self.execute_as(call, &authorization, &identity).await
    }

    /// Sends `call` with the given `Authorization` value, retrying as the policy says.
    pub(crate) async fn execute_as(
        &self,
        call: &Call<'_>,
        authorization: &Secret,
        identity: &str,
    ) -> Result<Reply> {
        let span = tracing::debug_span!(
            "github",
            operation = call.operation,
            method = %call.method,
            route = call.route
        );
        self.execute_with_retries(call, authorization, identity)
            .instrument(span)
            .await
    }

    async fn execute_with_retries(
        &self,
        call: &Call<'_>,
        authorization: &Secret,
        identity: &str,
    ) -> Result<Reply> {
        let url = self.url(call)?;
        let cache_key = (call.method == Method::GET).then(|| format!("{identity} {url}"));
        let cached = cache_key
            .as_ref()
            .and_then(|key| self.lock_cache().get(key));
        let method = call.method.as_str();
        let mut attempt = 0;
        loop {
            let request = self.build_request(call, &url, authorization, cached.as_ref())?;
            if let Some(throttle) = &self.throttle {
                throttle.acquire().await;
            }
            self.wait_for_known_reset(call, identity).await?;
            let started = Instant::now();
            let sent = tokio::time::timeout(self.config.request_timeout, self.send(request)).await;
            let seconds = started.elapsed().as_secs_f64();
            let (error, outcome_status, headers, message) = match sent {
                Err(_) => {
                    self.metrics.observe(method, call.route, "timeout", seconds);
                    let error = Error::Timeout {
                        operation: call.operation,
                        route: call.route,
                        timeout: self.config.request_timeout,
                    };
                    (error, None, HeaderMap::new(), String::new())
                }
                Ok(Err(message)) => {
                    self.metrics
                        .observe(method, call.route, "transport", seconds);
                    let error = Error::Transport {
                        operation: call.operation,
                        route: call.route,
                        message,
                    };
                    (error, None, HeaderMap::new(), String::new())
                }
                Ok(Ok((status, headers, body))) => {
                    self.metrics
                        .observe(method, call.route, status.as_str(), seconds);
                    if let Some(remaining) = header_u64(&headers, "x-ratelimit-remaining") {
                        self.metrics
                            .rate_limit_remaining
                            .set(i64::try_from(remaining).unwrap_or(i64::MAX));
                        if let Some(reset) = header_u64(&headers, "x-ratelimit-reset") {
                            self.lock_budgets()
                                .insert(identity.to_string(), (remaining, reset));
                        }
                    }
                    if status == StatusCode::NOT_MODIFIED
                        && let Some(cached) = cached
                    {
                        self.metrics.cache_hits.inc();
                        return Ok(Reply {
                            status: 200,
                            body: cached.body,
                            link: cached.link,
                        });
                    }
                    let link = header_str(&headers, header::LINK).map(str::to_string);
                    if status.is_success() {
                        if let (Some(key), Some(etag)) =
                            (cache_key, header_str(&headers, header::ETAG))
                        {
                            self.lock_cache().insert(
                                key,
                                CachedResponse {
                                    etag: etag.to_string(),
                                    body: body.clone(),
                                    link: link.clone(),
                                },
                            );
                        }
                        return Ok(Reply {
                            status: status.as_u16(),
                            body,
                            link,
                        });
                    }
                    let message = github_message(&body);
                    let error = Error::Api {
                        operation: call.operation,
                        method: static_method(&call.method),
                        route: call.route,
                        status: status.as_u16(),
                        message: message.clone(),
                    };
                    (error, Some(status.as_u16()), headers, message)
                }
            };
            let outcome = match outcome_status {
                None => AttemptOutcome::Transport,
                Some(status) => AttemptOutcome::Response {
                    status,
                    retry_after: header_u64(&headers, "retry-after"),
                    remaining: header_u64(&headers, "x-ratelimit-remaining"),
                    reset: header_u64(&headers, "x-ratelimit-reset"),
                    message: &message,
                },
            };
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or(Duration::ZERO);
            let jitter: f64 = rand::random();
            match self.config.retry.decide(attempt, &outcome, now, jitter) {
                RetryDecision::Stop | RetryDecision::OutOfRetries => return Err(error),
                RetryDecision::RateLimited(reset_in) => {
                    return Err(Error::RateLimited {
                        operation: call.operation,
                        route: call.route,
                        reset_in,
                    });
                }
                RetryDecision::RetryAfter(wait) => {
                    let reason = match outcome_status {
                        None => "transport",
                        Some(403 | 429) => "rate_limit",
                        Some(_) => "server_error",
                    };
                    self.metrics.retried(call.route, reason);
                    tracing::warn!(error = %error, ?wait, attempt, reason, "retrying GitHub request");
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
            }
        }
    }

    /// GETs every page of a list, following `Link: rel="next"`.
    pub(crate) async fn get_all_pages<T: DeserializeOwned>(
        &self,
        first: Call<'_>,
    ) -> Result<Vec<T>> {
        let separator = if first.path.contains('?') { '&' } else { '?' };
        let mut call = Call {
            path: format!(
                "{}{separator}per_page={}",
                first.path, self.config.page_size
            ),
            ..first
        };
        let mut items = Vec::new();
        loop {
            let reply = self.execute(&call).await?;
            let page: Vec<T> = decode(&call, &reply.body)?;
            items.extend(page);
            match reply.link.as_deref().and_then(next_page_url) {
                Some(next) => call.path = next.to_string(),
                None => return Ok(items),
            }
        }
    }

    fn url(&self, call: &Call<'_>) -> Result<String> {
        if call.path.starts_with('/') {
            return Ok(format!("{}{}", self.endpoint, call.path));
        }
        // An absolute `next` link: only ever follow it to the configured server.
        if call.path.starts_with(&format!("{}/", self.origin)) {
            return Ok(call.path.clone());
        }
        Err(Error::Transport {
            operation: call.operation,
            route: call.route,
            message: format!("refusing to follow a link to another server: {}", call.path),
        })
    }

    fn build_request(
        &self,
        call: &Call<'_>,
        url: &str,
        authorization: &Secret,
        cached: Option<&CachedResponse>,
    ) -> Result<Request<Full<Bytes>>> {
        let mut builder = Request::builder()
            .method(call.method.clone())
            .uri(url)
            .header(header::ACCEPT, "application/vnd.github+json")
            .header("X-GitHub-Api-Version", "2022-11-28")
            .header(header::USER_AGENT, &self.config.user_agent)
            .header(header::AUTHORIZATION, authorization.expose());
        if let Some(cached) = cached {
            builder = builder.header(header::IF_NONE_MATCH, &cached.etag);
        }
        let body = match &call.body {
            Some(body) => {
                builder = builder.header(header::CONTENT_TYPE, "application/json");
                body.clone()
            }
            None => Bytes::new(),
        };
        builder.body(Full::new(body)).map_err(|e| Error::Transport {
            operation: call.operation,
            route: call.route,
            message: format!("building the request: {e}"),
        })
    }

    async fn send(
        &self,
        request: Request<Full<Bytes>>,
    ) -> std::result::Result<(StatusCode, HeaderMap, Bytes), String> {
        let response = self.http.request(request).await.map_err(|e| {
            let mut message = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(inner) = source {
                message = format!("{message}: {inner}");
                source = inner.source();
            }
            message
        })?;
        let (parts, body) = response.into_parts();
        let body = body
            .collect()
            .await
            .map_err(|e| format!("reading the response: {e}"))?
            .to_bytes();
        Ok((parts.status, parts.headers, body))
    }

    /// When the last answer for this identity said the budget is exhausted, waits for its
    /// reset before sending (instead of spending a request on a sure 403), or fails when the
    /// reset is further away than the maximum wait.
    async fn wait_for_known_reset(&self, call: &Call<'_>, identity: &str) -> Result<()> {
        let Some((0, reset)) = self.lock_budgets().get(identity).copied() else {
            return Ok(());
        };
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO);
        let wait = Duration::from_secs(reset).saturating_sub(now);
        if wait.is_zero() {
            return Ok(());
        }
        let wait = wait + Duration::from_millis(100);
        if wait > self.config.retry.max_rate_limit_wait {
            return Err(Error::RateLimited {
                operation: call.operation,
                route: call.route,
                reset_in: wait,
            });
        }
        tracing::warn!(
            ?wait,
            route = call.route,
            "GitHub rate limit exhausted, waiting for its reset"
        );
        tokio::time::sleep(wait).await;
        Ok(())
    }

    fn lock_budgets(&self) -> std::sync::MutexGuard<'_, HashMap<String, (u64, u64)>> {
        self.budgets.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn lock_cache(&self) -> std::sync::MutexGuard<'_, EtagCache> {
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The method name with a `'static` lifetime, for errors.
fn static_method(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        _ => "OTHER",
    }
}

/// Decodes a JSON response body.
pub(crate) fn decode<T: DeserializeOwned>(call: &Call<'_>, body: &[u8]) -> Result<T> {
    serde_json::from_slice(body).map_err(|source| Error::Decode {
        operation: call.operation,
        route: call.route,
        source,
    })
}

fn bearer(token: &Secret) -> (Secret, String) {
    let digest = Sha256::digest(token.expose().as_bytes());
    (
        Secret::new(format!("Bearer {}", token.expose())),
        format!("token:{}", hex::encode(&digest[..8])),
    )
}

/// Endpoint without trailing slash, and its `scheme://authority` origin.
fn parse_endpoint(endpoint: &str) -> Result<(String, String)> {
    let invalid = |reason: &str| Error::InvalidEndpoint {
        endpoint: endpoint.to_string(),
        reason: reason.to_string(),
    };
    let uri: http::Uri = endpoint.parse().map_err(|_| invalid("not a URL"))?;
    let scheme = uri.scheme_str().ok_or_else(|| invalid("missing scheme"))?;
    if scheme != "http" && scheme != "https" {
        return Err(invalid("scheme must be http or https"));
    }
    let authority = uri.authority().ok_or_else(|| invalid("missing host"))?;
    if uri.query().is_some() {
        return Err(invalid("must not have a query"));
    }
    let origin = format!("{scheme}://{authority}");
    let path = uri.path().trim_end_matches('/');
    Ok((format!("{origin}{path}"), origin))
}

/// GitHub's `message` from an error body, or the start of the body.
fn github_message(body: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct ErrorBody {
        message: String,
    }
    match serde_json::from_slice::<ErrorBody>(body) {
        Ok(parsed) => parsed.message,
        Err(_) => String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned(),
    }
}

fn header_str(headers: &HeaderMap, name: impl header::AsHeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    header_str(headers, name).and_then(|v| v.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints() {
        let cases = [
            (
                "https://api.github.com",
                Some(("https://api.github.com", "https://api.github.com")),
            ),
            (
                "https://api.github.com/",
                Some(("https://api.github.com", "https://api.github.com")),
            ),
            (
                "https://ghe.example.com/api/v3/",
                Some(("https://ghe.example.com/api/v3", "https://ghe.example.com")),
            ),
            (
                "http://127.0.0.1:8080",
                Some(("http://127.0.0.1:8080", "http://127.0.0.1:8080")),
            ),
            ("ftp://example.com", None),
            ("api.github.com", None),
            ("https://x/?a=b", None),
        ];
        for (input, want) in cases {
            let got = parse_endpoint(input).ok();
            let want = want.map(|(e, o)| (e.to_string(), o.to_string()));
            assert_eq!(got, want, "{input}");
        }
    }

    #[test]
    fn error_messages() {
        assert_eq!(
            github_message(br#"{"message":"Not Found","documentation_url":"x"}"#),
            "Not Found"
        );
        assert_eq!(
            github_message(b"<html>bad gateway</html>"),
            "<html>bad gateway</html>"
        );
    }
}
