//! Reading a finished run's files from object storage in Prow's layout
//! (`<bucket>/<path_prefix>/logs/<job>/<build>/...` or `pr-logs/pull/...`): `build-log.txt`
//! by byte ranges, `started.json`, `finished.json` and the artifact list. Buckets:
//! `file:///abs/dir` (a local directory), `gs://name` (GCS; `STORAGE_EMULATOR_HOST` for an
//! emulator) and `s3://name` (S3 or compatible, Prow's S3 credentials file).

use std::collections::HashMap;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures::TryStreamExt;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt};
use prow_api::{JobSpec, ProwJob, StorageBucket};
use serde::Deserialize;

use crate::error::Error;

/// The environment variable naming a GCS emulator (`host:port` or a URL).
pub const STORAGE_EMULATOR_HOST: &str = "STORAGE_EMULATOR_HOST";

/// Largest `started.json` / `finished.json` read.
const METADATA_LIMIT: u64 = 1 << 20;

/// Credentials for the storage providers (Prow's `--gcs-credentials-file`,
/// `--s3-credentials-file`).
#[derive(Clone, Debug, Default)]
pub struct StorageOptions {
    /// GCS service account key file.
    pub gcs_credentials_file: Option<PathBuf>,
    /// Prow's S3 credentials file (JSON: region, endpoint, insecure, s3_force_path_style,
    /// access_key, secret_key).
    pub s3_credentials_file: Option<PathBuf>,
}

/// Prow's S3 credentials file.
#[derive(Clone, Debug, Default, Deserialize)]
struct S3Credentials {
    #[serde(default)]
    region: String,
    #[serde(default)]
    endpoint: String,
    #[serde(default)]
    insecure: bool,
    #[serde(default)]
    s3_force_path_style: bool,
    #[serde(default)]
    access_key: String,
    #[serde(default)]
    secret_key: String,
}

/// An opened store and the path inside it where the bucket's objects start.
type OpenedBucket = (Arc<dyn ObjectStore>, String);

/// Opened buckets, by bucket setting.
#[derive(Debug, Default)]
pub struct Storage {
    options: StorageOptions,
    opened: Mutex<HashMap<String, OpenedBucket>>,
}

/// One run's directory in its bucket.
#[derive(Clone, Debug)]
pub struct RunDir {
    store: Arc<dyn ObjectStore>,
    dir: String,
    /// Where the run lives, for messages: `<bucket>/<path>`.
    pub location: String,
}

/// One file of a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunFile {
    /// Path relative to the run's directory.
    pub name: String,
    /// Size in bytes.
    pub size: u64,
}

fn storage_error(path: &str, error: impl std::fmt::Display) -> Error {
    Error::Storage {
        path: path.to_string(),
        message: error.to_string(),
    }
}

impl Storage {
    /// Storage with `options`.
    pub fn new(options: StorageOptions) -> Self {
        Storage {
            options,
            opened: Mutex::new(HashMap::new()),
        }
    }

    /// The directory of `job`'s run; `None` when the job uploads nowhere (undecorated, no
    /// bucket) or has no build ID yet.
    ///
    /// # Errors
    /// The bucket cannot be opened or the path strategy is unknown.
    pub fn run_dir(&self, job: &ProwJob) -> Result<Option<RunDir>, Error> {
        let Some(gcs) = job
            .spec
            .decoration_config
            .as_ref()
            .and_then(|d| d.gcs_configuration.as_ref())
            .filter(|g| !g.bucket.is_empty())
        else {
            return Ok(None);
        };
        let spec = JobSpec::for_prowjob(job);
        if spec.build_id.is_empty() {
            return Ok(None);
        }
        let path = prow_api::storage_path::job_storage_path(gcs, &spec)
            .map_err(|e| storage_error(&gcs.bucket, e))?;
        let (store, root) = self.open(&gcs.bucket)?;
        let dir = join(&root, &path);
        Ok(Some(RunDir {
            store,
            location: format!("{}/{}", gcs.bucket.trim_end_matches('/'), path),
            dir,
        }))
    }

    fn open(&self, bucket: &str) -> Result<OpenedBucket, Error> {
        let mut opened = self.opened.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(found) = opened.get(bucket) {
            return Ok(found.clone());
        }
        let found = self.open_new(bucket)?;
        opened.insert(bucket.to_string(), found.clone());
        Ok(found)
    }

