//! What can go wrong while building a decorated Pod.

/// Why a ProwJob could not be turned into a (decorated) Pod.
#[derive(Debug, thiserror::Error)]
pub enum DecorateError {
    /// The ProwJob has no `pod_spec` (Prow: "prowjob lacks a pod spec").
    #[error("prowjob {job:?} lacks a pod spec")]
    MissingPodSpec {
        /// Name of the ProwJob.
        job: String,
    },
    /// [`super::decorate_pod_spec`] was called for a ProwJob without `decoration_config`.
    #[error("prowjob {job:?} has no decoration_config")]
    NotDecorated {
        /// Name of the ProwJob.
        job: String,
    },
    /// The job's environment (`JOB_SPEC` and the variables derived from it) could not be
    /// built, e.g. a presubmit without a pull request.
    #[error("job environment: {0}")]
    JobEnv(#[from] prow_api::Error),
    /// A utility's JSON options could not be serialized.
    #[error("encode {variable}: {source}")]
    EncodeOptions {
        /// The environment variable the options are for.
        variable: &'static str,
        /// The serialization error.
        #[source]
        source: serde_json::Error,
    },
}
