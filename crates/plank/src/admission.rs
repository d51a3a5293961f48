//! Whether a triggered job may start now (Prow's `canExecuteConcurrently`): the global
//! `plank.max_concurrency`, the job's own `max_concurrency` and its `job_queue_name`'s
//! capacity. Per job and per queue, pending runs and *older* triggered runs count against
//! the limit, so runs start oldest first.
//!
//! The decision reads the ProwJob cache, which lags behind plank's own writes; jobs plank
//! has started but the cache still shows as triggered are passed in `started` and count
//! as pending. The caller decides under one lock and adds the job to `started` before
//! releasing it, so concurrent reconciles never overshoot a limit.

use std::collections::HashSet;

use jiff::Timestamp;
use prow_api::{ProwJob, ProwJobState};

use crate::Error;

/// The verdict for one triggered job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admission {
    /// Start it now.
    Start,
    /// Not now; the reason names the limit.
    Wait(String),
}

/// Whether `job` has any concurrency limit at all (then its start must be decided under
/// the admission lock).
pub fn is_limited(job: &ProwJob, plank: &prow_config::Plank) -> bool {
    plank.max_concurrency > 0 || job.spec.max_concurrency > 0 || !job.spec.job_queue_name.is_empty()
}

fn name_of(job: &ProwJob) -> &str {
    job.metadata.name.as_deref().unwrap_or_default()
}

/// (creation time, name): "older" as plank orders runs; the name breaks ties of the
/// second-granular creation time so every replica orders the same way.
pub fn age_key(job: &ProwJob) -> (Timestamp, &str) {
    let created = job
        .metadata
        .creation_timestamp
        .as_ref()
        .map_or(Timestamp::MAX, |t| t.0);
    (created, name_of(job))
}

fn effective_state(job: &ProwJob, started: &HashSet<String>) -> Option<ProwJobState> {
    let state = job.state()?;
    if state == ProwJobState::Triggered && started.contains(name_of(job)) {
        return Some(ProwJobState::Pending);
    }
    Some(state)
}

/// Pending runs among `others` plus triggered runs older than `job`.
fn pending_or_older<'a>(
    job: &ProwJob,
    others: impl Iterator<Item = &'a ProwJob>,
    started: &HashSet<String>,
) -> u64 {
    let key = age_key(job);
    let mut count = 0;
    for other in others {
        if name_of(other) == name_of(job) || other.is_complete() {
            continue;
        }
        match effective_state(other, started) {
            Some(ProwJobState::Pending) => count += 1,
            Some(ProwJobState::Triggered) if age_key(other) < key => count += 1,
            _ => {}
        }
    }
    count
}

