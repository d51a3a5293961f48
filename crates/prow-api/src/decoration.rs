//! `decoration_config`: how Prow's pod utilities augment a job's Pod (Prow's
//! `DecorationConfig` and its nested types in `pkg/apis/prowjobs/v1/types.go`).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Affinity, ResourceRequirements, Toleration};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::GoDuration;
use crate::embedded_schema::{preserved_object, preserved_object_list};

/// How to decorate a job's Pod with the pod utilities (`DecorationConfig`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DecorationConfig {
    /// How long the pod utilities wait before aborting the job with SIGINT (Go duration).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<GoDuration>,
    /// How long the pod utilities wait after SIGINT before sending SIGKILL (Go duration).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grace_period: Option<GoDuration>,
    /// Images of the utility containers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utility_images: Option<UtilityImages>,
    /// Resource requests and limits of the utility containers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<Resources>,
    /// Where to upload logs and artifacts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gcs_configuration: Option<GcsConfiguration>,
    /// Name of the Kubernetes secret holding GCS upload credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gcs_credentials_secret: Option<String>,
    /// Name of the Kubernetes secret holding S3-compatible upload credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s3_credentials_secret: Option<String>,
    /// Service account for the Pod when its spec names none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_service_account_name: Option<String>,
    /// Names of Kubernetes secrets with SSH keys used for cloning.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ssh_key_secrets: Vec<String>,
    /// Fingerprints of SSH hosts that cloning may trust (`ssh-keyscan` output).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ssh_host_fingerprints: Vec<String>,
    /// Clone with `--filter=blob:none`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blobless_fetch: Option<bool>,
    /// Do not clone the refs in init containers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_cloning: Option<bool>,
    /// Kubernetes secret holding a git http.cookiefile for cloning (`name` or `name/key`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cookiefile_secret: Option<String>,
    /// Kubernetes secret holding an OAuth token for cloning private repositories.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth_token_secret: Option<SecretKeyReference>,
    /// GitHub API endpoints used by clonerefs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub github_api_endpoints: Vec<String>,
    /// ID of the GitHub App used for cloning private repositories.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub github_app_id: String,
    /// Kubernetes secret holding the GitHub App private key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub github_app_private_key_secret: Option<SecretKeyReference>,
    /// Censor secrets in logs and artifacts before upload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub censor_secrets: Option<bool>,
    /// Options for censoring logs and artifacts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub censoring_options: Option<CensoringOptions>,
    /// The sidecar ignores interrupts during upload, hoping the test exits cleanly first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upload_ignores_interrupts: Option<bool>,
    /// Set the test container's memory limit equal to its memory request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set_limit_equals_memory_request: Option<bool>,
    /// Default memory request of the test container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_memory_request: Option<Quantity>,
    /// Affinity and tolerations applied to the Pod unless it sets its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduling_options: Option<SchedulingOptions>,
    /// How long a Pod may stay pending before it is garbage collected (Go duration).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_pending_timeout: Option<GoDuration>,
    /// How long a Pod may run before the job is aborted (Go duration).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_running_timeout: Option<GoDuration>,
    /// How long a Pod may stay unscheduled before the job is aborted (Go duration).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_unscheduled_timeout: Option<GoDuration>,
    /// UID for the Pod's processes unless its security context sets one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_as_user: Option<i64>,
    /// GID for the Pod's processes unless its security context sets one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_as_group: Option<i64>,
    /// Supplemental group owning the Pod's volumes unless its security context sets one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fs_group: Option<i64>,
}

/// Pull specs of the utility images (`UtilityImages`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct UtilityImages {
    /// Image of the clonerefs utility.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub clonerefs: String,
    /// Image of the initupload utility.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub initupload: String,
    /// Image of the entrypoint utility.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub entrypoint: String,
    /// Image of the sidecar utility.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub sidecar: String,
}

/// Resource requirements of the utility containers (`Resources`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Resources {
    /// Resources of the clonerefs container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "preserved_object")]
    pub clonerefs: Option<ResourceRequirements>,
    /// Resources of the initupload container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "preserved_object")]
    pub initupload: Option<ResourceRequirements>,
    /// Resources of the place-entrypoint container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "preserved_object")]
    pub place_entrypoint: Option<ResourceRequirements>,
    /// Resources of the sidecar container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "preserved_object")]
    pub sidecar: Option<ResourceRequirements>,
}

/// Where and how logs and artifacts are uploaded (`GCSConfiguration`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct GcsConfiguration {
    /// Bucket to upload to: `gs://name`, `s3://name`, or a bare GCS bucket name (deprecated).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub bucket: String,
    /// Path after the bucket name and before the job's own path.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub path_prefix: String,
    /// How org and repo appear in the path: `explicit`, `legacy` or `single`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub path_strategy: String,
    /// Organization omitted from paths by the legacy and single strategies.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub default_org: String,
    /// Repository omitted from paths by the legacy and single strategies.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub default_repo: String,
    /// Extra file-extension to media-type mappings, e.g. `log: text/plain`.
    #[serde(
        default,
        rename = "mediaTypes",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub media_types: BTreeMap<String, String>,
    /// Base URL under which the job's output can be viewed.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub job_url_prefix: String,
    /// Copy files to this directory instead of uploading them.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub local_output_dir: String,
    /// File types to gzip before upload (`*` for all).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub compress_file_types: Vec<String>,
}

/// A key in a Kubernetes secret (`OauthTokenSecret`, `GitHubAppPrivateKeySecret`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SecretKeyReference {
    /// Name of the Kubernetes secret.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Key in the secret that holds the value.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub key: String,
}

/// Options for censoring secrets in logs and artifacts (`CensoringOptions`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CensoringOptions {
    /// Maximum number of files censored at once (Prow's default: 10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub censoring_concurrency: Option<i64>,
    /// Buffer size in bytes per censored file (Prow's default: 10 MiB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub censoring_buffer_size: Option<i64>,
    /// Globs (relative to `$ARTIFACTS`) of the only directories to censor.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include_directories: Vec<String>,
    /// Globs (relative to `$ARTIFACTS`) of directories never to censor.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude_directories: Vec<String>,
    // Declared last, as in Prow, so `JOB_SPEC` lists the fields in Prow's order.
    /// Secrets shorter than this many characters are not censored (Prow's default: 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum_secret_length: Option<i64>,
}

/// Scheduling constraints applied to the job's Pod (`SchedulingOptions`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SchedulingOptions {
    /// Pod affinity, as in a PodSpec.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "preserved_object")]
    pub affinity: Option<Affinity>,
    /// Pod tolerations, as in a PodSpec.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "preserved_object_list")]
    pub tolerations: Vec<Toleration>,
}
