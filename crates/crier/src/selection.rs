//! Which ProwJobs the GitHub reporter reports, and how (Prow's `ShouldReport` of the GitHub
//! reporter and of `pkg/github/report`, `no_comment_repos`, `summary_comment_repos`), from
//! [`ReporterSettings`]: the `github_reporter` section of `config.yaml` plus crier's flags.

use std::str::FromStr;

use prow_api::{ProwJob, ProwJobAgent, ProwJobState, ProwJobType, labels};
use prow_config::Config;

/// Prow's name of the GitHub reporter: the key of `status.prev_report_states` it owns.
pub const REPORTER_NAME: &str = "github-reporter";

/// What decides whether and how a job is reported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReporterSettings {
    /// `github_reporter.job_types_to_report` (default presubmit and postsubmit).
    pub job_types_to_report: Vec<ProwJobType>,
    /// `github_reporter.no_comment_repos`: orgs and `org/repo`s that get statuses only.
    pub no_comment_repos: Vec<String>,
    /// `github_reporter.summary_comment_repos`: orgs and `org/repo`s that get one comment once
    /// every job of the PR has finished.
    pub summary_comment_repos: Vec<String>,
    /// `--check-runs-repo`: orgs and `org/repo`s reported with check runs instead of statuses.
    pub check_runs_repos: Vec<String>,
    /// `--report-agent`: only jobs of this agent (all when `None`).
    pub report_agent: Option<ProwJobAgent>,
    /// `--github-enabled-org`/`-repo`, `--github-disabled-org`/`-repo`.
    pub enablement: Enablement,
}

/// Prow's GitHub enablement flags: when any org or repo is enabled, only those are handled;
/// disabled ones never are.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Enablement {
    /// `--github-enabled-org`.
    pub enabled_orgs: Vec<String>,
    /// `--github-enabled-repo` (`org/repo`).
    pub enabled_repos: Vec<String>,
    /// `--github-disabled-org`.
    pub disabled_orgs: Vec<String>,
    /// `--github-disabled-repo` (`org/repo`).
    pub disabled_repos: Vec<String>,
}

impl Enablement {
    /// Prow's `EnablementChecker`.
    pub fn allows(&self, org: &str, repo: &str) -> bool {
        let full = format!("{org}/{repo}");
        let has = |list: &[String], value: &str| list.iter().any(|item| item == value);
        if (!self.enabled_orgs.is_empty() || !self.enabled_repos.is_empty())
            && !has(&self.enabled_orgs, org)
            && !has(&self.enabled_repos, &full)
        {
            return false;
        }
        !has(&self.disabled_orgs, org) && !has(&self.disabled_repos, &full)
    }

    /// Prow's `shouldHandle`: a job without refs is handled; otherwise when any of its refs
    /// (`refs` and `extra_refs`) is allowed.
    pub fn handles(&self, job: &ProwJob) -> bool {
        let mut refs = job
            .spec
            .extra_refs
            .iter()
            .chain(job.spec.refs.iter())
            .peekable();
        refs.peek().is_none() || refs.any(|refs| self.allows(&refs.org, &refs.repo))
    }

    /// Prow's validation: repos in `org/repo` form, nothing both enabled and disabled.
    pub fn validate(&self) -> Result<(), String> {
        for repo in self.enabled_repos.iter().chain(&self.disabled_repos) {
            let valid = repo.split_once('/').is_some_and(|(org, name)| {
                !org.is_empty() && !name.is_empty() && !name.contains('/')
            });
            if !valid {
                return Err(format!("{repo:?} is not in org/repo format"));
            }
        }
        let both = |a: &[String], b: &[String]| a.iter().find(|item| b.contains(item)).cloned();
        if let Some(org) = both(&self.enabled_orgs, &self.disabled_orgs) {
            return Err(format!(
                "{org} is in both --github-enabled-org and --github-disabled-org"
            ));
        }
        if let Some(repo) = both(&self.enabled_repos, &self.disabled_repos) {
            return Err(format!(
                "{repo} is in both --github-enabled-repo and --github-disabled-repo"
            ));
        }
        Ok(())
    }
}

