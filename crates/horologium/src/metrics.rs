//! Horologium's Prometheus metrics (prefix `horologium_`).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

/// The label of an error count: the error variant.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ErrorLabels {
    /// The [`crate::Error`] variant name.
    pub error: String,
}

/// Counters of the periodic scheduler.
#[derive(Debug, Clone, Default)]
pub struct Metrics {
    /// Rounds run while leading.
    pub syncs: Counter,
    /// ProwJobs created.
    pub runs_started: Counter,
    /// Due runs whose ProwJob already existed.
    pub runs_already_started: Counter,
    /// Failures by error variant.
    pub errors: Family<ErrorLabels, Counter>,
}

impl Metrics {
    /// New counters registered in `registry`.
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = Metrics::default();
        registry.register("syncs", "Rounds run while leading", metrics.syncs.clone());
        registry.register(
            "runs_started",
            "Periodic ProwJobs created",
            metrics.runs_started.clone(),
        );
        registry.register(
            "runs_already_started",
            "Due periodic runs whose ProwJob already existed",
            metrics.runs_already_started.clone(),
        );
        registry.register(
            "errors",
            "Failures by error variant",
            metrics.errors.clone(),
        );
        metrics
    }

    /// Counts `error`.
    pub fn count_error(&self, error: &crate::Error) {
        self.errors
            .get_or_create(&ErrorLabels {
                error: error.variant_name().to_string(),
            })
            .inc();
    }
}
