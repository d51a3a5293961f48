//! Where a job's logs and artifacts live in object storage (Prow's `pkg/pod-utils/gcs`
//! `target.go` and `gcsupload.PathsForJob`).
//!
//! - periodic and postsubmit runs: `logs/<job>/<build>/`
//! - presubmit runs: `pr-logs/pull/<org_repo>/<pr>/<job>/<build>/`, plus an alias file
//!   `pr-logs/directory/<job>/<build>.txt`
//! - batch runs: `pr-logs/pull/batch/<job>/<build>/`
//! - the latest build of a job: `latest-build.txt` next to the builds
//!
//! How `<org_repo>` is written depends on the bucket's `path_strategy`.

use std::fmt;
use std::str::FromStr;

use crate::{Error, GcsConfiguration, JobSpec, ProwJobType};

/// Directory of presubmit and batch logs (`PRLogs`).
pub const PR_LOGS: &str = "pr-logs";
/// Directory of periodic and postsubmit logs (`NonPRLogs`).
pub const NON_PR_LOGS: &str = "logs";
/// File holding the latest build ID of a job.
pub const LATEST_BUILD_FILE: &str = "latest-build.txt";
/// Metadata written when a job starts (`StartedStatusFile`).
pub const STARTED_FILE: &str = "started.json";
/// Metadata written when a job finishes (`FinishedStatusFile`).
pub const FINISHED_FILE: &str = "finished.json";
/// The ProwJob itself (`ProwJobFile`).
pub const PROWJOB_FILE: &str = "prowjob.json";
/// Records of what clonerefs cloned (`CloneRecordFile`).
pub const CLONE_RECORDS_FILE: &str = "clone-records.json";
/// The test container's log.
pub const BUILD_LOG_FILE: &str = "build-log.txt";

/// How org and repo appear in presubmit paths (`path_strategy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PathStrategy {
    /// Always `org_repo` (`explicit`).
    Explicit,
    /// Nothing for the default org and repo, `repo` for other repos of the default org,
    /// `org_repo` otherwise (`legacy`).
    Legacy,
    /// Nothing for the default org and repo, `org_repo` otherwise (`single`).
    Single,
}

impl PathStrategy {
    /// The value used in config (`explicit`, `legacy`, `single`).
    pub const fn as_str(self) -> &'static str {
        match self {
            PathStrategy::Explicit => "explicit",
            PathStrategy::Legacy => "legacy",
            PathStrategy::Single => "single",
        }
    }
}

impl fmt::Display for PathStrategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PathStrategy {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "explicit" => Ok(PathStrategy::Explicit),
            "legacy" => Ok(PathStrategy::Legacy),
            "single" => Ok(PathStrategy::Single),
            other => Err(Error::UnknownPathStrategy(other.to_owned())),
        }
    }
}

/// Builds the `<org_repo>` path segment of presubmit paths (Prow's `RepoPathBuilder`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepoPathBuilder {
    strategy: PathStrategy,
    default_org: String,
    default_repo: String,
}

impl RepoPathBuilder {
    /// A builder for `strategy`; `default_org`/`default_repo` only matter for legacy and single.
    pub fn new(
        strategy: PathStrategy,
        default_org: impl Into<String>,
        default_repo: impl Into<String>,
    ) -> Self {
        Self {
            strategy,
            default_org: default_org.into(),
            default_repo: default_repo.into(),
        }
    }

    /// The builder a bucket configuration asks for (`gcsupload` `builderForStrategy`).
    pub fn for_configuration(config: &GcsConfiguration) -> Result<Self, Error> {
        let strategy = config.path_strategy.parse()?;
        Ok(Self::new(
            strategy,
            config.default_org.clone(),
            config.default_repo.clone(),
        ))
    }

    /// The path segment for `org` and `repo` (empty when the strategy omits it). Gerrit orgs
    /// lose their `https://` prefix and slashes in Gerrit repos become underscores.
    pub fn segment(&self, org: &str, repo: &str) -> String {
        match self.strategy {
            PathStrategy::Legacy if org == self.default_org => {
                if repo == self.default_repo {
                    String::new()
                } else {
                    repo.to_owned()
                }
            }
            PathStrategy::Single if org == self.default_org && repo == self.default_repo => {
                String::new()
            }
            _ => explicit_segment(org, repo),
        }
    }
}

fn explicit_segment(org: &str, repo: &str) -> String {
    let org = org.strip_prefix("https://").unwrap_or(org);
    format!("{}_{}", org, repo.replace('/', "_"))
}

