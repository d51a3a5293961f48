//! hook: receives GitHub webhooks, runs the plugins enabled for the repository, and creates
//! ProwJobs. `main.rs` is wiring only; everything here is testable without a process.
//!
//! - [`server`]: `POST /hook` (validation, signature, body cap, de-duplication, queue) and
//!   `GET /plugin-help`;
//! - [`dispatch`]: runs the enabled plugins of an event concurrently and isolated;
//! - [`registry`]: plugin names → plugin instances;
//! - [`config_watch`]: the configuration, reloaded when its files change;
//! - [`app`]: the `hook` binary's flags and wiring.

pub mod app;
pub mod config_watch;
pub mod delivery_dedupe;
pub mod dispatch;
pub mod external_plugins;
pub mod hmac_watch;
pub mod metrics;
pub mod owners;
pub mod plugin;
pub mod plugins;
pub mod registry;
pub mod server;
