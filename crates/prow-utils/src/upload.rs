//! Uploading a run's files to its directory in the bucket (Prow's `gcsupload.Run`): the
//! extra targets a utility produces (`started.json`, `build-log.txt`, ...), the configured
//! items (files, or directories uploaded under their own name, e.g. `artifacts/**`), and
//! outside local mode the presubmit alias and `latest-build.txt` files.
//!
//! Files are streamed in chunks (optionally through a [`Censorer`]) into the store's
//! multipart writer, so memory stays bounded whatever their size.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures::StreamExt;
use object_store::buffered::BufWriter;
use object_store::path::Path as ObjectPath;
use object_store::{Attribute, Attributes};
use prow_api::JobSpec;
use prow_api::storage_path::{
    RepoPathBuilder, alias_for_spec, join_path, latest_build_for_spec, path_for_spec,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::Error;
use crate::censor::Censorer;
use crate::options::GcsUploadOptions;
use crate::storage::{Backend, Bucket, open_bucket};

/// Bytes read from a file at a time.
const READ_CHUNK: usize = 256 * 1024;
/// Buffer of each object writer; objects larger than this are uploaded in parts of this size.
const WRITER_CAPACITY: usize = 5 * 1024 * 1024;
/// Objects uploaded at once.
const CONCURRENT_UPLOADS: usize = 4;

/// What to upload to one destination.
#[derive(Clone, Debug)]
pub enum UploadSource {
    /// Bytes held in memory.
    Bytes(Vec<u8>),
    /// A file streamed from disk, censored when a censorer is given.
    File {
        /// The file.
        path: PathBuf,
        /// Censors the content on the way.
        censorer: Option<Arc<Censorer>>,
    },
}

/// Destination path (relative to the bucket root) → source.
pub type UploadTargets = BTreeMap<String, UploadSource>;

/// The job's directory in the bucket, including `path_prefix` (Prow's `PathsForJob`).
pub fn job_base_path(options: &GcsUploadOptions, spec: &JobSpec) -> Result<String, Error> {
    let config = &options.gcs_configuration;
    let builder = RepoPathBuilder::for_configuration(config)
        .map_err(|e| Error::InvalidOptions(e.to_string()))?;
    let path = path_for_spec(spec, &builder).map_err(|e| Error::JobSpec(e.to_string()))?;
    Ok(join_path(&[&config.path_prefix, &path]))
}

/// Every upload for a run: `extra` and the items under the run's path, plus the alias and
/// latest-build files (Prow's `assembleTargets`).
pub fn assemble_targets(
    options: &GcsUploadOptions,
    spec: &JobSpec,
    extra: UploadTargets,
    item_censorer: Option<&ItemCensoring>,
) -> Result<UploadTargets, Error> {
    let config = &options.gcs_configuration;
    let base = job_base_path(options, spec)?;
    let mut blob_path = join_path(&[&base, &options.sub_dir]);
    let mut targets = UploadTargets::new();
    if config.local_output_dir.is_empty() {
        if let Some(alias) = alias_for_spec(spec) {
            let full = if config.bucket.contains("://") {
                format!("{}/{}", config.bucket, base)
            } else {
                format!("gs://{}", join_path(&[&config.bucket, &base]))
            };
            targets.insert(alias, UploadSource::Bytes(full.into_bytes()));
        }
        let builder = RepoPathBuilder::for_configuration(config)
            .map_err(|e| Error::InvalidOptions(e.to_string()))?;
        let latest = latest_build_for_spec(spec, Some(&builder))
            .map_err(|e| Error::JobSpec(e.to_string()))?;
        for path in latest {
            let path = join_path(&[&config.path_prefix, &path]);
            targets.insert(
                path,
                UploadSource::Bytes(spec.build_id.clone().into_bytes()),
            );
        }
    } else {
        blob_path = String::new();
    }
    for item in &options.items {
        let item_path = Path::new(item);
        let Ok(metadata) = std::fs::metadata(item_path) else {
            tracing::warn!(item, "cannot resolve item to upload");
            continue;
        };
        let name = item_path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        if metadata.is_dir() {
            gather_artifacts(item_path, &blob_path, &name, item_censorer, &mut targets);
        } else {
            let destination = join_path(&[&blob_path, &name]);
            let censorer = item_censorer.and_then(|c| c.censorer_for(Path::new(&name)));
            targets.entry(destination).or_insert(UploadSource::File {
                path: item_path.to_path_buf(),
                censorer,
            });
        }
    }
    for (destination, source) in extra {
        targets.insert(join_path(&[&blob_path, &destination]), source);
    }
    Ok(targets)
}

/// Which item files to censor: all of them, unless include globs are given; never those
/// matching an exclude glob (paths relative to the item directory).
#[derive(Clone, Debug)]
pub struct ItemCensoring {
    /// The censorer.
    pub censorer: Arc<Censorer>,
    /// Only these are censored when not empty.
    pub include: Option<globset::GlobSet>,
    /// These are never censored.
    pub exclude: Option<globset::GlobSet>,
}

impl ItemCensoring {
    /// The censorer to use for `relative` (Prow's `shouldCensor`).
    pub fn censorer_for(&self, relative: &Path) -> Option<Arc<Censorer>> {
        if self
            .exclude
            .as_ref()
            .is_some_and(|set| set.is_match(relative))
        {
            return None;
        }
        match &self.include {
            Some(set) if !set.is_match(relative) => None,
            _ => Some(self.censorer.clone()),
        }
    }
}

/// A glob set matching as go-zglob does (`*` stays within a path segment, `**` crosses them).
pub fn glob_set(globs: &[String]) -> Result<Option<globset::GlobSet>, Error> {
    if globs.is_empty() {
        return Ok(None);
    }
    let mut builder = globset::GlobSetBuilder::new();
    for glob in globs {
        let glob = globset::GlobBuilder::new(glob)
            .literal_separator(true)
            .build()
            .map_err(|e| Error::InvalidOptions(format!("glob {glob:?}: {e}")))?;
        builder.add(glob);
    }
    builder
        .build()
        .map(Some)
        .map_err(|e| Error::InvalidOptions(e.to_string()))
}

fn gather_artifacts(
    dir: &Path,
    blob_path: &str,
    sub_dir: &str,
    censoring: Option<&ItemCensoring>,
    targets: &mut UploadTargets,
) {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&current) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(metadata) = std::fs::metadata(&path) else {
                continue;
            };
            if metadata.is_dir() {
                stack.push(path);
                continue;
            }
            let Ok(relative) = path.strip_prefix(dir) else {
                continue;
            };
            let relative_text = relative.to_string_lossy();
            let destination = join_path(&[blob_path, sub_dir, &relative_text]).replace('#', "%23");
            let censorer = censoring.and_then(|c| c.censorer_for(relative));
            targets.entry(destination).or_insert(UploadSource::File {
                path: path.clone(),
                censorer,
            });
        }
    }
}

