//! `status.url` as Prow's `pjutil.JobURL` computes it: for a decorated job whose repository
//! has a `plank.job_url_prefix_config` entry, the prefix + storage provider + bucket + the
//! run's storage path; otherwise `plank.job_url_template` executed over the ProwJob.

use prow_api::{JobSpec, ProwJob, Pull, Refs};
use serde_json::{Value, json};

use crate::go_template::{Template, TemplateError};

/// The job URL settings of `plank`, with the template parsed once.
#[derive(Debug, Clone)]
pub struct JobUrlConfig {
    template: Option<Template>,
    plank: prow_config::Plank,
}

impl JobUrlConfig {
    /// Parses `plank.job_url_template`; a template using features prow-rs does not
    /// implement is an error naming the feature.
    pub fn new(plank: &prow_config::Plank) -> Result<Self, TemplateError> {
        let template = if plank.job_url_template.is_empty() {
            None
        } else {
            Some(Template::parse(&plank.job_url_template)?)
        };
        Ok(JobUrlConfig {
            template,
            plank: plank.clone(),
        })
    }

    /// The job URL prefix that applies to `job` (`job_url_prefix_config` by org/repo).
    fn prefix_for(&self, job: &ProwJob) -> &str {
        match &job.spec.refs {
            Some(refs) => self.plank.job_url_prefix_for(&refs.org, &refs.repo),
            None => self.plank.job_url_prefix_for("", ""),
        }
    }

    /// The URL of `job`'s run (its `status.build_id` must be set). Empty when neither a
    /// prefix nor a template applies.
    pub fn job_url(&self, job: &ProwJob) -> Result<String, TemplateError> {
        let prefix = self.prefix_for(job);
        if let Some(decoration) = &job.spec.decoration_config
            && !prefix.is_empty()
        {
            let spec = JobSpec::for_prowjob(job);
            let gcs = decoration.gcs_configuration.clone().unwrap_or_default();
            // Prow's `jobURLPrefixDisableAppendStorageProvider` is not typed in prow-config
            // yet: the storage provider is always appended (Prow's default).
            return prow_api::storage_path::job_url(prefix, false, &gcs, &spec)
                .map_err(|e| TemplateError::Execute(format!("calculating job url: {e}")));
        }
        match &self.template {
            Some(template) => template.execute(&template_data(job)),
            None => Ok(String::new()),
        }
    }
}

fn time_value(time: Option<&k8s_openapi::apimachinery::pkg::apis::meta::v1::Time>) -> Value {
    time.map_or(Value::Null, |t| Value::String(t.0.to_string()))
}

fn pull_value(pull: &Pull) -> Value {
    json!({
        "Number": pull.number,
        "Author": pull.author,
        "SHA": pull.sha,
        "Title": pull.title,
        "Ref": pull.git_ref,
        "HeadRef": pull.head_ref,
        "Link": pull.link,
        "CommitLink": pull.commit_link,
        "AuthorLink": pull.author_link,
    })
}

fn refs_value(refs: &Refs) -> Value {
    json!({
        "Org": refs.org,
        "Repo": refs.repo,
        "RepoLink": refs.repo_link,
        "BaseRef": refs.base_ref,
        "BaseSHA": refs.base_sha,
        "BaseLink": refs.base_link,
        "Pulls": refs.pulls.iter().map(pull_value).collect::<Vec<_>>(),
        "PathAlias": refs.path_alias,
        "WorkDir": refs.workdir,
        "CloneURI": refs.clone_uri,
    })
}

