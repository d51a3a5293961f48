//! The horologium loop: every `horologium.tick_interval` (re-read from the hot-reloaded
//! configuration), reload the configuration and, while this replica leads, run one
//! [`sync_periodics`] round.

use std::time::Duration;

use jiff::Timestamp;
use kube::Client;
use prow_config::{ReloadOutcome, Reloader};
use prow_kube::leader::LeaderState;
use tokio_util::sync::CancellationToken;

use crate::metrics::Metrics;
use crate::sync::sync_periodics;

/// Runs rounds until `shutdown` is cancelled. Never returns an error: a failed round is
/// logged and counted, and the next tick tries again.
pub async fn run_periodics(
    client: Client,
    mut reloader: Reloader,
    leading: LeaderState,
    metrics: Metrics,
    dry_run: bool,
    shutdown: CancellationToken,
) {
    loop {
        match reloader.reload_if_changed() {
            ReloadOutcome::Unchanged | ReloadOutcome::Reloaded(_) => {}
            ReloadOutcome::Failed(error) => {
                tracing::error!(%error, "config reload failed; keeping the last good config")
            }
            ReloadOutcome::Rejected(problems) => {
                for problem in problems {
                    tracing::error!(%problem, "config reload rejected; keeping the last good config");
                }
            }
        }
        let loaded = reloader.current();
        let config = &loaded.config;
        if *leading.borrow() {
            run_round(&client, config, &metrics, dry_run).await;
        }
        let tick: Duration = config
            .prow
            .horologium
            .tick_interval
            .0
            .max(Duration::from_secs(1));
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(tick) => {}
        }
    }
}

async fn run_round(
    client: &Client,
    config: &prow_config::Config,
    metrics: &Metrics,
    dry_run: bool,
) {
    metrics.syncs.inc();
    let now = Timestamp::now();
    if dry_run {
        let api = kube::Api::<prow_api::ProwJob>::namespaced(
            client.clone(),
            &config.prow.prowjob_namespace,
        );
        match crate::sync::latest_runs(&api).await {
            Ok(latest) => {
                for due in crate::schedule::due_periodics(config, &latest, now) {
                    match due {
                        Ok(due) => {
                            tracing::info!(job = %due.job, prowjob = %due.name, "dry run: would start periodic")
                        }
                        Err(error) => tracing::warn!(%error, "periodic cannot be scheduled"),
                    }
                }
            }
            Err(error) => tracing::warn!(%error, "dry run: cannot list ProwJobs"),
        }
        return;
    }
    match sync_periodics(client, config, now).await {
        Ok(report) => {
            for due in &report.started {
                tracing::info!(job = %due.job, prowjob = %due.name, "started periodic");
            }
            metrics.runs_started.inc_by(report.started.len() as u64);
            metrics
                .runs_already_started
                .inc_by(report.already_started.len() as u64);
            for error in &report.errors {
                tracing::warn!(%error, "periodic not started");
                metrics.count_error(error);
            }
        }
        Err(error) => {
            tracing::warn!(%error, "horologium round failed");
            metrics.count_error(&error);
        }
    }
}
