//! The `label` plugin (Prow's `label`): `/kind`, `/area`, `/priority`, `/sig`, `/triage`,
//! `/committee`, `/language`, `/wg` add `<prefix>/<value>` labels, `/remove-<prefix>` removes
//! them; `/label x` and `/remove-label x` handle the labels of `label.additional_labels` and
//! `label.restricted_labels`. Only labels that exist in the repository are added; unknown or
//! refused labels get one explanatory comment per command, as Prow words it.
//!
//! Restricted labels (`restricted_labels` under `*`, an org or `org/repo`) may be changed only
//! by their `allowed_users` and members of their `allowed_teams`; `assign_on` assigns the
//! allowed users when another label is added, `remove_on_new_commits` drops the label on a
//! push, and `allow_approvers_from_owners` also lets the OWNERS approvers (at the PR's base)
//! of every file a pull request changes change it there.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, LazyLock};

use async_trait::async_trait;
use prow_config::Loaded;
use prow_github::webhook::Event;
use prow_github::webhook::events::PullRequestAction;
use regex::Regex;
use serde::Deserialize;

use crate::owners::{OwnersFilenames, OwnersLoader, norm_login};
use crate::plugin::{CommandHelp, Delivery, Plugin, PluginError, PluginHelp, Services};
use crate::plugins::comment_event::{NewComment, has_label, new_comment};

/// The label only org members may add.
pub const TRIAGE_ACCEPTED: &str = "triage/accepted";

const DEFAULT_PREFIXES: [&str; 3] = ["kind", "priority", "area"];
const NEEDS_CATEGORIES: [&str; 4] = ["kind", "priority", "sig", "triage"];

static HTML_COMMENT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?s)<!--(.*?)-->").unwrap_or_else(|e| unreachable!("{e}")));
static PREFIXED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?m)^/(remove-)?(area|committee|kind|language|priority|sig|triage|wg)\s*(.*?)\s*$")
        .unwrap_or_else(|e| unreachable!("{e}"))
});
static CUSTOM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?m)^/(remove-)?label\s*(.*?)\s*$").unwrap_or_else(|e| unreachable!("{e}"))
});

/// One entry of `label.restricted_labels` (Prow's `plugins.RestrictedLabel`).
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct RestrictedLabel {
    /// The label.
    pub label: String,
    /// Team slugs (of the repository's org) whose members may change it.
    pub allowed_teams: Vec<String>,
    /// Users who may change it.
    pub allowed_users: Vec<String>,
    /// OWNERS approvers of every file a pull request changes may change it on that PR.
    pub allow_approvers_from_owners: bool,
    /// Remove the label when new commits are pushed.
    pub remove_on_new_commits: bool,
    /// Assign the allowed users when one of these labels is added.
    pub assign_on: Vec<AssignOn>,
}

/// A label whose addition assigns a restricted label's allowed users.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct AssignOn {
    /// The label.
    pub label: String,
}

/// Prow's `RestrictedLabelsFor`: the entries under `*`, the org and `org/repo`, by lower-case
/// label (later, more specific entries win).
pub fn restricted_labels_for(
    config: &prow_config::Label,
    org: &str,
    repo: &str,
) -> BTreeMap<String, RestrictedLabel> {
    let mut out = BTreeMap::new();
    for key in ["*".to_string(), org.to_string(), format!("{org}/{repo}")] {
        let Some(value) = config.restricted_labels.get(&key) else {
            continue;
        };
        match serde_json::from_value::<Vec<RestrictedLabel>>(value.clone()) {
            Ok(entries) => {
                for entry in entries {
                    out.insert(entry.label.to_lowercase(), entry);
                }
            }
            Err(err) => {
                tracing::warn!(key = %key, error = %err, "label: invalid restricted_labels entry")
            }
        }
    }
    out
}

/// The label changes one comment asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelCommands {
    /// Labels to add, lower case.
    pub add: Vec<String>,
    /// Labels to remove, lower case.
    pub remove: Vec<String>,
    /// `/label x` lines naming a label that is neither additional nor restricted.
    pub unsupported: Vec<String>,
}

