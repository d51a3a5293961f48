//! The built-in plugins, one module each.

pub mod approve;
pub mod blunderbuss;
pub mod cat;
pub mod config_updater;
pub mod lgtm;
pub mod trigger;
pub mod verify_owners;
