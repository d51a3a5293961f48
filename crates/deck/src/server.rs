//! deck's HTTP routes (GET and HEAD only) and the security headers on every answer.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use axum::Router;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use jiff::Timestamp;

use crate::api::{Omit, job_page_json, prowjobs_js, valid_js_identifier};
use crate::badge::badge;
use crate::command_help::{self, PluginHelpSource};
use crate::error::Error;
use crate::history_routes;
use crate::job_cache::JobCache;
use crate::job_query::JobQuery;
use crate::pages::job_list;
use crate::pages::layout::PageContext;
use crate::run_routes;
use crate::run_storage::Storage;
use crate::static_files;
use prow_kube::build_clusters::BuildClusters;

/// The Content-Security-Policy of every answer: only deck's own script, style and images,
/// no inline script, no framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Settings taken from the configuration, replaced on reload.
#[derive(Clone, Debug)]
pub struct Settings {
    /// `github.link_url`.
    pub code_host: String,
    /// `deck.spyglass.announcement`.
    pub announcement: String,
    /// `deck.hidden_repos` (also kept out of the command help).
    pub hidden_repos: Vec<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            code_host: "https://github.com".to_string(),
            announcement: String::new(),
            hidden_repos: Vec::new(),
        }
    }
}

impl Settings {
    /// The settings of a loaded configuration.
    pub fn from_config(config: &prow_config::ProwConfig) -> Self {
        Settings {
            code_host: config.github.link_url.clone(),
            announcement: config.deck.spyglass.announcement.clone(),
            hidden_repos: config.deck.hidden_repos.clone(),
        }
    }
}

/// What the handlers share.
#[derive(Clone, Debug)]
pub struct DeckState {
    /// The ProwJob cache.
    pub cache: JobCache,
    /// The current settings.
    pub settings: Arc<RwLock<Settings>>,
    /// Object storage of the runs' files.
    pub storage: Arc<Storage>,
    /// Build cluster clients (Pods and their logs); `None`: Pods are not shown.
    pub clusters: Option<BuildClusters>,
    /// hook's `/plugin-help` URL; `None`: no command help.
    pub plugin_help: Option<Arc<PluginHelpSource>>,
}

impl DeckState {
    /// `deck.hidden_repos` now.
    pub fn hidden_repos(&self) -> Vec<String> {
        self.settings
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .hidden_repos
            .clone()
    }

    /// The context pages render with, now.
    pub fn page_context(&self) -> PageContext {
        let settings = self
            .settings
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone();
        PageContext {
            now: Timestamp::now(),
            code_host: settings.code_host,
            announcement: settings.announcement,
        }
    }
}

type Params = Query<BTreeMap<String, String>>;

/// The routes of deck over `state`.
pub fn router(state: DeckState) -> Router {
    Router::new()
        .route("/", get(job_list_page))
        .route("/api/v1/jobs", get(api_jobs))
        .route("/prowjobs.js", get(api_prowjobs_js))
        .route("/badge.svg", get(badge_svg))
        .route("/static/{file}", get(static_files::serve))
        .route("/api/v1/jobs/{name}", get(run_routes::prowjob_json))
        .route("/job/{name}", get(run_routes::job_page))
        .route("/job/{name}/log", get(run_routes::log_chunk))
        .route("/job/{name}/live-log", get(run_routes::live_log))
        .route("/job/{name}/artifact/{*path}", get(run_routes::artifact))
        .route("/view/{*path}", get(run_routes::view_redirect))
        .route("/job-history/{job}", get(history_routes::job_history))
        .route("/pr-history", get(history_routes::pr_history))
        .route("/command-help", get(command_help::page))
        .with_state(state)
        .layer(axum::middleware::from_fn(security_headers))
}

async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

