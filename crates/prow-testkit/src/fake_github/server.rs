//! The HTTP side: one axum handler that records the request, applies faults, checks the
//! token and the rate-limit budget, dispatches to [`super::api`] (or [`super::admin`] under
//! `/_fake/`), paginates lists, sets `ETag`/`Link`/`X-RateLimit-*` and answers conditional
//! requests with `304`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::api::{self, ApiRequest, Reply, ReplyBody};
use super::clock;
use super::faults::{Fault, FaultAction, take_matching};
use super::journal::{RecordedRequest, RecordedWrite};
use super::model::GitHubState;
use super::paging::{PageRequest, link_header, percent_decode};
use super::rate_limit::RateBudget;
use super::render::Urls;

/// Most requests (and writes) kept in the journal; the oldest are dropped beyond it so a
/// long-running fake does not grow without bound.
pub const JOURNAL_LIMIT: usize = 100_000;

/// Largest request body accepted.
const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// Where GitHub documents its rate limits (used in rate-limit error bodies).
pub const RATE_LIMIT_DOCS: &str =
    "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api";

/// Knobs that are not GitHub data: accepted tokens, the rate-limit budget, pending faults.
#[derive(Debug, Clone)]
pub struct Control {
    /// Accepted tokens; empty = every request is accepted, with or without a token.
    pub tokens: Vec<String>,
    /// Primary rate-limit budget.
    pub budget: RateBudget,
    /// Pending faults, first match wins.
    pub faults: Vec<Fault>,
}

/// Everything recorded.
#[derive(Debug, Clone, Default)]
pub struct Journal {
    /// Every request to a GitHub path.
    pub requests: Vec<RecordedRequest>,
    /// Every write to a GitHub path.
    pub writes: Vec<RecordedWrite>,
}

/// State shared by the server task and the [`super::FakeGitHub`] handle.
#[derive(Debug)]
pub struct Shared {
    /// GitHub data.
    pub state: Mutex<GitHubState>,
    /// Tokens, budget, faults.
    pub control: Mutex<Control>,
    /// Request and write log.
    pub journal: Mutex<Journal>,
    /// Base URLs for rendered objects.
    pub urls: Urls,
    /// Sequence number behind `X-GitHub-Request-Id`.
    pub request_seq: AtomicU64,
}

/// Locks a mutex, ignoring poisoning (a panicking test must not hide the state).
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Builds the router serving GitHub paths and the `/_fake/` admin API.
pub fn router(shared: Arc<Shared>) -> axum::Router {
    axum::Router::new().fallback(handle).with_state(shared)
}

async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(bytes) => bytes,
        Err(_) => return json_response(413, &json!({"message": "Payload too large"})),
    };
    let path = parts.uri.path().to_string();
    let query = parts.uri.query().map(str::to_string);
    if let Some(admin_path) = path.strip_prefix("/_fake/") {
        return super::admin::handle(&shared, &parts.method, admin_path, &bytes);
    }
    let mut record = RecordedRequest {
        method: parts.method.to_string(),
        path: path.clone(),
        query: query.clone(),
        if_none_match: header_text(&parts.headers, header::IF_NONE_MATCH),
        accept: header_text(&parts.headers, header::ACCEPT),
        auth_scheme: header_text(&parts.headers, header::AUTHORIZATION)
            .and_then(|v| v.split_whitespace().next().map(str::to_string)),
        user_agent: header_text(&parts.headers, header::USER_AGENT),
        status: 0,
    };
    let mut fault = take_matching(
        &mut lock(&shared.control).faults,
        parts.method.as_str(),
        &path,
    );
    if let Some(FaultAction::Delay { millis }) = fault {
        tokio::time::sleep(Duration::from_millis(millis)).await;
        fault = None;
    }
    let host = header_text(&parts.headers, header::HOST);
    let link_base = match host {
        Some(host) => format!("http://{host}{path}"),
        None => format!("{}{path}", shared.urls.api),
    };
    let request_id = format!(
        "FA4E:{:04X}:{:06X}",
        shared.urls.api.len(),
        shared.request_seq.fetch_add(1, Ordering::Relaxed) + 1
    );
    let mut response = serve(
        &shared,
        &parts.method,
        &parts.headers,
        &path,
        query.as_deref(),
        &bytes,
        fault,
        &link_base,
        &request_id,
    );
    set_header(&mut response, "x-github-request-id", &request_id);
    record.status = response.status().as_u16();
    let mut journal = lock(&shared.journal);
    if api::is_write(parts.method.as_str()) {
        keep_within_limit(&mut journal.writes);
        journal.writes.push(RecordedWrite {
            method: record.method.clone(),
            path: path.clone(),
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            status: record.status,
            at: clock::now_rfc3339(),
        });
    }
    keep_within_limit(&mut journal.requests);
    journal.requests.push(record);
    drop(journal);
    response
}

