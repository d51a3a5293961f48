//! plank: runs ProwJobs as Pods in build clusters and records their outcome in the
//! ProwJob status, as Prow's `cmd/prow-controller-manager` (plank controller) does.
//!
//! - [`pod_builder::build_pod`]: the Pod of a ProwJob (pure);
//! - [`pod_state::pending_step`]: what a pending job's Pod means for the job (pure);
//! - [`admission::admit`]: global, per-job and per-queue concurrency limits (pure);
//! - [`supersede::superseded_runs`]: presubmit runs a newer run supersedes (pure);
//! - [`build_id`]: unique, increasing build ids (snowflakes, as Prow's);
//! - [`job_url`] over [`go_template`]: `status.url` from Prow's config;
//! - [`controller::run_plank`]: the kube-runtime controller;
//! - [`events`], [`metrics`], [`api_requests`]: Events, Prometheus metrics, request counts;
//! - [`cli`]: flags and wiring for `main.rs`.

pub mod admission;
pub mod api_requests;
pub mod build_id;
pub mod cli;
pub mod controller;
mod error;
pub mod events;
pub mod go_template;
pub mod job_url;
pub mod metrics;
pub mod pod_builder;
pub mod pod_state;
pub mod supersede;

pub use error::Error;
