//! `plugins.yaml`: which plugins run where, and the settings of the plugins prow-rs implements.
//! Sections not typed here are still checked against Prow's field reference.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The plugin configuration (Prow's `plugins.Configuration`), typed as far as prow-rs uses it.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct PluginConfig {
    /// Enabled plugins per `org` or `org/repo`.
    pub plugins: BTreeMap<String, OrgPlugins>,
    /// External plugins per `org` or `org/repo`.
    pub external_plugins: BTreeMap<String, Vec<ExternalPlugin>>,
    /// Trigger plugin settings, each for a list of repos.
    pub triggers: Vec<Trigger>,
    /// Config-updater plugin settings.
    pub config_updater: ConfigUpdater,
    /// OWNERS file handling.
    pub owners: Owners,
    /// Approve plugin settings, each for a list of repos.
    pub approve: Vec<Approve>,
    /// LGTM plugin settings, each for a list of repos.
    pub lgtm: Vec<Lgtm>,
    /// Label plugin settings.
    pub label: Label,
    /// Size plugin thresholds.
    pub size: Size,
    /// Blunderbuss (reviewer assignment) settings.
    pub blunderbuss: Blunderbuss,
    /// Help plugin guidelines.
    pub help: Help,
    /// Retitle plugin settings.
    pub retitle: Retitle,
    /// prow-rs's path labeler: per `org` or `org/repo`, labels that follow the changed paths.
    pub labeler: BTreeMap<String, Vec<LabelerRule>>,
}

impl PluginConfig {
    /// The plugins enabled for `org/repo`: the org's list (unless the repo is excluded) plus the
    /// repo's own list, as Prow's `getPlugins`.
    pub fn plugins_for(&self, org: &str, repo: &str) -> Vec<&str> {
        let mut out = Vec::new();
        if let Some(org_plugins) = self.plugins.get(org) {
            let excluded = org_plugins.excluded_repos.iter().any(|r| r == repo);
            if !excluded {
                out.extend(org_plugins.plugins.iter().map(String::as_str));
            }
        }
        if let Some(repo_plugins) = self.plugins.get(&format!("{org}/{repo}")) {
            out.extend(repo_plugins.plugins.iter().map(String::as_str));
        }
        out
    }

    /// The external plugins that receive `event_type` events of `org/repo`: those listed under
    /// the org or under `org/repo` whose `events` is empty or names the event type, as Prow's
    /// `needDemux`. Looks up two keys; cost does not grow with the number of entries.
    pub fn external_plugins_for(
        &self,
        org: &str,
        repo: &str,
        event_type: &str,
    ) -> Vec<&ExternalPlugin> {
        let org_repo = format!("{org}/{repo}");
        [org, org_repo.as_str()]
            .into_iter()
            .filter_map(|key| self.external_plugins.get(key))
            .flatten()
            .filter(|plugin| {
                plugin.events.is_empty() || plugin.events.iter().any(|e| e == event_type)
            })
            .collect()
    }

    /// The trigger settings for `org/repo` (the first entry naming the repo, else the org, else
    /// an empty default), as Prow's `TriggerFor`.
    pub fn trigger_for(&self, org: &str, repo: &str) -> Trigger {
        let full = format!("{org}/{repo}");
        self.triggers
            .iter()
            .find(|t| t.repos.contains(&full))
            .or_else(|| {
                self.triggers
                    .iter()
                    .find(|t| t.repos.iter().any(|r| r == org))
            })
            .cloned()
            .unwrap_or_default()
    }
}

/// The plugins of one org or repo: written either as a list or as
/// `{plugins: [...], excluded_repos: [...]}`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct OrgPlugins {
    /// Plugin names.
    pub plugins: Vec<String>,
    /// Repos of the org where these plugins are off (org entries only).
    pub excluded_repos: Vec<String>,
}

impl<'de> Deserialize<'de> for OrgPlugins {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Form {
            List(Vec<String>),
            Map {
                #[serde(default)]
                plugins: Vec<String>,
                #[serde(default)]
                excluded_repos: Vec<String>,
            },
        }
        Ok(match Option::<Form>::deserialize(deserializer)? {
            None => OrgPlugins::default(),
            Some(Form::List(plugins)) => OrgPlugins {
                plugins,
                excluded_repos: Vec::new(),
            },
            Some(Form::Map {
                plugins,
                excluded_repos,
            }) => OrgPlugins {
                plugins,
                excluded_repos,
            },
        })
    }
}

/// An external plugin endpoint.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct ExternalPlugin {
    /// Plugin name.
    pub name: String,
    /// URL events are forwarded to (default `http://<name>`).
    pub endpoint: String,
    /// GitHub event types forwarded; empty for all.
    pub events: Vec<String>,
}

