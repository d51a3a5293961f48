//! The `config-updater` plugin (Prow's `pkg/plugins/updateconfig`): when a pull request is
//! merged into the repository's default branch, the changed files matching
//! `config_updater.maps` in `plugins.yaml` are written to their ConfigMaps, then a comment on
//! the PR lists what was updated. This is how admins change Prow's own config through PRs to
//! their test-infra repository.
//!
//! Per changed file (first matching `maps` pattern, zglob syntax, see [`glob`]): added and
//! modified files set their key (the basename, the path with `/` → `-` with
//! `use_full_path_as_key`, or the map's `key`) to the content at the merge commit, gzipped
//! into `binaryData` with `gzip`; removed files delete their key; renamed files move it. Each
//! ConfigMap also gets `VERSION` = the merge sha. Targets are the map's `clusters` (or
//! `cluster_groups`) and namespaces; an empty namespace means `prowjob_namespace`. Cluster
//! `default` is hook's own cluster; other aliases need clients given with
//! [`ConfigUpdater::with_clusters`], otherwise that ConfigMap fails with Prow's error.
//!
//! Differences from Prow, on purpose: writes are server-side apply (field manager
//! `prow-rs-hook`) with a `resourceVersion` precondition, retried on conflicts (an absent
//! ConfigMap is created first, see [`config_map`]); with several matching patterns the
//! first in sorted order wins (Prow: random map order); `cluster_groups` keep
//! `use_full_path_as_key` (Prow drops it there); a redelivered event does not post the same
//! comment twice.

pub mod comment;
pub mod config_map;
pub mod glob;
pub mod metrics;
pub mod plan;

use std::collections::BTreeMap;

use async_trait::async_trait;
use prow_config::Loaded;
use prow_github::webhook::Event;
use prow_github::webhook::events::{PullRequestAction, PullRequestEvent};

use crate::plugin::{Delivery, Plugin, PluginError, PluginHelp, Services};
use plan::{ConfigMapId, DEFAULT_CLUSTER, KeyUpdate};

/// The plugin name in `plugins.yaml`.
pub const PLUGIN_NAME: &str = "config-updater";

/// The `config-updater` plugin.
#[derive(Clone, Default)]
pub struct ConfigUpdater {
    /// Clients of clusters other than `default`, by alias.
    clusters: BTreeMap<String, kube::Client>,
    /// Sizes of the ConfigMaps written.
    sizes: metrics::ConfigMapSizes,
}

impl ConfigUpdater {
    /// The plugin writing only to hook's own cluster (alias `default`).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds clients for other cluster aliases named in `clusters` / `cluster_groups`
    /// (e.g. from `prow_kube::BuildClusters::iter`). A `default` entry replaces
    /// [`Services::kube`] for the default alias.
    pub fn with_clusters(
        mut self,
        clusters: impl IntoIterator<Item = (String, kube::Client)>,
    ) -> Self {
        self.clusters.extend(clusters);
        self
    }

    /// Records the size of every ConfigMap written in `sizes` (register it with
    /// [`metrics::ConfigMapSizes::register`] to publish Prow's `prow_configmap_size_bytes`).
    pub fn with_metrics(mut self, sizes: metrics::ConfigMapSizes) -> Self {
        self.sizes = sizes;
        self
    }

    fn client_for(&self, services: &Services, cluster: &str) -> Result<kube::Client, String> {
        match self.clusters.get(cluster) {
            Some(client) => Ok(client.clone()),
            None if cluster == DEFAULT_CLUSTER => Ok(services.kube.clone()),
            None => Err(format!(
                "no k8s client is found for build cluster: '{cluster}'"
            )),
        }
    }
}

/// What a `pull_request` event means for this plugin: the merged PR's coordinates, or
/// `None` when the event is not a merge into the default branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergedPullRequest {
    /// Repository owner.
    pub org: String,
    /// Repository name.
    pub repo: String,
    /// PR number.
    pub number: u64,
    /// The merge commit.
    pub merge_sha: String,
}

/// `Some` only for a `closed` event of a merged PR (with a merge commit) whose base is the
/// repository's default branch, as Prow's `handle`.
pub fn merged_into_default_branch(event: &PullRequestEvent) -> Option<MergedPullRequest> {
    if event.action != PullRequestAction::Closed {
        return None;
    }
    let pr = &event.pull_request;
    let merge_sha = pr.merge_commit_sha.as_ref().filter(|sha| !sha.is_empty())?;
    let base_repo = pr.base.repo.as_ref().unwrap_or(&event.repository);
    if !pr.merged || base_repo.default_branch != pr.base.git_ref {
        return None;
    }
    Some(MergedPullRequest {
        org: base_repo.owner.login.clone(),
        repo: base_repo.name.clone(),
        number: pr.number,
        merge_sha: merge_sha.clone(),
    })
}

