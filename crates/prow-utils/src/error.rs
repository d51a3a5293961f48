//! The crate's error type.

/// Everything that can go wrong in the pod utilities.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An options environment variable is not set.
    #[error("environment variable {0} is not set")]
    MissingOptions(&'static str),
    /// An options environment variable does not hold valid JSON for its type.
    #[error("cannot parse {variable}: {source}")]
    ParseOptions {
        /// The environment variable.
        variable: &'static str,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
    /// Options parsed but are not usable.
    #[error("invalid options: {0}")]
    InvalidOptions(String),
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    ReadFile {
        /// The file.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A file could not be written.
    #[error("cannot write {path}: {source}")]
    WriteFile {
        /// The file.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// JSON could not be encoded or decoded.
    #[error("JSON: {0}")]
    Json(#[source] serde_json::Error),
    /// Cloning a repository failed (clonerefs with `fail`, or initupload seeing a failed record).
    #[error("failed to clone {0}")]
    CloneFailed(String),
    /// The job spec is missing or invalid.
    #[error("could not resolve job spec: {0}")]
    JobSpec(String),
    /// The storage bucket could not be opened.
    #[error("cannot open bucket {bucket}: {reason}")]
    OpenBucket {
        /// The configured bucket.
        bucket: String,
        /// Why it could not be opened.
        reason: String,
    },
    /// An upload failed.
    #[error("failed to upload {path}: {source}")]
    Upload {
        /// Destination path in the bucket.
        path: String,
        /// The storage error.
        #[source]
        source: object_store::Error,
    },
    /// Some uploads failed.
    #[error("failed to upload to blob storage: {0}")]
    UploadsFailed(String),
}
