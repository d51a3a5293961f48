//! The volumes a decorated Pod gets and where they are mounted (Prow's `podspec.go`
//! constants, `LogMountAndVolume`, `CodeMountAndVolume`, `ToolsMountAndVolume`,
//! `BlobStorageOptions` and the clone secret volumes).

use prow_api::DecorationConfig;
use prow_api::k8s_openapi::api::core::v1::{
    EmptyDirVolumeSource, HostPathVolumeSource, KeyToPath, SecretVolumeSource, Volume, VolumeMount,
};

use crate::options::{GcsUploadOptions, StorageClientOptions};

/// Name of the volume holding logs, markers and artifacts.
pub const LOGS_VOLUME: &str = "logs";
/// Where the logs volume is mounted.
pub const LOGS_MOUNT_PATH: &str = "/logs";
/// `ARTIFACTS`: the directory whose files the sidecar uploads under `artifacts/`.
pub const ARTIFACTS_ENV: &str = "ARTIFACTS";
/// The artifacts directory inside the logs volume.
pub const ARTIFACTS_PATH: &str = "/logs/artifacts";
/// Name of the volume holding the cloned code.
pub const CODE_VOLUME: &str = "code";
/// Where the code volume is mounted (also `GOPATH`).
pub const CODE_MOUNT_PATH: &str = "/home/prow/go";
/// `GOPATH`, set to the code mount.
pub const GOPATH_ENV: &str = "GOPATH";
/// Name of the volume holding the entrypoint binary.
pub const TOOLS_VOLUME: &str = "tools";
/// Where the tools volume is mounted.
pub const TOOLS_MOUNT_PATH: &str = "/tools";
/// Name of the GCS credentials volume.
pub const GCS_CREDENTIALS_VOLUME: &str = "gcs-credentials";
/// Where the GCS credentials secret is mounted (utility containers only).
pub const GCS_CREDENTIALS_MOUNT_PATH: &str = "/secrets/gcs";
/// Name of the S3 credentials volume.
pub const S3_CREDENTIALS_VOLUME: &str = "s3-credentials";
/// Where the S3 credentials secret is mounted (utility containers only).
pub const S3_CREDENTIALS_MOUNT_PATH: &str = "/secrets/s3-storage";
/// The key of the credentials secrets the utilities read.
pub const CREDENTIALS_FILE_NAME: &str = "service-account.json";
/// Name of the volume local mode copies outputs to.
pub const OUTPUT_VOLUME: &str = "output";
/// Where the local-mode output volume is mounted.
pub const OUTPUT_MOUNT_PATH: &str = "/output";
/// The clone log clonerefs writes and initupload uploads, inside the logs volume.
pub const CLONE_LOG_FILE: &str = "clone.json";

/// A mount of `volume` at `path`.
pub(crate) fn mount(volume: &str, path: &str, read_only: bool) -> VolumeMount {
    VolumeMount {
        name: volume.to_owned(),
        mount_path: path.to_owned(),
        read_only: read_only.then_some(true),
        ..VolumeMount::default()
    }
}

/// An `emptyDir` volume.
pub(crate) fn empty_dir(name: &str) -> Volume {
    Volume {
        name: name.to_owned(),
        empty_dir: Some(EmptyDirVolumeSource::default()),
        ..Volume::default()
    }
}

fn secret_volume(name: &str, source: SecretVolumeSource) -> Volume {
    Volume {
        name: name.to_owned(),
        secret: Some(source),
        ..Volume::default()
    }
}

/// A volume of one key of a secret, as the file `./<key>` (oauth token, GitHub App key).
fn secret_key_volume(secret: &str, key: &str) -> Volume {
    secret_volume(
        secret,
        SecretVolumeSource {
            secret_name: Some(secret.to_owned()),
            items: Some(vec![KeyToPath {
                key: key.to_owned(),
                path: format!("./{key}"),
                ..KeyToPath::default()
            }]),
            ..SecretVolumeSource::default()
        },
    )
}

/// Mode `0400` for SSH keys and cookie files.
const OWNER_READ_ONLY: i32 = 0o400;

/// The local-mode output volume: the host directory `output_dir` mounted at `/output`.
pub(crate) fn output_volume(output_dir: &str) -> (Volume, VolumeMount) {
    (
        Volume {
            name: OUTPUT_VOLUME.to_owned(),
            host_path: Some(HostPathVolumeSource {
                path: output_dir.to_owned(),
                type_: None,
            }),
            ..Volume::default()
        },
        mount(OUTPUT_VOLUME, OUTPUT_MOUNT_PATH, false),
    )
}

