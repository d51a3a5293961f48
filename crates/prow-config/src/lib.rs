//! Prow-compatible configuration: `config.yaml`, the job-config directory and `plugins.yaml`.
//!
//! [`load`] reads them as Prow's `config.Load` does (defaults, presets, decoration defaults,
//! validation) and returns every problem with its file, line and column. The job types offer
//! Prow's matching ([`Brancher::should_run`], [`Presubmit::trigger_matches`], ...) and
//! [`presubmit_spec`], [`postsubmit_spec`] and [`periodic_spec`] turn a job into a ProwJob spec.

pub mod yaml;

mod config;
mod cron;
mod duration;
mod error;
mod finalize;
mod job_config;
mod job_pod_spec;
mod jobs;
mod load;
mod matching;
mod plugins;
mod problem;
mod reload;
mod spec;
mod validate;

pub use config::*;
pub use cron::validate_cron;
pub use duration::{DurationError, GoDuration, format_duration, parse_duration};
pub use error::{LoadError, StartError};
pub use finalize::{DEFAULT_CLUSTER, KUBERNETES_AGENT, merge_decoration, merge_preset};
pub use job_config::JobConfig;
pub use job_pod_spec::JobPodSpec;
pub use jobs::*;
pub use load::{LoadOptions, Loaded, load};
pub use matching::*;
pub use plugins::*;
pub use problem::{Problem, ProblemKind, Severity};
pub use reload::{ReloadOutcome, Reloader, files_fingerprint};
pub use spec::{periodic_spec, postsubmit_spec, presubmit_spec, prowjob_labels};
