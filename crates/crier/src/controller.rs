//! The reporting controller: a kube-runtime `Controller` over the ProwJobs of the ProwJob
//! namespace. Every replica keeps the watch warm; only the leader reports (when it becomes
//! leader, every ProwJob is reconciled). A reconcile reads the ProwJob from the API server
//! (not the cache) before reporting, reports its state when
//! `prev_report_states["github-reporter"]` differs, then records it; failures are retried
//! with exponential backoff per ProwJob.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use futures::StreamExt;
use kube::api::Api;
use kube::runtime::controller::{Action, Config as ControllerConfig, Controller};
use kube::runtime::reflector::Store;
use kube::runtime::watcher;
use kube::{Client, ResourceExt};
use prow_api::{ProwJob, ProwJobState};
use prow_github::GitHub;
use prow_kube::leader::LeaderState;
use tokio_util::sync::CancellationToken;

use crate::Error;
use crate::metrics::Metrics;
use crate::report_state::record_reported;
use crate::reporter::GitHubReporter;
use crate::selection::unreported_state;
use crate::settings_watch::SettingsWatch;

/// First retry delay after a failed report; doubled per consecutive failure.
pub const RETRY_BASE: Duration = Duration::from_millis(500);
/// Longest retry delay.
pub const RETRY_MAX: Duration = Duration::from_secs(300);

/// How the controller runs.
#[derive(Debug, Clone)]
pub struct ReporterOptions {
    /// Namespace of the ProwJobs (`prowjob_namespace`).
    pub namespace: String,
    /// ProwJobs reported at the same time (`--github-workers`).
    pub workers: u16,
    /// Log GitHub writes instead of making them, and record nothing in the ProwJobs.
    pub dry_run: bool,
}

/// What every reconcile shares.
struct Context {
    api: Api<ProwJob>,
    store: Store<ProwJob>,
    reporter: GitHubReporter,
    settings: SettingsWatch,
    leading: LeaderState,
    metrics: Metrics,
    dry_run: bool,
    /// Consecutive failures per ProwJob name, for the backoff.
    failures: Mutex<HashMap<String, u32>>,
    /// Dry-run mode records nothing in the ProwJobs; it remembers here what it logged.
    dry_run_reported: Mutex<HashMap<String, ProwJobState>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The delay before retry number `failures` (1 = first failure).
pub fn retry_delay(failures: u32) -> Duration {
    let factor = 2u32.saturating_pow(failures.saturating_sub(1).min(20));
    RETRY_BASE.saturating_mul(factor).min(RETRY_MAX)
}

/// When the job entered its current state: completion, pending or start time.
fn state_changed_at(job: &ProwJob) -> Option<jiff::Timestamp> {
    let status = job.status.as_ref()?;
    let time = match status.state {
        ProwJobState::Scheduling | ProwJobState::Triggered => status.start_time.as_ref(),
        ProwJobState::Pending => status.pending_time.as_ref(),
        _ => status.completion_time.as_ref(),
    };
    time.or(job.metadata.creation_timestamp.as_ref())
        .map(|time| time.0)
}

async fn reconcile(job: Arc<ProwJob>, ctx: Arc<Context>) -> Result<Action, Error> {
    if !*ctx.leading.borrow() {
        return Ok(Action::await_change());
    }
    let settings = ctx.settings.current();
    if !settings.should_report(&job) || unreported_state(&job).is_none() {
        return Ok(Action::await_change());
    }
    // the cache may lag behind our own last write: decide on a fresh read
    let name = job.name_any();
    let fresh = ctx
        .api
        .get_opt(&name)
        .await
        .map_err(|source| Error::GetProwJob {
            name: name.clone(),
            source,
        })?;
    let Some(fresh) = fresh else {
        return Ok(Action::await_change());
    };
    let Some(state) = unreported_state(&fresh).filter(|_| settings.should_report(&fresh)) else {
        return Ok(Action::await_change());
    };
    let uid = fresh.metadata.uid.clone().unwrap_or_default();
    if ctx.dry_run && lock(&ctx.dry_run_reported).get(&uid) == Some(&state) {
        return Ok(Action::await_change());
    }
    tracing::info!(prowjob = %name, job = %fresh.spec.job, state = state.as_str(), "reporting");
    let reported = ctx
        .reporter
        .report(&fresh, &settings, || ctx.store.state())
        .await;
    if let Err(error) = reported {
        ctx.metrics.count_report(state.as_str(), "error");
        return Err(error);
    }
    if ctx.dry_run {
        lock(&ctx.dry_run_reported).insert(uid.clone(), state);
    } else {
        record_reported(&ctx.api, &fresh, state).await?;
    }
    ctx.reporter.forget(&uid);
    ctx.metrics.count_report(state.as_str(), "success");
    if let Some(changed) = state_changed_at(&fresh) {
        let lag = jiff::Timestamp::now().duration_since(changed);
        ctx.metrics.report_lag.observe(lag.as_secs_f64().max(0.0));
    }
    lock(&ctx.failures).remove(&name);
    Ok(Action::await_change())
}

fn error_policy(job: Arc<ProwJob>, error: &Error, ctx: Arc<Context>) -> Action {
    ctx.metrics.count_error(error);
    let name = job.name_any();
    let failures = {
        let mut failures = lock(&ctx.failures);
        let count = failures.entry(name.clone()).or_insert(0);
        *count += 1;
        *count
    };
    let delay = retry_delay(failures);
    tracing::warn!(prowjob = %name, %error, failures, retry_in = ?delay, "report failed");
    Action::requeue(delay)
}

/// A stream that yields once every time `leading` turns true.
fn on_becoming_leader(leading: LeaderState) -> impl futures::Stream<Item = ()> + Send {
    futures::stream::unfold(leading, |mut leading| async move {
        loop {
            if leading.changed().await.is_err() {
                return None;
            }
            if *leading.borrow_and_update() {
                return Some(((), leading));
            }
        }
    })
}

/// Runs the controller until `shutdown`: reports ProwJobs while `leading`.
pub async fn run_reporter(
    client: Client,
    github: Arc<dyn GitHub>,
    settings: SettingsWatch,
    leading: LeaderState,
    metrics: Metrics,
    options: ReporterOptions,
    shutdown: CancellationToken,
) {
    let api: Api<ProwJob> = Api::namespaced(client, &options.namespace);
    let controller = Controller::new(api.clone(), watcher::Config::default())
        .with_config(ControllerConfig::default().concurrency(options.workers.max(1)))
        .reconcile_all_on(on_becoming_leader(leading.clone()))
        .graceful_shutdown_on({
            let shutdown = shutdown.clone();
            async move { shutdown.cancelled().await }
        });
    let context = Arc::new(Context {
        api,
        store: controller.store(),
        reporter: GitHubReporter::new(github),
        settings,
        leading,
        metrics,
        dry_run: options.dry_run,
        failures: Mutex::new(HashMap::new()),
        dry_run_reported: Mutex::new(HashMap::new()),
    });
    controller
        .run(reconcile, error_policy, context)
        .for_each(|result| async move {
            if let Err(error) = result {
                tracing::debug!(%error, "controller event");
            }
        })
        .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_exponentially_up_to_a_bound() {
        let cases = [
            (1, Duration::from_millis(500)),
            (2, Duration::from_secs(1)),
            (4, Duration::from_secs(4)),
            (10, Duration::from_secs(256)),
            (11, RETRY_MAX),
            (u32::MAX, RETRY_MAX),
        ];
        for (failures, want) in cases {
            assert_eq!(retry_delay(failures), want, "{failures}");
        }
    }
}
