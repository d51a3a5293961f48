//! One protection pass over every configured org, repo and branch (Prow's
//! `cmd/branchprotector/protect.go`): read the repository, its branches and the current
//! protection of protected branches, [`plan`] the difference, write it unless dry-running.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use prow_config::{Config, RepoPolicy};
use prow_github::GitHub;
use prow_github::types::Branch;
use regex::Regex;

use crate::enablement::Enablement;
use crate::error::Error;
use crate::metrics::Metrics;
use crate::plan::{Change, plan, render_diff};
use crate::policy::{
    branch_policy, effective_policy, globally_unmanaged, is_unmanaged, org_has_managed_branches,
    org_has_managed_repos, org_policy, repo_has_managed_branches, repo_policy,
};
use crate::protection::Protection;

/// Prow's `SecurityForkNameRE`: private security forks (`<repo>-ghsa-<id>`) cannot be
/// protected this way and are skipped.
static SECURITY_FORK: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[\w\.-]+-ghsa-[\w-]+$").expect("static regex"));

/// How a pass behaves.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Plan and report, write nothing.
    pub dry_run: bool,
    /// Manage `restrictions.apps` (Prow's `--enable-apps-restrictions`).
    pub enable_apps_restrictions: bool,
    /// Which orgs and repositories to act on.
    pub enablement: Enablement,
}

/// A change planned for one branch.
#[derive(Clone, Debug)]
pub struct PlannedChange {
    /// Organization.
    pub org: String,
    /// Repository.
    pub repo: String,
    /// Branch.
    pub branch: String,
    /// The write.
    pub change: Change,
    /// Readable diff from the current protection.
    pub diff: String,
    /// Whether the write was made (false in dry-run mode or when it failed).
    pub applied: bool,
}

/// What one pass did.
#[derive(Debug, Default)]
pub struct Report {
    /// Repositories looked at (archived and unmanaged ones excluded).
    pub repos_checked: usize,
    /// Branches whose policy was evaluated.
    pub branches_checked: usize,
    /// Repositories skipped because they are archived (or private security forks).
    pub repos_skipped: Vec<String>,
    /// Changes planned (and made unless dry-running).
    pub changes: Vec<PlannedChange>,
    /// Every error, with the `org/repo[=branch]` it happened on.
    pub errors: Vec<(String, Error)>,
}

/// Runs one pass of branch protection for `config` against `github`.
pub async fn protect(
    github: &dyn GitHub,
    config: &Config,
    options: &Options,
    metrics: &Metrics,
) -> Report {
    let mut pass = Pass {
        github,
        config,
        options,
        metrics,
        completed: BTreeSet::new(),
        report: Report::default(),
    };
    pass.run().await;
    metrics.runs.inc();
    pass.report
}

struct Pass<'a> {
    github: &'a dyn GitHub,
    config: &'a Config,
    options: &'a Options,
    metrics: &'a Metrics,
    completed: BTreeSet<String>,
    report: Report,
}

