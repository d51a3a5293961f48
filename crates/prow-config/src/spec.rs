//! Jobs to ProwJob specs, as Prow's `pjutil.PresubmitSpec`, `PostsubmitSpec` and `PeriodicSpec`.

use std::collections::BTreeMap;

use prow_api::{ProwJobSpec, ProwJobType, Refs};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::JobPodSpec;
use crate::error::LoadError;
use crate::jobs::{JobBase, Periodic, Postsubmit, Presubmit};

/// The ProwJob spec of a presubmit for `refs` (the PR's base and pull): context, report
/// (`!skip_report`), rerun command, and `refs` completed with the job's clone settings.
///
/// # Errors
/// [`LoadError::JobSpec`] when a job field does not fit the ProwJob types.
pub fn presubmit_spec(job: &Presubmit, refs: Refs) -> Result<ProwJobSpec, LoadError> {
    let mut spec = spec_from_job_base(&job.base, ProwJobType::Presubmit)?;
    spec.context = job.reporter.context.clone();
    spec.report = !job.reporter.skip_report;
    spec.rerun_command = job.rerun_command.clone();
    spec.jenkins_spec = convert_opt(&job.base.name, "jenkins_spec", job.jenkins_spec.as_ref())?;
    spec.refs = Some(complete_primary_refs(refs, &job.base));
    Ok(spec)
}

/// The ProwJob spec of a postsubmit for `refs` (the pushed branch and commit).
///
/// # Errors
/// [`LoadError::JobSpec`] when a job field does not fit the ProwJob types.
pub fn postsubmit_spec(job: &Postsubmit, refs: Refs) -> Result<ProwJobSpec, LoadError> {
    let mut spec = spec_from_job_base(&job.base, ProwJobType::Postsubmit)?;
    spec.context = job.reporter.context.clone();
    spec.report = !job.reporter.skip_report;
    spec.jenkins_spec = convert_opt(&job.base.name, "jenkins_spec", job.jenkins_spec.as_ref())?;
    spec.refs = Some(complete_primary_refs(refs, &job.base));
    Ok(spec)
}

/// The ProwJob spec of a periodic (no main refs; `extra_refs` from the job).
///
/// # Errors
/// [`LoadError::JobSpec`] when a job field does not fit the ProwJob types.
pub fn periodic_spec(job: &Periodic) -> Result<ProwJobSpec, LoadError> {
    spec_from_job_base(&job.base, ProwJobType::Periodic)
}

/// The labels and annotations of the ProwJob for `spec` created from `job`: Prow's computed
/// ones (`created-by-prow`, `prow.k8s.io/job`, `prow.k8s.io/type`, refs labels...) plus the
/// job's own labels and annotations.
pub fn prowjob_labels(
    spec: &ProwJobSpec,
    job: &JobBase,
) -> (BTreeMap<String, String>, BTreeMap<String, String>) {
    prow_api::labels_and_annotations_for_spec(spec, &job.labels, &job.annotations)
}

/// Prow's `completePrimaryRefs`: the job's `path_alias` and `clone_uri` (when set),
/// `skip_submodules`, `clone_depth` and `skip_fetch_head` go into the main refs.
fn complete_primary_refs(mut refs: Refs, base: &JobBase) -> Refs {
    let util = &base.utility_config;
    if !util.path_alias.is_empty() {
        refs.path_alias = util.path_alias.clone();
    }
    if !util.clone_uri.is_empty() {
        refs.clone_uri = util.clone_uri.clone();
    }
    refs.skip_submodules = util.skip_submodules;
    refs.clone_depth = u32::try_from(util.clone_depth).unwrap_or(0);
    refs.skip_fetch_head = util.skip_fetch_head;
    refs
}

/// Prow's `specFromJobBase`.
fn spec_from_job_base(base: &JobBase, job_type: ProwJobType) -> Result<ProwJobSpec, LoadError> {
    let name = &base.name;
    let mut spec = ProwJobSpec::new(job_type, name.clone());
    spec.agent = if base.agent.is_empty() {
        None
    } else {
        Some(convert(name, "agent", &base.agent)?)
    };
    spec.cluster = base.cluster.clone();
    spec.namespace = base.namespace.clone().unwrap_or_default();
    spec.max_concurrency = u32::try_from(base.max_concurrency).unwrap_or(0);
    spec.error_on_eviction = base.error_on_eviction;
    spec.extra_refs = base
        .utility_config
        .extra_refs
        .iter()
        .map(|r| convert(name, "extra_refs", r))
        .collect::<Result<_, _>>()?;
    spec.decoration_config = convert_opt(
        name,
        "decoration_config",
        base.utility_config.decoration_config.as_deref(),
    )?;
    spec.pod_spec = base.spec.as_ref().map(JobPodSpec::to_pod_spec);
    spec.pipeline_run_spec = base.pipeline_run_spec.clone();
    spec.tekton_pipeline_run_spec = convert_opt(
        name,
        "tekton_pipeline_run_spec",
        base.tekton_pipeline_run_spec.as_ref(),
    )?;
    spec.reporter_config = convert_opt(name, "reporter_config", base.reporter_config.as_ref())?;
    spec.rerun_auth_config =
        convert_opt(name, "rerun_auth_config", base.rerun_auth_config.as_ref())?;
    spec.hidden = base.hidden;
    spec.prowjob_defaults = convert_opt(name, "prowjob_defaults", base.prowjob_defaults.as_ref())?;
    spec.job_queue_name = base.job_queue_name.clone();
    Ok(spec)
}

/// Converts a config-side value to its prow-api counterpart through JSON (same field names).
fn convert<T: DeserializeOwned>(
    job: &str,
    field: &'static str,
    value: &impl Serialize,
) -> Result<T, LoadError> {
    let err = |e: serde_json::Error| LoadError::JobSpec {
        job: job.to_string(),
        field,
        message: e.to_string(),
    };
    serde_json::from_value(serde_json::to_value(value).map_err(err)?).map_err(err)
}

fn convert_opt<T: DeserializeOwned>(
    job: &str,
    field: &'static str,
    value: Option<&impl Serialize>,
) -> Result<Option<T>, LoadError> {
    value.map(|v| convert(job, field, v)).transpose()
}