/// Parses the label commands of `body` (HTML comments ignored). `custom_allowed` says whether
/// `/label x` may name `x`.
pub fn parse_label_commands(body: &str, custom_allowed: impl Fn(&str) -> bool) -> LabelCommands {
    let text = HTML_COMMENT.replace_all(body, "");
    let mut out = LabelCommands::default();
    for captures in PREFIXED.captures_iter(&text) {
        let remove = captures.get(1).is_some();
        let prefix = &captures[2];
        // Prow splits the whole line on single spaces and drops the command.
        let line = captures[0].trim();
        for value in line.split(' ').skip(1) {
            let label = format!("{prefix}/{}", value.trim()).to_lowercase();
            if remove {
                out.remove.push(label);
            } else {
                out.add.push(label);
            }
        }
    }
    for captures in CUSTOM.captures_iter(&text) {
        let remove = captures.get(1).is_some();
        let line = captures[0].trim();
        let parts: Vec<&str> = line.split(' ').collect();
        if parts.len() != 2 {
            continue;
        }
        let label = parts[1].to_lowercase();
        if !custom_allowed(&label) {
            out.unsupported.push(line.to_string());
        } else if remove {
            out.remove.push(label);
        } else {
            out.add.push(label);
        }
    }
    out
}

/// Prow's `needs-*` rule: when a comment removes every label of a category the issue has (and
/// adds none), the repository's `needs-<category>` label is added.
pub fn needs_labels(
    commands: &LabelCommands,
    issue_labels: &[String],
    repo_labels: &BTreeSet<String>,
) -> Vec<String> {
    let mut out = Vec::new();
    for category in NEEDS_CATEGORIES {
        let needs = format!("needs-{category}");
        if !repo_labels.contains(&needs) {
            continue;
        }
        let prefix = format!("{category}/");
        let of = |labels: &[String]| -> BTreeSet<String> {
            labels
                .iter()
                .filter(|l| l.starts_with(&prefix))
                .cloned()
                .collect()
        };
        let removed = of(&commands.remove);
        if removed.is_empty() || !of(&commands.add).is_empty() {
            continue;
        }
        if removed.is_superset(&of(issue_labels)) {
            out.push(needs);
        }
    }
    out
}

/// The `label` plugin.
#[derive(Debug, Default)]
pub struct LabelPlugin {
    owners: Arc<OwnersLoader>,
}

impl LabelPlugin {
    /// A label plugin reading OWNERS files through `owners` (shared cache).
    pub fn new(owners: Arc<OwnersLoader>) -> Self {
        LabelPlugin { owners }
    }

    /// Prow's `isOwnersApproverForAllFiles`: `user` is an OWNERS approver (at the PR's base)
    /// of every file the pull request changes.
    async fn approves_every_file(
        &self,
        services: &Services,
        loaded: &Loaded,
        comment: &NewComment<'_>,
    ) -> Result<bool, PluginError> {
        let (org, repo, number) = (comment.org, comment.repo, comment.number);
        let github = services.github.as_ref();
        let pr = github
            .get_pull_request(org, repo, number)
            .await
            .map_err(|e| PluginError::new(format!("get pull request: {e}")))?;
        let changed: Vec<String> = github
            .list_pull_request_files(org, repo, number)
            .await
            .map_err(|e| PluginError::new(format!("get pull request changes: {e}")))?
            .into_iter()
            .map(|f| f.filename)
            .collect();
        if changed.is_empty() {
            return Ok(false);
        }
        let config = crate::owners::plugin_config(loaded);
        let filenames = OwnersFilenames::for_repo(&config.owners, org, repo);
        let owners = self
            .owners
            .load(github, org, repo, &pr.base.sha, &filenames, &changed)
            .await
            .map_err(|e| PluginError::new(format!("load repo owners: {e}")))?;
        let user = norm_login(comment.author);
        Ok(changed
            .iter()
            .all(|path| owners.approvers(path).contains(&user)))
    }

    /// Whether `user` may change the restricted label `label`; the refusal text when not.
    async fn may_set(
        services: &Services,
        org: &str,
        user: &str,
        label: &str,
        restricted: &BTreeMap<String, RestrictedLabel>,
    ) -> Result<(), String> {
        let Some(rule) = restricted.get(label) else {
            return Ok(());
        };
        if rule
            .allowed_users
            .iter()
            .any(|u| u.eq_ignore_ascii_case(user))
        {
            return Ok(());
        }
        for team in &rule.allowed_teams {
            match services.github.list_team_members(org, team).await {
                Ok(members) if members.iter().any(|m| m.login.eq_ignore_ascii_case(user)) => {
                    return Ok(());
                }
                Ok(_) => {}
                Err(err) => {
                    tracing::warn!(team = %team, error = %err, "label: cannot list team members")
                }
            }
        }
        let mut message = format!(
            "The label(s) `{label}` cannot be applied or removed, because you are not in one of the allowed teams and are not an allowed user."
        );
        if !rule.allowed_teams.is_empty() {
            message.push_str(&format!(
                " Must be a member of one of these teams: {}",
                rule.allowed_teams.join(", ")
            ));
        } else if !rule.allowed_users.is_empty() {
            let shown: Vec<&str> = rule
                .allowed_users
                .iter()
                .take(20)
                .map(String::as_str)
                .collect();
            message.push_str(&format!(
                " Consider assigning one of the following members: {}",
                shown.join(",")
            ));
        }
        Err(message)
    }

