//! The ProwJob custom resource (`prow.k8s.io/v1`, Prow's `pkg/apis/prowjobs/v1/types.go`).
//!
//! Unlike Prow's CRD (`subresources: {}`), the CRD generated here enables the status
//! subresource, so the API server ignores `status` on create and on updates of the main
//! resource: create the ProwJob, then write its status through `/status` (`patch_status`),
//! and treat a ProwJob without status as newly triggered. ProwJobs created by Prow's own
//! tools (e.g. `mkpj | kubectl create`) therefore arrive without status.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::PodSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::embedded_schema::{non_negative_int32, preserved_object};
use crate::labels::labels_and_annotations_for_spec;
use crate::{
    DecorationConfig, ProwJobAgent, ProwJobState, ProwJobType, Refs, ReporterConfig,
    RerunAuthConfig,
};

fn is_false(value: &bool) -> bool {
    !*value
}

fn is_zero(value: &u32) -> bool {
    *value == 0
}

/// The cluster alias used when `spec.cluster` is empty (`DefaultClusterAlias`).
pub const DEFAULT_CLUSTER_ALIAS: &str = "default";

/// What to run, where, and against which code (`ProwJobSpec`).
#[derive(CustomResource, Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "prow.k8s.io",
    version = "v1",
    kind = "ProwJob",
    plural = "prowjobs",
    singular = "prowjob",
    shortname = "pj",
    namespaced,
    status = "ProwJobStatus",
    derive = "PartialEq",
    doc = "ProwJob is one run of a Prow job: its spec (what to run, against which code) and status.",
    annotation(
        "api-approved.kubernetes.io",
        "https://github.com/kubernetes/enhancements/pull/1111"
    ),
    printcolumn = r#"{"name":"Job","type":"string","description":"The name of the job being run.","jsonPath":".spec.job"}"#,
    printcolumn = r#"{"name":"BuildId","type":"string","description":"The ID of the job being run.","jsonPath":".status.build_id","priority":1}"#,
    printcolumn = r#"{"name":"Type","type":"string","description":"The type of job being run.","jsonPath":".spec.type"}"#,
    printcolumn = r#"{"name":"Org","type":"string","description":"The org for which the job is running.","jsonPath":".spec.refs.org","priority":1}"#,
    printcolumn = r#"{"name":"Repo","type":"string","description":"The repo for which the job is running.","jsonPath":".spec.refs.repo","priority":1}"#,
    printcolumn = r#"{"name":"Pulls","type":"string","description":"The pulls for which the job is running.","jsonPath":".spec.refs.pulls[*].number","priority":1}"#,
    printcolumn = r#"{"name":"State","type":"string","description":"The state of the job.","jsonPath":".status.state"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
pub struct ProwJobSpec {
    /// How the job is triggered: presubmit, postsubmit, periodic or batch.
    #[serde(rename = "type")]
    pub job_type: ProwJobType,
    /// The controller that runs the job: kubernetes, jenkins or tekton-pipeline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<ProwJobAgent>,
    /// Alias of the build cluster that runs the job (`default` when empty).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub cluster: String,
    /// Namespace in which the job's Pod or other resources are created.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    /// Name of the job.
    pub job: String,
    /// The code under test, set by Prow when the job is triggered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refs: Option<Refs>,
    /// Additional repositories to clone, from the job's config.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra_refs: Vec<Refs>,
    /// Report the result (commit status on GitHub, Slack message, ...).
    #[serde(default, skip_serializing_if = "is_false")]
    pub report: bool,
    /// Name of the status context reported to GitHub.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub context: String,
    /// The comment a user writes on a pull request to run this job again.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub rerun_command: String,
    /// Maximum number of runs of this job at the same time; 0 means no limit.
    #[serde(default, skip_serializing_if = "is_zero")]
    #[schemars(schema_with = "non_negative_int32")]
    pub max_concurrency: u32,
    /// Finish the job in the error state when its Pod is evicted, instead of creating a new Pod.
    #[serde(default, skip_serializing_if = "is_false")]
    pub error_on_eviction: bool,
    /// The Pod to run for a job with the kubernetes agent (a core/v1 PodSpec).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "preserved_object")]
    pub pod_spec: Option<PodSpec>,
    /// Jenkins-specific settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jenkins_spec: Option<JenkinsSpec>,
    /// The Tekton PipelineRunSpec to run (tekton.dev/v1), kept as raw JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "preserved_object")]
    pub pipeline_run_spec: Option<serde_json::Value>,
    /// The Tekton PipelineRunSpec to run, by Tekton API version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tekton_pipeline_run_spec: Option<TektonPipelineRunSpec>,
    /// How to decorate the Pod with the pod utilities (clone, upload logs and artifacts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decoration_config: Option<DecorationConfig>,
    /// Reporter-specific settings (Slack, DingTalk).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reporter_config: Option<ReporterConfig>,
    /// Who may rerun the job.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rerun_auth_config: Option<RerunAuthConfig>,
    /// Hide the job from deck unless it runs with `--show-hidden` or `--hiddenOnly`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub hidden: bool,
    /// Defaults from the Prow config that apply to this job.
    #[serde(
        default,
        rename = "prowjob_defaults",
        skip_serializing_if = "Option::is_none"
    )]
    pub prowjob_defaults: Option<ProwJobDefault>,
    /// Name of a job queue that limits how many jobs of the queue run at once.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub job_queue_name: String,
}

