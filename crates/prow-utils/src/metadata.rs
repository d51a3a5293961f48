//! `started.json` and `finished.json` (testgrid's `metadata.Started` / `metadata.Finished`)
//! and how Prow fills them from the job spec and clone records (`downwardapi.SpecToStarted`).

use std::collections::BTreeMap;

use prow_api::{JobSpec, Refs, pull_refs};
use serde::{Deserialize, Serialize};

use crate::clone::CloneRecord;

/// Extra values a job reports in `finished.json` (`metadata.Metadata`).
pub type Metadata = serde_json::Map<String, serde_json::Value>;

/// `started.json`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Started {
    /// When the job started, seconds since the epoch.
    pub timestamp: i64,
    /// Machine that ran the job.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub node: String,
    /// Number of the pull request under test.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub pull: String,
    /// `org/repo` to its refs string (as `PULL_REFS`) for every cloned repository.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub repos: BTreeMap<String, String>,
    /// The commit under test (after merging, when cloned).
    #[serde(
        default,
        rename = "repo-commit",
        skip_serializing_if = "String::is_empty"
    )]
    pub repo_commit: String,
    /// Deprecated metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
    /// Deprecated job version.
    #[serde(
        default,
        rename = "job-version",
        skip_serializing_if = "String::is_empty"
    )]
    pub job_version: String,
    /// Deprecated copy of `repo-commit`.
    #[serde(
        default,
        rename = "repo-version",
        skip_serializing_if = "String::is_empty"
    )]
    pub repo_version: String,
}

/// `finished.json`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Finished {
    /// When the job finished, seconds since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<i64>,
    /// Whether the job passed (`null` when unknown, as Go writes a nil pointer).
    #[serde(default)]
    pub passed: Option<bool>,
    /// Values the job reported through its metadata file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
    /// `SUCCESS`, `FAILURE` or `ABORTED`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub result: String,
    /// Deprecated job version.
    #[serde(
        default,
        rename = "job-version",
        skip_serializing_if = "String::is_empty"
    )]
    pub job_version: String,
    /// The revision under test (Prow's `GetRevisionFromSpec`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub revision: String,
    /// Deprecated repository version.
    #[serde(
        default,
        rename = "repo-version",
        skip_serializing_if = "String::is_empty"
    )]
    pub repo_version: String,
}

/// Seconds since the epoch now.
pub fn unix_now() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// The refs that identify the job: `refs`, else the first non-auxiliary extra refs.
pub fn main_refs(spec: &JobSpec) -> Option<&Refs> {
    spec.refs
        .as_ref()
        .or_else(|| spec.extra_refs.iter().find(|refs| !refs.auxiliary))
}

/// The revision under test: the first pull's SHA, else the base SHA, else the base ref
/// (Prow's `GetRevisionFromSpec`).
pub fn revision_from_spec(spec: &JobSpec) -> String {
    let Some(refs) = main_refs(spec) else {
        return String::new();
    };
    if let Some(pull) = refs.pulls.first() {
        return pull.sha.clone();
    }
    if !refs.base_sha.is_empty() {
        return refs.base_sha.clone();
    }
    refs.base_ref.clone()
}

/// `started.json` for a run (Prow's `SpecToStarted`): the merged SHA from the clone
/// records when the main refs were cloned, else the revision from the spec.
pub fn spec_to_started(spec: &JobSpec, records: &[CloneRecord], timestamp: i64) -> Started {
    let mut version = main_refs(spec)
        .and_then(|main| records.iter().find(|record| &record.refs == main))
        .map(|record| record.final_sha.clone())
        .unwrap_or_default();
    if version.is_empty() {
        version = revision_from_spec(spec);
    }
    let mut started = Started {
        timestamp,
        repo_commit: version.clone(),
        repo_version: version,
        ..Started::default()
    };
    if let Some(refs) = &spec.refs {
        if let Some(pull) = refs.pulls.first() {
            started.pull = pull.number.to_string();
        }
        started
            .repos
            .insert(format!("{}/{}", refs.org, refs.repo), pull_refs(refs));
    }
    for refs in &spec.extra_refs {
        started
            .repos
            .insert(format!("{}/{}", refs.org, refs.repo), pull_refs(refs));
    }
    started
}

#[cfg(test)]
mod tests {
    use prow_api::{ProwJobType, Pull};

    use super::*;

    fn presubmit() -> JobSpec {
        JobSpec {
            job_type: ProwJobType::Presubmit,
            job: "job".into(),
            build_id: "1".into(),
            prow_job_id: "pj".into(),
            refs: Some(Refs {
                org: "org".into(),
                repo: "repo".into(),
                base_ref: "main".into(),
                base_sha: "base".into(),
                pulls: vec![Pull {
                    number: 7,
                    sha: "head".into(),
                    ..Pull::default()
                }],
                ..Refs::default()
            }),
            extra_refs: Vec::new(),
            decoration_config: None,
            agent: None,
        }
    }

    #[test]
    fn started_uses_merged_sha_from_clone_records() {
        let spec = presubmit();
        let record = CloneRecord {
            refs: spec.refs.clone().expect("refs"),
            final_sha: "merged".into(),
            ..CloneRecord::default()
        };
        let with_record = spec_to_started(&spec, &[record], 10);
        assert_eq!(with_record.repo_commit, "merged");
        let without = spec_to_started(&spec, &[], 10);
        assert_eq!(without.repo_commit, "head");
        assert_eq!(
            serde_json::to_string(&without).expect("json"),
            r#"{"timestamp":10,"pull":"7","repos":{"org/repo":"main:base,7:head"},"repo-commit":"head","repo-version":"head"}"#
        );
    }

    #[test]
    fn finished_writes_passed_even_when_unknown() {
        let finished = Finished::default();
        assert_eq!(
            serde_json::to_string(&finished).expect("json"),
            r#"{"passed":null}"#
        );
        let finished = Finished {
            timestamp: Some(5),
            passed: Some(false),
            result: "FAILURE".into(),
            ..Finished::default()
        };
        assert_eq!(
            serde_json::to_string(&finished).expect("json"),
            r#"{"timestamp":5,"passed":false,"result":"FAILURE"}"#
        );
    }
}
