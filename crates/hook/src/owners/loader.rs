//! Loads OWNERS files through the GitHub contents API at a commit and caches them per
//! (repository, commit), with a bound on the number of commits kept.
//!
//! Prow clones the repository and walks every OWNERS file; here only the files that can
//! matter are read: the aliases file and the OWNERS file of every directory from each changed
//! file up to the root. A file is read at most once per commit; "not found" is cached too.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Mutex;

use prow_github::GitHub;

use super::OwnersError;
use super::repo_owners::{OwnersFilenames, RepoOwners, ancestor_dirs};

/// How many (repository, commit) snapshots the cache keeps by default.
pub const DEFAULT_CACHED_COMMITS: usize = 256;

type Key = (String, String, String);

#[derive(Debug, Default)]
struct Cache {
    snapshots: HashMap<Key, HashMap<String, Option<String>>>,
    order: VecDeque<Key>,
}

/// Reads and caches OWNERS files; shared by every plugin that needs OWNERS.
#[derive(Debug)]
pub struct OwnersLoader {
    capacity: usize,
    cache: Mutex<Cache>,
}

impl Default for OwnersLoader {
    fn default() -> Self {
        Self::new(DEFAULT_CACHED_COMMITS)
    }
}

impl OwnersLoader {
    /// A loader keeping at most `capacity` commits (at least one).
    pub fn new(capacity: usize) -> Self {
        OwnersLoader {
            capacity: capacity.max(1),
            cache: Mutex::new(Cache::default()),
        }
    }

    /// The paths whose content decides the owners of `changed` files.
    pub fn paths_needed(filenames: &OwnersFilenames, changed: &[String]) -> Vec<String> {
        let mut paths = vec![filenames.owners_aliases.clone()];
        for file in changed {
            for dir in ancestor_dirs(file) {
                let path = filenames.owners_path(&dir);
                if !paths.contains(&path) {
                    paths.push(path);
                }
            }
        }
        paths
    }

    fn cached(&self, key: &Key, path: &str) -> Option<Option<String>> {
        let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache.snapshots.get(key)?.get(path).cloned()
    }

    fn remember(&self, key: &Key, path: &str, content: Option<String>) {
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if !cache.snapshots.contains_key(key) {
            while cache.order.len() >= self.capacity {
                if let Some(oldest) = cache.order.pop_front() {
                    cache.snapshots.remove(&oldest);
                }
            }
            cache.order.push_back(key.clone());
        }
        cache
            .snapshots
            .entry(key.clone())
            .or_default()
            .insert(path.to_string(), content);
    }

    /// Number of commits cached now.
    pub fn cached_commits(&self) -> usize {
        self.cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .snapshots
            .len()
    }

    /// The OWNERS files relevant to `changed` in `org/repo` at `git_ref` (a commit SHA;
    /// a branch name works but is cached as a name), path → text.
    ///
    /// # Errors
    /// [`OwnersError::Fetch`] when GitHub fails.
    pub async fn files(
        &self,
        github: &dyn GitHub,
        org: &str,
        repo: &str,
        git_ref: &str,
        filenames: &OwnersFilenames,
        changed: &[String],
    ) -> Result<BTreeMap<String, String>, OwnersError> {
        let key = (org.to_string(), repo.to_string(), git_ref.to_string());
        let mut files = BTreeMap::new();
        for path in Self::paths_needed(filenames, changed) {
            let content = match self.cached(&key, &path) {
                Some(content) => content,
                None => {
                    let fetched = github
                        .get_file(org, repo, &path, Some(git_ref))
                        .await
                        .map_err(|source| OwnersError::Fetch {
                            path: path.clone(),
                            source,
                        })?
                        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned());
                    self.remember(&key, &path, fetched.clone());
                    fetched
                }
            };
            if let Some(text) = content {
                files.insert(path, text);
            }
        }
        Ok(files)
    }

    /// The resolved OWNERS for `changed` files of `org/repo` at `git_ref`.
    ///
    /// # Errors
    /// [`OwnersError::Fetch`] when GitHub fails.
    pub async fn load(
        &self,
        github: &dyn GitHub,
        org: &str,
        repo: &str,
        git_ref: &str,
        filenames: &OwnersFilenames,
        changed: &[String],
    ) -> Result<RepoOwners, OwnersError> {
        let files = self
            .files(github, org, repo, git_ref, filenames, changed)
            .await?;
        Ok(RepoOwners::from_files(&files, filenames))
    }
}
