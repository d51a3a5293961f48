//! The `labeler` plugin (prow-rs's own; Prow has none): a pull request's labels follow the
//! files it changes. `plugins.yaml` maps labels to path globs per org or `org/repo` (both
//! apply):
//!
//! ```yaml
//! labeler:
//!   my-org/my-repo:
//!   - label: area/docs
//!     paths: ["docs/**", "*.md"]
//!   - label: area/hook
//!     paths: ["crates/hook/**"]
//! ```
//!
//! When a PR is opened, reopened or pushed to, each managed label is added when a changed file
//! (or a renamed file's previous path) matches one of its globs and removed when none does.
//! Labels the configuration does not name are never touched. Missing labels are created by
//! GitHub on first use.

pub mod path_glob;

use std::collections::BTreeSet;

use async_trait::async_trait;
use prow_config::{LabelerRule, Loaded};
use prow_github::webhook::Event;
use prow_github::webhook::events::PullRequestAction;

use crate::plugin::{Delivery, Plugin, PluginError, PluginHelp, Services};
use path_glob::glob_matches;

/// The rules that apply to `org/repo`: the org's, then the repository's.
pub fn rules_for<'a>(config: &'a Loaded, org: &str, repo: &str) -> Vec<&'a LabelerRule> {
    let Some(plugins) = &config.plugins else {
        return Vec::new();
    };
    [org.to_string(), format!("{org}/{repo}")]
        .iter()
        .filter_map(|key| plugins.labeler.get(key))
        .flatten()
        .collect()
}

/// The labels to add and remove so that `current` carries exactly the managed labels whose
/// globs match one of `changed` paths.
pub fn label_changes(
    rules: &[&LabelerRule],
    changed: &[String],
    current: &[String],
) -> (Vec<String>, Vec<String>) {
    let managed: BTreeSet<&str> = rules.iter().map(|r| r.label.as_str()).collect();
    let wanted: BTreeSet<&str> = rules
        .iter()
        .filter(|r| {
            r.paths
                .iter()
                .any(|glob| changed.iter().any(|path| glob_matches(glob, path)))
        })
        .map(|r| r.label.as_str())
        .collect();
    let has = |label: &str| current.iter().any(|c| c.eq_ignore_ascii_case(label));
    let add = wanted
        .iter()
        .filter(|l| !has(l))
        .map(|l| l.to_string())
        .collect();
    let remove = current
        .iter()
        .filter(|c| {
            managed.iter().any(|m| m.eq_ignore_ascii_case(c))
                && !wanted.iter().any(|w| w.eq_ignore_ascii_case(c))
        })
        .cloned()
        .collect();
    (add, remove)
}

/// The `labeler` plugin.
#[derive(Debug, Default)]
pub struct Labeler;

#[async_trait]
impl Plugin for Labeler {
    fn name(&self) -> &'static str {
        "labeler"
    }

    fn help(&self, config: &Loaded, org_repo: Option<&str>) -> PluginHelp {
        let rules = org_repo
            .and_then(|full| full.split_once('/'))
            .map(|(org, repo)| rules_for(config, org, repo))
            .unwrap_or_default();
        let config_text = if rules.is_empty() {
            "No labels are managed for this repository.".to_string()
        } else {
            let lines: Vec<String> = rules
                .iter()
                .map(|r| format!("<li>{}: {}</li>", r.label, r.paths.join(", ")))
                .collect();
            format!(
                "Labels and the paths that set them:<ul>\n{}\n</ul>",
                lines.join("\n")
            )
        };
        PluginHelp {
            description: "The labeler plugin (prow-rs) keeps the labels configured under `labeler` in plugins.yaml in step with the files a pull request changes: a label is added while the PR changes a file matching one of its path globs, and removed when it no longer does. It has no commands; labels it does not manage are left alone.".into(),
            config: Some(config_text),
            commands: Vec::new(),
        }
    }

    async fn handle(
        &self,
        services: &Services,
        delivery: &Delivery<'_>,
    ) -> Result<(), PluginError> {
        let Event::PullRequest(event) = delivery.event else {
            return Ok(());
        };
        if !matches!(
            event.action,
            PullRequestAction::Opened
                | PullRequestAction::Reopened
                | PullRequestAction::Synchronize
        ) {
            return Ok(());
        }
        let (org, repo) = (&event.repository.owner.login, &event.repository.name);
        let rules = rules_for(delivery.config, org, repo);
        if rules.is_empty() {
            return Ok(());
        }
        let number = event.pull_request.number;
        let files = services
            .github
            .list_pull_request_files(org, repo, number)
            .await
            .map_err(|e| {
                PluginError::new(format!("list the files of {org}/{repo}#{number}: {e}"))
            })?;
        let changed: Vec<String> = files
            .into_iter()
            .flat_map(|f| std::iter::once(f.filename).chain(f.previous_filename))
            .collect();
        let current: Vec<String> = services
            .github
            .list_issue_labels(org, repo, number)
            .await
            .map_err(|e| PluginError::new(format!("get the labels of {org}/{repo}#{number}: {e}")))?
            .into_iter()
            .map(|l| l.name)
            .collect();
        let (add, remove) = label_changes(&rules, &changed, &current);
        for label in &remove {
            services
                .github
                .remove_label(org, repo, number, label)
                .await
                .map_err(|e| PluginError::new(format!("remove {label}: {e}")))?;
        }
        if !add.is_empty() {
            services
                .github
                .add_labels(org, repo, number, &add)
                .await
                .map_err(|e| PluginError::new(format!("add {add:?}: {e}")))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(label: &str, paths: &[&str]) -> LabelerRule {
        LabelerRule {
            label: label.into(),
            paths: paths.iter().map(|p| p.to_string()).collect(),
        }
    }

    /// A list of paths or labels in a test case.
    type Names<'a> = &'a [&'a str];

    #[test]
    fn labels_follow_changed_paths() {
        let docs = rule("area/docs", &["docs/**", "*.md"]);
        let hook = rule("area/hook", &["crates/hook/**"]);
        let rules = vec![&docs, &hook];
        let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let cases: &[(Names, Names, Names, Names)] = &[
            (&["docs/a.md"], &[], &["area/docs"], &[]),
            (
                &["README.md", "crates/hook/src/lib.rs"],
                &[],
                &["area/docs", "area/hook"],
                &[],
            ),
            (
                &["crates/hook/src/lib.rs"],
                &["area/docs", "lgtm"],
                &["area/hook"],
                &["area/docs"],
            ),
            (&["docs/a.md"], &["Area/Docs"], &[], &[]),
            (
                &["src/main.rs"],
                &["area/hook", "kind/bug"],
                &[],
                &["area/hook"],
            ),
        ];
        for (changed, current, add, remove) in cases {
            let (got_add, got_remove) = label_changes(&rules, &strings(changed), &strings(current));
            assert_eq!(got_add, strings(add), "{changed:?} {current:?}");
            assert_eq!(got_remove, strings(remove), "{changed:?} {current:?}");
        }
    }
}
