//! The plank controller: a kube-runtime `Controller` over the ProwJobs in
//! `prowjob_namespace`, triggered also by the Prow Pods (`created-by-prow=true`) of every
//! build cluster. Every replica keeps its watches (and caches) warm; only the leader
//! reconciles, and becoming leader reconciles every job.
//!
//! One reconcile, as Prow's: abort superseded presubmits, then by state —
//! triggered: adopt the existing Pod or, if the concurrency limits allow, create one;
//! pending: [`pending_step`] on the Pod; aborted: delete the Pod and complete the job.
//! Status is written with server-side apply (field manager `prow-rs-plank`) through the
//! status subresource, and plank waits until its cache shows a state change before it
//! finishes, so a later reconcile never acts on a stale state.

use prow_utils::decorate::DecorationOptions;
use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::{Stream, StreamExt};
use jiff::Timestamp;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use kube::runtime::controller::{Action, Config as ControllerConfig, Controller};
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, ResourceExt};
use prow_api::{ProwJob, ProwJobAgent, ProwJobState, ProwJobStatus, ProwJobType, field_manager};
use prow_kube::build_clusters::BuildClusters;
use prow_kube::leader::LeaderState;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use crate::Error;
use crate::admission::{Admission, admit, age_key, is_limited};
use crate::build_id::BuildIds;
use crate::events::EventSink;
use crate::job_url::JobUrlConfig;
use crate::metrics::Metrics;
use crate::pod_builder::{build_pod, pod_build_id};
use crate::pod_state::{PendingStep, Timeouts, pending_step, was_oom_killed};
use crate::supersede::{GITHUB_REPORTER_NAME, superseded_runs};

/// How long a triggered job that may not start yet waits before it is looked at again
/// (it is also woken as soon as a job it waits for completes).
const ADMISSION_RETRY: Duration = Duration::from_secs(10);
/// How long plank waits for its own write to reach its cache.
const CACHE_WAIT: Duration = Duration::from_secs(5);
/// A ProwJob without status is treated as triggered once it is this old: its creator
/// (hook, horologium) writes the status right after creating it, through the status
/// subresource, and plank must not race that write.
const NO_STATUS_GRACE: Duration = Duration::from_secs(3);
/// Requeue delay after a failed reconcile.
const ERROR_RETRY: Duration = Duration::from_secs(5);

/// The configuration plank acts on: Prow's config plus the parsed job URL template.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `config.yaml` settings (namespaces, `plank`).
    pub prow: prow_config::ProwConfig,
    /// `status.url` computation.
    pub job_urls: JobUrlConfig,
}

impl Settings {
    /// Settings for `prow`; fails when `plank.job_url_template` cannot be used.
    pub fn new(prow: &prow_config::ProwConfig) -> Result<Self, Error> {
        Ok(Settings {
            prow: prow.clone(),
            job_urls: JobUrlConfig::new(&prow.plank)?,
        })
    }

    fn max_revivals(&self) -> u32 {
        u32::try_from(self.prow.plank.max_revivals.max(0)).unwrap_or(u32::MAX)
    }
}

/// What the controller needs from its caller.
#[derive(Clone)]
pub struct PlankOptions {
    /// Client of the cluster holding the ProwJobs.
    pub client: Client,
    /// Clients of the build clusters, by alias.
    pub clusters: BuildClusters,
    /// The current settings (hot reloaded). Namespaces are read once at start.
    pub settings: watch::Receiver<Arc<Settings>>,
    /// Whether this replica leads.
    pub leading: LeaderState,
    /// Metrics.
    pub metrics: Metrics,
    /// Events.
    pub events: EventSink,
    /// Reconciles running at once.
    pub workers: u16,
    /// How decorated jobs get the pod utilities.
    pub decoration: DecorationOptions,
}

/// Shared by every reconcile.
struct Context {
    client: Client,
    clusters: BuildClusters,
    settings: watch::Receiver<Arc<Settings>>,
    leading: LeaderState,
    metrics: Metrics,
    events: EventSink,
    build_ids: BuildIds,
    decoration: DecorationOptions,
    prowjob_namespace: String,
    pod_namespace: String,
    jobs: Store<ProwJob>,
    pods: BTreeMap<String, Store<Pod>>,
    /// Jobs started whose pending state the cache does not show yet; decisions on
    /// concurrency limits are taken while holding this lock.
    started: Mutex<HashSet<String>>,
    /// Wakes triggered jobs waiting for a concurrency slot.
    wake: mpsc::UnboundedSender<ObjectRef<ProwJob>>,
}

