//! OWNERS files: who may approve and review which files (Prow's `repoowners`), shared by the
//! `approve`, `lgtm`, `blunderbuss` and `verify-owners` plugins.
//!
//! - [`file_format`]: parsing OWNERS (simple and `filters` forms) and OWNERS_ALIASES;
//! - [`repo_owners`]: the pure resolver over a file map (nested files, aliases, filters,
//!   `no_parent_owners`);
//! - [`loader`]: reading the files through the GitHub contents API at the PR's base commit,
//!   cached per (repository, commit) with a bound;
//! - [`layered`]: logins by distance from a file.

pub mod file_format;
pub mod layered;
pub mod loader;
pub mod repo_owners;

pub use file_format::{DirOptions, OwnersEntry, OwnersFile, RepoAliases, norm_login};
pub use layered::LayeredLogins;
pub use loader::OwnersLoader;
pub use repo_owners::{OwnersFilenames, RepoOwners};

/// The plugins that read OWNERS files (`approve`, `lgtm`, `blunderbuss`, `verify-owners`),
/// sharing one [`OwnersLoader`] and its cache.
pub fn owners_plugins() -> Vec<std::sync::Arc<dyn crate::plugin::Plugin>> {
    use crate::plugins::{
        approve::Approve, blunderbuss::Blunderbuss, lgtm::Lgtm, verify_owners::VerifyOwners,
    };
    use std::sync::Arc;
    let loader = Arc::new(OwnersLoader::default());
    vec![
        Arc::new(Approve::new(Arc::clone(&loader))),
        Arc::new(Lgtm::new(Arc::clone(&loader))),
        Arc::new(Blunderbuss::new(loader)),
        Arc::new(VerifyOwners),
    ]
}

/// The plugin configuration of `loaded` (defaults when hook runs without plugins.yaml).
pub fn plugin_config(loaded: &prow_config::Loaded) -> &prow_config::PluginConfig {
    static DEFAULT: std::sync::LazyLock<prow_config::PluginConfig> =
        std::sync::LazyLock::new(prow_config::PluginConfig::default);
    loaded.plugins.as_ref().unwrap_or(&DEFAULT)
}

/// Errors of reading OWNERS files.
#[derive(Debug, thiserror::Error)]
pub enum OwnersError {
    /// A file is not valid YAML or not in the OWNERS format.
    #[error("parse {path}: {message}")]
    Parse {
        /// The file.
        path: String,
        /// The parser's message.
        message: String,
    },
    /// GitHub failed to serve a file.
    #[error("read {path} from GitHub: {source}")]
    Fetch {
        /// The file.
        path: String,
        /// The GitHub error.
        source: prow_github::Error,
    },
}
