//! crier's Prometheus metrics (prefix `crier_`): reports by outcome, reporting lag and
//! failures by error variant.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// The labels of a report count (Prow's `crier_reporting_results{reporter, result}` plus the
/// reported state).
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReportLabels {
    /// Always `github-reporter`.
    pub reporter: String,
    /// `success` or `error`.
    pub result: String,
    /// The ProwJob state reported (`pending`, `success`, ...).
    pub state: String,
}

/// The label of a failure count: the error variant.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ErrorLabels {
    /// The [`crate::Error`] variant name.
    pub error: String,
}

/// Buckets of the reporting lag, in seconds.
const LAG_BUCKETS: [f64; 12] = [
    0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0,
];

fn lag_histogram() -> Histogram {
    Histogram::new(LAG_BUCKETS)
}

/// crier's metrics.
#[derive(Debug, Clone)]
pub struct Metrics {
    /// Reports attempted, by result and state.
    pub reports: Family<ReportLabels, Counter>,
    /// Seconds from the state change (start, pending or completion time) to its report.
    pub report_lag: Histogram,
    /// Failures by error variant.
    pub errors: Family<ErrorLabels, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            reports: Family::default(),
            report_lag: lag_histogram(),
            errors: Family::default(),
        }
    }
}

impl Metrics {
    /// New metrics registered in `registry`.
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = Metrics::default();
        registry.register(
            "reporting_results",
            "Reports to GitHub, by reporter, result and reported state",
            metrics.reports.clone(),
        );
        registry.register(
            "report_lag_seconds",
            "Seconds from a ProwJob state change to its report on GitHub",
            metrics.report_lag.clone(),
        );
        registry.register(
            "errors",
            "Failures by error variant",
            metrics.errors.clone(),
        );
        metrics
    }

    /// Counts a report of `state` with `result` (`success` or `error`).
    pub fn count_report(&self, state: &str, result: &str) {
        self.reports
            .get_or_create(&ReportLabels {
                reporter: crate::selection::REPORTER_NAME.to_string(),
                result: result.to_string(),
                state: state.to_string(),
            })
            .inc();
    }

    /// How many reports of `state` ended with `result`.
    pub fn report_count(&self, state: &str, result: &str) -> u64 {
        self.reports
            .get_or_create(&ReportLabels {
                reporter: crate::selection::REPORTER_NAME.to_string(),
                result: result.to_string(),
                state: state.to_string(),
            })
            .get()
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
