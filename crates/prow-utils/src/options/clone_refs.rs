//! Options of clonerefs (Prow's `pkg/clonerefs.Options`), read from `CLONEREFS_OPTIONS`.

use std::collections::HashMap;

use prow_api::Refs;
use serde::{Deserialize, Serialize};

use super::EnvOptions;
use super::serde_go::{is_false, null_as_default};
use crate::Error;

/// The environment variable holding [`CloneRefsOptions`].
pub const ENV_VAR: &str = "CLONEREFS_OPTIONS";
/// `git config user.name` unless the options name one (`DefaultGitUserName`).
pub const DEFAULT_GIT_USER_NAME: &str = "ci-robot";
/// `git config user.email` unless the options name one (`DefaultGitUserEmail`).
pub const DEFAULT_GIT_USER_EMAIL: &str = "ci-robot@k8s.io";

fn is_zero(value: &i64) -> bool {
    *value == 0
}

/// What to clone, where, and where to record it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloneRefsOptions {
    /// Root directory under which every repository is cloned (`<src_root>/src/<path>`).
    #[serde(default)]
    pub src_root: String,
    /// File the clone records (JSON) are written to.
    #[serde(default)]
    pub log: String,
    /// `git config user.name`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub git_user_name: String,
    /// `git config user.email`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub git_user_email: String,
    /// The repositories to clone.
    #[serde(default, rename = "refs", deserialize_with = "null_as_default")]
    pub git_refs: Vec<Refs>,
    /// SSH keys to add to `ssh-agent` for cloning.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub key_files: Vec<String>,
    /// File with an OAuth token for HTTPS cloning.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub oauth_token_file: String,
    /// `ssh-keyscan` lines added to `~/.ssh/known_hosts`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub host_fingerprints: Vec<String>,
    /// How many repositories may be cloned at once; 0 means no limit.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub max_parallel_workers: i64,
    /// Exit non-zero when any ref cannot be cloned.
    #[serde(default, skip_serializing_if = "is_false")]
    pub fail: bool,
    /// git `http.cookiefile`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub cookie_path: String,
    /// GitHub API endpoints for GitHub App authentication.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub github_api_endpoints: Vec<String>,
    /// GitHub App ID for cloning private repositories.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub github_app_id: String,
    /// File with the GitHub App's private key.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub github_app_private_key_file: String,
}

impl EnvOptions for CloneRefsOptions {
    const ENV_VAR: &'static str = ENV_VAR;

    fn validate(&self) -> Result<(), Error> {
        if self.src_root.is_empty() {
            return Err(Error::InvalidOptions("no source root specified".into()));
        }
        if self.log.is_empty() {
            return Err(Error::InvalidOptions("no log file specified".into()));
        }
        if self.git_refs.is_empty() {
            return Err(Error::InvalidOptions("no refs specified to clone".into()));
        }
        let mut seen: HashMap<String, usize> = HashMap::new();
        for (index, refs) in self.git_refs.iter().enumerate() {
            let path = crate::clone::path_for_refs(&self.src_root, refs);
            if let Some(&existing) = seen.get(&path) {
                let first = &self.git_refs[existing];
                if first.org == refs.org && first.repo == refs.repo {
                    return Err(Error::InvalidOptions(format!(
                        "clone ref config {index} (for {}/{}) will be extracted to {path}, which clone ref {existing} (for {}/{}) is also using",
                        refs.org, refs.repo, first.org, first.repo
                    )));
                }
            }
            seen.insert(path, index);
        }
        if !self.github_app_id.is_empty() || !self.github_app_private_key_file.is_empty() {
            if !self.oauth_token_file.is_empty() {
                return Err(Error::InvalidOptions(
                    "multiple authentication methods specified".into(),
                ));
            }
            if self.github_api_endpoints.is_empty() {
                return Err(Error::InvalidOptions(
                    "no GitHub API endpoints for GitHub App authentication".into(),
                ));
            }
        }
        if !self.github_app_id.is_empty() && self.github_app_private_key_file.is_empty() {
            return Err(Error::InvalidOptions(
                "no GitHub App private key file specified".into(),
            ));
        }
        if self.github_app_id.is_empty() && !self.github_app_private_key_file.is_empty() {
            return Err(Error::InvalidOptions("no GitHub App ID specified".into()));
        }
        Ok(())
    }
}
