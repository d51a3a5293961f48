//! Job types, states and agents (`ProwJobType`, `ProwJobState`, `ProwJobAgent` in Prow's
//! `pkg/apis/prowjobs/v1/types.go`).

use std::fmt;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::Error;

/// How a job is triggered (`ProwJobType`).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum ProwJobType {
    /// Runs on unmerged pull requests (`presubmit`).
    Presubmit,
    /// Runs on each new commit of a branch (`postsubmit`).
    Postsubmit,
    /// Runs on a schedule, unrelated to git changes (`periodic`).
    Periodic,
    /// Tests several unmerged pull requests together (`batch`).
    Batch,
}

impl ProwJobType {
    /// Every job type, in Prow's order.
    pub const ALL: [ProwJobType; 4] = [
        ProwJobType::Presubmit,
        ProwJobType::Postsubmit,
        ProwJobType::Periodic,
        ProwJobType::Batch,
    ];

    /// The value Prow writes (`presubmit`, `postsubmit`, `periodic`, `batch`).
    pub const fn as_str(self) -> &'static str {
        match self {
            ProwJobType::Presubmit => "presubmit",
            ProwJobType::Postsubmit => "postsubmit",
            ProwJobType::Periodic => "periodic",
            ProwJobType::Batch => "batch",
        }
    }
}

impl fmt::Display for ProwJobType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ProwJobType {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| Error::UnknownJobType(s.to_owned()))
    }
}

/// Where a job is in its life (`ProwJobState`).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum ProwJobState {
    /// Created and waiting to be scheduled (`scheduling`).
    Scheduling,
    /// Scheduled but not running yet (`triggered`).
    Triggered,
    /// Running (`pending`).
    Pending,
    /// Finished without error, exit code 0 (`success`).
    Success,
    /// Finished with errors, exit code non-zero (`failure`).
    Failure,
    /// Stopped early by Prow, e.g. because a new commit was pushed (`aborted`).
    Aborted,
    /// Could not run, e.g. because of bad config (`error`).
    Error,
}

impl ProwJobState {
    /// Every state, in Prow's declaration order.
    pub const ALL: [ProwJobState; 7] = [
        ProwJobState::Scheduling,
        ProwJobState::Triggered,
        ProwJobState::Pending,
        ProwJobState::Success,
        ProwJobState::Failure,
        ProwJobState::Aborted,
        ProwJobState::Error,
    ];

    /// The value Prow writes (`triggered`, `success`, ...).
    pub const fn as_str(self) -> &'static str {
        match self {
            ProwJobState::Scheduling => "scheduling",
            ProwJobState::Triggered => "triggered",
            ProwJobState::Pending => "pending",
            ProwJobState::Success => "success",
            ProwJobState::Failure => "failure",
            ProwJobState::Aborted => "aborted",
            ProwJobState::Error => "error",
        }
    }

    /// The job has reached a final state (success, failure, aborted or error) and will not
    /// change any more.
    pub const fn is_complete(self) -> bool {
        matches!(
            self,
            ProwJobState::Success
                | ProwJobState::Failure
                | ProwJobState::Aborted
                | ProwJobState::Error
        )
    }

    /// The job has not finished yet (scheduling, triggered or pending).
    pub const fn is_active(self) -> bool {
        !self.is_complete()
    }

    /// The job finished successfully.
    pub const fn is_success(self) -> bool {
        matches!(self, ProwJobState::Success)
    }

    /// The job finished unsuccessfully (failure, aborted or error).
    pub const fn is_unsuccessful(self) -> bool {
        matches!(
            self,
            ProwJobState::Failure | ProwJobState::Aborted | ProwJobState::Error
        )
    }

    /// The GitHub commit status state Prow's reporter uses for this job state
    /// (`pending`, `success`, `failure`, `error`), as in Prow's `github/report`.
    pub const fn github_status_state(self) -> &'static str {
        match self {
            ProwJobState::Scheduling | ProwJobState::Triggered | ProwJobState::Pending => "pending",
            ProwJobState::Success => "success",
            ProwJobState::Failure | ProwJobState::Aborted => "failure",
            ProwJobState::Error => "error",
        }
    }
}

impl fmt::Display for ProwJobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ProwJobState {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| Error::UnknownJobState(s.to_owned()))
    }
}

/// The controller that runs a job (`ProwJobAgent`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum ProwJobAgent {
    /// A Pod in a build cluster, run by plank (`kubernetes`).
    #[default]
    #[serde(rename = "kubernetes")]
    Kubernetes,
    /// A Jenkins build, run by jenkins-operator (`jenkins`).
    #[serde(rename = "jenkins")]
    Jenkins,
    /// A Tekton PipelineRun (`tekton-pipeline`).
    #[serde(rename = "tekton-pipeline")]
    TektonPipeline,
}

impl ProwJobAgent {
    /// The value Prow writes.
    pub const fn as_str(self) -> &'static str {
        match self {
            ProwJobAgent::Kubernetes => "kubernetes",
            ProwJobAgent::Jenkins => "jenkins",
            ProwJobAgent::TektonPipeline => "tekton-pipeline",
        }
    }
}

impl fmt::Display for ProwJobAgent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_helpers() {
        // (state, complete, success, unsuccessful, github status)
        let cases = [
            (ProwJobState::Scheduling, false, false, false, "pending"),
            (ProwJobState::Triggered, false, false, false, "pending"),
            (ProwJobState::Pending, false, false, false, "pending"),
            (ProwJobState::Success, true, true, false, "success"),
            (ProwJobState::Failure, true, false, true, "failure"),
            (ProwJobState::Aborted, true, false, true, "failure"),
            (ProwJobState::Error, true, false, true, "error"),
        ];
        for (state, complete, success, unsuccessful, github) in cases {
            assert_eq!(state.is_complete(), complete, "{state}");
            assert_eq!(state.is_active(), !complete, "{state}");
            assert_eq!(state.is_success(), success, "{state}");
            assert_eq!(state.is_unsuccessful(), unsuccessful, "{state}");
            assert_eq!(state.github_status_state(), github, "{state}");
        }
    }

    #[test]
    fn serialized_as_prow_does() {
        for state in ProwJobState::ALL {
            let json = serde_json::to_string(&state).expect("serialize");
            assert_eq!(json, format!("\"{}\"", state.as_str()));
            assert_eq!(state.as_str().parse::<ProwJobState>().ok(), Some(state));
        }
        for job_type in ProwJobType::ALL {
            let json = serde_json::to_string(&job_type).expect("serialize");
            assert_eq!(json, format!("\"{}\"", job_type.as_str()));
            assert_eq!(
                job_type.as_str().parse::<ProwJobType>().ok(),
                Some(job_type)
            );
        }
        assert_eq!(
            serde_json::to_string(&ProwJobAgent::TektonPipeline).expect("serialize"),
            "\"tekton-pipeline\""
        );
        assert!("Success".parse::<ProwJobState>().is_err());
        assert!("cron".parse::<ProwJobType>().is_err());
    }
}
