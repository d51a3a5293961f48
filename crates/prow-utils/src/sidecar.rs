//! sidecar: waits for every wrapped process's marker, then uploads the process logs as
//! `build-log.txt`, `finished.json` and the artifacts, censoring secrets on the way (Prow's
//! `pkg/sidecar/run.go`).
//!
//! The result is SUCCESS when every marker says 0, ABORTED when one says 130 (entrypoint was
//! interrupted), FAILURE otherwise. On SIGINT/SIGTERM before the markers appear (unless
//! `ignore_interrupts`), a best-effort upload is made right away, as Prow does. Unlike Prow,
//! censoring happens while streaming the upload rather than by rewriting the files first;
//! the uploaded bytes are the same and the files on disk are left alone.

use std::path::PathBuf;
use std::sync::Arc;

use prow_api::storage_path::{BUILD_LOG_FILE, FINISHED_FILE};
use tokio::signal::unix::{SignalKind, signal};

use crate::Error;
use crate::censor::Censorer;
use crate::marker::{MarkerResult, wait_for_marker};
use crate::metadata::{Finished, Metadata, revision_from_spec, unix_now};
use crate::options::entrypoint::{ABORTED_ERROR_CODE, PREVIOUS_ERROR_CODE};
use crate::options::{SidecarCensoringOptions, SidecarOptions, WrapperOptions};
use crate::secrets::load_secrets;
use crate::upload::{
    ItemCensoring, UploadSource, UploadTargets, glob_set, job_spec_from_env, upload_run,
};

/// Key in `finished.json` metadata listing metadata files that could not be read.
pub const ERROR_KEY: &str = "sidecar-errors";

/// What the markers said, summarized (Prow's sidecar `wait`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// Every entry exited 0.
    pub passed: bool,
    /// Some entry was aborted (marker 130).
    pub aborted: bool,
    /// Entries that failed on their own (not 0 and not skipped after a previous failure).
    pub failures: i32,
}

/// Summarizes marker results.
pub fn summarize(results: &[MarkerResult]) -> Outcome {
    let mut outcome = Outcome {
        passed: true,
        aborted: false,
        failures: 0,
    };
    for result in results {
        outcome.passed = outcome.passed && result.error.is_none() && result.return_code == 0;
        outcome.aborted = outcome.aborted || result.return_code == ABORTED_ERROR_CODE;
        if result.return_code != 0 && result.return_code != PREVIOUS_ERROR_CODE {
            outcome.failures += 1;
        }
    }
    outcome
}

/// `SUCCESS`, `ABORTED` or `FAILURE`.
pub fn result_name(outcome: Outcome) -> &'static str {
    if outcome.passed {
        "SUCCESS"
    } else if outcome.aborted {
        "ABORTED"
    } else {
        "FAILURE"
    }
}

/// Runs sidecar; returns its exit code (the number of failed entries, as Prow's `Run`).
pub async fn run(options: &SidecarOptions) -> Result<i32, Error> {
    let spec = job_spec_from_env()?;
    let entries = options.all_entries();
    let censoring = build_censoring(options.effective_censoring().as_ref())?;

    let mut interrupts =
        signal(SignalKind::interrupt()).map_err(|e| Error::InvalidOptions(e.to_string()))?;
    let mut terminations =
        signal(SignalKind::terminate()).map_err(|e| Error::InvalidOptions(e.to_string()))?;
    let ignore_interrupts = options.ignore_interrupts;
    let interrupted = async {
        loop {
            tokio::select! {
                _ = interrupts.recv() => {}
                _ = terminations.recv() => {}
            }
            if ignore_interrupts {
                tracing::warn!("Received an interrupt, ignoring...");
            } else {
                return;
            }
        }
    };
    let waiting = wait_all(&entries);
    tokio::pin!(waiting);
    tokio::pin!(interrupted);
    let results = tokio::select! {
        results = &mut waiting => results,
        _ = &mut interrupted => {
            tracing::error!("Received an interrupt, uploading what is there");
            let outcome = Outcome { passed: false, aborted: true, failures: 0 };
            if let Err(e) = upload(options, &spec, &entries, outcome, censoring.as_ref()).await {
                tracing::error!(error = %e, "Failed to perform best-effort upload");
            }
            waiting.await
        }
    };
    let outcome = summarize(&results);
    upload(options, &spec, &entries, outcome, censoring.as_ref()).await?;
    if options.entry_error && !outcome.passed {
        return Ok(outcome.failures.max(1));
    }
    Ok(outcome.failures)
}