/// Drops the oldest tenth of a full journal list.
fn keep_within_limit<T>(entries: &mut Vec<T>) {
    if entries.len() >= JOURNAL_LIMIT {
        entries.drain(..JOURNAL_LIMIT / 10);
    }
}

#[allow(clippy::too_many_arguments)]
fn serve(
    shared: &Shared,
    method: &Method,
    headers: &HeaderMap,
    path: &str,
    query: Option<&str>,
    bytes: &Bytes,
    fault: Option<FaultAction>,
    link_base: &str,
    request_id: &str,
) -> Response {
    let mut control = lock(&shared.control);
    let token = bearer_token(headers);
    let (viewer_id, actor, accepted) = {
        let state = lock(&shared.state);
        let installation = token
            .as_deref()
            .is_some_and(|t| state.installation_tokens.iter().any(|i| i == t));
        let actor = match (&state.app, installation) {
            (Some(app), true) => app.bot_login(),
            _ => state.viewer_login().to_string(),
        };
        let app_route =
            path == "/app" || path.starts_with("/app/") || path.ends_with("/installation");
        let accepted = control.tokens.is_empty()
            || installation
            || token.as_deref().is_some_and(|t| {
                control.tokens.iter().any(|c| c == t) || (app_route && looks_like_jwt(t))
            });
        let viewer_id = state.user(&actor).map(|u| u.id).unwrap_or(0);
        (viewer_id, actor, accepted)
    };
    if !accepted {
        let body = json!({"message": "Bad credentials", "documentation_url": api::DOCS_URL,
                          "status": "401"});
        return json_response(401, &body);
    }
    match fault {
        Some(FaultAction::Status { status, message }) => {
            let reason = StatusCode::from_u16(status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("Error");
            let mut response = json_response(
                status,
                &json!({"message": message.as_deref().unwrap_or(reason),
                        "documentation_url": api::DOCS_URL}),
            );
            control.budget.spend();
            add_rate_headers(&mut response, &control.budget);
            return response;
        }
        Some(FaultAction::PrimaryRateLimit) => {
            let mut exhausted = control.budget;
            exhausted.remaining = 0;
            return primary_rate_limited(&exhausted, viewer_id);
        }
        Some(FaultAction::SecondaryRateLimit { retry_after }) => {
            let mut response = json_response(
                403,
                &json!({
                    "message": format!(
                        "You have exceeded a secondary rate limit. Please wait a few minutes \
                         before you try again. If you reach out to GitHub Support for help, \
                         please include the request ID {request_id}."
                    ),
                    "documentation_url": format!("{RATE_LIMIT_DOCS}#about-secondary-rate-limits"),
                }),
            );
            set_header(&mut response, "retry-after", &retry_after.to_string());
            add_rate_headers(&mut response, &control.budget);
            return response;
        }
        Some(FaultAction::Delay { .. }) | None => {}
    }
    if method == Method::GET && path == "/rate_limit" {
        let rate = control.budget.to_json();
        let body = json!({"resources": {"core": rate}, "rate": rate});
        let mut response = json_response(200, &body);
        add_rate_headers(&mut response, &control.budget);
        return response;
    }
    if control.budget.remaining == 0 {
        return primary_rate_limited(&control.budget, viewer_id);
    }
    let body: Value = if bytes.is_empty() {
        Value::Null
    } else {
        match serde_json::from_slice(bytes) {
            Ok(value) => value,
            Err(_) => {
                control.budget.spend();
                let mut response = json_response(
                    400,
                    &json!({"message": "Problems parsing JSON", "documentation_url": api::DOCS_URL}),
                );
                add_rate_headers(&mut response, &control.budget);
                return response;
            }
        }
    };
    let now = clock::now_rfc3339();
    let request = ApiRequest {
        method: method.as_str(),
        segments: path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(percent_decode)
            .collect(),
        query,
        body: &body,
        now: &now,
        actor: &actor,
    };
    let reply = {
        let mut state = lock(&shared.state);
        api::dispatch(&mut state, &shared.urls, &request)
    };
    let (status, payload, link) = materialize(reply, query, link_base);
    let is_get = method == Method::GET;
    let etag = (is_get && status == 200).then(|| weak_etag(&payload));
    if let (Some(etag), Some(condition)) = (&etag, header_text(headers, header::IF_NONE_MATCH))
        && etag_matches(&condition, etag)
    {
        // A 304 does not count against the primary rate limit.
        let mut response = empty_response(304);
        set_header(&mut response, "etag", etag);
        add_rate_headers(&mut response, &control.budget);
        return response;
    }
    control.budget.spend();
    let mut response = match payload {
        Some(payload) => bytes_response(status, payload),
        None => empty_response(status),
    };
    if let Some(etag) = etag {
        set_header(&mut response, "etag", &etag);
        set_header(
            &mut response,
            "cache-control",
            "private, max-age=60, s-maxage=60",
        );
    }
    if let Some(link) = link {
        set_header(&mut response, "link", &link);
    }
    add_rate_headers(&mut response, &control.budget);
    response
}

/// Turns a reply into (status, serialized body, Link header), paginating lists.
fn materialize(
    reply: Reply,
    query: Option<&str>,
    link_base: &str,
) -> (u16, Option<Vec<u8>>, Option<String>) {
    match reply.body {
        ReplyBody::Empty => (reply.status, None, None),
        ReplyBody::One(value) => (reply.status, Some(to_json_bytes(&value)), None),
        ReplyBody::List { items, envelope } => {
            let page = PageRequest::from_query(query);
            let slice = page.slice(&items).to_vec();
            let link = link_header(link_base, query, page.page, page.last_page(items.len()));
            let value = match envelope {
                Some((mut object, key)) => {
                    object["total_count"] = json!(items.len());
                    object[key] = Value::Array(slice);
                    object
                }
                None => Value::Array(slice),
            };
            (reply.status, Some(to_json_bytes(&value)), link)
        }
    }
}

fn to_json_bytes(value: &Value) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_default()
}

