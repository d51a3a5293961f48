//! [`plan`]: the one write (or none) that takes a branch from its current protection to the
//! desired one, and [`render_diff`], its readable form for `--dry-run` and the logs.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::protection::Protection;

/// A write to make on one branch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// Replace the branch's protection with this one.
    Put(Box<Protection>),
    /// Remove the branch's protection.
    Delete,
}

impl Change {
    /// `put` or `delete`, the `kind` metric label.
    pub fn kind(&self) -> &'static str {
        match self {
            Change::Put(_) => "put",
            Change::Delete => "delete",
        }
    }
}

/// The change that makes `current` (`None`: unprotected) what `desired` asks for (`None`:
/// unprotected); `None` when nothing differs.
pub fn plan(desired: Option<&Protection>, current: Option<&Protection>) -> Option<Change> {
    match (desired, current) {
        (None, None) => None,
        (None, Some(_)) => Some(Change::Delete),
        (Some(want), Some(have)) if want.is_satisfied_by(have) => None,
        (Some(want), _) => Some(Change::Put(Box::new(want.clone()))),
    }
}

/// A unified-diff-like rendering of a change: a header naming the branch, then `-` lines for
/// settings that go away or change and `+` lines for their new values.
pub fn render_diff(branch: &str, current: Option<&Protection>, change: &Change) -> String {
    let before: BTreeMap<String, String> = current
        .map(|p| p.lines().into_iter().collect())
        .unwrap_or_default();
    let mut out = String::new();
    match change {
        Change::Delete => {
            let _ = writeln!(out, "--- {branch} (protected)\n+++ {branch} (unprotected)");
            for (key, value) in current.map(Protection::lines).unwrap_or_default() {
                let _ = writeln!(out, "-  {key}: {value}");
            }
        }
        Change::Put(want) => {
            let header = if current.is_some() {
                "protected"
            } else {
                "unprotected"
            };
            let _ = writeln!(out, "--- {branch} ({header})\n+++ {branch} (desired)");
            for (key, value) in want.lines() {
                match before.get(&key) {
                    Some(old) if *old == value => {}
                    Some(old) => {
                        let _ = writeln!(out, "-  {key}: {old}\n+  {key}: {value}");
                    }
                    None => {
                        let _ = writeln!(out, "+  {key}: {value}");
                    }
                }
            }
            let wanted: BTreeMap<String, String> = want.lines().into_iter().collect();
            for (key, old) in &before {
                if !wanted.contains_key(key) {
                    let _ = writeln!(out, "-  {key}: {old}");
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::protection::{People, PushRestrictions, Reviews, StatusChecks};

    fn set(items: &[&str]) -> BTreeSet<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    fn base() -> Protection {
        Protection {
            required_status_checks: Some(StatusChecks {
                strict: false,
                contexts: set(&["unit", "lint"]),
            }),
            enforce_admins: false,
            required_pull_request_reviews: None,
            restrictions: None,
            required_linear_history: false,
            allow_force_pushes: false,
            allow_deletions: false,
        }
    }

    fn with(change: impl FnOnce(&mut Protection)) -> Protection {
        let mut p = base();
        change(&mut p);
        p
    }

    #[test]
    fn plan_table() {
        let reviews = |dismissal: Option<People>| Reviews {
            dismiss_stale_reviews: true,
            require_code_owner_reviews: false,
            required_approving_review_count: 1,
            dismissal_restrictions: dismissal,
            bypass_pull_request_allowances: None,
        };
        let restrictions = |apps: Option<BTreeSet<String>>| PushRestrictions {
            apps,
            users: set(&["alice"]),
            teams: set(&["admins"]),
        };
        type Case = (
            &'static str,
            Option<Protection>,
            Option<Protection>,
            Option<&'static str>,
        );
        let cases: Vec<Case> = vec![
            ("both unprotected", None, None, None),
            (
                "unprotect a protected branch",
                None,
                Some(base()),
                Some("delete"),
            ),
            (
                "protect an unprotected branch",
                Some(base()),
                None,
                Some("put"),
            ),
            ("identical", Some(base()), Some(base()), None),
            (
                "contexts in another order are equal",
                Some(base()),
                Some(with(|p| {
                    p.required_status_checks = Some(StatusChecks {
                        strict: false,
                        contexts: set(&["lint", "unit"]),
                    })
                })),
                None,
            ),
            (
                "a missing context",
                Some(base()),
                Some(with(|p| {
                    p.required_status_checks = Some(StatusChecks {
                        strict: false,
                        contexts: set(&["unit"]),
                    })
                })),
                Some("put"),
            ),
            (
                "strict differs",
                Some(with(|p| {
                    if let Some(c) = &mut p.required_status_checks {
                        c.strict = true
                    }
                })),
                Some(base()),
                Some("put"),
            ),
            (
                "admins differ",
                Some(with(|p| p.enforce_admins = true)),
                Some(base()),
                Some("put"),
            ),
            (
                "checks disabled but present",
                Some(with(|p| p.required_status_checks = None)),
                Some(base()),
                Some("put"),
            ),
            (
                "empty dismissal restrictions equal none",
                Some(with(|p| {
                    p.required_pull_request_reviews = Some(reviews(Some(People::default())))
                })),
                Some(with(|p| {
                    p.required_pull_request_reviews = Some(reviews(None))
                })),
                None,
            ),
            (
                "dismissal restriction added",
                Some(with(|p| {
                    p.required_pull_request_reviews = Some(reviews(Some(People {
                        users: set(&["bob"]),
                        teams: BTreeSet::new(),
                    })))
                })),
                Some(with(|p| {
                    p.required_pull_request_reviews = Some(reviews(None))
                })),
                Some("put"),
            ),
            (
                "unmanaged apps are ignored",
                Some(with(|p| p.restrictions = Some(restrictions(None)))),
                Some(with(|p| {
                    p.restrictions = Some(restrictions(Some(set(&["some-app"]))))
                })),
                None,
            ),
            (
                "managed apps differ",
                Some(with(|p| {
                    p.restrictions = Some(restrictions(Some(set(&[]))))
                })),
                Some(with(|p| {
                    p.restrictions = Some(restrictions(Some(set(&["some-app"]))))
                })),
                Some("put"),
            ),
            (
                "force pushes differ",
                Some(base()),
                Some(with(|p| p.allow_force_pushes = true)),
                Some("put"),
            ),
            (
                "linear history differs",
                Some(with(|p| p.required_linear_history = true)),
                Some(base()),
                Some("put"),
            ),
        ];
        for (name, desired, current, want) in cases {
            let got = plan(desired.as_ref(), current.as_ref());
            assert_eq!(got.as_ref().map(Change::kind), want, "{name}");
            if let Some(Change::Put(body)) = got {
                assert_eq!(
                    Some(*body),
                    desired,
                    "{name}: PUT carries the desired protection"
                );
            }
        }
    }

    #[test]
    fn diff_shows_only_what_changes() {
        let current = base();
        let desired = with(|p| {
            p.enforce_admins = true;
            p.required_status_checks = Some(StatusChecks {
                strict: false,
                contexts: set(&["lint", "unit", "e2e"]),
            });
        });
        let change = plan(Some(&desired), Some(&current)).expect("a change");
        let diff = render_diff("org/repo=main", Some(&current), &change);
        assert_eq!(
            diff,
            "--- org/repo=main (protected)\n+++ org/repo=main (desired)\n\
             -  required_status_checks.contexts: [lint, unit]\n\
             +  required_status_checks.contexts: [e2e, lint, unit]\n\
             -  enforce_admins: false\n+  enforce_admins: true\n"
        );
        let delete = render_diff("org/repo=old", Some(&current), &Change::Delete);
        assert!(
            delete.starts_with("--- org/repo=old (protected)\n+++ org/repo=old (unprotected)\n")
        );
        assert!(delete.contains("-  required_status_checks.contexts: [lint, unit]\n"));
    }
}
