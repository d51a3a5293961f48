//! The crate's error type.

/// Everything that can go wrong in `prow-api`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A duration string that Go's `time.ParseDuration` would reject.
    #[error("invalid duration {text:?}: {reason}")]
    InvalidDuration {
        /// The text that failed to parse.
        text: String,
        /// Why it failed, in Go's words.
        reason: &'static str,
    },
    /// A job type other than `presubmit`, `postsubmit`, `periodic` or `batch`.
    #[error("unknown job type {0:?}")]
    UnknownJobType(String),
    /// A job state other than the seven Prow knows.
    #[error("unknown job state {0:?}")]
    UnknownJobState(String),
    /// A `path_strategy` other than `explicit`, `legacy` or `single`.
    #[error("unknown path_strategy {0:?} (expected explicit, legacy or single)")]
    UnknownPathStrategy(String),
    /// A job of this type needs `refs` (Prow would panic on a nil pointer here).
    #[error("a {job_type} job needs refs")]
    MissingRefs {
        /// The job type that needs refs.
        job_type: crate::ProwJobType,
    },
    /// A presubmit job needs at least one pull in its refs.
    #[error("a presubmit job needs at least one pull in refs.pulls")]
    MissingPull,
    /// JSON serialization failed (for `JOB_SPEC`).
    #[error("serializing {what}: {source}")]
    SerializeJson {
        /// What was being serialized.
        what: &'static str,
        /// The serde_json error.
        source: serde_json::Error,
    },
    /// YAML serialization failed (for the CRD).
    #[error("serializing {what} as YAML: {source}")]
    SerializeYaml {
        /// What was being serialized.
        what: &'static str,
        /// The YAML serializer's error.
        source: serde_yaml_ng::Error,
    },
}
