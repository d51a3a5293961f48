//! The Prometheus metrics of branch-protector (prefix `branch_protector` in the process
//! registry).

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

/// Label pairs of a metric family.
type Labels = Vec<(String, String)>;

/// Counters of protection passes.
#[derive(Clone, Debug, Default)]
pub struct Metrics {
    /// Passes run.
    pub runs: Counter,
    /// Repositories checked (archived ones excluded).
    pub repos_checked: Counter,
    /// Branches whose policy was evaluated.
    pub branches_checked: Counter,
    /// Changes by `kind` (`put`, `delete`) and `applied` (`true`, `false` in dry-run mode or
    /// on failure).
    pub changes: Family<Labels, Counter>,
    /// Errors by `error` (the error variant).
    pub errors: Family<Labels, Counter>,
}

impl Metrics {
    /// Registers every counter in `registry`.
    pub fn register(&self, registry: &mut Registry) {
        registry.register("runs", "Protection passes run", self.runs.clone());
        registry.register(
            "repos_checked",
            "Repositories checked",
            self.repos_checked.clone(),
        );
        registry.register(
            "branches_checked",
            "Branches whose protection policy was evaluated",
            self.branches_checked.clone(),
        );
        registry.register(
            "changes",
            "Branch protection changes by kind (put, delete) and whether they were applied",
            self.changes.clone(),
        );
        registry.register("errors", "Errors by error kind", self.errors.clone());
    }

    /// Counts a planned change.
    pub fn change(&self, kind: &str, applied: bool) {
        self.changes
            .get_or_create(&vec![
                ("kind".to_string(), kind.to_string()),
                ("applied".to_string(), applied.to_string()),
            ])
            .inc();
    }

    /// Counts an error of kind `kind`.
    pub fn error(&self, kind: &str) {
        self.errors
            .get_or_create(&vec![("error".to_string(), kind.to_string())])
            .inc();
    }

    /// The value of the change counter for (`kind`, `applied`).
    pub fn changes_of(&self, kind: &str, applied: bool) -> u64 {
        self.changes
            .get_or_create(&vec![
                ("kind".to_string(), kind.to_string()),
                ("applied".to_string(), applied.to_string()),
            ])
            .get()
    }
}

#[cfg(test)]
mod tests {
    use prometheus_client::encoding::text::encode;

    use super::*;

    #[test]
    fn metrics_are_exposed_with_labels() {
        let metrics = Metrics::default();
        let mut registry = Registry::with_prefix("branch_protector");
        metrics.register(&mut registry);
        metrics.repos_checked.inc();
        metrics.change("put", true);
        metrics.change("put", true);
        metrics.change("delete", false);
        metrics.error("GetRepo");
        let mut text = String::new();
        encode(&mut text, &registry).expect("encodes");
        for line in [
            "branch_protector_repos_checked_total 1",
            "branch_protector_changes_total{kind=\"put\",applied=\"true\"} 2",
            "branch_protector_changes_total{kind=\"delete\",applied=\"false\"} 1",
            "branch_protector_errors_total{error=\"GetRepo\"} 1",
        ] {
            assert!(text.contains(line), "{line} missing from\n{text}");
        }
        assert_eq!(metrics.changes_of("put", true), 2);
    }
}
