//! plank's Prometheus metrics (prefix `plank_`): jobs by state, state transitions,
//! reconcile durations, errors by variant, Kubernetes API requests and dropped Events.

use std::collections::BTreeMap;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use prow_api::ProwJob;

/// Labels of the jobs-by-state gauge.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StateLabels {
    /// The ProwJob state.
    pub state: String,
}

/// Labels of a state transition.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TransitionLabels {
    /// State before.
    pub from: String,
    /// State after.
    pub to: String,
}

/// Labels of an error count.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ErrorLabels {
    /// The [`crate::Error`] variant name.
    pub error: String,
}

/// Labels of a Kubernetes API request.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ApiRequestLabels {
    /// HTTP method, or `WATCH` for watch requests.
    pub verb: String,
    /// Resource (`pods`, `prowjobs/status`, `events`, ...).
    pub resource: String,
}

fn reconcile_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 4.0, 10))
}

/// Every plank metric; clones share the same values.
#[derive(Debug, Clone)]
pub struct Metrics {
    /// ProwJobs in plank's namespace by state (refreshed from the cache).
    pub jobs: Family<StateLabels, Gauge>,
    /// State changes plank wrote.
    pub transitions: Family<TransitionLabels, Counter>,
    /// Reconcile durations in seconds.
    pub reconcile_duration: Histogram,
    /// Reconcile failures by error variant.
    pub errors: Family<ErrorLabels, Counter>,
    /// Kubernetes API requests sent by plank's clients.
    pub api_requests: Family<ApiRequestLabels, Counter>,
    /// Pods created.
    pub pods_created: Counter,
    /// Events dropped because the Event queue was full.
    pub events_dropped: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            jobs: Family::default(),
            transitions: Family::default(),
            reconcile_duration: reconcile_histogram(),
            errors: Family::default(),
            api_requests: Family::default(),
            pods_created: Counter::default(),
            events_dropped: Counter::default(),
        }
    }
}

impl Metrics {
    /// New metrics registered in `registry`.
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = Metrics::default();
        registry.register("prowjobs", "ProwJobs by state", metrics.jobs.clone());
        registry.register(
            "state_transitions",
            "ProwJob state transitions written by plank",
            metrics.transitions.clone(),
        );
        registry.register(
            "reconcile_duration_seconds",
            "Duration of one ProwJob reconcile",
            metrics.reconcile_duration.clone(),
        );
        registry.register(
            "reconcile_errors",
            "Failed reconciles by error variant",
            metrics.errors.clone(),
        );
        registry.register(
            "kube_api_requests",
            "Kubernetes API requests by verb and resource",
            metrics.api_requests.clone(),
        );
        registry.register("pods_created", "Pods created", metrics.pods_created.clone());
        registry.register(
            "events_dropped",
            "Kubernetes Events dropped because the queue was full",
            metrics.events_dropped.clone(),
        );
        metrics
    }

    /// Counts `error`.
    pub fn count_error(&self, error: &crate::Error) {
        self.errors
            .get_or_create(&ErrorLabels {
                error: error.variant_name().to_owned(),
            })
            .inc();
    }

    /// Counts a state transition.
    pub fn count_transition(&self, from: &str, to: &str) {
        self.transitions
            .get_or_create(&TransitionLabels {
                from: from.to_owned(),
                to: to.to_owned(),
            })
            .inc();
    }

    /// Sets the jobs-by-state gauge from the cached ProwJobs (`none` for jobs without
    /// status).
    pub fn set_job_states<'a>(&self, jobs: impl Iterator<Item = &'a ProwJob>) {
        let mut counts: BTreeMap<&'static str, i64> = prow_api::ProwJobState::ALL
            .iter()
            .map(|state| (state.as_str(), 0))
            .collect();
        for job in jobs {
            let state = job.state().map_or("none", |s| s.as_str());
            *counts.entry(state).or_default() += 1;
        }
        for (state, count) in counts {
            self.jobs
                .get_or_create(&StateLabels {
                    state: state.to_owned(),
                })
                .set(count);
        }
    }

    /// The total of API requests counted so far.
    pub fn api_request_total(&self) -> u64 {
        let mut total = 0;
        for verb in ["GET", "WATCH", "POST", "PUT", "PATCH", "DELETE"] {
            for resource in API_RESOURCES {
                total += self
                    .api_requests
                    .get(&ApiRequestLabels {
                        verb: verb.to_owned(),
                        resource: (*resource).to_owned(),
                    })
                    .map_or(0, |c| c.get());
            }
        }
        total
    }
}

/// Resources the request counter names; anything else is `other`.
pub const API_RESOURCES: &[&str] = &[
    "pods",
    "pods/status",
    "prowjobs",
    "prowjobs/status",
    "events",
    "leases",
    "other",
];
