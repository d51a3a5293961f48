//! Label and annotation keys Prow puts on ProwJobs and the Pods it creates (Prow's
//! `pkg/kube/prowjob.go`), and `labels_and_annotations_for_spec`
//! (Prow's `decorate.LabelsAndAnnotationsForSpec` in `pkg/pod-utils/decorate/podspec.go`).

use std::collections::BTreeMap;

use crate::ProwJobSpec;

/// On every resource Prow creates, value `"true"` (`CreatedByProw`).
pub const CREATED_BY_PROW: &str = "created-by-prow";
/// On jobs Tide triggered (`CreatedByTideLabel`).
pub const CREATED_BY_TIDE: &str = "created-by-tide";
/// The job type: presubmit, postsubmit, periodic or batch (`ProwJobTypeLabel`).
pub const PROW_JOB_TYPE: &str = "prow.k8s.io/type";
/// Name of the ProwJob a resource belongs to (`ProwJobIDLabel`).
pub const PROW_JOB_ID: &str = "prow.k8s.io/id";
/// Build ID from the ProwJob's status (`ProwBuildIDLabel`).
pub const PROW_BUILD_ID: &str = "prow.k8s.io/build-id";
/// The job name: the full name as annotation, truncated to 63 characters as label
/// (`ProwJobAnnotation`).
pub const PROW_JOB: &str = "prow.k8s.io/job";
/// The status context: full as annotation, truncated as label (`ContextAnnotation`).
pub const CONTEXT: &str = "prow.k8s.io/context";
/// Version of Prow that decorated the job (`PlankVersionLabel`).
pub const PLANK_VERSION: &str = "prow.k8s.io/plank-version";
/// Organization of the job's main refs (`OrgLabel`).
pub const REFS_ORG: &str = "prow.k8s.io/refs.org";
/// Repository of the job's main refs (`RepoLabel`).
pub const REFS_REPO: &str = "prow.k8s.io/refs.repo";
/// Base ref of the job's main refs (`BaseRefLabel`).
pub const REFS_BASE_REF: &str = "prow.k8s.io/refs.base_ref";
/// Number of the first pull request of the job's main refs (`PullLabel`).
pub const REFS_PULL: &str = "prow.k8s.io/refs.pull";
/// The job was created by a retest request (`RetestLabel`).
pub const RETEST: &str = "prow.k8s.io/retest";
/// Whether a presubmit is optional, `"true"` or `"false"` (`IsOptionalLabel`).
pub const IS_OPTIONAL: &str = "prow.k8s.io/is-optional";
/// Re-run counter of periodics configured to re-run (`ReRunLabel`).
pub const RE_RUN: &str = "prow.k8s.io/re-run";
/// GUID of the GitHub webhook delivery that triggered the job (`github.EventGUID`).
pub const EVENT_GUID: &str = "event-GUID";
/// Gerrit change ID (`GerritID`).
pub const GERRIT_ID: &str = "prow.k8s.io/gerrit-id";
/// Gerrit host URL (`GerritInstance`).
pub const GERRIT_INSTANCE: &str = "prow.k8s.io/gerrit-instance";
/// SHA of the Gerrit change's current patchset (`GerritRevision`).
pub const GERRIT_REVISION: &str = "prow.k8s.io/gerrit-revision";
/// Number of the Gerrit change's current patchset (`GerritPatchset`).
pub const GERRIT_PATCHSET: &str = "prow.k8s.io/gerrit-patchset";
/// Gerrit label Prow votes on (`GerritReportLabel`).
pub const GERRIT_REPORT_LABEL: &str = "prow.k8s.io/gerrit-report-label";

/// Name of the test container in a job's Pod (`kube.TestContainerName`).
pub const TEST_CONTAINER_NAME: &str = "test";

/// Maximum length of a label value (`validation.LabelValueMaxLength`).
pub const LABEL_VALUE_MAX_LENGTH: usize = 63;

