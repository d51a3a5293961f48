//! One sinker sweep ([`observe`], [`plan_cleanup`], [`execute`]): list the ProwJobs and the Prow Pods of every build cluster (except
//! `exclude_clusters`), plan with [`plan_cleanup`], and delete. ProwJobs and Pods are
//! listed in pages; deletions run a few at a time; NotFound counts as deleted. An orphan
//! Pod is deleted only after a GET confirms its ProwJob is gone (the list may be stale).

use std::collections::HashMap;

use futures::StreamExt;
use jiff::Timestamp;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, DeleteParams, ListParams};
use kube::{Client, Resource};
use prow_api::ProwJob;
use prow_api::labels::CREATED_BY_PROW;
use prow_config::Config;
use prow_kube::build_clusters::BuildClusters;
use serde::de::DeserializeOwned;

use crate::Error;
use crate::metrics::{DeletionLabels, Metrics};
use crate::plan::{ClusterPods, Deletion, ObjectKind, Reason, plan_cleanup};
use crate::records::JobRecord;

/// Page size of the ProwJob and Pod lists.
pub const LIST_PAGE_SIZE: u32 = 500;
/// Deletions in flight at once.
pub const DELETE_CONCURRENCY: usize = 8;

/// What a sweep did.
#[derive(Debug, Default)]
pub struct SweepReport {
    /// ProwJobs listed.
    pub prowjobs_listed: usize,
    /// Prow Pods listed, over all swept clusters.
    pub pods_listed: usize,
    /// Everything the plan said to delete.
    pub planned: Vec<Deletion>,
    /// What was deleted (empty in dry-run mode).
    pub deleted: Vec<Deletion>,
    /// Orphan candidates whose ProwJob turned out to exist.
    pub kept: Vec<Deletion>,
    /// Failures; the other deletions still ran.
    pub errors: Vec<Error>,
}

/// Lists every object page by page, keeping only its record (so only one page of full
/// objects is in memory at a time).
async fn list_records<K, R>(api: &Api<K>, selector: Option<&str>) -> Result<Vec<R>, kube::Error>
where
    K: Resource + Clone + DeserializeOwned + std::fmt::Debug,
    R: for<'a> From<&'a K>,
{
    let mut items = Vec::new();
    let mut params = ListParams::default().limit(LIST_PAGE_SIZE);
    if let Some(selector) = selector {
        params = params.labels(selector);
    }
    loop {
        let page = api.list(&params).await?;
        items.extend(page.items.iter().map(R::from));
        match page.metadata.continue_.filter(|c| !c.is_empty()) {
            Some(token) => params = params.continue_token(&token),
            None => return Ok(items),
        }
    }
}

/// The ProwJobs and the Prow Pods of every swept build cluster, as [`crate::records`].
#[derive(Debug, Default)]
pub struct Observed {
    /// Every ProwJob of the ProwJob namespace.
    pub prowjobs: Vec<JobRecord>,
    /// The `created-by-prow=true` Pods of the Pod namespace, per cluster not excluded.
    pub pods: Vec<ClusterPods>,
    /// Clusters whose Pods could not be listed (they are skipped).
    pub errors: Vec<Error>,
}

/// Lists the ProwJobs (through `client`) and the Prow Pods of every build cluster not in
/// `exclude_clusters`. Fails only when the ProwJob list fails (without it nothing is safe
/// to delete); a failed Pod list skips that cluster and is reported.
pub async fn observe(
    client: &Client,
    clusters: &BuildClusters,
    config: &Config,
) -> Result<Observed, Error> {
    let prowjob_namespace = &config.prow.prowjob_namespace;
    let pod_namespace = &config.prow.pod_namespace;
    let prowjob_api: Api<ProwJob> = Api::namespaced(client.clone(), prowjob_namespace);
    let prowjobs =
        list_records(&prowjob_api, None)
            .await
            .map_err(|source| Error::ListProwJobs {
                namespace: prowjob_namespace.clone(),
                source,
            })?;
    let mut observed = Observed {
        prowjobs,
        ..Observed::default()
    };
    let selector = format!("{CREATED_BY_PROW}=true");
    for (alias, cluster_client) in clusters.iter() {
        if config
            .prow
            .sinker
            .exclude_clusters
            .iter()
            .any(|c| c == alias)
        {
            continue;
        }
        let api: Api<Pod> = Api::namespaced(cluster_client.clone(), pod_namespace);
        match list_records(&api, Some(&selector)).await {
            Ok(pods) => observed.pods.push(ClusterPods {
                cluster: alias.to_string(),
                pods,
            }),
            Err(source) => observed.errors.push(Error::ListPods {
                cluster: alias.to_string(),
                namespace: pod_namespace.clone(),
                source,
            }),
        }
    }
    Ok(observed)
}

/// What [`execute`] did.
#[derive(Debug, Default)]
pub struct Executed {
    /// What was deleted (NotFound counts as deleted).
    pub deleted: Vec<Deletion>,
    /// Orphan candidates whose ProwJob turned out to exist.
    pub kept: Vec<Deletion>,
    /// Failures; the other deletions still ran.
    pub errors: Vec<Error>,
}