/// Whether plank acts on `job`: agent kubernetes, not complete, not `scheduling` (Prow's
/// predicate).
pub fn is_plank_job(job: &ProwJob) -> bool {
    job.spec.agent.unwrap_or_default() == ProwJobAgent::Kubernetes
        && !job.is_complete()
        && job.state() != Some(ProwJobState::Scheduling)
}

/// Keeps cached ProwJobs small: no managed fields, and finished jobs without their Pod
/// spec and decoration.
fn slim_job(job: &mut ProwJob) {
    job.metadata.managed_fields = None;
    if job.is_complete() {
        job.spec.pod_spec = None;
        job.spec.decoration_config = None;
    }
}

/// Keeps cached Pods small: plank reads metadata and status, and the first container's
/// env only for Pods without a build-id label.
fn slim_pod(pod: &mut Pod) {
    pod.metadata.managed_fields = None;
    let has_build_label = pod
        .metadata
        .labels
        .as_ref()
        .is_some_and(|l| l.contains_key(prow_api::labels::PROW_BUILD_ID));
    if let Some(spec) = pod.spec.as_mut() {
        spec.volumes = None;
        spec.init_containers = None;
        for (index, container) in spec.containers.iter_mut().enumerate() {
            if index > 0 || has_build_label {
                container.env = None;
            }
            container.command = None;
            container.args = None;
        }
    }
}

/// Yields once every time this replica becomes leader.
fn leadership_gained(leading: LeaderState) -> impl Stream<Item = ()> + Send {
    futures::stream::unfold(leading, |mut leading| async move {
        loop {
            leading.changed().await.ok()?;
            if *leading.borrow_and_update() {
                return Some(((), leading));
            }
        }
    })
}

/// Runs the controller until `shutdown` is cancelled.
pub async fn run_plank(options: PlankOptions, shutdown: CancellationToken) {
    let settings = options.settings.borrow().clone();
    let prowjob_namespace = settings.prow.prowjob_namespace.clone();
    let pod_namespace = settings.prow.pod_namespace.clone();

    let (job_reader, job_writer) = reflector::store();
    let job_api: Api<ProwJob> = Api::namespaced(options.client.clone(), &prowjob_namespace);
    let job_stream = watcher(job_api, watcher::Config::default().any_semantic())
        .default_backoff()
        .modify(slim_job)
        .reflect(job_writer)
        .applied_objects()
        .filter(|result| std::future::ready(result.as_ref().map_or(true, is_plank_job)));

    let mut pod_stores = BTreeMap::new();
    let mut pod_streams = Vec::new();
    for (alias, client) in options.clusters.iter() {
        let (reader, writer) = reflector::store();
        let api: Api<Pod> = Api::namespaced(client.clone(), &pod_namespace);
        let config = watcher::Config::default()
            .labels(&format!("{}=true", prow_api::labels::CREATED_BY_PROW))
            .any_semantic();
        let stream = watcher(api, config)
            .default_backoff()
            .modify(slim_pod)
            .reflect(writer)
            .touched_objects();
        pod_stores.insert(alias.to_owned(), reader);
        pod_streams.push(stream);
    }

    let (wake_tx, wake_rx) = mpsc::unbounded_channel();
    let ctx = Arc::new(Context {
        client: options.client.clone(),
        clusters: options.clusters.clone(),
        settings: options.settings.clone(),
        leading: options.leading.clone(),
        metrics: options.metrics.clone(),
        events: options.events.clone(),
        build_ids: BuildIds::default(),
        decoration: options.decoration.clone(),
        prowjob_namespace: prowjob_namespace.clone(),
        pod_namespace,
        jobs: job_reader.clone(),
        pods: pod_stores,
        started: Mutex::new(HashSet::new()),
        wake: wake_tx,
    });

    let mut controller = Controller::for_stream(job_stream, job_reader.clone())
        .with_config(ControllerConfig::default().concurrency(options.workers));
    for stream in pod_streams {
        let namespace = prowjob_namespace.clone();
        controller = controller.watches_stream(stream, move |pod: Pod| {
            Some(ObjectRef::new(&pod.name_any()).within(&namespace))
        });
    }
    let wake_stream = futures::stream::unfold(wake_rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    let metrics_task = tokio::spawn(refresh_job_gauge(
        job_reader,
        options.metrics.clone(),
        shutdown.clone(),
    ));
    controller
        .reconcile_all_on(leadership_gained(options.leading.clone()))
        .reconcile_on(wake_stream)
        .graceful_shutdown_on(shutdown.cancelled_owned())
        .run(reconcile, error_policy, ctx)
        .for_each(|_| std::future::ready(()))
        .await;
    metrics_task.abort();
}

async fn refresh_job_gauge(jobs: Store<ProwJob>, metrics: Metrics, shutdown: CancellationToken) {
    loop {
        let snapshot = jobs.state();
        metrics.set_job_states(snapshot.iter().map(|job| job.as_ref()));
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(Duration::from_secs(10)) => {}
        }
    }
}