impl Pass<'_> {
    async fn run(&mut self) {
        let bp = &self.config.prow.branch_protection;
        if globally_unmanaged(bp) {
            tracing::warn!("branch-protection has global unmanaged: true, will not do anything");
            return;
        }
        for org_name in bp.orgs.keys() {
            if !self.options.enablement.enabled(org_name, "") {
                continue;
            }
            let org = org_policy(bp, org_name);
            if is_unmanaged(&org.policy)
                && !org_has_managed_repos(&org)
                && !org_has_managed_branches(&org)
            {
                continue;
            }
            let repos: BTreeSet<String> = if org.policy.protect.is_some() {
                // A strongly opinionated org (Prow's `UpdateOrg`): every repository it has.
                match self.github.list_org_repos(org_name).await {
                    Ok(listed) => listed.into_iter().map(|r| r.name).collect(),
                    Err(e) => {
                        self.error(org_name.clone(), Error::ListOrgRepos(e));
                        continue;
                    }
                }
            } else {
                org.repos.keys().cloned().collect()
            };
            for repo_name in repos {
                if !self.options.enablement.enabled(org_name, &repo_name) {
                    continue;
                }
                let repo = repo_policy(&org, &repo_name);
                self.update_repo(org_name, &repo_name, &repo).await;
            }
        }
        if bp.protect_tested_repos != Some(true) {
            return;
        }
        for key in self.config.jobs.presubmits.keys() {
            if self.completed.contains(key) {
                continue;
            }
            let Some((org_name, repo_name)) = key
                .split_once('/')
                .filter(|(o, r)| !o.is_empty() && !r.is_empty() && !r.contains('/'))
            else {
                self.error(key.clone(), Error::BadPresubmitRepo(key.clone()));
                continue;
            };
            if !self.options.enablement.enabled(org_name, repo_name) {
                continue;
            }
            let repo = repo_policy(&org_policy(bp, org_name), repo_name);
            self.update_repo(org_name, repo_name, &repo).await;
        }
    }

    fn error(&mut self, scope: String, error: Error) {
        tracing::warn!(scope = %scope, error = %error, "branch protection error");
        self.metrics.error(error.kind());
        self.report.errors.push((scope, error));
    }

    async fn update_repo(&mut self, org: &str, name: &str, repo: &RepoPolicy) {
        let full = format!("{org}/{name}");
        self.completed.insert(full.clone());
        if is_unmanaged(&repo.policy) && !repo_has_managed_branches(repo) {
            return;
        }
        let github_repo = match self.github.get_repo(org, name).await {
            Ok(r) => r,
            Err(e) => return self.error(full, Error::GetRepo(e)),
        };
        if github_repo.archived || (github_repo.private && SECURITY_FORK.is_match(name)) {
            tracing::info!(repo = %full, "skipping archived repository or security fork");
            self.report.repos_skipped.push(full);
            return;
        }
        self.report.repos_checked += 1;
        self.metrics.repos_checked.inc();
        let branches = match self.github.list_branches(org, name, false).await {
            Ok(b) => b,
            Err(e) => return self.error(full, Error::ListBranches(e)),
        };
        let selection = match select_branches(repo, &branches) {
            Ok(s) => s,
            Err(e) => return self.error(full, e),
        };
        for branch in selection.unprotect {
            // An excluded branch that is still protected loses its protection.
            let current = match self.current(org, name, &branch.name).await {
                Ok(c) => c,
                Err(e) => return self.error(format!("{full}={}", branch.name), e),
            };
            self.apply(org, name, &branch.name, current.as_ref(), Change::Delete)
                .await;
        }
        let presubmits = self.config.jobs.presubmits_for(&full);
        for branch in selection.protect {
            self.report.branches_checked += 1;
            self.metrics.branches_checked.inc();
            let scope = format!("{full}={}", branch.name);
            if let Err(e) = self
                .update_branch(org, name, repo, branch, presubmits)
                .await
            {
                self.error(scope, e);
            }
        }
    }

    async fn update_branch(
        &mut self,
        org: &str,
        repo_name: &str,
        repo: &RepoPolicy,
        branch: &Branch,
        presubmits: &[prow_config::Presubmit],
    ) -> Result<(), Error> {
        let policy = branch_policy(repo, &branch.name)?;
        if is_unmanaged(&policy) {
            return Ok(());
        }
        let bp = &self.config.prow.branch_protection;
        let Some(policy) = effective_policy(bp, &branch.name, policy, presubmits)? else {
            return Ok(());
        };
        let Some(protect) = policy.protect else {
            return Ok(());
        };
        if !branch.protected && !protect {
            return Ok(());
        }
        if !self.options.enable_apps_restrictions
            && policy
                .restrictions
                .as_ref()
                .is_some_and(|r| r.apps.is_some())
        {
            return Err(Error::AppsRestrictionsDisabled {
                branch: branch.name.clone(),
            });
        }
        let desired = protect
            .then(|| Protection::from_policy(&policy, self.options.enable_apps_restrictions));
        // GitHub's branch list says which branches are protected: an unprotected branch has
        // no protection to read (a GET would be an uncacheable 404).
        let current = if branch.protected {
            self.current(org, repo_name, &branch.name).await?
        } else {
            None
        };
        if let Some(change) = plan(desired.as_ref(), current.as_ref()) {
            self.apply(org, repo_name, &branch.name, current.as_ref(), change)
                .await;
        }
        Ok(())
    }

    async fn current(
        &self,
        org: &str,
        repo: &str,
        branch: &str,
    ) -> Result<Option<Protection>, Error> {
        let current = self
            .github
            .get_branch_protection(org, repo, branch)
            .await
            .map_err(Error::GetProtection)?;
        Ok(current.as_ref().map(Protection::from_github))
    }

    async fn apply(
        &mut self,
        org: &str,
        repo: &str,
        branch: &str,
        current: Option<&Protection>,
        change: Change,
    ) {
        if current.is_none() && change == Change::Delete {
            return;
        }
        let diff = render_diff(&format!("{org}/{repo}={branch}"), current, &change);
        let mut applied = false;
        if self.options.dry_run {
            tracing::info!(
                org,
                repo,
                branch,
                kind = change.kind(),
                "dry run: would change protection\n{diff}"
            );
        } else {
            tracing::info!(
                org,
                repo,
                branch,
                kind = change.kind(),
                "changing protection\n{diff}"
            );
            let result = match &change {
                Change::Put(p) => self
                    .github
                    .update_branch_protection(org, repo, branch, &p.to_request())
                    .await
                    .map_err(Error::UpdateProtection),
                Change::Delete => self
                    .github
                    .remove_branch_protection(org, repo, branch)
                    .await
                    .map_err(Error::RemoveProtection),
            };
            match result {
                Ok(()) => applied = true,
                Err(e) => self.error(format!("{org}/{repo}={branch}"), e),
            }
        }
        self.metrics.change(change.kind(), applied);
        self.report.changes.push(PlannedChange {
            org: org.to_string(),
            repo: repo.to_string(),
            branch: branch.to_string(),
            change,
            diff,
            applied,
        });
    }
}

