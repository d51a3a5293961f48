//! hook's Prometheus metrics (prefix `hook_` when registered under `hook`).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

/// Labels of `webhook_events_total`: the event type (`X-GitHub-Event`, bounded by GitHub).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct EventLabels {
    /// The event type.
    pub event_type: String,
}

/// Labels of `webhook_rejections_total`: why a request was refused.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RejectionLabels {
    /// The rejection reason (a fixed, small set of names).
    pub reason: String,
}

/// Labels of `plugin_errors_total`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PluginErrorLabels {
    /// The plugin name.
    pub plugin: String,
    /// `error`, `panic` or `timeout`.
    pub kind: String,
}

/// Labels of `plugin_runs_total`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PluginLabels {
    /// The plugin name.
    pub plugin: String,
}

/// Every metric hook records.
#[derive(Clone, Debug, Default)]
pub struct HookMetrics {
    /// Accepted (signed, parsed, queued) events by type.
    pub events: Family<EventLabels, Counter>,
    /// Refused requests by reason.
    pub rejections: Family<RejectionLabels, Counter>,
    /// Deliveries ignored because their id was already handled.
    pub duplicates: Counter,
    /// Plugin runs by plugin.
    pub plugin_runs: Family<PluginLabels, Counter>,
    /// Plugin failures by plugin and kind.
    pub plugin_errors: Family<PluginErrorLabels, Counter>,
    /// Configuration reloads that were refused (the last good configuration stays).
    pub config_reload_failures: Counter,
    /// Successful configuration reloads.
    pub config_reloads: Counter,
    /// Events queued or being handled.
    pub events_in_flight: Gauge,
}

impl HookMetrics {
    /// Registers every metric in `registry` (pass `registry.sub_registry_with_prefix("hook")`).
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = HookMetrics::default();
        registry.register(
            "webhook_events",
            "Webhook events accepted, by event type",
            metrics.events.clone(),
        );
        registry.register(
            "webhook_rejections",
            "Webhook requests refused, by reason",
            metrics.rejections.clone(),
        );
        registry.register(
            "webhook_duplicates",
            "Webhook deliveries ignored as already handled (same X-GitHub-Delivery)",
            metrics.duplicates.clone(),
        );
        registry.register(
            "plugin_runs",
            "Plugin invocations, by plugin",
            metrics.plugin_runs.clone(),
        );
        registry.register(
            "plugin_errors",
            "Plugin failures, by plugin and kind (error, panic, timeout)",
            metrics.plugin_errors.clone(),
        );
        registry.register(
            "config_reload_failures",
            "Configuration reloads refused; the last good configuration stays in force",
            metrics.config_reload_failures.clone(),
        );
        registry.register(
            "config_reloads",
            "Configuration reloads applied",
            metrics.config_reloads.clone(),
        );
        registry.register(
            "events_in_flight",
            "Webhook events queued or being handled",
            metrics.events_in_flight.clone(),
        );
        metrics
    }

    /// Counts a refused request.
    pub fn reject(&self, reason: &str) {
        self.rejections
            .get_or_create(&RejectionLabels {
                reason: reason.to_string(),
            })
            .inc();
    }

    /// Counts a plugin failure.
    pub fn plugin_failed(&self, plugin: &str, kind: &str) {
        self.plugin_errors
            .get_or_create(&PluginErrorLabels {
                plugin: plugin.to_string(),
                kind: kind.to_string(),
            })
            .inc();
    }

    /// The number of failures of `plugin` of `kind` so far (for tests and diagnostics).
    pub fn plugin_failures(&self, plugin: &str, kind: &str) -> u64 {
        self.plugin_errors
            .get_or_create(&PluginErrorLabels {
                plugin: plugin.to_string(),
                kind: kind.to_string(),
            })
            .get()
    }
}
