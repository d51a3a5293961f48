//! Building and writing one target ConfigMap (Prow's `updateconfig.Update`).
//!
//! The new content is computed from the current object (pure: [`desired_config_map`]) and
//! written with server-side apply under hook's field manager, with the current
//! `resourceVersion` as a precondition (a concurrent writer makes the apply fail with 409 and
//! it is recomputed); an absent ConfigMap is created first (same field manager; a racing
//! creator gets AlreadyExists and retries as an update), then applied. Keys the PR removed are left out of the applied object; one still
//! present afterwards (also owned by another field manager, e.g. the `kubectl apply` that
//! created the ConfigMap) is removed with a merge patch.

use std::collections::BTreeMap;
use std::io::Write;

use flate2::Compression;
use flate2::write::GzEncoder;
use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::Api;
use kube::api::{Patch, PatchParams, PostParams};

use super::plan::{ConfigMapId, KeyUpdate};

/// The key Prow writes the merge commit sha to (`config.ConfigVersionFileName`).
pub const VERSION_KEY: &str = "VERSION";

/// Attempts when the ConfigMap changes (or is created) between read and write: enough for
/// a handful of merges landing at once, each round letting at least one writer through.
const WRITE_ATTEMPTS: usize = 5;

/// Labels Prow sets on a ConfigMap that has none.
fn prow_labels() -> BTreeMap<String, String> {
    BTreeMap::from([
        ("app.kubernetes.io/name".to_string(), "prow".to_string()),
        (
            "app.kubernetes.io/component".to_string(),
            "updateconfig-plugin".to_string(),
        ),
    ])
}

/// Gzips `content` (deterministic: no name, no timestamp).
pub fn gzip(content: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(content)?;
    encoder.finish()
}

/// The ConfigMap after `updates`, from the current object (`None`: it does not exist yet).
///
/// As Prow: existing keys not updated are kept; `VERSION` is set to `sha`; a value that is
/// valid UTF-8 goes to `data`, anything else (gzip output, binary files) to `binaryData`, and
/// the key is removed from the other one; labels are Prow's when the object has none.
/// `contents` maps each file name to its content at the merge commit; a missing file is an
/// error naming it.
pub fn desired_config_map(
    current: Option<&ConfigMap>,
    id: &ConfigMapId,
    updates: &[KeyUpdate],
    contents: &BTreeMap<String, Vec<u8>>,
    sha: &str,
) -> Result<ConfigMap, String> {
    let mut data = current.and_then(|c| c.data.clone()).unwrap_or_default();
    let mut binary_data = current
        .and_then(|c| c.binary_data.clone())
        .unwrap_or_default();
    let labels = current
        .and_then(|c| c.metadata.labels.clone())
        .filter(|labels| !labels.is_empty())
        .unwrap_or_else(prow_labels);
    if !sha.is_empty() {
        data.insert(VERSION_KEY.to_string(), sha.to_string());
    }
    for update in updates {
        let Some(filename) = &update.filename else {
            data.remove(&update.key);
            binary_data.remove(&update.key);
            continue;
        };
        let content = contents
            .get(filename)
            .ok_or_else(|| format!("get file err: {filename} not found at {sha}"))?;
        let value = if update.gzip {
            gzip(content).map_err(|e| format!("gzip {filename}: {e}"))?
        } else {
            content.clone()
        };
        match String::from_utf8(value) {
            Ok(text) => {
                binary_data.remove(&update.key);
                data.insert(update.key.clone(), text);
            }
            Err(not_text) => {
                data.remove(&update.key);
                binary_data.insert(update.key.clone(), ByteString(not_text.into_bytes()));
            }
        }
    }
    Ok(ConfigMap {
        metadata: ObjectMeta {
            name: Some(id.name.clone()),
            namespace: Some(id.namespace.clone()),
            labels: Some(labels),
            resource_version: current.and_then(|c| c.metadata.resource_version.clone()),
            ..ObjectMeta::default()
        },
        data: Some(data),
        binary_data: Some(binary_data),
        ..ConfigMap::default()
    })
}

