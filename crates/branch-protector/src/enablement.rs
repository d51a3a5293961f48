//! Prow's `GitHubEnablementOptions`: `--github-enabled-org`, `--github-enabled-repo` and
//! `--github-disabled-repo` limit which orgs and repositories a component acts on.

/// Which orgs and repositories are enabled.
#[derive(Clone, Debug, Default, PartialEq, Eq, clap::Args)]
pub struct Enablement {
    /// Act only on this org (repeatable). With no enabled org or repo, everything is enabled.
    #[arg(long = "github-enabled-org", value_name = "ORG")]
    pub enabled_orgs: Vec<String>,
    /// Act only on this `org/repo` (repeatable).
    #[arg(long = "github-enabled-repo", value_name = "ORG/REPO")]
    pub enabled_repos: Vec<String>,
    /// Never act on this `org/repo` (repeatable).
    #[arg(long = "github-disabled-repo", value_name = "ORG/REPO")]
    pub disabled_repos: Vec<String>,
}

impl Enablement {
    /// Prow's `EnablementChecker`: whether `org/repo` is enabled (`repo` empty for an org as a
    /// whole).
    pub fn enabled(&self, org: &str, repo: &str) -> bool {
        let full = format!("{org}/{repo}");
        let disabled = self.disabled_repos.contains(&full);
        if self.enabled_orgs.is_empty() && self.enabled_repos.is_empty() {
            return !disabled;
        }
        (self.enabled_orgs.iter().any(|o| o == org) || self.enabled_repos.contains(&full))
            && !disabled
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enablement_as_prow() {
        let list = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let all = Enablement::default();
        let some = Enablement {
            enabled_orgs: list(&["acme"]),
            enabled_repos: list(&["other/tool"]),
            disabled_repos: list(&["acme/secret"]),
        };
        let only_disabled = Enablement {
            disabled_repos: list(&["acme/secret"]),
            ..Enablement::default()
        };
        let cases = [
            (&all, "acme", "api", true),
            (&all, "acme", "", true),
            (&some, "acme", "api", true),
            (&some, "acme", "", true),
            (&some, "acme", "secret", false),
            (&some, "other", "tool", true),
            (&some, "other", "", false),
            (&some, "third", "x", false),
            (&only_disabled, "acme", "secret", false),
            (&only_disabled, "acme", "api", true),
        ];
        for (checker, org, repo, want) in cases {
            assert_eq!(
                checker.enabled(org, repo),
                want,
                "{org}/{repo} with {checker:?}"
            );
        }
    }
}
