//! deck: Prow's read-only status page and JSON API, served from a watch cache of ProwJobs.
//!
//! - [`app::serve`] starts it in-process (tests, benchmarks) and returns the bound address.
//! - [`job_cache`] holds the ProwJobs; [`prowjob_watch`] keeps it current; every page and API
//!   answer reads a [`job_cache::Snapshot`] and never the API server.
//! - [`server`] has the routes; [`pages`] renders HTML (escaped), [`api`] JSON, [`badge`] SVG.

pub mod api;
pub mod app;
pub mod badge;
pub mod cli;
pub mod command_help;
pub mod error;
pub mod history_routes;
pub mod html;
pub mod job_cache;
pub mod job_links;
pub mod job_query;
pub mod job_record;
pub mod log_render;
pub mod metrics;
pub mod pages;
pub mod prowjob_watch;
pub mod run_pod;
pub mod run_routes;
pub mod run_storage;
pub mod run_view;
pub mod server;
pub mod static_files;
pub mod visibility;

pub use error::Error;
