//! Recording what was reported: `status.prev_report_states["github-reporter"]`, written
//! through the status subresource with crier's field manager and the `resourceVersion` that
//! was read (optimistic concurrency). On a conflict the ProwJob is read again and the state
//! that was actually reported is recorded (Prow's `UpdateReportStateWithRetries`): a newer
//! state is then still unreported, so it is reported next, and nothing is reported twice.

use kube::Api;
use kube::api::{Patch, PatchParams};
use prow_api::{ProwJob, ProwJobState, field_manager};
use serde_json::json;

use crate::Error;
use crate::selection::REPORTER_NAME;

/// Attempts before giving up (the controller retries the whole report later).
const ATTEMPTS: u32 = 5;

/// The status patch that records `reported`, conditional on `resource_version`.
pub fn report_state_patch(resource_version: &str, reported: ProwJobState) -> serde_json::Value {
    json!({
        "metadata": {"resourceVersion": resource_version},
        "status": {"prev_report_states": {REPORTER_NAME: reported}},
    })
}

/// Records that `job` (as read, with its `resourceVersion`) was reported in `reported`.
/// A ProwJob deleted meanwhile is not an error.
///
/// # Errors
/// The API refused the write, or it kept conflicting.
pub async fn record_reported(
    api: &Api<ProwJob>,
    job: &ProwJob,
    reported: ProwJobState,
) -> Result<(), Error> {
    let name = job.metadata.name.clone().unwrap_or_default();
    let params = PatchParams {
        field_manager: Some(field_manager::REPORTER.to_string()),
        ..PatchParams::default()
    };
    let mut resource_version = job.metadata.resource_version.clone().unwrap_or_default();
    for _ in 0..ATTEMPTS {
        let patch = report_state_patch(&resource_version, reported);
        match api
            .patch_status(&name, &params, &Patch::Merge(&patch))
            .await
        {
            Ok(_) => return Ok(()),
            Err(kube::Error::Api(status)) if status.code == 404 => return Ok(()),
            Err(kube::Error::Api(status)) if status.code == 409 => {
                let fresh = api
                    .get_opt(&name)
                    .await
                    .map_err(|source| Error::GetProwJob {
                        name: name.clone(),
                        source,
                    })?;
                let Some(fresh) = fresh else {
                    return Ok(());
                };
                let recorded = fresh
                    .status
                    .as_ref()
                    .and_then(|status| status.prev_report_states.get(REPORTER_NAME));
                if recorded == Some(&reported) {
                    return Ok(());
                }
                resource_version = fresh.metadata.resource_version.unwrap_or_default();
            }
            Err(source) => {
                return Err(Error::RecordReportState { name, source });
            }
        }
    }
    Err(Error::RecordReportStateConflict {
        name,
        attempts: ATTEMPTS,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patch_is_conditional_and_touches_only_our_key() {
        let patch = report_state_patch("42", ProwJobState::Aborted);
        assert_eq!(
            patch,
            json!({
                "metadata": {"resourceVersion": "42"},
                "status": {"prev_report_states": {"github-reporter": "aborted"}},
            })
        );
    }
}
