//! Build clusters: the clusters ProwJob Pods run in, by alias (a ProwJob's `spec.cluster`).
//!
//! Semantics follow Prow's `pkg/kube/config.go`: every context of every `--build-cluster`
//! kubeconfig file (and of every file in `--build-cluster-dir`, as Prow's `--kubeconfig-dir`)
//! becomes a build cluster whose alias is the context name; a context name defined twice is
//! an error; the alias `default` is the cluster the component itself runs in, unless a
//! kubeconfig defines a context named `default`, which then wins.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use kube::Client;

use crate::client::{client_from_config, config_from_parsed_kubeconfig, read_kubeconfig};
use crate::rate_limit::RateLimit;
use crate::{Error, Result};

/// The alias of the cluster the component runs in (Prow's `DefaultClusterAlias`).
pub const DEFAULT_ALIAS: &str = "default";

/// Command-line flags naming the build cluster kubeconfigs; flatten into a component's
/// clap parser with `#[command(flatten)]`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct BuildClusterArgs {
    /// Kubeconfig file whose contexts are build clusters, each under its context name
    /// (repeatable; env: comma separated). Without any, jobs run in the component's own
    /// cluster, alias "default".
    #[arg(
        long = "build-cluster",
        env = "BUILD_CLUSTER_KUBECONFIGS",
        value_name = "PATH",
        value_delimiter = ','
    )]
    pub kubeconfigs: Vec<PathBuf>,

    /// Directory of build cluster kubeconfig files (e.g. a mounted Secret), read like
    /// Prow's `--kubeconfig-dir`: subdirectories and names starting with `..` are skipped.
    #[arg(long, env = "BUILD_CLUSTER_DIR", value_name = "DIR")]
    pub build_cluster_dir: Option<PathBuf>,

    /// Only files in --build-cluster-dir whose name ends with this suffix are read.
    #[arg(
        long,
        env = "BUILD_CLUSTER_SUFFIX",
        value_name = "SUFFIX",
        default_value = ""
    )]
    pub build_cluster_suffix: String,
}

/// Whether a directory entry named `name` is a kubeconfig to read (Prow's rules: no
/// `..`-prefixed Secret-mount internals, the suffix must match).
pub fn is_kubeconfig_file_name(name: &str, suffix: &str) -> bool {
    !name.starts_with("..") && name.ends_with(suffix)
}

/// Where the client of one build cluster comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClusterSource {
    /// The cluster the component runs in (its own client).
    Own,
    /// A context of a `--build-cluster` kubeconfig file.
    Context {
        /// The kubeconfig file.
        path: PathBuf,
        /// The context name in it (also the alias).
        context: String,
    },
}

/// Maps every alias to its source, given each file's context names in flag order.
pub fn plan_build_clusters(
    files: &[(PathBuf, Vec<String>)],
) -> Result<BTreeMap<String, ClusterSource>> {
    let mut plan = BTreeMap::new();
    for (path, contexts) in files {
        for context in contexts {
            if let Some(ClusterSource::Context { path: first, .. }) = plan.get(context) {
                return Err(Error::DuplicateBuildCluster {
                    alias: context.clone(),
                    first: first.clone(),
                    second: path.clone(),
                });
            }
            plan.insert(
                context.clone(),
                ClusterSource::Context {
                    path: path.clone(),
                    context: context.clone(),
                },
            );
        }
    }
    plan.entry(DEFAULT_ALIAS.to_string())
        .or_insert(ClusterSource::Own);
    Ok(plan)
}

/// A client per build cluster alias.
#[derive(Clone)]
pub struct BuildClusters {
    clients: BTreeMap<String, Client>,
}

impl std::fmt::Debug for BuildClusters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BuildClusters")
            .field("aliases", &self.clients.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl BuildClusters {
    /// Build clusters from ready-made clients (tests, or a component with its own wiring).
    pub fn from_clients(clients: BTreeMap<String, Client>) -> Self {
        BuildClusters { clients }
    }

    /// The client of build cluster `alias`; an unknown alias is an error naming the known
    /// ones.
    pub fn get(&self, alias: &str) -> Result<&Client> {
        self.clients
            .get(alias)
            .ok_or_else(|| Error::UnknownBuildCluster {
                alias: alias.to_string(),
                known: self.aliases().collect::<Vec<_>>().join(", "),
            })
    }

    /// The configured aliases, sorted.
    pub fn aliases(&self) -> impl Iterator<Item = &str> {
        self.clients.keys().map(String::as_str)
    }

    /// Every alias with its client, sorted by alias.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Client)> {
        self.clients
            .iter()
            .map(|(alias, client)| (alias.as_str(), client))
    }
}