/// Decides whether `job` may start, given every ProwJob plank sees (`jobs`), the jobs it
/// started that the cache does not show as pending yet (`started`) and the plank config.
///
/// # Errors
/// [`Error::UnknownJobQueue`] when the job's queue has no capacity configured (Prow
/// retries such jobs; the config validation normally catches it first).
pub fn admit(
    job: &ProwJob,
    jobs: &[std::sync::Arc<ProwJob>],
    started: &HashSet<String>,
    plank: &prow_config::Plank,
) -> Result<Admission, Error> {
    if plank.max_concurrency > 0 {
        let running = jobs
            .iter()
            .filter(|other| {
                !other.is_complete()
                    && effective_state(other, started) == Some(ProwJobState::Pending)
            })
            .count();
        if i64::try_from(running).unwrap_or(i64::MAX) >= plank.max_concurrency {
            return Ok(Admission::Wait(format!(
                "plank.max_concurrency: already {running} running"
            )));
        }
    }
    if job.spec.max_concurrency > 0 {
        let same_job = jobs
            .iter()
            .map(|j| j.as_ref())
            .filter(|other| other.spec.job == job.spec.job);
        let count = pending_or_older(job, same_job, started);
        if count >= u64::from(job.spec.max_concurrency) {
            return Ok(Admission::Wait(format!(
                "max_concurrency {}: {count} runs of {} are pending or older",
                job.spec.max_concurrency, job.spec.job
            )));
        }
    }
    let queue = &job.spec.job_queue_name;
    if !queue.is_empty() {
        let capacity =
            *plank
                .job_queue_capacities
                .get(queue)
                .ok_or_else(|| Error::UnknownJobQueue {
                    queue: queue.clone(),
                })?;
        if capacity == 0 {
            return Ok(Admission::Wait(format!("job queue {queue} has capacity 0")));
        }
        if capacity > 0 {
            let same_queue = jobs
                .iter()
                .map(|j| j.as_ref())
                .filter(|other| &other.spec.job_queue_name == queue);
            let count = pending_or_older(job, same_queue, started);
            if i64::try_from(count).unwrap_or(i64::MAX) >= capacity {
                return Ok(Admission::Wait(format!(
                    "job queue {queue} (capacity {capacity}): {count} runs are pending or older"
                )));
            }
        }
    }
    Ok(Admission::Start)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
    use prow_api::{ProwJobSpec, ProwJobStatus, ProwJobType};

    use super::*;

    fn pj(
        name: &str,
        job: &str,
        created: &str,
        state: ProwJobState,
        queue: &str,
        max: u32,
    ) -> Arc<ProwJob> {
        let mut spec = ProwJobSpec::new(ProwJobType::Periodic, job);
        spec.max_concurrency = max;
        spec.job_queue_name = queue.into();
        let mut pj = ProwJob::new(name, spec);
        pj.metadata.creation_timestamp = Some(Time(
            format!("2026-11-26T12:00:{created}Z")
                .parse()
                .expect("time"),
        ));
        let mut status = ProwJobStatus::new(state);
        if state.is_complete() {
            status.completion_time = pj.metadata.creation_timestamp.clone();
        }
        pj.status = Some(status);
        Arc::new(pj)
    }

    #[test]
    fn limits_count_pending_and_older_triggered_runs() {
        use ProwJobState::{Pending, Success, Triggered};
        let mut plank = prow_config::Plank::default();
        plank.job_queue_capacities.insert("gpu".into(), 2);
        plank.job_queue_capacities.insert("closed".into(), 0);
        plank.job_queue_capacities.insert("open".into(), -1);
        let jobs = vec![
            pj("a", "j", "01", Triggered, "", 1),
            pj("b", "j", "02", Triggered, "", 1),
            pj("c", "j", "02", Triggered, "", 1),
            pj("d", "k", "00", Pending, "gpu", 0),
            pj("e", "k", "01", Success, "gpu", 0),
            pj("f", "l", "03", Triggered, "gpu", 0),
            pj("g", "m", "04", Triggered, "gpu", 0),
            pj("h", "n", "04", Triggered, "closed", 0),
            pj("i", "n", "04", Triggered, "open", 0),
        ];
        let none = HashSet::new();
        let a_started: HashSet<String> = ["a".to_owned()].into();
        let f_started: HashSet<String> = ["f".to_owned()].into();
        // (case, job, started, expect start)
        let cases = [
            ("oldest run of a limited job starts", "a", &none, true),
            ("a younger run waits for the older", "b", &none, false),
            ("a same-second run orders by name", "c", &none, false),
            (
                "started-but-uncached counts as pending",
                "b",
                &a_started,
                false,
            ),
            (
                "queue: one pending, one slot left for the oldest",
                "f",
                &none,
                true,
            ),
            (
                "queue: the next one waits for the older one",
                "g",
                &none,
                false,
            ),
            (
                "queue: full once the older one started",
                "g",
                &f_started,
                false,
            ),
            ("capacity 0 never starts", "h", &none, false),
            ("negative capacity is unlimited", "i", &none, true),
        ];
        for (case, name, started, want) in cases {
            let job = jobs.iter().find(|j| name_of(j) == name).expect("job");
            let got = admit(job, &jobs, started, &plank).expect(case);
            assert_eq!(got == Admission::Start, want, "{case}: {got:?}");
        }
    }

    #[test]
    fn global_max_concurrency_counts_only_pending_runs() {
        use ProwJobState::{Pending, Triggered};
        let plank = prow_config::Plank {
            max_concurrency: 2,
            ..prow_config::Plank::default()
        };
        let jobs = vec![
            pj("a", "j", "01", Pending, "", 0),
            pj("b", "k", "02", Triggered, "", 0),
            pj("c", "l", "03", Triggered, "", 0),
        ];
        assert_eq!(
            admit(&jobs[2], &jobs, &HashSet::new(), &plank).expect("admit"),
            Admission::Start
        );
        let started: HashSet<String> = ["b".to_owned()].into();
        assert!(matches!(
            admit(&jobs[2], &jobs, &started, &plank).expect("admit"),
            Admission::Wait(_)
        ));
        assert!(is_limited(&jobs[2], &plank));
        assert!(!is_limited(&jobs[2], &prow_config::Plank::default()));
    }

    #[test]
    fn an_unknown_queue_is_an_error() {
        let job = pj("a", "j", "01", ProwJobState::Triggered, "nope", 0);
        let err = admit(
            &job,
            std::slice::from_ref(&job),
            &HashSet::new(),
            &prow_config::Plank::default(),
        )
        .expect_err("unknown queue");
        assert_eq!(err.variant_name(), "UnknownJobQueue");
    }
}
