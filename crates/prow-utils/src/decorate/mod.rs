//! Pod decoration: turning a decorated ProwJob's Pod spec into one that runs the pod
//! utilities, exactly as Prow's `pkg/pod-utils/decorate/podspec.go` does.
//!
//! [`prowjob_to_pod`] is Prow's `ProwJobToPod`: the Pod plank creates for a ProwJob with the
//! kubernetes agent (name, labels and annotations, `restartPolicy: Never`, the job
//! environment, and decoration when the job has a `decoration_config`).
//! [`decorate_pod_spec`] is the decoration alone (Prow's `decorate`):
//!
//! - init containers `clonerefs` (unless `skip_cloning` or nothing to clone), `initupload`
//!   and `place-entrypoint`, in that order after the job's own init containers (clonerefs
//!   first of all);
//! - every test container runs `/tools/entrypoint`, which runs its original command and args
//!   (from `ENTRYPOINT_OPTIONS`) with the job's `timeout` and `grace_period`; the job
//!   environment plus `ARTIFACTS=/logs/artifacts` and `GOPATH=/home/prow/go`; its working
//!   directory is the main (or `workdir: true`) repository's clone;
//! - a `sidecar` container that uploads logs, `finished.json` and artifacts;
//! - volumes `logs`, `tools`, `code` (plus `clonerefs-tmp` and the clone secrets);
//! - `gcs_credentials_secret` / `s3_credentials_secret` mounted into initupload and sidecar
//!   only, never into a test container; `ssh_key_secrets`, `oauth_token_secret`, the GitHub
//!   App key and `cookiefile_secret` into clonerefs only;
//! - with `censor_secrets`, every secret volume a test container mounts is also mounted into
//!   the sidecar and listed in its censoring options;
//! - `terminationGracePeriodSeconds` = 5/4 of `grace_period` unless set, the default service
//!   account, security context, scheduling options and memory defaults of the config.
//!
//! The output is deterministic (environment sorted by name, as Prow's `KubeEnv`) and
//! byte-for-byte Prow's, including the JSON of the option variables; the unit tests compare
//! it with Pods Prow's own code built for real jobs of the config corpus
//! (`testdata/prow_decorated_pods.json`, made by `testdata/prowgen`).
//!
//! # Running the utilities without their images
//!
//! Prow's utility images start the utility as their entrypoint, so Prow's utility containers
//! have no `command`. Where images are not run — the local node agent of prow-rs' tests and
//! the single-machine mode run containers as host processes — set
//! [`DecorationOptions::utility_program`] to the host path of the `prow-utils` binary: every
//! utility container then runs `<program> <role>` (`clonerefs`, `initupload`, `entrypoint`,
//! `sidecar`), and place-entrypoint gets `ENTRYPOINT_OPTIONS` naming its copy destination
//! (`/tools/entrypoint`), so it copies the binary under the name `entrypoint`, which the
//! binary recognises as its role. Images stay as configured either way.

mod error;
mod go_json;
mod utility_containers;
mod volumes;
mod wrap_test_container;

#[cfg(test)]
mod options_tests;
#[cfg(test)]
mod prow_parity_tests;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use prow_api::k8s_openapi::api::core::v1::{Pod, PodSecurityContext, PodSpec};
use prow_api::k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use prow_api::labels::{PROW_BUILD_ID, PROW_JOB_ID, TEST_CONTAINER_NAME};
use prow_api::{DecorationConfig, GoDuration, JobSpec, ProwJob};

pub use error::DecorateError;
pub use utility_containers::{
    CLONEREFS_NAME, DEFAULT_GITHUB_API_ENDPOINT, INITUPLOAD_NAME, PLACE_ENTRYPOINT_NAME,
    SIDECAR_NAME,
};
pub use volumes::{
    ARTIFACTS_ENV, ARTIFACTS_PATH, CODE_MOUNT_PATH, CODE_VOLUME, GCS_CREDENTIALS_MOUNT_PATH,
    GCS_CREDENTIALS_VOLUME, GOPATH_ENV, LOGS_MOUNT_PATH, LOGS_VOLUME, S3_CREDENTIALS_MOUNT_PATH,
    S3_CREDENTIALS_VOLUME, TOOLS_MOUNT_PATH, TOOLS_VOLUME,
};

