//! The configuration `prow-local up` gives the components: the repository's
//! `config/config.yaml` with what only a single machine needs changed — job links point at
//! the local deck, logs and artifacts go to a local directory (`file://` bucket) — written
//! as JSON (which every YAML reader, Prow's included, reads as YAML).

use std::path::Path;

use anyhow::Context;
use serde_json::{Value, json};

/// What the local configuration depends on.
#[derive(Debug, Clone)]
pub struct LocalSettings<'a> {
    /// Deck's base URL (`http://127.0.0.1:8080`).
    pub deck_url: &'a str,
    /// The storage directory (absolute).
    pub bucket_dir: &'a Path,
}

/// Reads `config_yaml` and applies [`LocalSettings`].
///
/// # Errors
/// When the file cannot be read or is not a YAML mapping.
pub fn local_config(config_yaml: &Path, settings: &LocalSettings<'_>) -> anyhow::Result<Value> {
    let text = std::fs::read_to_string(config_yaml)
        .with_context(|| format!("reading {}", config_yaml.display()))?;
    let mut config: Value = serde_saphyr::from_str(&text)
        .with_context(|| format!("parsing {}", config_yaml.display()))?;
    let Some(root) = config.as_object_mut() else {
        anyhow::bail!("{}: expected a mapping", config_yaml.display());
    };
    let plank = root
        .entry("plank")
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .with_context(|| format!("{}: plank is not a mapping", config_yaml.display()))?;
    plank.insert(
        "job_url_prefix_config".into(),
        json!({ "*": format!("{}/view/", settings.deck_url) }),
    );
    let bucket = format!("file://{}", settings.bucket_dir.display());
    if let Some(entries) = plank
        .get_mut("default_decoration_config_entries")
        .and_then(Value::as_array_mut)
    {
        for entry in entries {
            if let Some(gcs) = entry
                .pointer_mut("/config/gcs_configuration")
                .and_then(Value::as_object_mut)
            {
                gcs.insert("bucket".into(), json!(bucket));
                gcs.remove("gcs_credentials_secret");
            }
            if let Some(config) = entry.pointer_mut("/config").and_then(Value::as_object_mut) {
                config.remove("gcs_credentials_secret");
                config.remove("s3_credentials_secret");
            }
        }
    }
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_repository_config_gets_local_links_and_storage() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/config.yaml");
        let config = local_config(
            &path,
            &LocalSettings {
                deck_url: "http://127.0.0.1:18080",
                bucket_dir: Path::new("/tmp/prow-local/bucket"),
            },
        )
        .expect("config/config.yaml loads");
        assert_eq!(
            config.pointer("/plank/job_url_prefix_config/*"),
            Some(&json!("http://127.0.0.1:18080/view/"))
        );
        let buckets: Vec<&Value> = config
            .pointer("/plank/default_decoration_config_entries")
            .and_then(Value::as_array)
            .expect("decoration entries")
            .iter()
            .filter_map(|e| e.pointer("/config/gcs_configuration/bucket"))
            .collect();
        assert!(!buckets.is_empty());
        assert!(
            buckets
                .iter()
                .all(|b| *b == &json!("file:///tmp/prow-local/bucket"))
        );
        assert_eq!(config.get("prowjob_namespace"), Some(&json!("prow")));
    }
}
