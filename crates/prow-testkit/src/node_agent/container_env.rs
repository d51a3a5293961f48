//! A container's process environment and command line: `env`/`envFrom` with the downward
//! API and Secret/ConfigMap references, Kubernetes `$(VAR)` expansion, and volume mount
//! paths rewritten to the directories that back them on this machine.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{ConfigMap, Container, Pod, Secret};
use kube::Api;

/// An environment variable that could not be resolved: the container cannot start
/// (a kubelet reports `CreateContainerConfigError`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

/// The value of a downward-API `fieldRef`, as a kubelet computes it.
pub fn field_ref_value(pod: &Pod, node_name: &str, field_path: &str) -> Option<String> {
    let meta = &pod.metadata;
    let map_key = |prefix: &str| {
        field_path
            .strip_prefix(prefix)
            .and_then(|rest| rest.strip_prefix("['").or_else(|| rest.strip_prefix("[\"")))
            .and_then(|rest| rest.strip_suffix("']").or_else(|| rest.strip_suffix("\"]")))
    };
    if let Some(key) = map_key("metadata.labels") {
        return Some(meta.labels.as_ref()?.get(key)?.clone());
    }
    if let Some(key) = map_key("metadata.annotations") {
        return Some(meta.annotations.as_ref()?.get(key)?.clone());
    }
    let spec = pod.spec.as_ref();
    match field_path {
        "metadata.name" => meta.name.clone(),
        "metadata.namespace" => meta.namespace.clone(),
        "metadata.uid" => meta.uid.clone(),
        "spec.nodeName" => Some(
            spec.and_then(|s| s.node_name.clone())
                .unwrap_or_else(|| node_name.to_owned()),
        ),
        "spec.serviceAccountName" => Some(
            spec.and_then(|s| s.service_account_name.clone())
                .unwrap_or_else(|| "default".to_owned()),
        ),
        "status.hostIP" | "status.podIP" | "status.hostIPs" | "status.podIPs" => {
            Some(super::pod_status::LOOPBACK_IP.to_owned())
        }
        _ => None,
    }
}

/// Expands `$(NAME)` from `vars` as Kubernetes does: `$$` is a literal `$`, an unknown
/// `$(NAME)` stays as written.
pub fn expand_vars(input: &str, vars: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(input.len());
    let mut rest = input;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(stripped) = after.strip_prefix('$') {
            out.push('$');
            rest = stripped;
        } else if let Some(inner) = after.strip_prefix('(')
            && let Some(end) = inner.find(')')
        {
            let name = &inner[..end];
            match vars.get(name) {
                Some(value) => out.push_str(value),
                None => {
                    out.push_str("$(");
                    out.push_str(name);
                    out.push(')');
                }
            }
            rest = &inner[end + 1..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// Rewrites every occurrence of a mount path (as a whole path: followed by the end, `/` or a
/// character that cannot be in a path) to the directory backing it. Longer mount paths win.
pub fn substitute_mounts(input: &str, mounts: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = mounts.iter().filter(|(m, _)| m.len() > 1).collect();
    sorted.sort_by_key(|(mount, _)| std::cmp::Reverse(mount.len()));
    let mut out = String::with_capacity(input.len());
    let mut i = 0;
    'outer: while i < input.len() {
        let preceded_ok = i == 0 || !is_path_char(input[..i].chars().next_back().unwrap_or(' '));
        if preceded_ok {
            for (mount, real) in &sorted {
                let mount = mount.trim_end_matches('/');
                if input[i..].starts_with(mount) {
                    let next = input[i + mount.len()..].chars().next();
                    if next.is_none_or(|c| c == '/' || !is_path_char(c)) {
                        out.push_str(real);
                        i += mount.len();
                        continue 'outer;
                    }
                }
            }
        }
        let c = input[i..].chars().next().unwrap_or(' ');
        out.push(c);
        i += c.len_utf8();
    }
    out
}

fn is_path_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '/' | '.' | '_' | '-' | '~' | '+' | '@')
}

