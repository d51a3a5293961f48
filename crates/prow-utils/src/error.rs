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
}
