//! The environment contract between Prow and a job (Prow's `pkg/pod-utils/downwardapi`):
//! the `JOB_SPEC` JSON and the individual variables derived from it.

use serde::{Deserialize, Serialize};

use crate::{DecorationConfig, Error, ProwJobAgent, ProwJobSpec, ProwJobType, Refs, pull_refs};

/// `CI`, always `"true"`.
pub const CI: &str = "CI";
/// The whole [`JobSpec`] as JSON.
pub const JOB_SPEC: &str = "JOB_SPEC";
/// Name of the job.
pub const JOB_NAME: &str = "JOB_NAME";
/// Type of the job (presubmit, postsubmit, periodic, batch).
pub const JOB_TYPE: &str = "JOB_TYPE";
/// Name of the ProwJob.
pub const PROW_JOB_ID: &str = "PROW_JOB_ID";
/// Build ID of the run.
pub const BUILD_ID: &str = "BUILD_ID";
/// Build ID again, for jobs with the kubernetes agent only (deprecated by Prow).
pub const BUILD_NUMBER: &str = "BUILD_NUMBER";
/// Organization of the main refs.
pub const REPO_OWNER: &str = "REPO_OWNER";
/// Repository of the main refs.
pub const REPO_NAME: &str = "REPO_NAME";
/// Path of the repository under its host, e.g. `org/repo`.
pub const SRC_BASE: &str = "SRC_BASE";
/// Host of the repository, e.g. `github.com`.
pub const SRC_HOST: &str = "SRC_HOST";
/// Base branch.
pub const PULL_BASE_REF: &str = "PULL_BASE_REF";
/// Base commit SHA.
pub const PULL_BASE_SHA: &str = "PULL_BASE_SHA";
/// All refs as one string, see [`pull_refs`].
pub const PULL_REFS: &str = "PULL_REFS";
/// Number of the (first) pull request.
pub const PULL_NUMBER: &str = "PULL_NUMBER";
/// Head SHA of the (first) pull request.
pub const PULL_PULL_SHA: &str = "PULL_PULL_SHA";
/// Head branch of the (first) pull request.
pub const PULL_HEAD_REF: &str = "PULL_HEAD_REF";
/// Title of the (first) pull request.
pub const PULL_TITLE: &str = "PULL_TITLE";

/// The host used for `SRC_HOST` when the refs name none (`github.DefaultHost`).
pub const DEFAULT_SOURCE_HOST: &str = "github.com";

/// The downward API a job sees (`downwardapi.JobSpec`): serialized as `JOB_SPEC` with
/// exactly Prow's field names and order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobSpec {
    /// Job type.
    #[serde(rename = "type")]
    pub job_type: ProwJobType,
    /// Job name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub job: String,
    /// Build ID of the run.
    #[serde(default, rename = "buildid", skip_serializing_if = "String::is_empty")]
    pub build_id: String,
    /// Name of the ProwJob.
    #[serde(
        default,
        rename = "prowjobid",
        skip_serializing_if = "String::is_empty"
    )]
    pub prow_job_id: String,
    /// The code under test.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refs: Option<Refs>,
    /// Additional repositories.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra_refs: Vec<Refs>,
    /// Decoration settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decoration_config: Option<DecorationConfig>,
    /// The agent; not serialized, only decides whether `BUILD_NUMBER` is set.
    #[serde(skip)]
    pub agent: Option<ProwJobAgent>,
}

impl JobSpec {
    /// The job spec for a run of `spec` with `build_id`, as the ProwJob named `prow_job_id`
    /// (Prow's `NewJobSpec`).
    pub fn new(
        spec: &ProwJobSpec,
        build_id: impl Into<String>,
        prow_job_id: impl Into<String>,
    ) -> Self {
        Self {
            job_type: spec.job_type,
            job: spec.job.clone(),
            build_id: build_id.into(),
            prow_job_id: prow_job_id.into(),
            refs: spec.refs.clone(),
            extra_refs: spec.extra_refs.clone(),
            decoration_config: spec.decoration_config.clone(),
            agent: spec.agent,
        }
    }

    /// The job spec of a ProwJob: its spec, `status.build_id` and its name (how plank calls
    /// `NewJobSpec`).
    pub fn for_prowjob(job: &crate::ProwJob) -> Self {
        let build_id = job
            .status
            .as_ref()
            .map(|status| status.build_id.clone())
            .unwrap_or_default();
        Self::new(
            &job.spec,
            build_id,
            job.metadata.name.clone().unwrap_or_default(),
        )
    }

