//! prow-api: the ProwJob custom resource and Prow's contracts.
//!
//! - [`ProwJob`] (`prow.k8s.io/v1`), its spec and status with Prow's exact JSON field names,
//!   so ProwJobs written by Prow round-trip unchanged; [`crd()`] / [`crd_yaml()`] generate the CRD.
//! - [`labels`]: label and annotation keys and [`labels::labels_and_annotations_for_spec`].
//! - [`field_manager`]: server-side apply field managers per component.
//! - [`job_env`]: the `JOB_SPEC` contract and [`job_env::env_for_spec`].
//! - [`storage_path`]: the log and artifact layout in object storage.
//!
//! The `kube` and `k8s_openapi` crates are re-exported so every prow-rs crate uses the same
//! versions.

pub mod crd;
pub mod decoration;
pub mod duration;
mod embedded_schema;
pub mod error;
pub mod field_manager;
pub mod job_env;
pub mod job_kind;
pub mod labels;
pub mod prowjob;
pub mod refs;
pub mod reporting;
pub mod storage_path;

pub use k8s_openapi;
pub use kube;

pub use crd::{crd, crd_yaml, try_crd_yaml};
pub use decoration::{
    CensoringOptions, DecorationConfig, GcsConfiguration, Resources, SchedulingOptions,
    SecretKeyReference, UtilityImages,
};
pub use duration::GoDuration;
pub use error::Error;
pub use job_env::{JobSpec, env_for_spec};
pub use job_kind::{ProwJobAgent, ProwJobState, ProwJobType};
pub use labels::labels_and_annotations_for_spec;
pub use prowjob::{
    DEFAULT_CLUSTER_ALIAS, JenkinsSpec, ProwJob, ProwJobDefault, ProwJobSpec, ProwJobStatus,
    ResultStoreConfig, TektonPipelineRunSpec,
};
pub use refs::{Pull, Refs, pull_refs};
pub use reporting::{
    DingTalkReporterConfig, GitHubTeamSlug, ReporterConfig, RerunAuthConfig, SlackReporterConfig,
};
pub use storage_path::{PathStrategy, RepoPathBuilder, StorageBucket};
