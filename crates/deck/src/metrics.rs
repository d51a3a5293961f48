//! deck's own Prometheus metrics (prefix `deck_`), besides the HTTP metrics by route:
//! ProwJobs in the cache and visible, and the snapshot generation.

use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use crate::job_cache::JobCache;

/// deck's gauges.
#[derive(Debug, Clone, Default)]
pub struct Metrics {
    /// ProwJobs in the cache, hidden ones included.
    pub cached: Gauge,
    /// ProwJobs deck shows.
    pub visible: Gauge,
    /// Snapshots built since start.
    pub snapshots: Gauge,
}

impl Metrics {
    /// New gauges registered in `registry`.
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = Metrics::default();
        registry.register(
            "prowjobs_cached",
            "ProwJobs in the watch cache, hidden ones included",
            metrics.cached.clone(),
        );
        registry.register(
            "prowjobs_visible",
            "ProwJobs deck shows",
            metrics.visible.clone(),
        );
        registry.register(
            "snapshots",
            "Snapshots of the job list built since start",
            metrics.snapshots.clone(),
        );
        metrics
    }

    /// Reads the gauges from `cache`.
    pub fn observe(&self, cache: &JobCache) {
        let snapshot = cache.snapshot();
        self.cached
            .set(i64::try_from(cache.cached_count()).unwrap_or(i64::MAX));
        self.visible
            .set(i64::try_from(snapshot.len()).unwrap_or(i64::MAX));
        self.snapshots
            .set(i64::try_from(snapshot.generation()).unwrap_or(i64::MAX));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::visibility::Visibility;
    use prow_api::{ProwJob, ProwJobSpec, ProwJobType};

    #[test]
    fn gauges_follow_the_cache() {
        let mut registry = Registry::with_prefix("deck");
        let metrics = Metrics::register(&mut registry);
        let mut hidden = ProwJobSpec::new(ProwJobType::Periodic, "h");
        hidden.hidden = true;
        let cache = JobCache::with_jobs(
            Visibility::default(),
            [
                ProwJob::new("a", ProwJobSpec::new(ProwJobType::Periodic, "a")),
                ProwJob::new("h", hidden),
            ],
        );
        metrics.observe(&cache);
        let text = prow_kube::metrics::encode_registry(&registry).expect("encode");
        assert!(text.contains("deck_prowjobs_cached 2"), "{text}");
        assert!(text.contains("deck_prowjobs_visible 1"), "{text}");
    }
}
