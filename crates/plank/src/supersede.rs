//! Superseded presubmits (Prow's `pjutil.TerminateOlderJobs`): of the incomplete
//! presubmit runs of one job for the same repository, base branch and set of pull
//! requests (commit SHAs do not matter), only the newest keeps running; the others are
//! aborted.
//!
//! As Prow, an aborted run gets `prev_report_states[github-reporter] = aborted`, so the
//! GitHub reporter treats it as reported and never posts a status for it: the newer run
//! reports on the same context.

use std::collections::HashMap;

use jiff::Timestamp;
use prow_api::{ProwJob, ProwJobType, Refs};

/// The reporter name Prow's GitHub reporter records in `prev_report_states`.
pub const GITHUB_REPORTER_NAME: &str = "github-reporter";

fn digest_refs(refs: &Refs) -> String {
    let mut pulls: Vec<u64> = refs.pulls.iter().map(|pull| pull.number).collect();
    pulls.sort_unstable();
    let pulls: Vec<String> = pulls.iter().map(u64::to_string).collect();
    format!(
        "{}/{}@{} [{}]",
        refs.org,
        refs.repo,
        refs.base_ref,
        pulls.join(" ")
    )
}

/// The identity of a presubmit run for de-duplication: type, job and digested refs.
pub fn run_identity(job: &ProwJob) -> String {
    let mut parts = vec![job.spec.job_type.as_str().to_owned(), job.spec.job.clone()];
    if let Some(refs) = &job.spec.refs {
        parts.push(digest_refs(refs));
    }
    parts.extend(job.spec.extra_refs.iter().map(digest_refs));
    parts.sort();
    parts.join(",")
}

fn start_time(job: &ProwJob) -> Timestamp {
    job.status
        .as_ref()
        .and_then(|status| status.start_time.as_ref())
        .map_or(Timestamp::MIN, |t| t.0)
}

/// The names of the runs among `jobs` that a newer run supersedes. Runs are scanned
/// oldest first by start time, ties broken by name, so every caller picks the same ones.
pub fn superseded_runs<'a>(jobs: impl IntoIterator<Item = &'a ProwJob>) -> Vec<String> {
    let mut candidates: Vec<&ProwJob> = jobs
        .into_iter()
        .filter(|job| {
            !job.is_complete()
                && job.spec.job_type == ProwJobType::Presubmit
                && job.state().is_some_and(|state| state.is_active())
        })
        .collect();
    candidates.sort_by(|a, b| {
        (start_time(a), a.metadata.name.as_deref())
            .cmp(&(start_time(b), b.metadata.name.as_deref()))
    });
    let mut newest: HashMap<String, &ProwJob> = HashMap::new();
    let mut aborted = Vec::new();
    for job in candidates {
        // sorted oldest first: every later run of the same identity supersedes the earlier
        if let Some(previous) = newest.insert(run_identity(job), job) {
            aborted.push(previous.metadata.name.clone().unwrap_or_default());
        }
    }
    aborted
}

#[cfg(test)]
mod tests {
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
    use prow_api::{ProwJobSpec, ProwJobState, ProwJobStatus, Pull};

    use super::*;

    fn run(
        name: &str,
        job_type: ProwJobType,
        pulls: &[u64],
        sha: &str,
        started: &str,
        state: ProwJobState,
    ) -> ProwJob {
        let mut spec = ProwJobSpec::new(job_type, "pull-unit");
        spec.refs = Some(Refs {
            org: "org".into(),
            repo: "repo".into(),
            base_ref: "main".into(),
            pulls: pulls
                .iter()
                .map(|&number| Pull {
                    number,
                    sha: sha.into(),
                    ..Pull::default()
                })
                .collect(),
            ..Refs::default()
        });
        let mut job = ProwJob::new(name, spec);
        let mut status = ProwJobStatus::new(state);
        status.start_time = Some(Time(
            format!("2026-11-26T12:00:{started}Z")
                .parse()
                .expect("time"),
        ));
        if state.is_complete() && state != ProwJobState::Aborted {
            status.completion_time = status.start_time.clone();
        }
        job.status = Some(status);
        job
    }

    #[test]
    fn only_the_newest_run_of_the_same_prs_survives() {
        use ProwJobState::{Aborted, Pending, Success, Triggered};
        use ProwJobType::{Batch, Presubmit};
        // (case, runs, expected aborted names)
        let cases: Vec<(&str, Vec<ProwJob>, Vec<&str>)> = vec![
            (
                "a new push supersedes the running run",
                vec![
                    run("old", Presubmit, &[1], "a", "00", Pending),
                    run("new", Presubmit, &[1], "b", "05", Triggered),
                ],
                vec!["old"],
            ),
            (
                "three runs: both older ones go",
                vec![
                    run("r2", Presubmit, &[1], "b", "02", Pending),
                    run("r3", Presubmit, &[1], "c", "03", Triggered),
                    run("r1", Presubmit, &[1], "a", "01", Pending),
                ],
                vec!["r1", "r2"],
            ),
            (
                "different PRs do not interfere",
                vec![
                    run("a", Presubmit, &[1], "a", "00", Pending),
                    run("b", Presubmit, &[2], "a", "05", Pending),
                ],
                vec![],
            ),
            (
                "batches are never superseded",
                vec![
                    run("a", Batch, &[1, 2], "a", "00", Pending),
                    run("b", Batch, &[2, 1], "a", "05", Pending),
                ],
                vec![],
            ),
            (
                "finished and already aborted runs are left alone",
                vec![
                    run("done", Presubmit, &[1], "a", "00", Success),
                    run("gone", Presubmit, &[1], "a", "01", Aborted),
                    run("new", Presubmit, &[1], "b", "05", Triggered),
                ],
                vec![],
            ),
            (
                "a same-second tie keeps the larger name",
                vec![
                    run("b", Presubmit, &[1], "a", "00", Pending),
                    run("a", Presubmit, &[1], "b", "00", Pending),
                ],
                vec!["a"],
            ),
        ];
        for (case, runs, want) in cases {
            assert_eq!(superseded_runs(&runs), want, "{case}");
        }
    }
}
