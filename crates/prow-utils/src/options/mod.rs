//! The options of each pod utility, as Prow's Go types serialize them.
//!
//! Every utility reads its whole configuration as JSON from one environment variable
//! ([`EnvOptions::ENV_VAR`]); plank (or the pod decorator) writes that JSON. Field names,
//! omission rules and duration encodings (Go's `time.Duration` is an integer of nanoseconds)
//! match Prow's, so options written by Prow's decorator are read unchanged and vice versa.

pub mod clone_refs;
pub mod entrypoint;
pub mod gcs_upload;
pub mod initupload;
pub(crate) mod serde_go;
pub mod sidecar;
pub mod wrapper;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::Error;

pub use clone_refs::CloneRefsOptions;
pub use entrypoint::EntrypointOptions;
pub use gcs_upload::{GcsUploadOptions, StorageClientOptions};
pub use initupload::InitUploadOptions;
pub use sidecar::{SidecarCensoringOptions, SidecarOptions};
pub use wrapper::WrapperOptions;

/// The job's downward API (`JOB_SPEC`), read by initupload and sidecar.
pub const JOB_SPEC_ENV: &str = prow_api::job_env::JOB_SPEC;

/// Options read from one environment variable holding their JSON.
pub trait EnvOptions: Serialize + DeserializeOwned {
    /// The environment variable holding the JSON (Prow's `JSONConfigEnvVar`).
    const ENV_VAR: &'static str;

    /// Checks that the options are usable (Prow's `Validate`).
    fn validate(&self) -> Result<(), Error>;

    /// Parses options from JSON text.
    fn from_json(json: &str) -> Result<Self, Error> {
        serde_json::from_str(json).map_err(|source| Error::ParseOptions {
            variable: Self::ENV_VAR,
            source,
        })
    }

    /// Reads, parses and validates the options from [`Self::ENV_VAR`].
    fn from_env() -> Result<Self, Error> {
        let json =
            std::env::var(Self::ENV_VAR).map_err(|_| Error::MissingOptions(Self::ENV_VAR))?;
        let options = Self::from_json(&json)?;
        options.validate()?;
        Ok(options)
    }

    /// The JSON to put in [`Self::ENV_VAR`] (Prow's `Encode`).
    fn encode(&self) -> Result<String, Error> {
        serde_json::to_string(self).map_err(|source| Error::ParseOptions {
            variable: Self::ENV_VAR,
            source,
        })
    }
}
