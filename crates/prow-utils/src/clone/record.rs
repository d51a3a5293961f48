//! Clone records (Prow's `clone.Record` and `clone.Command`): what clonerefs ran for each
//! repository, written as a JSON array to the clonerefs `log` file and uploaded by
//! initupload as `clone-records.json`.

use std::time::Duration;

use prow_api::Refs;
use serde::{Deserialize, Serialize};

use crate::options::serde_go::{is_false, is_zero_duration, nanos};

/// One command run while cloning.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloneCommand {
    /// The command line, as `PWD=<dir> <env> <command> <args>`.
    pub command: String,
    /// Combined stdout and stderr.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub output: String,
    /// Why the command failed; empty when it succeeded.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub error: String,
    /// How long it ran (Go duration in nanoseconds).
    #[serde(default, with = "nanos", skip_serializing_if = "is_zero_duration")]
    pub duration: Duration,
}

/// The trace of cloning one repository.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloneRecord {
    /// What was to be cloned.
    pub refs: Refs,
    /// The commands run, in order; the last one failed when [`Self::failed`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub commands: Vec<CloneCommand>,
    /// Cloning failed.
    #[serde(default, skip_serializing_if = "is_false")]
    pub failed: bool,
    /// HEAD after cloning and merging (used for `repo-commit` in `started.json`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub final_sha: String,
    /// How long cloning took (Go duration in nanoseconds).
    #[serde(default, with = "nanos", skip_serializing_if = "is_zero_duration")]
    pub duration: Duration,
}
