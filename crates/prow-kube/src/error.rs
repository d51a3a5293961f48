//! The one error type of this crate; each variant is named after the operation that failed.

use std::net::SocketAddr;
use std::path::PathBuf;

/// Everything that can fail in the shared runtime.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A kubeconfig file could not be read or parsed.
    #[error("reading kubeconfig {path}")]
    ReadKubeconfig {
        /// The file that was read.
        path: PathBuf,
        /// Why it failed.
        #[source]
        source: kube::config::KubeconfigError,
    },
    /// A client configuration could not be built from a kubeconfig context.
    #[error("loading context {context:?} from kubeconfig {path}")]
    LoadKubeconfigContext {
        /// The kubeconfig file.
        path: PathBuf,
        /// The context (`None`: the file's current context).
        context: Option<String>,
        /// Why it failed.
        #[source]
        source: kube::config::KubeconfigError,
    },
    /// No `--kubeconfig` was given and the process does not run in a cluster.
    #[error("loading in-cluster config (no --kubeconfig or KUBECONFIG given)")]
    LoadInClusterConfig(#[source] kube::config::InClusterError),
    /// The HTTP client stack could not be built from a configuration.
    #[error("building Kubernetes client")]
    BuildClient(#[source] kube::Error),
    /// The `--build-cluster-dir` directory could not be listed.
    #[error("reading build cluster directory {path}")]
    ReadBuildClusterDir {
        /// The directory.
        path: PathBuf,
        /// Why it failed.
        #[source]
        source: std::io::Error,
    },
    /// The same context name appears in two `--build-cluster` kubeconfigs.
    #[error("build cluster {alias:?} is defined in both {first} and {second}")]
    DuplicateBuildCluster {
        /// The context name (= build cluster alias).
        alias: String,
        /// The file that defined it first.
        first: PathBuf,
        /// The file that defined it again.
        second: PathBuf,
    },
    /// A job asked for a build cluster that is not configured.
    #[error("unknown build cluster {alias:?}; known build clusters: {known}")]
    UnknownBuildCluster {
        /// The alias that was asked for.
        alias: String,
        /// The configured aliases, comma separated.
        known: String,
    },
    /// `RUST_LOG` is not a valid filter.
    #[error("parsing RUST_LOG filter {filter:?}")]
    ParseLogFilter {
        /// The filter text.
        filter: String,
        /// Why it is invalid.
        #[source]
        source: tracing_subscriber::filter::ParseError,
    },
    /// The admin server could not bind its address.
    #[error("binding admin server to {addr}")]
    BindAdmin {
        /// The address.
        addr: SocketAddr,
        /// Why it failed.
        #[source]
        source: std::io::Error,
    },
    /// The admin server failed while serving.
    #[error("serving admin server")]
    ServeAdmin(#[source] std::io::Error),
    /// A signal handler could not be installed.
    #[error("installing signal handler")]
    InstallSignalHandler(#[source] std::io::Error),
    /// A task of a [`crate::shutdown::TaskGroup`] returned an error.
    #[error("task {task} failed: {message}")]
    RunTask {
        /// The task's name.
        task: String,
        /// The task's error, rendered.
        message: String,
    },
    /// A task of a [`crate::shutdown::TaskGroup`] panicked or was aborted.
    #[error("task {task} panicked or was aborted")]
    JoinTask {
        /// The task's name.
        task: String,
    },
    /// The leader election durations are inconsistent.
    #[error("invalid leader election timings: {reason}")]
    ValidateLeaseTimings {
        /// Which rule they break.
        reason: &'static str,
    },
    /// Reading the Lease failed.
    #[error("getting lease {namespace}/{name}")]
    GetLease {
        /// Lease namespace.
        namespace: String,
        /// Lease name.
        name: String,
        /// Why it failed.
        #[source]
        source: kube::Error,
    },
    /// Creating the Lease failed.
    #[error("creating lease {namespace}/{name}")]
    CreateLease {
        /// Lease namespace.
        namespace: String,
        /// Lease name.
        name: String,
        /// Why it failed.
        #[source]
        source: kube::Error,
    },
    /// Replacing (acquiring, renewing or releasing) the Lease failed.
    #[error("replacing lease {namespace}/{name}")]
    ReplaceLease {
        /// Lease namespace.
        namespace: String,
        /// Lease name.
        name: String,
        /// Why it failed.
        #[source]
        source: kube::Error,
    },
}

impl Error {
    /// Whether this is a lease write that lost a race with another candidate (the Lease
    /// was created or changed since it was read): expected, retried, not worth a warning.
    pub fn is_lost_race(&self) -> bool {
        match self {
            Error::CreateLease {
                source: kube::Error::Api(status),
                ..
            } => status.is_already_exists(),
            Error::ReplaceLease {
                source: kube::Error::Api(status),
                ..
            } => status.is_conflict(),
            _ => false,
        }
    }

    /// The variant name, for use as a metric label (never an object name).
    pub fn variant_name(&self) -> &'static str {
        match self {
            Error::ReadKubeconfig { .. } => "ReadKubeconfig",
            Error::LoadKubeconfigContext { .. } => "LoadKubeconfigContext",
            Error::LoadInClusterConfig(_) => "LoadInClusterConfig",
            Error::BuildClient(_) => "BuildClient",
            Error::ReadBuildClusterDir { .. } => "ReadBuildClusterDir",
            Error::DuplicateBuildCluster { .. } => "DuplicateBuildCluster",
            Error::UnknownBuildCluster { .. } => "UnknownBuildCluster",
            Error::ParseLogFilter { .. } => "ParseLogFilter",
            Error::BindAdmin { .. } => "BindAdmin",
            Error::ServeAdmin(_) => "ServeAdmin",
            Error::InstallSignalHandler(_) => "InstallSignalHandler",
            Error::RunTask { .. } => "RunTask",
            Error::JoinTask { .. } => "JoinTask",
            Error::ValidateLeaseTimings { .. } => "ValidateLeaseTimings",
            Error::GetLease { .. } => "GetLease",
            Error::CreateLease { .. } => "CreateLease",
            Error::ReplaceLease { .. } => "ReplaceLease",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Status body as kube-apiserver returns it for a failed write.
    fn api_error(reason: &str, code: u16) -> kube::Error {
        let status: kube::core::Status = serde_json::from_value(serde_json::json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": "leases.coordination.k8s.io \"plank\": the write failed",
            "reason": reason,
            "details": { "name": "plank", "group": "coordination.k8s.io", "kind": "leases" },
            "code": code
        }))
        .expect("status");
        kube::Error::Api(Box::new(status))
    }

    #[test]
    fn only_create_exists_and_replace_conflict_are_lost_races() {
        let create = |source| Error::CreateLease {
            namespace: "prow".into(),
            name: "plank".into(),
            source,
        };
        let replace = |source| Error::ReplaceLease {
            namespace: "prow".into(),
            name: "plank".into(),
            source,
        };
        let get = |source| Error::GetLease {
            namespace: "prow".into(),
            name: "plank".into(),
            source,
        };
        let cases = [
            (
                "create, already exists",
                create(api_error("AlreadyExists", 409)),
                true,
            ),
            (
                "replace, conflict",
                replace(api_error("Conflict", 409)),
                true,
            ),
            (
                "create, forbidden",
                create(api_error("Forbidden", 403)),
                false,
            ),
            (
                "replace, not found",
                replace(api_error("NotFound", 404)),
                false,
            ),
            ("get, conflict", get(api_error("Conflict", 409)), false),
        ];
        for (name, error, lost_race) in cases {
            assert_eq!(error.is_lost_race(), lost_race, "{name}");
        }
    }
}