/// Whether `value` is a valid Kubernetes label value: empty, or at most 63 characters of
/// `[A-Za-z0-9-_.]` starting and ending with an alphanumeric (`validation.IsValidLabelValue`).
pub fn is_valid_label_value(value: &str) -> bool {
    if value.is_empty() {
        return true;
    }
    let bytes = value.as_bytes();
    bytes.len() <= LABEL_VALUE_MAX_LENGTH
        && bytes[0].is_ascii_alphanumeric()
        && bytes[bytes.len() - 1].is_ascii_alphanumeric()
        && bytes
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

/// Prow's truncation of a job name or context for use as a label value: the first 63 bytes
/// with trailing `.`, `_` and `-` removed; values of at most 63 bytes are unchanged.
pub fn truncate_label_value(value: &str) -> String {
    if value.len() <= LABEL_VALUE_MAX_LENGTH {
        return value.to_owned();
    }
    // Go slices bytes; a label value is only valid as ASCII anyway, and a cut inside a
    // multi-byte character yields an invalid value that is dropped later, as in Prow.
    let cut = String::from_utf8_lossy(&value.as_bytes()[..LABEL_VALUE_MAX_LENGTH]).into_owned();
    cut.trim_end_matches(['.', '_', '-']).to_owned()
}

/// Go's `filepath.Base` on a Unix path.
fn path_base(path: &str) -> &str {
    if path.is_empty() {
        return ".";
    }
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return "/";
    }
    match trimmed.rfind('/') {
        Some(index) => &trimmed[index + 1..],
        None => trimmed,
    }
}

