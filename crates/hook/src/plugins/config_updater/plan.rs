//! Which ConfigMap keys a merged pull request changes: Prow's `FilterChanges`, pure.

use std::collections::BTreeMap;

use prow_config::{ConfigMapSpec, ConfigUpdater};
use prow_github::types::PullRequestFile;
use sha2::{Digest, Sha256};

use super::glob::Glob;

/// The cluster alias of the cluster hook runs in (Prow's `kube.DefaultClusterAlias`).
pub const DEFAULT_CLUSTER: &str = "default";

/// One target ConfigMap. Ordered by cluster, namespace, name (the order of the PR comment).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConfigMapId {
    /// Cluster alias (`default` = hook's own cluster).
    pub cluster: String,
    /// Namespace (never empty: an empty namespace in the config means the ProwJob namespace).
    pub namespace: String,
    /// ConfigMap name.
    pub name: String,
}

/// One key to write or delete (Prow's `ConfigMapUpdate`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyUpdate {
    /// The ConfigMap key.
    pub key: String,
    /// The repository file whose content becomes the value; `None` deletes the key.
    pub filename: Option<String>,
    /// Gzip the content before storing it.
    pub gzip: bool,
}

/// One `maps` entry after Prow's defaulting and `cluster_groups` resolution.
#[derive(Debug, Clone)]
pub struct ResolvedMap {
    /// The `maps` key (a path or glob).
    pub pattern: String,
    /// The entry.
    pub spec: ConfigMapSpec,
    /// Cluster alias → namespaces (`""` = the default namespace).
    pub clusters: BTreeMap<String, Vec<String>>,
}

/// The `maps` entries as Prow uses them: with no `maps` at all, Prow's defaults
/// (`config/prow/config.yaml` → `config`, `config/prow/plugins.yaml` → `plugins`); an entry
/// with `cluster_groups` targets every cluster and namespace of those groups; an entry with
/// neither `clusters` nor `cluster_groups` targets the default namespace of the default
/// cluster. Sorted by pattern (the first matching pattern wins).
pub fn resolve_maps(config: &ConfigUpdater) -> Vec<ResolvedMap> {
    let defaults;
    let maps = if config.maps.is_empty() {
        defaults = BTreeMap::from([
            (
                "config/prow/config.yaml".to_string(),
                ConfigMapSpec {
                    name: "config".into(),
                    ..ConfigMapSpec::default()
                },
            ),
            (
                "config/prow/plugins.yaml".to_string(),
                ConfigMapSpec {
                    name: "plugins".into(),
                    ..ConfigMapSpec::default()
                },
            ),
        ]);
        &defaults
    } else {
        &config.maps
    };
    maps.iter()
        .map(|(pattern, spec)| {
            let mut clusters = spec.clusters.clone();
            if clusters.is_empty() {
                for group_name in &spec.cluster_groups {
                    let Some(group) = config.cluster_groups.get(group_name) else {
                        tracing::warn!(
                            map = %pattern,
                            cluster_group = %group_name,
                            "config_updater map names an undefined cluster group"
                        );
                        continue;
                    };
                    for cluster in &group.clusters {
                        clusters
                            .entry(cluster.clone())
                            .or_default()
                            .extend(group.namespaces.iter().cloned());
                    }
                }
            }
            if spec.clusters.is_empty() && spec.cluster_groups.is_empty() {
                clusters.insert(DEFAULT_CLUSTER.to_string(), vec![String::new()]);
            }
            ResolvedMap {
                pattern: pattern.clone(),
                spec: spec.clone(),
                clusters,
            }
        })
        .collect()
}

/// Whether `org/repo` may update the map: in `allowed_repos` (by org or org/repo) when that
/// list is set, and not in `denied_repos`.
pub fn is_allowed(spec: &ConfigMapSpec, org_repo: &str) -> bool {
    let org = org_repo.split('/').next().unwrap_or(org_repo);
    let names_repo = |entry: &String| entry == org_repo || (!entry.contains('/') && entry == org);
    if !spec.allowed_repos.is_empty() && !spec.allowed_repos.iter().any(names_repo) {
        return false;
    }
    !spec.denied_repos.iter().any(names_repo)
}

/// The key a file is stored under when the map has no explicit `key`: its basename, or with
/// `use_full_path_as_key` its path with `/` replaced by `-`.
pub fn key_for_file(use_full_path_as_key: bool, filename: &str) -> String {
    if use_full_path_as_key {
        filename.replace('/', "-")
    } else {
        base_name(filename).to_string()
    }
}

/// Go's `path.Base`.
fn base_name(path: &str) -> &str {
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return if path.is_empty() { "." } else { "/" };
    }
    trimmed.rsplit('/').next().unwrap_or(trimmed)
}

/// The ConfigMap of a partitioned map that holds `key`: Prow picks
/// `partitioned_names[sha256(key)[0] % len]`.
pub fn partition_for_key<'a>(partitioned_names: &'a [String], key: &str) -> Option<&'a str> {
    if partitioned_names.is_empty() {
        return None;
    }
    let first = Sha256::digest(key.as_bytes())[0];
    Some(&partitioned_names[usize::from(first) % partitioned_names.len()])
}