/// The env var naming the host directory of a mount: `PROW_TESTKIT_MOUNT_<VOLUME>` with the
/// volume name upper-cased and `-`/`.` turned into `_`.
pub fn mount_env_name(volume: &str) -> String {
    let cleaned: String = volume
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("PROW_TESTKIT_MOUNT_{cleaned}")
}

/// Resolves the container's `envFrom` and `env` in order (later wins), reading Secrets and
/// ConfigMaps through the API, then expands `$(VAR)` references and mount paths in values.
pub async fn resolve_env(
    client: &kube::Client,
    pod: &Pod,
    container: &Container,
    node_name: &str,
    mounts: &[(String, String)],
) -> Result<BTreeMap<String, String>, ConfigError> {
    let namespace = pod.metadata.namespace.clone().unwrap_or_default();
    let secrets: Api<Secret> = Api::namespaced(client.clone(), &namespace);
    let config_maps: Api<ConfigMap> = Api::namespaced(client.clone(), &namespace);
    let mut vars: BTreeMap<String, String> = BTreeMap::new();

    for source in container.env_from.iter().flatten() {
        let prefix = source.prefix.clone().unwrap_or_default();
        if let Some(reference) = &source.config_map_ref {
            let optional = reference.optional.unwrap_or(false);
            match config_maps.get_opt(&reference.name).await {
                Ok(Some(cm)) => {
                    for (k, v) in cm.data.unwrap_or_default() {
                        vars.insert(format!("{prefix}{k}"), v);
                    }
                }
                Ok(None) if optional => {}
                Ok(None) => {
                    return Err(ConfigError(format!(
                        "configmap {:?} not found",
                        reference.name
                    )));
                }
                Err(e) => {
                    return Err(ConfigError(format!(
                        "reading configmap {:?}: {e}",
                        reference.name
                    )));
                }
            }
        }
        if let Some(reference) = &source.secret_ref {
            let optional = reference.optional.unwrap_or(false);
            match secrets.get_opt(&reference.name).await {
                Ok(Some(secret)) => {
                    for (k, v) in secret.data.unwrap_or_default() {
                        vars.insert(
                            format!("{prefix}{k}"),
                            String::from_utf8_lossy(&v.0).into_owned(),
                        );
                    }
                }
                Ok(None) if optional => {}
                Ok(None) => {
                    return Err(ConfigError(format!(
                        "secret {:?} not found",
                        reference.name
                    )));
                }
                Err(e) => {
                    return Err(ConfigError(format!(
                        "reading secret {:?}: {e}",
                        reference.name
                    )));
                }
            }
        }
    }

    for var in container.env.iter().flatten() {
        let value = match (&var.value, &var.value_from) {
            (Some(value), _) => substitute_mounts(&expand_vars(value, &vars), mounts),
            (None, None) => String::new(),
            (None, Some(from)) => {
                if let Some(field) = &from.field_ref {
                    field_ref_value(pod, node_name, &field.field_path).ok_or_else(|| {
                        ConfigError(format!(
                            "env {}: unsupported fieldRef {}",
                            var.name, field.field_path
                        ))
                    })?
                } else if let Some(key_ref) = &from.secret_key_ref {
                    let secret = secrets.get_opt(&key_ref.name).await.map_err(|e| {
                        ConfigError(format!(
                            "env {}: reading secret {}: {e}",
                            var.name, key_ref.name
                        ))
                    })?;
                    match secret
                        .and_then(|s| s.data)
                        .and_then(|d| d.get(&key_ref.key).cloned())
                    {
                        Some(bytes) => String::from_utf8_lossy(&bytes.0).into_owned(),
                        None if key_ref.optional.unwrap_or(false) => continue,
                        None => {
                            return Err(ConfigError(format!(
                                "env {}: secret {} has no key {}",
                                var.name, key_ref.name, key_ref.key
                            )));
                        }
                    }
                } else if let Some(key_ref) = &from.config_map_key_ref {
                    let cm = config_maps.get_opt(&key_ref.name).await.map_err(|e| {
                        ConfigError(format!(
                            "env {}: reading configmap {}: {e}",
                            var.name, key_ref.name
                        ))
                    })?;
                    match cm
                        .and_then(|c| c.data)
                        .and_then(|d| d.get(&key_ref.key).cloned())
                    {
                        Some(value) => value,
                        None if key_ref.optional.unwrap_or(false) => continue,
                        None => {
                            return Err(ConfigError(format!(
                                "env {}: configmap {} has no key {}",
                                var.name, key_ref.name, key_ref.key
                            )));
                        }
                    }
                } else {
                    return Err(ConfigError(format!(
                        "env {}: only fieldRef, secretKeyRef and configMapKeyRef are supported",
                        var.name
                    )));
                }
            }
        };
        vars.insert(var.name.clone(), value);
    }
    Ok(vars)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod() -> Pod {
        serde_json::from_value(serde_json::json!({
            "metadata": {
                "name": "p", "namespace": "ns", "uid": "u-1",
                "labels": { "app": "web" }, "annotations": { "a/b": "c" }
            },
            "spec": { "containers": [], "nodeName": "n1" }
        }))
        .expect("pod")
    }

    #[test]
    fn field_refs_resolve_like_the_downward_api() {
        let cases = [
            ("metadata.name", Some("p")),
            ("metadata.namespace", Some("ns")),
            ("metadata.uid", Some("u-1")),
            ("metadata.labels['app']", Some("web")),
            ("metadata.annotations['a/b']", Some("c")),
            ("metadata.labels['missing']", None),
            ("spec.nodeName", Some("n1")),
            ("status.podIP", Some("127.0.0.1")),
            ("spec.unknown", None),
        ];
        for (path, want) in cases {
            assert_eq!(
                field_ref_value(&pod(), "other", path).as_deref(),
                want,
                "{path}"
            );
        }
    }

    #[test]
    fn dollar_parens_expand_like_kubernetes() {
        let vars: BTreeMap<String, String> = [("A".to_owned(), "1".to_owned())].into();
        let cases = [
            ("$(A)", "1"),
            ("x$(A)y", "x1y"),
            ("$(B)", "$(B)"),
            ("$$(A)", "$(A)"),
            ("$A", "$A"),
            ("cost: $", "cost: $"),
            ("$(A", "$(A"),
        ];
        for (input, want) in cases {
            assert_eq!(expand_vars(input, &vars), want, "{input}");
        }
    }

    #[test]
    fn mount_paths_are_rewritten_only_as_whole_paths() {
        let mounts = vec![
            ("/shared".to_owned(), "/tmp/v/shared".to_owned()),
            ("/shared/deep".to_owned(), "/tmp/v/deep".to_owned()),
            ("/logs/".to_owned(), "/tmp/v/logs".to_owned()),
        ];
        let cases = [
            ("echo hi > /shared/x", "echo hi > /tmp/v/shared/x"),
            ("cat /shared/deep/f", "cat /tmp/v/deep/f"),
            ("/shared", "/tmp/v/shared"),
            ("/sharedness /a/shared", "/sharedness /a/shared"),
            (
                "ls '/logs'; ls /logs/artifacts",
                "ls '/tmp/v/logs'; ls /tmp/v/logs/artifacts",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(substitute_mounts(input, &mounts), want, "{input}");
        }
    }

    #[test]
    fn mount_env_names_are_shell_safe() {
        let cases = [
            ("shared", "PROW_TESTKIT_MOUNT_SHARED"),
            ("my-vol.1", "PROW_TESTKIT_MOUNT_MY_VOL_1"),
        ];
        for (volume, want) in cases {
            assert_eq!(mount_env_name(volume), want);
        }
    }
}
