//! Dispatch: run every plugin enabled for an event's repository, concurrently and isolated.
//!
//! Each plugin runs in its own task with a timeout: an error, a panic or a timeout in one is
//! logged with the plugin's name and counted in `hook_plugin_errors_total{plugin,kind}`, and
//! never stops the others. Forwards to external plugins ([`crate::external_plugins`]) are
//! counted the same way, named `external:<name>`, but run detached from the event (as
//! Prow's): an unreachable plugin retrying its connection never holds an event slot. They
//! are tracked so a shutdown waits for them ([`Dispatcher::wait_for_forwards`]), and bounded:
//! at most [`MAX_CONCURRENT_FORWARDS`] run at once (an unreachable endpoint's DNS lookups
//! occupy blocking threads) and at most [`MAX_PENDING_FORWARDS`] wait; beyond that a forward
//! is dropped, logged and counted (`kind="backlog"`), so a dead plugin cannot grow hook's
//! memory. The cost per event is a lookup of the repository's plugin list
//! (a map lookup), independent of the number of jobs or repositories configured.

use std::sync::Arc;
use std::time::Duration;

use prow_config::Loaded;
use prow_github::webhook::Event;
use tokio::task::JoinSet;

use crate::external_plugins::{ExternalForwarder, Forward};
use crate::metrics::{HookMetrics, PluginLabels};
use crate::plugin::{Delivery, Plugin, Services};
use crate::registry::PluginRegistry;

/// Forwards to external plugins in flight at once.
pub const MAX_CONCURRENT_FORWARDS: usize = 32;
/// Forwards waiting or in flight before new ones are dropped.
pub const MAX_PENDING_FORWARDS: usize = 1024;

/// The default time one plugin may take for one event.
pub const DEFAULT_PLUGIN_TIMEOUT: Duration = Duration::from_secs(120);

/// One event to handle, owned (it crosses task boundaries).
#[derive(Debug, Clone)]
pub struct QueuedEvent {
    /// The parsed event.
    pub event: Arc<Event>,
    /// `X-GitHub-Delivery`.
    pub delivery_id: Arc<str>,
    /// The configuration in force when the delivery arrived.
    pub config: Arc<Loaded>,
    /// The raw delivery, kept only when external plugins receive it.
    pub forward: Option<Arc<Forward>>,
}

/// How one plugin's run for one event ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PluginOutcome {
    /// It returned `Ok`.
    Succeeded,
    /// It returned an error (the message).
    Failed(String),
    /// It panicked.
    Panicked,
    /// It did not finish within the timeout.
    TimedOut,
}

/// Runs plugins for events.
pub struct Dispatcher {
    registry: Arc<PluginRegistry>,
    services: Services,
    metrics: HookMetrics,
    plugin_timeout: Duration,
    external: Option<ExternalForwarder>,
    forwards: tokio_util::task::TaskTracker,
    forward_slots: Arc<tokio::sync::Semaphore>,
    pending_forwards: Arc<std::sync::atomic::AtomicUsize>,
}

impl std::fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dispatcher")
            .field("registry", &self.registry)
            .field("plugin_timeout", &self.plugin_timeout)
            .finish_non_exhaustive()
    }
}

impl Dispatcher {
    /// A dispatcher over `registry` giving plugins `services`.
    pub fn new(
        registry: Arc<PluginRegistry>,
        services: Services,
        metrics: HookMetrics,
        plugin_timeout: Duration,
    ) -> Self {
        Dispatcher {
            registry,
            services,
            metrics,
            plugin_timeout,
            external: None,
            forwards: tokio_util::task::TaskTracker::new(),
            forward_slots: Arc::new(tokio::sync::Semaphore::new(MAX_CONCURRENT_FORWARDS)),
            pending_forwards: Arc::new(std::sync::atomic::AtomicUsize::new(0)),
        }
    }

    /// Forwards deliveries to the external plugins configured for them through `forwarder`
    /// (without one, `external_plugins` are not called).
    pub fn with_external_plugins(mut self, forwarder: ExternalForwarder) -> Self {
        self.external = Some(forwarder);
        self
    }

    /// The plugins enabled for the event's repository (none for events without one).
    pub fn plugins_for(&self, event: &Event, config: &Loaded) -> Vec<Arc<dyn Plugin>> {
        let (Some(repo), Some(plugins)) = (event.repository(), config.plugins.as_ref()) else {
            return Vec::new();
        };
        self.registry
            .resolve(plugins.plugins_for(&repo.owner.login, &repo.name))
    }

