//! The sinker loop: a sweep at start and then every `sinker.resync_period` (re-read from the
//! hot-reloaded configuration), only while this replica leads.

use std::time::Duration;

use jiff::Timestamp;
use kube::Client;
use prow_config::{ReloadOutcome, Reloader};
use prow_kube::build_clusters::BuildClusters;
use prow_kube::leader::LeaderState;
use tokio_util::sync::CancellationToken;

use crate::metrics::Metrics;
use crate::sweep::sweep;

/// How often the loop checks whether it leads while it waits for the next sweep.
const LEADERSHIP_POLL: Duration = Duration::from_secs(5);

/// Sweeps until `shutdown` is cancelled. A failed sweep is logged and counted; the next
/// period tries again.
pub async fn run_sinker(
    client: Client,
    clusters: BuildClusters,
    mut reloader: Reloader,
    mut leading: LeaderState,
    metrics: Metrics,
    dry_run: bool,
    shutdown: CancellationToken,
) {
    loop {
        // wait until this replica leads
        while !*leading.borrow_and_update() {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = leading.changed() => {}
                _ = tokio::time::sleep(LEADERSHIP_POLL) => {}
            }
        }
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
        metrics.sweeps.inc();
        match sweep(
            &client,
            &clusters,
            config,
            Timestamp::now(),
            dry_run,
            &metrics,
        )
        .await
        {
            Ok(report) => {
                for error in &report.errors {
                    tracing::warn!(%error, "sinker deletion failed");
                }
                tracing::info!(
                    prowjobs = report.prowjobs_listed,
                    pods = report.pods_listed,
                    planned = report.planned.len(),
                    deleted = report.deleted.len(),
                    errors = report.errors.len(),
                    dry_run,
                    "sweep done"
                );
            }
            Err(error) => {
                tracing::warn!(%error, "sweep failed");
                metrics.count_error(&error);
            }
        }
        let period = config
            .prow
            .sinker
            .resync_period
            .0
            .max(Duration::from_secs(1));
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(period) => {}
        }
    }
}