    fn open_new(&self, bucket: &str) -> Result<OpenedBucket, Error> {
        if let Some(dir) = bucket.strip_prefix("file://") {
            if !dir.starts_with('/') {
                return Err(storage_error(
                    bucket,
                    "file:// buckets need an absolute path",
                ));
            }
            let store = object_store::local::LocalFileSystem::new_with_prefix(dir)
                .map_err(|e| storage_error(bucket, e))?;
            return Ok((Arc::new(store), String::new()));
        }
        let parsed = StorageBucket::parse(bucket);
        let store: Arc<dyn ObjectStore> = match parsed.provider.as_str() {
            "gs" => {
                let mut builder = object_store::gcp::GoogleCloudStorageBuilder::new()
                    .with_bucket_name(&parsed.name);
                match std::env::var(STORAGE_EMULATOR_HOST) {
                    Ok(host) if !host.is_empty() => {
                        let url = if host.contains("://") {
                            host
                        } else {
                            format!("http://{host}")
                        };
                        builder = builder
                            .with_base_url(url.trim_end_matches('/'))
                            .with_skip_signature(true)
                            .with_client_options(
                                object_store::ClientOptions::new().with_allow_http(true),
                            );
                    }
                    _ => {
                        if let Some(file) = &self.options.gcs_credentials_file {
                            builder = builder.with_service_account_path(file.to_string_lossy());
                        }
                    }
                }
                Arc::new(builder.build().map_err(|e| storage_error(bucket, e))?)
            }
            "s3" => {
                let mut builder =
                    object_store::aws::AmazonS3Builder::from_env().with_bucket_name(&parsed.name);
                if let Some(file) = &self.options.s3_credentials_file {
                    let text =
                        std::fs::read_to_string(file).map_err(|e| storage_error(bucket, e))?;
                    let creds: S3Credentials =
                        serde_json::from_str(&text).map_err(|e| storage_error(bucket, e))?;
                    if !creds.region.is_empty() {
                        builder = builder.with_region(creds.region);
                    }
                    if !creds.endpoint.is_empty() {
                        let endpoint = if creds.endpoint.contains("://") {
                            creds.endpoint
                        } else if creds.insecure {
                            format!("http://{}", creds.endpoint)
                        } else {
                            format!("https://{}", creds.endpoint)
                        };
                        builder = builder.with_endpoint(endpoint);
                    }
                    builder = builder
                        .with_allow_http(creds.insecure)
                        .with_virtual_hosted_style_request(!creds.s3_force_path_style)
                        .with_access_key_id(creds.access_key)
                        .with_secret_access_key(creds.secret_key);
                }
                Arc::new(builder.build().map_err(|e| storage_error(bucket, e))?)
            }
            other => {
                return Err(storage_error(
                    bucket,
                    format!("unsupported storage provider {other:?}"),
                ));
            }
        };
        Ok((store, parsed.path))
    }
}

fn join(a: &str, b: &str) -> String {
    match (a.trim_matches('/'), b.trim_matches('/')) {
        ("", b) => b.to_string(),
        (a, "") => a.to_string(),
        (a, b) => format!("{a}/{b}"),
    }
}

fn is_not_found(error: &object_store::Error) -> bool {
    matches!(error, object_store::Error::NotFound { .. })
}

impl RunDir {
    fn path(&self, name: &str) -> ObjectPath {
        ObjectPath::from(join(&self.dir, name))
    }

