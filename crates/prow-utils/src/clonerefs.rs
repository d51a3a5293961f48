//! clonerefs: clones every configured repository and writes the clone records (Prow's
//! `pkg/clonerefs/run.go`).
//!
//! As in Prow, a failed clone is recorded (`failed: true` and the failing command) and
//! clonerefs still exits zero unless `fail` is set: initupload, the next init container,
//! uploads the failure and fails the Pod.

use std::time::Duration;

use crate::Error;
use crate::clone::{CloneRecord, CloneSettings, FETCH_RETRIES, clone_refs};
use crate::options::CloneRefsOptions;

/// Clones with Prow's fetch retry schedule.
pub fn run(options: &CloneRefsOptions, cookie_path_flag: Option<&str>) -> Result<(), Error> {
    run_with_retries(options, cookie_path_flag, &FETCH_RETRIES)
}

/// Clones with the given waits between fetch retries.
pub fn run_with_retries(
    options: &CloneRefsOptions,
    cookie_path_flag: Option<&str>,
    fetch_retries: &[Duration],
) -> Result<(), Error> {
    if !options.key_files.is_empty() || !options.host_fingerprints.is_empty() {
        tracing::warn!(
            "SSH keys and host fingerprints are not supported by prow-rs clonerefs; cloning without them"
        );
    }
    if !options.github_app_id.is_empty() {
        tracing::warn!(
            "GitHub App authentication is not supported by prow-rs clonerefs; cloning anonymously"
        );
    }
    let token = if options.oauth_token_file.is_empty() {
        String::new()
    } else {
        std::fs::read_to_string(&options.oauth_token_file)
            .map_err(|source| Error::ReadFile {
                path: options.oauth_token_file.clone(),
                source,
            })?
            .trim()
            .to_owned()
    };
    let cookie_path = cookie_path_flag
        .map(str::to_owned)
        .unwrap_or_else(|| options.cookie_path.clone());
    let settings = CloneSettings {
        src_root: options.src_root.clone(),
        git_user_name: options.git_user_name.clone(),
        git_user_email: options.git_user_email.clone(),
        cookie_path,
        token,
        fetch_retries: fetch_retries.to_vec(),
    };
    let records = clone_all(options, &settings);
    let json = serde_json::to_vec(&records).map_err(Error::Json)?;
    std::fs::write(&options.log, json).map_err(|source| Error::WriteFile {
        path: options.log.clone(),
        source,
    })?;
    if options.fail
        && let Some(failed) = records.iter().find(|record| record.failed)
    {
        return Err(Error::CloneFailed(format!(
            "{}/{}",
            failed.refs.org, failed.refs.repo
        )));
    }
    Ok(())
}

/// Clones the refs with at most `max_parallel_workers` at once (0: all at once); records
/// come back in the order of the refs.
fn clone_all(options: &CloneRefsOptions, settings: &CloneSettings) -> Vec<CloneRecord> {
    let workers = match usize::try_from(options.max_parallel_workers) {
        Ok(0) | Err(_) => options.git_refs.len().max(1),
        Ok(n) => n,
    };
    let mut records = Vec::with_capacity(options.git_refs.len());
    for chunk in options.git_refs.chunks(workers) {
        std::thread::scope(|scope| {
            let handles: Vec<_> = chunk
                .iter()
                .map(|refs| scope.spawn(move || clone_refs(refs, settings)))
                .collect();
            for (handle, refs) in handles.into_iter().zip(chunk) {
                records.push(handle.join().unwrap_or_else(|_| CloneRecord {
                    refs: refs.clone(),
                    failed: true,
                    ..CloneRecord::default()
                }));
            }
        });
    }
    records
}
