//! The scheduler's job, reduced to one node: every Pod without `spec.nodeName` that asks for
//! the default scheduler is bound to this agent's Node through the `pods/binding`
//! subresource.

use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::PostParams;
use kube::runtime::{WatchStreamExt, watcher};
use tokio_util::sync::CancellationToken;

use super::{FAULT_NEVER_BIND, fault_of};

/// Whether this agent should bind the Pod.
pub fn should_bind(pod: &Pod) -> bool {
    let spec = pod.spec.as_ref();
    let unbound = spec.is_none_or(|s| s.node_name.as_deref().unwrap_or_default().is_empty());
    let default_scheduler = spec
        .and_then(|s| s.scheduler_name.as_deref())
        .is_none_or(|name| name == "default-scheduler");
    unbound
        && default_scheduler
        && pod.metadata.deletion_timestamp.is_none()
        && fault_of(pod) != Some(FAULT_NEVER_BIND)
}

/// Watches unbound Pods in all namespaces and binds them to `node_name` until cancelled.
pub async fn bind_loop(client: kube::Client, node_name: String, cancel: CancellationToken) {
    let pods: Api<Pod> = Api::all(client.clone());
    let stream = watcher(pods, watcher::Config::default().fields("spec.nodeName="))
        .default_backoff()
        .applied_objects();
    let mut stream = std::pin::pin!(stream);
    loop {
        let next = tokio::select! {
            () = cancel.cancelled() => return,
            next = stream.next() => next,
        };
        match next {
            None => return,
            Some(Err(e)) => tracing::debug!(error = %e, "watching unbound pods"),
            Some(Ok(pod)) if should_bind(&pod) => bind(&client, &pod, &node_name).await,
            Some(Ok(_)) => {}
        }
    }
}

async fn bind(client: &kube::Client, pod: &Pod, node_name: &str) {
    let (Some(name), Some(namespace)) = (&pod.metadata.name, &pod.metadata.namespace) else {
        return;
    };
    let api: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let binding = serde_json::json!({
        "apiVersion": "v1",
        "kind": "Binding",
        "metadata": { "name": name, "namespace": namespace, "uid": pod.metadata.uid },
        "target": { "apiVersion": "v1", "kind": "Node", "name": node_name },
    });
    let result: Result<serde_json::Value, kube::Error> = api
        .create_subresource("binding", name, &PostParams::default(), &binding)
        .await;
    match result {
        Ok(_) => tracing::debug!(pod = %name, %namespace, node = %node_name, "bound pod"),
        // Already bound (a race with another binder, or a re-listed event) or gone.
        Err(kube::Error::Api(status)) if matches!(status.code, 404 | 409) => {}
        Err(e) => tracing::warn!(error = %e, pod = %name, %namespace, "binding pod"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(extra: serde_json::Value) -> Pod {
        let mut value = serde_json::json!({
            "metadata": { "name": "p", "namespace": "ns" },
            "spec": { "containers": [] }
        });
        if let (Some(base), Some(extra)) = (value.as_object_mut(), extra.as_object()) {
            for (k, v) in extra {
                if let (Some(b), Some(e)) = (
                    base.get_mut(k).and_then(|b| b.as_object_mut()),
                    v.as_object(),
                ) {
                    b.extend(e.clone());
                }
            }
        }
        serde_json::from_value(value).expect("pod")
    }

    #[test]
    fn binds_only_unbound_default_scheduled_pods() {
        let cases = [
            ("plain", serde_json::json!({}), true),
            (
                "bound",
                serde_json::json!({"spec": {"nodeName": "n"}}),
                false,
            ),
            (
                "other scheduler",
                serde_json::json!({"spec": {"schedulerName": "volcano"}}),
                false,
            ),
            (
                "default scheduler",
                serde_json::json!({"spec": {"schedulerName": "default-scheduler"}}),
                true,
            ),
            (
                "never-bind",
                serde_json::json!({"metadata": {"annotations": {"prow-testkit.dev/fault": "never-bind"}}}),
                false,
            ),
            (
                "stay-pending",
                serde_json::json!({"metadata": {"annotations": {"prow-testkit.dev/fault": "stay-pending"}}}),
                true,
            ),
            (
                "deleting",
                serde_json::json!({"metadata": {"deletionTimestamp": "2026-01-01T00:00:00Z"}}),
                false,
            ),
        ];
        for (name, extra, want) in cases {
            assert_eq!(should_bind(&pod(extra)), want, "{name}");
        }
    }
}
