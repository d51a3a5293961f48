//! Job configuration types: Prow's `JobBase`, `Presubmit`, `Postsubmit`, `Periodic` and the
//! structs they embed, complete so that every field Prow knows is accepted and anything else is
//! reported as unknown.
//!
//! Prow embeds `JobBase`, `UtilityConfig`, `Brancher`, `RegexpChangeMatcher` and `Reporter`
//! inline (their fields sit at the job's top level). Serde's `flatten` would lose unknown-field
//! detection, so each job is read through a flat `Raw*` struct and regrouped.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use k8s_openapi::api::core::v1::{EnvVar, PodSpec, Toleration, Volume, VolumeMount};

use crate::JobPodSpec;
use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::yaml::Mark;

/// Where a job was defined.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JobSource {
    /// The file, as given to [`crate::load`] (job-config dir joined with the relative path).
    pub file: Arc<std::path::PathBuf>,
    /// Position of the job's mapping in the file.
    pub mark: Mark,
    /// Field path of the job in its file, e.g. `presubmits.org/repo[3]`.
    pub path: String,
}

/// A preset: env, volumes, volume mounts and tolerations merged into every job whose labels
/// include all of the preset's `labels` (Prow's `Preset`).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct Preset {
    /// Labels a job must carry (all of them, with these values) for the preset to apply.
    pub labels: BTreeMap<String, String>,
    /// Environment variables added to every container.
    pub env: Vec<EnvVar>,
    /// Volumes added to the pod.
    pub volumes: Vec<Volume>,
    /// Volume mounts added to every container.
    #[serde(rename = "volumeMounts")]
    pub volume_mounts: Vec<VolumeMount>,
    /// Tolerations added to the pod.
    pub tolerations: Vec<Toleration>,
}

impl Preset {
    /// Whether a job with `labels` gets this preset: it carries every preset label with the
    /// same value (a preset without labels applies to every job), as Prow's `mergePreset`.
    pub fn applies_to(&self, labels: &BTreeMap<String, String>) -> bool {
        self.labels.iter().all(|(k, v)| labels.get(k) == Some(v))
    }
}

/// A git reference to clone, as configured in `extra_refs` (Prow's `prowapi.Refs`).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct RefsConfig {
    /// GitHub organization.
    pub org: String,
    /// Repository name.
    pub repo: String,
    /// Link to the repository.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub repo_link: String,
    /// Branch to check out.
    pub base_ref: String,
    /// Commit to check out.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub base_sha: String,
    /// Link to the base commit.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub base_link: String,
    /// Pull requests to merge (rare in config).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pulls: Vec<Value>,
    /// Clone location under `$GOPATH/src` instead of `github.com/org/repo`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub path_alias: String,
    /// Start the job in this repository's directory.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub workdir: bool,
    /// Clone from this URI instead of GitHub.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub clone_uri: String,
    /// Do not clone submodules.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub skip_submodules: bool,
    /// Shallow clone depth; 0 is a full clone.
    #[serde(skip_serializing_if = "is_zero")]
    pub clone_depth: i64,
    /// Skip `git fetch <remote>`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub skip_fetch_head: bool,
    /// Clone with `--filter=blob:none`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub blobless_fetch: bool,
    /// An auxiliary repository (used by kubernetes/test-infra jobs since 2026; newer than the
    /// Prow source prow-rs was checked against, accepted as a flag).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub auxiliary: bool,
    /// Paths for a sparse checkout.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sparse_checkout_files: Vec<String>,
}

fn is_zero(v: &i64) -> bool {
    *v == 0
}

/// Job-level reporting options (Prow's `prowapi.ReporterConfig`).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct ReporterConfig {
    /// Slack reporting; prow-rs does not report to Slack yet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slack: Option<SlackReporterConfig>,
}

/// Slack reporting for one job (Prow's `prowapi.SlackReporterConfig`).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct SlackReporterConfig {
    /// Slack host.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub host: String,
    /// Channel to report to.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub channel: String,
    /// Job states that are reported.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_states_to_report: Option<Vec<String>>,
    /// Go template of the message.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub report_template: String,
    /// Whether to report at all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<bool>,
}

/// Who may rerun a job (Prow's `prowapi.RerunAuthConfig`).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct RerunAuthConfig {
    /// Anyone may rerun.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub allow_anyone: bool,
    /// GitHub users who may rerun.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub github_users: Vec<String>,
    /// GitHub team ids whose members may rerun.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub github_team_ids: Vec<i64>,
    /// GitHub teams (by slug) whose members may rerun.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub github_team_slugs: Vec<GitHubTeamSlug>,
    /// GitHub orgs whose members may rerun.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub github_orgs: Vec<String>,
}