fn error_policy(job: Arc<ProwJob>, error: &Error, ctx: Arc<Context>) -> Action {
    ctx.metrics.count_error(error);
    tracing::warn!(prowjob = %job.name_any(), %error, "reconcile failed");
    Action::requeue(ERROR_RETRY)
}

async fn reconcile(job: Arc<ProwJob>, ctx: Arc<Context>) -> Result<Action, Error> {
    let started = Instant::now();
    let result = reconcile_job(&job, &ctx).await;
    ctx.metrics
        .reconcile_duration
        .observe(started.elapsed().as_secs_f64());
    result
}

async fn reconcile_job(job: &ProwJob, ctx: &Context) -> Result<Action, Error> {
    if !*ctx.leading.borrow() || !is_plank_job(job) {
        return Ok(Action::await_change());
    }
    if job.status.is_none() {
        let created = job.metadata.creation_timestamp.as_ref().map(|t| t.0);
        let age = created.map_or(NO_STATUS_GRACE, |at| {
            Duration::try_from(Timestamp::now().duration_since(at)).unwrap_or_default()
        });
        if age < NO_STATUS_GRACE {
            return Ok(Action::requeue(NO_STATUS_GRACE - age));
        }
    }
    let settings = ctx.settings.borrow().clone();
    match sync(job, ctx, &settings).await {
        Err(error) if error.is_terminal() => {
            tracing::error!(prowjob = %job.name_any(), %error, "terminal error; the job errors");
            ctx.metrics.count_error(&error);
            let status = ProwJobStatus {
                state: ProwJobState::Error,
                description: format!("Terminal error: {error}."),
                completion_time: Some(now()),
                ..current_status(job)
            };
            write_status(ctx, job, status, None).await?;
            ctx.events
                .emit(job, true, "TerminalError", format!("{error}"));
            Ok(Action::await_change())
        }
        other => other,
    }
}

fn now() -> Time {
    Time(Timestamp::now())
}

fn current_status(job: &ProwJob) -> ProwJobStatus {
    job.status
        .clone()
        .unwrap_or_else(|| ProwJobStatus::new(ProwJobState::Triggered))
}

async fn sync(job: &ProwJob, ctx: &Context, settings: &Settings) -> Result<Action, Error> {
    if job.spec.job_type == ProwJobType::Presubmit {
        abort_superseded(job, ctx).await?;
    }
    match job.state().unwrap_or(ProwJobState::Triggered) {
        ProwJobState::Triggered => sync_triggered(job, ctx, settings).await,
        ProwJobState::Pending => sync_pending(job, ctx, settings).await,
        ProwJobState::Aborted => sync_aborted(job, ctx).await,
        _ => Ok(Action::await_change()),
    }
}

/// Aborts the presubmit runs that a newer run of the same job and PRs supersedes.
async fn abort_superseded(job: &ProwJob, ctx: &Context) -> Result<(), Error> {
    let same_job: Vec<Arc<ProwJob>> = ctx
        .jobs
        .state()
        .into_iter()
        .filter(|other| other.spec.job == job.spec.job && is_plank_job(other))
        .collect();
    if same_job.len() < 2 {
        return Ok(());
    }
    for name in superseded_runs(same_job.iter().map(|j| j.as_ref())) {
        let Some(old) = same_job.iter().find(|j| j.name_any() == name) else {
            continue;
        };
        let status = ProwJobStatus {
            state: ProwJobState::Aborted,
            ..current_status(old)
        };
        tracing::info!(prowjob = %name, job = %old.spec.job, "aborting a superseded presubmit");
        write_status(
            ctx,
            old,
            status,
            Some((GITHUB_REPORTER_NAME, ProwJobState::Aborted)),
        )
        .await?;
        ctx.events.emit(
            old,
            false,
            "Superseded",
            "A newer run of this presubmit for the same pull requests started".into(),
        );
    }
    Ok(())
}

