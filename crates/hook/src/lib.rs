//! hook: receives GitHub webhooks, runs the plugins enabled for the repository, and creates
//! ProwJobs. `main.rs` is wiring only; everything here is testable without a process.

pub mod plugin;
pub mod plugins;
