//! Runtime pieces every prow-rs binary shares, so that each component's `main.rs` is wiring
//! only:
//!
//! - [`client`]: a Kubernetes client from `--kubeconfig`/`--context` or in-cluster, with
//!   client-side rate limiting ([`rate_limit`]);
//! - [`build_clusters`]: the clusters ProwJob Pods run in (`--build-cluster` kubeconfigs),
//!   by alias, with Prow's `default` alias semantics;
//! - [`telemetry`]: `tracing` initialisation (`RUST_LOG`, `--log-format plain|json`);
//! - [`metrics`] and [`readiness`], served by the [`admin`] server (`/metrics`, `/healthz`,
//!   `/readyz`);
//! - [`shutdown`]: one cancellation token cancelled by SIGTERM/SIGINT, and a task group that
//!   runs until it is cancelled;
//! - [`leader`]: leader election on `coordination.k8s.io/v1` Leases.

pub mod admin;
pub mod build_clusters;
pub mod client;
pub mod component;
mod error;
pub mod leader;
pub mod metrics;
pub mod rate_limit;
pub mod readiness;
pub mod shutdown;
pub mod telemetry;

pub use error::Error;

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
