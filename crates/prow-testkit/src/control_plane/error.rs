//! The error type of the control plane harness and the node agent.

use std::path::PathBuf;

/// Everything that can go wrong while finding, starting or using the local control plane or
/// the node agent.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `kube-apiserver`/`etcd` could not be found or built.
    #[error("cannot find kube-apiserver and etcd: {0}")]
    FindTools(String),
    /// Certificate or key generation failed.
    #[error("generating certificates: {0}")]
    GenerateCerts(#[from] rcgen::Error),
    /// A file or directory operation failed.
    #[error("I/O on {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A child process could not be spawned.
    #[error("starting {name}: {source}")]
    Spawn {
        /// The program.
        name: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A child process exited or never became ready.
    #[error("{name} did not become ready: {reason}; last log lines:\n{log_tail}")]
    NotReady {
        /// The program.
        name: String,
        /// Why we gave up.
        reason: String,
        /// The end of its log.
        log_tail: String,
    },
    /// Building a client from the generated kubeconfig failed.
    #[error("building a client from the kubeconfig: {0}")]
    Kubeconfig(String),
    /// A Kubernetes API call failed.
    #[error("kubernetes API call {op} failed: {source}")]
    Kube {
        /// What we were doing.
        op: &'static str,
        /// The underlying error.
        source: kube::Error,
    },
    /// A CRD file in `crds/` could not be parsed.
    #[error("invalid CRD file {path}: {message}")]
    ParseCrd {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// A CRD was not Established in time.
    #[error("CRD {0} was not Established in time")]
    CrdNotEstablished(String),
    /// The TLS configuration of the node agent's log server is invalid.
    #[error("TLS configuration: {0}")]
    Tls(#[from] rustls::Error),
}

impl Error {
    /// Wraps an I/O error with the path it concerns.
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { path, source }
    }

    /// Wraps a Kubernetes API error with the operation that failed.
    pub(crate) fn kube(op: &'static str) -> impl FnOnce(kube::Error) -> Error {
        move |source| Error::Kube { op, source }
    }
}

/// The result type of this module.
pub type Result<T, E = Error> = std::result::Result<T, E>;
