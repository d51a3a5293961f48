//! The built-in plugins, one module each.

pub mod cat;
pub mod config_updater;
pub mod trigger;