/// A GitHub team named by org and slug.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct GitHubTeamSlug {
    /// Team slug.
    pub slug: String,
    /// Organization of the team.
    pub org: String,
}

/// Jenkins-only options (Prow's `JenkinsSpec`); prow-rs does not run Jenkins jobs.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct JenkinsSpec {
    /// The job is managed by the GitHub branch source plugin.
    pub github_branch_source_job: bool,
}

/// Retry policy of a periodic (Prow's `Retry`).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct Retry {
    /// Run every attempt even after a success.
    pub run_all: bool,
    /// Maximum number of attempts.
    pub attempts: i64,
    /// Wait between attempts (Go duration string).
    pub interval: String,
}

/// Decoration and cloning settings shared by every job type (Prow's `UtilityConfig`).
#[derive(Clone, Debug, Default)]
pub struct UtilityConfig {
    /// Whether to decorate the pod with the pod utilities; `None` follows `decorate_all_jobs`.
    /// After loading it is always `Some`.
    pub decorate: Option<bool>,
    /// Clone location under `$GOPATH/src`.
    pub path_alias: String,
    /// URI to clone from.
    pub clone_uri: String,
    /// Do not clone submodules.
    pub skip_submodules: bool,
    /// Shallow clone depth, 0 for a full clone.
    pub clone_depth: i64,
    /// Skip `git fetch <remote>`.
    pub skip_fetch_head: bool,
    /// Further repositories to clone.
    pub extra_refs: Vec<RefsConfig>,
    /// Decoration settings as written (JSON value in Prow's `DecorationConfig` shape); after
    /// loading, the job's settings merged over the matching `plank.default_decoration_config_entries`.
    /// Shared (`Arc`) between jobs whose merged settings are the same.
    pub decoration_config: Option<std::sync::Arc<Value>>,
}

/// Fields common to all job types (Prow's `JobBase`).
#[derive(Clone, Debug, Default)]
pub struct JobBase {
    /// Job name (`[A-Za-z0-9-._]+`).
    pub name: String,
    /// Labels added to the ProwJob and pod.
    pub labels: BTreeMap<String, String>,
    /// Maximum number of concurrently running instances, 0 for no limit.
    pub max_concurrency: i64,
    /// Agent that runs the job; defaults to `kubernetes`.
    pub agent: String,
    /// Build cluster alias; defaults to `default`.
    pub cluster: String,
    /// Namespace of the pod; defaults to `pod_namespace`.
    pub namespace: Option<String>,
    /// Fail the job (error state) instead of re-creating an evicted pod.
    pub error_on_eviction: bool,
    /// The pod spec (agent `kubernetes`), with presets merged.
    pub spec: Option<JobPodSpec>,
    /// Tekton pipeline run spec (not supported by prow-rs).
    pub pipeline_run_spec: Option<Value>,
    /// Versioned Tekton pipeline run spec (not supported by prow-rs).
    pub tekton_pipeline_run_spec: Option<Value>,
    /// Annotations added to the ProwJob and pod.
    pub annotations: BTreeMap<String, String>,
    /// Job-level reporting options.
    pub reporter_config: Option<ReporterConfig>,
    /// Who may rerun the job.
    pub rerun_auth_config: Option<RerunAuthConfig>,
    /// Hide the job in deck.
    pub hidden: bool,
    /// ProwJob defaults (tenant id, ResultStore settings).
    pub prowjob_defaults: Option<Value>,
    /// Name of the job queue limiting concurrency (`plank.job_queue_capacities`).
    pub job_queue_name: String,
    /// Decoration and cloning settings.
    pub utility_config: UtilityConfig,
    /// Where the job was defined.
    pub source: JobSource,
}

/// Branch filter (Prow's `Brancher`). Patterns are joined with `|` and matched unanchored,
/// exactly as Prow compiles them.
#[derive(Clone, Debug, Default)]
pub struct Brancher {
    /// Do not run against branches matching any of these regexes.
    pub skip_branches: Vec<String>,
    /// Only run against branches matching one of these regexes.
    pub branches: Vec<String>,
    pub(crate) re: Option<Arc<Regex>>,
    pub(crate) re_skip: Option<Arc<Regex>>,
}

/// File-change filter (Prow's `RegexpChangeMatcher`).
#[derive(Clone, Debug, Default)]
pub struct RegexpChangeMatcher {
    /// Run if any changed file matches this regex.
    pub run_if_changed: String,
    /// Skip if every changed file matches this regex.
    pub skip_if_only_changed: String,
    pub(crate) re_changes: Option<Arc<Regex>>,
}

