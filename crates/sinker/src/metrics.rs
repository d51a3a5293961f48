//! Sinker's Prometheus metrics (prefix `sinker_`): deletions by kind and reason.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

use crate::plan::{Deletion, ObjectKind};

/// The labels of a deletion count.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DeletionLabels {
    /// `prowjob` or `pod`.
    pub kind: String,
    /// Prow's reason (`aged`, `aged-periodic`, `ttled`, `orphaned`).
    pub reason: String,
}

impl DeletionLabels {
    /// The labels of `deletion`.
    pub fn of(deletion: &Deletion) -> Self {
        DeletionLabels {
            kind: match deletion.kind {
                ObjectKind::ProwJob => "prowjob",
                ObjectKind::Pod { .. } => "pod",
            }
            .to_string(),
            reason: deletion.reason.as_str().to_string(),
        }
    }
}

/// The label of an error count: the error variant.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ErrorLabels {
    /// The [`crate::Error`] variant name.
    pub error: String,
}

/// Sinker's counters.
#[derive(Debug, Clone, Default)]
pub struct Metrics {
    /// Sweeps run while leading.
    pub sweeps: Counter,
    /// Deletions planned (also in dry-run mode), by kind and reason.
    pub planned: Family<DeletionLabels, Counter>,
    /// Objects deleted, by kind and reason.
    pub deleted: Family<DeletionLabels, Counter>,
    /// Failures by error variant.
    pub errors: Family<ErrorLabels, Counter>,
}

impl Metrics {
    /// New counters registered in `registry`.
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = Metrics::default();
        registry.register("sweeps", "Sweeps run while leading", metrics.sweeps.clone());
        registry.register(
            "planned_deletions",
            "Deletions planned (also in dry-run mode), by kind and reason",
            metrics.planned.clone(),
        );
        registry.register(
            "deletions",
            "Objects deleted, by kind and reason",
            metrics.deleted.clone(),
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
