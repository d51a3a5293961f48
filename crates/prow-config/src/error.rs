//! The crate's error type: what stops loading entirely.

use std::path::PathBuf;

/// Loading could not go on: a file could not be read or is not YAML. Everything else is a
/// [`crate::Problem`].
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// A file or directory could not be read.
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A file is not valid YAML.
    #[error("{}:{line}:{col}: {message}", file.display())]
    Syntax {
        /// The file.
        file: PathBuf,
        /// Line (1-based; 0 when unknown).
        line: u32,
        /// Column (1-based; 0 when unknown).
        col: u32,
        /// The parser's message.
        message: String,
    },
    /// A job could not be turned into a ProwJob spec (a field does not fit the ProwJob types).
    #[error("job {job}: {field}: {message}")]
    JobSpec {
        /// The job name.
        job: String,
        /// The field that did not convert.
        field: &'static str,
        /// Why.
        message: String,
    },
}

/// Why a running component refuses to start with a configuration.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A file could not be read or is not YAML.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The configuration holds errors other than unknown fields (one per line, `file:line:col`).
    #[error("the configuration has errors:\n{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<crate::Problem>),
}