impl ProwJobSpec {
    /// A spec with only the job type and name set.
    pub fn new(job_type: ProwJobType, job: impl Into<String>) -> Self {
        Self {
            job_type,
            agent: None,
            cluster: String::new(),
            namespace: String::new(),
            job: job.into(),
            refs: None,
            extra_refs: Vec::new(),
            report: false,
            context: String::new(),
            rerun_command: String::new(),
            max_concurrency: 0,
            error_on_eviction: false,
            pod_spec: None,
            jenkins_spec: None,
            pipeline_run_spec: None,
            tekton_pipeline_run_spec: None,
            decoration_config: None,
            reporter_config: None,
            rerun_auth_config: None,
            hidden: false,
            prowjob_defaults: None,
            job_queue_name: String::new(),
        }
    }

    /// The build cluster alias, `default` when unset (Prow's `ClusterAlias`).
    pub fn cluster_alias(&self) -> &str {
        if self.cluster.is_empty() {
            DEFAULT_CLUSTER_ALIAS
        } else {
            &self.cluster
        }
    }

    /// The refs that identify the job's main repository: `refs`, or else the first extra ref.
    pub fn main_refs(&self) -> Option<&Refs> {
        self.refs.as_ref().or_else(|| self.extra_refs.first())
    }
}

/// Jenkins-specific settings (`JenkinsSpec`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct JenkinsSpec {
    /// The job is generated by Jenkins' GitHub branch source plugin.
    #[serde(default, skip_serializing_if = "is_false")]
    pub github_branch_source_job: bool,
}

/// A Tekton PipelineRunSpec by API version (`TektonPipelineRunSpec`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TektonPipelineRunSpec {
    /// The PipelineRunSpec, kept as raw JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "preserved_object")]
    pub v1beta1: Option<serde_json::Value>,
}

/// Defaults from the Prow config that apply to a job (`ProwJobDefault`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ProwJobDefault {
    /// Settings for uploading results to ResultStore.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resultstore_config: Option<ResultStoreConfig>,
    /// Tenant of the job, for deck's multi-tenant views.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub tenant_id: String,
}

/// Settings for uploading results to ResultStore (`ResultStoreConfig`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ResultStoreConfig {
    /// ResultStore project ID (usually the Google Cloud project of the bucket).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub project_id: String,
}

/// What happened to the job so far (`ProwJobStatus`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(extend("x-kubernetes-validations" = [{
    "rule": "!(self.state in ['success', 'failure', 'error']) || has(self.completionTime)",
    "message": "a job in state success, failure or error must have a completionTime",
}]))]
pub struct ProwJobStatus {
    /// When the job was created.
    #[serde(default, rename = "startTime", skip_serializing_if = "Option::is_none")]
    pub start_time: Option<Time>,
    /// When the job moved from triggered to pending.
    #[serde(
        default,
        rename = "pendingTime",
        skip_serializing_if = "Option::is_none"
    )]
    pub pending_time: Option<Time>,
    /// When the job reached a final state.
    #[serde(
        default,
        rename = "completionTime",
        skip_serializing_if = "Option::is_none"
    )]
    pub completion_time: Option<Time>,
    /// The state of the job.
    pub state: ProwJobState,
    /// Human-readable description of the state.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Link to the job's logs and results.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub url: String,
    /// Name of the Pod running the job (the same as the ProwJob's name).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub pod_name: String,
    /// How many times the Pod was recreated after it stopped unexpectedly.
    #[serde(default, skip_serializing_if = "is_zero")]
    #[schemars(schema_with = "non_negative_int32")]
    pub pod_revival_count: u32,
    /// Build identifier that groups the job's artifacts in storage.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub build_id: String,
    /// Build identifier that Jenkins assigned (jenkins agent only).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub jenkins_build_id: String,
    /// The last state each reporter reported, so no report is sent twice.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub prev_report_states: BTreeMap<String, ProwJobState>,
}

impl ProwJobStatus {
    /// A status in `state` with nothing else set.
    pub fn new(state: ProwJobState) -> Self {
        Self {
            start_time: None,
            pending_time: None,
            completion_time: None,
            state,
            description: String::new(),
            url: String::new(),
            pod_name: String::new(),
            pod_revival_count: 0,
            build_id: String::new(),
            jenkins_build_id: String::new(),
            prev_report_states: BTreeMap::new(),
        }
    }
}

