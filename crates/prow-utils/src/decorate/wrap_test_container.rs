//! Wrapping a test container with the entrypoint (Prow's `InjectEntrypoint`): its command
//! becomes `/tools/entrypoint`, which runs the original command and args from
//! `ENTRYPOINT_OPTIONS`, writes the process log and the exit-code marker, and enforces the
//! job's timeout and grace period.

use std::collections::BTreeMap;
use std::time::Duration;

use prow_api::k8s_openapi::api::core::v1::Container;

use super::error::DecorateError;
use super::go_json::encode_like_go;
use super::utility_containers::{entrypoint_location, kube_env};
use super::volumes::{self, ARTIFACTS_PATH, LOGS_MOUNT_PATH, TOOLS_MOUNT_PATH, mount};
use crate::options::WrapperOptions;
use crate::options::entrypoint::{self, EntrypointOptions};

/// `/logs/process-log.txt`, or `/logs/<prefix>-log.txt` in Pods with several test containers.
fn process_log(prefix: &str) -> String {
    if prefix.is_empty() {
        format!("{LOGS_MOUNT_PATH}/process-log.txt")
    } else {
        format!("{LOGS_MOUNT_PATH}/{prefix}-log.txt")
    }
}

/// `/logs/marker-file.txt`, or `/logs/<prefix>-marker.txt`.
fn marker_file(prefix: &str) -> String {
    if prefix.is_empty() {
        format!("{LOGS_MOUNT_PATH}/marker-file.txt")
    } else {
        format!("{LOGS_MOUNT_PATH}/{prefix}-marker.txt")
    }
}

/// `/logs/artifacts/metadata.json`, or `/logs/artifacts/<prefix>-metadata.json`.
fn metadata_file(prefix: &str) -> String {
    if prefix.is_empty() {
        format!("{ARTIFACTS_PATH}/metadata.json")
    } else {
        format!("{ARTIFACTS_PATH}/{prefix}-metadata.json")
    }
}

/// Rewrites `container` to run under the entrypoint and returns the wrapper options the
/// sidecar watches. `prefix` is empty for a Pod's only test container, else its name.
pub(crate) fn inject_entrypoint(
    container: &mut Container,
    timeout: Duration,
    grace_period: Duration,
    prefix: &str,
) -> Result<WrapperOptions, DecorateError> {
    let mut args: Vec<String> = container.command.take().unwrap_or_default();
    args.extend(container.args.take().unwrap_or_default());
    let wrapper = WrapperOptions {
        args,
        container_name: container.name.clone(),
        process_log: process_log(prefix),
        marker_file: marker_file(prefix),
        metadata_file: metadata_file(prefix),
    };
    let options = EntrypointOptions {
        timeout,
        grace_period,
        artifact_dir: ARTIFACTS_PATH.to_owned(),
        wrapper: wrapper.clone(),
        ..EntrypointOptions::default()
    };
    container.command = Some(vec![entrypoint_location()]);
    container
        .env
        .get_or_insert_with(Vec::new)
        .extend(kube_env(BTreeMap::from([(
            entrypoint::ENV_VAR,
            encode_like_go(entrypoint::ENV_VAR, &options)?,
        )])));
    container
        .volume_mounts
        .get_or_insert_with(Vec::new)
        .extend([
            mount(volumes::LOGS_VOLUME, LOGS_MOUNT_PATH, false),
            mount(volumes::TOOLS_VOLUME, TOOLS_MOUNT_PATH, false),
        ]);
    Ok(wrapper)
}
