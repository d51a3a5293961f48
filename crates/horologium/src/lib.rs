//! horologium: starts periodic ProwJobs, as Prow's `cmd/horologium`.
//!
//! - [`schedule::due_periodics`]: which periodics are due (pure; fixed clocks in tests);
//! - [`run_name::run_name`]: the deterministic ProwJob name of a (job, scheduled time) run;
//! - [`trigger`]: `interval`, `minimum_interval` and `cron` read from a periodic;
//! - [`sync::sync_periodics`]: one round against the API server (AlreadyExists = started);
//! - [`controller::run_periodics`]: the loop, every `horologium.tick_interval`, leader only;
//! - [`cli`]: flags and wiring for `main.rs`.

pub mod cli;
pub mod controller;
mod error;
pub mod metrics;
pub mod run_name;
pub mod schedule;
pub mod sync;
pub mod trigger;

pub use error::Error;
