//! What a ProwJob's state becomes on GitHub: the commit status (Prow's
//! `pkg/github/report/report.go`) or, for repositories reported with the Checks API, the
//! check run. Pure functions.

use prow_api::{ProwJob, ProwJobState};
use prow_github::types::{CheckRunOutput, CheckRunRequest, NewStatus, StatusState};

/// GitHub's limit on a status description, in characters (Prow's `contextDescriptionMaxLen`).
pub const DESCRIPTION_MAX_LEN: usize = 140;

/// What Prow puts between the description and the base SHA (`contextDescriptionBaseSHADelimiter`);
/// tide reads the base SHA back from it.
const BASE_SHA_DELIMITER: &str = " BaseSHA:";

/// What replaces the middle of a description that is too long.
const ELIDE: &str = " ... ";

/// Left padding before the base SHA: U+2001 (EM QUAD), because GitHub's UI collapses runs of
/// ordinary spaces.
const PAD: char = '\u{2001}';

/// Prow's `prowjobStateToGitHubStatus`: triggered and pending report `pending`, aborted
/// reports `failure`.
pub fn github_state(state: ProwJobState) -> StatusState {
    match state {
        ProwJobState::Scheduling | ProwJobState::Triggered | ProwJobState::Pending => {
            StatusState::Pending
        }
        ProwJobState::Success => StatusState::Success,
        ProwJobState::Failure | ProwJobState::Aborted => StatusState::Failure,
        ProwJobState::Error => StatusState::Error,
    }
}

/// Prow's `truncate`: a string longer than `max_len` bytes keeps its start and end around
/// `" ... "`. Cuts fall on character boundaries (Go cuts bytes), so the result never exceeds
/// `max_len` bytes.
pub fn truncate(text: &str, max_len: usize) -> String {
    if text.len() <= max_len {
        return text.to_string();
    }
    let half = max_len.saturating_sub(ELIDE.len()) / 2;
    let mut head_end = half;
    while !text.is_char_boundary(head_end) {
        head_end -= 1;
    }
    let mut tail_start = text.len() - half;
    while !text.is_char_boundary(tail_start) {
        tail_start += 1;
    }
    format!("{}{ELIDE}{}", &text[..head_end], &text[tail_start..])
}

/// Prow's `ContextDescriptionWithBaseSha`: the description, then (when there is a base SHA)
/// `" BaseSHA:<sha>"` left-padded so it shows at a stable position, the description shortened
/// so the whole fits GitHub's 140 characters. Lengths are counted in bytes, as Go does.
pub fn description_with_base_sha(description: &str, base_sha: &str) -> String {
    let mut suffix = String::new();
    if !base_sha.is_empty() {
        suffix = format!("{BASE_SHA_DELIMITER}{base_sha}");
        let used = description.len() + suffix.len();
        if used < DESCRIPTION_MAX_LEN {
            // Go re-evaluates the bound after each 3-byte pad: pads while 4·i < room.
            let room = DESCRIPTION_MAX_LEN - used;
            let pads = room.div_ceil(4);
            let padding: String = std::iter::repeat_n(PAD, pads).collect();
            suffix = format!("{padding}{suffix}");
        }
    }
    let keep = DESCRIPTION_MAX_LEN.saturating_sub(suffix.len());
    format!("{}{suffix}", truncate(description, keep))
}

/// Where a job's result goes on GitHub: the repository and the commit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommitTarget {
    /// Organization (owner).
    pub org: String,
    /// Repository name.
    pub repo: String,
    /// The PR head SHA for presubmits, the pushed (base) SHA for postsubmits.
    pub sha: String,
}

/// The commit a job reports on: `refs.pulls[0].sha` when the job tests a pull request, else
/// `refs.base_sha`. `None` without refs, for batches (more than one pull, which Prow does not
/// report), or without a SHA.
pub fn commit_target(job: &ProwJob) -> Option<CommitTarget> {
    let refs = job.spec.refs.as_ref()?;
    if refs.pulls.len() > 1 {
        return None;
    }
    let sha = refs.pulls.first().map_or(&refs.base_sha, |pull| &pull.sha);
    if sha.is_empty() || refs.org.is_empty() || refs.repo.is_empty() {
        return None;
    }
    Some(CommitTarget {
        org: refs.org.clone(),
        repo: refs.repo.clone(),
        sha: sha.clone(),
    })
}

/// The commit status for the job's current state (Prow's `reportStatus`); `None` before the
/// job has a status.
pub fn commit_status(job: &ProwJob) -> Option<NewStatus> {
    let status = job.status.as_ref()?;
    let base_sha = job
        .spec
        .refs
        .as_ref()
        .map_or("", |refs| refs.base_sha.as_str());
    Some(NewStatus {
        state: github_state(status.state),
        context: job.spec.context.clone(),
        description: Some(description_with_base_sha(&status.description, base_sha)),
        target_url: (!status.url.is_empty()).then(|| status.url.clone()),
    })
}