impl BuildClusterArgs {
    /// Reads the kubeconfig files and builds a rate-limited client per context; `own` is
    /// the component's own client, used for `default` unless a file defines that context.
    pub async fn load(&self, own: Client, limit: RateLimit) -> Result<BuildClusters> {
        let mut parsed = BTreeMap::new();
        let mut files = Vec::with_capacity(self.kubeconfigs.len());
        for path in &self.kubeconfig_paths()? {
            let kubeconfig = read_kubeconfig(path)?;
            let contexts = kubeconfig.contexts.iter().map(|c| c.name.clone()).collect();
            files.push((path.clone(), contexts));
            parsed.insert(path.clone(), kubeconfig);
        }
        let mut clients = BTreeMap::new();
        for (alias, source) in plan_build_clusters(&files)? {
            let client = match source {
                ClusterSource::Own => own.clone(),
                ClusterSource::Context { path, context } => {
                    client_for_context(&path, &parsed, context, limit).await?
                }
            };
            tracing::info!(build_cluster = %alias, "loaded build cluster");
            clients.insert(alias, client);
        }
        Ok(BuildClusters { clients })
    }
}

impl BuildClusterArgs {
    /// The kubeconfig files to read: the `--build-cluster` files in flag order, then the
    /// matching files of `--build-cluster-dir` sorted by name.
    pub fn kubeconfig_paths(&self) -> Result<Vec<PathBuf>> {
        let mut paths = self.kubeconfigs.clone();
        let Some(dir) = &self.build_cluster_dir else {
            return Ok(paths);
        };
        let read_dir_error = |source| Error::ReadBuildClusterDir {
            path: dir.clone(),
            source,
        };
        let mut found = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(read_dir_error)? {
            let entry = entry.map_err(read_dir_error)?;
            let name = entry.file_name().to_string_lossy().into_owned();
            // follows symlinks, as Secret mounts are symlinks into `..data`
            let is_dir = std::fs::metadata(entry.path())
                .map(|m| m.is_dir())
                .unwrap_or(false);
            if !is_dir && is_kubeconfig_file_name(&name, &self.build_cluster_suffix) {
                found.push(entry.path());
            }
        }
        found.sort();
        paths.extend(found);
        Ok(paths)
    }
}

