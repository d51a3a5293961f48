//! Prometheus metrics: one [`Registry`] per process, created with the component's prefix
//! (`Registry::with_prefix("plank")`), and HTTP metrics by matched route for axum routers.
//!
//! Build the registry at startup, register every metric into it, then hand it to the
//! [`crate::admin::AdminServer`], which serves it on `/metrics`.

use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// The content type of the text exposition served on `/metrics`.
pub const OPENMETRICS_CONTENT_TYPE: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Labels of one HTTP request: the matched route (never the raw path), method and status.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpRequestLabels {
    /// The route template, e.g. `/hook` or `/api/prowjobs/{name}`.
    pub route: String,
    /// HTTP method.
    pub method: String,
    /// Response status code.
    pub status: u16,
}

/// Labels of a request duration: route and method.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpRouteLabels {
    /// The route template.
    pub route: String,
    /// HTTP method.
    pub method: String,
}

/// Request counts and durations of an HTTP server, by matched route.
#[derive(Debug, Clone)]
pub struct HttpMetrics {
    requests: Family<HttpRequestLabels, Counter>,
    durations: Family<HttpRouteLabels, Histogram, fn() -> Histogram>,
}

impl HttpMetrics {
    /// Registers `http_requests_total` and `http_request_duration_seconds` in `registry`
    /// (use a sub-registry to tell servers apart, e.g. `registry.sub_registry_with_prefix("admin")`).
    pub fn register(registry: &mut Registry) -> Self {
        let requests = Family::<HttpRequestLabels, Counter>::default();
        let durations: Family<HttpRouteLabels, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(request_duration_histogram);
        registry.register(
            "http_requests",
            "HTTP requests by matched route, method and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request durations by matched route and method",
            durations.clone(),
        );
        HttpMetrics {
            requests,
            durations,
        }
    }

    /// Records one finished request.
    pub fn observe(&self, route: &str, method: &str, status: u16, seconds: f64) {
        self.requests
            .get_or_create(&HttpRequestLabels {
                route: route.to_string(),
                method: method.to_string(),
                status,
            })
            .inc();
        self.durations
            .get_or_create(&HttpRouteLabels {
                route: route.to_string(),
                method: method.to_string(),
            })
            .observe(seconds);
    }

    /// Adds request metrics to every route of `router` (requests that match no route are
    /// not counted, so scanners cannot grow the label set).
    pub fn instrument<S>(&self, router: Router<S>) -> Router<S>
    where
        S: Clone + Send + Sync + 'static,
    {
        router.route_layer(axum::middleware::from_fn_with_state(
            self.clone(),
            record_request,
        ))
    }
}

/// Buckets from 1 ms to about 4.4 minutes, ×4 apart.
fn request_duration_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 4.0, 10))
}

async fn record_request(
    State(metrics): State<HttpMetrics>,
    request: Request,
    next: Next,
) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let method = request.method().as_str().to_string();
    let start = Instant::now();
    let response = next.run(request).await;
    metrics.observe(
        &route,
        &method,
        response.status().as_u16(),
        start.elapsed().as_secs_f64(),
    );
    response
}

/// Renders `registry` in the OpenMetrics text format.
pub fn encode_registry(registry: &Registry) -> Result<String, std::fmt::Error> {
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, registry)?;
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::routing::get;
    use tower::ServiceExt;

    #[tokio::test]
    async fn requests_are_counted_by_route_template_not_path() {
        let mut registry = Registry::with_prefix("deck");
        let metrics = HttpMetrics::register(&mut registry);
        let router: Router = metrics
            .instrument(Router::new().route("/api/prowjobs/{name}", get(|| async { "job" })));
        for path in ["/api/prowjobs/a", "/api/prowjobs/b", "/nowhere"] {
            let request = Request::builder()
                .uri(path)
                .body(Body::empty())
                .expect("request");
            router.clone().oneshot(request).await.expect("response");
        }
        let text = encode_registry(&registry).expect("encode");
        assert!(
            text.contains(
                r#"deck_http_requests_total{route="/api/prowjobs/{name}",method="GET",status="200"} 2"#
            ),
            "{text}"
        );
        assert!(
            !text.contains("/api/prowjobs/a"),
            "raw paths must not be labels: {text}"
        );
        assert!(
            !text.contains("/nowhere"),
            "unmatched requests are not counted: {text}"
        );
        assert!(
            text.contains(r#"deck_http_request_duration_seconds_count{route="/api/prowjobs/{name}",method="GET"} 2"#),
            "{text}"
        );
    }
}
