//! The policy of one branch, as Prow's `pkg/config/branch_protection.go` computes it: the
//! top-level policy, then the org's, the repo's and the branch's, where a child's scalar wins
//! and lists are unioned; then the contexts of the branch's required presubmits.

use std::collections::BTreeSet;

use prow_config::{
    BranchProtection, ContextPolicy, DismissalRestrictions, OrgPolicy, Policy, Presubmit,
    RepoPolicy, Restrictions, ReviewPolicy,
};

use crate::error::Error;

fn select<T: Clone>(parent: &Option<T>, child: &Option<T>) -> Option<T> {
    child.clone().or_else(|| parent.clone())
}

/// Prow's `unionStrings`: an unset child keeps the parent, an unset parent takes the child,
/// otherwise the sorted union.
fn union(parent: &[String], child: &[String]) -> Vec<String> {
    if child.is_empty() {
        return parent.to_vec();
    }
    if parent.is_empty() {
        return child.to_vec();
    }
    parent
        .iter()
        .chain(child)
        .cloned()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

fn union_opt(parent: &Option<Vec<String>>, child: &Option<Vec<String>>) -> Option<Vec<String>> {
    match (parent, child) {
        (_, None) => parent.clone(),
        (None, _) => child.clone(),
        (Some(p), Some(c)) => Some(union(p, c)),
    }
}

/// Merges a child into its parent where both are set; otherwise the one that is set.
fn merge_with<T: Clone>(
    parent: &Option<T>,
    child: &Option<T>,
    both: impl FnOnce(&T, &T) -> T,
) -> Option<T> {
    match (parent, child) {
        (Some(p), Some(c)) => Some(both(p, c)),
        (_, None) => parent.clone(),
        (None, _) => child.clone(),
    }
}

fn merge_people(p: &DismissalRestrictions, c: &DismissalRestrictions) -> DismissalRestrictions {
    DismissalRestrictions {
        users: union_opt(&p.users, &c.users),
        teams: union_opt(&p.teams, &c.teams),
    }
}

/// Prow's `Policy.Apply`: the policy that results from applying `child` on top of `parent`.
pub fn apply(parent: &Policy, child: &Policy) -> Policy {
    Policy {
        unmanaged: select(&parent.unmanaged, &child.unmanaged),
        protect: select(&parent.protect, &child.protect),
        required_status_checks: merge_with(
            &parent.required_status_checks,
            &child.required_status_checks,
            |p, c| ContextPolicy {
                contexts: union(&p.contexts, &c.contexts),
                strict: select(&p.strict, &c.strict),
            },
        ),
        enforce_admins: select(&parent.enforce_admins, &child.enforce_admins),
        restrictions: merge_with(&parent.restrictions, &child.restrictions, |p, c| {
            Restrictions {
                apps: union_opt(&p.apps, &c.apps),
                users: union_opt(&p.users, &c.users),
                teams: union_opt(&p.teams, &c.teams),
            }
        }),
        required_pull_request_reviews: merge_with(
            &parent.required_pull_request_reviews,
            &child.required_pull_request_reviews,
            |p, c| ReviewPolicy {
                dismissal_restrictions: merge_with(
                    &p.dismissal_restrictions,
                    &c.dismissal_restrictions,
                    merge_people,
                ),
                dismiss_stale_reviews: select(&p.dismiss_stale_reviews, &c.dismiss_stale_reviews),
                require_code_owner_reviews: select(
                    &p.require_code_owner_reviews,
                    &c.require_code_owner_reviews,
                ),
                required_approving_review_count: select(
                    &p.required_approving_review_count,
                    &c.required_approving_review_count,
                ),
                bypass_pull_request_allowances: merge_with(
                    &p.bypass_pull_request_allowances,
                    &c.bypass_pull_request_allowances,
                    merge_people,
                ),
            },
        ),
        required_linear_history: select(
            &parent.required_linear_history,
            &child.required_linear_history,
        ),
        allow_force_pushes: select(&parent.allow_force_pushes, &child.allow_force_pushes),
        allow_deletions: select(&parent.allow_deletions, &child.allow_deletions),
        require_manually_triggered_jobs: select(
            &parent.require_manually_triggered_jobs,
            &child.require_manually_triggered_jobs,
        ),
        require_signed_commits: select(
            &parent.require_signed_commits,
            &child.require_signed_commits,
        ),
        exclude: union(&parent.exclude, &child.exclude),
        include: union(&parent.include, &child.include),
    }
}

/// Prow's `Policy.Managed`: `unmanaged` is explicitly `false`.
pub fn is_managed(policy: &Policy) -> bool {
    policy.unmanaged == Some(false)
}

/// `unmanaged: true`.
pub fn is_unmanaged(policy: &Policy) -> bool {
    policy.unmanaged == Some(true)
}

/// Prow's `Policy.defined`: any protection setting is set (`unmanaged`, `include` and
/// `exclude` do not count).
pub fn is_defined(policy: &Policy) -> bool {
    policy.protect.is_some()
        || policy.required_status_checks.is_some()
        || policy.enforce_admins.is_some()
        || policy.restrictions.is_some()
        || policy.require_manually_triggered_jobs.is_some()
        || policy.required_pull_request_reviews.is_some()
        || policy.required_linear_history.is_some()
        || policy.allow_force_pushes.is_some()
        || policy.allow_deletions.is_some()
        || policy.require_signed_commits.is_some()
}

/// Whether a repo sets `unmanaged: false` on any branch (Prow's `Repo.HasManagedBranches`).
pub fn repo_has_managed_branches(repo: &RepoPolicy) -> bool {
    repo.branches.values().any(|b| is_managed(&b.policy))
}

/// Prow's `Org.HasManagedRepos`.
pub fn org_has_managed_repos(org: &OrgPolicy) -> bool {
    org.repos.values().any(|r| is_managed(&r.policy))
}

/// Prow's `Org.HasManagedBranches`.
pub fn org_has_managed_branches(org: &OrgPolicy) -> bool {
    org.repos.values().any(repo_has_managed_branches)
}

/// Whether a global `unmanaged: true` switches the whole protector off (no org, repo or
/// branch opts back in with `unmanaged: false`).
pub fn globally_unmanaged(bp: &BranchProtection) -> bool {
    is_unmanaged(&bp.policy)
        && !bp.orgs.values().any(|o| {
            is_managed(&o.policy) || org_has_managed_repos(o) || org_has_managed_branches(o)
        })
}

/// Prow's `BranchProtection.GetOrg`: the org with the top-level policy applied.
pub fn org_policy(bp: &BranchProtection, org: &str) -> OrgPolicy {
    match bp.orgs.get(org) {
        Some(o) => OrgPolicy {
            policy: apply(&bp.policy, &o.policy),
            repos: o.repos.clone(),
        },
        None => OrgPolicy {
            policy: bp.policy.clone(),
            repos: Default::default(),
        },
    }
}

/// Prow's `Org.GetRepo`: the repo with the (already merged) org policy applied.
pub fn repo_policy(org: &OrgPolicy, repo: &str) -> RepoPolicy {
    match org.repos.get(repo) {
        Some(r) => RepoPolicy {
            policy: apply(&org.policy, &r.policy),
            branches: r.branches.clone(),
        },
        None => RepoPolicy {
            policy: org.policy.clone(),
            branches: Default::default(),
        },
    }
}

/// Prow's `Repo.GetBranch`: the branch with the (already merged) repo policy applied. A branch
/// listed in the config must set `protect` or `unmanaged: true`.
pub fn branch_policy(repo: &RepoPolicy, branch: &str) -> Result<Policy, Error> {
    match repo.branches.get(branch) {
        Some(b) => {
            let policy = apply(&repo.policy, &b.policy);
            if policy.protect.is_none() && !is_unmanaged(&policy) {
                return Err(Error::BranchPolicyIncomplete {
                    branch: branch.to_string(),
                });
            }
            Ok(policy)
        }
        None => Ok(repo.policy.clone()),
    }
}

/// Prow's `BranchRequirements`: the contexts of a branch's presubmits in three buckets.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BranchRequirements {
    /// Contexts that must always be present and green (required, always-run presubmits, and
    /// manually triggered ones with `require_manually_triggered_jobs`).
    pub required: Vec<String>,
    /// Contexts required only when present (`run_if_changed`, `skip_if_only_changed`, or
    /// manually triggered presubmits).
    pub required_if_present: Vec<String>,
    /// Contexts of optional or non-reporting presubmits.
    pub optional: Vec<String>,
}

