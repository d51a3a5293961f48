//! Registering the agent's Node and keeping it (and its Lease) fresh, as a kubelet does.

use std::time::Duration;

use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::Node;
use kube::Api;
use kube::api::{Patch, PatchParams};
use tokio_util::sync::CancellationToken;

use super::NodeAgentOptions;
use super::pod_status::LOOPBACK_IP;
use crate::control_plane::{Error, Result};

const FIELD_MANAGER: &str = "prow-testkit-node-agent";
const LEASE_NAMESPACE: &str = "kube-node-lease";

/// The Node object (metadata and spec) the agent registers.
fn node_object(options: &NodeAgentOptions) -> serde_json::Value {
    serde_json::json!({
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": options.node_name,
            "labels": {
                "kubernetes.io/hostname": options.node_name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": std::env::consts::ARCH,
                "prow-testkit.dev/node-agent": "true",
            }
        },
        "spec": {}
    })
}

/// The Node status: capacity, a Ready condition heart-beating at `now`, the loopback
/// address and the log server port.
fn node_status(
    options: &NodeAgentOptions,
    log_port: u16,
    now: jiff::Timestamp,
) -> serde_json::Value {
    let resources = serde_json::json!({
        "cpu": options.cpu,
        "memory": options.memory,
        "pods": options.max_pods.to_string(),
        "ephemeral-storage": "100Gi",
    });
    let condition = |kind: &str, status: &str, reason: &str, message: &str| {
        serde_json::json!({
            "type": kind, "status": status, "reason": reason, "message": message,
            "lastHeartbeatTime": now.to_string(), "lastTransitionTime": options.started_at.to_string(),
        })
    };
    serde_json::json!({
        "status": {
            "capacity": resources,
            "allocatable": resources,
            "conditions": [
                condition("MemoryPressure", "False", "KubeletHasSufficientMemory", "prow-testkit node agent"),
                condition("DiskPressure", "False", "KubeletHasNoDiskPressure", "prow-testkit node agent"),
                condition("PIDPressure", "False", "KubeletHasSufficientPID", "prow-testkit node agent"),
                condition("Ready", "True", "KubeletReady", "prow-testkit node agent is posting ready status"),
            ],
            "addresses": [
                { "type": "InternalIP", "address": LOOPBACK_IP },
                { "type": "Hostname", "address": options.node_name },
            ],
            "daemonEndpoints": { "kubeletEndpoint": { "Port": log_port } },
            "nodeInfo": {
                "machineID": "", "systemUUID": "", "bootID": "",
                "kernelVersion": "", "osImage": "prow-testkit",
                "containerRuntimeVersion": "prow-testkit://processes",
                "kubeletVersion": "v1.37.2", "kubeProxyVersion": "",
                "operatingSystem": "linux", "architecture": std::env::consts::ARCH,
            },
            "phase": "Running"
        }
    })
}

/// Creates or updates the Node and writes its status.
pub async fn register(
    client: &kube::Client,
    options: &NodeAgentOptions,
    log_port: u16,
) -> Result<()> {
    let nodes: Api<Node> = Api::all(client.clone());
    nodes
        .patch(
            &options.node_name,
            &PatchParams::apply(FIELD_MANAGER).force(),
            &Patch::Apply(node_object(options)),
        )
        .await
        .map_err(Error::kube("apply Node"))?;
    heartbeat(client, options, log_port).await
}

/// Refreshes the Ready condition and the node Lease.
pub async fn heartbeat(
    client: &kube::Client,
    options: &NodeAgentOptions,
    log_port: u16,
) -> Result<()> {
    let now = jiff::Timestamp::now();
    let nodes: Api<Node> = Api::all(client.clone());
    nodes
        .patch_status(
            &options.node_name,
            &PatchParams::default(),
            &Patch::Merge(node_status(options, log_port, now)),
        )
        .await
        .map_err(Error::kube("patch Node status"))?;
    let leases: Api<Lease> = Api::namespaced(client.clone(), LEASE_NAMESPACE);
    let lease = serde_json::json!({
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": { "name": options.node_name, "namespace": LEASE_NAMESPACE },
        "spec": {
            "holderIdentity": options.node_name,
            "leaseDurationSeconds": 40,
            "renewTime": now.strftime("%Y-%m-%dT%H:%M:%S.%6fZ").to_string(),
        }
    });
    // The API server creates kube-node-lease shortly after start; until then only the
    // Node condition is fresh, which is what matters here.
    if let Err(e) = leases
        .patch(
            &options.node_name,
            &PatchParams::apply(FIELD_MANAGER).force(),
            &Patch::Apply(lease),
        )
        .await
    {
        tracing::debug!(error = %e, "renewing the node lease");
    }
    Ok(())
}

/// Heart-beats every `options.heartbeat_interval` until cancelled.
pub async fn heartbeat_loop(
    client: kube::Client,
    options: NodeAgentOptions,
    log_port: u16,
    cancel: CancellationToken,
) {
    loop {
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(options.heartbeat_interval) => {}
        }
        if let Err(e) = heartbeat(&client, &options, log_port).await {
            tracing::warn!(error = %e, node = %options.node_name, "node heartbeat failed");
        }
    }
}

/// How long to wait between heartbeats by default.
pub const DEFAULT_HEARTBEAT: Duration = Duration::from_secs(10);