/// The check run for the job's current state (prow-rs's Checks API reporting): named after
/// the context, `queued` while triggered, `in_progress` while pending, then `completed` with
/// `success`, `failure` (failure and error) or `cancelled` (aborted); the ProwJob name is the
/// external id.
pub fn check_run(job: &ProwJob, sha: &str) -> Option<CheckRunRequest> {
    let status = job.status.as_ref()?;
    let (run_status, conclusion) = match status.state {
        ProwJobState::Scheduling | ProwJobState::Triggered => ("queued", None),
        ProwJobState::Pending => ("in_progress", None),
        ProwJobState::Success => ("completed", Some("success")),
        ProwJobState::Failure | ProwJobState::Error => ("completed", Some("failure")),
        ProwJobState::Aborted => ("completed", Some("cancelled")),
    };
    let title = if status.description.is_empty() {
        format!("Job {}", status.state.as_str())
    } else {
        truncate(&status.description, DESCRIPTION_MAX_LEN)
    };
    Some(CheckRunRequest {
        name: Some(job.spec.context.clone()),
        head_sha: Some(sha.to_string()),
        status: Some(run_status.to_string()),
        conclusion: conclusion.map(str::to_string),
        external_id: job.metadata.name.clone(),
        details_url: (!status.url.is_empty()).then(|| status.url.clone()),
        output: Some(CheckRunOutput {
            summary: format!("ProwJob `{}`: {}", job.spec.job, status.state.as_str()),
            title,
        }),
    })
}

#[cfg(test)]
mod tests {
    use prow_api::{ProwJobSpec, ProwJobStatus, ProwJobType, Pull, Refs};

    use super::*;

    #[test]
    fn states_map_as_prow() {
        let cases = [
            (ProwJobState::Scheduling, StatusState::Pending),
            (ProwJobState::Triggered, StatusState::Pending),
            (ProwJobState::Pending, StatusState::Pending),
            (ProwJobState::Success, StatusState::Success),
            (ProwJobState::Failure, StatusState::Failure),
            (ProwJobState::Aborted, StatusState::Failure),
            (ProwJobState::Error, StatusState::Error),
        ];
        for (state, want) in cases {
            assert_eq!(github_state(state), want, "{state:?}");
        }
    }

    #[test]
    fn truncate_keeps_both_ends() {
        let cases = [
            ("short", 10, "short"),
            ("exactly10!", 10, "exactly10!"),
            // Prow: half = (15 - 5) / 2 = 5
            ("really long messages", 15, "reall ... sages"),
            // a cut inside a multi-byte character moves outwards, never over the limit
            ("ééééééééééé", 15, "éé ... éé"),
        ];
        for (text, max, want) in cases {
            let got = truncate(text, max);
            assert_eq!(got, want, "{text}");
            assert!(got.len() <= max, "{got} fits {max}");
        }
    }

    #[test]
    fn description_embeds_the_base_sha_within_140_characters() {
        let sha = "3f1c9a0e5d7b2c4a6e8f0a1b2c3d4e5f60718293";
        // short: padded with 21 EM QUADs (room 140 - 3 - 49 = 88, ceil(88 / 4) = 22)
        let short = description_with_base_sha("Job", sha);
        let pads = short.chars().filter(|c| *c == PAD).count();
        assert_eq!(pads, 22);
        assert!(short.starts_with("Job\u{2001}"));
        assert!(short.ends_with(&format!(" BaseSHA:{sha}")));
        // long: shortened in the middle, suffix intact, 140 bytes at most
        let long = "Job failed. ".repeat(30);
        let described = description_with_base_sha(&long, sha);
        assert!(
            described.len() <= DESCRIPTION_MAX_LEN,
            "{}",
            described.len()
        );
        assert!(described.contains(" ... "));
        assert!(described.ends_with(&format!(" BaseSHA:{sha}")));
        // no base SHA: only truncation
        assert_eq!(
            description_with_base_sha("Job succeeded.", ""),
            "Job succeeded."
        );
        let plain = description_with_base_sha(&long, "");
        assert_eq!(plain.len(), 139);
    }

    fn job(job_type: ProwJobType, pulls: Vec<Pull>) -> ProwJob {
        let mut job = ProwJob::new(
            "5b0b2d8c",
            ProwJobSpec {
                refs: Some(Refs {
                    org: "prow-rs-demo".into(),
                    repo: "hello".into(),
                    base_ref: "main".into(),
                    base_sha: "base".into(),
                    pulls,
                    ..Refs::default()
                }),
                context: "pull-hello-unit".into(),
                report: true,
                ..ProwJobSpec::new(job_type, "pull-hello-unit")
            },
        );
        job.status = Some(ProwJobStatus {
            url: "https://prow.example.com/view/1".into(),
            description: "Job triggered.".into(),
            ..ProwJobStatus::new(ProwJobState::Aborted)
        });
        job
    }

    fn pull(number: u64, sha: &str) -> Pull {
        Pull {
            number,
            sha: sha.into(),
            ..Pull::default()
        }
    }

    #[test]
    fn target_is_the_pr_head_or_the_pushed_sha() {
        let presubmit = job(ProwJobType::Presubmit, vec![pull(1, "head")]);
        assert_eq!(
            commit_target(&presubmit).map(|t| t.sha),
            Some("head".to_string())
        );
        let postsubmit = job(ProwJobType::Postsubmit, vec![]);
        assert_eq!(
            commit_target(&postsubmit).map(|t| t.sha),
            Some("base".to_string())
        );
        let batch = job(ProwJobType::Batch, vec![pull(1, "a"), pull(2, "b")]);
        assert_eq!(commit_target(&batch), None);
    }

    #[test]
    fn aborted_reports_failure_and_cancelled() {
        let aborted = job(ProwJobType::Presubmit, vec![pull(1, "head")]);
        let status = commit_status(&aborted).expect("status");
        assert_eq!(status.state, StatusState::Failure);
        assert_eq!(status.context, "pull-hello-unit");
        assert_eq!(
            status.target_url.as_deref(),
            Some("https://prow.example.com/view/1")
        );
        let run = check_run(&aborted, "head").expect("check run");
        assert_eq!(run.status.as_deref(), Some("completed"));
        assert_eq!(run.conclusion.as_deref(), Some("cancelled"));
        assert_eq!(run.external_id.as_deref(), Some("5b0b2d8c"));
    }
}