/// Deletes `planned`, [`DELETE_CONCURRENCY`] at a time, counting each deletion in
/// `metrics`. `pods` (as observed) tell which ProwJob an orphan Pod belonged to: it is
/// deleted only when a GET confirms that ProwJob is gone.
pub async fn execute(
    client: &Client,
    clusters: &BuildClusters,
    config: &Config,
    planned: &[Deletion],
    pods: &[ClusterPods],
    metrics: &Metrics,
) -> Executed {
    let prowjob_api: Api<ProwJob> = Api::namespaced(client.clone(), &config.prow.prowjob_namespace);
    let pod_namespace = config.prow.pod_namespace.as_str();
    let job_of_pod: HashMap<(&str, &str), &str> = pods
        .iter()
        .flat_map(|c| c.pods.iter().map(move |p| (c.cluster.as_str(), p)))
        .map(|(cluster, p)| ((cluster, p.name.as_str()), p.prowjob.as_str()))
        .collect();
    let prowjob_api = &prowjob_api;
    let deletions: Vec<_> = planned
        .iter()
        .map(|deletion| {
            let job_of_orphan: Option<String> = match &deletion.kind {
                ObjectKind::Pod { cluster } => job_of_pod
                    .get(&(cluster.as_str(), deletion.name.as_str()))
                    .map(|job| job.to_string()),
                ObjectKind::ProwJob => None,
            };
            async move {
                let outcome = delete(
                    prowjob_api,
                    clusters,
                    pod_namespace,
                    deletion,
                    job_of_orphan.as_deref(),
                )
                .await;
                (deletion, outcome)
            }
        })
        .collect();
    let outcomes: Vec<(&Deletion, Result<bool, Error>)> = futures::stream::iter(deletions)
        .buffer_unordered(DELETE_CONCURRENCY)
        .collect()
        .await;
    let mut executed = Executed::default();
    for (deletion, outcome) in outcomes {
        match outcome {
            Ok(true) => {
                metrics
                    .deleted
                    .get_or_create(&DeletionLabels::of(deletion))
                    .inc();
                tracing::info!(kind = ?deletion.kind, name = %deletion.name, reason = %deletion.reason, "deleted");
                executed.deleted.push(deletion.clone());
            }
            Ok(false) => executed.kept.push(deletion.clone()),
            Err(error) => {
                metrics.count_error(&error);
                executed.errors.push(error);
            }
        }
    }
    executed
}

/// [`observe`], [`plan_cleanup`] at `now`, and, unless `dry_run`, [`execute`].
pub async fn sweep(
    client: &Client,
    clusters: &BuildClusters,
    config: &Config,
    now: Timestamp,
    dry_run: bool,
    metrics: &Metrics,
) -> Result<SweepReport, Error> {
    let observed = observe(client, clusters, config).await?;
    let planned = plan_cleanup(config, &observed.prowjobs, &observed.pods, now);
    for deletion in &planned {
        metrics
            .planned
            .get_or_create(&DeletionLabels::of(deletion))
            .inc();
    }
    let mut report = SweepReport {
        prowjobs_listed: observed.prowjobs.len(),
        pods_listed: observed.pods.iter().map(|c| c.pods.len()).sum(),
        errors: observed.errors,
        ..SweepReport::default()
    };
    if dry_run {
        for deletion in &planned {
            tracing::info!(kind = ?deletion.kind, name = %deletion.name, reason = %deletion.reason, "dry run: would delete");
        }
    } else {
        let executed = execute(client, clusters, config, &planned, &observed.pods, metrics).await;
        report.deleted = executed.deleted;
        report.kept = executed.kept;
        report.errors.extend(executed.errors);
    }
    report.planned = planned;
    Ok(report)
}

fn is_not_found(error: &kube::Error) -> bool {
    matches!(error, kube::Error::Api(response) if response.code == 404)
}

/// Deletes one object; `Ok(false)` when an orphan's ProwJob exists after all.
async fn delete(
    prowjobs: &Api<ProwJob>,
    clusters: &BuildClusters,
    pod_namespace: &str,
    deletion: &Deletion,
    job_of_orphan: Option<&str>,
) -> Result<bool, Error> {
    let name = deletion.name.as_str();
    match &deletion.kind {
        ObjectKind::ProwJob => match prowjobs.delete(name, &DeleteParams::background()).await {
            Ok(_) => Ok(true),
            Err(e) if is_not_found(&e) => Ok(true),
            Err(source) => Err(Error::DeleteProwJob {
                name: name.to_string(),
                source,
            }),
        },
        ObjectKind::Pod { cluster } => {
            if deletion.reason == Reason::PodOrphaned {
                let job = job_of_orphan.unwrap_or(name);
                match prowjobs.get_opt(job).await {
                    Ok(Some(_)) => return Ok(false),
                    Ok(None) => {}
                    Err(source) => {
                        return Err(Error::GetProwJob {
                            name: job.to_string(),
                            source,
                        });
                    }
                }
            }
            let delete_error = |source| Error::DeletePod {
                cluster: cluster.clone(),
                name: name.to_string(),
                source,
            };
            let client = clusters.get(cluster).map_err(|_| {
                delete_error(kube::Error::Service(
                    format!("unknown build cluster {cluster}").into(),
                ))
            })?;
            let pods: Api<Pod> = Api::namespaced(client.clone(), pod_namespace);
            match pods.delete(name, &DeleteParams::background()).await {
                Ok(_) => Ok(true),
                Err(e) if is_not_found(&e) => Ok(true),
                Err(source) => Err(delete_error(source)),
            }
        }
    }
}
