//! The pod-utility containers: clonerefs, initupload and place-entrypoint (init containers)
//! and the sidecar (Prow's `CloneRefs`, `InitUpload`, `PlaceEntrypoint` and `Sidecar`).

use std::collections::BTreeMap;

use prow_api::k8s_openapi::api::core::v1::{
    Container, EnvVar, ResourceRequirements, Volume, VolumeMount,
};
use prow_api::{DecorationConfig, ProwJob, Refs};

use super::error::DecorateError;
use super::go_json::encode_like_go;
use super::volumes::{
    self, CLONE_LOG_FILE, CODE_MOUNT_PATH, LOGS_MOUNT_PATH, TOOLS_MOUNT_PATH, empty_dir, mount,
};
use super::{DecorationOptions, FALLBACK_TO_LOGS_ON_ERROR};
use crate::options::clone_refs::{self, CloneRefsOptions};
use crate::options::entrypoint::{self, EntrypointOptions};
use crate::options::initupload::{self, InitUploadOptions};
use crate::options::sidecar::{self, SidecarCensoringOptions, SidecarOptions};
use crate::options::{GcsUploadOptions, JOB_SPEC_ENV, WrapperOptions};

/// Name of the clonerefs init container.
pub const CLONEREFS_NAME: &str = "clonerefs";
/// Name of the initupload init container.
pub const INITUPLOAD_NAME: &str = "initupload";
/// Name of the init container that copies the entrypoint binary into the tools volume.
pub const PLACE_ENTRYPOINT_NAME: &str = "place-entrypoint";
/// Name of the sidecar container.
pub const SIDECAR_NAME: &str = "sidecar";

/// Prow's default GitHub API endpoint for clonerefs (`github.DefaultAPIEndpoint`).
pub const DEFAULT_GITHUB_API_ENDPOINT: &str = "https://api.github.com";

/// The role argument of each utility when it runs as `<program> <role>`.
const CLONEREFS_ROLE: &str = "clonerefs";
const INITUPLOAD_ROLE: &str = "initupload";
const ENTRYPOINT_ROLE: &str = "entrypoint";
const SIDECAR_ROLE: &str = "sidecar";

/// Environment variables sorted by name (Prow's `KubeEnv`).
pub(crate) fn kube_env(env: BTreeMap<&str, String>) -> Vec<EnvVar> {
    env.into_iter()
        .map(|(name, value)| EnvVar {
            name: name.to_owned(),
            value: Some(value),
            value_from: None,
        })
        .collect()
}

/// The clone log path in the logs mount (`CloneLogPath`).
pub(crate) fn clone_log_path() -> String {
    format!("{LOGS_MOUNT_PATH}/{CLONE_LOG_FILE}")
}

fn utility_container(
    name: &str,
    image: Option<&str>,
    role: &str,
    options: &DecorationOptions,
    resources: Option<&ResourceRequirements>,
) -> Container {
    Container {
        name: name.to_owned(),
        image: image.filter(|image| !image.is_empty()).map(str::to_owned),
        command: options
            .utility_program
            .as_ref()
            .map(|program| vec![program.clone(), role.to_owned()]),
        resources: resources.cloned(),
        ..Container::default()
    }
}

fn images(config: &DecorationConfig) -> prow_api::UtilityImages {
    config.utility_images.clone().unwrap_or_default()
}

/// What clonerefs needs: its container, the refs it clones (main refs first) and the
/// volumes of its secrets; `None` when cloning is skipped or there is nothing to clone.
pub(crate) struct CloneRefsPart {
    pub(crate) container: Container,
    pub(crate) refs: Vec<Refs>,
    pub(crate) volumes: Vec<Volume>,
}

