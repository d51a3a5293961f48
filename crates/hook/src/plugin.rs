//! The plugin interface: what a plugin is given for one webhook event and what it returns.
//!
//! Every enabled plugin sees every event of its repositories; the dispatcher runs them
//! concurrently and isolated (one failing or slow plugin never stops the others) and counts
//! errors by plugin name. A plugin must be idempotent for one delivery: GitHub redelivers.

use std::sync::Arc;

use async_trait::async_trait;
use prow_config::Loaded;
use prow_github::GitHub;
use prow_github::webhook::Event;
use serde::Serialize;

/// Shared services every plugin may use. Cheap to clone.
#[derive(Clone)]
pub struct Services {
    /// The GitHub client (a dry-run wrapper when hook runs with `--dry-run`).
    pub github: Arc<dyn GitHub>,
    /// The Kubernetes client of the cluster that holds ProwJobs and config ConfigMaps.
    pub kube: kube::Client,
    /// The bot's own login (from `GitHub::get_user` at start-up).
    pub bot_login: String,
    /// When set, log what would be written to Kubernetes and write nothing.
    pub dry_run: bool,
}

/// One webhook delivery as a plugin sees it.
pub struct Delivery<'a> {
    /// The parsed event.
    pub event: &'a Event,
    /// `X-GitHub-Delivery`: unique per delivery, the same on redelivery.
    pub delivery_id: &'a str,
    /// The configuration snapshot in force when the delivery arrived.
    pub config: &'a Arc<Loaded>,
}

/// A plugin's failure: a message for the logs; the dispatcher adds the plugin's name.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct PluginError {
    /// What went wrong, without secrets.
    pub message: String,
}

impl PluginError {
    /// An error with `message`.
    pub fn new(message: impl Into<String>) -> Self {
        PluginError {
            message: message.into(),
        }
    }
}

/// A `/command` a plugin understands, for `/plugin-help` and deck's command help.
#[derive(Debug, Clone, Serialize)]
pub struct CommandHelp {
    /// Usage, e.g. `/test <job>|all`.
    pub usage: String,
    /// What it does.
    pub description: String,
    /// Who may use it, e.g. `Anyone`, `Org members`.
    pub who_can_use: String,
    /// Examples, e.g. `/test all`.
    pub examples: Vec<String>,
}

/// A plugin's help, served as JSON by `/plugin-help`.
#[derive(Debug, Clone, Serialize)]
pub struct PluginHelp {
    /// What the plugin does.
    pub description: String,
    /// Its configuration for the repository asked about, in words.
    pub config: Option<String>,
    /// The commands it understands.
    pub commands: Vec<CommandHelp>,
}

/// A hook plugin.
#[async_trait]
pub trait Plugin: Send + Sync {
    /// The name used in `plugins.yaml` (e.g. `trigger`, `config-updater`, `cat`).
    fn name(&self) -> &'static str;

    /// Help for `/plugin-help`, for `org/repo` when given.
    fn help(&self, config: &Loaded, org_repo: Option<&str>) -> PluginHelp;

    /// Handles one delivery. Events the plugin does not care about return `Ok(())` fast.
    async fn handle(&self, services: &Services, delivery: &Delivery<'_>)
    -> Result<(), PluginError>;
}
