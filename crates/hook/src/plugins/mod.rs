//! The built-in plugins, one module each.

pub mod approve;
pub mod assign;
pub mod blunderbuss;
pub mod cat;
pub mod comment_event;
pub mod config_updater;
pub mod help;
pub mod hold;
pub mod label;
pub mod labeler;
pub mod lgtm;
pub mod lifecycle;
pub mod retitle;
pub mod size;
pub mod skip;
pub mod trigger;
pub mod verify_owners;
pub mod wip;
