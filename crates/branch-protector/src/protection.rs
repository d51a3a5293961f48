//! [`Protection`]: branch protection settings in one normalized form, built either from a
//! policy (Prow's `makeRequest`) or from what GitHub returns, so the two compare directly.

use std::collections::BTreeSet;

use prow_config::Policy;
use prow_github::types::{BranchProtection, RequiredStatusChecks};
use serde_json::{Value, json};

/// Required status checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusChecks {
    /// The branch must be up to date before merging.
    pub strict: bool,
    /// Required contexts.
    pub contexts: BTreeSet<String>,
}

/// Users and teams (review dismissal or bypass lists).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct People {
    /// User logins, normalized as Prow's `NormLogin` (lower case, no `@`).
    pub users: BTreeSet<String>,
    /// Team slugs.
    pub teams: BTreeSet<String>,
}

impl People {
    fn is_empty(&self) -> bool {
        self.users.is_empty() && self.teams.is_empty()
    }
}

/// Required pull request reviews.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reviews {
    /// Dismiss approvals on new pushes.
    pub dismiss_stale_reviews: bool,
    /// Require code owner review.
    pub require_code_owner_reviews: bool,
    /// Number of approvals.
    pub required_approving_review_count: i64,
    /// Who may dismiss reviews (`None`: not restricted).
    pub dismissal_restrictions: Option<People>,
    /// Who may bypass the requirements (`None`: nobody listed).
    pub bypass_pull_request_allowances: Option<People>,
}

/// Push restrictions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PushRestrictions {
    /// App slugs; `None` when apps restrictions are not managed (`--enable-apps-restrictions`
    /// off), which leaves GitHub's apps list alone.
    pub apps: Option<BTreeSet<String>>,
    /// User logins.
    pub users: BTreeSet<String>,
    /// Team slugs.
    pub teams: BTreeSet<String>,
}

/// Branch protection settings, as branch-protector manages them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Protection {
    /// Required status checks (`None`: disabled).
    pub required_status_checks: Option<StatusChecks>,
    /// Enforce the rules for administrators too.
    pub enforce_admins: bool,
    /// Required reviews (`None`: disabled).
    pub required_pull_request_reviews: Option<Reviews>,
    /// Push restrictions (`None`: anyone with write access may push).
    pub restrictions: Option<PushRestrictions>,
    /// Require a linear history.
    pub required_linear_history: bool,
    /// Allow force pushes.
    pub allow_force_pushes: bool,
    /// Allow deleting the branch.
    pub allow_deletions: bool,
}

/// Prow's `NormLogin`.
fn norm_login(login: &str) -> String {
    login.trim_start_matches('@').to_lowercase()
}

fn set(items: &Option<Vec<String>>) -> BTreeSet<String> {
    items.iter().flatten().cloned().collect()
}

fn logins(items: &Option<Vec<String>>) -> BTreeSet<String> {
    items.iter().flatten().map(|u| norm_login(u)).collect()
}

impl Protection {
    /// Prow's `makeRequest`: the protection a (protecting) policy asks for. Review
    /// requirements without `required_approving_review_count` are disabled, as in Prow.
    pub fn from_policy(policy: &Policy, enable_apps_restrictions: bool) -> Protection {
        let people = |d: &prow_config::DismissalRestrictions| People {
            users: logins(&d.users),
            teams: set(&d.teams),
        };
        Protection {
            required_status_checks: policy
                .required_status_checks
                .as_ref()
                .map(|c| StatusChecks {
                    strict: c.strict == Some(true),
                    contexts: c.contexts.iter().cloned().collect(),
                }),
            enforce_admins: policy.enforce_admins == Some(true),
            required_pull_request_reviews: policy.required_pull_request_reviews.as_ref().and_then(
                |r| {
                    let count = r.required_approving_review_count?;
                    Some(Reviews {
                        dismiss_stale_reviews: r.dismiss_stale_reviews == Some(true),
                        require_code_owner_reviews: r.require_code_owner_reviews == Some(true),
                        required_approving_review_count: count,
                        dismissal_restrictions: r.dismissal_restrictions.as_ref().map(people),
                        bypass_pull_request_allowances: r
                            .bypass_pull_request_allowances
                            .as_ref()
                            .map(people),
                    })
                },
            ),
            restrictions: policy.restrictions.as_ref().map(|r| PushRestrictions {
                apps: enable_apps_restrictions.then(|| set(&r.apps)),
                users: logins(&r.users),
                teams: set(&r.teams),
            }),
            required_linear_history: policy.required_linear_history == Some(true),
            allow_force_pushes: policy.allow_force_pushes == Some(true),
            allow_deletions: policy.allow_deletions == Some(true),
        }
    }

