//! Prow-compatible configuration: `config.yaml`, the job-config directory and `plugins.yaml`.

pub mod yaml;
