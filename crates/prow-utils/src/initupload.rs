//! initupload: uploads `started.json` and the clone records; when a clone failed, also the
//! clone log as `build-log.txt` and a FAILURE `finished.json`, then fails (Prow's
//! `pkg/initupload/run.go`).

use prow_api::storage_path::{BUILD_LOG_FILE, CLONE_RECORDS_FILE, FINISHED_FILE, STARTED_FILE};

use crate::Error;
use crate::clone::{CloneRecord, format_record};
use crate::metadata::{Finished, spec_to_started, unix_now};
use crate::options::InitUploadOptions;
use crate::upload::{UploadSource, UploadTargets, job_spec_from_env, upload_run};

/// The clone log as text for `clone-log.txt`.
pub const CLONE_LOG_FILE: &str = "clone-log.txt";

/// Runs initupload with the job spec from `JOB_SPEC`.
pub async fn run(options: &InitUploadOptions) -> Result<(), Error> {
    let spec = job_spec_from_env()?;
    let mut targets = UploadTargets::new();
    let (failed, records) = if options.log.is_empty() {
        (false, Vec::new())
    } else {
        process_clone_log(&options.log, &mut targets)?
    };
    let started = spec_to_started(&spec, &records, unix_now());
    let started = serde_json::to_vec(&started).map_err(Error::Json)?;
    targets.insert(STARTED_FILE.to_owned(), UploadSource::Bytes(started));
    upload_run(&options.gcs, &spec, targets, None).await?;
    if failed {
        return Err(Error::CloneFailed("the appropriate refs".into()));
    }
    Ok(())
}

/// Reads the clone records and adds their uploads (Prow's `processCloneLog`); returns
/// whether any clone failed.
fn process_clone_log(
    log: &str,
    targets: &mut UploadTargets,
) -> Result<(bool, Vec<CloneRecord>), Error> {
    let data = std::fs::read(log).map_err(|source| Error::ReadFile {
        path: log.to_owned(),
        source,
    })?;
    let records: Vec<CloneRecord> = serde_json::from_slice::<Option<Vec<CloneRecord>>>(&data)
        .map_err(Error::Json)?
        .unwrap_or_default();
    let clone_log: String = records.iter().map(format_record).collect();
    let failed = records.iter().any(|record| record.failed);
    targets.insert(
        CLONE_LOG_FILE.to_owned(),
        UploadSource::Bytes(clone_log.clone().into_bytes()),
    );
    targets.insert(CLONE_RECORDS_FILE.to_owned(), UploadSource::Bytes(data));
    if failed {
        targets.insert(
            BUILD_LOG_FILE.to_owned(),
            UploadSource::Bytes(clone_log.into_bytes()),
        );
        let finished = Finished {
            timestamp: Some(unix_now()),
            passed: Some(false),
            result: "FAILURE".to_owned(),
            ..Finished::default()
        };
        targets.insert(
            FINISHED_FILE.to_owned(),
            UploadSource::Bytes(serde_json::to_vec(&finished).map_err(Error::Json)?),
        );
    }
    Ok((failed, records))
}