/// The ProwJob as Go's template engine sees it: Go field names (`.Spec.Refs.Org`,
/// `.Status.BuildID`, `.ObjectMeta.Name` and the promoted `.Name`), nil pointers as null.
pub fn template_data(job: &ProwJob) -> Value {
    let spec = &job.spec;
    let status = job
        .status
        .clone()
        .unwrap_or_else(|| prow_api::ProwJobStatus::new(prow_api::ProwJobState::Triggered));
    let meta = json!({
        "Name": job.metadata.name.clone().unwrap_or_default(),
        "Namespace": job.metadata.namespace.clone().unwrap_or_default(),
        "Labels": job.metadata.labels.clone().unwrap_or_default(),
        "Annotations": job.metadata.annotations.clone().unwrap_or_default(),
    });
    json!({
        "Name": meta["Name"],
        "Namespace": meta["Namespace"],
        "Labels": meta["Labels"],
        "Annotations": meta["Annotations"],
        "ObjectMeta": meta,
        "Spec": {
            "Type": spec.job_type.as_str(),
            "Agent": spec.agent.unwrap_or_default().as_str(),
            "Cluster": spec.cluster,
            "Namespace": spec.namespace,
            "Job": spec.job,
            "Refs": spec.refs.as_ref().map_or(Value::Null, refs_value),
            "ExtraRefs": spec.extra_refs.iter().map(refs_value).collect::<Vec<_>>(),
            "Report": spec.report,
            "Context": spec.context,
            "RerunCommand": spec.rerun_command,
            "MaxConcurrency": spec.max_concurrency,
            "ErrorOnEviction": spec.error_on_eviction,
            "Hidden": spec.hidden,
            "JobQueueName": spec.job_queue_name,
        },
        "Status": {
            "StartTime": time_value(status.start_time.as_ref()),
            "PendingTime": time_value(status.pending_time.as_ref()),
            "CompletionTime": time_value(status.completion_time.as_ref()),
            "State": status.state.as_str(),
            "Description": status.description,
            "URL": status.url,
            "PodName": status.pod_name,
            "PodRevivalCount": status.pod_revival_count,
            "BuildID": status.build_id,
            "JenkinsBuildID": status.jenkins_build_id,
            "PrevReportStates": status.prev_report_states,
        },
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use prow_api::{ProwJobSpec, ProwJobState, ProwJobStatus, ProwJobType};

    use super::*;

    const CORPUS: &str = "../../../shared/corpus/prow-configs";

    /// The `plank` section of a corpus config, read by prow-config's loader exactly as
    /// plank reads it at run time.
    fn corpus_plank(path: &str) -> prow_config::Plank {
        let file = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(CORPUS)
            .join(path);
        let loaded = prow_config::load(&prow_config::LoadOptions {
            config_path: file.clone(),
            job_config_path: None,
            plugin_config_path: None,
        })
        .unwrap_or_else(|e| panic!("load {}: {e}", file.display()));
        loaded.config.prow.plank
    }

    fn job(job_type: ProwJobType, refs: Option<(&str, &str, u64)>) -> ProwJob {
        let mut spec = ProwJobSpec::new(job_type, "pull-test-infra-unit-test");
        spec.refs = refs.map(|(org, repo, number)| Refs {
            org: org.into(),
            repo: repo.into(),
            base_ref: "master".into(),
            pulls: if number == 0 {
                vec![]
            } else {
                vec![Pull {
                    number,
                    ..Pull::default()
                }]
            },
            ..Refs::default()
        });
        let mut job = ProwJob::new("0d1b0f1c", spec);
        job.status = Some(ProwJobStatus {
            build_id: "1780000000000000000".into(),
            ..ProwJobStatus::new(ProwJobState::Pending)
        });
        job
    }

    #[test]
    fn corpus_templates_render_as_prow_renders_them() {
        let k8s = corpus_plank("kubernetes/test-infra/config/prow/config.yaml");
        let istio = corpus_plank("istio/test-infra/prow/gcp/config.yaml");
        let knative = corpus_plank("knative/infra/prow/config.yaml");
        let build = "1780000000000000000";
        let cases = [
            (
                &k8s,
                job(
                    ProwJobType::Presubmit,
                    Some(("kubernetes", "test-infra", 123)),
                ),
                format!(
                    "https://prow.k8s.io/view/gs/kubernetes-ci-logs/pr-logs/pull/test-infra/123/pull-test-infra-unit-test/{build}/"
                ),
            ),
            (
                &k8s,
                job(ProwJobType::Presubmit, Some(("kubernetes-sigs", "kind", 7))),
                format!(
                    "https://prow.k8s.io/view/gs/kubernetes-ci-logs/pr-logs/pull/sigs.k8s.io_kind/7/pull-test-infra-unit-test/{build}/"
                ),
            ),
            (
                &k8s,
                job(ProwJobType::Periodic, None),
                format!(
                    "https://prow.k8s.io/view/gs/kubernetes-ci-logs/logs/pull-test-infra-unit-test/{build}/"
                ),
            ),
            (
                &k8s,
                job(ProwJobType::Batch, Some(("kubernetes", "kubernetes", 0))),
                format!(
                    "https://prow.k8s.io/view/gs/kubernetes-ci-logs/pr-logs/pull/batch/pull-test-infra-unit-test/{build}/"
                ),
            ),
            (
                &istio,
                job(ProwJobType::Presubmit, Some(("istio", "istio", 9))),
                format!(
                    "https://prow.istio.io/view/istio-prow/pr-logs/pull/istio_istio/9/pull-test-infra-unit-test/{build}"
                ),
            ),
            (
                &knative,
                job(ProwJobType::Postsubmit, Some(("knative", "serving", 0))),
                format!(
                    "https://prow.knative.dev/view/gcs/knative-prow/logs/pull-test-infra-unit-test/{build}/"
                ),
            ),
        ];
        for (plank, job, want) in cases {
            let config = JobUrlConfig::new(plank).expect("corpus template parses");
            assert_eq!(config.job_url(&job).expect("render"), want);
        }
    }

    #[test]
    fn decorated_jobs_with_a_prefix_use_the_storage_path() {
        let mut plank = prow_config::Plank::default();
        plank
            .job_url_prefix_config
            .insert("*".into(), "https://prow.example.com/view/".into());
        plank.job_url_template = "https://template/{{.Status.BuildID}}".into();
        let config = JobUrlConfig::new(&plank).expect("parse");
        let mut decorated = job(ProwJobType::Presubmit, Some(("org", "repo", 5)));
        decorated.spec.decoration_config = Some(prow_api::DecorationConfig {
            gcs_configuration: Some(prow_api::GcsConfiguration {
                bucket: "gs://bucket".into(),
                path_strategy: "explicit".into(),
                ..Default::default()
            }),
            ..Default::default()
        });
        assert_eq!(
            config.job_url(&decorated).expect("url"),
            "https://prow.example.com/view/gs/bucket/pr-logs/pull/org_repo/5/pull-test-infra-unit-test/1780000000000000000"
        );
        let plain = job(ProwJobType::Presubmit, Some(("org", "repo", 5)));
        assert_eq!(
            config.job_url(&plain).expect("url"),
            "https://template/1780000000000000000"
        );
        let none = JobUrlConfig::new(&prow_config::Plank::default()).expect("parse");
        assert_eq!(none.job_url(&plain).expect("url"), "");
    }
}