    async fn handle_comment(
        &self,
        services: &Services,
        loaded: &Loaded,
        comment: &NewComment<'_>,
    ) -> Result<(), PluginError> {
        let config = &crate::owners::plugin_config(loaded).label;
        // Computed at most once per comment.
        let mut approver_for_all_files: Option<bool> = None;
        let (org, repo, number) = (comment.org, comment.repo, comment.number);
        let restricted = restricted_labels_for(config, org, repo);
        let additional: BTreeSet<String> = config
            .additional_labels
            .iter()
            .map(|l| l.to_lowercase())
            .collect();
        let mut commands = parse_label_commands(comment.body, |label| {
            restricted.contains_key(label) || additional.contains(label)
        });
        if commands.add.is_empty() && commands.remove.is_empty() && commands.unsupported.is_empty()
        {
            return Ok(());
        }
        let github = &services.github;
        let repo_labels: BTreeSet<String> = github
            .list_repo_labels(org, repo)
            .await
            .map_err(|e| PluginError::new(format!("list the labels of {org}/{repo}: {e}")))?
            .into_iter()
            .map(|l| l.name.to_lowercase())
            .collect();
        let labels = github
            .list_issue_labels(org, repo, number)
            .await
            .map_err(|e| {
                PluginError::new(format!("get the labels of {org}/{repo}#{number}: {e}"))
            })?;
        let issue_labels: Vec<String> = labels.iter().map(|l| l.name.to_lowercase()).collect();
        let needs = needs_labels(&commands, &issue_labels, &repo_labels);
        commands.add.extend(needs);

        let mut missing_in_repo = Vec::new();
        let mut not_on_issue = Vec::new();
        let mut non_member_triage = false;
        for label in &commands.add {
            if has_label(&labels, label) {
                continue;
            }
            if !repo_labels.contains(label) {
                missing_in_repo.push(label.clone());
                continue;
            }
            if label == TRIAGE_ACCEPTED {
                match github.is_org_member(org, comment.author).await {
                    Ok(true) => {}
                    Ok(false) => {
                        non_member_triage = true;
                        continue;
                    }
                    Err(err) => {
                        tracing::warn!(error = %err, "label: cannot check org membership");
                        continue;
                    }
                }
            }
            if let Err(reason) = self
                .may_change(
                    services,
                    loaded,
                    comment,
                    label,
                    &restricted,
                    &mut approver_for_all_files,
                )
                .await?
            {
                self.answer(services, comment, &reason).await?;
                continue;
            }
            if let Err(err) = github
                .add_labels(org, repo, number, std::slice::from_ref(label))
                .await
            {
                tracing::warn!(label = %label, error = %err, "label: GitHub failed to add the label");
            }
        }
        for label in &commands.remove {
            if !has_label(&labels, label) {
                not_on_issue.push(label.clone());
                continue;
            }
            if !repo_labels.contains(label) {
                continue;
            }
            if let Err(reason) = self
                .may_change(
                    services,
                    loaded,
                    comment,
                    label,
                    &restricted,
                    &mut approver_for_all_files,
                )
                .await?
            {
                self.answer(services, comment, &reason).await?;
                continue;
            }
            // Remove the label as the issue spells it.
            let spelled = labels
                .iter()
                .find(|l| l.name.eq_ignore_ascii_case(label))
                .map(|l| l.name.as_str())
                .unwrap_or(label);
            if let Err(err) = github.remove_label(org, repo, number, spelled).await {
                tracing::warn!(label = %label, error = %err, "label: GitHub failed to remove the label");
            }
        }

        // One explanation per comment, the first that applies (as Prow).
        if !commands.unsupported.is_empty() {
            let mut supported = config.additional_labels.clone();
            supported.extend(restricted.keys().cloned());
            let message = format!(
                "The label(s) `{}` cannot be applied. These labels are supported: `{}`. Is this label configured under `labels -> additional_labels` or `labels -> restricted_labels` in `plugin.yaml`?",
                commands.unsupported.join(", "),
                supported.join(", ")
            );
            return self.answer(services, comment, &message).await;
        }
        if !missing_in_repo.is_empty() {
            let message = format!(
                "The label(s) `{}` cannot be applied, because the repository doesn't have them.",
                missing_in_repo.join(", ")
            );
            return self.answer(services, comment, &message).await;
        }
        if !not_on_issue.is_empty() {
            let message = format!(
                "Those labels are not set on the issue: `{}`",
                not_on_issue.join(", ")
            );
            return self.answer(services, comment, &message).await;
        }
        if non_member_triage {
            let message = format!(
                "The label `{TRIAGE_ACCEPTED}` cannot be applied. Only GitHub organization members can add the label."
            );
            return self.answer(services, comment, &message).await;
        }
        Ok(())
    }