impl ExternalPlugin {
    /// Where events go: `endpoint`, or `http://<name>` when it is empty (Prow's default).
    pub fn endpoint_url(&self) -> String {
        if self.endpoint.is_empty() {
            format!("http://{}", self.name)
        } else {
            self.endpoint.clone()
        }
    }
}

/// Trigger plugin settings (Prow's `plugins.Trigger`).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct Trigger {
    /// `org` or `org/repo` entries this applies to.
    pub repos: Vec<String>,
    /// Org whose members are trusted in addition to the repo's org.
    pub trusted_org: String,
    /// GitHub apps whose PRs are trusted.
    pub trusted_apps: Vec<String>,
    /// Link shown to untrusted users about joining the org.
    pub join_org_url: String,
    /// Only org members (not collaborators) are trusted.
    pub only_org_members: bool,
    /// Ignore `/ok-to-test`.
    pub ignore_ok_to_test: bool,
    /// Do not report skipped contexts (deprecated in Prow).
    pub elide_skipped_contexts: Option<bool>,
    /// Also trigger GitHub workflows.
    pub trigger_github_workflows: bool,
    /// Org invitation message settings (not used by prow-rs).
    pub org_invite: Option<Value>,
}

/// Config-updater plugin settings (Prow's `plugins.ConfigUpdater`).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct ConfigUpdater {
    /// File path (or glob) in the repo → ConfigMap to update.
    pub maps: BTreeMap<String, ConfigMapSpec>,
    /// Named groups of clusters and namespaces.
    pub cluster_groups: BTreeMap<String, ClusterGroup>,
    /// Gzip every map's content.
    pub gzip: bool,
}

/// A ConfigMap fed from repository files (Prow's `plugins.ConfigMapSpec`).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct ConfigMapSpec {
    /// ConfigMap name.
    pub name: String,
    /// Key in the ConfigMap; default the file's basename.
    pub key: String,
    /// Gzip this map's content.
    pub gzip: Option<bool>,
    /// Use the file's path (with `/` replaced) as the key.
    pub use_full_path_as_key: Option<bool>,
    /// Cluster alias → namespaces.
    pub clusters: BTreeMap<String, Vec<String>>,
    /// Named cluster groups (from `cluster_groups`).
    pub cluster_groups: Vec<String>,
    /// ConfigMaps partitioned by content.
    pub partitioned_names: Vec<String>,
    /// Repositories allowed to update the map.
    pub allowed_repos: Vec<String>,
    /// Repositories not allowed to update the map.
    pub denied_repos: Vec<String>,
}

/// A group of clusters and namespaces.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct ClusterGroup {
    /// Cluster aliases.
    pub clusters: Vec<String>,
    /// Namespaces.
    pub namespaces: Vec<String>,
}

/// OWNERS handling (Prow's `plugins.Owners`).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct Owners {
    /// Repos whose OWNERS may live in Markdown front matter.
    pub mdyamlrepos: Vec<String>,
    /// Repos where collaborators are not consulted.
    pub skip_collaborators: Vec<String>,
    /// Labels OWNERS files may not set.
    pub labels_denylist: Vec<String>,
    /// Per org/repo names of the OWNERS and OWNERS_ALIASES files.
    pub filenames: BTreeMap<String, OwnersFilenames>,
}

/// Names of the OWNERS files.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct OwnersFilenames {
    /// OWNERS file name.
    pub owners: String,
    /// OWNERS_ALIASES file name.
    pub owners_aliases: String,
}

/// Approve plugin settings (Prow's `plugins.Approve`).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct Approve {
    /// `org` or `org/repo` entries.
    pub repos: Vec<String>,
    /// Require a linked issue.
    pub issue_required: bool,
    /// The author must approve too.
    pub require_self_approval: Option<bool>,
    /// `/lgtm` from an approver also approves.
    pub lgtm_acts_as_approve: bool,
    /// Ignore GitHub review states.
    pub ignore_review_state: Option<bool>,
    /// Link to the commands help.
    #[serde(rename = "commandHelpLink")]
    pub command_help_link: String,
    /// Link to the PR process documentation.
    pub pr_process_link: String,
}

/// LGTM plugin settings (Prow's `plugins.Lgtm`).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct Lgtm {
    /// `org` or `org/repo` entries.
    pub repos: Vec<String>,
    /// An approving GitHub review acts as `/lgtm`.
    pub review_acts_as_lgtm: bool,
    /// Keep lgtm across pushes with the same tree.
    pub store_tree_hash: bool,
    /// Team whose lgtm survives pushes.
    pub trusted_team_for_sticky_lgtm: String,
}

