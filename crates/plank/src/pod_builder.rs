//! The Pod of a ProwJob, as Prow's `decorate.ProwJobToPod` builds it and plank's
//! `startPod` completes it. The single place where plank makes a Pod.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{EnvVar, Pod, PodSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use prow_api::labels::{self, TEST_CONTAINER_NAME};
use prow_api::{JobSpec, ProwJob, env_for_spec, labels_and_annotations_for_spec};

use crate::Error;
use prow_utils::decorate::{DecorationOptions, decorate_pod_spec};

/// The value of `prow.k8s.io/plank-version` on every Pod plank creates.
pub const PLANK_VERSION: &str = concat!("prow-rs-", env!("CARGO_PKG_VERSION"));

/// Termination message policy set where the job sets none, so a failed Pod's status
/// carries the end of its log (Prow's default).
const FALLBACK_TO_LOGS_ON_ERROR: &str = "FallbackToLogsOnError";

/// The Pod that runs `job` in `config.pod_namespace`. `job.status.build_id` must already
/// hold the run's build id (it goes into the labels and `BUILD_ID`).
///
/// - name = the ProwJob's name; labels and annotations: the ProwJob's own, then Prow's
///   computed ones (`created-by-prow`, job, type, refs, ...), `prow.k8s.io/id`,
///   `prow.k8s.io/build-id` and `prow.k8s.io/plank-version`;
/// - the job's PodSpec with `restartPolicy: Never`, a single container named `test`,
///   `automountServiceAccountToken: false` unless the job sets it or a service account;
/// - undecorated jobs: the job environment (`CI`, `JOB_SPEC`, `BUILD_ID`, ...) appended to
///   every container's env;
/// - termination message policy `FallbackToLogsOnError` where unset.
pub fn build_pod(
    job: &ProwJob,
    config: &prow_config::ProwConfig,
    decoration: &DecorationOptions,
) -> Result<Pod, Error> {
    let name = job.metadata.name.clone().unwrap_or_default();
    let mut spec: PodSpec = job
        .spec
        .pod_spec
        .clone()
        .ok_or_else(|| Error::MissingPodSpec { name: name.clone() })?;
    let job_spec = JobSpec::for_prowjob(job);
    let env = env_for_spec(&job_spec).map_err(|source| Error::JobEnv {
        name: name.clone(),
        source,
    })?;

    spec.restart_policy = Some("Never".into());
    if spec.containers.len() == 1 {
        spec.containers[0].name = TEST_CONTAINER_NAME.into();
    }
    let has_service_account = spec
        .service_account_name
        .as_deref()
        .is_some_and(|account| !account.is_empty());
    if spec.automount_service_account_token.is_none() && !has_service_account {
        spec.automount_service_account_token = Some(false);
    }

    if job.spec.decoration_config.is_none() {
        let job_env: Vec<EnvVar> = env
            .iter()
            .map(|(name, value)| EnvVar {
                name: name.clone(),
                value: Some(value.clone()),
                value_from: None,
            })
            .collect();
        for container in &mut spec.containers {
            container
                .env
                .get_or_insert_with(Vec::new)
                .extend(job_env.iter().cloned());
        }
    } else {
        // Decorated jobs: the pod utilities (clonerefs, initupload, entrypoint, sidecar
        // and their volumes) as Prow's `decorate`, which also gives the test containers
        // the job environment.
        decorate_pod_spec(&mut spec, job, decoration).map_err(|source| Error::Decorate {
            name: name.clone(),
            source,
        })?;
    }

    for container in spec
        .init_containers
        .iter_mut()
        .flatten()
        .chain(spec.containers.iter_mut())
    {
        if container.termination_message_policy.is_none() {
            container.termination_message_policy = Some(FALLBACK_TO_LOGS_ON_ERROR.into());
        }
    }

    let mut extra_labels = job.metadata.labels.clone().unwrap_or_default();
    extra_labels.insert(labels::PROW_JOB_ID.into(), name.clone());
    extra_labels.insert(
        labels::PROW_BUILD_ID.into(),
        job.status
            .as_ref()
            .map(|status| status.build_id.clone())
            .unwrap_or_default(),
    );
    let extra_annotations = job.metadata.annotations.clone().unwrap_or_default();
    let (mut pod_labels, annotations) =
        labels_and_annotations_for_spec(&job.spec, &extra_labels, &extra_annotations);
    pod_labels.insert(labels::PLANK_VERSION.into(), PLANK_VERSION.into());

    Ok(Pod {
        metadata: ObjectMeta {
            name: Some(name),
            namespace: Some(config.pod_namespace.clone()),
            labels: Some(pod_labels),
            annotations: Some(annotations),
            ..ObjectMeta::default()
        },
        spec: Some(spec),
        status: None,
    })
}