async fn wait_all(entries: &[WrapperOptions]) -> Vec<MarkerResult> {
    let waits = entries.iter().map(|entry| async move {
        wait_for_marker(
            std::path::Path::new(&entry.marker_file),
            std::future::pending(),
        )
        .await
        .unwrap_or(MarkerResult {
            return_code: -1,
            error: Some("cancelled".into()),
        })
    });
    futures::future::join_all(waits).await
}

/// Censoring of logs and artifacts; `None` when not configured or no secrets are mounted.
struct Censoring {
    censorer: Arc<Censorer>,
    items: ItemCensoring,
}

fn build_censoring(options: Option<&SidecarCensoringOptions>) -> Result<Option<Censoring>, Error> {
    let Some(options) = options else {
        return Ok(None);
    };
    let secrets = load_secrets(&options.secret_directories, &options.ini_filenames)?;
    let minimum = options
        .minimum_secret_length
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(0);
    let Some(censorer) = Censorer::new(&secrets, minimum) else {
        return Ok(None);
    };
    let censorer = Arc::new(censorer);
    Ok(Some(Censoring {
        items: ItemCensoring {
            censorer: censorer.clone(),
            include: glob_set(&options.include_directories)?,
            exclude: glob_set(&options.exclude_directories)?,
        },
        censorer,
    }))
}

/// Reads and merges the entries' metadata files (Prow's `combineMetadata`).
fn combine_metadata(entries: &[WrapperOptions]) -> Metadata {
    let mut metadata = Metadata::new();
    let mut errors = serde_json::Map::new();
    for (index, entry) in entries.iter().enumerate() {
        if entry.metadata_file.is_empty() {
            continue;
        }
        let name = format!("entry {index}: {}", entry.args.join(" "));
        let raw = match std::fs::read(&entry.metadata_file) {
            Ok(raw) => raw,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                errors.insert(name, e.to_string().into());
                continue;
            }
        };
        match serde_json::from_slice::<Metadata>(&raw) {
            Ok(piece) => metadata.extend(piece),
            Err(e) => {
                errors.insert(name, e.to_string().into());
            }
        }
    }
    if !errors.is_empty() {
        metadata.insert(ERROR_KEY.to_owned(), errors.into());
    }
    metadata
}

async fn upload(
    options: &SidecarOptions,
    spec: &prow_api::JobSpec,
    entries: &[WrapperOptions],
    outcome: Outcome,
    censoring: Option<&Censoring>,
) -> Result<(), Error> {
    let mut targets = UploadTargets::new();
    for entry in entries {
        let name = if entries.len() > 1 {
            format!("{}-{BUILD_LOG_FILE}", entry.container_name)
        } else {
            BUILD_LOG_FILE.to_owned()
        };
        let path = PathBuf::from(&entry.process_log);
        let source = if path.exists() {
            UploadSource::File {
                path,
                censorer: censoring.map(|c| c.censorer.clone()),
            }
        } else {
            UploadSource::Bytes(format!("Failed to open {}\n", entry.process_log).into_bytes())
        };
        targets.insert(name, source);
    }
    let metadata = combine_metadata(entries);
    let finished = Finished {
        timestamp: Some(unix_now()),
        passed: Some(outcome.passed),
        result: result_name(outcome).to_owned(),
        metadata: (!metadata.is_empty()).then_some(metadata),
        revision: revision_from_spec(spec),
        ..Finished::default()
    };
    targets.insert(
        FINISHED_FILE.to_owned(),
        UploadSource::Bytes(serde_json::to_vec(&finished).map_err(Error::Json)?),
    );
    let started = std::time::Instant::now();
    let result = upload_run(
        &options.gcs_options,
        spec,
        targets,
        censoring.map(|c| &c.items),
    )
    .await;
    tracing::info!(duration = ?started.elapsed(), ok = result.is_ok(), "Finished uploading");
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marker(code: i32) -> MarkerResult {
        MarkerResult {
            return_code: code,
            error: None,
        }
    }

    #[test]
    fn results_as_prow_computes_them() {
        let cases = [
            (vec![marker(0)], "SUCCESS", 0),
            (vec![marker(1)], "FAILURE", 1),
            (vec![marker(127)], "FAILURE", 1),
            (vec![marker(130)], "ABORTED", 1),
            (vec![marker(1), marker(PREVIOUS_ERROR_CODE)], "FAILURE", 1),
            (vec![marker(0), marker(0)], "SUCCESS", 0),
            (
                vec![MarkerResult {
                    return_code: -1,
                    error: Some("bad".into()),
                }],
                "FAILURE",
                1,
            ),
        ];
        for (results, want, failures) in cases {
            let outcome = summarize(&results);
            assert_eq!(result_name(outcome), want, "{results:?}");
            assert_eq!(outcome.failures, failures, "{results:?}");
        }
    }
}