/// Label plugin settings (Prow's `plugins.Label`).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct Label {
    /// Labels `/label` may add besides the standard prefixes.
    pub additional_labels: Vec<String>,
    /// Labels only some users may set, per org/repo (kept as written).
    pub restricted_labels: BTreeMap<String, Value>,
}

/// Size plugin thresholds in changed lines (Prow's `plugins.Size`).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct Size {
    /// Lower bound of size/S.
    pub s: i64,
    /// Lower bound of size/M.
    pub m: i64,
    /// Lower bound of size/L.
    pub l: i64,
    /// Lower bound of size/XL.
    pub xl: i64,
    /// Lower bound of size/XXL.
    pub xxl: i64,
}

/// Blunderbuss settings (Prow's `plugins.Blunderbuss`).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct Blunderbuss {
    /// Number of reviewers to request.
    pub request_count: Option<i64>,
    /// Upper bound of requested reviewers (0 = no bound).
    pub max_request_count: Option<i64>,
    /// Do not request approvers.
    pub exclude_approvers: bool,
    /// Check GitHub availability status.
    pub use_status_availability: bool,
    /// PR authors to skip.
    pub ignore_authors: Vec<String>,
    /// Skip draft PRs.
    pub ignore_drafts: bool,
    /// Wait for a status context before requesting.
    pub wait_for_status: Option<Value>,
}

/// Help plugin settings (Prow's `plugins.Help`).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct Help {
    /// Summary of the guidelines shown when the help label is added.
    pub help_guidelines_summary: String,
    /// URL of the guidelines (Prow's default:
    /// `https://git.k8s.io/community/contributors/guide/help-wanted.md`).
    pub help_guidelines_url: String,
}

/// Retitle plugin settings (Prow's `plugins.Retitle`).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct Retitle {
    /// Allow retitling closed or merged issues and PRs.
    pub allow_closed_issues: bool,
}

/// One rule of prow-rs's `labeler` plugin: a PR gets `label` while it changes a file matching
/// one of `paths` (globs: `*` within a path segment, `**` across segments, `?` one character).
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(default)]
pub struct LabelerRule {
    /// The label to manage.
    pub label: String,
    /// Path globs, relative to the repository root.
    pub paths: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plugins_accept_list_and_map_forms() {
        let config: PluginConfig = serde_json::from_value(serde_json::json!({
            "plugins": {
                "org": {"plugins": ["lgtm", "hold"], "excluded_repos": ["legacy"]},
                "org/repo": ["trigger"],
                "other": ["size"],
                "empty": null
            },
            "triggers": [
                {"repos": ["org"], "only_org_members": true},
                {"repos": ["org/repo"], "trusted_apps": ["bot"]}
            ]
        }))
        .expect("valid plugin config");
        assert_eq!(
            config.plugins_for("org", "repo"),
            ["lgtm", "hold", "trigger"]
        );
        assert!(config.plugins_for("org", "legacy").is_empty());
        assert_eq!(config.plugins_for("other", "x"), ["size"]);
        assert!(config.plugins_for("empty", "x").is_empty());
        assert_eq!(config.trigger_for("org", "repo").trusted_apps, ["bot"]);
        assert!(config.trigger_for("org", "else").only_org_members);
        assert!(!config.trigger_for("nobody", "x").only_org_members);
    }

    #[test]
    fn external_plugins_match_org_or_repo_and_event_type() {
        let config: PluginConfig = serde_json::from_value(serde_json::json!({
            "external_plugins": {
                "org": [{"name": "needs-rebase", "events": ["pull_request"]}],
                "org/repo": [
                    {"name": "cherrypicker", "endpoint": "http://cp:8080", "events": ["issue_comment", "pull_request"]},
                    {"name": "everything"}
                ],
                "org/other": [{"name": "elsewhere"}],
                "org-two": [{"name": "not-a-prefix-match"}]
            }
        }))
        .expect("valid plugin config");
        let names = |org, repo, event| -> Vec<String> {
            config
                .external_plugins_for(org, repo, event)
                .into_iter()
                .map(|p| p.name.clone())
                .collect()
        };
        assert_eq!(
            names("org", "repo", "pull_request"),
            ["needs-rebase", "cherrypicker", "everything"]
        );
        assert_eq!(
            names("org", "repo", "issue_comment"),
            ["cherrypicker", "everything"]
        );
        assert_eq!(names("org", "repo", "push"), ["everything"]);
        assert!(names("org", "third", "push").is_empty());
        let endpoints: Vec<String> = config
            .external_plugins_for("org", "repo", "pull_request")
            .iter()
            .map(|p| p.endpoint_url())
            .collect();
        assert_eq!(
            endpoints,
            ["http://needs-rebase", "http://cp:8080", "http://everything"]
        );
    }
}