/// The content type Prow would set for a destination (a few common types plus the
/// configured `mediaTypes`).
pub fn content_type(destination: &str, media_types: &BTreeMap<String, String>) -> Option<String> {
    let extension = destination.rsplit_once('.').map(|(_, ext)| ext)?;
    if let Some(media_type) = media_types.get(extension) {
        return Some(media_type.clone());
    }
    let known = match extension {
        "txt" | "log" => "text/plain; charset=utf-8",
        "json" => "application/json",
        "html" => "text/html; charset=utf-8",
        "xml" => "text/xml; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "gz" => "application/gzip",
        _ => return None,
    };
    Some(known.to_owned())
}

fn object_path(bucket: &Bucket, destination: &str) -> ObjectPath {
    let full = join_path(&[&bucket.root, destination]);
    ObjectPath::parse(&full).unwrap_or_else(|_| ObjectPath::from(full.as_str()))
}

/// The object's bytes as a stream of chunks: in memory, or read from the file (censored
/// when asked) [`READ_CHUNK`] bytes at a time.
fn content_stream(
    source: &UploadSource,
) -> futures::stream::BoxStream<'static, std::io::Result<bytes::Bytes>> {
    match source {
        UploadSource::Bytes(data) => {
            futures::stream::once(futures::future::ready(Ok(bytes::Bytes::from(data.clone()))))
                .boxed()
        }
        UploadSource::File { path, censorer } => {
            struct Reading {
                path: PathBuf,
                file: Option<tokio::fs::File>,
                censorer: Option<Arc<Censorer>>,
                pending: Vec<u8>,
                done: bool,
            }
            let state = Reading {
                path: path.clone(),
                file: None,
                censorer: censorer.clone(),
                pending: Vec::new(),
                done: false,
            };
            futures::stream::try_unfold(state, |mut state| async move {
                if state.done {
                    return Ok(None);
                }
                if state.file.is_none() {
                    state.file = Some(tokio::fs::File::open(&state.path).await?);
                }
                let mut buffer = vec![0u8; READ_CHUNK];
                let n = match state.file.as_mut() {
                    Some(file) => file.read(&mut buffer).await?,
                    None => 0,
                };
                let out = match state.censorer.clone() {
                    Some(censorer) => {
                        // Same hold-back as CensorStream, owned so it can live in the state.
                        state.pending.extend_from_slice(&buffer[..n]);
                        censorer.censor_in_place(&mut state.pending);
                        if n == 0 {
                            state.done = true;
                            std::mem::take(&mut state.pending)
                        } else {
                            let keep = (censorer.longest_secret() - 1).min(state.pending.len());
                            let tail = state.pending.split_off(state.pending.len() - keep);
                            std::mem::replace(&mut state.pending, tail)
                        }
                    }
                    None => {
                        state.done = n == 0;
                        buffer.truncate(n);
                        buffer
                    }
                };
                Ok(Some((bytes::Bytes::from(out), state)))
            })
            .boxed()
        }
    }
}

