//! Which ProwJobs deck may show: never a `hidden: true` job, never a job of a repository
//! listed in `deck.hidden_repos` (`org` or `org/repo`, main or extra refs), as Prow's deck.

use crate::job_record::JobRecord;

/// The hiding rules of the current configuration.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Visibility {
    hidden_repos: Vec<String>,
}

impl Visibility {
    /// Rules hiding `hidden_repos` (entries `org` or `org/repo`) besides `hidden` jobs.
    pub fn new(hidden_repos: impl IntoIterator<Item = String>) -> Self {
        Visibility {
            hidden_repos: hidden_repos
                .into_iter()
                .map(|r| r.trim().to_string())
                .filter(|r| !r.is_empty())
                .collect(),
        }
    }

    /// The rules of a loaded configuration.
    pub fn from_config(config: &prow_config::ProwConfig) -> Self {
        Visibility::new(config.deck.hidden_repos.iter().cloned())
    }

    /// Whether `record` may be shown.
    pub fn shows(&self, record: &JobRecord) -> bool {
        if record.hidden {
            return false;
        }
        let main = (!record.org.is_empty()).then_some((record.org.as_str(), record.repo.as_str()));
        let extra = record
            .extra_repos
            .iter()
            .map(|(o, r)| (o.as_str(), r.as_str()));
        !main
            .into_iter()
            .chain(extra)
            .any(|(org, repo)| self.hides_repo(org, repo))
    }

    fn hides_repo(&self, org: &str, repo: &str) -> bool {
        self.hidden_repos
            .iter()
            .any(|entry| match entry.split_once('/') {
                Some((o, r)) => o == org && r == repo,
                None => entry == org,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prow_api::{ProwJob, ProwJobSpec, ProwJobType, Refs};

    fn record(org: &str, repo: &str, extra: &[(&str, &str)], hidden: bool) -> JobRecord {
        let mut spec = ProwJobSpec::new(ProwJobType::Presubmit, "unit");
        if !org.is_empty() {
            spec.refs = Some(Refs {
                org: org.into(),
                repo: repo.into(),
                ..Refs::default()
            });
        }
        spec.extra_refs = extra
            .iter()
            .map(|(o, r)| Refs {
                org: (*o).into(),
                repo: (*r).into(),
                ..Refs::default()
            })
            .collect();
        spec.hidden = hidden;
        JobRecord::of(&ProwJob::new("a", spec))
    }

    #[test]
    fn hides_hidden_jobs_and_hidden_repos() {
        // (hidden_repos, org, repo, extra refs, spec.hidden, shown)
        type Case<'a> = (
            &'a [&'a str],
            &'a str,
            &'a str,
            &'a [(&'a str, &'a str)],
            bool,
            bool,
        );
        let cases: &[Case] = &[
            (&[], "k", "infra", &[], false, true),
            (&[], "k", "infra", &[], true, false),
            (&["k"], "k", "infra", &[], false, false),
            (&["k/infra"], "k", "infra", &[], false, false),
            (&["k/infra"], "k", "other", &[], false, true),
            (&["k/in"], "k", "infra", &[], false, true),
            (
                &["secret/repo"],
                "k",
                "infra",
                &[("secret", "repo")],
                false,
                false,
            ),
            (&["secret"], "", "", &[], false, true),
            (&[" k "], "k", "infra", &[], false, false),
        ];
        for (repos, org, repo, extra, hidden, shown) in cases {
            let visibility = Visibility::new(repos.iter().map(|s| s.to_string()));
            assert_eq!(
                visibility.shows(&record(org, repo, extra, *hidden)),
                *shown,
                "{repos:?} {org}/{repo} extra {extra:?} hidden {hidden}"
            );
        }
    }
}