/// The labels and annotations Prow puts on a ProwJob (and, with the ProwJob's own labels
/// passed as `extra_labels`, on its Pod): `created-by-prow`, the job type, the job name and
/// context (full as annotations, truncated to 63 characters as labels), and org, repo,
/// base ref and first pull number of the main refs (`refs`, else the first extra ref).
///
/// `extra_labels` and `extra_annotations` win over the computed values. Every label value
/// that is not a valid label value is replaced by its last path element when that is valid
/// (e.g. a Gerrit org `https://host/x` becomes `x`) and dropped otherwise, exactly as Prow does.
pub fn labels_and_annotations_for_spec(
    spec: &ProwJobSpec,
    extra_labels: &BTreeMap<String, String>,
    extra_annotations: &BTreeMap<String, String>,
) -> (BTreeMap<String, String>, BTreeMap<String, String>) {
    let mut labels = BTreeMap::new();
    let mut annotations = BTreeMap::new();
    labels.insert(CREATED_BY_PROW.to_owned(), "true".to_owned());
    labels.insert(PROW_JOB_TYPE.to_owned(), spec.job_type.as_str().to_owned());
    for (key, value) in [(PROW_JOB, &spec.job), (CONTEXT, &spec.context)] {
        labels.insert(key.to_owned(), truncate_label_value(value));
        annotations.insert(key.to_owned(), value.clone());
    }
    if let Some(refs) = spec.main_refs() {
        labels.insert(REFS_ORG.to_owned(), refs.org.clone());
        labels.insert(REFS_REPO.to_owned(), refs.repo.clone());
        labels.insert(REFS_BASE_REF.to_owned(), refs.base_ref.clone());
        if let Some(pull) = refs.pulls.first() {
            labels.insert(REFS_PULL.to_owned(), pull.number.to_string());
        }
    }
    labels.extend(
        extra_labels
            .iter()
            .map(|(key, value)| (key.clone(), value.clone())),
    );
    labels = labels
        .into_iter()
        .filter_map(|(key, value)| {
            if is_valid_label_value(&value) {
                return Some((key, value));
            }
            let base = path_base(&value);
            is_valid_label_value(base).then(|| (key, base.to_owned()))
        })
        .collect();
    annotations.extend(
        extra_annotations
            .iter()
            .map(|(key, value)| (key.clone(), value.clone())),
    );
    (labels, annotations)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ProwJobType, Pull, Refs};

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn label_value_validity() {
        let cases = [
            ("", true),
            ("a", true),
            ("pull-kubernetes-e2e", true),
            ("release-1.30", true),
            ("a_b.c-d", true),
            ("-leading", false),
            ("trailing_", false),
            ("has space", false),
            ("has/slash", false),
            ("https://gerrit.example.com", false),
            (&"a".repeat(63), true),
            (&"a".repeat(64), false),
        ];
        for (value, valid) in cases {
            assert_eq!(is_valid_label_value(value), valid, "{value:?}");
        }
    }

    /// Name, spec, extra labels, expected labels, expected annotations.
    type LabelCase = (
        &'static str,
        ProwJobSpec,
        BTreeMap<String, String>,
        BTreeMap<String, String>,
        BTreeMap<String, String>,
    );

    // Cases mirror Prow's TestLabelsAndAnnotationsForSpec (pkg/pod-utils/decorate).
    #[test]
    fn labels_and_annotations() {
        let long_job =
            "periodic-ci-redhat-openshift-ecosystem-preflight-ocp-4.8-preflight-cluster-claim-aws";
        let cases: Vec<LabelCase> = vec![
            (
                "periodic without refs",
                ProwJobSpec::new(ProwJobType::Periodic, "job"),
                BTreeMap::new(),
                map(&[
                    (CREATED_BY_PROW, "true"),
                    (PROW_JOB_TYPE, "periodic"),
                    (PROW_JOB, "job"),
                    (CONTEXT, ""),
                ]),
                map(&[(PROW_JOB, "job"), (CONTEXT, "")]),
            ),
            (
                // The label value is the one Prow logged for this job in
                // openshift/ci-tools' preflight-trigger output ("Cannot use full value, will truncate").
                "long job name is truncated in the label only",
                ProwJobSpec::new(ProwJobType::Periodic, long_job),
                BTreeMap::new(),
                map(&[
                    (CREATED_BY_PROW, "true"),
                    (PROW_JOB_TYPE, "periodic"),
                    (
                        PROW_JOB,
                        "periodic-ci-redhat-openshift-ecosystem-preflight-ocp-4.8-prefli",
                    ),
                    (CONTEXT, ""),
                ]),
                map(&[(PROW_JOB, long_job), (CONTEXT, "")]),
            ),
            (
                "truncation drops trailing separators",
                ProwJobSpec::new(ProwJobType::Periodic, format!("{}-_.tail", "a".repeat(60))),
                BTreeMap::new(),
                map(&[
                    (CREATED_BY_PROW, "true"),
                    (PROW_JOB_TYPE, "periodic"),
                    (PROW_JOB, &"a".repeat(60)),
                    (CONTEXT, ""),
                ]),
                map(&[
                    (PROW_JOB, &format!("{}-_.tail", "a".repeat(60))),
                    (CONTEXT, ""),
                ]),
            ),
            (
                "presubmit with refs and extra labels",
                ProwJobSpec {
                    context: "ci/test".into(),
                    refs: Some(Refs {
                        org: "org".into(),
                        repo: "repo".into(),
                        base_ref: "main".into(),
                        pulls: vec![Pull {
                            number: 42,
                            ..Pull::default()
                        }],
                        ..Refs::default()
                    }),
                    ..ProwJobSpec::new(ProwJobType::Presubmit, "pull-job")
                },
                map(&[(IS_OPTIONAL, "false"), (PROW_JOB_TYPE, "overridden")]),
                map(&[
                    (CREATED_BY_PROW, "true"),
                    (PROW_JOB_TYPE, "overridden"),
                    (PROW_JOB, "pull-job"),
                    // "ci/test" is not a valid label value: Prow keeps its base name.
                    (CONTEXT, "test"),
                    (REFS_ORG, "org"),
                    (REFS_REPO, "repo"),
                    (REFS_BASE_REF, "main"),
                    (REFS_PULL, "42"),
                    (IS_OPTIONAL, "false"),
                ]),
                map(&[(PROW_JOB, "pull-job"), (CONTEXT, "ci/test")]),
            ),
            (
                "gerrit org becomes its base name, invalid values are dropped",
                ProwJobSpec {
                    extra_refs: vec![Refs {
                        org: "https://gerrit.example.com".into(),
                        repo: "platform/build".into(),
                        base_ref: "refs/heads/main branch".into(),
                        ..Refs::default()
                    }],
                    ..ProwJobSpec::new(ProwJobType::Postsubmit, "post-job")
                },
                BTreeMap::new(),
                map(&[
                    (CREATED_BY_PROW, "true"),
                    (PROW_JOB_TYPE, "postsubmit"),
                    (PROW_JOB, "post-job"),
                    (CONTEXT, ""),
                    (REFS_ORG, "gerrit.example.com"),
                    (REFS_REPO, "build"),
                ]),
                map(&[(PROW_JOB, "post-job"), (CONTEXT, "")]),
            ),
        ];
        for (name, spec, extra, want_labels, want_annotations) in cases {
            let extra_annotations = map(&[]);
            let (labels, annotations) =
                labels_and_annotations_for_spec(&spec, &extra, &extra_annotations);
            assert_eq!(labels, want_labels, "{name}: labels");
            assert_eq!(annotations, want_annotations, "{name}: annotations");
        }
    }

    #[test]
    fn extra_annotations_win() {
        let spec = ProwJobSpec::new(ProwJobType::Periodic, "job");
        let (_, annotations) = labels_and_annotations_for_spec(
            &spec,
            &BTreeMap::new(),
            &map(&[(PROW_JOB, "other"), ("x", "y")]),
        );
        assert_eq!(
            annotations,
            map(&[(PROW_JOB, "other"), (CONTEXT, ""), ("x", "y")])
        );
    }
}