/// The clonerefs init container (`CloneRefs`).
pub(crate) fn clonerefs(
    job: &ProwJob,
    config: &DecorationConfig,
    options: &DecorationOptions,
) -> Result<Option<CloneRefsPart>, DecorateError> {
    if config.skip_cloning == Some(true) {
        return Ok(None);
    }
    let refs: Vec<Refs> = job
        .spec
        .refs
        .iter()
        .chain(job.spec.extra_refs.iter())
        .cloned()
        .collect();
    if refs.is_empty() {
        return Ok(None);
    }
    let mut clone_volumes = Vec::new();
    let mut clone_mounts = Vec::new();
    let mut key_files = Vec::new();
    for secret in &config.ssh_key_secrets {
        let (volume, mount) = volumes::ssh_key(secret);
        key_files.push(mount.mount_path.clone());
        clone_mounts.push(mount);
        clone_volumes.push(volume);
    }
    let mut oauth_token_file = String::new();
    if let Some(secret) = &config.oauth_token_secret {
        let (volume, mount) = volumes::oauth_token(&secret.name, &secret.key);
        oauth_token_file = prow_api::storage_path::join_path(&[&mount.mount_path, &secret.key]);
        clone_mounts.push(mount);
        clone_volumes.push(volume);
    }
    let github_api_endpoints = if config.github_api_endpoints.is_empty() {
        vec![DEFAULT_GITHUB_API_ENDPOINT.to_owned()]
    } else {
        config.github_api_endpoints.clone()
    };
    let mut github_app_private_key_file = String::new();
    if let Some(secret) = &config.github_app_private_key_secret {
        let (volume, mount) = volumes::github_app_key(&secret.name, &secret.key);
        github_app_private_key_file =
            prow_api::storage_path::join_path(&[&mount.mount_path, &secret.key]);
        clone_mounts.push(mount);
        clone_volumes.push(volume);
    }
    clone_mounts.push(mount("clonerefs-tmp", "/tmp", false));
    clone_volumes.push(empty_dir("clonerefs-tmp"));

    let mut args = Vec::new();
    let mut cookie_path = String::new();
    if let Some(secret) = config
        .cookiefile_secret
        .as_deref()
        .filter(|s| !s.is_empty())
    {
        let (volume, mount, path) = volumes::cookiefile(secret);
        clone_mounts.push(mount);
        clone_volumes.push(volume);
        args.push(format!("--cookiefile={path}"));
        cookie_path = path;
    }

    let clone_options = CloneRefsOptions {
        src_root: CODE_MOUNT_PATH.to_owned(),
        log: clone_log_path(),
        git_user_name: clone_refs::DEFAULT_GIT_USER_NAME.to_owned(),
        git_user_email: clone_refs::DEFAULT_GIT_USER_EMAIL.to_owned(),
        git_refs: refs.clone(),
        key_files,
        oauth_token_file,
        host_fingerprints: config.ssh_host_fingerprints.clone(),
        cookie_path,
        github_api_endpoints,
        github_app_id: config.github_app_id.clone(),
        github_app_private_key_file,
        ..CloneRefsOptions::default()
    };
    let env = BTreeMap::from([(
        clone_refs::ENV_VAR,
        encode_like_go(clone_refs::ENV_VAR, &clone_options)?,
    )]);
    let resources = config.resources.as_ref().and_then(|r| r.clonerefs.as_ref());
    let mut container = utility_container(
        CLONEREFS_NAME,
        Some(&images(config).clonerefs),
        CLONEREFS_ROLE,
        options,
        resources,
    );
    container.args = (!args.is_empty()).then_some(args);
    container.env = Some(kube_env(env));
    let mut mounts = vec![
        mount(volumes::LOGS_VOLUME, LOGS_MOUNT_PATH, false),
        mount(volumes::CODE_VOLUME, CODE_MOUNT_PATH, false),
    ];
    mounts.extend(clone_mounts);
    container.volume_mounts = Some(mounts);
    Ok(Some(CloneRefsPart {
        container,
        refs,
        volumes: clone_volumes,
    }))
}

/// The initupload init container (`InitUpload`): uploads `started.json` and, when
/// clonerefs ran, the clone records (and the failure, if cloning failed).
pub(crate) fn initupload(
    config: &DecorationConfig,
    options: &DecorationOptions,
    upload: &GcsUploadOptions,
    storage_mounts: &[VolumeMount],
    clone_log_mount: Option<&VolumeMount>,
    output_mount: Option<&VolumeMount>,
    job_spec_json: &str,
) -> Result<Container, DecorateError> {
    let mut init_options = InitUploadOptions {
        gcs: upload.clone(),
        log: String::new(),
    };
    let mut mounts = Vec::new();
    if let Some(log_mount) = clone_log_mount {
        init_options.log = clone_log_path();
        mounts.push(log_mount.clone());
    }
    mounts.extend(storage_mounts.iter().cloned());
    mounts.extend(output_mount.cloned());
    let env = BTreeMap::from([
        (JOB_SPEC_ENV, job_spec_json.to_owned()),
        (
            initupload::ENV_VAR,
            encode_like_go(initupload::ENV_VAR, &init_options)?,
        ),
    ]);
    let resources = config
        .resources
        .as_ref()
        .and_then(|r| r.initupload.as_ref());
    let mut container = utility_container(
        INITUPLOAD_NAME,
        Some(&images(config).initupload),
        INITUPLOAD_ROLE,
        options,
        resources,
    );
    container.env = Some(kube_env(env));
    container.volume_mounts = (!mounts.is_empty()).then_some(mounts);
    Ok(container)
}