impl ReporterSettings {
    /// The settings from `config` and the flag values.
    pub fn new(
        config: &Config,
        check_runs_repos: Vec<String>,
        report_agent: Option<ProwJobAgent>,
        enablement: Enablement,
    ) -> Self {
        let reporter = &config.prow.github_reporter;
        ReporterSettings {
            // validation rejects other values; a type that does not parse is not reported
            job_types_to_report: reporter
                .job_types_to_report
                .iter()
                .filter_map(|name| ProwJobType::from_str(name).ok())
                .collect(),
            no_comment_repos: reporter.no_comment_repos.clone(),
            summary_comment_repos: reporter.summary_comment_repos.clone(),
            check_runs_repos,
            report_agent,
            enablement,
        }
    }

    /// Whether the GitHub reporter reports `job` at all: `spec.report` set, no Gerrit report
    /// label, a presubmit or postsubmit listed in `job_types_to_report`, of the report agent,
    /// for an enabled org or repo.
    pub fn should_report(&self, job: &ProwJob) -> bool {
        let spec = &job.spec;
        let gerrit = job
            .metadata
            .labels
            .as_ref()
            .and_then(|labels| labels.get(labels::GERRIT_REPORT_LABEL))
            .is_some_and(|value| !value.is_empty());
        spec.report
            && !gerrit
            && matches!(
                spec.job_type,
                ProwJobType::Presubmit | ProwJobType::Postsubmit
            )
            && self.job_types_to_report.contains(&spec.job_type)
            && self
                .report_agent
                .is_none_or(|agent| spec.agent.unwrap_or(ProwJobAgent::Kubernetes) == agent)
            && self.enablement.handles(job)
    }

    /// Whether `org/repo` gets no PR comment.
    pub fn no_comment(&self, org: &str, repo: &str) -> bool {
        listed(&self.no_comment_repos, org, repo)
    }

    /// Whether `org/repo` gets Prow's summary comment (only once every job finished).
    pub fn summary_comment(&self, org: &str, repo: &str) -> bool {
        listed(&self.summary_comment_repos, org, repo)
    }

    /// Whether `org/repo` is reported with check runs.
    pub fn check_runs(&self, org: &str, repo: &str) -> bool {
        listed(&self.check_runs_repos, org, repo)
    }
}

/// Whether `org` or `org/repo` is in `list` (Prow's `refs.Org == ident || fullRepo == ident`).
fn listed(list: &[String], org: &str, repo: &str) -> bool {
    list.iter().any(|ident| {
        ident == org
            || ident
                .split_once('/')
                .is_some_and(|(o, r)| o == org && r == repo)
    })
}

