//! Table-driven tests of the policy merge, after the cases of Prow's
//! `pkg/config/branch_protection_test.go` (`TestApply`, `TestConfig_GetBranchProtection`).

use prow_config::{BranchProtection, Presubmit};
use serde_json::{Value, json};

use super::*;

fn config(value: Value) -> BranchProtection {
    serde_json::from_value(value).expect("valid branch-protection document")
}

#[derive(Default, Clone, Copy)]
struct Job {
    name: &'static str,
    always_run: bool,
    optional: bool,
    skip_report: bool,
    run_if_changed: &'static str,
    branches: &'static [&'static str],
}

fn presubmit(job: Job) -> Presubmit {
    let mut p = Presubmit::default();
    p.base.name = job.name.into();
    p.always_run = job.always_run;
    p.optional = job.optional;
    p.brancher.branches = job.branches.iter().map(|b| b.to_string()).collect();
    p.change_matcher.run_if_changed = job.run_if_changed.into();
    p.reporter.context = job.name.into();
    p.reporter.skip_report = job.skip_report;
    p
}

/// The policy of `org/repo=branch` as the protector computes it.
fn policy_for(bp: &BranchProtection, branch: &str, jobs: &[Job]) -> Result<Option<Policy>, Error> {
    let org = org_policy(bp, "org");
    let repo = repo_policy(&org, "repo");
    let policy = branch_policy(&repo, branch)?;
    let presubmits: Vec<Presubmit> = jobs.iter().copied().map(presubmit).collect();
    effective_policy(bp, branch, policy, &presubmits)
}

