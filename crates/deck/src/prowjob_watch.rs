//! Keeps the [`JobCache`] in step with the ProwJobs of one namespace through a watch (list,
//! then watch; re-list after errors with backoff). Ready after the first complete list.
//! Changes are published at most every [`PUBLISH_INTERVAL`], so a burst of updates costs one
//! snapshot rebuild.

use std::collections::HashMap;
use std::time::Duration;

use futures::StreamExt;
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client};
use prow_api::ProwJob;
use prow_kube::readiness::Readiness;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::job_cache::JobCache;
use crate::job_record::CachedJob;

/// Longest delay between a change arriving and it being served.
pub const PUBLISH_INTERVAL: Duration = Duration::from_millis(100);

/// Watches the ProwJobs in `namespace` into `cache` until `shutdown`; flips `ready` after the
/// first complete list.
pub async fn watch_prowjobs(
    client: Client,
    namespace: &str,
    cache: JobCache,
    ready: Readiness,
    shutdown: CancellationToken,
) {
    let api: Api<ProwJob> = Api::namespaced(client, namespace);
    let stream = watcher(api, watcher::Config::default().page_size(500)).default_backoff();
    let mut stream = std::pin::pin!(stream);
    let mut initial: Option<HashMap<String, CachedJob>> = None;
    let mut dirty_since: Option<Instant> = None;
    loop {
        let publish_at = dirty_since.map(|t| t + PUBLISH_INTERVAL);
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = sleep_until(publish_at) => {
                cache.publish();
                dirty_since = None;
            }
            event = stream.next() => {
                let Some(event) = event else { return };
                match event {
                    Ok(watcher::Event::Init) => initial = Some(HashMap::new()),
                    Ok(watcher::Event::InitApply(job)) => {
                        let job = CachedJob::new(job);
                        initial
                            .get_or_insert_with(HashMap::new)
                            .insert(job.record.name.clone(), job);
                    }
                    Ok(watcher::Event::InitDone) => {
                        let jobs = initial.take().unwrap_or_default();
                        tracing::info!(prowjobs = jobs.len(), namespace, "ProwJob list loaded");
                        cache.replace_all(jobs.into_values());
                        dirty_since = None;
                        ready.set_ready();
                    }
                    Ok(watcher::Event::Apply(job)) => {
                        cache.upsert(CachedJob::new(job));
                        dirty_since.get_or_insert_with(Instant::now);
                    }
                    Ok(watcher::Event::Delete(job)) => {
                        if let Some(name) = &job.metadata.name {
                            cache.remove(name);
                            dirty_since.get_or_insert_with(Instant::now);
                        }
                    }
                    Err(error) => tracing::warn!(%error, namespace, "watching ProwJobs"),
                }
            }
        }
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}
