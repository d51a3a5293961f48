//! prow-rs branch-protector: applies the `branch-protection` section of Prow's `config.yaml`
//! to GitHub, as Prow's `branchprotector` does.
//!
//! - [`policy`]: the org → repo → branch policy merge and the required presubmit contexts
//!   (Prow's `pkg/config/branch_protection.go`);
//! - [`protection`]: the normalized [`Protection`] built from a policy or read from GitHub;
//! - [`plan()`]: the pure difference `plan(desired, current) -> Option<Change>`;
//! - [`protector`]: one pass over every org, repo and branch ([`protect`]);
//! - [`app`]: wiring — one pass (CronJob) or a leader-elected loop (`--interval`).
//!
//! ```text
//! # once, as a CronJob would (exit code 1 when any branch failed):
//! branch-protector --config-path config.yaml --job-config-path jobs/ \
//!     --github-token-path /etc/github/oauth [--dry-run]
//! # every 30 minutes while holding the `branch-protector` Lease:
//! branch-protector ... --interval 30m --kubeconfig ~/.kube/config --admin-port 8081
//! ```
//!
//! Differences from Prow's `branchprotector`, on purpose: writes by default and `--dry-run`
//! prints a diff (Prow writes only with `--confirm`); one branch listing per repository (the
//! list says which branches are protected) and no protection read for unprotected branches;
//! every read goes through the client's ETag cache, so an unchanged org costs only `304`s.

pub mod app;
pub mod cli;
pub mod enablement;
pub mod error;
pub mod metrics;
pub mod plan;
pub mod policy;
pub mod protection;
pub mod protector;

pub use cli::Cli;
pub use enablement::Enablement;
pub use error::Error;
pub use metrics::Metrics;
pub use plan::{Change, plan, render_diff};
pub use protection::Protection;
pub use protector::{Options, PlannedChange, Report, protect};
