//! `push` events (Prow's `trigger/push.go`): postsubmits for the pushed branch or tag.

use prow_github::webhook::events::PushEvent;

use super::prowjobs::{push_changed_files, push_refs, pushed_ref_name};
use super::{TriggerContext, TriggerError};

/// The `after` SHA GitHub sends for a deleted ref.
const ZERO_SHA: &str = "0000000000000000000000000000000000000000";

/// Handles one `push` event: nothing for a deletion; otherwise every postsubmit of the
/// repository that should run on the pushed ref with the pushed files.
///
/// # Errors
/// A job could not be turned into a spec or created (the first failure stops, as in Prow).
pub async fn handle(ctx: &TriggerContext<'_>, push: &PushEvent) -> Result<(), TriggerError> {
    if push.deleted || push.after == ZERO_SHA {
        return Ok(());
    }
    let org = &push.repository.owner.login;
    let repo = &push.repository.name;
    let postsubmits = ctx
        .loaded
        .config
        .jobs
        .postsubmits_for(&format!("{org}/{repo}"));
    if postsubmits.is_empty() {
        return Ok(());
    }
    let branch = pushed_ref_name(&push.git_ref);
    let files = push_changed_files(push);
    for job in postsubmits {
        if !job.should_run(branch, &files) {
            continue;
        }
        let spec = prow_config::postsubmit_spec(job, push_refs(push))?;
        ctx.writer
            .create(spec, &job.base.labels, &job.base.annotations)
            .await?;
    }
    Ok(())
}
