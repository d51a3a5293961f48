//! Prometheus metrics of the GitHub client. Requests are labelled by route *template*
//! (`/repos/{owner}/{repo}/pulls/{number}`), never by raw path, so cardinality stays bounded.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// Labels of one finished request attempt.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct RequestLabels {
    /// HTTP method.
    pub method: String,
    /// Route template.
    pub route: String,
    /// HTTP status code, or `transport` / `timeout` when no response came.
    pub status: String,
}

/// Labels of a route.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct RouteLabels {
    /// HTTP method.
    pub method: String,
    /// Route template.
    pub route: String,
}

/// Labels of a retry.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct RetryLabels {
    /// Route template.
    pub route: String,
    /// `server_error`, `transport`, `rate_limit`.
    pub reason: String,
}

fn duration_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.005, 2.0, 14))
}

/// The client's metrics. Cheap to clone (shared handles); register them once per process with
/// [`ClientMetrics::register`].
#[derive(Debug, Clone)]
pub struct ClientMetrics {
    /// Requests sent, by method, route and status.
    pub requests: Family<RequestLabels, Counter>,
    /// Request durations in seconds, by method and route.
    pub request_duration: Family<RouteLabels, Histogram, fn() -> Histogram>,
    /// Retries, by route and reason.
    pub retries: Family<RetryLabels, Counter>,
    /// Conditional requests answered `304 Not Modified` from the ETag cache.
    pub cache_hits: Counter,
    /// Last `X-RateLimit-Remaining` seen.
    pub rate_limit_remaining: Gauge,
}

impl Default for ClientMetrics {
    fn default() -> Self {
        Self {
            requests: Family::default(),
            request_duration: Family::new_with_constructor(duration_histogram),
            retries: Family::default(),
            cache_hits: Counter::default(),
            rate_limit_remaining: Gauge::default(),
        }
    }
}

impl ClientMetrics {
    /// Registers every metric in `registry` (names get the registry's prefix, e.g. `hook_`).
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "github_requests",
            "GitHub API requests by method, route template and status",
            self.requests.clone(),
        );
        registry.register(
            "github_request_duration_seconds",
            "GitHub API request duration by method and route template",
            self.request_duration.clone(),
        );
        registry.register(
            "github_retries",
            "GitHub API retries by route template and reason",
            self.retries.clone(),
        );
        registry.register(
            "github_etag_cache_hits",
            "GitHub API conditional requests answered 304 from the ETag cache",
            self.cache_hits.clone(),
        );
        registry.register(
            "github_rate_limit_remaining",
            "Last X-RateLimit-Remaining reported by GitHub",
            self.rate_limit_remaining.clone(),
        );
    }

    /// Counts one finished attempt.
    pub(crate) fn observe(&self, method: &str, route: &str, status: &str, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_string(),
                route: route.to_string(),
                status: status.to_string(),
            })
            .inc();
        self.request_duration
            .get_or_create(&RouteLabels {
                method: method.to_string(),
                route: route.to_string(),
            })
            .observe(seconds);
    }

    /// Counts one retry.
    pub(crate) fn retried(&self, route: &str, reason: &str) {
        self.retries
            .get_or_create(&RetryLabels {
                route: route.to_string(),
                reason: reason.to_string(),
            })
            .inc();
    }
}
