//! Gathers what the job page shows of a run: its Pod (from the build cluster) and its files
//! (from object storage). Failures become messages on the page, never a failed page.

use prow_api::ProwJob;
use prow_kube::build_clusters::BuildClusters;

use crate::job_record::JobRecord;
use crate::log_render::{CHUNK_BYTES, render_chunk};
use crate::pages::job_view::JobView;
use crate::run_pod::{PodSummary, read_pod};
use crate::run_storage::Storage;

/// The build log's file name.
pub const BUILD_LOG: &str = prow_api::storage_path::BUILD_LOG_FILE;

/// Loads the Pod and stored files of `record`'s run.
pub async fn load_view(
    storage: &Storage,
    clusters: Option<&BuildClusters>,
    record: &JobRecord,
    prowjob: &ProwJob,
) -> JobView {
    let mut view = JobView::default();
    let mut pod_exists = false;
    if let Some(clusters) = clusters {
        match read_pod(clusters, record).await {
            Ok(Some(pod)) => {
                pod_exists = true;
                view.pod = Some(PodSummary::of(&pod, &record.cluster));
            }
            Ok(None) => {}
            Err(error) => view.pod_error = Some(error.to_string()),
        }
    }
    match storage.run_dir(prowjob) {
        Ok(Some(dir)) => {
            view.storage_location = Some(dir.location.clone());
            let loaded = async {
                view.started = dir.read_json(prow_api::storage_path::STARTED_FILE).await?;
                view.finished = dir.read_json(prow_api::storage_path::FINISHED_FILE).await?;
                view.files = dir.list().await?;
                if let Some(size) = dir.size(BUILD_LOG).await? {
                    let bytes = dir.read_range(BUILD_LOG, 0..size.min(CHUNK_BYTES)).await?;
                    view.log = Some(render_chunk(&bytes, 0, size, 1));
                }
                Ok::<_, crate::Error>(())
            };
            if let Err(error) = loaded.await {
                view.storage_error = Some(error.to_string());
            }
        }
        Ok(None) => {}
        Err(error) => view.storage_error = Some(error.to_string()),
    }
    // a running job (or a finished one whose log is not archived) shows the Pod's log
    let finished_and_archived = record.state.is_complete() && view.log.is_some();
    view.live = pod_exists && !finished_and_archived;
    if view.live {
        view.log = None;
    }
    view
}
