//! The kubelet's sync loop: watches the Pods bound to this node, starts a worker for each
//! new one, forwards deletions to it, and removes deleted Pods that have no running worker.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::{DeleteParams, Preconditions};
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event, watcher};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::pod_worker::{PodRequest, run_pod};
use super::{AgentContext, FAULT_STAY_PENDING, FAULT_VANISH, fault_of};

struct Worker {
    requests: watch::Sender<PodRequest>,
    task: JoinHandle<()>,
}

/// Runs until the agent is cancelled; then aborts every worker (killing its processes).
pub async fn sync_loop(ctx: Arc<AgentContext>) {
    let pods: Api<Pod> = Api::all(ctx.client.clone());
    let selector = format!("spec.nodeName={}", ctx.node_name);
    let stream = watcher(pods, watcher::Config::default().fields(&selector)).default_backoff();
    let mut stream = std::pin::pin!(stream);
    let mut workers: HashMap<String, Worker> = HashMap::new();
    loop {
        let next = tokio::select! {
            () = ctx.cancel.cancelled() => break,
            next = stream.next() => next,
        };
        match next {
            None => break,
            Some(Err(e)) => tracing::debug!(error = %e, "watching pods on the node"),
            Some(Ok(Event::Apply(pod) | Event::InitApply(pod))) => {
                on_pod(&ctx, &mut workers, pod).await
            }
            Some(Ok(Event::Delete(pod))) => {
                if let Some(worker) = pod
                    .metadata
                    .uid
                    .as_ref()
                    .and_then(|uid| workers.remove(uid))
                {
                    let _ = worker.requests.send(PodRequest::Abort);
                }
            }
            Some(Ok(Event::Init | Event::InitDone)) => {}
        }
    }
    for worker in workers.into_values() {
        let _ = worker.requests.send(PodRequest::Abort);
        let _ = tokio::time::timeout(Duration::from_secs(5), worker.task).await;
    }
}

async fn on_pod(ctx: &Arc<AgentContext>, workers: &mut HashMap<String, Worker>, pod: Pod) {
    let Some(uid) = pod.metadata.uid.clone() else {
        return;
    };
    let phase = pod
        .status
        .as_ref()
        .and_then(|s| s.phase.as_deref())
        .unwrap_or("Pending");
    let terminal = matches!(phase, "Succeeded" | "Failed");
    if pod.metadata.deletion_timestamp.is_some() {
        let grace = pod
            .metadata
            .deletion_grace_period_seconds
            .and_then(|s| u64::try_from(s).ok())
            .unwrap_or(0);
        match workers.get(&uid) {
            Some(worker) if !worker.task.is_finished() => {
                let _ = worker
                    .requests
                    .send(PodRequest::Delete(Duration::from_secs(grace)));
            }
            _ => remove_pod(ctx, &pod).await,
        }
        return;
    }
    if terminal || workers.contains_key(&uid) {
        return;
    }
    match fault_of(&pod) {
        Some(FAULT_STAY_PENDING) => return,
        Some(FAULT_VANISH) => {
            remove_pod(ctx, &pod).await;
            return;
        }
        _ => {}
    }
    let (requests, receiver) = watch::channel(PodRequest::Run);
    let task = tokio::spawn(run_pod(ctx.clone(), pod, receiver));
    workers.insert(uid, Worker { requests, task });
}

/// Deletes the Pod with grace period 0 (guarded by its uid), as a kubelet finishes a
/// graceful deletion.
async fn remove_pod(ctx: &AgentContext, pod: &Pod) {
    let (Some(name), Some(namespace)) = (&pod.metadata.name, &pod.metadata.namespace) else {
        return;
    };
    let api: Api<Pod> = Api::namespaced(ctx.client.clone(), namespace);
    let params = DeleteParams {
        grace_period_seconds: Some(0),
        preconditions: Some(Preconditions {
            uid: pod.metadata.uid.clone(),
            resource_version: None,
        }),
        ..DeleteParams::default()
    };
    if let Err(e) = api.delete(name, &params).await {
        tracing::debug!(error = %e, pod = %name, %namespace, "removing pod");
    }
}