#[async_trait]
impl Plugin for ConfigUpdater {
    fn name(&self) -> &'static str {
        PLUGIN_NAME
    }

    fn help(&self, config: &Loaded, org_repo: Option<&str>) -> PluginHelp {
        let config_text =
            org_repo.and_then(|org_repo| {
                let updater = &config.plugins.as_ref()?.config_updater;
                let lines: Vec<String> = plan::resolve_maps(updater)
                .iter()
                .filter(|map| plan::is_allowed(&map.spec, org_repo))
                .map(|map| {
                    let targets: Vec<String> = map
                        .clusters
                        .iter()
                        .flat_map(|(cluster, namespaces)| {
                            namespaces.iter().map(move |ns| {
                                let ns = if ns.is_empty() { "<prowjob namespace>" } else { ns };
                                format!("{cluster}/{ns}")
                            })
                        })
                        .collect();
                    format!(
                        "Files matching {org_repo}/{} are used to populate the {} ConfigMap in {}.",
                        map.pattern,
                        map.spec.name,
                        targets.join(", ")
                    )
                })
                .collect();
                Some(lines.join("\n"))
            });
        PluginHelp {
            description: "The config-updater plugin automatically redeploys configuration and plugin configuration files when they change. The plugin watches for pull request merges that modify either of the config files and updates the cluster's configmap resources in response.".into(),
            config: config_text,
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
        let Some(merged) = merged_into_default_branch(event) else {
            return Ok(());
        };
        let Some(plugins) = delivery.config.plugins.as_ref() else {
            return Ok(());
        };
        let updater = &plugins.config_updater;
        let maps = plan::resolve_maps(updater);
        let globs: Vec<_> = maps
            .iter()
            .map(|map| {
                glob::Glob::new(&map.pattern)
                    .inspect_err(|e| tracing::info!(error = %e, "key matching error"))
                    .ok()
            })
            .collect();
        let (org, repo) = (&merged.org, &merged.repo);
        let changes = services
            .github
            .list_pull_request_files(org, repo, merged.number)
            .await
            .map_err(|e| {
                PluginError::new(format!("list files of {org}/{repo}#{}: {e}", merged.number))
            })?;
        let plan = plan::plan_updates(
            &maps,
            &globs,
            updater.gzip,
            &changes,
            &delivery.config.config.prow.prowjob_namespace,
            &format!("{org}/{repo}"),
        );
        tracing::debug!(
            configmaps_to_update = plan.len(),
            changes = changes.len(),
            "identified configmaps to update"
        );
        if plan.is_empty() {
            return Ok(());
        }

        let (contents, missing) = self.fetch_contents(services, &merged, &plan).await;
        let mut errors = Vec::new();
        let mut descriptions = Vec::new();
        let indent = comment::key_indent(plan.len());
        for (id, updates) in &plan {
            if let Some(error) = updates
                .iter()
                .filter_map(|u| u.filename.as_ref())
                .find_map(|f| missing.get(f))
            {
                errors.push(format!("{}: {error}", describe_target(id)));
                continue;
            }
            let result = match self.client_for(services, &id.cluster) {
                Ok(client) => {
                    config_map::write_config_map(
                        client,
                        id,
                        updates,
                        &contents,
                        &merged.merge_sha,
                        services.dry_run,
                    )
                    .await
                }
                Err(e) => Err(e),
            };
            match result {
                Ok(written) => {
                    if let Some(written) = written {
                        self.sizes.record(&written);
                    }
                    descriptions.push(comment::describe_update(id, updates, indent));
                }
                Err(e) => {
                    tracing::error!(configmap = %describe_target(id), error = %e, "config-updater failed");
                    errors.push(format!("{}: {e}", describe_target(id)));
                }
            }
        }

        if let Some(message) = comment::updated_message(&descriptions) {
            let pr = &event.pull_request;
            let body = comment::format_response_raw(
                pr.body.as_deref().unwrap_or(""),
                &pr.html_url,
                &pr.user.login,
                &message,
            );
            if let Err(e) = self.comment_once(services, &merged, &body).await {
                errors.push(format!("comment err: {e}"));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(PluginError::new(errors.join("; ")))
        }
    }
}

impl ConfigUpdater {
    /// The content of every file to write at the merge commit, fetched once each; files
    /// that could not be fetched map to the error.
    async fn fetch_contents(
        &self,
        services: &Services,
        merged: &MergedPullRequest,
        plan: &BTreeMap<ConfigMapId, Vec<KeyUpdate>>,
    ) -> (BTreeMap<String, Vec<u8>>, BTreeMap<String, String>) {
        let mut contents = BTreeMap::new();
        let mut missing = BTreeMap::new();
        let files: std::collections::BTreeSet<&String> = plan
            .values()
            .flatten()
            .filter_map(|u| u.filename.as_ref())
            .collect();
        for file in files {
            match services
                .github
                .get_file(&merged.org, &merged.repo, file, Some(&merged.merge_sha))
                .await
            {
                Ok(Some(content)) => {
                    contents.insert(file.clone(), content);
                }
                Ok(None) => {
                    missing.insert(
                        file.clone(),
                        format!(
                            "get file err: {file} does not exist at {}",
                            merged.merge_sha
                        ),
                    );
                }
                Err(e) => {
                    missing.insert(file.clone(), format!("get file err: {file}: {e}"));
                }
            }
        }
        (contents, missing)
    }

    /// Posts `body` on the PR unless the bot already posted exactly this comment (a
    /// redelivered event).
    async fn comment_once(
        &self,
        services: &Services,
        merged: &MergedPullRequest,
        body: &str,
    ) -> Result<(), prow_github::Error> {
        let github = &services.github;
        let existing = github
            .list_issue_comments(&merged.org, &merged.repo, merged.number)
            .await?;
        if existing
            .iter()
            .any(|c| c.user.login == services.bot_login && c.body == body)
        {
            tracing::info!(pr = merged.number, "config-updater comment already posted");
            return Ok(());
        }
        github
            .create_issue_comment(&merged.org, &merged.repo, merged.number, body)
            .await
            .map(|_| ())
    }
}

fn describe_target(id: &ConfigMapId) -> String {
    format!(
        "configmap {}/{} at cluster {}",
        id.namespace, id.name, id.cluster
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use prow_testkit::webhook::{PayloadEdit, payload};

    fn closed(edit: impl FnOnce(PayloadEdit) -> PayloadEdit) -> PullRequestEvent {
        let recorded = payload("pull_request", "closed").expect("recorded payload");
        let bytes = edit(PayloadEdit::new(recorded).expect("json"))
            .into_bytes()
            .expect("bytes");
        match Event::parse("pull_request", &bytes).expect("parses") {
            Event::PullRequest(event) => *event,
            other => panic!("not a pull_request event: {other:?}"),
        }
    }

    #[test]
    fn only_merges_into_the_default_branch_count() {
        let merged = |e: PayloadEdit| e.set("/pull_request/merged", true.into());
        let cases: Vec<(&str, PullRequestEvent, bool)> = vec![
            ("merged into master", closed(merged), true),
            ("closed unmerged", closed(|e| e), false),
            (
                "merged into a release branch",
                closed(|e| merged(e).set("/pull_request/base/ref", "release-1.0".into())),
                false,
            ),
            (
                "merged, no merge commit",
                closed(|e| {
                    merged(e).set("/pull_request/merge_commit_sha", serde_json::Value::Null)
                }),
                false,
            ),
            (
                "merged, reopened action",
                closed(|e| merged(e).action("reopened")),
                false,
            ),
        ];
        for (name, event, want) in cases {
            assert_eq!(merged_into_default_branch(&event).is_some(), want, "{name}");
        }
        let got = merged_into_default_branch(&closed(merged)).expect("merged");
        assert_eq!(
            got,
            MergedPullRequest {
                org: "Codertocat".into(),
                repo: "Hello-World".into(),
                number: 2,
                merge_sha: "c4295bd74fb0f4fda03689c3df3f2803b658fd85".into(),
            }
        );
    }

    #[test]
    fn help_describes_the_maps_of_the_repository() {
        let plugins = prow_config::PluginConfig {
            config_updater: prow_config::ConfigUpdater {
                maps: BTreeMap::from([
                    (
                        "config/jobs/**/*.yaml".to_string(),
                        prow_config::ConfigMapSpec {
                            name: "job-config".into(),
                            clusters: BTreeMap::from([(
                                "trusted".to_string(),
                                vec!["prow".to_string()],
                            )]),
                            ..Default::default()
                        },
                    ),
                    (
                        "other/config.yaml".to_string(),
                        prow_config::ConfigMapSpec {
                            name: "other".into(),
                            allowed_repos: vec!["someone-else".into()],
                            ..Default::default()
                        },
                    ),
                ]),
                ..Default::default()
            },
            ..Default::default()
        };
        let loaded = Loaded {
            plugins: Some(plugins),
            ..Loaded::default()
        };
        let help = ConfigUpdater::new().help(&loaded, Some("org/test-infra"));
        assert_eq!(
            help.config.as_deref(),
            Some(
                "Files matching org/test-infra/config/jobs/**/*.yaml are used to populate the job-config ConfigMap in trusted/prow."
            )
        );
        assert!(help.commands.is_empty());
        assert_eq!(ConfigUpdater::new().help(&loaded, None).config, None);
    }
}