/// Go's `path.Join`: the non-empty elements joined by `/`, then cleaned (`path.Clean`).
pub fn join_path(elements: &[&str]) -> String {
    let joined = elements
        .iter()
        .filter(|element| !element.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join("/");
    if joined.is_empty() {
        return String::new();
    }
    clean_path(&joined)
}

/// Go's `path.Clean`.
fn clean_path(path: &str) -> String {
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|last| *last != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            other => parts.push(other),
        }
    }
    let body = parts.join("/");
    match (rooted, body.is_empty()) {
        (true, _) => format!("/{body}"),
        (false, true) => ".".to_owned(),
        (false, false) => body,
    }
}

fn first_pull_number(spec: &JobSpec) -> Result<(&str, &str, String), Error> {
    let refs = spec.refs.as_ref().ok_or(Error::MissingRefs {
        job_type: spec.job_type,
    })?;
    let pull = refs.pulls.first().ok_or(Error::MissingPull)?;
    Ok((&refs.org, &refs.repo, pull.number.to_string()))
}

/// The directory of one run, relative to the bucket and path prefix (Prow's `PathForSpec`).
pub fn path_for_spec(spec: &JobSpec, builder: &RepoPathBuilder) -> Result<String, Error> {
    Ok(match spec.job_type {
        ProwJobType::Periodic | ProwJobType::Postsubmit => {
            join_path(&[NON_PR_LOGS, &spec.job, &spec.build_id])
        }
        ProwJobType::Presubmit => {
            let (org, repo, number) = first_pull_number(spec)?;
            join_path(&[
                PR_LOGS,
                "pull",
                &builder.segment(org, repo),
                &number,
                &spec.job,
                &spec.build_id,
            ])
        }
        ProwJobType::Batch => join_path(&[PR_LOGS, "pull", "batch", &spec.job, &spec.build_id]),
    })
}

/// The alias file that points at a presubmit run (`pr-logs/directory/<job>/<build>.txt`);
/// `None` for other job types (Prow's `AliasForSpec`).
pub fn alias_for_spec(spec: &JobSpec) -> Option<String> {
    (spec.job_type == ProwJobType::Presubmit).then(|| {
        join_path(&[
            PR_LOGS,
            "directory",
            &spec.job,
            &format!("{}.txt", spec.build_id),
        ])
    })
}

/// Every `latest-build.txt` to update when a run starts (Prow's `LatestBuildForSpec`);
/// presubmits also get one in the pull request's directory when a builder is given.
pub fn latest_build_for_spec(
    spec: &JobSpec,
    builder: Option<&RepoPathBuilder>,
) -> Result<Vec<String>, Error> {
    Ok(match spec.job_type {
        ProwJobType::Periodic | ProwJobType::Postsubmit => {
            vec![join_path(&[NON_PR_LOGS, &spec.job, LATEST_BUILD_FILE])]
        }
        ProwJobType::Presubmit => {
            let mut paths = vec![join_path(&[
                PR_LOGS,
                "directory",
                &spec.job,
                LATEST_BUILD_FILE,
            ])];
            if let Some(builder) = builder {
                let (org, repo, number) = first_pull_number(spec)?;
                paths.push(join_path(&[
                    PR_LOGS,
                    "pull",
                    &builder.segment(org, repo),
                    &number,
                    &spec.job,
                    LATEST_BUILD_FILE,
                ]));
            }
            paths
        }
        ProwJobType::Batch => vec![join_path(&[
            PR_LOGS,
            "directory",
            &spec.job,
            LATEST_BUILD_FILE,
        ])],
    })
}

/// The directory holding all runs of a job (Prow's `RootForSpec`).
pub fn root_for_spec(spec: &JobSpec) -> String {
    match spec.job_type {
        ProwJobType::Periodic | ProwJobType::Postsubmit => join_path(&[NON_PR_LOGS, &spec.job]),
        ProwJobType::Presubmit | ProwJobType::Batch => {
            join_path(&[PR_LOGS, "directory", &spec.job])
        }
    }
}

/// The directory of one run including the bucket's `path_prefix` (the job base path of
/// Prow's `gcsupload.PathsForJob`).
pub fn job_storage_path(config: &GcsConfiguration, spec: &JobSpec) -> Result<String, Error> {
    let builder = RepoPathBuilder::for_configuration(config)?;
    let path = path_for_spec(spec, &builder)?;
    Ok(join_path(&[&config.path_prefix, &path]))
}

/// A bucket setting split into storage provider, bucket name and path inside the bucket
/// (Prow's `ProwPath` from `ParsePath`): `gs://name/dir`, `s3://name`, or a bare name,
/// which means GCS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StorageBucket {
    /// `gs`, `s3`, `file`, ...
    pub provider: String,
    /// The bucket name.
    pub name: String,
    /// Path inside the bucket, without leading slash (usually empty).
    pub path: String,
}

