//! Which periodics are due: a pure function of the configuration, the existing ProwJobs and
//! the time, as Prow's horologium `sync` decides it.
//!
//! For every periodic, the latest existing run (the periodic ProwJob of that job with the
//! latest start time) decides:
//! - no earlier run: start at once ([`ScheduledRun::First`]), unless it is a cron that never
//!   fires (`0 0 31 2 *`, how the corpus disables a periodic);
//! - the latest run has not finished: wait (never two runs at once);
//! - `interval`: due once `interval` has passed since the latest run started;
//! - `minimum_interval`: due once it has passed since the latest run finished;
//! - `cron`: due when a fire time has passed since the latest run started.
//!
//! The scheduled time of a due run comes from the latest run (its start plus the interval,
//! its completion plus the minimum interval, or the cron's last fire time), not from `now`,
//! so every replica computes the same run name. After downtime exactly one run is due (the
//! latest run is the one that counts), never a burst of missed ones. A periodic that is not
//! in the configuration is never due.

use std::collections::HashMap;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use prow_api::{ProwJob, ProwJobType};
use prow_config::{Config, Periodic};

use crate::Error;
use crate::run_name::{ScheduledRun, run_name};
use crate::trigger::{Trigger, trigger_for};

/// A periodic run to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueRun {
    /// The periodic's name.
    pub job: String,
    /// Which run this is.
    pub run: ScheduledRun,
    /// The ProwJob name of this run ([`run_name`]).
    pub name: String,
}

/// What the scheduler needs to know about an existing run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct LatestRun<'a> {
    name: &'a str,
    started: Timestamp,
    completed: Option<Timestamp>,
}

fn latest_runs(existing: &[ProwJob]) -> HashMap<&str, LatestRun<'_>> {
    let mut latest: HashMap<&str, LatestRun<'_>> = HashMap::new();
    for job in existing {
        if job.spec.job_type != ProwJobType::Periodic {
            continue;
        }
        let status = job.status.as_ref();
        // a ProwJob without status was just created: it counts as started at creation
        let Some(started) = started_at(job) else {
            continue;
        };
        let run = LatestRun {
            name: job.metadata.name.as_deref().unwrap_or_default(),
            started,
            completed: status.and_then(|s| s.completion_time.as_ref()).map(|t| t.0),
        };
        latest
            .entry(job.spec.job.as_str())
            .and_modify(|current| {
                if (run.started, run.name) > (current.started, current.name) {
                    *current = run;
                }
            })
            .or_insert(run);
    }
    latest
}

/// When a run counts as started: its `status.startTime`, else (no status yet: just created)
/// its creation time.
fn started_at(job: &ProwJob) -> Option<Timestamp> {
    job.status
        .as_ref()
        .and_then(|s| s.start_time.as_ref())
        .or(job.metadata.creation_timestamp.as_ref())
        .map(|t| t.0)
}

/// Folds `page` into `latest` (periodic job name → its latest run), dropping every other
/// run, so a caller listing ProwJobs page by page keeps one run per periodic.
/// [`due_periodics`] over the values of `latest` decides exactly as over every run.
pub fn keep_latest_runs(latest: &mut HashMap<String, ProwJob>, page: Vec<ProwJob>) {
    for job in page {
        if job.spec.job_type != ProwJobType::Periodic {
            continue;
        }
        let Some(started) = started_at(&job) else {
            continue;
        };
        let newer = match latest.get(&job.spec.job) {
            Some(current) => {
                (started, job.metadata.name.as_deref())
                    > (
                        started_at(current).unwrap_or(Timestamp::MIN),
                        current.metadata.name.as_deref(),
                    )
            }
            None => true,
        };
        if newer {
            latest.insert(job.spec.job.clone(), job);
        }
    }
}

fn after(at: Timestamp, duration: Duration) -> Option<Timestamp> {
    SignedDuration::try_from(duration)
        .ok()
        .and_then(|d| at.checked_add(d).ok())
}

fn whole_seconds(at: Timestamp) -> Timestamp {
    Timestamp::from_second(at.as_second()).unwrap_or(at)
}

