//! The error type of plank.

/// What can go wrong while turning ProwJobs into Pods and Pod outcomes into ProwJob status.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The ProwJob has no `pod_spec`, so there is nothing to run.
    #[error("ProwJob {name} lacks a pod spec")]
    MissingPodSpec {
        /// The ProwJob.
        name: String,
    },
    /// The job environment (`JOB_SPEC`, ...) could not be built.
    #[error("ProwJob {name}: job environment: {source}")]
    JobEnv {
        /// The ProwJob.
        name: String,
        /// Why.
        #[source]
        source: prow_api::Error,
    },
    /// The pod utilities could not be added to a decorated job's Pod.
    #[error("ProwJob {name}: decoration: {source}")]
    Decorate {
        /// The ProwJob.
        name: String,
        /// Why.
        #[source]
        source: prow_utils::decorate::DecorateError,
    },
    /// The job names a build cluster plank does not know (a terminal error).
    #[error("unknown build cluster alias {alias:?} (known: {known})")]
    UnknownBuildCluster {
        /// The alias from `spec.cluster`.
        alias: String,
        /// The configured aliases.
        known: String,
    },
    /// The job names a job queue missing from `plank.job_queue_capacities`.
    #[error("job queue {queue:?} is not defined in plank.job_queue_capacities")]
    UnknownJobQueue {
        /// The queue name.
        queue: String,
    },
    /// Reading a Pod failed.
    #[error("get pod {namespace}/{name} in cluster {cluster}: {source}")]
    GetPod {
        /// Pod namespace.
        namespace: String,
        /// Pod name.
        name: String,
        /// Build cluster alias.
        cluster: String,
        /// The API error.
        #[source]
        source: Box<kube::Error>,
    },
    /// Creating a Pod failed.
    #[error("create pod {namespace}/{name} in cluster {cluster}: {source}")]
    CreatePod {
        /// Pod namespace.
        namespace: String,
        /// Pod name.
        name: String,
        /// Build cluster alias.
        cluster: String,
        /// The API error.
        #[source]
        source: Box<kube::Error>,
    },
    /// Deleting a Pod failed.
    #[error("delete pod {namespace}/{name} in cluster {cluster}: {source}")]
    DeletePod {
        /// Pod namespace.
        namespace: String,
        /// Pod name.
        name: String,
        /// Build cluster alias.
        cluster: String,
        /// The API error.
        #[source]
        source: Box<kube::Error>,
    },
    /// Writing a ProwJob's status failed.
    #[error("patch status of ProwJob {name}: {source}")]
    PatchStatus {
        /// The ProwJob.
        name: String,
        /// The API error.
        #[source]
        source: Box<kube::Error>,
    },
    /// A write did not show up in the watch cache in time.
    #[error("{what} {name} did not reach the watch cache within {seconds} s")]
    CacheTimeout {
        /// `ProwJob` or `Pod`.
        what: &'static str,
        /// Its name.
        name: String,
        /// How long plank waited.
        seconds: u64,
    },
    /// `plank.job_url_template` is not a template prow-rs can run.
    #[error("plank.job_url_template: {0}")]
    JobUrlTemplate(#[from] crate::go_template::TemplateError),
}

impl Error {
    /// The variant name, for metric labels.
    pub fn variant_name(&self) -> &'static str {
        match self {
            Error::MissingPodSpec { .. } => "MissingPodSpec",
            Error::JobEnv { .. } => "JobEnv",
            Error::Decorate { .. } => "Decorate",
            Error::UnknownBuildCluster { .. } => "UnknownBuildCluster",
            Error::UnknownJobQueue { .. } => "UnknownJobQueue",
            Error::GetPod { .. } => "GetPod",
            Error::CreatePod { .. } => "CreatePod",
            Error::DeletePod { .. } => "DeletePod",
            Error::PatchStatus { .. } => "PatchStatus",
            Error::CacheTimeout { .. } => "CacheTimeout",
            Error::JobUrlTemplate(_) => "JobUrlTemplate",
        }
    }

    /// Errors that retrying cannot fix: the job is put in the `error` state instead
    /// (Prow's `TerminalError`).
    pub fn is_terminal(&self) -> bool {
        matches!(self, Error::UnknownBuildCluster { .. })
    }
}