/// What a case expects: `protect`, the sorted required contexts, `enforce_admins`.
type Summary = (Option<bool>, Option<Vec<&'static str>>, Option<bool>);

fn summary(policy: &Policy) -> (Option<bool>, Option<Vec<String>>, Option<bool>) {
    (
        policy.protect,
        policy.required_status_checks.as_ref().map(|c| {
            let mut contexts = c.contexts.clone();
            contexts.sort();
            contexts
        }),
        policy.enforce_admins,
    )
}

const ALWAYS: Job = Job {
    name: "unit",
    always_run: true,
    optional: false,
    skip_report: false,
    run_if_changed: "",
    branches: &[],
};

#[test]
fn get_branch_protection_table() {
    type Case = (
        &'static str,
        Value,
        &'static str,
        Vec<Job>,
        Result<Option<Summary>, &'static str>,
    );
    let cases: Vec<Case> = vec![
        (
            "nothing configured",
            json!({"orgs": {"org": {}}}),
            "main",
            vec![],
            Ok(None),
        ),
        (
            "protect by default",
            json!({"protect": true, "orgs": {"org": {}}}),
            "main",
            vec![],
            Ok(Some((Some(true), None, None))),
        ),
        (
            "protect via org",
            json!({"orgs": {"org": {"protect": true}}}),
            "main",
            vec![],
            Ok(Some((Some(true), None, None))),
        ),
        (
            "protect via repo, enforce admins via branch",
            json!({"orgs": {"org": {"repos": {"repo": {"protect": true,
                "branches": {"main": {"protect": true, "enforce_admins": true}}}}}}}),
            "main",
            vec![],
            Ok(Some((Some(true), None, Some(true)))),
        ),
        (
            "child scalar overrides parent",
            json!({"protect": true, "enforce_admins": true,
                   "orgs": {"org": {"enforce_admins": false}}}),
            "main",
            vec![],
            Ok(Some((Some(true), None, Some(false)))),
        ),
        (
            "branch protect false overrides a protecting parent",
            json!({"protect": true, "orgs": {"org": {"repos": {"repo": {
                "branches": {"dev": {"protect": false}}}}}}}),
            "dev",
            vec![],
            Ok(Some((Some(false), None, None))),
        ),
        (
            "contexts are unioned across levels",
            json!({"protect": true, "required_status_checks": {"contexts": ["global"]},
                   "orgs": {"org": {"required_status_checks": {"contexts": ["org"]},
                     "repos": {"repo": {"required_status_checks": {"contexts": ["repo", "global"]},
                       "branches": {"main": {"protect": true,
                         "required_status_checks": {"contexts": ["branch"]}}}}}}}}),
            "main",
            vec![],
            Ok(Some((
                Some(true),
                Some(vec!["branch", "global", "org", "repo"]),
                None,
            ))),
        ),
        (
            "required presubmit adds its context",
            json!({"protect": true, "required_status_checks": {"contexts": ["cla"]},
                   "orgs": {"org": {}}}),
            "main",
            vec![ALWAYS],
            Ok(Some((Some(true), Some(vec!["cla", "unit"]), None))),
        ),
        (
            "optional, skip_report and conditional jobs are not required",
            json!({"protect": true, "orgs": {"org": {}}}),
            "main",
            vec![
                Job {
                    name: "opt",
                    optional: true,
                    ..ALWAYS
                },
                Job {
                    name: "silent",
                    skip_report: true,
                    ..ALWAYS
                },
                Job {
                    name: "docs",
                    always_run: false,
                    run_if_changed: "^docs/",
                    ..ALWAYS
                },
                Job {
                    name: "manual",
                    always_run: false,
                    ..ALWAYS
                },
            ],
            Ok(Some((Some(true), None, None))),
        ),
        (
            "require_manually_triggered_jobs requires manual jobs",
            json!({"protect": true, "require_manually_triggered_jobs": true,
                   "orgs": {"org": {}}}),
            "main",
            vec![
                Job {
                    name: "manual",
                    always_run: false,
                    ..ALWAYS
                },
                Job {
                    name: "docs",
                    always_run: false,
                    run_if_changed: "^docs/",
                    ..ALWAYS
                },
            ],
            Ok(Some((Some(true), Some(vec!["manual"]), None))),
        ),
        (
            "jobs for other branches do not count",
            json!({"protect": true, "orgs": {"org": {}}}),
            "main",
            vec![Job {
                branches: &["^release-.*$"],
                ..ALWAYS
            }],
            Ok(Some((Some(true), None, None))),
        ),
        (
            "jobs for this branch count",
            json!({"protect": true, "orgs": {"org": {}}}),
            "release-1.0",
            vec![Job {
                branches: &["^release-.*$"],
                ..ALWAYS
            }],
            Ok(Some((Some(true), Some(vec!["unit"]), None))),
        ),
        (
            "required jobs without any policy give contexts but no protect",
            json!({"orgs": {"org": {}}}),
            "main",
            vec![ALWAYS],
            Ok(Some((None, Some(vec!["unit"]), None))),
        ),
        (
            "protect-tested-repos protects branches with required jobs",
            json!({"protect-tested-repos": true, "orgs": {"org": {}}}),
            "main",
            vec![ALWAYS],
            Ok(Some((Some(true), Some(vec!["unit"]), None))),
        ),
        (
            "protect false with required jobs is an error",
            json!({"orgs": {"org": {"protect": false}}}),
            "main",
            vec![ALWAYS],
            Err("JobsRequireProtection"),
        ),
        (
            "allow_disabled_job_policies lets protect false skip the branch",
            json!({"allow_disabled_job_policies": true, "orgs": {"org": {"protect": false}}}),
            "main",
            vec![ALWAYS],
            Ok(None),
        ),
        (
            "protect false with settings is an error",
            json!({"orgs": {"org": {"protect": false, "enforce_admins": true}}}),
            "main",
            vec![],
            Err("DisabledPolicyDefinesSettings"),
        ),
        (
            "allow_disabled_policies accepts protect false with settings",
            json!({"allow_disabled_policies": true,
                   "orgs": {"org": {"protect": false, "enforce_admins": true}}}),
            "main",
            vec![],
            Ok(Some((Some(false), None, Some(true)))),
        ),
        (
            "a listed branch must set protect or unmanaged",
            json!({"orgs": {"org": {"repos": {"repo": {"branches": {
                "main": {"enforce_admins": true}}}}}}}),
            "main",
            vec![],
            Err("BranchPolicyIncomplete"),
        ),
        (
            "optional-only repos are managed with protect_repos_with_optional_jobs",
            json!({"protect_repos_with_optional_jobs": true, "protect": true,
                   "orgs": {"org": {}}}),
            "main",
            vec![Job {
                name: "opt",
                optional: true,
                ..ALWAYS
            }],
            Ok(Some((Some(true), Some(vec![]), None))),
        ),
    ];
    for (name, document, branch, jobs, want) in cases {
        let got = policy_for(&config(document), branch, &jobs);
        match (got, want) {
            (Ok(got), Ok(want)) => {
                let want = want
                    .map(|(p, c, a)| (p, c.map(|c| c.into_iter().map(String::from).collect()), a));
                assert_eq!(got.as_ref().map(summary), want, "{name}");
            }
            (Err(e), Err(kind)) => assert_eq!(e.kind(), kind, "{name}"),
            (got, want) => panic!("{name}: got {got:?}, want {want:?}"),
        }
    }
}

#[test]
fn apply_merges_as_prow() {
    let parent = config(json!({
        "protect": true,
        "enforce_admins": true,
        "restrictions": {"users": ["alice"], "teams": ["core"]},
        "required_pull_request_reviews": {"required_approving_review_count": 1,
            "dismiss_stale_reviews": true,
            "dismissal_restrictions": {"users": ["alice"]}},
        "include": ["^main$"],
    }))
    .policy;
    let child = config(json!({
        "enforce_admins": false,
        "restrictions": {"users": ["bob", "alice"]},
        "required_pull_request_reviews": {"required_approving_review_count": 2,
            "dismissal_restrictions": {"teams": ["leads"]}},
        "include": ["^release-"],
        "allow_force_pushes": true,
    }))
    .policy;
    let merged = apply(&parent, &child);
    assert_eq!(merged.protect, Some(true), "unset child keeps parent");
    assert_eq!(merged.enforce_admins, Some(false), "child scalar wins");
    assert_eq!(merged.allow_force_pushes, Some(true));
    let restrictions = merged.restrictions.expect("restrictions");
    assert_eq!(
        restrictions.users,
        Some(vec!["alice".into(), "bob".into()]),
        "lists union"
    );
    assert_eq!(
        restrictions.teams,
        Some(vec!["core".into()]),
        "unset child list keeps parent"
    );
    assert_eq!(restrictions.apps, None);
    let reviews = merged.required_pull_request_reviews.expect("reviews");
    assert_eq!(reviews.required_approving_review_count, Some(2));
    assert_eq!(reviews.dismiss_stale_reviews, Some(true));
    let dismissal = reviews.dismissal_restrictions.expect("dismissal");
    assert_eq!(dismissal.users, Some(vec!["alice".into()]));
    assert_eq!(dismissal.teams, Some(vec!["leads".into()]));
    assert_eq!(
        merged.include,
        vec!["^main$".to_string(), "^release-".to_string()]
    );

    let unchanged = apply(&parent, &Policy::default());
    assert_eq!(
        serde_json::to_value(&unchanged).expect("serializes"),
        serde_json::to_value(&parent).expect("serializes"),
        "an empty child changes nothing"
    );
}

#[test]
fn global_unmanaged_unless_something_opts_in() {
    let off = config(json!({"unmanaged": true, "orgs": {"org": {"protect": true}}}));
    assert!(globally_unmanaged(&off));
    let opted_in = config(
        json!({"unmanaged": true, "orgs": {"org": {"repos": {"repo": {
        "branches": {"main": {"unmanaged": false, "protect": true}}}}}}}),
    );
    assert!(!globally_unmanaged(&opted_in));
}