fn pods_api(ctx: &Context, job: &ProwJob) -> Result<(Api<Pod>, String), Error> {
    let alias = job.cluster_alias().to_owned();
    let client = ctx
        .clusters
        .get(&alias)
        .map_err(|_| Error::UnknownBuildCluster {
            alias: alias.clone(),
            known: ctx.clusters.aliases().collect::<Vec<_>>().join(", "),
        })?;
    Ok((Api::namespaced(client.clone(), &ctx.pod_namespace), alias))
}

fn cached_pod(ctx: &Context, alias: &str, name: &str) -> Option<Arc<Pod>> {
    ctx.pods
        .get(alias)?
        .get(&ObjectRef::new(name).within(&ctx.pod_namespace))
}

/// The job's Pod: from the cache, else (the cache may lag behind a create) from the API.
async fn live_pod(
    ctx: &Context,
    api: &Api<Pod>,
    alias: &str,
    name: &str,
) -> Result<Option<Pod>, Error> {
    if let Some(pod) = cached_pod(ctx, alias, name) {
        return Ok(Some(pod.as_ref().clone()));
    }
    api.get_opt(name).await.map_err(|source| Error::GetPod {
        namespace: ctx.pod_namespace.clone(),
        name: name.to_owned(),
        cluster: alias.to_owned(),
        source: Box::new(source),
    })
}

fn forget_started(ctx: &Context, name: &str) {
    ctx.started
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .remove(name);
}

async fn sync_triggered(
    job: &ProwJob,
    ctx: &Context,
    settings: &Settings,
) -> Result<Action, Error> {
    let name = job.name_any();
    let (api, alias) = pods_api(ctx, job)?;
    if let Some(pod) = cached_pod(ctx, &alias, &name) {
        // a Pod made by an earlier pass (or an earlier plank) whose status write was lost
        return mark_pending(ctx, job, settings, &pod, pod_build_id(&pod), false).await;
    }
    if is_limited(job, &settings.prow.plank) {
        let mut started = ctx
            .started
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let jobs = ctx.jobs.state();
        match admit(job, &jobs, &started, &settings.prow.plank)? {
            Admission::Wait(reason) => {
                tracing::debug!(prowjob = %name, %reason, "not starting yet");
                return Ok(Action::requeue(ADMISSION_RETRY));
            }
            Admission::Start => {
                started.insert(name.clone());
            }
        }
    }
    let result = start_pod(ctx, job, settings, &api, &alias, false).await;
    forget_started(ctx, &name);
    result
}

/// Creates the job's Pod with a new build id (adopting a Pod of that name that already
/// exists) and marks the job pending. `revival`: the job was pending and lost its Pod.
async fn start_pod(
    ctx: &Context,
    job: &ProwJob,
    settings: &Settings,
    api: &Api<Pod>,
    alias: &str,
    revival: bool,
) -> Result<Action, Error> {
    let name = job.name_any();
    let build_id = ctx.build_ids.next();
    let mut with_build = job.clone();
    with_build.status = Some(ProwJobStatus {
        build_id: build_id.clone(),
        ..current_status(job)
    });
    let pod = match build_pod(&with_build, &settings.prow, &ctx.decoration) {
        Ok(pod) => pod,
        Err(error) => return fail_unprocessable(ctx, job, &error.to_string()).await,
    };
    let params = PostParams {
        dry_run: false,
        field_manager: Some(field_manager::PLANK.into()),
    };
    match api.create(&params, &pod).await {
        Ok(created) => {
            ctx.metrics.pods_created.inc();
            ctx.events.emit(
                job,
                revival,
                if revival { "PodRevived" } else { "PodCreated" },
                format!("Created pod {name} in cluster {alias} (build {build_id})"),
            );
            mark_pending(ctx, job, settings, &created, build_id, revival).await
        }
        Err(kube::Error::Api(status)) if status.code == 409 => {
            let existing = api.get(&name).await.map_err(|source| Error::GetPod {
                namespace: ctx.pod_namespace.clone(),
                name: name.clone(),
                cluster: alias.to_owned(),
                source: Box::new(source),
            })?;
            let existing_id = pod_build_id(&existing);
            mark_pending(ctx, job, settings, &existing, existing_id, revival).await
        }
        Err(kube::Error::Api(status)) if (400..500).contains(&status.code) => {
            fail_unprocessable(ctx, job, &status.message).await
        }
        Err(source) => Err(Error::CreatePod {
            namespace: ctx.pod_namespace.clone(),
            name,
            cluster: alias.to_owned(),
            source: Box::new(source),
        }),
    }
}