/// Reads, recomputes and applies the ConfigMap `id` through `client` and returns it as
/// written; with `dry_run` only logs what it would write and returns `None`.
pub async fn write_config_map(
    client: kube::Client,
    id: &ConfigMapId,
    updates: &[KeyUpdate],
    contents: &BTreeMap<String, Vec<u8>>,
    sha: &str,
    dry_run: bool,
) -> Result<Option<ConfigMap>, String> {
    let api: Api<ConfigMap> = Api::namespaced(client, &id.namespace);
    let params = PatchParams::apply(prow_api::field_manager::HOOK).force();
    let mut attempt = 0;
    loop {
        attempt += 1;
        let current = api
            .get_opt(&id.name)
            .await
            .map_err(|e| format!("failed to fetch current state of configmap: {e}"))?;
        let desired = desired_config_map(current.as_ref(), id, updates, contents, sha)?;
        if dry_run {
            let keys: Vec<&str> = updates.iter().map(|u| u.key.as_str()).collect();
            tracing::info!(
                configmap = %id.name,
                namespace = %id.namespace,
                cluster = %id.cluster,
                keys = ?keys,
                "dry run: would apply configmap"
            );
            return Ok(None);
        }
        // An absent ConfigMap is created with a plain create, so that of two writers racing
        // to create it one gets AlreadyExists and retries: two creating applies from the same
        // field manager would silently drop the keys of the first. The next round applies the
        // same content, so hook owns the fields as an applier and a redelivery is a no-op.
        if current.is_none() {
            let create = PostParams {
                field_manager: Some(prow_api::field_manager::HOOK.to_string()),
                ..PostParams::default()
            };
            match api.create(&create, &desired).await {
                Ok(_) => continue,
                Err(kube::Error::Api(status))
                    if status.is_already_exists() && attempt < WRITE_ATTEMPTS =>
                {
                    tracing::debug!(configmap = %id.name, attempt, "configmap created meanwhile, retrying");
                    continue;
                }
                Err(e) => return Err(format!("create config map err: {e}")),
            }
        }
        match api.patch(&id.name, &params, &Patch::Apply(&desired)).await {
            Ok(written) => {
                return remove_leftover_keys(&api, id, updates, written)
                    .await
                    .map(Some);
            }
            Err(kube::Error::Api(status)) if status.is_conflict() && attempt < WRITE_ATTEMPTS => {
                tracing::debug!(configmap = %id.name, attempt, "configmap changed meanwhile, retrying");
            }
            Err(e) => return Err(format!("update config map err: {e}")),
        }
    }
}

