//! prow-utils: Prow's pod utilities (clonerefs, initupload, entrypoint, sidecar) in one crate.
//!
//! - [`options`]: the JSON options each utility reads from its environment variable
//!   (`CLONEREFS_OPTIONS`, `INITUPLOAD_OPTIONS`, `ENTRYPOINT_OPTIONS`, `SIDECAR_OPTIONS`),
//!   byte-compatible with Prow's Go types.
//! - [`decorate`]: building the decorated Pod spec.

pub mod cli;
pub mod clone;
pub mod decorate;
pub mod error;
pub mod options;

pub use error::Error;
