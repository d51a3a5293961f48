//! prow-utils: Prow's pod utilities (clonerefs, initupload, entrypoint, sidecar) in one crate.
//!
//! - [`options`]: the JSON options each utility reads from its environment variable
//!   (`CLONEREFS_OPTIONS`, `INITUPLOAD_OPTIONS`, `ENTRYPOINT_OPTIONS`, `SIDECAR_OPTIONS`),
//!   byte-compatible with Prow's Go types.
//! - the roles: [`clonerefs`], [`initupload`], [`entrypoint`], [`sidecar`], chosen by
//!   [`cli`] from the first argument or the program name.
//! - [`clone`] (git), [`upload`] and [`storage`] (object_store), [`censor`] and [`secrets`],
//!   [`marker`], [`metadata`] (`started.json` / `finished.json`).
//! - [`decorate`]: building the decorated Pod spec.

pub mod censor;
pub mod cli;
pub mod clone;
pub mod clonerefs;
pub mod decorate;
pub mod entrypoint;
pub mod error;
pub mod initupload;
pub mod marker;
pub mod metadata;
pub mod options;
pub mod process_log;
pub mod secrets;
pub mod sidecar;
pub mod storage;
pub mod upload;

pub use error::Error;