/// Removes deleted keys that survived the apply because another field manager owns them;
/// returns the ConfigMap as it is then.
async fn remove_leftover_keys(
    api: &Api<ConfigMap>,
    id: &ConfigMapId,
    updates: &[KeyUpdate],
    applied: ConfigMap,
) -> Result<ConfigMap, String> {
    let mut data = serde_json::Map::new();
    let mut binary_data = serde_json::Map::new();
    for update in updates.iter().filter(|u| u.filename.is_none()) {
        if applied
            .data
            .as_ref()
            .is_some_and(|d| d.contains_key(&update.key))
        {
            data.insert(update.key.clone(), serde_json::Value::Null);
        }
        if applied
            .binary_data
            .as_ref()
            .is_some_and(|d| d.contains_key(&update.key))
        {
            binary_data.insert(update.key.clone(), serde_json::Value::Null);
        }
    }
    if data.is_empty() && binary_data.is_empty() {
        return Ok(applied);
    }
    let patch = serde_json::json!({ "data": data, "binaryData": binary_data });
    let params = PatchParams {
        field_manager: Some(prow_api::field_manager::HOOK.to_string()),
        ..PatchParams::default()
    };
    api.patch(&id.name, &params, &Patch::Merge(&patch))
        .await
        .map_err(|e| format!("remove deleted keys from config map err: {e}"))
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use flate2::read::GzDecoder;

    use super::*;

    fn id() -> ConfigMapId {
        ConfigMapId {
            cluster: "default".into(),
            namespace: "prow".into(),
            name: "config".into(),
        }
    }

    fn update(key: &str, filename: Option<&str>, gzip: bool) -> KeyUpdate {
        KeyUpdate {
            key: key.into(),
            filename: filename.map(String::from),
            gzip,
        }
    }

    fn contents() -> BTreeMap<String, Vec<u8>> {
        BTreeMap::from([
            (
                "c/config.yaml".to_string(),
                b"prowjob_namespace: x\n".to_vec(),
            ),
            ("c/job.yaml".to_string(), b"periodics: []\n".to_vec()),
            ("c/logo.png".to_string(), vec![0x89, b'P', b'N', b'G', 0xff]),
        ])
    }

    fn gunzip(bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        GzDecoder::new(bytes)
            .read_to_end(&mut out)
            .expect("valid gzip");
        out
    }

    #[test]
    fn new_config_map_gets_prow_labels_version_and_values() {
        let cm = desired_config_map(
            None,
            &id(),
            &[
                update("config.yaml", Some("c/config.yaml"), false),
                update("job.yaml", Some("c/job.yaml"), true),
                update("logo.png", Some("c/logo.png"), false),
                update("never-there", None, false),
            ],
            &contents(),
            "abc123",
        )
        .expect("desired");
        assert_eq!(cm.metadata.labels, Some(prow_labels()));
        assert_eq!(cm.metadata.resource_version, None);
        let data = cm.data.expect("data");
        assert_eq!(
            data,
            BTreeMap::from([
                ("VERSION".to_string(), "abc123".to_string()),
                (
                    "config.yaml".to_string(),
                    "prowjob_namespace: x\n".to_string()
                ),
            ])
        );
        let binary = cm.binary_data.expect("binaryData");
        assert_eq!(binary.len(), 2);
        assert_eq!(gunzip(&binary["job.yaml"].0), b"periodics: []\n");
        assert_eq!(binary["logo.png"].0, contents()["c/logo.png"]);
    }

    #[test]
    fn existing_keys_are_kept_deleted_or_moved_between_data_and_binary_data() {
        let current = ConfigMap {
            metadata: ObjectMeta {
                name: Some("config".into()),
                labels: Some(BTreeMap::from([("team".to_string(), "infra".to_string())])),
                resource_version: Some("42".into()),
                ..ObjectMeta::default()
            },
            data: Some(BTreeMap::from([
                ("keep.yaml".to_string(), "kept".to_string()),
                ("gone.yaml".to_string(), "x".to_string()),
                ("job.yaml".to_string(), "plain before".to_string()),
            ])),
            binary_data: Some(BTreeMap::from([(
                "config.yaml".to_string(),
                ByteString(vec![1, 2, 3]),
            )])),
            ..ConfigMap::default()
        };
        let cm = desired_config_map(
            Some(&current),
            &id(),
            &[
                update("gone.yaml", None, false),
                update("config.yaml", Some("c/config.yaml"), false),
                update("job.yaml", Some("c/job.yaml"), true),
            ],
            &contents(),
            "def456",
        )
        .expect("desired");
        assert_eq!(cm.metadata.resource_version.as_deref(), Some("42"));
        assert_eq!(
            cm.metadata.labels,
            Some(BTreeMap::from([("team".to_string(), "infra".to_string())]))
        );
        let data = cm.data.expect("data");
        assert_eq!(
            data.keys().collect::<Vec<_>>(),
            ["VERSION", "config.yaml", "keep.yaml"]
        );
        let binary = cm.binary_data.expect("binaryData");
        assert_eq!(binary.keys().collect::<Vec<_>>(), ["job.yaml"]);
    }

    #[test]
    fn a_file_missing_at_the_merge_commit_is_an_error() {
        let err = desired_config_map(
            None,
            &id(),
            &[update("x.yaml", Some("c/x.yaml"), false)],
            &contents(),
            "abc",
        )
        .expect_err("missing file");
        assert!(err.contains("c/x.yaml"), "{err}");
    }

    #[test]
    fn gzip_is_deterministic() {
        let a = gzip(b"same input").expect("gzip");
        let b = gzip(b"same input").expect("gzip");
        assert_eq!(a, b);
        assert_eq!(gunzip(&a), b"same input");
    }
}
