//! The configuration hook runs with, reloaded when its files change.
//!
//! `config.yaml`, the job-config directory and `plugins.yaml` are polled (ConfigMap mounts
//! swap a `..data` symlink, so a file's inode, size or modification time changes). A reload
//! that fails to load, or holds errors other than unknown fields, is refused: the last good
//! configuration stays, every problem is logged with its file and line, and
//! `hook_config_reload_failures_total` counts it.
//!
//! Unknown fields are errors for `prowctl checkconfig`, but a running hook never refuses a
//! configuration Prow itself runs with (Prow ignores unknown fields): they are logged as
//! warnings, once per field, at start and on every reload (`Problem::blocks_components`
//! tells them apart). Hook polls with its own async loop, sharing `prow_config`'s
//! `files_fingerprint`, because the configuration is shared with the HTTP handlers.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use prow_config::{LoadError, LoadOptions, Loaded, Problem, files_fingerprint, load};
use tokio_util::sync::CancellationToken;

use crate::metrics::HookMetrics;

/// The default polling interval.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(3);

/// Why a configuration was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigRefused {
    /// A file could not be read or parsed.
    #[error("load configuration: {0}")]
    Load(#[from] LoadError),
    /// The files hold errors (besides unknown fields).
    #[error("configuration has {} error(s); first: {}", .0.len(), .0.first().map(ToString::to_string).unwrap_or_default())]
    Invalid(Vec<Problem>),
}

/// True for problems a running component tolerates (Prow ignores unknown fields).
pub fn is_tolerated(problem: &Problem) -> bool {
    !problem.blocks_components()
}

/// Loads the configuration; `Err` when hook must not run with it.
///
/// # Errors
/// [`ConfigRefused`] when the files cannot be loaded or hold errors other than unknown fields.
pub fn load_checked(options: &LoadOptions) -> Result<Loaded, ConfigRefused> {
    let loaded = load(options)?;
    let blocking: Vec<Problem> = loaded
        .problems
        .iter()
        .filter(|p| !is_tolerated(p))
        .cloned()
        .collect();
    if blocking.is_empty() {
        Ok(loaded)
    } else {
        Err(ConfigRefused::Invalid(blocking))
    }
}

/// Logs every tolerated problem of `loaded` as a warning (file:line:col: message).
pub fn warn_tolerated(loaded: &Loaded) {
    for problem in loaded.problems.iter().filter(|p| is_tolerated(p)) {
        tracing::warn!(problem = %problem, "configuration problem (tolerated, as Prow does)");
    }
}

/// The current configuration, shared by the HTTP handlers and the reload loop.
#[derive(Debug, Clone)]
pub struct ConfigWatch {
    options: Arc<LoadOptions>,
    current: Arc<RwLock<Arc<Loaded>>>,
    /// The files' fingerprint taken just before the first load.
    initial_fingerprint: u64,
}

impl ConfigWatch {
    /// Loads the configuration for the first time, logging tolerated problems.
    ///
    /// # Errors
    /// As [`load_checked`].
    pub fn load(options: LoadOptions) -> Result<Self, ConfigRefused> {
        let initial_fingerprint = files_fingerprint(&options);
        let loaded = load_checked(&options)?;
        warn_tolerated(&loaded);
        Ok(ConfigWatch {
            options: Arc::new(options),
            current: Arc::new(RwLock::new(Arc::new(loaded))),
            initial_fingerprint,
        })
    }

    /// A watch starting from an already loaded configuration (changes are looked for from
    /// now on).
    pub fn with_loaded(options: LoadOptions, loaded: Loaded) -> Self {
        ConfigWatch {
            initial_fingerprint: files_fingerprint(&options),
            options: Arc::new(options),
            current: Arc::new(RwLock::new(Arc::new(loaded))),
        }
    }

    /// The configuration in force now (cheap: one `Arc` clone).
    pub fn current(&self) -> Arc<Loaded> {
        Arc::clone(
            &self
                .current
                .read()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        )
    }

    /// Reloads now; on success the new configuration is current.
    ///
    /// # Errors
    /// As [`load_checked`]; the previous configuration stays current.
    pub fn reload(&self) -> Result<Arc<Loaded>, ConfigRefused> {
        let loaded = Arc::new(load_checked(&self.options)?);
        warn_tolerated(&loaded);
        *self
            .current
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::clone(&loaded);
        Ok(loaded)
    }

    /// Polls the files every `interval` and reloads when they change, until `shutdown`.
    /// `on_reload` runs after every applied reload (e.g. to report unknown plugin names).
    pub async fn watch(
        self,
        interval: Duration,
        metrics: HookMetrics,
        shutdown: CancellationToken,
        on_reload: impl Fn(&Loaded) + Send,
    ) -> Result<(), std::convert::Infallible> {
        let mut last = self.initial_fingerprint;
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return Ok(()),
                _ = ticker.tick() => {}
            }
            let options = Arc::clone(&self.options);
            let now = tokio::task::spawn_blocking(move || files_fingerprint(&options))
                .await
                .unwrap_or(last);
            if now == last {
                continue;
            }
            last = now;
            let watch = self.clone();
            match tokio::task::spawn_blocking(move || watch.reload()).await {
                Ok(Ok(loaded)) => {
                    metrics.config_reloads.inc();
                    tracing::info!("configuration reloaded");
                    on_reload(&loaded);
                }
                Ok(Err(refused)) => {
                    metrics.config_reload_failures.inc();
                    log_refused(&refused);
                }
                Err(join_error) => {
                    metrics.config_reload_failures.inc();
                    tracing::error!(error = %join_error, "configuration reload crashed; keeping the last good configuration");
                }
            }
        }
    }
}

/// Logs why a configuration was refused, one line per problem (file:line:col).
pub fn log_refused(refused: &ConfigRefused) {
    match refused {
        ConfigRefused::Load(err) => {
            tracing::error!(error = %err, "configuration reload refused; keeping the last good configuration");
        }
        ConfigRefused::Invalid(problems) => {
            for problem in problems {
                tracing::error!(problem = %problem, "configuration reload refused; keeping the last good configuration");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prow_config::yaml::Mark;
    use std::path::Path;

    #[test]
    fn tolerated_problems_table() {
        let file = Path::new("config.yaml");
        let mark = Mark { line: 3, col: 5 };
        let cases = [
            (Problem::unknown_field(file, mark, "tide.foo", ""), true),
            (
                Problem::unknown_field(file, mark, "bogus", "a job file holds presubmits"),
                true,
            ),
            (
                Problem::warning(file, mark, "gerrit: not implemented"),
                true,
            ),
            (
                Problem::error(file, mark, "presubmits.o/r[0].name: duplicate job name"),
                false,
            ),
            // Tolerance comes from the kind of problem, not from its wording.
            (
                Problem::error(file, mark, "x: looks like an unknown field"),
                false,
            ),
        ];
        for (problem, want) in cases {
            assert_eq!(is_tolerated(&problem), want, "{problem}");
        }
    }
}