    /// The current protection GitHub reports. Users, teams and apps are accepted both as
    /// GitHub's objects (`{"login": ..}`, `{"slug": ..}`) and as plain names.
    pub fn from_github(current: &BranchProtection) -> Protection {
        Protection {
            required_status_checks: current
                .required_status_checks
                .as_ref()
                .map(|c| StatusChecks {
                    strict: c.strict,
                    contexts: c.contexts.iter().cloned().collect(),
                }),
            enforce_admins: current.enforce_admins == Some(true),
            required_pull_request_reviews: current
                .required_pull_request_reviews
                .as_ref()
                .filter(|r| r.is_object())
                .map(|r| Reviews {
                    dismiss_stale_reviews: r["dismiss_stale_reviews"].as_bool().unwrap_or(false),
                    require_code_owner_reviews: r["require_code_owner_reviews"]
                        .as_bool()
                        .unwrap_or(false),
                    required_approving_review_count: r["required_approving_review_count"]
                        .as_i64()
                        .unwrap_or(0),
                    dismissal_restrictions: people_from_json(&r["dismissal_restrictions"]),
                    bypass_pull_request_allowances: people_from_json(
                        &r["bypass_pull_request_allowances"],
                    ),
                }),
            restrictions: current
                .restrictions
                .as_ref()
                .filter(|r| r.is_object())
                .map(|r| PushRestrictions {
                    apps: Some(names(&r["apps"], "slug")),
                    users: names(&r["users"], "login")
                        .iter()
                        .map(|u| norm_login(u))
                        .collect(),
                    teams: names(&r["teams"], "slug"),
                }),
            required_linear_history: current.required_linear_history == Some(true),
            allow_force_pushes: current.allow_force_pushes == Some(true),
            allow_deletions: current.allow_deletions == Some(true),
        }
    }

    /// Whether GitHub's current protection already is what this one asks for (Prow's
    /// `equalBranchProtections`): contexts and people compare as sets, an empty dismissal or
    /// bypass list equals none (GitHub omits empty ones), and apps are ignored when they are
    /// not managed.
    pub fn is_satisfied_by(&self, current: &Protection) -> bool {
        let mut current = current.clone();
        if let (Some(wanted), Some(have)) = (&self.restrictions, &mut current.restrictions)
            && wanted.apps.is_none()
        {
            have.apps = None;
        }
        self.canonical() == current.canonical()
    }

    fn canonical(&self) -> Protection {
        let mut out = self.clone();
        if let Some(reviews) = &mut out.required_pull_request_reviews {
            for people in [
                &mut reviews.dismissal_restrictions,
                &mut reviews.bypass_pull_request_allowances,
            ] {
                if people.as_ref().is_some_and(People::is_empty) {
                    *people = None;
                }
            }
        }
        out
    }

