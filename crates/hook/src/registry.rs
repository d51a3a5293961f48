//! The plugin registry: plugin names as written in `plugins.yaml` → plugin instances.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};

use prow_config::Loaded;

use crate::plugin::{Plugin, PluginHelp};

/// Plugins by name. Names in `plugins.yaml` that no plugin answers to are logged once each.
#[derive(Default)]
pub struct PluginRegistry {
    plugins: BTreeMap<&'static str, Arc<dyn Plugin>>,
    reported_unknown: Mutex<HashSet<String>>,
}

impl std::fmt::Debug for PluginRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginRegistry")
            .field("plugins", &self.plugins.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl PluginRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `plugin` under its [`Plugin::name`], replacing a plugin of the same name.
    pub fn register(&mut self, plugin: Arc<dyn Plugin>) -> &mut Self {
        self.plugins.insert(plugin.name(), plugin);
        self
    }

    /// The plugin called `name`, if registered.
    pub fn get(&self, name: &str) -> Option<&Arc<dyn Plugin>> {
        self.plugins.get(name)
    }

    /// Registered plugin names, sorted.
    pub fn names(&self) -> Vec<&'static str> {
        self.plugins.keys().copied().collect()
    }

    /// The registered plugins among `names` (duplicates removed, order kept). An unknown name
    /// is logged the first time it is seen.
    pub fn resolve<'a>(&self, names: impl IntoIterator<Item = &'a str>) -> Vec<Arc<dyn Plugin>> {
        let mut out: Vec<Arc<dyn Plugin>> = Vec::new();
        for name in names {
            match self.plugins.get(name) {
                Some(plugin) => {
                    if !out.iter().any(|p| p.name() == plugin.name()) {
                        out.push(Arc::clone(plugin));
                    }
                }
                None => self.report_unknown(name),
            }
        }
        out
    }

    /// Logs every plugin name in `config`'s `plugins:` section that is not registered (once
    /// per name per process).
    pub fn report_unknown_in(&self, config: &Loaded) {
        let Some(plugins) = &config.plugins else {
            return;
        };
        for name in plugins.plugins.values().flat_map(|p| p.plugins.iter()) {
            if !self.plugins.contains_key(name.as_str()) {
                self.report_unknown(name);
            }
        }
    }

    fn report_unknown(&self, name: &str) {
        let mut reported = self
            .reported_unknown
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if reported.insert(name.to_string()) {
            tracing::warn!(
                plugin = name,
                "plugins.yaml enables a plugin prow-rs hook does not implement; it is ignored"
            );
        }
    }

    /// Help of every registered plugin (`org_repo` = `None`), or of the plugins enabled for
    /// `org/repo`.
    pub fn help(&self, config: &Loaded, org_repo: Option<&str>) -> BTreeMap<String, PluginHelp> {
        let selected: Vec<&Arc<dyn Plugin>> = match org_repo {
            None => self.plugins.values().collect(),
            Some(full) => {
                let (org, repo) = full.split_once('/').unwrap_or((full, ""));
                let enabled = config
                    .plugins
                    .as_ref()
                    .map(|p| p.plugins_for(org, repo))
                    .unwrap_or_default();
                self.plugins
                    .values()
                    .filter(|p| enabled.contains(&p.name()))
                    .collect()
            }
        };
        selected
            .into_iter()
            .map(|p| (p.name().to_string(), p.help(config, org_repo)))
            .collect()
    }
}
