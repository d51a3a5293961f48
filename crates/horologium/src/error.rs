//! The error type of horologium.

/// What can go wrong while scheduling or starting periodics.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A periodic's `cron` could not be read.
    #[error("periodic {job}: cron {cron:?}: {reason}")]
    ParseCron {
        /// The periodic.
        job: String,
        /// Its cron expression.
        cron: String,
        /// Why it was rejected.
        reason: String,
    },
    /// A periodic sets none of `cron`, `interval` and `minimum_interval`.
    #[error("periodic {job} has no cron, interval or minimum_interval")]
    NoSchedule {
        /// The periodic.
        job: String,
    },
    /// A periodic could not be turned into a ProwJob spec.
    #[error("periodic {job}: cannot build its ProwJob spec: {source}")]
    BuildSpec {
        /// The periodic.
        job: String,
        /// Why.
        #[source]
        source: prow_config::LoadError,
    },
    /// Listing ProwJobs failed.
    #[error("list ProwJobs in namespace {namespace}: {source}")]
    ListProwJobs {
        /// The ProwJob namespace.
        namespace: String,
        /// The API error.
        #[source]
        source: kube::Error,
    },
    /// Creating a ProwJob failed.
    #[error("create ProwJob {name} for periodic {job}: {source}")]
    CreateProwJob {
        /// The ProwJob name.
        name: String,
        /// The periodic.
        job: String,
        /// The API error.
        #[source]
        source: kube::Error,
    },
    /// Writing the triggered status of a new ProwJob failed.
    #[error("patch status of ProwJob {name}: {source}")]
    PatchStatus {
        /// The ProwJob name.
        name: String,
        /// The API error.
        #[source]
        source: kube::Error,
    },
}

impl Error {
    /// The variant name, for metric labels.
    pub fn variant_name(&self) -> &'static str {
        match self {
            Error::ParseCron { .. } => "ParseCron",
            Error::NoSchedule { .. } => "NoSchedule",
            Error::BuildSpec { .. } => "BuildSpec",
            Error::ListProwJobs { .. } => "ListProwJobs",
            Error::CreateProwJob { .. } => "CreateProwJob",
            Error::PatchStatus { .. } => "PatchStatus",
        }
    }
}