/// The Pod cannot be made (bad spec, rejected by the API server): the job errors.
async fn fail_unprocessable(ctx: &Context, job: &ProwJob, why: &str) -> Result<Action, Error> {
    tracing::warn!(prowjob = %job.name_any(), reason = %why, "unprocessable pod");
    let status = ProwJobStatus {
        state: ProwJobState::Error,
        description: format!("Pod can not be created: {why}"),
        completion_time: Some(now()),
        ..current_status(job)
    };
    write_status(ctx, job, status, None).await?;
    ctx.events.emit(
        job,
        true,
        "PodCreationFailed",
        format!("Pod can not be created: {why}"),
    );
    Ok(Action::await_change())
}

/// Records that `pod` (build `build_id`) runs the job: pending, with pod name, build id,
/// URL and, for a first start, the pending time (the Pod's creation, so that adopting the
/// same Pod again writes the same status).
async fn mark_pending(
    ctx: &Context,
    job: &ProwJob,
    settings: &Settings,
    pod: &Pod,
    build_id: String,
    revival: bool,
) -> Result<Action, Error> {
    let current = current_status(job);
    let mut status = ProwJobStatus {
        state: ProwJobState::Pending,
        pod_name: pod.name_any(),
        build_id,
        ..current.clone()
    };
    if revival {
        status.pod_revival_count = current.pod_revival_count + 1;
    } else {
        status.pending_time = Some(pod.metadata.creation_timestamp.clone().unwrap_or_else(now));
        status.description = "Job triggered.".into();
    }
    status.url = job_url(settings, job, &status);
    write_status(ctx, job, status, None).await?;
    Ok(Action::await_change())
}

fn job_url(settings: &Settings, job: &ProwJob, status: &ProwJobStatus) -> String {
    let mut view = job.clone();
    view.status = Some(status.clone());
    match settings.job_urls.job_url(&view) {
        Ok(url) => url,
        Err(error) => {
            tracing::warn!(prowjob = %job.name_any(), %error, "failed to get job URL");
            String::new()
        }
    }
}

async fn sync_pending(job: &ProwJob, ctx: &Context, settings: &Settings) -> Result<Action, Error> {
    let name = job.name_any();
    let (api, alias) = pods_api(ctx, job)?;
    let pod = live_pod(ctx, &api, &alias, &name).await?;
    let timeouts = Timeouts::for_job(&settings.prow.plank, job);
    let step = pending_step(
        job,
        pod.as_ref(),
        &timeouts,
        settings.max_revivals(),
        Timestamp::now(),
    );
    match step {
        PendingStep::Wait(None) => Ok(Action::await_change()),
        // one second of slack: the deadline has passed when we look again
        PendingStep::Wait(Some(after)) => Ok(Action::requeue(after + Duration::from_secs(1))),
        PendingStep::RecreatePod => {
            tracing::info!(prowjob = %name, "pod is missing, starting a new pod");
            start_pod(ctx, job, settings, &api, &alias, true).await
        }
        PendingStep::DeletePodForRevival { cause } => {
            tracing::info!(prowjob = %name, %cause, "pod stopped unexpectedly; deleting it to start a new one");
            ctx.events.emit(
                job,
                true,
                "PodStoppedUnexpectedly",
                format!("Pod stopped unexpectedly ({cause}); it will be recreated"),
            );
            delete_pod(ctx, &api, &alias, &name).await?;
            Ok(Action::await_change())
        }
        PendingStep::Finish {
            state,
            description,
            delete_pod: delete,
        } => {
            if delete {
                delete_pod(ctx, &api, &alias, &name).await?;
            }
            let mut status = ProwJobStatus {
                state,
                description: description.clone(),
                completion_time: Some(now()),
                ..current_status(job)
            };
            status.url = job_url(settings, job, &status);
            write_status(ctx, job, status, None).await?;
            let oom = pod.as_ref().is_some_and(was_oom_killed);
            let reason = match state {
                ProwJobState::Success => "JobSucceeded",
                _ if oom => "OOMKilled",
                ProwJobState::Failure => "JobFailed",
                ProwJobState::Aborted => "JobAborted",
                _ => "JobErrored",
            };
            ctx.events
                .emit(job, state != ProwJobState::Success, reason, description);
            Ok(Action::await_change())
        }
    }
}

