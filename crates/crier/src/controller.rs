//! The reporting controller: a kube-runtime `Controller` over the ProwJobs of the ProwJob
//! namespace. Every replica keeps the watch warm; only the leader reports (when it becomes
//! leader, every ProwJob is reconciled). A reconcile reports the job's state when
//! `prev_report_states["github-reporter"]` differs, then records it; failures are retried
//! with exponential backoff per ProwJob.
//!
//! Reconciles read the watch cache, which can lag behind crier's own last write. So that a
//! lagging cache never causes a second report, the controller also remembers the state it
//! last recorded per ProwJob uid ([`ReportMemory`]): a cached state equal to it, or earlier in
//! the job's life (triggered < pending < finished), is skipped until the watch catches up.
//! This costs no API request (a GET before every report would double crier's Kubernetes
//! traffic); after a restart the cache comes from a fresh list and the memory starts empty.

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
    /// What was reported per ProwJob uid (in dry-run mode, the only record).
    memory: Mutex<ReportMemory>,
}

/// The state crier last reported per ProwJob uid, pruned of ProwJobs that are gone.
#[derive(Debug, Default)]
pub struct ReportMemory {
    reported: HashMap<String, ProwJobState>,
    prune_at: usize,
}

/// Where a state is in a job's life: triggered (0), pending (1), finished (2).
fn life_stage(state: ProwJobState) -> u8 {
    match state {
        ProwJobState::Scheduling | ProwJobState::Triggered => 0,
        ProwJobState::Pending => 1,
        ProwJobState::Success
        | ProwJobState::Failure
        | ProwJobState::Aborted
        | ProwJobState::Error => 2,
    }
}

impl ReportMemory {
    /// Fewest entries before the memory is pruned.
    const MIN_PRUNE: usize = 1024;

    /// Whether a cached `state` of the ProwJob `uid` was already reported (or is older than
    /// what was): the cache lags behind crier's own write.
    pub fn already_reported(&self, uid: &str, state: ProwJobState) -> bool {
        self.reported
            .get(uid)
            .is_some_and(|last| *last == state || life_stage(state) < life_stage(*last))
    }

    /// Remembers that `state` was reported for `uid`; when the memory has grown, forgets the
    /// uids `live` does not hold.
    pub fn remember(
        &mut self,
        uid: &str,
        state: ProwJobState,
        live: impl FnOnce() -> std::collections::HashSet<String>,
    ) {
        self.reported.insert(uid.to_string(), state);
        if self.reported.len() > self.prune_at.max(Self::MIN_PRUNE) {
            let live = live();
            self.reported.retain(|uid, _| live.contains(uid));
            self.prune_at = 2 * self.reported.len();
        }
    }
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
    let Some(state) = unreported_state(&job).filter(|_| settings.should_report(&job)) else {
        return Ok(Action::await_change());
    };
    let name = job.name_any();
    let uid = job.metadata.uid.clone().unwrap_or_default();
    if lock(&ctx.memory).already_reported(&uid, state) {
        return Ok(Action::await_change());
    }
    tracing::info!(prowjob = %name, job = %job.spec.job, state = state.as_str(), "reporting");
    let reported = ctx
        .reporter
        .report(&job, &settings, || ctx.store.state())
        .await;
    if let Err(error) = reported {
        ctx.metrics.count_report(state.as_str(), "error");
        return Err(error);
    }
    if !ctx.dry_run {
        record_reported(&ctx.api, &job, state).await?;
    }
    lock(&ctx.memory).remember(&uid, state, || {
        ctx.store
            .state()
            .iter()
            .filter_map(|job| job.metadata.uid.clone())
            .collect()
    });
    ctx.reporter.forget(&uid);
    ctx.metrics.count_report(state.as_str(), "success");
    if let Some(changed) = state_changed_at(&job) {
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
        memory: Mutex::new(ReportMemory::default()),
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
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn a_lagging_cache_is_recognised() {
        let mut memory = ReportMemory::default();
        let cases = [
            (ProwJobState::Triggered, false),
            (ProwJobState::Pending, false),
            (ProwJobState::Success, false),
        ];
        for (state, want) in cases {
            assert_eq!(memory.already_reported("uid", state), want, "{state:?}");
        }
        memory.remember("uid", ProwJobState::Pending, HashSet::new);
        let cases = [
            (ProwJobState::Triggered, true),
            (ProwJobState::Pending, true),
            (ProwJobState::Success, false),
            (ProwJobState::Aborted, false),
        ];
        for (state, want) in cases {
            assert_eq!(memory.already_reported("uid", state), want, "{state:?}");
        }
        assert!(!memory.already_reported("other", ProwJobState::Pending));
    }

    #[test]
    fn memory_forgets_jobs_that_are_gone() {
        let mut memory = ReportMemory::default();
        for i in 0..=ReportMemory::MIN_PRUNE {
            let live = || HashSet::from(["0".to_string(), "1".to_string()]);
            memory.remember(&i.to_string(), ProwJobState::Success, live);
        }
        assert_eq!(memory.reported.len(), 2);
        assert!(memory.already_reported("1", ProwJobState::Success));
    }

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