    /// The `PUT /repos/{owner}/{repo}/branches/{branch}/protection` request body.
    pub fn to_request(&self) -> BranchProtection {
        let list = |s: &BTreeSet<String>| s.iter().cloned().collect::<Vec<_>>();
        let people = |p: &People| json!({"users": list(&p.users), "teams": list(&p.teams)});
        BranchProtection {
            required_status_checks: self.required_status_checks.as_ref().map(|c| {
                RequiredStatusChecks {
                    strict: c.strict,
                    contexts: list(&c.contexts),
                }
            }),
            enforce_admins: Some(self.enforce_admins),
            required_pull_request_reviews: self.required_pull_request_reviews.as_ref().map(|r| {
                let mut body = json!({
                    "dismiss_stale_reviews": r.dismiss_stale_reviews,
                    "require_code_owner_reviews": r.require_code_owner_reviews,
                    "required_approving_review_count": r.required_approving_review_count,
                });
                if let Some(object) = body.as_object_mut() {
                    if let Some(d) = &r.dismissal_restrictions {
                        object.insert("dismissal_restrictions".into(), people(d));
                    }
                    if let Some(b) = &r.bypass_pull_request_allowances {
                        object.insert("bypass_pull_request_allowances".into(), people(b));
                    }
                }
                body
            }),
            restrictions: self.restrictions.as_ref().map(|r| {
                let mut body = json!({"users": list(&r.users), "teams": list(&r.teams)});
                if let (Some(apps), Some(object)) = (&r.apps, body.as_object_mut()) {
                    object.insert("apps".into(), json!(list(apps)));
                }
                body
            }),
            required_linear_history: Some(self.required_linear_history),
            allow_force_pushes: Some(self.allow_force_pushes),
            allow_deletions: Some(self.allow_deletions),
        }
    }

    /// One `field: value` line per setting, for a readable diff.
    pub fn lines(&self) -> Vec<(String, String)> {
        let joined = |s: &BTreeSet<String>| {
            format!(
                "[{}]",
                s.iter().map(String::as_str).collect::<Vec<_>>().join(", ")
            )
        };
        let mut out = Vec::new();
        let mut push = |k: &str, v: String| out.push((k.to_string(), v));
        match &self.required_status_checks {
            Some(c) => {
                push("required_status_checks.strict", c.strict.to_string());
                push("required_status_checks.contexts", joined(&c.contexts));
            }
            None => push("required_status_checks", "disabled".into()),
        }
        push("enforce_admins", self.enforce_admins.to_string());
        match &self.required_pull_request_reviews {
            Some(r) => {
                push(
                    "required_pull_request_reviews.required_approving_review_count",
                    r.required_approving_review_count.to_string(),
                );
                push(
                    "required_pull_request_reviews.dismiss_stale_reviews",
                    r.dismiss_stale_reviews.to_string(),
                );
                push(
                    "required_pull_request_reviews.require_code_owner_reviews",
                    r.require_code_owner_reviews.to_string(),
                );
                for (name, people) in [
                    ("dismissal_restrictions", &r.dismissal_restrictions),
                    (
                        "bypass_pull_request_allowances",
                        &r.bypass_pull_request_allowances,
                    ),
                ] {
                    if let Some(p) = people.as_ref().filter(|p| !p.is_empty()) {
                        push(
                            &format!("required_pull_request_reviews.{name}.users"),
                            joined(&p.users),
                        );
                        push(
                            &format!("required_pull_request_reviews.{name}.teams"),
                            joined(&p.teams),
                        );
                    }
                }
            }
            None => push("required_pull_request_reviews", "disabled".into()),
        }
        match &self.restrictions {
            Some(r) => {
                if let Some(apps) = &r.apps {
                    push("restrictions.apps", joined(apps));
                }
                push("restrictions.users", joined(&r.users));
                push("restrictions.teams", joined(&r.teams));
            }
            None => push("restrictions", "disabled".into()),
        }
        push(
            "required_linear_history",
            self.required_linear_history.to_string(),
        );
        push("allow_force_pushes", self.allow_force_pushes.to_string());
        push("allow_deletions", self.allow_deletions.to_string());
        out
    }
}

/// Names from a list of strings or of objects carrying `key` (`login`, `slug`).
fn names(list: &Value, key: &str) -> BTreeSet<String> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(|item| item.as_str().or_else(|| item[key].as_str()))
        .map(str::to_string)
        .collect()
}