    /// The `JOB_SPEC` value: this spec as JSON, byte for byte what Go's `json.Marshal`
    /// writes (including its escaping of `<`, `>`, `&`, U+2028 and U+2029).
    pub fn to_json(&self) -> Result<String, Error> {
        let json = serde_json::to_string(self).map_err(|source| Error::SerializeJson {
            what: "JOB_SPEC",
            source,
        })?;
        Ok(escape_like_go(&json))
    }

    /// The refs that identify the job's main repository: `refs`, or else the first extra
    /// ref that is not auxiliary (Prow's `mainRefs`).
    pub fn main_refs(&self) -> Option<&Refs> {
        self.refs
            .as_ref()
            .or_else(|| self.extra_refs.iter().find(|refs| !refs.auxiliary))
    }
}

/// Go's `encoding/json` HTML-safe escaping, applied to already-serialized JSON. The
/// characters only ever occur inside JSON strings, so replacing them everywhere is exact.
fn escape_like_go(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// `SRC_HOST` and `SRC_BASE` for refs, from `path_alias`, else `repo_link`, else
/// `github.com` and `org/repo` (mirrors Prow's `clone.PathForRefs`).
fn source_host_and_base(refs: &Refs) -> (String, String) {
    let default_base = format!("{}/{}", refs.org, refs.repo);
    let location = if !refs.path_alias.is_empty() {
        refs.path_alias.as_str()
    } else if !refs.repo_link.is_empty() {
        refs.repo_link.rsplit("://").next().unwrap_or_default()
    } else {
        return (DEFAULT_SOURCE_HOST.to_owned(), default_base);
    };
    match location.split_once('/') {
        Some((host, base)) => (host.to_owned(), base.to_owned()),
        None => (location.to_owned(), default_base),
    }
}

/// The environment variables Prow sets for a job, sorted by name (Prow's `EnvForSpec`):
/// `CI`, `JOB_NAME`, `JOB_TYPE`, `JOB_SPEC`, `BUILD_ID`, `PROW_JOB_ID` (and `BUILD_NUMBER`
/// for the kubernetes agent) for every job; plus `REPO_OWNER`, `REPO_NAME`, `SRC_HOST`,
/// `SRC_BASE`, `PULL_BASE_REF`, `PULL_BASE_SHA`, `PULL_REFS` for all but periodics; plus
/// `PULL_NUMBER`, `PULL_PULL_SHA`, `PULL_HEAD_REF`, `PULL_TITLE` for presubmits.
///
/// Where Prow would dereference a missing `refs` or pull and panic, this returns
/// [`Error::MissingRefs`] or [`Error::MissingPull`].
pub fn env_for_spec(spec: &JobSpec) -> Result<Vec<(String, String)>, Error> {
    let mut env = vec![
        (CI, "true".to_owned()),
        (JOB_NAME, spec.job.clone()),
        (BUILD_ID, spec.build_id.clone()),
        (PROW_JOB_ID, spec.prow_job_id.clone()),
        (JOB_TYPE, spec.job_type.as_str().to_owned()),
        (JOB_SPEC, spec.to_json()?),
    ];
    if spec.agent == Some(ProwJobAgent::Kubernetes) {
        env.push((BUILD_NUMBER, spec.build_id.clone()));
    }
    if spec.job_type != ProwJobType::Periodic {
        let refs = spec.refs.as_ref().ok_or(Error::MissingRefs {
            job_type: spec.job_type,
        })?;
        let (host, base) = source_host_and_base(refs);
        env.extend([
            (REPO_OWNER, refs.org.clone()),
            (REPO_NAME, refs.repo.clone()),
            (SRC_HOST, host),
            (SRC_BASE, base),
            (PULL_BASE_REF, refs.base_ref.clone()),
            (PULL_BASE_SHA, refs.base_sha.clone()),
            (PULL_REFS, pull_refs(refs)),
        ]);
        if spec.job_type == ProwJobType::Presubmit {
            let pull = refs.pulls.first().ok_or(Error::MissingPull)?;
            env.extend([
                (PULL_NUMBER, pull.number.to_string()),
                (PULL_PULL_SHA, pull.sha.clone()),
                (PULL_HEAD_REF, pull.head_ref.clone()),
                (PULL_TITLE, pull.title.clone()),
            ]);
        }
    }
    let mut env: Vec<(String, String)> = env
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect();
    env.sort();
    Ok(env)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::Pull;

    fn refs(org: &str, repo: &str, base_ref: &str, base_sha: &str) -> Refs {
        Refs {
            org: org.into(),
            repo: repo.into(),
            base_ref: base_ref.into(),
            base_sha: base_sha.into(),
            ..Refs::default()
        }
    }

    fn spec(job_type: ProwJobType, refs: Option<Refs>, agent: Option<ProwJobAgent>) -> JobSpec {
        JobSpec {
            job_type,
            job: "job-name".into(),
            build_id: "0".into(),
            prow_job_id: "prowjob".into(),
            refs,
            extra_refs: Vec::new(),
            decoration_config: None,
            agent,
        }
    }

    /// Name, spec, expected variables.
    type EnvCase = (&'static str, JobSpec, Vec<(&'static str, String)>);

    // The table of Prow's TestEnvironmentForSpec (pkg/pod-utils/downwardapi/jobspec_test.go).
    #[test]
    fn env_matches_prow() {
        let base = |job_type: &str, job_spec: &str| {
            vec![
                ("CI", "true".to_owned()),
                ("JOB_NAME", "job-name".to_owned()),
                ("BUILD_ID", "0".to_owned()),
                ("PROW_JOB_ID", "prowjob".to_owned()),
                ("JOB_TYPE", job_type.to_owned()),
                ("JOB_SPEC", job_spec.to_owned()),
            ]
        };
        let with_refs =
            |mut env: Vec<(&'static str, String)>, base_name: &str, host: &str, refs: &str| {
                env.extend([
                    ("REPO_OWNER", "org-name".to_owned()),
                    ("REPO_NAME", "repo-name".to_owned()),
                    ("SRC_BASE", base_name.to_owned()),
                    ("SRC_HOST", host.to_owned()),
                    ("PULL_BASE_REF", "base-ref".to_owned()),
                    ("PULL_BASE_SHA", "base-sha".to_owned()),
                    ("PULL_REFS", refs.to_owned()),
                ]);
                env
            };
        let pull = |number: u64, author: &str, sha: &str, head_ref: &str, title: &str| Pull {
            number,
            author: author.into(),
            sha: sha.into(),
            head_ref: head_ref.into(),
            title: title.into(),
            ..Pull::default()
        };
        let plain_refs = refs("org-name", "repo-name", "base-ref", "base-sha");

        let mut batch_refs = plain_refs.clone();
        batch_refs.pulls = vec![
            pull(1, "author-name", "pull-sha", "branch-name-1", ""),
            pull(
                2,
                "other-author-name",
                "second-pull-sha",
                "branch-name-2",
                "",
            ),
        ];
        let mut presubmit_refs = plain_refs.clone();
        presubmit_refs.pulls = vec![pull(
            1,
            "author-name",
            "pull-sha",
            "branch-name",
            "pull-title",
        )];
        let mut alias_refs = plain_refs.clone();
        alias_refs.path_alias = "k8s.io/repo-name".into();
        let mut link_refs = plain_refs.clone();
        link_refs.repo_link = "https://gitlab.com/org-name/repo-name".into();

        let periodic_json =
            r#"{"type":"periodic","job":"job-name","buildid":"0","prowjobid":"prowjob"}"#;
        let mut kubernetes_env = base("periodic", periodic_json);
        kubernetes_env.push(("BUILD_NUMBER", "0".to_owned()));
        let mut presubmit_env = with_refs(
            base(
                "presubmit",
                r#"{"type":"presubmit","job":"job-name","buildid":"0","prowjobid":"prowjob","refs":{"org":"org-name","repo":"repo-name","base_ref":"base-ref","base_sha":"base-sha","pulls":[{"number":1,"author":"author-name","sha":"pull-sha","title":"pull-title","head_ref":"branch-name"}]}}"#,
            ),
            "org-name/repo-name",
            "github.com",
            "base-ref:base-sha,1:pull-sha",
        );
        presubmit_env.extend([
            ("PULL_HEAD_REF", "branch-name".to_owned()),
            ("PULL_NUMBER", "1".to_owned()),
            ("PULL_PULL_SHA", "pull-sha".to_owned()),
            ("PULL_TITLE", "pull-title".to_owned()),
        ]);

        let cases: Vec<EnvCase> = vec![
            (
                "periodic job",
                spec(ProwJobType::Periodic, None, None),
                base("periodic", periodic_json),
            ),
            (
                "postsubmit job",
                spec(ProwJobType::Postsubmit, Some(plain_refs.clone()), None),
                with_refs(
                    base(
                        "postsubmit",
                        r#"{"type":"postsubmit","job":"job-name","buildid":"0","prowjobid":"prowjob","refs":{"org":"org-name","repo":"repo-name","base_ref":"base-ref","base_sha":"base-sha"}}"#,
                    ),
                    "org-name/repo-name",
                    "github.com",
                    "base-ref:base-sha",
                ),
            ),
            (
                "batch job",
                spec(ProwJobType::Batch, Some(batch_refs), None),
                with_refs(
                    base(
                        "batch",
                        r#"{"type":"batch","job":"job-name","buildid":"0","prowjobid":"prowjob","refs":{"org":"org-name","repo":"repo-name","base_ref":"base-ref","base_sha":"base-sha","pulls":[{"number":1,"author":"author-name","sha":"pull-sha","head_ref":"branch-name-1"},{"number":2,"author":"other-author-name","sha":"second-pull-sha","head_ref":"branch-name-2"}]}}"#,
                    ),
                    "org-name/repo-name",
                    "github.com",
                    "base-ref:base-sha,1:pull-sha,2:second-pull-sha",
                ),
            ),
            (
                "presubmit job",
                spec(ProwJobType::Presubmit, Some(presubmit_refs), None),
                presubmit_env,
            ),
            (
                "postsubmit job with path alias",
                spec(ProwJobType::Postsubmit, Some(alias_refs), None),
                with_refs(
                    base(
                        "postsubmit",
                        r#"{"type":"postsubmit","job":"job-name","buildid":"0","prowjobid":"prowjob","refs":{"org":"org-name","repo":"repo-name","base_ref":"base-ref","base_sha":"base-sha","path_alias":"k8s.io/repo-name"}}"#,
                    ),
                    "repo-name",
                    "k8s.io",
                    "base-ref:base-sha",
                ),
            ),
            (
                "postsubmit job with repo link",
                spec(ProwJobType::Postsubmit, Some(link_refs), None),
                with_refs(
                    base(
                        "postsubmit",
                        r#"{"type":"postsubmit","job":"job-name","buildid":"0","prowjobid":"prowjob","refs":{"org":"org-name","repo":"repo-name","repo_link":"https://gitlab.com/org-name/repo-name","base_ref":"base-ref","base_sha":"base-sha"}}"#,
                    ),
                    "org-name/repo-name",
                    "gitlab.com",
                    "base-ref:base-sha",
                ),
            ),
            (
                "kubernetes agent",
                spec(ProwJobType::Periodic, None, Some(ProwJobAgent::Kubernetes)),
                kubernetes_env,
            ),
            (
                "jenkins agent",
                spec(ProwJobType::Periodic, None, Some(ProwJobAgent::Jenkins)),
                base("periodic", periodic_json),
            ),
        ];
        for (name, spec, want) in cases {
            let got: BTreeMap<String, String> =
                env_for_spec(&spec).expect(name).into_iter().collect();
            let want: BTreeMap<String, String> =
                want.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn env_is_sorted_by_name() {
        let env = env_for_spec(&spec(
            ProwJobType::Periodic,
            None,
            Some(ProwJobAgent::Kubernetes),
        ))
        .expect("env");
        let names: Vec<&str> = env.iter().map(|(name, _)| name.as_str()).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted);
    }

    #[test]
    fn missing_refs_and_pulls_are_errors() {
        assert!(matches!(
            env_for_spec(&spec(ProwJobType::Postsubmit, None, None)),
            Err(Error::MissingRefs {
                job_type: ProwJobType::Postsubmit
            })
        ));
        assert!(matches!(
            env_for_spec(&spec(
                ProwJobType::Presubmit,
                Some(refs("o", "r", "main", "")),
                None
            )),
            Err(Error::MissingPull)
        ));
    }

    // JOB_SPEC recorded from a real Prow pod (a Horologium periodic, 2019; see
    // tests/fixtures/README.md): Prow writes exactly these bytes.
    #[test]
    fn job_spec_json_matches_recorded_pod_env() {
        let spec = JobSpec {
            job_type: ProwJobType::Periodic,
            job: "echo-test".into(),
            build_id: "1131381475451604992".into(),
            prow_job_id: "a8284764-7cff-11e9-ba39-921b53acd1f4".into(),
            refs: None,
            extra_refs: Vec::new(),
            decoration_config: None,
            agent: Some(ProwJobAgent::Kubernetes),
        };
        assert_eq!(
            spec.to_json().expect("json"),
            r#"{"type":"periodic","job":"echo-test","buildid":"1131381475451604992","prowjobid":"a8284764-7cff-11e9-ba39-921b53acd1f4"}"#
        );
    }

    #[test]
    fn job_spec_escapes_html_like_go() {
        let mut refs = refs("o", "r", "main", "abc");
        refs.pulls = vec![Pull {
            number: 7,
            title: "Fix <b> & \u{2028}".into(),
            ..Pull::default()
        }];
        let json = spec(ProwJobType::Presubmit, Some(refs), None)
            .to_json()
            .expect("json");
        assert!(
            json.contains(r#""title":"Fix \u003cb\u003e \u0026 \u2028""#),
            "{json}"
        );
    }
}