async fn delete_pod(ctx: &Context, api: &Api<Pod>, alias: &str, name: &str) -> Result<(), Error> {
    match api.delete(name, &DeleteParams::default()).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(()),
        Err(source) => Err(Error::DeletePod {
            namespace: ctx.pod_namespace.clone(),
            name: name.to_owned(),
            cluster: alias.to_owned(),
            source: Box::new(source),
        }),
    }
}

async fn sync_aborted(job: &ProwJob, ctx: &Context) -> Result<Action, Error> {
    let name = job.name_any();
    let (api, alias) = pods_api(ctx, job)?;
    delete_pod(ctx, &api, &alias, &name).await?;
    let status = ProwJobStatus {
        completion_time: Some(now()),
        ..current_status(job)
    };
    write_status(ctx, job, status, None).await?;
    Ok(Action::await_change())
}

/// The status body plank applies: the whole status except the reporters'
/// `prev_report_states` (plus `report`, when aborting without a report).
fn status_patch(
    name: &str,
    status: &ProwJobStatus,
    report: Option<(&str, ProwJobState)>,
) -> serde_json::Value {
    let mut status = status.clone();
    status.prev_report_states.clear();
    if let Some((reporter, state)) = report {
        status.prev_report_states.insert(reporter.to_owned(), state);
    }
    serde_json::json!({
        "apiVersion": "prow.k8s.io/v1",
        "kind": "ProwJob",
        "metadata": { "name": name },
        "status": status,
    })
}

/// Writes `status` (unless the cached job already has it), counts and logs the
/// transition, waits until the cache shows a new state, and wakes jobs waiting for a slot
/// when a job completed.
async fn write_status(
    ctx: &Context,
    job: &ProwJob,
    status: ProwJobStatus,
    report: Option<(&str, ProwJobState)>,
) -> Result<(), Error> {
    let name = job.name_any();
    // a run plank aborted as superseded keeps its "reported" mark in every later apply
    // (server-side apply would otherwise remove the field plank owns)
    let superseded_mark = (GITHUB_REPORTER_NAME, ProwJobState::Aborted);
    let report = report.or_else(|| {
        let marked = job
            .status
            .as_ref()
            .and_then(|s| s.prev_report_states.get(GITHUB_REPORTER_NAME))
            == Some(&ProwJobState::Aborted);
        (marked && status.state == ProwJobState::Aborted).then_some(superseded_mark)
    });
    let mut unchanged = current_status(job);
    unchanged.prev_report_states = status.prev_report_states.clone();
    let report_recorded = report.is_none_or(|(reporter, state)| {
        job.status
            .as_ref()
            .and_then(|s| s.prev_report_states.get(reporter))
            == Some(&state)
    });
    if job.status.is_some() && unchanged == status && report_recorded {
        return Ok(());
    }
    let api: Api<ProwJob> = Api::namespaced(ctx.client.clone(), &ctx.prowjob_namespace);
    let params = PatchParams::apply(field_manager::PLANK).force();
    api.patch_status(
        &name,
        &params,
        &Patch::Apply(status_patch(&name, &status, report)),
    )
    .await
    .map_err(|source| Error::PatchStatus {
        name: name.clone(),
        source: Box::new(source),
    })?;
    let from = job.state().unwrap_or(ProwJobState::Triggered);
    let complete = status.completion_time.is_some();
    if from != status.state {
        tracing::info!(prowjob = %name, job = %job.spec.job, %from, to = %status.state, "transitioning states");
        ctx.metrics
            .count_transition(from.as_str(), status.state.as_str());
    }
    if from != status.state || complete != job.is_complete() {
        wait_for_cache(ctx, &name, |cached| {
            cached.state() == Some(status.state) && cached.is_complete() == complete
        })
        .await?;
    }
    if complete {
        wake_waiting(ctx, job);
    }
    Ok(())
}

