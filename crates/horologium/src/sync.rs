//! One horologium round: list the ProwJobs, start every due periodic (create the ProwJob,
//! then write its triggered status through `/status`).

use std::collections::HashMap;

use jiff::Timestamp;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::Client;
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use prow_api::{ProwJob, ProwJobState, field_manager};
use prow_config::{Config, periodic_spec};

use crate::Error;
use crate::schedule::{DueRun, due_periodics, keep_latest_runs};

/// What one round did.
#[derive(Debug, Default)]
pub struct SyncReport {
    /// ProwJobs this round created.
    pub started: Vec<DueRun>,
    /// Due runs whose ProwJob already existed (another replica or an earlier round).
    pub already_started: Vec<DueRun>,
    /// Periodics that could not be scheduled or started; the others still were.
    pub errors: Vec<Error>,
}

/// Lists the ProwJobs of `config.prow.prowjob_namespace` and starts every periodic due at
/// `now`. Fails only when the list fails; per-periodic failures are in the report.
pub async fn sync_periodics(
    client: &Client,
    config: &Config,
    now: Timestamp,
) -> Result<SyncReport, Error> {
    let namespace = &config.prow.prowjob_namespace;
    let api: Api<ProwJob> = Api::namespaced(client.clone(), namespace);
    let existing = latest_runs(&api)
        .await
        .map_err(|source| Error::ListProwJobs {
            namespace: namespace.clone(),
            source,
        })?;
    let mut report = SyncReport::default();
    for due in due_periodics(config, &existing, now) {
        let due = match due {
            Ok(due) => due,
            Err(error) => {
                report.errors.push(error);
                continue;
            }
        };
        match start_run(&api, config, &due, now).await {
            Ok(true) => report.started.push(due),
            Ok(false) => report.already_started.push(due),
            Err(error) => report.errors.push(error),
        }
    }
    Ok(report)
}

/// Page size of the ProwJob list.
pub const LIST_PAGE_SIZE: u32 = 500;

/// Lists the ProwJobs page by page and keeps only the latest run of every periodic
/// ([`keep_latest_runs`]): one ProwJob per periodic in memory, not every run.
pub async fn latest_runs(api: &Api<ProwJob>) -> Result<Vec<ProwJob>, kube::Error> {
    let mut latest = HashMap::new();
    let mut params = ListParams::default().limit(LIST_PAGE_SIZE);
    loop {
        let page = api.list(&params).await?;
        let next = page.metadata.continue_.clone().filter(|c| !c.is_empty());
        keep_latest_runs(&mut latest, page.items);
        match next {
            Some(token) => params = params.continue_token(&token),
            None => return Ok(latest.into_values().collect()),
        }
    }
}

/// Creates the ProwJob of `due` and writes its status; `Ok(false)` when it already existed.
async fn start_run(
    api: &Api<ProwJob>,
    config: &Config,
    due: &DueRun,
    now: Timestamp,
) -> Result<bool, Error> {
    // by name, not `JobConfig::periodic`: its index goes stale when `periodics` is edited
    let Some(periodic) = config
        .jobs
        .periodics
        .iter()
        .find(|p| p.base.name == due.job)
    else {
        return Ok(false);
    };
    let spec = periodic_spec(periodic).map_err(|source| Error::BuildSpec {
        job: due.job.clone(),
        source,
    })?;
    let start_time = Time(Timestamp::from_second(now.as_second()).unwrap_or(now));
    let mut job = ProwJob::from_spec(
        &due.name,
        spec,
        &periodic.base.labels,
        &periodic.base.annotations,
        start_time,
        ProwJobState::Triggered,
    );
    job.metadata.namespace = Some(config.prow.prowjob_namespace.clone());
    let status = job.status.take();
    let params = PostParams {
        field_manager: Some(field_manager::HOROLOGIUM.to_string()),
        ..PostParams::default()
    };
    match api.create(&params, &job).await {
        Ok(_) => {}
        Err(kube::Error::Api(response)) if response.code == 409 => return Ok(false),
        Err(source) => {
            return Err(Error::CreateProwJob {
                name: due.name.clone(),
                job: due.job.clone(),
                source,
            });
        }
    }
    let patch = serde_json::json!({ "status": status });
    api.patch_status(
        &due.name,
        &PatchParams {
            field_manager: Some(field_manager::HOROLOGIUM.to_string()),
            ..PatchParams::default()
        },
        &Patch::Merge(&patch),
    )
    .await
    .map_err(|source| Error::PatchStatus {
        name: due.name.clone(),
        source,
    })?;
    Ok(true)
}