impl ProwJob {
    /// A new ProwJob for `spec`, as Prow's `pjutil.NewProwJob` builds it: named `name` (Prow
    /// uses a random UUID), labelled and annotated by
    /// [`labels_and_annotations_for_spec`], with the Slack `report` default applied
    /// (`setReportDefault`), and a status in `state` (triggered, or scheduling when
    /// scheduling is enabled) started at `start_time`.
    ///
    /// The status is not stored by a create call (status subresource, see the module docs):
    /// send it with a status patch after creating the object.
    pub fn from_spec(
        name: &str,
        mut spec: ProwJobSpec,
        extra_labels: &BTreeMap<String, String>,
        extra_annotations: &BTreeMap<String, String>,
        start_time: Time,
        state: ProwJobState,
    ) -> Self {
        let (labels, annotations) =
            labels_and_annotations_for_spec(&spec, extra_labels, extra_annotations);
        if let Some(slack) = spec
            .reporter_config
            .as_mut()
            .and_then(|config| config.slack.as_mut())
        {
            slack.apply_report_default();
        }
        let mut job = ProwJob::new(name, spec);
        job.metadata.labels = Some(labels);
        job.metadata.annotations = Some(annotations);
        job.status = Some(ProwJobStatus {
            start_time: Some(start_time),
            ..ProwJobStatus::new(state)
        });
        job
    }

    /// The job's state; `None` before any status was written.
    pub fn state(&self) -> Option<ProwJobState> {
        self.status.as_ref().map(|status| status.state)
    }

    /// The job has finished: Prow's `Complete()`, true once `completionTime` is set.
    pub fn is_complete(&self) -> bool {
        self.status
            .as_ref()
            .is_some_and(|status| status.completion_time.is_some())
    }

    /// The build cluster alias, `default` when unset (Prow's `ClusterAlias`).
    pub fn cluster_alias(&self) -> &str {
        self.spec.cluster_alias()
    }
}

#[cfg(test)]
mod tests {
    use k8s_openapi::jiff::Timestamp;

    use super::*;
    use crate::{Pull, SlackReporterConfig, labels};

    fn time(text: &str) -> Time {
        Time(text.parse::<Timestamp>().expect("timestamp"))
    }

    #[test]
    fn from_spec_labels_reports_and_starts_the_job() {
        let spec = ProwJobSpec {
            refs: Some(Refs {
                org: "kubernetes".into(),
                repo: "test-infra".into(),
                base_ref: "master".into(),
                pulls: vec![Pull {
                    number: 2716,
                    ..Pull::default()
                }],
                ..Refs::default()
            }),
            reporter_config: Some(ReporterConfig {
                slack: Some(SlackReporterConfig {
                    job_states_to_report: Some(vec![]),
                    ..SlackReporterConfig::default()
                }),
                dingtalk: None,
            }),
            ..ProwJobSpec::new(ProwJobType::Presubmit, "pull-test-infra-bazel")
        };
        let extra = BTreeMap::from([(labels::IS_OPTIONAL.to_owned(), "false".to_owned())]);
        let job = ProwJob::from_spec(
            "32456927-35d9-11e7-8d95-0a580a6c1504",
            spec,
            &extra,
            &BTreeMap::new(),
            time("2017-05-10T23:34:22Z"),
            ProwJobState::Triggered,
        );
        assert_eq!(
            job.metadata.name.as_deref(),
            Some("32456927-35d9-11e7-8d95-0a580a6c1504")
        );
        let job_labels = job.metadata.labels.clone().unwrap_or_default();
        assert_eq!(
            job_labels.get(labels::REFS_PULL).map(String::as_str),
            Some("2716")
        );
        assert_eq!(
            job_labels.get(labels::IS_OPTIONAL).map(String::as_str),
            Some("false")
        );
        assert_eq!(
            job_labels.get(labels::PROW_JOB_TYPE).map(String::as_str),
            Some("presubmit")
        );
        let slack = job
            .spec
            .reporter_config
            .as_ref()
            .and_then(|c| c.slack.as_ref());
        assert_eq!(slack.and_then(|s| s.report), Some(false));
        assert_eq!(job.state(), Some(ProwJobState::Triggered));
        assert!(!job.is_complete());
        let json = serde_json::to_value(&job).expect("serialize");
        assert_eq!(json["apiVersion"], "prow.k8s.io/v1");
        assert_eq!(json["kind"], "ProwJob");
        assert_eq!(json["status"]["startTime"], "2017-05-10T23:34:22Z");
    }

    #[test]
    fn cluster_alias_defaults() {
        let mut spec = ProwJobSpec::new(ProwJobType::Periodic, "job");
        assert_eq!(spec.cluster_alias(), DEFAULT_CLUSTER_ALIAS);
        spec.cluster = "build02".into();
        assert_eq!(spec.cluster_alias(), "build02");
    }

    #[test]
    fn completion_time_marks_the_job_complete() {
        let mut job = ProwJob::new("name", ProwJobSpec::new(ProwJobType::Periodic, "job"));
        assert!(!job.is_complete());
        assert_eq!(job.state(), None);
        job.status = Some(ProwJobStatus {
            completion_time: Some(time("2021-08-26T04:10:35Z")),
            ..ProwJobStatus::new(ProwJobState::Failure)
        });
        assert!(job.is_complete());
    }
}