/// Status reporting (Prow's `Reporter`).
#[derive(Clone, Debug, Default)]
pub struct Reporter {
    /// GitHub status context; defaults to the job name.
    pub context: String,
    /// Do not report the status to GitHub.
    pub skip_report: bool,
}

/// A job run on pull requests (Prow's `Presubmit`).
#[derive(Clone, Debug, Default)]
pub struct Presubmit {
    /// Common job fields.
    pub base: JobBase,
    /// Run on every PR (subject to the branch filter).
    pub always_run: bool,
    /// The context is not required for merging.
    pub optional: bool,
    /// Regex matched against comments to trigger the job; defaults to Prow's `/test <name>` regex.
    pub trigger: String,
    /// Command users are told to comment to rerun; defaults to `/test <name>`.
    pub rerun_command: String,
    /// Tide always runs this job before merging.
    pub run_before_merge: bool,
    /// Branch filter.
    pub brancher: Brancher,
    /// File-change filter.
    pub change_matcher: RegexpChangeMatcher,
    /// Status reporting.
    pub reporter: Reporter,
    /// Jenkins options (unsupported).
    pub jenkins_spec: Option<JenkinsSpec>,
    pub(crate) trigger_re: OnceLock<Option<Arc<Regex>>>,
}

/// A job run on pushes to a branch (Prow's `Postsubmit`).
#[derive(Clone, Debug, Default)]
pub struct Postsubmit {
    /// Common job fields.
    pub base: JobBase,
    /// Run on every push; `None` means "run unless a change filter says otherwise".
    pub always_run: Option<bool>,
    /// File-change filter.
    pub change_matcher: RegexpChangeMatcher,
    /// Branch filter.
    pub brancher: Brancher,
    /// Status reporting.
    pub reporter: Reporter,
    /// Jenkins options (unsupported).
    pub jenkins_spec: Option<JenkinsSpec>,
}

/// A job run on a timer (Prow's `Periodic`).
#[derive(Clone, Debug, Default)]
pub struct Periodic {
    /// Common job fields.
    pub base: JobBase,
    /// Time between the starts of two runs (Go duration string).
    pub interval: String,
    /// Time between the end of a run and the start of the next (Go duration string).
    pub minimum_interval: String,
    /// Cron expression (robfig/cron: 5 fields or a descriptor such as `@daily`).
    pub cron: String,
    /// Free-form tags.
    pub tags: Vec<String>,
    /// Retry policy.
    pub retry: Option<Retry>,
    /// `interval` parsed during loading.
    pub interval_duration: Option<Duration>,
    /// `minimum_interval` parsed during loading.
    pub minimum_interval_duration: Option<Duration>,
}

/// Declares a flat struct holding every `JobBase` + `UtilityConfig` field plus the job type's
/// own fields, and `take_base` regrouping the common ones.
macro_rules! raw_job {
    ($name:ident { $($field:ident : $ty:ty,)* }) => {
        #[derive(Default, Deserialize)]
        #[serde(default)]
        pub(crate) struct $name {
            name: String,
            labels: BTreeMap<String, String>,
            max_concurrency: i64,
            agent: String,
            cluster: String,
            namespace: Option<String>,
            error_on_eviction: bool,
            spec: Option<PodSpec>,
            pipeline_run_spec: Option<Value>,
            tekton_pipeline_run_spec: Option<Value>,
            annotations: BTreeMap<String, String>,
            reporter_config: Option<ReporterConfig>,
            rerun_auth_config: Option<RerunAuthConfig>,
            hidden: bool,
            prowjob_defaults: Option<Value>,
            job_queue_name: String,
            decorate: Option<bool>,
            path_alias: String,
            clone_uri: String,
            skip_submodules: bool,
            clone_depth: i64,
            skip_fetch_head: bool,
            extra_refs: Vec<RefsConfig>,
            decoration_config: Option<Value>,
            $($field: $ty,)*
        }

        impl $name {
            fn take_base(&mut self) -> JobBase {
                use std::mem::take;
                JobBase {
                    name: take(&mut self.name),
                    labels: take(&mut self.labels),
                    max_concurrency: self.max_concurrency,
                    agent: take(&mut self.agent),
                    cluster: take(&mut self.cluster),
                    namespace: take(&mut self.namespace),
                    error_on_eviction: self.error_on_eviction,
                    spec: take(&mut self.spec).map(JobPodSpec::compacted),
                    pipeline_run_spec: take(&mut self.pipeline_run_spec),
                    tekton_pipeline_run_spec: take(&mut self.tekton_pipeline_run_spec),
                    annotations: take(&mut self.annotations),
                    reporter_config: take(&mut self.reporter_config),
                    rerun_auth_config: take(&mut self.rerun_auth_config),
                    hidden: self.hidden,
                    prowjob_defaults: take(&mut self.prowjob_defaults),
                    job_queue_name: take(&mut self.job_queue_name),
                    utility_config: UtilityConfig {
                        decorate: self.decorate,
                        path_alias: take(&mut self.path_alias),
                        clone_uri: take(&mut self.clone_uri),
                        skip_submodules: self.skip_submodules,
                        clone_depth: self.clone_depth,
                        skip_fetch_head: self.skip_fetch_head,
                        extra_refs: take(&mut self.extra_refs),
                        decoration_config: take(&mut self.decoration_config)
                            .map(std::sync::Arc::new),
                    },
                    source: JobSource::default(),
                }
            }
        }
    };
}