async fn client_for_context(
    path: &Path,
    parsed: &BTreeMap<PathBuf, kube::config::Kubeconfig>,
    context: String,
    limit: RateLimit,
) -> Result<Client> {
    let kubeconfig = match parsed.get(path) {
        Some(k) => k.clone(),
        None => read_kubeconfig(path)?,
    };
    let config = config_from_parsed_kubeconfig(path, kubeconfig, Some(context)).await?;
    client_from_config(config, limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(path: &str, context: &str) -> ClusterSource {
        ClusterSource::Context {
            path: PathBuf::from(path),
            context: context.to_string(),
        }
    }

    type Files = Vec<(PathBuf, Vec<String>)>;
    type Expected = Vec<(&'static str, ClusterSource)>;

    fn files(spec: &[(&str, &[&str])]) -> Files {
        spec.iter()
            .map(|(p, cs)| (PathBuf::from(p), cs.iter().map(|c| c.to_string()).collect()))
            .collect()
    }

    #[test]
    fn aliases_are_context_names_with_default_as_own_cluster() {
        let cases: Vec<(&str, Files, Expected)> = vec![
            (
                "no files",
                files(&[]),
                vec![("default", ClusterSource::Own)],
            ),
            (
                "two files",
                files(&[("/a", &["build01", "build02"]), ("/b", &["gke"])]),
                vec![
                    ("build01", ctx("/a", "build01")),
                    ("build02", ctx("/a", "build02")),
                    ("default", ClusterSource::Own),
                    ("gke", ctx("/b", "gke")),
                ],
            ),
            (
                "a context named default wins over the own cluster",
                files(&[("/a", &["default", "build01"])]),
                vec![
                    ("build01", ctx("/a", "build01")),
                    ("default", ctx("/a", "default")),
                ],
            ),
        ];
        for (name, input, want) in cases {
            let got = plan_build_clusters(&input).unwrap_or_else(|e| panic!("{name}: {e}"));
            let want: BTreeMap<String, ClusterSource> =
                want.into_iter().map(|(a, s)| (a.to_string(), s)).collect();
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn duplicate_context_names_are_an_error_naming_both_files() {
        for input in [
            files(&[("/a", &["build01"]), ("/b", &["build01"])]),
            files(&[("/a", &["build01", "build01"])]),
        ] {
            let err = plan_build_clusters(&input).expect_err("duplicate alias");
            assert_eq!(err.variant_name(), "DuplicateBuildCluster");
            assert!(err.to_string().contains("build01"), "{err}");
        }
    }

    #[tokio::test]
    async fn loads_every_context_of_a_kubeconfig_and_names_known_aliases() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("build.kubeconfig");
        std::fs::write(&path, TWO_CONTEXTS).expect("write kubeconfig");
        let own = client_from_config(
            kube::Config::new("http://127.0.0.1:1".parse().expect("uri")),
            RateLimit::DEFAULT,
        )
        .expect("own client");
        let args = BuildClusterArgs {
            kubeconfigs: vec![path],
            ..BuildClusterArgs::default()
        };
        let clusters = args.load(own, RateLimit::DEFAULT).await.expect("load");
        assert_eq!(
            clusters.aliases().collect::<Vec<_>>(),
            ["build01", "build02", "default"]
        );
        assert!(clusters.get("build02").is_ok());
        let Err(err) = clusters.get("gke") else {
            panic!("gke is not configured");
        };
        assert_eq!(err.variant_name(), "UnknownBuildCluster");
        assert!(
            err.to_string().contains("build01, build02, default"),
            "{err}"
        );
    }

    #[test]
    fn directory_entries_follow_prows_rules() {
        let cases = [
            ("build01.kubeconfig", ".kubeconfig", true),
            ("build01.kubeconfig", "", true),
            ("README", ".kubeconfig", false),
            ("..data", "", false),
            ("..2026_11_26_09_00_00.123", "", false),
            ("..kubeconfig", ".kubeconfig", false),
        ];
        for (name, suffix, want) in cases {
            assert_eq!(
                is_kubeconfig_file_name(name, suffix),
                want,
                "{name} / {suffix}"
            );
        }
    }

    #[test]
    fn directory_files_come_after_flag_files_sorted_without_subdirectories() {
        let dir = tempfile::tempdir().expect("tempdir");
        for name in ["b.kubeconfig", "a.kubeconfig", "notes.txt", "..data"] {
            std::fs::write(dir.path().join(name), TWO_CONTEXTS).expect("write");
        }
        std::fs::create_dir(dir.path().join("nested.kubeconfig")).expect("mkdir");
        let args = BuildClusterArgs {
            kubeconfigs: vec![PathBuf::from("/etc/flag.kubeconfig")],
            build_cluster_dir: Some(dir.path().to_path_buf()),
            build_cluster_suffix: ".kubeconfig".into(),
        };
        let want = vec![
            PathBuf::from("/etc/flag.kubeconfig"),
            dir.path().join("a.kubeconfig"),
            dir.path().join("b.kubeconfig"),
        ];
        assert_eq!(args.kubeconfig_paths().expect("list"), want);
        let missing = BuildClusterArgs {
            build_cluster_dir: Some(dir.path().join("missing")),
            ..BuildClusterArgs::default()
        };
        let err = missing.kubeconfig_paths().expect_err("missing dir");
        assert_eq!(err.variant_name(), "ReadBuildClusterDir");
    }

    const TWO_CONTEXTS: &str = r#"
apiVersion: v1
kind: Config
clusters:
- name: one
  cluster:
    server: https://127.0.0.1:6443
- name: two
  cluster:
    server: https://127.0.0.1:7443
users:
- name: robot
  user:
    token: not-a-real-token
contexts:
- name: build01
  context: {cluster: one, user: robot}
- name: build02
  context: {cluster: two, user: robot}
current-context: build01
"#;
}
