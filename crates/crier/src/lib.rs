//! crier: reports ProwJob results to GitHub, as Prow's `cmd/crier` with its GitHub reporter.
//!
//! - [`status`]: the commit status (or check run) for a job's state, Prow's description
//!   format (pure);
//! - [`summary_comment`]: the one failed-jobs comment per PR, read back, planned, rendered
//!   (pure);
//! - [`selection`]: which jobs are reported and how (`github_reporter` settings, flags);
//! - [`reporter`]: the GitHub calls for one job;
//! - [`report_state`]: recording the reported state in `status.prev_report_states`;
//! - [`controller`]: the kube-runtime controller over ProwJobs, leader only;
//! - [`metrics`], [`cli`].

pub mod cli;
pub mod controller;
mod error;
pub mod metrics;
pub mod report_state;
pub mod reporter;
pub mod selection;
pub mod settings_watch;
pub mod status;
pub mod summary_comment;

pub use error::Error;