/// `W/"<sha256 of the body>"`, GitHub's weak ETag form.
pub fn weak_etag(payload: &Option<Vec<u8>>) -> String {
    let digest = Sha256::digest(payload.as_deref().unwrap_or_default());
    format!("W/\"{}\"", hex::encode(digest))
}

/// Whether an `If-None-Match` value matches `etag` (weak comparison, lists and `*`).
pub fn etag_matches(condition: &str, etag: &str) -> bool {
    let opaque = |tag: &str| tag.trim().trim_start_matches("W/").to_string();
    condition
        .split(',')
        .any(|candidate| candidate.trim() == "*" || opaque(candidate) == opaque(etag))
}

/// The token of an `Authorization: Bearer <t>` or `token <t>` header.
fn bearer_token(headers: &HeaderMap) -> Option<String> {
    let value = header_text(headers, header::AUTHORIZATION)?;
    let mut words = value.split_whitespace();
    let scheme = words.next()?;
    let token = words.next()?;
    (scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("token"))
        .then(|| token.to_string())
}

/// Whether a token has a JWT's shape (three non-empty dot-separated parts). The fake does
/// not verify App JWT signatures.
fn looks_like_jwt(token: &str) -> bool {
    let parts: Vec<&str> = token.split('.').collect();
    parts.len() == 3 && parts.iter().all(|p| !p.is_empty())
}

fn primary_rate_limited(budget: &RateBudget, viewer_id: u64) -> Response {
    let mut response = json_response(
        403,
        &json!({
            "message": format!("API rate limit exceeded for user ID {viewer_id}."),
            "documentation_url": RATE_LIMIT_DOCS,
        }),
    );
    add_rate_headers(&mut response, budget);
    response
}

fn header_text(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

fn set_header(response: &mut Response, name: &'static str, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        response.headers_mut().insert(name, value);
    }
}

fn add_rate_headers(response: &mut Response, budget: &RateBudget) {
    for (name, value) in budget.headers() {
        set_header(response, name, &value);
    }
}

fn status_code(status: u16) -> StatusCode {
    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

fn empty_response(status: u16) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = status_code(status);
    response
}

fn bytes_response(status: u16, payload: Vec<u8>) -> Response {
    let mut response = Response::new(Body::from(payload));
    *response.status_mut() = status_code(status);
    set_header(
        &mut response,
        "content-type",
        "application/json; charset=utf-8",
    );
    set_header(
        &mut response,
        "x-github-media-type",
        "github.v3; format=json",
    );
    set_header(&mut response, "x-github-api-version-selected", "2022-11-28");
    response
}

/// A JSON response with GitHub's content type.
pub fn json_response(status: u16, value: &Value) -> Response {
    bytes_response(status, to_json_bytes(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etag_comparison_is_weak_and_handles_lists() {
        let etag = "W/\"abc\"";
        let cases = [
            ("W/\"abc\"", true),
            ("\"abc\"", true),
            ("\"x\", W/\"abc\"", true),
            ("*", true),
            ("W/\"abd\"", false),
        ];
        for (condition, want) in cases {
            assert_eq!(etag_matches(condition, etag), want, "{condition}");
        }
    }

    #[test]
    fn journal_drops_the_oldest_tenth_when_full() {
        let mut entries: Vec<usize> = (0..JOURNAL_LIMIT).collect();
        keep_within_limit(&mut entries);
        assert_eq!(entries.len(), JOURNAL_LIMIT - JOURNAL_LIMIT / 10);
        assert_eq!(entries.first(), Some(&(JOURNAL_LIMIT / 10)));
        let mut short = vec![1, 2, 3];
        keep_within_limit(&mut short);
        assert_eq!(short, vec![1, 2, 3]);
    }

    #[test]
    fn etag_depends_on_body() {
        let a = weak_etag(&Some(b"[1]".to_vec()));
        let b = weak_etag(&Some(b"[2]".to_vec()));
        assert_ne!(a, b);
        assert!(a.starts_with("W/\"") && a.ends_with('"'));
    }
}