use utility_containers::SidecarInputs;
use volumes::{CODE_VOLUME as CODE, LOGS_VOLUME as LOGS};

/// The termination message policy Prow gives every container that sets none.
const FALLBACK_TO_LOGS_ON_ERROR: &str = "FallbackToLogsOnError";

/// How to decorate, beyond what the ProwJob says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DecorationOptions {
    /// Run every utility container as `<program> <role>` instead of relying on the utility
    /// images' entrypoints: the host path of the `prow-utils` binary where containers run
    /// as host processes (see the module documentation). `None`: Prow's Pods exactly.
    pub utility_program: Option<String>,
    /// Copy logs and artifacts into this host directory (mounted as a `hostPath` volume at
    /// `/output`) instead of uploading them, as Prow's `ProwJobToPodLocal` (used by
    /// `phaino`); the storage credentials are then not mounted. `None`: upload.
    pub local_output_dir: Option<String>,
}

/// The Pod for a ProwJob (Prow's `ProwJobToPod` / `ProwJobToPodLocal`): named after the
/// ProwJob, with Prow's labels and annotations (the ProwJob's own plus `prow.k8s.io/id` and
/// `prow.k8s.io/build-id`), `restartPolicy: Never`, a single container named `test`, no
/// service-account token unless a service account is named, the job environment, and
/// decoration when the job has a `decoration_config`.
///
/// # Errors
/// [`DecorateError::MissingPodSpec`] without `pod_spec`; [`DecorateError::JobEnv`] when the
/// job environment cannot be built (e.g. a presubmit without a pull request).
pub fn prowjob_to_pod(job: &ProwJob, options: &DecorationOptions) -> Result<Pod, DecorateError> {
    let name = job.metadata.name.clone().unwrap_or_default();
    let mut spec = job
        .spec
        .pod_spec
        .clone()
        .ok_or_else(|| DecorateError::MissingPodSpec { job: name.clone() })?;
    spec.restart_policy = Some("Never".to_owned());
    if let [only] = spec.containers.as_mut_slice() {
        only.name = TEST_CONTAINER_NAME.to_owned();
    }
    let has_service_account = spec
        .service_account_name
        .as_deref()
        .is_some_and(|name| !name.is_empty());
    if spec.automount_service_account_token.is_none() && !has_service_account {
        spec.automount_service_account_token = Some(false);
    }
    if job.spec.decoration_config.is_some() {
        decorate_pod_spec(&mut spec, job, options)?;
    } else {
        let env = job_env(job)?;
        for container in &mut spec.containers {
            container
                .env
                .get_or_insert_with(Vec::new)
                .extend(utility_containers::kube_env(borrowed(&env)));
        }
    }
    for container in spec
        .init_containers
        .iter_mut()
        .flatten()
        .chain(spec.containers.iter_mut())
    {
        if container
            .termination_message_policy
            .as_deref()
            .is_none_or(str::is_empty)
        {
            container.termination_message_policy = Some(FALLBACK_TO_LOGS_ON_ERROR.to_owned());
        }
    }
    let (labels, annotations) = pod_labels_and_annotations(job);
    Ok(Pod {
        metadata: ObjectMeta {
            name: Some(name),
            labels: Some(labels),
            annotations: Some(annotations),
            ..ObjectMeta::default()
        },
        spec: Some(spec),
        status: None,
    })
}

/// The Pod's labels and annotations (Prow's `LabelsAndAnnotationsForJob`).
fn pod_labels_and_annotations(
    job: &ProwJob,
) -> (BTreeMap<String, String>, BTreeMap<String, String>) {
    let mut extra_labels = job.metadata.labels.clone().unwrap_or_default();
    extra_labels.insert(
        PROW_JOB_ID.to_owned(),
        job.metadata.name.clone().unwrap_or_default(),
    );
    extra_labels.insert(
        PROW_BUILD_ID.to_owned(),
        job.status
            .as_ref()
            .map(|status| status.build_id.clone())
            .unwrap_or_default(),
    );
    let extra_annotations = job.metadata.annotations.clone().unwrap_or_default();
    prow_api::labels_and_annotations_for_spec(&job.spec, &extra_labels, &extra_annotations)
}