/// The build id of an existing Pod: its `prow.k8s.io/build-id` label, else the `BUILD_ID`
/// env of its first container (Pods made by old Prow versions), else empty (Prow's
/// `getPodBuildID`).
pub fn pod_build_id(pod: &Pod) -> String {
    let from_label = pod
        .metadata
        .labels
        .as_ref()
        .and_then(|labels: &BTreeMap<String, String>| labels.get(labels::PROW_BUILD_ID))
        .filter(|id| !id.is_empty());
    if let Some(id) = from_label {
        return id.clone();
    }
    pod.spec
        .as_ref()
        .and_then(|spec| spec.containers.first())
        .and_then(|container| container.env.as_ref())
        .and_then(|env| {
            env.iter()
                .find(|var| var.name == prow_api::job_env::BUILD_ID)
        })
        .and_then(|var| var.value.clone())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A presubmit as Prow's trigger creates it (fixture shaped after Prow's own
    /// `TestProwJobToPod` case for kubernetes/test-infra PR 1).
    fn presubmit(pod_spec: serde_json::Value) -> ProwJob {
        let job: ProwJob = serde_json::from_value(serde_json::json!({
            "apiVersion": "prow.k8s.io/v1",
            "kind": "ProwJob",
            "metadata": {
                "name": "pod",
                "namespace": "prow",
                "labels": {"needstobe": "inherited", "created-by-prow": "true"},
                "annotations": {"annotation": "foo"},
            },
            "spec": {
                "type": "presubmit",
                "agent": "kubernetes",
                "job": "job-name",
                "context": "job-context",
                "refs": {
                    "org": "org-name", "repo": "repo-name",
                    "base_ref": "base-ref", "base_sha": "base-sha",
                    "pulls": [{"number": 1, "author": "author-name", "sha": "pull-sha",
                               "title": "pull-title", "head_ref": "orig-branch-name"}],
                },
                "pod_spec": pod_spec,
            },
            "status": {"state": "pending", "build_id": "blabla"},
        }))
        .expect("ProwJob fixture");
        job
    }

    fn container_env(pod: &Pod) -> Vec<(String, String)> {
        let spec = pod.spec.as_ref().expect("spec");
        spec.containers[0]
            .env
            .clone()
            .unwrap_or_default()
            .into_iter()
            .map(|var| (var.name, var.value.unwrap_or_default()))
            .collect()
    }

    #[test]
    fn an_undecorated_presubmit_gets_prows_env_labels_and_annotations() {
        let job = presubmit(serde_json::json!({
            "containers": [{"image": "tester", "env": [{"name": "MY_ENV", "value": "rocks"}]}]
        }));
        let config = prow_config::ProwConfig {
            pod_namespace: "test-pods".into(),
            ..prow_config::ProwConfig::default()
        };
        let pod = build_pod(&job, &config, &DecorationOptions::default()).expect("pod");

        assert_eq!(pod.metadata.name.as_deref(), Some("pod"));
        assert_eq!(pod.metadata.namespace.as_deref(), Some("test-pods"));
        let want_labels: BTreeMap<String, String> = [
            ("created-by-prow", "true"),
            ("needstobe", "inherited"),
            ("prow.k8s.io/build-id", "blabla"),
            ("prow.k8s.io/context", "job-context"),
            ("prow.k8s.io/id", "pod"),
            ("prow.k8s.io/job", "job-name"),
            ("prow.k8s.io/plank-version", PLANK_VERSION),
            ("prow.k8s.io/refs.base_ref", "base-ref"),
            ("prow.k8s.io/refs.org", "org-name"),
            ("prow.k8s.io/refs.pull", "1"),
            ("prow.k8s.io/refs.repo", "repo-name"),
            ("prow.k8s.io/type", "presubmit"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        assert_eq!(pod.metadata.labels.clone().unwrap_or_default(), want_labels);
        let want_annotations: BTreeMap<String, String> = [
            ("annotation", "foo"),
            ("prow.k8s.io/context", "job-context"),
            ("prow.k8s.io/job", "job-name"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        assert_eq!(
            pod.metadata.annotations.clone().unwrap_or_default(),
            want_annotations
        );

        let spec = pod.spec.clone().expect("spec");
        assert_eq!(spec.restart_policy.as_deref(), Some("Never"));
        assert_eq!(spec.automount_service_account_token, Some(false));
        assert_eq!(spec.containers[0].name, "test");
        assert_eq!(
            spec.containers[0].termination_message_policy.as_deref(),
            Some("FallbackToLogsOnError")
        );
        let job_spec = concat!(
            r#"{"type":"presubmit","job":"job-name","buildid":"blabla","prowjobid":"pod","#,
            r#""refs":{"org":"org-name","repo":"repo-name","base_ref":"base-ref","#,
            r#""base_sha":"base-sha","pulls":[{"number":1,"author":"author-name","#,
            r#""sha":"pull-sha","title":"pull-title","head_ref":"orig-branch-name"}]}}"#
        );
        let want_env: Vec<(String, String)> = [
            ("MY_ENV", "rocks"),
            ("BUILD_ID", "blabla"),
            ("BUILD_NUMBER", "blabla"),
            ("CI", "true"),
            ("JOB_NAME", "job-name"),
            ("JOB_SPEC", job_spec),
            ("JOB_TYPE", "presubmit"),
            ("PROW_JOB_ID", "pod"),
            ("PULL_BASE_REF", "base-ref"),
            ("PULL_BASE_SHA", "base-sha"),
            ("PULL_HEAD_REF", "orig-branch-name"),
            ("PULL_NUMBER", "1"),
            ("PULL_PULL_SHA", "pull-sha"),
            ("PULL_REFS", "base-ref:base-sha,1:pull-sha"),
            ("PULL_TITLE", "pull-title"),
            ("REPO_NAME", "repo-name"),
            ("REPO_OWNER", "org-name"),
            ("SRC_BASE", "org-name/repo-name"),
            ("SRC_HOST", "github.com"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        assert_eq!(container_env(&pod), want_env);
    }

    #[test]
    fn service_account_token_and_container_names_follow_prow() {
        // (pod spec, automount, first container name)
        let cases = [
            (
                serde_json::json!({"containers": [{"name": "x"}]}),
                Some(false),
                "test",
            ),
            (
                serde_json::json!({"serviceAccountName": "robot", "containers": [{"name": "x"}]}),
                None,
                "test",
            ),
            (
                serde_json::json!({"automountServiceAccountToken": true, "containers": [{"name": "x"}]}),
                Some(true),
                "test",
            ),
            (
                serde_json::json!({"containers": [{"name": "a"}, {"name": "b"}]}),
                Some(false),
                "a",
            ),
        ];
        for (pod_spec, automount, first) in cases {
            let pod = build_pod(
                &presubmit(pod_spec.clone()),
                &prow_config::ProwConfig::default(),
                &DecorationOptions::default(),
            )
            .expect("pod");
            let spec = pod.spec.expect("spec");
            assert_eq!(
                spec.automount_service_account_token, automount,
                "{pod_spec}"
            );
            assert_eq!(spec.containers[0].name, first, "{pod_spec}");
        }
    }

    #[test]
    fn a_job_without_pod_spec_or_refs_cannot_be_built() {
        let mut job = presubmit(serde_json::json!({"containers": [{"name": "x"}]}));
        job.spec.pod_spec = None;
        let err = build_pod(
            &job,
            &prow_config::ProwConfig::default(),
            &DecorationOptions::default(),
        )
        .expect_err("no spec");
        assert_eq!(err.variant_name(), "MissingPodSpec");
        let mut job = presubmit(serde_json::json!({"containers": [{"name": "x"}]}));
        job.spec.refs = None;
        let err = build_pod(
            &job,
            &prow_config::ProwConfig::default(),
            &DecorationOptions::default(),
        )
        .expect_err("no refs");
        assert_eq!(err.variant_name(), "JobEnv");
    }

    #[test]
    fn build_id_comes_from_the_label_then_the_env() {
        let job = presubmit(serde_json::json!({"containers": [{"name": "x"}]}));
        let mut pod = build_pod(
            &job,
            &prow_config::ProwConfig::default(),
            &DecorationOptions::default(),
        )
        .expect("pod");
        assert_eq!(pod_build_id(&pod), "blabla");
        if let Some(labels) = pod.metadata.labels.as_mut() {
            labels.remove(labels::PROW_BUILD_ID);
        }
        assert_eq!(pod_build_id(&pod), "blabla");
        pod.spec = None;
        assert_eq!(pod_build_id(&pod), "");
    }
}
