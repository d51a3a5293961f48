//! The Pod of a run, read from its build cluster for the job page only (name, node, phase,
//! container exit codes), and its live log through `pods/log?follow=true`.

use bytes::Bytes;
use futures::{AsyncBufReadExt, Stream, StreamExt};
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::LogParams;
use prow_kube::build_clusters::BuildClusters;

use crate::error::Error;
use crate::job_record::JobRecord;

/// The container whose log is the build log in decorated Pods.
pub const TEST_CONTAINER: &str = "test";

/// One container's state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContainerSummary {
    /// Container name.
    pub name: String,
    /// Init container.
    pub init: bool,
    /// `waiting`, `running` or `terminated`.
    pub state: String,
    /// Exit code once terminated.
    pub exit_code: Option<i32>,
    /// Reason (`Completed`, `Error`, `OOMKilled`, `ImagePullBackOff`, ...).
    pub reason: String,
    /// Restarts.
    pub restarts: i32,
}

/// What the job page shows of a Pod.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PodSummary {
    /// Pod name.
    pub name: String,
    /// Namespace.
    pub namespace: String,
    /// Build cluster alias.
    pub cluster: String,
    /// Node it runs on.
    pub node: String,
    /// Phase.
    pub phase: String,
    /// Status reason or message.
    pub reason: String,
    /// Containers, init containers first.
    pub containers: Vec<ContainerSummary>,
}

impl PodSummary {
    /// The summary of `pod` in `cluster`.
    pub fn of(pod: &Pod, cluster: &str) -> Self {
        let status = pod.status.as_ref();
        let mut containers = Vec::new();
        let statuses = status
            .and_then(|s| s.init_container_statuses.as_ref())
            .into_iter()
            .flatten()
            .map(|c| (true, c))
            .chain(
                status
                    .and_then(|s| s.container_statuses.as_ref())
                    .into_iter()
                    .flatten()
                    .map(|c| (false, c)),
            );
        for (init, c) in statuses {
            let state = c.state.as_ref();
            let (name, exit_code, reason) = match state {
                Some(s) if s.terminated.is_some() => {
                    let t = s.terminated.as_ref();
                    (
                        "terminated",
                        t.map(|t| t.exit_code),
                        t.and_then(|t| t.reason.clone()).unwrap_or_default(),
                    )
                }
                Some(s) if s.running.is_some() => ("running", None, String::new()),
                Some(s) => (
                    "waiting",
                    None,
                    s.waiting
                        .as_ref()
                        .and_then(|w| w.reason.clone())
                        .unwrap_or_default(),
                ),
                None => ("unknown", None, String::new()),
            };
            containers.push(ContainerSummary {
                name: c.name.clone(),
                init,
                state: name.to_string(),
                exit_code,
                reason,
                restarts: c.restart_count,
            });
        }
        PodSummary {
            name: pod.metadata.name.clone().unwrap_or_default(),
            namespace: pod.metadata.namespace.clone().unwrap_or_default(),
            cluster: cluster.to_string(),
            node: pod
                .spec
                .as_ref()
                .and_then(|s| s.node_name.clone())
                .unwrap_or_default(),
            phase: status.and_then(|s| s.phase.clone()).unwrap_or_default(),
            reason: status
                .and_then(|s| s.reason.clone().or_else(|| s.message.clone()))
                .unwrap_or_default(),
            containers,
        }
    }

    /// The container holding the build log: `test` when present, else the first one.
    pub fn log_container(pod: &Pod) -> Option<String> {
        let containers = &pod.spec.as_ref()?.containers;
        containers
            .iter()
            .find(|c| c.name == TEST_CONTAINER)
            .or_else(|| containers.first())
            .map(|c| c.name.clone())
    }
}

fn pods_api(clusters: &BuildClusters, record: &JobRecord) -> Option<Api<Pod>> {
    let client = clusters.get(&record.cluster).ok()?.clone();
    let namespace = if record.pod_namespace.is_empty() {
        "default"
    } else {
        &record.pod_namespace
    };
    Some(Api::namespaced(client, namespace))
}

fn pod_name(record: &JobRecord) -> &str {
    if record.pod_name.is_empty() {
        &record.name
    } else {
        &record.pod_name
    }
}

/// Reads the Pod of `record`: `Ok(None)` when the build cluster is unknown or the Pod is gone.
///
/// # Errors
/// API errors other than "not found".
pub async fn read_pod(clusters: &BuildClusters, record: &JobRecord) -> Result<Option<Pod>, Error> {
    let Some(api) = pods_api(clusters, record) else {
        return Ok(None);
    };
    let name = pod_name(record);
    api.get_opt(name).await.map_err(|source| Error::GetPod {
        name: name.to_string(),
        source,
    })
}

/// The log of `pod`'s build container as a stream of chunks, following it while it runs.
///
/// # Errors
/// The log cannot be opened.
pub async fn follow_log(
    clusters: &BuildClusters,
    record: &JobRecord,
    pod: &Pod,
) -> Result<impl Stream<Item = Result<Bytes, std::io::Error>> + use<>, Error> {
    let name = pod_name(record).to_string();
    let api = pods_api(clusters, record).ok_or_else(|| Error::NotFound(format!("Pod {name}")))?;
    let params = LogParams {
        follow: true,
        container: PodSummary::log_container(pod),
        ..LogParams::default()
    };
    let reader = api
        .log_stream(&name, &params)
        .await
        .map_err(|source| Error::GetPod { name, source })?;
    Ok(reader.lines().map(|line| {
        line.map(|mut l| {
            l.push('\n');
            Bytes::from(l)
        })
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summarises_containers_and_exit_codes() {
        let pod: Pod = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "abc", "namespace": "test-pods"},
            "spec": {"nodeName": "node-1", "containers": [{"name": "sidecar"}, {"name": "test"}]},
            "status": {
                "phase": "Failed",
                "initContainerStatuses": [{"name": "clonerefs", "ready": false, "restartCount": 0, "image": "", "imageID": "",
                    "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}],
                "containerStatuses": [
                    {"name": "test", "ready": false, "restartCount": 1, "image": "", "imageID": "",
                     "state": {"terminated": {"exitCode": 2, "reason": "Error"}}},
                    {"name": "sidecar", "ready": true, "restartCount": 0, "image": "", "imageID": "",
                     "state": {"running": {}}}
                ]
            }
        }))
        .expect("pod");
        let summary = PodSummary::of(&pod, "build01");
        assert_eq!(
            (summary.node.as_str(), summary.phase.as_str()),
            ("node-1", "Failed")
        );
        let rows: Vec<(&str, bool, &str, Option<i32>)> = summary
            .containers
            .iter()
            .map(|c| (c.name.as_str(), c.init, c.state.as_str(), c.exit_code))
            .collect();
        assert_eq!(
            rows,
            [
                ("clonerefs", true, "terminated", Some(0)),
                ("test", false, "terminated", Some(2)),
                ("sidecar", false, "running", None)
            ]
        );
        assert_eq!(PodSummary::log_container(&pod).as_deref(), Some("test"));
    }
}