async fn wait_for_cache(
    ctx: &Context,
    name: &str,
    done: impl Fn(&ProwJob) -> bool,
) -> Result<(), Error> {
    let key = ObjectRef::new(name).within(&ctx.prowjob_namespace);
    let deadline = Instant::now() + CACHE_WAIT;
    loop {
        match ctx.jobs.get(&key) {
            Some(cached) if done(&cached) => return Ok(()),
            // deleted meanwhile: nothing left to be stale about
            None => return Ok(()),
            Some(_) => {}
        }
        if Instant::now() >= deadline {
            return Err(Error::CacheTimeout {
                what: "ProwJob",
                name: name.to_owned(),
                seconds: CACHE_WAIT.as_secs(),
            });
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// How many waiting jobs one completion wakes at most (the oldest first; the rest look
/// again after [`ADMISSION_RETRY`]).
const WAKE_AT_MOST: usize = 8;

/// A slot may have opened: reconcile the oldest triggered jobs that share a limit with
/// `done`.
fn wake_waiting(ctx: &Context, done: &ProwJob) {
    let settings = ctx.settings.borrow().clone();
    let global = settings.prow.plank.max_concurrency > 0;
    let mut waiting: Vec<Arc<ProwJob>> = ctx
        .jobs
        .state()
        .into_iter()
        .filter(|job| {
            job.state() == Some(ProwJobState::Triggered)
                && is_plank_job(job)
                && (global
                    || (job.spec.max_concurrency > 0 && job.spec.job == done.spec.job)
                    || (!job.spec.job_queue_name.is_empty()
                        && job.spec.job_queue_name == done.spec.job_queue_name))
        })
        .collect();
    waiting.sort_by(|a, b| age_key(a).cmp(&age_key(b)));
    for job in waiting.iter().take(WAKE_AT_MOST) {
        let _ = ctx
            .wake
            .send(ObjectRef::new(&job.name_any()).within(&ctx.prowjob_namespace));
    }
}

#[cfg(test)]
mod tests {
    use prow_api::ProwJobSpec;

    use super::*;

    #[test]
    fn status_patches_leave_reporter_fields_alone() {
        let mut status = ProwJobStatus::new(ProwJobState::Pending);
        status.build_id = "1".into();
        status
            .prev_report_states
            .insert("github-reporter".into(), ProwJobState::Triggered);
        let patch = status_patch("job", &status, None);
        assert_eq!(patch["status"]["state"], "pending");
        assert_eq!(patch["status"]["build_id"], "1");
        assert!(
            patch["status"].get("prev_report_states").is_none(),
            "{patch}"
        );
        let abort = status_patch(
            "job",
            &status,
            Some((GITHUB_REPORTER_NAME, ProwJobState::Aborted)),
        );
        assert_eq!(
            abort["status"]["prev_report_states"],
            serde_json::json!({"github-reporter": "aborted"})
        );
        assert_eq!(abort["metadata"]["name"], "job");
    }

    #[test]
    fn plank_acts_on_incomplete_kubernetes_jobs_only() {
        let job = |agent, state: Option<ProwJobState>, complete: bool| {
            let mut spec = ProwJobSpec::new(ProwJobType::Periodic, "j");
            spec.agent = agent;
            let mut job = ProwJob::new("x", spec);
            job.status = state.map(|state| ProwJobStatus {
                completion_time: complete.then(now),
                ..ProwJobStatus::new(state)
            });
            job
        };
        let cases = [
            (
                job(
                    Some(ProwJobAgent::Kubernetes),
                    Some(ProwJobState::Triggered),
                    false,
                ),
                true,
            ),
            (job(None, None, false), true),
            (
                job(
                    Some(ProwJobAgent::Kubernetes),
                    Some(ProwJobState::Aborted),
                    false,
                ),
                true,
            ),
            (
                job(
                    Some(ProwJobAgent::Kubernetes),
                    Some(ProwJobState::Success),
                    true,
                ),
                false,
            ),
            (
                job(
                    Some(ProwJobAgent::Kubernetes),
                    Some(ProwJobState::Scheduling),
                    false,
                ),
                false,
            ),
            (
                job(
                    Some(ProwJobAgent::Jenkins),
                    Some(ProwJobState::Triggered),
                    false,
                ),
                false,
            ),
        ];
        for (job, want) in cases {
            assert_eq!(is_plank_job(&job), want, "{:?}", job.status);
        }
    }
}