/// The branches of a repository a pass manages, and the excluded ones to unprotect.
#[derive(Debug, Default, PartialEq)]
pub struct BranchSelection<'b> {
    /// Branches whose policy is applied.
    pub protect: Vec<&'b Branch>,
    /// Protected branches matched by `exclude` (and not listed under `branches:`).
    pub unprotect: Vec<&'b Branch>,
}

/// Prow's branch selection: a branch listed under `branches:` is always managed; otherwise,
/// with `include` patterns, only matching branches; otherwise every branch not matched by an
/// `exclude` pattern. Patterns are joined with `|` and match anywhere unless anchored.
pub fn select_branches<'b>(
    repo: &RepoPolicy,
    branches: &'b [Branch],
) -> Result<BranchSelection<'b>, Error> {
    let compile = |patterns: &[String]| -> Result<Option<Regex>, Error> {
        if patterns.is_empty() {
            return Ok(None);
        }
        let pattern = patterns.join("|");
        Regex::new(&pattern)
            .map(Some)
            .map_err(|source| Error::BranchRegex { pattern, source })
    };
    let include = compile(&repo.policy.include)?;
    let exclude = compile(&repo.policy.exclude)?;
    let mut selection = BranchSelection::default();
    for branch in branches {
        let listed = repo.branches.contains_key(&branch.name);
        let selected = listed
            || match &include {
                Some(re) => re.is_match(&branch.name),
                None => exclude.as_ref().is_none_or(|re| !re.is_match(&branch.name)),
            };
        if selected {
            selection.protect.push(branch);
        } else if branch.protected && exclude.as_ref().is_some_and(|re| re.is_match(&branch.name)) {
            selection.unprotect.push(branch);
        }
    }
    Ok(selection)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo(value: serde_json::Value) -> RepoPolicy {
        serde_json::from_value(value).expect("repo policy")
    }

    fn branch(name: &str, protected: bool) -> Branch {
        Branch {
            name: name.into(),
            protected,
            commit: None,
        }
    }

    #[test]
    fn branch_selection_table() {
        let branches = [
            branch("main", true),
            branch("release-1.0", false),
            branch("feature-x", true),
            branch("feature-y", false),
        ];
        type Case = (
            &'static str,
            serde_json::Value,
            &'static [&'static str],
            &'static [&'static str],
        );
        let cases: [Case; 6] = [
            (
                "no patterns: every branch",
                serde_json::json!({}),
                &["main", "release-1.0", "feature-x", "feature-y"],
                &[],
            ),
            (
                "exclude drops matches and unprotects the protected ones",
                serde_json::json!({"exclude": ["^feature-"]}),
                &["main", "release-1.0"],
                &["feature-x"],
            ),
            (
                "include keeps only matches",
                serde_json::json!({"include": ["^release-", "^main$"]}),
                &["main", "release-1.0"],
                &[],
            ),
            (
                "patterns match anywhere unless anchored",
                serde_json::json!({"include": ["lease"]}),
                &["release-1.0"],
                &[],
            ),
            (
                "a listed branch is managed even when excluded",
                serde_json::json!({"exclude": ["^feature-"],
                                "branches": {"feature-x": {"protect": true}}}),
                &["main", "release-1.0", "feature-x"],
                &[],
            ),
            (
                "include wins over exclude; excluded non-included protected branches lose protection",
                serde_json::json!({"include": ["^main$", "^feature-y$"], "exclude": ["^feature-"]}),
                &["main", "feature-y"],
                &["feature-x"],
            ),
        ];
        for (name, policy, protect, unprotect) in cases {
            let policy = repo(policy);
            let selection = select_branches(&policy, &branches).expect("valid patterns");
            let names = |list: &[&Branch]| list.iter().map(|b| b.name.clone()).collect::<Vec<_>>();
            assert_eq!(
                names(&selection.protect),
                protect.to_vec(),
                "{name}: managed"
            );
            assert_eq!(
                names(&selection.unprotect),
                unprotect.to_vec(),
                "{name}: unprotected"
            );
        }
        let bad = repo(serde_json::json!({"exclude": ["(unclosed"]}));
        assert!(matches!(
            select_branches(&bad, &branches),
            Err(Error::BranchRegex { .. })
        ));
    }
}