    /// [`Self::may_set`], then Prow's `allow_approvers_from_owners` on pull requests.
    async fn may_change(
        &self,
        services: &Services,
        loaded: &Loaded,
        comment: &NewComment<'_>,
        label: &str,
        restricted: &BTreeMap<String, RestrictedLabel>,
        approver_for_all_files: &mut Option<bool>,
    ) -> Result<Result<(), String>, PluginError> {
        let Err(reason) =
            Self::may_set(services, comment.org, comment.author, label, restricted).await
        else {
            return Ok(Ok(()));
        };
        let by_owners = restricted
            .get(label)
            .is_some_and(|r| r.allow_approvers_from_owners);
        if !comment.is_pr || !by_owners {
            return Ok(Err(reason));
        }
        let approves = match *approver_for_all_files {
            Some(known) => known,
            None => {
                let known = self.approves_every_file(services, loaded, comment).await?;
                *approver_for_all_files = Some(known);
                known
            }
        };
        Ok(if approves {
            Ok(())
        } else {
            Err(format!(
                "{reason} You are also not an OWNERS approver for every file changed by this PR."
            ))
        })
    }

    async fn answer(
        &self,
        services: &Services,
        comment: &NewComment<'_>,
        message: &str,
    ) -> Result<(), PluginError> {
        services
            .github
            .create_issue_comment(
                comment.org,
                comment.repo,
                comment.number,
                &comment.reply(message),
            )
            .await
            .map(drop)
            .map_err(|e| PluginError::new(format!("comment: {e}")))
    }
}