fn people_from_json(value: &Value) -> Option<People> {
    value.is_object().then(|| People {
        users: names(&value["users"], "login")
            .iter()
            .map(|u| norm_login(u))
            .collect(),
        teams: names(&value["teams"], "slug"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Change, plan};

    /// GitHub's documented `GET .../protection` response shape (objects for users, teams and
    /// apps, `{"enabled": ..}` flags, URLs everywhere).
    fn github_response() -> Protection {
        let text = include_str!("../testdata/github-branch-protection.json");
        let current: BranchProtection = serde_json::from_str(text).expect("GitHub response");
        Protection::from_github(&current)
    }

    fn policy(apps: Option<&[&str]>) -> Policy {
        let mut restrictions = json!({"users": ["octocat"], "teams": ["justice-league"]});
        if let Some(apps) = apps {
            restrictions["apps"] = json!(apps);
        }
        serde_json::from_value(json!({
            "protect": true,
            "required_status_checks": {"strict": true,
                "contexts": ["pull-unit", "continuous-integration/travis-ci"]},
            "enforce_admins": true,
            "required_pull_request_reviews": {"required_approving_review_count": 2,
                "dismiss_stale_reviews": true, "require_code_owner_reviews": true,
                "dismissal_restrictions": {"users": ["@octocat"], "teams": ["justice-league"]}},
            "restrictions": restrictions,
            "required_linear_history": true,
        }))
        .expect("policy")
    }

    #[test]
    fn github_response_matching_the_policy_needs_no_change() {
        let current = github_response();
        let cases: [(&str, Option<&[&str]>, bool, bool); 4] = [
            (
                "apps not managed: GitHub's apps are left alone",
                None,
                false,
                false,
            ),
            ("apps managed and equal", Some(&["octoapp"]), true, false),
            ("apps managed and different", Some(&[]), true, true),
            ("apps configured but not managed", Some(&[]), false, false),
        ];
        for (name, apps, enable_apps, want_change) in cases {
            let desired = Protection::from_policy(&policy(apps), enable_apps);
            let change = plan(Some(&desired), Some(&current));
            assert_eq!(change.is_some(), want_change, "{name}: {change:?}");
        }
    }

    #[test]
    fn reviews_without_an_approval_count_are_disabled() {
        let mut policy = policy(None);
        if let Some(reviews) = &mut policy.required_pull_request_reviews {
            reviews.required_approving_review_count = None;
        }
        let desired = Protection::from_policy(&policy, false);
        assert_eq!(desired.required_pull_request_reviews, None);
        assert!(matches!(
            plan(Some(&desired), Some(&github_response())),
            Some(Change::Put(_))
        ));
    }

    #[test]
    fn request_body_has_github_put_shape() {
        let body = serde_json::to_value(Protection::from_policy(&policy(None), false).to_request())
            .expect("serializes");
        assert_eq!(
            body,
            json!({
                "required_status_checks": {"strict": true,
                    "contexts": ["continuous-integration/travis-ci", "pull-unit"]},
                "enforce_admins": true,
                "required_pull_request_reviews": {"dismiss_stale_reviews": true,
                    "require_code_owner_reviews": true, "required_approving_review_count": 2,
                    "dismissal_restrictions": {"users": ["octocat"], "teams": ["justice-league"]}},
                "restrictions": {"users": ["octocat"], "teams": ["justice-league"]},
                "required_linear_history": true,
                "allow_force_pushes": false,
                "allow_deletions": false,
            })
        );
        let unprotected = Protection::from_policy(&Policy::default(), false).to_request();
        let body = serde_json::to_value(unprotected).expect("serializes");
        assert_eq!(body["required_status_checks"], Value::Null);
        assert_eq!(
            body["restrictions"],
            Value::Null,
            "null disables restrictions"
        );
        assert_eq!(
            body["enforce_admins"],
            json!(false),
            "admins sent explicitly, as Prow"
        );
    }
}