impl StorageBucket {
    /// Parses a `gcs_configuration.bucket` value as Prow's `ParsePath` does.
    pub fn parse(bucket: &str) -> Self {
        let (provider, rest) = bucket.split_once("://").unwrap_or(("gs", bucket));
        let (name, path) = rest.split_once('/').unwrap_or((rest, ""));
        Self {
            provider: provider.to_owned(),
            name: name.to_owned(),
            path: path.to_owned(),
        }
    }

    /// Bucket name and path (Prow's `FullPath`), e.g. `kubernetes-jenkins` or `bucket/dir`.
    pub fn full_path(&self) -> String {
        join_path(&[&self.name, &self.path])
    }
}

/// The link to a run in deck's job view (Prow's `pjutil.JobURL` for decorated jobs):
/// `job_url_prefix` + storage provider (unless `omit_storage_provider`, Prow's
/// `job_url_prefix_disable_appending_storage_provider`) + bucket + the run's storage path.
/// Example: `https://prow.k8s.io/view/` + `gs` + `kubernetes-jenkins` + `logs/<job>/<build>`.
pub fn job_url(
    job_url_prefix: &str,
    omit_storage_provider: bool,
    config: &GcsConfiguration,
    spec: &JobSpec,
) -> Result<String, Error> {
    let storage_path = job_storage_path(config, spec)?;
    let bucket = StorageBucket::parse(&config.bucket);
    let (origin, rest) = match job_url_prefix.split_once("://") {
        Some((scheme, after)) => {
            let host_end = after.find(['/', '?', '#']).unwrap_or(after.len());
            (
                format!("{scheme}://{}", &after[..host_end]),
                &after[host_end..],
            )
        }
        None => (String::new(), job_url_prefix),
    };
    let query_start = rest.find(['?', '#']).unwrap_or(rest.len());
    let (prefix_path, query) = rest.split_at(query_start);
    let full_path = bucket.full_path();
    let mut elements = vec![prefix_path];
    if !omit_storage_provider {
        elements.push(&bucket.provider);
    }
    elements.extend([full_path.as_str(), storage_path.as_str()]);
    let mut path = join_path(&elements);
    if !path.starts_with('/') {
        path.insert(0, '/');
    }
    Ok(format!("{origin}{path}{query}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Pull, Refs};

    fn spec(
        job_type: ProwJobType,
        job: &str,
        build_id: &str,
        refs: Option<(&str, &str, u64)>,
    ) -> JobSpec {
        JobSpec {
            job_type,
            job: job.into(),
            build_id: build_id.into(),
            prow_job_id: String::new(),
            refs: refs.map(|(org, repo, number)| Refs {
                org: org.into(),
                repo: repo.into(),
                pulls: vec![Pull {
                    number,
                    ..Pull::default()
                }],
                ..Refs::default()
            }),
            extra_refs: Vec::new(),
            decoration_config: None,
            agent: None,
        }
    }

    fn explicit() -> RepoPathBuilder {
        RepoPathBuilder::new(PathStrategy::Explicit, "", "")
    }

    // Prow's TestPathForSpec.
    #[test]
    fn path_for_spec_matches_prow() {
        let presubmit = spec(
            ProwJobType::Presubmit,
            "job",
            "number",
            Some(("org", "repo", 1)),
        );
        let cases = [
            (
                "periodic",
                spec(ProwJobType::Periodic, "job", "number", None),
                explicit(),
                "logs/job/number",
            ),
            (
                "postsubmit",
                spec(ProwJobType::Postsubmit, "job", "number", None),
                explicit(),
                "logs/job/number",
            ),
            (
                "batch",
                spec(ProwJobType::Batch, "job", "number", None),
                explicit(),
                "pr-logs/pull/batch/job/number",
            ),
            (
                "presubmit full default legacy",
                presubmit.clone(),
                RepoPathBuilder::new(PathStrategy::Legacy, "org", "repo"),
                "pr-logs/pull/1/job/number",
            ),
            (
                "presubmit default org legacy",
                presubmit.clone(),
                RepoPathBuilder::new(PathStrategy::Legacy, "org", "other"),
                "pr-logs/pull/repo/1/job/number",
            ),
            (
                "presubmit nondefault legacy",
                presubmit.clone(),
                RepoPathBuilder::new(PathStrategy::Legacy, "some", "other"),
                "pr-logs/pull/org_repo/1/job/number",
            ),
            (
                "presubmit explicit",
                presubmit,
                explicit(),
                "pr-logs/pull/org_repo/1/job/number",
            ),
        ];
        for (name, spec, builder, want) in cases {
            assert_eq!(path_for_spec(&spec, &builder).expect(name), want, "{name}");
        }
    }

    // Prow's TestAliasForSpec.
    #[test]
    fn alias_for_spec_matches_prow() {
        let cases = [
            (ProwJobType::Periodic, None),
            (ProwJobType::Batch, None),
            (ProwJobType::Postsubmit, None),
            (
                ProwJobType::Presubmit,
                Some("pr-logs/directory/job/number.txt"),
            ),
        ];
        for (job_type, want) in cases {
            let spec = spec(job_type, "job", "number", None);
            assert_eq!(alias_for_spec(&spec).as_deref(), want, "{job_type}");
        }
    }

    // Prow's TestLatestBuildForSpec.
    #[test]
    fn latest_build_for_spec_matches_prow() {
        let presubmit = spec(
            ProwJobType::Presubmit,
            "pull-kubernetes-unit",
            "",
            Some(("kubernetes", "test-infra", 1234)),
        );
        let directory = "pr-logs/directory/pull-kubernetes-unit/latest-build.txt";
        let in_pull =
            "pr-logs/pull/kubernetes_test-infra/1234/pull-kubernetes-unit/latest-build.txt";
        let cases = [
            (
                "presubmit - no strategy",
                presubmit.clone(),
                None,
                vec![directory],
            ),
            (
                "presubmit - explicit strategy",
                presubmit.clone(),
                Some(explicit()),
                vec![directory, in_pull],
            ),
            (
                "presubmit - legacy strategy",
                presubmit.clone(),
                Some(RepoPathBuilder::new(
                    PathStrategy::Legacy,
                    "kubernetes",
                    "test-infra",
                )),
                vec![
                    directory,
                    "pr-logs/pull/1234/pull-kubernetes-unit/latest-build.txt",
                ],
            ),
            (
                "presubmit - single strategy",
                presubmit,
                Some(RepoPathBuilder::new(
                    PathStrategy::Single,
                    "defaultorg",
                    "defaultrepo",
                )),
                vec![directory, in_pull],
            ),
            (
                "batch",
                spec(ProwJobType::Batch, "pull-kubernetes-unit", "", None),
                None,
                vec![directory],
            ),
            (
                "postsubmit",
                spec(ProwJobType::Postsubmit, "ci-kubernetes-unit", "", None),
                None,
                vec!["logs/ci-kubernetes-unit/latest-build.txt"],
            ),
            (
                "periodic",
                spec(ProwJobType::Periodic, "ci-kubernetes-periodic", "", None),
                None,
                vec!["logs/ci-kubernetes-periodic/latest-build.txt"],
            ),
        ];
        for (name, spec, builder, want) in cases {
            assert_eq!(
                latest_build_for_spec(&spec, builder.as_ref()).expect(name),
                want,
                "{name}"
            );
        }
    }

    // Prow's TestRootForSpec.
    #[test]
    fn root_for_spec_matches_prow() {
        let cases = [
            (
                ProwJobType::Presubmit,
                "pull-kubernetes-unit",
                "pr-logs/directory/pull-kubernetes-unit",
            ),
            (
                ProwJobType::Batch,
                "pull-kubernetes-unit",
                "pr-logs/directory/pull-kubernetes-unit",
            ),
            (
                ProwJobType::Postsubmit,
                "ci-kubernetes-unit",
                "logs/ci-kubernetes-unit",
            ),
            (
                ProwJobType::Periodic,
                "ci-kubernetes-periodic",
                "logs/ci-kubernetes-periodic",
            ),
        ];
        for (job_type, job, want) in cases {
            assert_eq!(
                root_for_spec(&spec(job_type, job, "", None)),
                want,
                "{job_type}"
            );
        }
    }

    // Prow's TestNewLegacyRepoPathBuilder, TestNewSingleDefaultRepoPathBuilder and
    // TestNewExplicitRepoPathBuilder.
    #[test]
    fn repo_path_builders_match_prow() {
        let cases = [
            (PathStrategy::Legacy, "org", "repo", ""),
            (PathStrategy::Legacy, "other", "repo", "other_repo"),
            (PathStrategy::Legacy, "org", "other", "other"),
            (PathStrategy::Legacy, "other", "wild", "other_wild"),
            (PathStrategy::Legacy, "gerrit", "foo/bar", "gerrit_foo_bar"),
            (PathStrategy::Single, "org", "repo", ""),
            (PathStrategy::Single, "other", "repo", "other_repo"),
            (PathStrategy::Single, "org", "other", "org_other"),
            (PathStrategy::Single, "other", "wild", "other_wild"),
            (PathStrategy::Single, "gerrit", "foo/bar", "gerrit_foo_bar"),
            (PathStrategy::Explicit, "org", "repo", "org_repo"),
            (
                PathStrategy::Explicit,
                "gerrit",
                "foo/bar",
                "gerrit_foo_bar",
            ),
            (
                PathStrategy::Explicit,
                "https://gerrit.example.com",
                "foo/bar",
                "gerrit.example.com_foo_bar",
            ),
        ];
        for (strategy, org, repo, want) in cases {
            let builder = RepoPathBuilder::new(strategy, "org", "repo");
            assert_eq!(builder.segment(org, repo), want, "{strategy} {org}/{repo}");
        }
    }

    #[test]
    fn job_storage_path_applies_prefix_and_strategy() {
        let config = GcsConfiguration {
            bucket: "gs://bucket".into(),
            path_prefix: "prefix/".into(),
            path_strategy: "single".into(),
            default_org: "kubernetes".into(),
            default_repo: "kubernetes".into(),
            ..GcsConfiguration::default()
        };
        let spec = spec(
            ProwJobType::Presubmit,
            "pull-test",
            "42",
            Some(("kubernetes", "test-infra", 7)),
        );
        assert_eq!(
            job_storage_path(&config, &spec).expect("path"),
            "prefix/pr-logs/pull/kubernetes_test-infra/7/pull-test/42"
        );
        let unknown = GcsConfiguration {
            path_strategy: "flat".into(),
            ..config
        };
        assert!(matches!(
            job_storage_path(&unknown, &spec),
            Err(Error::UnknownPathStrategy(_))
        ));
    }

    #[test]
    fn join_path_cleans_like_go() {
        let cases: [(&[&str], &str); 6] = [
            (&["a", "", "b"], "a/b"),
            (&["", ""], ""),
            (&["a/", "/b/"], "a/b"),
            (&["a", "..", "b"], "b"),
            (&["/a", "../..", "b"], "/b"),
            (&["a", "."], "a"),
        ];
        for (elements, want) in cases {
            assert_eq!(join_path(elements), want, "{elements:?}");
        }
    }

    #[test]
    fn bucket_parsing_matches_prow() {
        let cases = [
            (
                "kubernetes-jenkins",
                "gs",
                "kubernetes-jenkins",
                "",
                "kubernetes-jenkins",
            ),
            (
                "gs://origin-ci-test",
                "gs",
                "origin-ci-test",
                "",
                "origin-ci-test",
            ),
            (
                "s3://prow-logs/dir/sub",
                "s3",
                "prow-logs",
                "dir/sub",
                "prow-logs/dir/sub",
            ),
        ];
        for (input, provider, name, path, full) in cases {
            let bucket = StorageBucket::parse(input);
            assert_eq!(
                (
                    bucket.provider.as_str(),
                    bucket.name.as_str(),
                    bucket.path.as_str()
                ),
                (provider, name, path),
                "{input}"
            );
            assert_eq!(bucket.full_path(), full, "{input}");
        }
    }

    #[test]
    fn job_url_matches_prow() {
        let config = |bucket: &str, strategy: &str| GcsConfiguration {
            bucket: bucket.into(),
            path_strategy: strategy.into(),
            default_org: "kubernetes".into(),
            default_repo: "kubernetes".into(),
            ..GcsConfiguration::default()
        };
        let presubmit = spec(
            ProwJobType::Presubmit,
            "pull-cluster-api-provider-openstack-test",
            "1247344427123347459",
            Some(("kubernetes-sigs", "cluster-api-provider-openstack", 541)),
        );
        // The example in the comment of Prow's pjutil.JobURL.
        assert_eq!(
            job_url(
                "https://prow.k8s.io/view/",
                false,
                &config("kubernetes-jenkins", "legacy"),
                &presubmit
            )
            .expect("url"),
            "https://prow.k8s.io/view/gs/kubernetes-jenkins/pr-logs/pull/kubernetes-sigs_cluster-api-provider-openstack/541/pull-cluster-api-provider-openstack-test/1247344427123347459"
        );
        assert_eq!(
            job_url(
                "https://deck.example.com/view?x=1",
                true,
                &config("s3://logs", "explicit"),
                &presubmit
            )
            .expect("url"),
            "https://deck.example.com/view/logs/pr-logs/pull/kubernetes-sigs_cluster-api-provider-openstack/541/pull-cluster-api-provider-openstack-test/1247344427123347459?x=1"
        );
    }
}
