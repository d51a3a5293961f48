//! Options of initupload (Prow's `pkg/initupload.Options`), read from `INITUPLOAD_OPTIONS`.

use serde::{Deserialize, Serialize};

use super::EnvOptions;
use super::gcs_upload::GcsUploadOptions;
use crate::Error;

/// The environment variable holding [`InitUploadOptions`].
pub const ENV_VAR: &str = "INITUPLOAD_OPTIONS";

/// Where to upload `started.json`, and the clone records to upload with it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InitUploadOptions {
    /// Upload destination (Go's embedded `*gcsupload.Options`).
    #[serde(flatten)]
    pub gcs: GcsUploadOptions,
    /// The clone records file written by clonerefs; none are uploaded when empty.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub log: String,
}

impl EnvOptions for InitUploadOptions {
    const ENV_VAR: &'static str = ENV_VAR;

    fn validate(&self) -> Result<(), Error> {
        self.gcs.validate()
    }
}
