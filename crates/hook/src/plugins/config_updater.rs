//! The `config-updater` plugin.