/// An HTML answer.
pub fn html(body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

/// A JSON answer.
pub fn json(body: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

async fn job_list_page(
    State(state): State<DeckState>,
    Query(params): Params,
) -> Result<Response, Error> {
    let query = JobQuery::from_params(&params)?;
    let snapshot = state.cache.snapshot();
    let page = snapshot.page(&query);
    Ok(html(job_list::render(
        &state.page_context(),
        &snapshot,
        &query,
        &page,
    )))
}

async fn api_jobs(
    State(state): State<DeckState>,
    Query(params): Params,
) -> Result<Response, Error> {
    let query = JobQuery::from_params(&params)?;
    let snapshot = state.cache.snapshot();
    let page = snapshot.page(&query);
    let context = state.page_context();
    Ok(json(job_page_json(
        &snapshot,
        &page,
        &context.code_host,
        context.now,
    )))
}

async fn api_prowjobs_js(
    State(state): State<DeckState>,
    Query(params): Params,
) -> Result<Response, Error> {
    let omit = Omit::parse(params.get("omit").map_or("", String::as_str));
    let var = params
        .get("var")
        .map(String::as_str)
        .filter(|v| !v.is_empty());
    if let Some(var) = var
        && !valid_js_identifier(var)
    {
        return Err(Error::InvalidQuery(crate::job_query::InvalidQuery {
            key: "var",
            value: var.to_string(),
        }));
    }
    let body = prowjobs_js(&state.cache.snapshot(), omit, var);
    let content_type = if var.is_some() {
        "application/javascript"
    } else {
        "application/json"
    };
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response())
}

async fn badge_svg(
    State(state): State<DeckState>,
    Query(params): Params,
) -> Result<Response, Error> {
    let jobs = params
        .get("jobs")
        .filter(|j| !j.is_empty())
        .ok_or(Error::MissingParameter("jobs"))?;
    let svg = badge(&state.cache.snapshot(), jobs);
    Ok((
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        svg,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::{Body, to_bytes};
    use axum::http::{Method, Request, StatusCode};
    use prow_api::{ProwJob, ProwJobSpec, ProwJobState, ProwJobStatus, ProwJobType, Pull, Refs};
    use tower::ServiceExt;

    fn state() -> DeckState {
        let mut spec = ProwJobSpec::new(ProwJobType::Presubmit, "pull-<i>unit</i>");
        spec.refs = Some(Refs {
            org: "k".into(),
            repo: "infra".into(),
            pulls: vec![Pull {
                number: 1,
                author: "mallory".into(),
                title: "<script>alert(1)</script>".into(),
                link: "javascript:alert(2)".into(),
                ..Pull::default()
            }],
            ..Refs::default()
        });
        let mut job = ProwJob::new("visible", spec);
        let mut status = ProwJobStatus::new(ProwJobState::Failure);
        status.description = "<img src=x onerror=alert(3)>".into();
        job.status = Some(status);
        let mut hidden = ProwJobSpec::new(ProwJobType::Periodic, "secret");
        hidden.hidden = true;
        DeckState {
            cache: JobCache::with_jobs(
                crate::visibility::Visibility::default(),
                [job, ProwJob::new("hidden", hidden)],
            ),
            settings: Arc::default(),
            storage: Arc::default(),
            clusters: None,
            plugin_help: None,
        }
    }

    async fn call(method: Method, path: &str) -> (StatusCode, axum::http::HeaderMap, String) {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .body(Body::empty())
            .expect("request");
        let response = router(state()).oneshot(request).await.expect("response");
        let status = response.status();
        let headers = response.headers().clone();
        let body = to_bytes(response.into_body(), 1 << 24).await.expect("body");
        (status, headers, String::from_utf8_lossy(&body).into_owned())
    }

    #[tokio::test]
    async fn job_page_escapes_everything_from_the_prowjob() {
        let (status, headers, html) = call(Method::GET, "/job/visible").await;
        assert_eq!(status, StatusCode::OK);
        assert!(headers.contains_key(header::CONTENT_SECURITY_POLICY));
        for raw in [
            "<script>alert(1)",
            "<img src=x",
            "<i>unit</i>",
            "javascript:",
        ] {
            assert!(!html.contains(raw), "{raw} must not reach the page");
        }
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(html.contains("&lt;img src=x onerror=alert(3)&gt;"));
    }

    #[tokio::test]
    async fn hidden_runs_are_404_and_only_reads_are_routed() {
        let cases = [
            (Method::GET, "/job/hidden", StatusCode::NOT_FOUND),
            (Method::GET, "/api/v1/jobs/hidden", StatusCode::NOT_FOUND),
            (Method::GET, "/job-history/secret", StatusCode::NOT_FOUND),
            (Method::HEAD, "/", StatusCode::OK),
            (Method::POST, "/", StatusCode::METHOD_NOT_ALLOWED),
            (
                Method::DELETE,
                "/api/v1/jobs/visible",
                StatusCode::METHOD_NOT_ALLOWED,
            ),
            (Method::GET, "/static/deck.js", StatusCode::OK),
            (Method::GET, "/static/nothing.js", StatusCode::NOT_FOUND),
        ];
        for (method, path, expected) in cases {
            let (status, headers, _) = call(method.clone(), path).await;
            assert_eq!(status, expected, "{method} {path}");
            assert!(
                headers.contains_key(header::CONTENT_SECURITY_POLICY),
                "CSP on {method} {path}"
            );
        }
        let (_, _, body) = call(Method::GET, "/prowjobs.js").await;
        assert!(
            body.contains("\"visible\"") && !body.contains("secret"),
            "{body}"
        );
    }
}