/// The state the job still has to be reported in: its current state unless
/// `prev_report_states["github-reporter"]` already holds it. `None` without a status.
pub fn unreported_state(job: &ProwJob) -> Option<ProwJobState> {
    let status = job.status.as_ref()?;
    (status.prev_report_states.get(REPORTER_NAME) != Some(&status.state)).then_some(status.state)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use prow_api::{ProwJobSpec, ProwJobStatus};

    use super::*;

    fn settings() -> ReporterSettings {
        ReporterSettings::new(
            &Config::default(),
            vec!["org/checked".into()],
            None,
            Enablement::default(),
        )
    }

    fn job(job_type: ProwJobType, report: bool) -> ProwJob {
        ProwJob::new(
            "name",
            ProwJobSpec {
                report,
                ..ProwJobSpec::new(job_type, "job")
            },
        )
    }

    #[test]
    fn reports_presubmits_and_postsubmits_that_ask_for_it() {
        let mut defaults = settings();
        // Config::default() is not defaulted by the loader; Prow's default is both types
        defaults.job_types_to_report = vec![ProwJobType::Presubmit, ProwJobType::Postsubmit];
        let cases = [
            (ProwJobType::Presubmit, true, true),
            (ProwJobType::Postsubmit, true, true),
            (ProwJobType::Presubmit, false, false),
            (ProwJobType::Periodic, true, false),
            (ProwJobType::Batch, true, false),
        ];
        for (job_type, report, want) in cases {
            assert_eq!(
                defaults.should_report(&job(job_type, report)),
                want,
                "{job_type:?} {report}"
            );
        }
        let presubmits_only = ReporterSettings {
            job_types_to_report: vec![ProwJobType::Presubmit],
            ..defaults.clone()
        };
        assert!(!presubmits_only.should_report(&job(ProwJobType::Postsubmit, true)));
        let jenkins_only = ReporterSettings {
            report_agent: Some(ProwJobAgent::Jenkins),
            ..defaults.clone()
        };
        assert!(!jenkins_only.should_report(&job(ProwJobType::Presubmit, true)));
        let mut gerrit = job(ProwJobType::Presubmit, true);
        gerrit.metadata.labels = Some(BTreeMap::from([(
            labels::GERRIT_REPORT_LABEL.to_string(),
            "Verified".to_string(),
        )]));
        assert!(!defaults.should_report(&gerrit));
    }

    #[test]
    fn repo_lists_match_org_or_org_repo() {
        let settings = ReporterSettings {
            no_comment_repos: vec!["quiet".into(), "org/silent".into()],
            ..settings()
        };
        assert!(settings.no_comment("quiet", "anything"));
        assert!(settings.no_comment("org", "silent"));
        assert!(!settings.no_comment("org", "loud"));
        assert!(!settings.no_comment("org", "silent-too"));
        assert!(settings.check_runs("org", "checked"));
        assert!(!settings.check_runs("org", "hello"));
    }

    #[test]
    fn enablement_as_prow() {
        let enablement = Enablement {
            enabled_orgs: vec!["kubernetes".into()],
            enabled_repos: vec!["other/one".into()],
            disabled_orgs: vec![],
            disabled_repos: vec!["kubernetes/old".into()],
        };
        let cases = [
            ("kubernetes", "test-infra", true),
            ("kubernetes", "old", false),
            ("other", "one", true),
            ("other", "two", false),
        ];
        for (org, repo, want) in cases {
            assert_eq!(enablement.allows(org, repo), want, "{org}/{repo}");
        }
        let open = Enablement {
            disabled_orgs: vec!["noisy".into()],
            ..Enablement::default()
        };
        assert!(open.allows("any", "repo"));
        assert!(!open.allows("noisy", "repo"));
        let no_refs = job(ProwJobType::Presubmit, true);
        assert!(enablement.handles(&no_refs));
        let mut elsewhere = no_refs.clone();
        elsewhere.spec.refs = Some(prow_api::Refs {
            org: "other".into(),
            repo: "two".into(),
            ..prow_api::Refs::default()
        });
        assert!(!enablement.handles(&elsewhere));
        elsewhere.spec.extra_refs = vec![prow_api::Refs {
            org: "kubernetes".into(),
            repo: "test-infra".into(),
            ..prow_api::Refs::default()
        }];
        assert!(enablement.handles(&elsewhere));
        assert!(enablement.validate().is_ok());
        let bad = Enablement {
            enabled_repos: vec!["just-org".into()],
            ..Enablement::default()
        };
        assert!(bad.validate().is_err());
        let both = Enablement {
            enabled_orgs: vec!["a".into()],
            disabled_orgs: vec!["a".into()],
            ..Enablement::default()
        };
        assert!(both.validate().is_err());
    }

    #[test]
    fn unreported_until_recorded() {
        let mut pj = job(ProwJobType::Presubmit, true);
        assert_eq!(unreported_state(&pj), None);
        pj.status = Some(ProwJobStatus::new(ProwJobState::Pending));
        assert_eq!(unreported_state(&pj), Some(ProwJobState::Pending));
        if let Some(status) = pj.status.as_mut() {
            status
                .prev_report_states
                .insert(REPORTER_NAME.into(), ProwJobState::Pending);
            status
                .prev_report_states
                .insert("slackreporter".into(), ProwJobState::Success);
        }
        assert_eq!(unreported_state(&pj), None);
        if let Some(status) = pj.status.as_mut() {
            status.state = ProwJobState::Success;
        }
        assert_eq!(unreported_state(&pj), Some(ProwJobState::Success));
    }
}