    /// Runs every enabled plugin on `queued` and waits for all of them; returns each
    /// plugin's outcome, in no particular order.
    pub async fn dispatch(&self, queued: QueuedEvent) -> Vec<(String, PluginOutcome)> {
        let plugins = self.plugins_for(&queued.event, &queued.config);
        let mut runs = JoinSet::new();
        let mut names: Vec<(tokio::task::Id, String)> = Vec::with_capacity(plugins.len());
        for plugin in plugins {
            let name = plugin.name();
            self.count_run(name);
            let services = self.services.clone();
            let queued = queued.clone();
            let timeout = self.plugin_timeout;
            let handle = runs.spawn(async move {
                let delivery = Delivery {
                    event: &queued.event,
                    delivery_id: &queued.delivery_id,
                    config: &queued.config,
                };
                tokio::time::timeout(timeout, plugin.handle(&services, &delivery)).await
            });
            names.push((handle.id(), name.to_string()));
        }
        self.forward(&queued);
        let mut outcomes = Vec::with_capacity(names.len());
        while let Some(joined) = runs.join_next_with_id().await {
            let (id, outcome) = match joined {
                Ok((id, Ok(Ok(())))) => (id, PluginOutcome::Succeeded),
                Ok((id, Ok(Err(err)))) => (id, PluginOutcome::Failed(err.to_string())),
                Ok((id, Err(_elapsed))) => (id, PluginOutcome::TimedOut),
                Err(join_error) => (join_error.id(), PluginOutcome::Panicked),
            };
            let name = names
                .iter()
                .find(|(task, _)| *task == id)
                .map_or("unknown", |(_, name)| name.as_str());
            self.record(name, &queued, &outcome);
            outcomes.push((name.to_string(), outcome));
        }
        outcomes
    }

    /// Sends `queued` to its external plugins in tracked background tasks.
    fn forward(&self, queued: &QueuedEvent) {
        let (Some(forward), Some(forwarder)) = (&queued.forward, &self.external) else {
            return;
        };
        for plugin in &forward.plugins {
            let name = format!("external:{}", plugin.name);
            self.count_run(&name);
            let pending = self
                .pending_forwards
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            if pending >= MAX_PENDING_FORWARDS {
                self.pending_forwards
                    .fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
                tracing::error!(plugin = %name, delivery = %queued.delivery_id, "too many forwards to external plugins pending; dropped");
                self.metrics.plugin_failed(&name, "backlog");
                continue;
            }
            let (slots, pending) = (
                Arc::clone(&self.forward_slots),
                Arc::clone(&self.pending_forwards),
            );
            let (forward, forwarder, plugin) =
                (Arc::clone(forward), forwarder.clone(), plugin.clone());
            let (metrics, timeout) = (self.metrics.clone(), self.plugin_timeout);
            let (event_type, delivery) = (
                queued.event.kind().to_string(),
                Arc::clone(&queued.delivery_id),
            );
            self.forwards.spawn(async move {
                let _slot = slots.acquire_owned().await;
                let _pending = PendingForward(pending);
                let error = match tokio::time::timeout(timeout, forwarder.send(&plugin, &forward)).await {
                    Ok(Ok(())) => return,
                    Ok(Err(error)) => error,
                    Err(_) => format!("no answer within {timeout:?}"),
                };
                tracing::error!(plugin = %name, event_type = %event_type, delivery = %delivery, error = %error, "external plugin failed");
                metrics.plugin_failed(&name, "error");
            });
        }
    }

    /// Waits until every forward to an external plugin started so far has finished.
    pub async fn wait_for_forwards(&self) {
        self.forwards.close();
        self.forwards.wait().await;
    }

    fn count_run(&self, plugin: &str) {
        self.metrics
            .plugin_runs
            .get_or_create(&PluginLabels {
                plugin: plugin.to_string(),
            })
            .inc();
    }

    fn record(&self, plugin: &str, queued: &QueuedEvent, outcome: &PluginOutcome) {
        let event_type = queued.event.kind();
        let delivery = &*queued.delivery_id;
        match outcome {
            PluginOutcome::Succeeded => {}
            PluginOutcome::Failed(error) => {
                tracing::error!(plugin, event_type, delivery, error = %error, "plugin failed");
                self.metrics.plugin_failed(plugin, "error");
            }
            PluginOutcome::Panicked => {
                tracing::error!(plugin, event_type, delivery, "plugin panicked");
                self.metrics.plugin_failed(plugin, "panic");
            }
            PluginOutcome::TimedOut => {
                tracing::error!(
                    plugin,
                    event_type,
                    delivery,
                    timeout_seconds = self.plugin_timeout.as_secs_f64(),
                    "plugin timed out"
                );
                self.metrics.plugin_failed(plugin, "timeout");
            }
        }
    }
}

/// Counts a forward as pending until dropped.
struct PendingForward(Arc<std::sync::atomic::AtomicUsize>);

impl Drop for PendingForward {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}
