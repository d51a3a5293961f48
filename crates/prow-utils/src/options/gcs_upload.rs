//! Where uploads land (Prow's `pkg/gcsupload.Options` and `flagutil.StorageClientOptions`),
//! embedded in the initupload and sidecar options.

use prow_api::{GcsConfiguration, PathStrategy, StorageBucket};
use serde::{Deserialize, Serialize};

use crate::Error;

/// The environment variable Prow's standalone gcsupload reads (`GCSUPLOAD_OPTIONS`).
pub const ENV_VAR: &str = "GCSUPLOAD_OPTIONS";

/// Credentials files for the storage clients (`StorageClientOptions`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StorageClientOptions {
    /// GCS service-account JSON used for `gs://` buckets.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub gcs_credentials_file: String,
    /// S3 credentials JSON used for `s3://` buckets (Prow's `providers.S3Credentials`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub s3_credentials_file: String,
}

/// Where and how to upload (`gcsupload.Options`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GcsUploadOptions {
    /// Files or directories to upload.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<String>,
    /// Sub-directory of the job's path to upload the items into.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub sub_dir: String,
    /// The bucket and its layout (Go's embedded `*GCSConfiguration`).
    #[serde(flatten)]
    pub gcs_configuration: GcsConfiguration,
    /// Credentials files (Go's embedded `StorageClientOptions`).
    #[serde(flatten)]
    pub storage_client: StorageClientOptions,
    /// Do not upload anything.
    #[serde(default)]
    pub dry_run: bool,
}

impl GcsUploadOptions {
    /// Prow's `gcsupload.Options.Validate` followed by `GCSConfiguration.Validate`.
    pub fn validate(&self) -> Result<(), Error> {
        let config = &self.gcs_configuration;
        if !config.local_output_dir.is_empty() {
            return Ok(());
        }
        if !self.dry_run && config.bucket.is_empty() {
            return Err(Error::InvalidOptions(
                "GCS upload was requested no GCS bucket was provided".into(),
            ));
        }
        validate_gcs_configuration(config)
    }
}

/// Prow's `GCSConfiguration.Validate`: a parseable bucket (or a `file:///abs/dir` local
/// directory), a known path strategy, and the default org and repo for the legacy and single
/// strategies.
pub fn validate_gcs_configuration(config: &GcsConfiguration) -> Result<(), Error> {
    let bucket = StorageBucket::parse(&config.bucket);
    let local_directory = config.bucket.starts_with("file://");
    if !config.bucket.is_empty() && !local_directory && bucket.name.is_empty() {
        return Err(Error::InvalidOptions(format!(
            "bucket {:?} has no name",
            config.bucket
        )));
    }
    let strategy: PathStrategy = config.path_strategy.parse().map_err(|_| {
        Error::InvalidOptions(format!(
            "gcs_path_strategy must be one of \"legacy\", \"explicit\", or \"single\", not {:?}",
            config.path_strategy
        ))
    })?;
    if strategy != PathStrategy::Explicit
        && (config.default_org.is_empty() || config.default_repo.is_empty())
    {
        return Err(Error::InvalidOptions(format!(
            "default org and repo must be provided for GCS strategy \"{strategy}\""
        )));
    }
    Ok(())
}