/// Partitions the contexts of the presubmits that could run on `branch`.
pub fn branch_requirements(
    branch: &str,
    presubmits: &[Presubmit],
    require_manually_triggered_jobs: Option<bool>,
) -> BranchRequirements {
    let manual = require_manually_triggered_jobs == Some(true);
    let mut out = BranchRequirements::default();
    for job in presubmits.iter().filter(|j| j.could_run(branch)) {
        let context = job.reporter.context.clone();
        if !job.context_required() {
            out.optional.push(context);
        } else if manual && job.needs_explicit_trigger() {
            out.required.push(context);
        } else if job.triggers_conditionally() {
            out.required_if_present.push(context);
        } else {
            out.required.push(context);
        }
    }
    out
}

/// Prow's `Config.GetPolicy`: the branch policy plus the contexts of required presubmits.
/// `Ok(None)` means "nothing to manage" (no setting defined, or a job policy disabled with
/// `allow_disabled_job_policies`).
pub fn effective_policy(
    bp: &BranchProtection,
    branch: &str,
    policy: Policy,
    presubmits: &[Presubmit],
) -> Result<Option<Policy>, Error> {
    let mut policy = policy;
    let requirements =
        branch_requirements(branch, presubmits, policy.require_manually_triggered_jobs);
    let manage_contexts = !requirements.required.is_empty()
        || (bp.protect_repos_with_optional_jobs == Some(true)
            && (!requirements.required_if_present.is_empty() || !requirements.optional.is_empty()));
    if manage_contexts {
        if policy.protect == Some(false) {
            if bp.allow_disabled_job_policies == Some(true) {
                return Ok(None);
            }
            return Err(Error::JobsRequireProtection {
                branch: branch.to_string(),
            });
        }
        let jobs = Policy {
            required_status_checks: Some(ContextPolicy {
                contexts: requirements.required,
                strict: None,
            }),
            protect: (bp.protect_tested_repos == Some(true)).then_some(true),
            ..Policy::default()
        };
        policy = apply(&policy, &jobs);
    }
    if policy.protect == Some(false) {
        let without_protect = Policy {
            protect: None,
            ..policy.clone()
        };
        if is_defined(&without_protect) && bp.allow_disabled_policies != Some(true) {
            return Err(Error::DisabledPolicyDefinesSettings {
                branch: branch.to_string(),
            });
        }
    }
    Ok(is_defined(&policy).then_some(policy))
}

#[cfg(test)]
#[path = "policy_tests.rs"]
mod tests;