/// The job environment (`EnvForSpec`) as a map.
fn job_env(job: &ProwJob) -> Result<BTreeMap<String, String>, DecorateError> {
    Ok(prow_api::env_for_spec(&JobSpec::for_prowjob(job))?
        .into_iter()
        .collect())
}

fn borrowed(env: &BTreeMap<String, String>) -> BTreeMap<&str, String> {
    env.iter()
        .map(|(name, value)| (name.as_str(), value.clone()))
        .collect()
}

fn go_duration(duration: Option<GoDuration>) -> Duration {
    duration.and_then(GoDuration::to_std).unwrap_or_default()
}

/// Decorates `spec` for `job` (Prow's `decorate`); see the module documentation.
///
/// # Errors
/// [`DecorateError::NotDecorated`] when the job has no `decoration_config`;
/// [`DecorateError::JobEnv`] when the job environment cannot be built.
pub fn decorate_pod_spec(
    spec: &mut PodSpec,
    job: &ProwJob,
    options: &DecorationOptions,
) -> Result<(), DecorateError> {
    let Some(config) = job.spec.decoration_config.as_ref() else {
        return Err(DecorateError::NotDecorated {
            job: job.metadata.name.clone().unwrap_or_default(),
        });
    };
    let mut raw_env = job_env(job)?;
    raw_env.insert(ARTIFACTS_ENV.to_owned(), ARTIFACTS_PATH.to_owned());
    raw_env.insert(GOPATH_ENV.to_owned(), CODE_MOUNT_PATH.to_owned());
    let job_spec_json = raw_env
        .get(prow_api::job_env::JOB_SPEC)
        .cloned()
        .unwrap_or_default();

    let output = options
        .local_output_dir
        .as_deref()
        .map(volumes::output_volume);
    let output_mount = output.as_ref().map(|(_, mount)| mount);
    let (storage_volumes, storage_mounts, upload) = volumes::blob_storage(config, output.is_some());

    let log_mount = volumes::mount(LOGS, LOGS_MOUNT_PATH, false);
    let clone = utility_containers::clonerefs(job, config, options)?;
    let init_containers = spec.init_containers.get_or_insert_with(Vec::new);
    if let Some(clone) = &clone {
        init_containers.insert(0, clone.container.clone());
    }
    init_containers.push(utility_containers::initupload(
        config,
        options,
        &upload,
        &storage_mounts,
        clone.as_ref().map(|_| &log_mount),
        output_mount,
        &job_spec_json,
    )?);
    init_containers.push(utility_containers::place_entrypoint(config, options)?);

    for container in &mut spec.containers {
        container
            .env
            .get_or_insert_with(Vec::new)
            .extend(utility_containers::kube_env(borrowed(&raw_env)));
    }

    let secret_volumes: BTreeSet<String> = spec
        .volumes
        .iter()
        .flatten()
        .filter(|volume| volume.secret.is_some())
        .map(|volume| volume.name.clone())
        .collect();
    let censor = config.censor_secrets == Some(true);
    let single_container = spec.containers.len() == 1;
    let timeout = go_duration(config.timeout);
    let grace_period = go_duration(config.grace_period);
    let mut secret_mounts = Vec::new();
    let mut wrappers = Vec::new();
    for container in &mut spec.containers {
        let prefix = if single_container {
            String::new()
        } else {
            container.name.clone()
        };
        wrappers.push(wrap_test_container::inject_entrypoint(
            container,
            timeout,
            grace_period,
            &prefix,
        )?);
        if censor {
            secret_mounts.extend(
                container
                    .volume_mounts
                    .iter()
                    .flatten()
                    .filter(|mount| secret_volumes.contains(&mount.name))
                    .cloned(),
            );
        }
    }

    let sidecar = utility_containers::sidecar(
        config,
        options,
        SidecarInputs {
            upload: &upload,
            storage_mounts: &storage_mounts,
            output_mount,
            job_spec_json: &job_spec_json,
            secret_mounts: &secret_mounts,
            wrappers,
        },
    )?;

    let pod_volumes = spec.volumes.get_or_insert_with(Vec::new);
    pod_volumes.push(volumes::empty_dir(LOGS));
    pod_volumes.push(volumes::empty_dir(TOOLS_VOLUME));
    pod_volumes.extend(storage_volumes);
    pod_volumes.extend(output.as_ref().map(|(volume, _)| volume.clone()));

    if let Some(clone) = clone {
        let work_dir = determine_work_dir(CODE_MOUNT_PATH, &clone.refs);
        for container in &mut spec.containers {
            container.working_dir = Some(work_dir.clone());
            container
                .volume_mounts
                .get_or_insert_with(Vec::new)
                .push(volumes::mount(CODE, CODE_MOUNT_PATH, false));
        }
        pod_volumes.extend(clone.volumes);
        pod_volumes.push(volumes::empty_dir(CODE));
    }

    apply_resource_defaults(spec, config);
    apply_pod_settings(spec, config);
    spec.containers.push(sidecar);

    if spec.termination_grace_period_seconds.is_none()
        && let Some(grace) = config.grace_period
    {
        // Prow: int64(GracePeriod.Seconds()) * 5 / 4 — the Pod's grace must cover both the
        // test's graceful exit and the upload afterwards.
        spec.termination_grace_period_seconds = Some(grace.as_nanos() / 1_000_000_000 * 5 / 4);
    }
    if spec
        .service_account_name
        .as_deref()
        .is_none_or(str::is_empty)
        && let Some(account) = &config.default_service_account_name
    {
        spec.service_account_name = Some(account.clone());
    }
    Ok(())
}