    /// The size of `name`, `None` when it does not exist.
    ///
    /// # Errors
    /// Storage failures other than "not found".
    pub async fn size(&self, name: &str) -> Result<Option<u64>, Error> {
        match self.store.head(&self.path(name)).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(e) if is_not_found(&e) => Ok(None),
            Err(e) => Err(storage_error(&join(&self.location, name), e)),
        }
    }

    /// Bytes `range` of `name` (clamped to its size by the caller).
    ///
    /// # Errors
    /// Storage failures, including a missing file.
    pub async fn read_range(&self, name: &str, range: Range<u64>) -> Result<Bytes, Error> {
        if range.is_empty() {
            return Ok(Bytes::new());
        }
        self.store
            .get_range(&self.path(name), range)
            .await
            .map_err(|e| storage_error(&join(&self.location, name), e))
    }

    /// A small JSON file (`started.json`, `finished.json`), `None` when it does not exist.
    ///
    /// # Errors
    /// Storage failures other than "not found".
    pub async fn read_json(&self, name: &str) -> Result<Option<serde_json::Value>, Error> {
        let Some(size) = self.size(name).await? else {
            return Ok(None);
        };
        let bytes = self.read_range(name, 0..size.min(METADATA_LIMIT)).await?;
        Ok(serde_json::from_slice(&bytes).ok())
    }

    /// Every file of the run, sorted by name.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn list(&self) -> Result<Vec<RunFile>, Error> {
        let prefix = ObjectPath::from(self.dir.as_str());
        let prefix_len = self.dir.trim_matches('/').len();
        let metas: Vec<object_store::ObjectMeta> = self
            .store
            .list(Some(&prefix))
            .try_collect()
            .await
            .or_else(|e| {
                if is_not_found(&e) {
                    Ok(Vec::new())
                } else {
                    Err(e)
                }
            })
            .map_err(|e| storage_error(&self.location, e))?;
        let mut files: Vec<RunFile> = metas
            .into_iter()
            .map(|m| RunFile {
                name: m.location.as_ref()[prefix_len..]
                    .trim_start_matches('/')
                    .to_string(),
                size: m.size,
            })
            .filter(|f| !f.name.is_empty())
            .collect();
        files.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(files)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prow_api::{
        DecorationConfig, GcsConfiguration, ProwJobSpec, ProwJobState, ProwJobStatus, ProwJobType,
    };

    fn job(bucket: &str, build_id: &str) -> ProwJob {
        let mut spec = ProwJobSpec::new(ProwJobType::Periodic, "ci-x");
        spec.decoration_config = Some(DecorationConfig {
            gcs_configuration: Some(GcsConfiguration {
                bucket: bucket.into(),
                path_strategy: "explicit".into(),
                ..GcsConfiguration::default()
            }),
            ..DecorationConfig::default()
        });
        let mut pj = ProwJob::new("n", spec);
        let mut status = ProwJobStatus::new(ProwJobState::Success);
        status.build_id = build_id.into();
        pj.status = Some(status);
        pj
    }

    #[tokio::test]
    async fn reads_a_local_run_in_prows_layout() {
        let dir = tempfile::tempdir().expect("tempdir");
        let run = dir.path().join("logs/ci-x/42");
        std::fs::create_dir_all(run.join("artifacts")).expect("mkdir");
        std::fs::write(run.join("build-log.txt"), "line 1\nline 2\n").expect("write");
        std::fs::write(
            run.join("finished.json"),
            r#"{"passed":true,"result":"SUCCESS"}"#,
        )
        .expect("write");
        std::fs::write(run.join("artifacts/junit.xml"), "<x/>").expect("write");
        let storage = Storage::new(StorageOptions::default());
        let bucket = format!("file://{}", dir.path().display());
        let run_dir = storage
            .run_dir(&job(&bucket, "42"))
            .expect("open")
            .expect("decorated");
        assert_eq!(run_dir.size("build-log.txt").await.expect("head"), Some(14));
        assert_eq!(
            &run_dir
                .read_range("build-log.txt", 7..14)
                .await
                .expect("range")[..],
            b"line 2\n"
        );
        assert_eq!(run_dir.size("started.json").await.expect("head"), None);
        assert_eq!(
            run_dir
                .read_json("finished.json")
                .await
                .expect("json")
                .expect("exists")["result"],
            "SUCCESS"
        );
        let names: Vec<String> = run_dir
            .list()
            .await
            .expect("list")
            .into_iter()
            .map(|f| f.name)
            .collect();
        assert_eq!(
            names,
            ["artifacts/junit.xml", "build-log.txt", "finished.json"]
        );

        assert!(
            storage.run_dir(&job(&bucket, "")).expect("ok").is_none(),
            "no build id yet"
        );
        assert!(storage.run_dir(&job("file://relative", "1")).is_err());
        assert!(storage.run_dir(&job("ftp://x", "1")).is_err());
    }
}