/// Upload options, volumes and mounts for the storage credentials (`BlobStorageOptions`).
/// The credential mounts go to initupload and sidecar only, never to the test container.
pub(crate) fn blob_storage(
    config: &DecorationConfig,
    local_mode: bool,
) -> (Vec<Volume>, Vec<VolumeMount>, GcsUploadOptions) {
    let mut options = GcsUploadOptions {
        gcs_configuration: config.gcs_configuration.clone().unwrap_or_default(),
        ..GcsUploadOptions::default()
    };
    if local_mode {
        options.gcs_configuration.local_output_dir = OUTPUT_MOUNT_PATH.to_owned();
        return (Vec::new(), Vec::new(), options);
    }
    let mut volumes = Vec::new();
    let mut mounts = Vec::new();
    let mut storage = StorageClientOptions::default();
    if let Some(secret) = config
        .gcs_credentials_secret
        .as_deref()
        .filter(|s| !s.is_empty())
    {
        volumes.push(secret_volume(
            GCS_CREDENTIALS_VOLUME,
            SecretVolumeSource {
                secret_name: Some(secret.to_owned()),
                ..SecretVolumeSource::default()
            },
        ));
        mounts.push(mount(
            GCS_CREDENTIALS_VOLUME,
            GCS_CREDENTIALS_MOUNT_PATH,
            false,
        ));
        storage.gcs_credentials_file =
            format!("{GCS_CREDENTIALS_MOUNT_PATH}/{CREDENTIALS_FILE_NAME}");
    }
    if let Some(secret) = config
        .s3_credentials_secret
        .as_deref()
        .filter(|s| !s.is_empty())
    {
        volumes.push(secret_volume(
            S3_CREDENTIALS_VOLUME,
            SecretVolumeSource {
                secret_name: Some(secret.to_owned()),
                ..SecretVolumeSource::default()
            },
        ));
        mounts.push(mount(
            S3_CREDENTIALS_VOLUME,
            S3_CREDENTIALS_MOUNT_PATH,
            false,
        ));
        storage.s3_credentials_file =
            format!("{S3_CREDENTIALS_MOUNT_PATH}/{CREDENTIALS_FILE_NAME}");
    }
    options.storage_client = storage;
    (volumes, mounts, options)
}

/// The volume and mount of an SSH key secret, at `/secrets/ssh/<secret>` (`sshVolume`).
pub(crate) fn ssh_key(secret: &str) -> (Volume, VolumeMount) {
    let name = format!("ssh-keys-{secret}");
    let volume = secret_volume(
        &name,
        SecretVolumeSource {
            secret_name: Some(secret.to_owned()),
            default_mode: Some(OWNER_READ_ONLY),
            ..SecretVolumeSource::default()
        },
    );
    let path = prow_api::storage_path::join_path(&["/secrets/ssh", secret]);
    (volume, mount(&name, &path, true))
}

/// The OAuth token secret's volume and mount at `/secrets/oauth` (`oauthVolume`).
pub(crate) fn oauth_token(secret: &str, key: &str) -> (Volume, VolumeMount) {
    (
        secret_key_volume(secret, key),
        mount(secret, "/secrets/oauth", true),
    )
}

/// The GitHub App key secret's volume and mount at `/secrets/github-app` (`githubAppVolume`).
pub(crate) fn github_app_key(secret: &str, key: &str) -> (Volume, VolumeMount) {
    (
        secret_key_volume(secret, key),
        mount(secret, "/secrets/github-app", true),
    )
}

/// The cookie file secret (`name` or `name/key`): volume, mount at `/secrets/cookiefile`,
/// and the path of the cookie file (`cookiefileVolume`).
pub(crate) fn cookiefile(secret: &str) -> (Volume, VolumeMount, String) {
    let (name, key) = secret.split_once('/').unwrap_or((secret, secret));
    let volume = secret_volume(
        "cookiefile",
        SecretVolumeSource {
            secret_name: Some(name.to_owned()),
            default_mode: Some(OWNER_READ_ONLY),
            ..SecretVolumeSource::default()
        },
    );
    let mount = mount("cookiefile", "/secrets/cookiefile", true);
    let path = prow_api::storage_path::join_path(&[&mount.mount_path, key]);
    (volume, mount, path)
}
