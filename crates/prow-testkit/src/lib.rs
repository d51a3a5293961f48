//! Test kit for prow-rs (dev only): a real local Kubernetes control plane, a local node
//! agent that runs Pods as processes, a fake GitHub server over HTTP and a signed webhook
//! sender.

pub mod control_plane;
pub mod crypto;
pub mod fake_github;
pub mod node_agent;
pub mod webhook;
pub mod workspace_binaries;