async fn upload_one(
    bucket: &Bucket,
    destination: &str,
    source: &UploadSource,
    media_types: &BTreeMap<String, String>,
) -> Result<(), Error> {
    let io_error = |e: std::io::Error| Error::Upload {
        path: destination.to_owned(),
        source: object_store::Error::Generic {
            store: "upload",
            source: Box::new(e),
        },
    };
    let content_type = bucket
        .supports_attributes
        .then(|| content_type(destination, media_types))
        .flatten();
    let mut chunks = content_stream(source);
    match &bucket.backend {
        Backend::Store(store) => {
            let mut writer = BufWriter::with_capacity(
                store.clone(),
                object_path(bucket, destination),
                WRITER_CAPACITY,
            );
            if let Some(content_type) = content_type {
                let mut attributes = Attributes::new();
                attributes.insert(Attribute::ContentType, content_type.into());
                writer = writer.with_attributes(attributes);
            }
            let written = async {
                while let Some(chunk) = chunks.next().await {
                    writer.write_all(&chunk?).await?;
                }
                Ok::<(), std::io::Error>(())
            }
            .await;
            if let Err(e) = written {
                // Abandon the partial upload (a failed shutdown needs no abort).
                let _ = writer.abort().await;
                return Err(io_error(e));
            }
            writer.shutdown().await.map_err(io_error)
        }
        Backend::GcsEmulator(emulator) => {
            let name = join_path(&[&bucket.root, destination]);
            let mut request = emulator
                .client
                .post(emulator.upload_url(&name))
                .body(reqwest::Body::wrap_stream(chunks));
            if let Some(content_type) = content_type {
                request = request.header(reqwest::header::CONTENT_TYPE, content_type);
            }
            let response = request
                .send()
                .await
                .map_err(|e| io_error(std::io::Error::other(e)))?;
            if response.status().is_success() {
                Ok(())
            } else {
                let status = response.status();
                let body = response.text().await.unwrap_or_default();
                Err(io_error(std::io::Error::other(format!("{status}: {body}"))))
            }
        }
    }
}

/// Uploads every target (or, in dry-run mode, only logs them) (Prow's `completeUpload`).
pub async fn upload_targets(
    options: &GcsUploadOptions,
    targets: UploadTargets,
) -> Result<(), Error> {
    if options.dry_run {
        for destination in targets.keys() {
            tracing::info!(dest = %destination, "Would upload");
        }
        return Ok(());
    }
    let bucket = open_bucket(options)?;
    let media_types = &options.gcs_configuration.media_types;
    let results: Vec<Result<(), Error>> = futures::stream::iter(targets.iter())
        .map(|(destination, source)| {
            let bucket = &bucket;
            async move { upload_one(bucket, destination, source, media_types).await }
        })
        .buffer_unordered(CONCURRENT_UPLOADS)
        .collect()
        .await;
    let errors: Vec<String> = results
        .into_iter()
        .filter_map(Result::err)
        .map(|e| e.to_string())
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::UploadsFailed(errors.join("; ")))
    }
}

/// Assembles and uploads a run's targets (Prow's `gcsupload.Options.Run`).
pub async fn upload_run(
    options: &GcsUploadOptions,
    spec: &JobSpec,
    extra: UploadTargets,
    item_censoring: Option<&ItemCensoring>,
) -> Result<(), Error> {
    let targets = assemble_targets(options, spec, extra, item_censoring)?;
    upload_targets(options, targets).await
}

