//! Hot reload: re-read the configuration when a file changes on disk (ConfigMap mounts swap
//! their `..data` symlink), keeping the last good configuration when the new one is bad.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::Arc;

use crate::error::{LoadError, StartError};
use crate::load::{LoadOptions, Loaded, job_files, load};
use crate::problem::Problem;

/// What [`Reloader::reload_if_changed`] did.
#[derive(Debug)]
pub enum ReloadOutcome {
    /// No file changed.
    Unchanged,
    /// The files changed and the new configuration is now current.
    Reloaded(Arc<Loaded>),
    /// The files changed but could not be loaded; the previous configuration stays current.
    Failed(LoadError),
    /// The files changed but hold errors (other than unknown fields, which a running component
    /// only logs); the previous configuration stays current.
    Rejected(Vec<Problem>),
}

/// Keeps the current configuration and reloads it when its files change.
#[derive(Debug)]
pub struct Reloader {
    options: LoadOptions,
    fingerprint: u64,
    current: Arc<Loaded>,
}

impl Reloader {
    /// Loads the configuration for the first time. A configuration with errors is accepted here
    /// (the caller decides whether to start); later reloads with errors are rejected.
    ///
    /// # Errors
    /// When the files cannot be read or parsed.
    pub fn new(options: LoadOptions) -> Result<Self, LoadError> {
        let fingerprint = files_fingerprint(&options);
        let current = Arc::new(load(&options)?);
        Ok(Reloader {
            options,
            fingerprint,
            current,
        })
    }

    /// Loads the configuration a running component starts with. Unknown fields do not stop it
    /// (Prow ignores them): every tolerated problem is logged as a warning; any other error
    /// stops it.
    ///
    /// # Errors
    /// When the files cannot be read or parsed, or hold errors other than unknown fields.
    pub fn for_component(options: LoadOptions) -> Result<Self, StartError> {
        let reloader = Reloader::new(options)?;
        if reloader.current.blocks_components() {
            let blocking = reloader
                .current
                .problems
                .iter()
                .filter(|p| p.blocks_components())
                .cloned()
                .collect();
            return Err(StartError::Invalid(blocking));
        }
        for problem in &reloader.current.problems {
            tracing::warn!(%problem, "configuration problem (tolerated, as Prow does)");
        }
        Ok(reloader)
    }

    /// The current configuration.
    pub fn current(&self) -> Arc<Loaded> {
        Arc::clone(&self.current)
    }

    /// Reloads if any file changed (path, size, modification time or inode).
    pub fn reload_if_changed(&mut self) -> ReloadOutcome {
        let fingerprint = files_fingerprint(&self.options);
        if fingerprint == self.fingerprint {
            return ReloadOutcome::Unchanged;
        }
        self.fingerprint = fingerprint;
        match load(&self.options) {
            Err(err) => ReloadOutcome::Failed(err),
            Ok(loaded) if loaded.blocks_components() => ReloadOutcome::Rejected(
                loaded
                    .problems
                    .into_iter()
                    .filter(Problem::blocks_components)
                    .collect(),
            ),
            Ok(loaded) => {
                self.current = Arc::new(loaded);
                ReloadOutcome::Reloaded(Arc::clone(&self.current))
            }
        }
    }
}

/// A hash over the metadata (path, size, inode, modification time) of every file [`load`]
/// would read: it changes when any of them changes, including a ConfigMap mount swapping its
/// `..data` symlink.
pub fn files_fingerprint(options: &LoadOptions) -> u64 {
    let mut hasher = DefaultHasher::new();
    hash_file(&options.config_path, &mut hasher);
    if let Some(path) = &options.plugin_config_path {
        hash_file(path, &mut hasher);
    }
    if let Some(dir) = &options.job_config_path {
        let mut ignored = Vec::new();
        match job_files(dir, &mut ignored) {
            Ok(files) => files.iter().for_each(|f| hash_file(f, &mut hasher)),
            Err(err) => err.to_string().hash(&mut hasher),
        }
    }
    hasher.finish()
}

fn hash_file(path: &Path, hasher: &mut DefaultHasher) {
    path.hash(hasher);
    match std::fs::metadata(path) {
        Ok(meta) => {
            meta.len().hash(hasher);
            meta.ino().hash(hasher);
            meta.mtime().hash(hasher);
            meta.mtime_nsec().hash(hasher);
        }
        Err(err) => err.kind().hash(hasher),
    }
}
