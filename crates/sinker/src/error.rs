//! The error type of sinker.

/// What can go wrong while sweeping.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Listing ProwJobs failed.
    #[error("list ProwJobs in namespace {namespace}: {source}")]
    ListProwJobs {
        /// The ProwJob namespace.
        namespace: String,
        /// The API error.
        #[source]
        source: kube::Error,
    },
    /// Listing the Prow Pods of a build cluster failed.
    #[error("list Pods in build cluster {cluster}, namespace {namespace}: {source}")]
    ListPods {
        /// The build cluster alias.
        cluster: String,
        /// The Pod namespace.
        namespace: String,
        /// The API error.
        #[source]
        source: kube::Error,
    },
    /// Reading a ProwJob before declaring its Pod orphaned failed.
    #[error("get ProwJob {name}: {source}")]
    GetProwJob {
        /// The ProwJob name.
        name: String,
        /// The API error.
        #[source]
        source: kube::Error,
    },
    /// Deleting a ProwJob failed.
    #[error("delete ProwJob {name}: {source}")]
    DeleteProwJob {
        /// The ProwJob name.
        name: String,
        /// The API error.
        #[source]
        source: kube::Error,
    },
    /// Deleting a Pod failed.
    #[error("delete Pod {name} in build cluster {cluster}: {source}")]
    DeletePod {
        /// The build cluster alias.
        cluster: String,
        /// The Pod name.
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
            Error::ListProwJobs { .. } => "ListProwJobs",
            Error::ListPods { .. } => "ListPods",
            Error::GetProwJob { .. } => "GetProwJob",
            Error::DeleteProwJob { .. } => "DeleteProwJob",
            Error::DeletePod { .. } => "DeletePod",
        }
    }
}