/// The init container that copies the entrypoint into the tools volume
/// (`PlaceEntrypoint`: the entrypoint image run with `--copy-mode-only`).
///
/// With [`DecorationOptions::utility_program`] the copy's source is that program and its
/// destination is given as `ENTRYPOINT_OPTIONS` (`copy_dst: /tools/entrypoint`), so a node
/// that rewrites mount paths in the environment rewrites the destination too.
pub(crate) fn place_entrypoint(
    config: &DecorationConfig,
    options: &DecorationOptions,
) -> Result<Container, DecorateError> {
    let resources = config
        .resources
        .as_ref()
        .and_then(|r| r.place_entrypoint.as_ref());
    let mut container = utility_container(
        PLACE_ENTRYPOINT_NAME,
        Some(&images(config).entrypoint),
        ENTRYPOINT_ROLE,
        options,
        resources,
    );
    container.args = Some(vec!["--copy-mode-only".to_owned()]);
    if options.utility_program.is_some() {
        let copy_options = EntrypointOptions {
            copy_mode_only: true,
            copy_dst: entrypoint_location(),
            ..EntrypointOptions::default()
        };
        container.env = Some(kube_env(BTreeMap::from([(
            entrypoint::ENV_VAR,
            encode_like_go(entrypoint::ENV_VAR, &copy_options)?,
        )])));
    }
    container.volume_mounts = Some(vec![mount(volumes::TOOLS_VOLUME, TOOLS_MOUNT_PATH, false)]);
    Ok(container)
}

/// Where the entrypoint binary is placed (`entrypointLocation`).
pub(crate) fn entrypoint_location() -> String {
    format!("{TOOLS_MOUNT_PATH}/entrypoint")
}

/// Everything the sidecar needs besides the decoration config.
pub(crate) struct SidecarInputs<'a> {
    pub(crate) upload: &'a GcsUploadOptions,
    pub(crate) storage_mounts: &'a [VolumeMount],
    pub(crate) output_mount: Option<&'a VolumeMount>,
    pub(crate) job_spec_json: &'a str,
    pub(crate) secret_mounts: &'a [VolumeMount],
    pub(crate) wrappers: Vec<WrapperOptions>,
}

/// The sidecar container (`Sidecar`): waits for the wrapped containers' markers and uploads
/// their logs, `finished.json` and the artifacts directory, censoring the mounted secrets.
pub(crate) fn sidecar(
    config: &DecorationConfig,
    options: &DecorationOptions,
    inputs: SidecarInputs<'_>,
) -> Result<Container, DecorateError> {
    let mut upload = inputs.upload.clone();
    upload.items.push(volumes::ARTIFACTS_PATH.to_owned());
    let mut censoring = SidecarCensoringOptions {
        secret_directories: inputs
            .secret_mounts
            .iter()
            .map(|m| m.mount_path.clone())
            .collect(),
        ..SidecarCensoringOptions::default()
    };
    if let Some(config) = &config.censoring_options {
        censoring.censoring_concurrency = config.censoring_concurrency;
        censoring.censoring_buffer_size = config.censoring_buffer_size;
        censoring.include_directories = config.include_directories.clone();
        censoring.exclude_directories = config.exclude_directories.clone();
        censoring.minimum_secret_length = config.minimum_secret_length;
    }
    let sidecar_options = SidecarOptions {
        gcs_options: upload,
        entries: inputs.wrappers,
        entry_error: false,
        ignore_interrupts: config.upload_ignores_interrupts == Some(true),
        censoring_options: Some(censoring),
        ..SidecarOptions::default()
    };
    let env = BTreeMap::from([
        (
            sidecar::ENV_VAR,
            encode_like_go(sidecar::ENV_VAR, &sidecar_options)?,
        ),
        (JOB_SPEC_ENV, inputs.job_spec_json.to_owned()),
    ]);
    let mut mounts = vec![mount(volumes::LOGS_VOLUME, LOGS_MOUNT_PATH, false)];
    mounts.extend(inputs.storage_mounts.iter().cloned());
    mounts.extend(inputs.secret_mounts.iter().cloned());
    mounts.extend(inputs.output_mount.cloned());
    let resources = config.resources.as_ref().and_then(|r| r.sidecar.as_ref());
    let mut container = utility_container(
        SIDECAR_NAME,
        Some(&images(config).sidecar),
        SIDECAR_ROLE,
        options,
        resources,
    );
    container.env = Some(kube_env(env));
    container.volume_mounts = Some(mounts);
    container.termination_message_policy = Some(FALLBACK_TO_LOGS_ON_ERROR.to_owned());
    Ok(container)
}
