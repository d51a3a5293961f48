//! sinker: deletes old ProwJobs and Pods, as Prow's `cmd/sinker`.
//!
//! - [`plan::plan_cleanup`]: what to delete and why (pure; fixed clocks in tests), over
//!   [`records`]: the few fields of each ProwJob and Pod the rules read;
//! - [`sweep::sweep`]: lists ProwJobs and the Prow Pods of every build cluster, plans, and
//!   deletes (or only reports, in dry-run mode);
//! - [`controller::run_sinker`]: the loop, every `sinker.resync_period`, leader only;
//! - [`metrics`]: deletions by kind and reason;
//! - [`cli`]: flags and wiring for `main.rs`.

pub mod cli;
pub mod controller;
mod error;
pub mod metrics;
pub mod plan;
pub mod records;
pub mod sweep;

pub use error::Error;