fn due_run(
    periodic: &Periodic,
    latest: Option<&LatestRun<'_>>,
    now: Timestamp,
) -> Result<Option<ScheduledRun>, Error> {
    let trigger = trigger_for(periodic)?;
    if let Trigger::Cron(schedule) = &trigger
        && !schedule.ever_fires(now)
    {
        return Ok(None);
    }
    let Some(latest) = latest else {
        return Ok(Some(ScheduledRun::First));
    };
    let Some(completed) = latest.completed else {
        return Ok(None);
    };
    let scheduled = match trigger {
        Trigger::Interval(interval) => after(whole_seconds(latest.started), interval),
        Trigger::MinimumInterval(minimum) => after(whole_seconds(completed), minimum),
        Trigger::Cron(schedule) => schedule
            .last_fire(now)
            .filter(|fire| *fire > latest.started),
    };
    Ok(scheduled
        .filter(|at| *at <= now)
        .map(|at| ScheduledRun::At(whole_seconds(at))))
}

/// The periodics of `config` due at `now`, given the `existing` ProwJobs (all ProwJobs of
/// the ProwJob namespace; non-periodic ones are ignored). A periodic whose schedule cannot
/// be read is reported as an error item and does not stop the others.
pub fn due_periodics(
    config: &Config,
    existing: &[ProwJob],
    now: Timestamp,
) -> Vec<Result<DueRun, Error>> {
    let latest = latest_runs(existing);
    config
        .jobs
        .periodics
        .iter()
        .filter_map(|periodic| {
            let job = periodic.base.name.as_str();
            match due_run(periodic, latest.get(job), now) {
                Ok(Some(run)) => Some(Ok(DueRun {
                    job: job.to_string(),
                    run,
                    name: run_name(job, run),
                })),
                Ok(None) => None,
                Err(error) => Some(Err(error)),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
    use prow_api::{ProwJobSpec, ProwJobState, ProwJobStatus};

    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().expect("timestamp")
    }

    fn periodic(name: &str, cron: &str, interval: &str, minimum: &str) -> Periodic {
        let mut p = Periodic::default();
        p.base.name = name.into();
        p.cron = cron.into();
        p.interval = interval.into();
        p.minimum_interval = minimum.into();
        p
    }

    fn config(periodics: Vec<Periodic>) -> Config {
        let mut config = Config::default();
        config.jobs.periodics = periodics;
        config
    }

    /// A run of `job` started at `started`, finished at `completed` (if given).
    fn run(job: &str, name: &str, started: &str, completed: Option<&str>) -> ProwJob {
        let mut pj = ProwJob::new(name, ProwJobSpec::new(ProwJobType::Periodic, job));
        pj.status = Some(ProwJobStatus {
            start_time: Some(Time(ts(started))),
            completion_time: completed.map(|c| Time(ts(c))),
            ..ProwJobStatus::new(if completed.is_some() {
                ProwJobState::Success
            } else {
                ProwJobState::Pending
            })
        });
        pj
    }

    fn due(config: &Config, existing: &[ProwJob], now: &str) -> Vec<(String, ScheduledRun)> {
        due_periodics(config, existing, ts(now))
            .into_iter()
            .map(|r| {
                let r = r.expect("valid schedule");
                assert_eq!(r.name, run_name(&r.job, r.run));
                (r.job, r.run)
            })
            .collect()
    }

    fn at(s: &str) -> ScheduledRun {
        ScheduledRun::At(ts(s))
    }

    #[test]
    fn due_runs_by_trigger_and_latest_run() {
        type Case = (
            &'static str,
            Periodic,
            Vec<ProwJob>,
            &'static str,
            Option<ScheduledRun>,
        );
        let cases: Vec<Case> = vec![
            (
                "interval, no earlier run: at once",
                periodic("p", "", "1h", ""),
                vec![],
                "2026-11-26T10:00:00Z",
                Some(ScheduledRun::First),
            ),
            (
                "cron, no earlier run: at once",
                periodic("p", "0 0 * * *", "", ""),
                vec![],
                "2026-11-26T10:00:00Z",
                Some(ScheduledRun::First),
            ),
            (
                "cron that never fires, no earlier run: never",
                periodic("p", "0 0 31 2 *", "", ""),
                vec![],
                "2026-11-26T10:00:00Z",
                None,
            ),
            (
                "interval not yet elapsed",
                periodic("p", "", "1h", ""),
                vec![run(
                    "p",
                    "a",
                    "2026-11-26T09:30:00Z",
                    Some("2026-11-26T09:31:00Z"),
                )],
                "2026-11-26T10:29:59Z",
                None,
            ),
            (
                "interval elapsed: scheduled at start + interval",
                periodic("p", "", "1h", ""),
                vec![run(
                    "p",
                    "a",
                    "2026-11-26T09:30:00Z",
                    Some("2026-11-26T09:31:00Z"),
                )],
                "2026-11-26T10:30:00Z",
                Some(at("2026-11-26T10:30:00Z")),
            ),
            (
                "interval elapsed but the run is still going",
                periodic("p", "", "1h", ""),
                vec![run("p", "a", "2026-11-26T08:00:00Z", None)],
                "2026-11-26T10:30:00Z",
                None,
            ),
            (
                "after downtime: one run, scheduled from the latest run",
                periodic("p", "", "1h", ""),
                vec![
                    run(
                        "p",
                        "a",
                        "2026-11-20T08:00:00Z",
                        Some("2026-11-20T08:01:00Z"),
                    ),
                    run(
                        "p",
                        "b",
                        "2026-11-20T09:00:00Z",
                        Some("2026-11-20T09:01:00Z"),
                    ),
                ],
                "2026-11-26T10:30:00Z",
                Some(at("2026-11-20T10:00:00Z")),
            ),
            (
                "minimum interval counts from completion",
                periodic("p", "", "", "1h"),
                vec![run(
                    "p",
                    "a",
                    "2026-11-26T08:00:00Z",
                    Some("2026-11-26T09:45:00Z"),
                )],
                "2026-11-26T10:44:59Z",
                None,
            ),
            (
                "minimum interval elapsed",
                periodic("p", "", "", "1h"),
                vec![run(
                    "p",
                    "a",
                    "2026-11-26T08:00:00Z",
                    Some("2026-11-26T09:45:00Z"),
                )],
                "2026-11-26T10:45:00Z",
                Some(at("2026-11-26T10:45:00Z")),
            ),
            (
                "minimum interval: unfinished run waits",
                periodic("p", "", "", "1h"),
                vec![run("p", "a", "2026-11-26T08:00:00Z", None)],
                "2026-11-26T12:00:00Z",
                None,
            ),
            (
                "cron: no fire since the latest run started",
                periodic("p", "0 * * * *", "", ""),
                vec![run(
                    "p",
                    "a",
                    "2026-11-26T10:00:05Z",
                    Some("2026-11-26T10:10:00Z"),
                )],
                "2026-11-26T10:59:59Z",
                None,
            ),
            (
                "cron: fired since the latest run started",
                periodic("p", "0 * * * *", "", ""),
                vec![run(
                    "p",
                    "a",
                    "2026-11-26T10:00:05Z",
                    Some("2026-11-26T10:10:00Z"),
                )],
                "2026-11-26T11:00:00Z",
                Some(at("2026-11-26T11:00:00Z")),
            ),
            (
                "cron after downtime: only the latest fire time",
                periodic("p", "0 * * * *", "", ""),
                vec![run(
                    "p",
                    "a",
                    "2026-11-20T10:00:05Z",
                    Some("2026-11-20T10:10:00Z"),
                )],
                "2026-11-26T10:20:00Z",
                Some(at("2026-11-26T10:00:00Z")),
            ),
            (
                "cron fired while the latest run was still going",
                periodic("p", "0 * * * *", "", ""),
                vec![run("p", "a", "2026-11-26T10:00:05Z", None)],
                "2026-11-26T11:00:00Z",
                None,
            ),
            (
                "cron: the first run counts as the latest",
                periodic("p", "0 * * * *", "", ""),
                vec![run(
                    "p",
                    "a",
                    "2026-11-26T10:20:00Z",
                    Some("2026-11-26T10:21:00Z"),
                )],
                "2026-11-26T10:30:00Z",
                None,
            ),
            (
                "@every is an interval",
                periodic("p", "@every 30m", "", ""),
                vec![run(
                    "p",
                    "a",
                    "2026-11-26T10:00:00Z",
                    Some("2026-11-26T10:01:00Z"),
                )],
                "2026-11-26T10:30:00Z",
                Some(at("2026-11-26T10:30:00Z")),
            ),
            (
                "runs of other jobs do not count",
                periodic("p", "", "1h", ""),
                vec![run("q", "a", "2026-11-26T10:00:00Z", None)],
                "2026-11-26T10:00:00Z",
                Some(ScheduledRun::First),
            ),
        ];
        for (name, p, existing, now, want) in cases {
            let got = due(&config(vec![p]), &existing, now);
            let want: Vec<_> = want.into_iter().map(|r| ("p".to_string(), r)).collect();
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn the_latest_run_is_the_one_with_the_latest_start() {
        let config = config(vec![periodic("p", "", "1h", "")]);
        let existing = vec![
            run("p", "new", "2026-11-26T10:00:00Z", None),
            run(
                "p",
                "old",
                "2026-11-26T08:00:00Z",
                Some("2026-11-26T08:10:00Z"),
            ),
        ];
        assert_eq!(due(&config, &existing, "2026-11-26T12:00:00Z"), vec![]);
    }

    #[test]
    fn keeping_only_the_latest_runs_decides_the_same() {
        let config = config(vec![
            periodic("p", "", "1h", ""),
            periodic("q", "", "", "30m"),
        ]);
        let runs = vec![
            run(
                "p",
                "p1",
                "2026-11-26T08:00:00Z",
                Some("2026-11-26T08:10:00Z"),
            ),
            run(
                "q",
                "q1",
                "2026-11-26T08:00:00Z",
                Some("2026-11-26T09:10:00Z"),
            ),
            run(
                "p",
                "p2",
                "2026-11-26T09:00:00Z",
                Some("2026-11-26T09:10:00Z"),
            ),
            run("q", "q0", "2026-11-26T07:00:00Z", None),
            run("r", "r1", "2026-11-26T07:00:00Z", None),
        ];
        let mut latest = HashMap::new();
        keep_latest_runs(&mut latest, runs[..2].to_vec());
        keep_latest_runs(&mut latest, runs[2..].to_vec());
        let mut kept: Vec<_> = latest.values().map(|j| j.metadata.name.clone()).collect();
        kept.sort();
        assert_eq!(
            kept,
            [Some("p2".into()), Some("q1".into()), Some("r1".into())]
        );
        let kept: Vec<ProwJob> = latest.into_values().collect();
        for now in [
            "2026-11-26T09:59:59Z",
            "2026-11-26T10:00:00Z",
            "2026-11-26T12:00:00Z",
        ] {
            assert_eq!(due(&config, &kept, now), due(&config, &runs, now), "{now}");
        }
    }

    #[test]
    fn a_job_without_status_counts_as_running_since_creation() {
        let config = config(vec![periodic("p", "", "1m", "")]);
        let mut pj = ProwJob::new("x", ProwJobSpec::new(ProwJobType::Periodic, "p"));
        pj.metadata.creation_timestamp = Some(Time(ts("2026-11-26T10:00:00Z")));
        assert_eq!(due(&config, &[pj], "2026-11-26T12:00:00Z"), vec![]);
    }

    #[test]
    fn non_periodic_jobs_with_the_same_name_are_ignored() {
        let config = config(vec![periodic("p", "", "1h", "")]);
        let mut pj = run("p", "a", "2026-11-26T10:00:00Z", None);
        pj.spec.job_type = ProwJobType::Postsubmit;
        assert_eq!(
            due(&config, &[pj], "2026-11-26T10:00:00Z"),
            vec![("p".to_string(), ScheduledRun::First)]
        );
    }

    #[test]
    fn a_started_run_is_not_due_again_and_its_name_is_deterministic() {
        let config = config(vec![periodic("p", "", "1h", "")]);
        let first = due_periodics(&config, &[], ts("2026-11-26T10:00:00Z"));
        let again = due_periodics(&config, &[], ts("2026-11-26T10:00:42Z"));
        let names = |runs: &[Result<DueRun, Error>]| -> Vec<String> {
            runs.iter()
                .map(|r| r.as_ref().expect("valid").name.clone())
                .collect()
        };
        // two replicas at different instants pick the same name
        assert_eq!(names(&first), names(&again));
        let started = run("p", &names(&first)[0], "2026-11-26T10:00:00Z", None);
        assert_eq!(due(&config, &[started], "2026-11-26T10:00:42Z"), vec![]);
    }

    #[test]
    fn a_bad_schedule_is_an_error_item_and_others_still_run() {
        let config = config(vec![
            periodic("bad", "", "", ""),
            periodic("good", "", "1h", ""),
        ]);
        let got = due_periodics(&config, &[], ts("2026-11-26T10:00:00Z"));
        assert_eq!(got.len(), 2);
        assert!(matches!(&got[0], Err(Error::NoSchedule { job }) if job == "bad"));
        assert!(matches!(&got[1], Ok(r) if r.job == "good"));
    }
}