/// The job spec from `JOB_SPEC` (Prow's `ResolveSpecFromEnv`).
pub fn job_spec_from_env() -> Result<JobSpec, Error> {
    let json = std::env::var(crate::options::JOB_SPEC_ENV)
        .map_err(|_| Error::JobSpec("$JOB_SPEC unset".into()))?;
    serde_json::from_str(&json).map_err(|e| Error::JobSpec(format!("malformed $JOB_SPEC: {e}")))
}

#[cfg(test)]
mod tests {
    use prow_api::{ProwJobType, Pull, Refs};

    use super::*;

    fn presubmit(org: &str, repo: &str) -> JobSpec {
        JobSpec {
            job_type: ProwJobType::Presubmit,
            job: "pull-test".into(),
            build_id: "42".into(),
            prow_job_id: "pj".into(),
            refs: Some(Refs {
                org: org.into(),
                repo: repo.into(),
                base_ref: "main".into(),
                pulls: vec![Pull {
                    number: 7,
                    ..Pull::default()
                }],
                ..Refs::default()
            }),
            extra_refs: Vec::new(),
            decoration_config: None,
            agent: None,
        }
    }

    fn options(strategy: &str, bucket: &str) -> GcsUploadOptions {
        let mut options = GcsUploadOptions::default();
        options.gcs_configuration.bucket = bucket.into();
        options.gcs_configuration.path_strategy = strategy.into();
        options.gcs_configuration.default_org = "kubernetes".into();
        options.gcs_configuration.default_repo = "kubernetes".into();
        options
    }

    #[test]
    fn targets_follow_path_strategy() {
        let cases = [
            (
                "explicit",
                "kubernetes",
                "kubernetes",
                "pr-logs/pull/kubernetes_kubernetes/7/pull-test/42",
            ),
            (
                "legacy",
                "kubernetes",
                "kubernetes",
                "pr-logs/pull/7/pull-test/42",
            ),
            (
                "legacy",
                "kubernetes",
                "test-infra",
                "pr-logs/pull/test-infra/7/pull-test/42",
            ),
            (
                "single",
                "kubernetes",
                "test-infra",
                "pr-logs/pull/kubernetes_test-infra/7/pull-test/42",
            ),
            (
                "single",
                "kubernetes",
                "kubernetes",
                "pr-logs/pull/7/pull-test/42",
            ),
        ];
        for (strategy, org, repo, base) in cases {
            let mut extra = UploadTargets::new();
            extra.insert("started.json".into(), UploadSource::Bytes(b"{}".to_vec()));
            let targets = assemble_targets(
                &options(strategy, "gs://bucket"),
                &presubmit(org, repo),
                extra,
                None,
            )
            .expect("targets");
            let keys: Vec<&str> = targets.keys().map(String::as_str).collect();
            let started = format!("{base}/started.json");
            assert!(
                keys.contains(&started.as_str()),
                "{strategy} {org}/{repo}: {keys:?}"
            );
            assert!(
                keys.contains(&"pr-logs/directory/pull-test/42.txt"),
                "{keys:?}"
            );
            assert!(
                keys.contains(&"pr-logs/directory/pull-test/latest-build.txt"),
                "{keys:?}"
            );
            let latest = format!("{}/latest-build.txt", base.trim_end_matches("/42"));
            assert!(keys.contains(&latest.as_str()), "{strategy}: {keys:?}");
            match &targets["pr-logs/directory/pull-test/42.txt"] {
                UploadSource::Bytes(bytes) => {
                    assert_eq!(bytes, format!("gs://bucket/{base}").as_bytes())
                }
                other => panic!("alias is {other:?}"),
            }
        }
    }

    #[test]
    fn local_mode_roots_targets_in_output_dir() {
        let mut options = options("explicit", "");
        options.gcs_configuration.local_output_dir = "/output".into();
        let mut extra = UploadTargets::new();
        extra.insert("finished.json".into(), UploadSource::Bytes(b"{}".to_vec()));
        let targets =
            assemble_targets(&options, &presubmit("o", "r"), extra, None).expect("targets");
        assert_eq!(targets.keys().collect::<Vec<_>>(), ["finished.json"]);
    }

    #[test]
    fn zglob_semantics() {
        let set = glob_set(&["secret/*".to_owned(), "**/*.key".to_owned()])
            .expect("globs")
            .expect("set");
        assert!(set.is_match("secret/a"));
        assert!(!set.is_match("secret/a/b"));
        assert!(set.is_match("deep/dir/x.key"));
        assert!(glob_set(&[]).expect("empty").is_none());
    }
}