raw_job!(RawPresubmit {
    always_run: bool,
    optional: bool,
    trigger: String,
    rerun_command: String,
    run_before_merge: bool,
    skip_branches: Vec<String>,
    branches: Vec<String>,
    run_if_changed: String,
    skip_if_only_changed: String,
    context: String,
    skip_report: bool,
    jenkins_spec: Option<JenkinsSpec>,
});

raw_job!(RawPostsubmit {
    always_run: Option<bool>,
    skip_branches: Vec<String>,
    branches: Vec<String>,
    run_if_changed: String,
    skip_if_only_changed: String,
    context: String,
    skip_report: bool,
    jenkins_spec: Option<JenkinsSpec>,
});

raw_job!(RawPeriodic {
    interval: String,
    minimum_interval: String,
    cron: String,
    tags: Vec<String>,
    retry: Option<Retry>,
});

impl<'de> Deserialize<'de> for Presubmit {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut raw = RawPresubmit::deserialize(deserializer)?;
        let base = raw.take_base();
        Ok(Presubmit {
            base,
            always_run: raw.always_run,
            optional: raw.optional,
            trigger: raw.trigger,
            rerun_command: raw.rerun_command,
            run_before_merge: raw.run_before_merge,
            brancher: Brancher {
                skip_branches: raw.skip_branches,
                branches: raw.branches,
                ..Brancher::default()
            },
            change_matcher: RegexpChangeMatcher {
                run_if_changed: raw.run_if_changed,
                skip_if_only_changed: raw.skip_if_only_changed,
                re_changes: None,
            },
            reporter: Reporter {
                context: raw.context,
                skip_report: raw.skip_report,
            },
            jenkins_spec: raw.jenkins_spec,
            trigger_re: OnceLock::new(),
        })
    }
}

impl<'de> Deserialize<'de> for Postsubmit {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut raw = RawPostsubmit::deserialize(deserializer)?;
        let base = raw.take_base();
        Ok(Postsubmit {
            base,
            always_run: raw.always_run,
            change_matcher: RegexpChangeMatcher {
                run_if_changed: raw.run_if_changed,
                skip_if_only_changed: raw.skip_if_only_changed,
                re_changes: None,
            },
            brancher: Brancher {
                skip_branches: raw.skip_branches,
                branches: raw.branches,
                ..Brancher::default()
            },
            reporter: Reporter {
                context: raw.context,
                skip_report: raw.skip_report,
            },
            jenkins_spec: raw.jenkins_spec,
        })
    }
}

impl<'de> Deserialize<'de> for Periodic {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut raw = RawPeriodic::deserialize(deserializer)?;
        let base = raw.take_base();
        Ok(Periodic {
            base,
            interval: raw.interval,
            minimum_interval: raw.minimum_interval,
            cron: raw.cron,
            tags: raw.tags,
            retry: raw.retry,
            interval_duration: None,
            minimum_interval_duration: None,
        })
    }
}

/// Read access to the common part of any job type.
pub trait Job {
    /// The job's common fields.
    fn base(&self) -> &JobBase;
    /// Mutable access to the common fields.
    fn base_mut(&mut self) -> &mut JobBase;
    /// The job's name.
    fn name(&self) -> &str {
        &self.base().name
    }
}

impl Job for Presubmit {
    fn base(&self) -> &JobBase {
        &self.base
    }
    fn base_mut(&mut self) -> &mut JobBase {
        &mut self.base
    }
}

impl Job for Postsubmit {
    fn base(&self) -> &JobBase {
        &self.base
    }
    fn base_mut(&mut self) -> &mut JobBase {
        &mut self.base
    }
}

impl Job for Periodic {
    fn base(&self) -> &JobBase {
        &self.base
    }
    fn base_mut(&mut self) -> &mut JobBase {
        &mut self.base
    }
}
