//! The reporter settings crier runs with, rebuilt when `config.yaml` changes on disk (a bad
//! reload keeps the last good settings and is logged).

use std::sync::{Arc, RwLock};
use std::time::Duration;

use prow_api::ProwJobAgent;
use prow_config::{ReloadOutcome, Reloader};
use tokio_util::sync::CancellationToken;

use crate::selection::{Enablement, ReporterSettings};

/// How often the config files are checked for changes.
pub const POLL_INTERVAL: Duration = Duration::from_secs(3);

/// The current settings; cheap to clone (shared).
#[derive(Debug, Clone)]
pub struct SettingsWatch {
    current: Arc<RwLock<Arc<ReporterSettings>>>,
    check_runs_repos: Vec<String>,
    report_agent: Option<ProwJobAgent>,
    enablement: Enablement,
}

impl SettingsWatch {
    /// Settings from the reloader's current configuration and the flag values.
    pub fn new(
        reloader: &Reloader,
        check_runs_repos: Vec<String>,
        report_agent: Option<ProwJobAgent>,
        enablement: Enablement,
    ) -> Self {
        let settings = ReporterSettings::new(
            &reloader.current().config,
            check_runs_repos.clone(),
            report_agent,
            enablement.clone(),
        );
        SettingsWatch {
            current: Arc::new(RwLock::new(Arc::new(settings))),
            check_runs_repos,
            report_agent,
            enablement,
        }
    }

    /// Fixed settings (tests, tools).
    pub fn fixed(settings: ReporterSettings) -> Self {
        SettingsWatch {
            check_runs_repos: settings.check_runs_repos.clone(),
            report_agent: settings.report_agent,
            enablement: settings.enablement.clone(),
            current: Arc::new(RwLock::new(Arc::new(settings))),
        }
    }

    /// The current settings.
    pub fn current(&self) -> Arc<ReporterSettings> {
        let guard = self
            .current
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        Arc::clone(&guard)
    }

    /// Polls `reloader` until `shutdown`, replacing the settings on each good reload.
    pub async fn run(self, mut reloader: Reloader, shutdown: CancellationToken) {
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(POLL_INTERVAL) => {}
            }
            match reloader.reload_if_changed() {
                ReloadOutcome::Unchanged => {}
                ReloadOutcome::Reloaded(loaded) => {
                    let settings = ReporterSettings::new(
                        &loaded.config,
                        self.check_runs_repos.clone(),
                        self.report_agent,
                        self.enablement.clone(),
                    );
                    tracing::info!(?settings, "configuration reloaded");
                    *self
                        .current
                        .write()
                        .unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(settings);
                }
                ReloadOutcome::Failed(error) => {
                    tracing::error!(%error, "config reload failed; keeping the last good config");
                }
                ReloadOutcome::Rejected(problems) => {
                    for problem in problems {
                        tracing::error!(%problem, "config reload rejected; keeping the last good config");
                    }
                }
            }
        }
    }
}
