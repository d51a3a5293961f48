//! Options of sidecar (Prow's `pkg/sidecar.Options`), read from `SIDECAR_OPTIONS`.

use serde::{Deserialize, Serialize};

use super::EnvOptions;
use super::gcs_upload::GcsUploadOptions;
use super::serde_go::{is_false, null_as_default};
use super::wrapper::WrapperOptions;
use crate::Error;

/// The environment variable holding [`SidecarOptions`].
pub const ENV_VAR: &str = "SIDECAR_OPTIONS";
/// Files censored at once unless configured (Prow's default).
pub const DEFAULT_CENSORING_CONCURRENCY: i64 = 10;
/// Censoring buffer per file unless configured: 10 MiB (Prow's default).
pub const DEFAULT_CENSORING_BUFFER_SIZE: i64 = 10 * 1024 * 1024;

/// How secrets are censored before upload (sidecar's `CensoringOptions`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SidecarCensoringOptions {
    /// Directories of mounted secrets whose file contents are censored.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secret_directories: Vec<String>,
    /// Files censored at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub censoring_concurrency: Option<i64>,
    /// Buffer size in bytes per censored file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub censoring_buffer_size: Option<i64>,
    /// Secrets shorter than this are not censored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum_secret_length: Option<i64>,
    /// Globs (relative to the artifact directory) of the only files to censor.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include_directories: Vec<String>,
    /// Globs (relative to the artifact directory) of files never censored.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude_directories: Vec<String>,
    /// Secret file names parsed as INI files whose values are censored too.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ini_filenames: Vec<String>,
}

/// What sidecar waits for, uploads and censors.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SidecarOptions {
    /// Upload destination.
    #[serde(default, deserialize_with = "null_as_default")]
    pub gcs_options: GcsUploadOptions,
    /// A single wrapped process (deprecated by Prow in favour of `entries`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wrapper_options: Option<WrapperOptions>,
    /// The wrapped processes to wait for.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entries: Vec<WrapperOptions>,
    /// Exit non-zero unless every entry passed.
    #[serde(default, skip_serializing_if = "is_false")]
    pub entry_error: bool,
    /// Keep waiting and upload normally when interrupted.
    #[serde(default, skip_serializing_if = "is_false")]
    pub ignore_interrupts: bool,
    /// Write memory profiles (accepted for compatibility; prow-rs ignores it).
    #[serde(default, skip_serializing_if = "is_false")]
    pub write_memory_profile: bool,
    /// Censoring settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub censoring_options: Option<SidecarCensoringOptions>,
    /// Deprecated form of `censoring_options.secret_directories`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secret_directories: Vec<String>,
    /// Deprecated form of `censoring_options.censoring_concurrency`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub censoring_concurrency: Option<i64>,
    /// Deprecated form of `censoring_options.censoring_buffer_size`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub censoring_buffer_size: Option<i64>,
}

impl SidecarOptions {
    /// The processes to wait for: `wrapper_options` (if set) then `entries` (Prow's `entries()`).
    pub fn all_entries(&self) -> Vec<WrapperOptions> {
        self.wrapper_options
            .iter()
            .chain(self.entries.iter())
            .cloned()
            .collect()
    }

    fn uses_deprecated_censoring(&self) -> bool {
        !self.secret_directories.is_empty()
            || self.censoring_concurrency.is_some()
            || self.censoring_buffer_size.is_some()
    }

    /// The censoring settings, from `censoring_options` or the deprecated top-level fields.
    pub fn effective_censoring(&self) -> Option<SidecarCensoringOptions> {
        if self.uses_deprecated_censoring() {
            return Some(SidecarCensoringOptions {
                secret_directories: self.secret_directories.clone(),
                censoring_concurrency: self.censoring_concurrency,
                censoring_buffer_size: self.censoring_buffer_size,
                ..SidecarCensoringOptions::default()
            });
        }
        self.censoring_options.clone()
    }
}

impl EnvOptions for SidecarOptions {
    const ENV_VAR: &'static str = ENV_VAR;

    fn validate(&self) -> Result<(), Error> {
        if self.uses_deprecated_censoring() && self.censoring_options.is_some() {
            return Err(Error::InvalidOptions("cannot use deprecated options (secret_directories, censoring_{concurrency,buffer_size}) and new options (censoring_options) at the same time".into()));
        }
        let entries = self.all_entries();
        if entries.is_empty() {
            return Err(Error::InvalidOptions("no wrapper.Option entries".into()));
        }
        for (index, entry) in entries.iter().enumerate() {
            entry
                .validate()
                .map_err(|e| Error::InvalidOptions(format!("entry {index}: {e}")))?;
        }
        self.gcs_options.validate()
    }
}
