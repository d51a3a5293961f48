//! The links shown for a run: its PR, commit, repository and author on the code host (taken
//! from the refs, else built from `github.link_url`), and deck's own pages.

use serde::Serialize;

use crate::job_query::encode_query_value;
use crate::job_record::JobRecord;

/// Links of one run (empty strings when not applicable).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct JobLinks {
    /// deck's job page.
    pub job_page: String,
    /// deck's job page, at the build log.
    pub log: String,
    /// deck's history of this job.
    pub history: String,
    /// deck's history of the first PR (presubmits and batches).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub pr_history: String,
    /// The first PR on the code host.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub pull: String,
    /// The commit under test (PR head, else base).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub commit: String,
    /// The repository.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub repo: String,
    /// The first PR's author.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub author: String,
}

/// Percent-encodes one path segment.
pub fn encode_path_segment(segment: &str) -> String {
    encode_query_value(segment)
}

impl JobLinks {
    /// The links of `record`; `code_host` is `github.link_url` (e.g. `https://github.com`).
    pub fn of(record: &JobRecord, code_host: &str) -> Self {
        let host = code_host.trim_end_matches('/');
        let name = encode_path_segment(&record.name);
        let job_page = format!("/job/{name}");
        let has_repo = !record.org.is_empty() && !record.org.contains("://");
        let repo = if !record.repo_link.is_empty() {
            record.repo_link.clone()
        } else if has_repo {
            format!("{host}/{}/{}", record.org, record.repo)
        } else {
            String::new()
        };
        let first = record.pulls.first();
        let pull = match first {
            Some(p) if !p.link.is_empty() => p.link.clone(),
            Some(p) if !repo.is_empty() => format!("{repo}/pull/{}", p.number),
            _ => String::new(),
        };
        let sha = record.head_sha();
        let commit = match first {
            Some(p) if !p.commit_link.is_empty() => p.commit_link.clone(),
            _ if first.is_none() && !record.base_link.is_empty() => record.base_link.clone(),
            _ if !repo.is_empty() && !sha.is_empty() => format!("{repo}/commit/{sha}"),
            _ => String::new(),
        };
        let author = match first {
            Some(p) if !p.author_link.is_empty() => p.author_link.clone(),
            Some(p) if has_repo && !p.author.is_empty() => format!("{host}/{}", p.author),
            _ => String::new(),
        };
        let pr_history = match first {
            Some(p) if !record.org.is_empty() => format!(
                "/pr-history?org={}&repo={}&pr={}",
                encode_query_value(&record.org),
                encode_query_value(&record.repo),
                p.number
            ),
            _ => String::new(),
        };
        JobLinks {
            log: format!("{job_page}#log"),
            job_page,
            history: format!("/job-history/{}", encode_path_segment(&record.job)),
            pr_history,
            pull,
            commit,
            repo,
            author,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prow_api::{ProwJob, ProwJobSpec, ProwJobType, Pull, Refs};

    #[test]
    fn links_from_refs_or_built_from_the_code_host() {
        let mut spec = ProwJobSpec::new(ProwJobType::Presubmit, "pull-unit");
        spec.refs = Some(Refs {
            org: "k".into(),
            repo: "infra".into(),
            base_sha: "base".into(),
            pulls: vec![Pull {
                number: 7,
                author: "alice".into(),
                sha: "abcdef123".into(),
                ..Pull::default()
            }],
            ..Refs::default()
        });
        let built = JobLinks::of(
            &JobRecord::of(&ProwJob::new("n1", spec.clone())),
            "https://gh.example/",
        );
        assert_eq!(built.pull, "https://gh.example/k/infra/pull/7");
        assert_eq!(built.commit, "https://gh.example/k/infra/commit/abcdef123");
        assert_eq!(built.author, "https://gh.example/alice");
        assert_eq!(built.job_page, "/job/n1");
        assert_eq!(built.history, "/job-history/pull-unit");
        assert_eq!(built.pr_history, "/pr-history?org=k&repo=infra&pr=7");

        if let Some(refs) = spec.refs.as_mut() {
            refs.pulls[0].link = "https://x/pr".into();
            refs.pulls[0].commit_link = "https://x/c".into();
        }
        let given = JobLinks::of(
            &JobRecord::of(&ProwJob::new("n1", spec)),
            "https://gh.example",
        );
        assert_eq!(
            (given.pull.as_str(), given.commit.as_str()),
            ("https://x/pr", "https://x/c")
        );

        let periodic = ProwJob::new("p", ProwJobSpec::new(ProwJobType::Periodic, "ci-x"));
        let none = JobLinks::of(&JobRecord::of(&periodic), "https://gh.example");
        assert!(none.pull.is_empty() && none.commit.is_empty() && none.pr_history.is_empty());
    }
}