#[async_trait]
impl Plugin for LabelPlugin {
    fn name(&self) -> &'static str {
        "label"
    }

    fn help(&self, config: &Loaded, _org_repo: Option<&str>) -> PluginHelp {
        let mut prefixes: Vec<String> = DEFAULT_PREFIXES.iter().map(|p| p.to_string()).collect();
        if let Some(plugins) = &config.plugins {
            prefixes.extend(plugins.label.additional_labels.iter().cloned());
        }
        let quoted: Vec<String> = prefixes.iter().map(|p| format!("\"{p}/*\"")).collect();
        let config_text = match quoted.split_last() {
            Some((last, rest)) => format!(
                "The label plugin will work on {} and {last} labels.",
                rest.join(", ")
            ),
            None => String::new(),
        };
        PluginHelp {
            description: "The label plugin provides commands that add or remove certain types of labels. Labels of the following types can be manipulated: 'area/*', 'committee/*', 'kind/*', 'language/*', 'priority/*', 'sig/*', 'triage/*', and 'wg/*'. More labels can be configured to be used via the /label command. Restricted labels can be changed by configured users and teams. With allow_approvers_from_owners, a user who can approve every changed PR file can also change the label. With remove_on_new_commits, the label is removed when new commits update a PR. Configured users can be assigned when another label is added using assign_on.".into(),
            config: Some(config_text),
            commands: vec![CommandHelp {
                usage: "/[remove-](area|committee|kind|language|priority|sig|triage|wg|label) <target>".into(),
                description: "Applies or removes a label from one of the recognized types of labels.".into(),
                who_can_use: "Anyone can trigger this command on issues and PRs. `triage/accepted` can only be added by org members. Restricted labels can be changed by configured teams and users, and by users who can approve every changed PR file when enabled.".into(),
                examples: vec!["/kind bug".into(), "/remove-area prow".into(), "/sig testing".into(), "/language zh".into(), "/label foo-bar-baz".into()],
            }],
        }
    }

    async fn handle(
        &self,
        services: &Services,
        delivery: &Delivery<'_>,
    ) -> Result<(), PluginError> {
        let config = &crate::owners::plugin_config(delivery.config).label;
        if let Some(comment) = new_comment(delivery.event) {
            self.handle_comment(services, delivery.config, &comment)
                .await?;
        }
        let Event::PullRequest(event) = delivery.event else {
            return Ok(());
        };
        let (org, repo) = (&event.repository.owner.login, &event.repository.name);
        let number = event.pull_request.number;
        let restricted = restricted_labels_for(config, org, repo);
        match event.action {
            PullRequestAction::Labeled => {
                let Some(added) = &event.label else {
                    return Ok(());
                };
                for rule in restricted.values() {
                    if rule
                        .assign_on
                        .iter()
                        .any(|a| a.label.eq_ignore_ascii_case(&added.name))
                        && let Err(err) = services
                            .github
                            .add_assignees(org, repo, number, &rule.allowed_users)
                            .await
                    {
                        tracing::warn!(label = %rule.label, error = %err, "label: GitHub failed to assign");
                    }
                }
                Ok(())
            }
            PullRequestAction::Synchronize if !event.pull_request.merged => {
                let dropped: BTreeSet<&String> = restricted
                    .iter()
                    .filter(|(_, rule)| rule.remove_on_new_commits)
                    .map(|(name, _)| name)
                    .collect();
                if dropped.is_empty() {
                    return Ok(());
                }
                let labels = services
                    .github
                    .list_issue_labels(org, repo, number)
                    .await
                    .map_err(|e| PluginError::new(format!("get PR labels: {e}")))?;
                for label in labels {
                    if dropped.contains(&label.name.to_lowercase()) {
                        services
                            .github
                            .remove_label(org, repo, number, &label.name)
                            .await
                            .map_err(|e| {
                                PluginError::new(format!("remove {:?}: {e}", label.name))
                            })?;
                    }
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_commands_table() {
        let allowed = |l: &str| l == "tide/merge-method-squash";
        let cases: &[(&str, &[&str], &[&str], usize)] = &[
            ("/kind bug", &["kind/bug"], &[], 0),
            ("/KIND bug", &[], &[], 0),
            ("/kind bug feature", &["kind/bug", "kind/feature"], &[], 0),
            (
                "/priority Critical-Urgent",
                &["priority/critical-urgent"],
                &[],
                0,
            ),
            ("/remove-sig node", &[], &["sig/node"], 0),
            (
                "/label tide/merge-method-squash",
                &["tide/merge-method-squash"],
                &[],
                0,
            ),
            (
                "/remove-label tide/merge-method-squash",
                &[],
                &["tide/merge-method-squash"],
                0,
            ),
            ("/label foo", &[], &[], 1),
            ("/label a b", &[], &[], 0),
            ("<!-- /kind bug -->", &[], &[], 0),
            ("text\n/area hook\nmore", &["area/hook"], &[], 0),
            ("see /kind bug", &[], &[], 0),
        ];
        for (body, add, remove, unsupported) in cases {
            let got = parse_label_commands(body, allowed);
            assert_eq!(got.add, *add, "{body:?}");
            assert_eq!(got.remove, *remove, "{body:?}");
            assert_eq!(got.unsupported.len(), *unsupported, "{body:?}");
        }
    }

    #[test]
    fn needs_label_when_a_category_is_emptied() {
        let repo: BTreeSet<String> = ["needs-kind", "kind/bug", "kind/feature"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let commands = |add: &[&str], remove: &[&str]| LabelCommands {
            add: add.iter().map(|s| s.to_string()).collect(),
            remove: remove.iter().map(|s| s.to_string()).collect(),
            unsupported: Vec::new(),
        };
        let issue = vec!["kind/bug".to_string()];
        assert_eq!(
            needs_labels(&commands(&[], &["kind/bug"]), &issue, &repo),
            ["needs-kind"]
        );
        assert!(
            needs_labels(&commands(&["kind/feature"], &["kind/bug"]), &issue, &repo).is_empty()
        );
        let two = vec!["kind/bug".to_string(), "kind/feature".to_string()];
        assert!(needs_labels(&commands(&[], &["kind/bug"]), &two, &repo).is_empty());
    }

    #[test]
    fn restricted_labels_merge_global_org_and_repo() {
        let config: prow_config::Label = serde_json::from_value(serde_json::json!({
            "restricted_labels": {
                "*": [{"label": "Restricted", "allowed_users": ["alice"]}],
                "o/r": [{"label": "restricted", "allowed_teams": ["t"], "remove_on_new_commits": true}],
                "other": [{"label": "x"}]
            }
        }))
        .expect("config");
        let got = restricted_labels_for(&config, "o", "r");
        assert_eq!(got.keys().collect::<Vec<_>>(), ["restricted"]);
        assert_eq!(got["restricted"].allowed_teams, ["t"]);
        assert!(got["restricted"].remove_on_new_commits);
        assert_eq!(
            restricted_labels_for(&config, "o", "s")["restricted"].allowed_users,
            ["alice"]
        );
    }
}