/// The working directory of the test containers: the clone of the first refs with
/// `workdir: true`, else of the first refs (`DetermineWorkDir`).
fn determine_work_dir(base_dir: &str, refs: &[prow_api::Refs]) -> String {
    let chosen = refs.iter().find(|refs| refs.workdir).or(refs.first());
    chosen
        .map(|refs| crate::clone::path_for_refs(base_dir, refs))
        .unwrap_or_else(|| base_dir.to_owned())
}

const MEMORY: &str = "memory";

/// `default_memory_request` for test containers without a memory request, then
/// `set_limit_equals_memory_request`.
fn apply_resource_defaults(spec: &mut PodSpec, config: &DecorationConfig) {
    if let Some(default_request) = &config.default_memory_request {
        for container in &mut spec.containers {
            let requests = container
                .resources
                .get_or_insert_with(Default::default)
                .requests
                .get_or_insert_with(BTreeMap::new);
            requests
                .entry(MEMORY.to_owned())
                .or_insert_with(|| default_request.clone());
        }
    }
    if config.set_limit_equals_memory_request == Some(true) {
        for container in &mut spec.containers {
            let Some(resources) = container.resources.as_mut() else {
                continue;
            };
            let Some(request) = resources
                .requests
                .as_ref()
                .and_then(|requests| requests.get(MEMORY))
                .cloned()
            else {
                continue;
            };
            resources
                .limits
                .get_or_insert_with(BTreeMap::new)
                .insert(MEMORY.to_owned(), request);
        }
    }
}

/// Security context and scheduling defaults of the decoration config; Prow always gives a
/// decorated Pod a (possibly empty) security context.
fn apply_pod_settings(spec: &mut PodSpec, config: &DecorationConfig) {
    let security = spec
        .security_context
        .get_or_insert_with(PodSecurityContext::default);
    if security.run_as_user.is_none() {
        security.run_as_user = config.run_as_user;
    }
    if security.run_as_group.is_none() {
        security.run_as_group = config.run_as_group;
    }
    if security.fs_group.is_none() {
        security.fs_group = config.fs_group;
    }
    if let Some(scheduling) = &config.scheduling_options {
        if spec.affinity.is_none() {
            spec.affinity = scheduling.affinity.clone();
        }
        if !scheduling.tolerations.is_empty() && spec.tolerations.is_none() {
            spec.tolerations = Some(scheduling.tolerations.clone());
        }
    }
}