/// Every ConfigMap key the changed files touch, per target ConfigMap (Prow's
/// `FilterChanges`): each file is matched against the patterns (the first match wins);
/// added and modified files set their key, removed files delete it, a renamed file deletes
/// its old key and sets the new one.
pub fn plan_updates(
    maps: &[ResolvedMap],
    globs: &[Option<Glob>],
    gzip_default: bool,
    changes: &[PullRequestFile],
    default_namespace: &str,
    org_repo: &str,
) -> BTreeMap<ConfigMapId, Vec<KeyUpdate>> {
    let mut plan: BTreeMap<ConfigMapId, Vec<KeyUpdate>> = BTreeMap::new();
    for change in changes {
        let Some(map) = maps
            .iter()
            .zip(globs)
            .find(|(_, glob)| glob.as_ref().is_some_and(|g| g.matches(&change.filename)))
            .map(|(map, _)| map)
        else {
            continue;
        };
        if !is_allowed(&map.spec, org_repo) {
            tracing::debug!(
                repo = %org_repo,
                configmap = %map.spec.name,
                filename = %change.filename,
                "skipping configmap update due to ACL restrictions"
            );
            continue;
        }
        let spec = &map.spec;
        let full_path = spec.use_full_path_as_key.unwrap_or(false);
        for (cluster, namespaces) in &map.clusters {
            for namespace in namespaces {
                let id_for_key = |key: &str| ConfigMapId {
                    cluster: cluster.clone(),
                    namespace: if namespace.is_empty() {
                        default_namespace.to_string()
                    } else {
                        namespace.clone()
                    },
                    name: partition_for_key(&spec.partitioned_names, key)
                        .unwrap_or(&spec.name)
                        .to_string(),
                };
                let key = if spec.key.is_empty() {
                    if change.status == "renamed"
                        && let Some(previous) = &change.previous_filename
                    {
                        let old_key = key_for_file(full_path, previous);
                        plan.entry(id_for_key(&old_key))
                            .or_default()
                            .push(KeyUpdate {
                                key: old_key,
                                filename: None,
                                gzip: false,
                            });
                    }
                    key_for_file(full_path, &change.filename)
                } else {
                    spec.key.clone()
                };
                let update = if change.status == "removed" {
                    KeyUpdate {
                        key: key.clone(),
                        filename: None,
                        gzip: false,
                    }
                } else {
                    KeyUpdate {
                        key: key.clone(),
                        filename: Some(change.filename.clone()),
                        gzip: spec.gzip.unwrap_or(gzip_default),
                    }
                };
                plan.entry(id_for_key(&key)).or_default().push(update);
            }
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use prow_config::ClusterGroup;

    fn file(filename: &str, status: &str, previous: Option<&str>) -> PullRequestFile {
        serde_json::from_value(serde_json::json!({
            "filename": filename,
            "status": status,
            "previous_filename": previous,
        }))
        .expect("a PullRequestFile")
    }

    fn spec(name: &str) -> ConfigMapSpec {
        ConfigMapSpec {
            name: name.into(),
            ..ConfigMapSpec::default()
        }
    }

    fn plan(config: &ConfigUpdater, changes: &[PullRequestFile]) -> Vec<(String, Vec<KeyUpdate>)> {
        let maps = resolve_maps(config);
        let globs: Vec<_> = maps.iter().map(|m| Glob::new(&m.pattern).ok()).collect();
        plan_updates(
            &maps,
            &globs,
            config.gzip,
            changes,
            "prow-jobs",
            "org/test-infra",
        )
        .into_iter()
        .map(|(id, updates)| {
            (
                format!("{}/{}/{}", id.cluster, id.namespace, id.name),
                updates,
            )
        })
        .collect()
    }

    fn set(key: &str, filename: &str, gzip: bool) -> KeyUpdate {
        KeyUpdate {
            key: key.into(),
            filename: Some(filename.into()),
            gzip,
        }
    }

    fn delete(key: &str) -> KeyUpdate {
        KeyUpdate {
            key: key.into(),
            filename: None,
            gzip: false,
        }
    }

    #[test]
    fn key_naming() {
        for (full_path, filename, want) in [
            (false, "config/prow/config.yaml", "config.yaml"),
            (true, "config/prow/config.yaml", "config-prow-config.yaml"),
            (false, "top.yaml", "top.yaml"),
            (true, "top.yaml", "top.yaml"),
            (false, "a/b/", "b"),
        ] {
            assert_eq!(key_for_file(full_path, filename), want, "{filename}");
        }
    }

    #[test]
    fn default_maps_when_none_are_configured() {
        let got = plan(
            &ConfigUpdater::default(),
            &[
                file("config/prow/config.yaml", "modified", None),
                file("config/prow/plugins.yaml", "modified", None),
                file("README.md", "modified", None),
            ],
        );
        assert_eq!(
            got,
            vec![
                (
                    "default/prow-jobs/config".to_string(),
                    vec![set("config.yaml", "config/prow/config.yaml", false)]
                ),
                (
                    "default/prow-jobs/plugins".to_string(),
                    vec![set("plugins.yaml", "config/prow/plugins.yaml", false)]
                ),
            ]
        );
    }

    #[test]
    fn statuses_keys_gzip_and_targets() {
        let config = ConfigUpdater {
            maps: BTreeMap::from([
                ("config/prow/config.yaml".to_string(), spec("config")),
                (
                    "config/jobs/**/*.yaml".to_string(),
                    ConfigMapSpec {
                        gzip: Some(true),
                        clusters: BTreeMap::from([(
                            "default".to_string(),
                            vec!["ns-a".to_string(), "".to_string()],
                        )]),
                        ..spec("job-config")
                    },
                ),
                (
                    "labels/*.yaml".to_string(),
                    ConfigMapSpec {
                        key: "labels.yaml".into(),
                        ..spec("labels")
                    },
                ),
                (
                    "full/**/*.txt".to_string(),
                    ConfigMapSpec {
                        use_full_path_as_key: Some(true),
                        cluster_groups: vec!["trusted".into()],
                        ..spec("full")
                    },
                ),
            ]),
            cluster_groups: BTreeMap::from([(
                "trusted".to_string(),
                ClusterGroup {
                    clusters: vec!["build-a".into(), "build-b".into()],
                    namespaces: vec!["test-pods".into()],
                },
            )]),
            gzip: false,
        };
        let got = plan(
            &config,
            &[
                file("config/prow/config.yaml", "modified", None),
                file("config/jobs/a/new.yaml", "added", None),
                file("config/jobs/gone.yaml", "removed", None),
                file(
                    "config/jobs/b/moved.yaml",
                    "renamed",
                    Some("config/jobs/a/old.yaml"),
                ),
                file("labels/x.yaml", "renamed", Some("labels/y.yaml")),
                file("full/d/e.txt", "modified", None),
                file("docs/README.md", "modified", None),
            ],
        );
        let job_updates = vec![
            set("new.yaml", "config/jobs/a/new.yaml", true),
            delete("gone.yaml"),
            delete("old.yaml"),
            set("moved.yaml", "config/jobs/b/moved.yaml", true),
        ];
        let full = vec![set("full-d-e.txt", "full/d/e.txt", false)];
        assert_eq!(
            got,
            vec![
                ("build-a/test-pods/full".to_string(), full.clone()),
                ("build-b/test-pods/full".to_string(), full),
                ("default/ns-a/job-config".to_string(), job_updates.clone()),
                (
                    "default/prow-jobs/config".to_string(),
                    vec![set("config.yaml", "config/prow/config.yaml", false)]
                ),
                ("default/prow-jobs/job-config".to_string(), job_updates),
                (
                    "default/prow-jobs/labels".to_string(),
                    vec![set("labels.yaml", "labels/x.yaml", false)]
                ),
            ]
        );
    }

    #[test]
    fn global_gzip_and_its_per_map_override() {
        let config = ConfigUpdater {
            maps: BTreeMap::from([
                ("a.yaml".to_string(), spec("a")),
                (
                    "b.yaml".to_string(),
                    ConfigMapSpec {
                        gzip: Some(false),
                        ..spec("b")
                    },
                ),
            ]),
            gzip: true,
            ..ConfigUpdater::default()
        };
        let got = plan(
            &config,
            &[
                file("a.yaml", "modified", None),
                file("b.yaml", "added", None),
            ],
        );
        assert_eq!(
            got,
            vec![
                (
                    "default/prow-jobs/a".to_string(),
                    vec![set("a.yaml", "a.yaml", true)]
                ),
                (
                    "default/prow-jobs/b".to_string(),
                    vec![set("b.yaml", "b.yaml", false)]
                ),
            ]
        );
    }

    #[test]
    fn repository_acl() {
        let with = |allowed: &[&str], denied: &[&str]| ConfigMapSpec {
            allowed_repos: allowed.iter().map(|s| s.to_string()).collect(),
            denied_repos: denied.iter().map(|s| s.to_string()).collect(),
            ..spec("x")
        };
        for (allowed, denied, want) in [
            (&[][..], &[][..], true),
            (&["org"][..], &[][..], true),
            (&["org/test-infra"][..], &[][..], true),
            (&["org/other"][..], &[][..], false),
            (&["other"][..], &[][..], false),
            (&[][..], &["org"][..], false),
            (&["org"][..], &["org/test-infra"][..], false),
            (&["org"][..], &["org/other"][..], true),
        ] {
            assert_eq!(
                is_allowed(&with(allowed, denied), "org/test-infra"),
                want,
                "allowed {allowed:?} denied {denied:?}"
            );
        }
    }

    #[test]
    fn partitioned_maps_spread_keys_by_sha256() {
        // First bytes of sha256: a.yaml 164, b.yaml 15, e.yaml 88.
        let names: Vec<String> = ["p0", "p1", "p2"].map(String::from).to_vec();
        for (key, want) in [("a.yaml", "p2"), ("b.yaml", "p0"), ("e.yaml", "p1")] {
            assert_eq!(partition_for_key(&names, key), Some(want), "{key}");
        }
        assert_eq!(partition_for_key(&[], "a.yaml"), None);
    }
}
