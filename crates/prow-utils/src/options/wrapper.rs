//! The wrapped test process (Prow's `pkg/pod-utils/wrapper.Options`), shared by entrypoint
//! (which runs it) and sidecar (which waits for it).

use serde::{Deserialize, Serialize};

use super::serde_go::null_as_default;
use crate::Error;

/// One wrapped process: what to run and where its log, marker and metadata go.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WrapperOptions {
    /// The command and its arguments.
    #[serde(default, deserialize_with = "null_as_default")]
    pub args: Vec<String>,
    /// Name of the container the process runs in.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub container_name: String,
    /// File receiving the process's stdout and stderr.
    #[serde(default)]
    pub process_log: String,
    /// File receiving the exit code (or an internal error code) when the process ends.
    #[serde(default)]
    pub marker_file: String,
    /// JSON file the process may write to add metadata to `finished.json`.
    #[serde(default)]
    pub metadata_file: String,
}

impl WrapperOptions {
    /// Prow's `Validate`: the process log and marker file must be set.
    pub fn validate(&self) -> Result<(), Error> {
        if self.process_log.is_empty() {
            return Err(Error::InvalidOptions(
                "no log file specified with --process-log".into(),
            ));
        }
        if self.marker_file.is_empty() {
            return Err(Error::InvalidOptions(
                "no marker file specified with --marker-file".into(),
            ));
        }
        Ok(())
    }
}
