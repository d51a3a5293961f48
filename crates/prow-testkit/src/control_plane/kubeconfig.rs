//! The admin kubeconfig of a local control plane, and a client built from it.

use std::path::Path;

use kube::config::{KubeConfigOptions, Kubeconfig};

use super::error::{Error, Result};

/// Writes a kubeconfig (JSON, which is YAML) for the user whose certificate is
/// `pki_dir/<user_file>.crt` (key `.key`), referencing the files by absolute path.
pub fn write(path: &Path, server_url: &str, pki_dir: &Path, user_file: &str) -> Result<()> {
    let file = |name: &str| pki_dir.join(name).display().to_string();
    let config = serde_json::json!({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{
            "name": "prow-testkit",
            "cluster": { "server": server_url, "certificate-authority": file("ca.crt") }
        }],
        "users": [{
            "name": "admin",
            "user": {
                "client-certificate": file(&format!("{user_file}.crt")),
                "client-key": file(&format!("{user_file}.key"))
            }
        }],
        "contexts": [{
            "name": "prow-testkit",
            "context": { "cluster": "prow-testkit", "user": "admin", "namespace": "default" }
        }],
        "current-context": "prow-testkit"
    });
    let text =
        serde_json::to_string_pretty(&config).map_err(|e| Error::Kubeconfig(e.to_string()))?;
    std::fs::write(path, text).map_err(Error::io(path))
}

/// The client configuration for the kubeconfig at `path`.
pub async fn config(path: &Path) -> Result<kube::Config> {
    let kubeconfig = Kubeconfig::read_from(path).map_err(|e| Error::Kubeconfig(e.to_string()))?;
    kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .map_err(|e| Error::Kubeconfig(e.to_string()))
}

/// A new client (with its own connection pool, bound to the current Tokio runtime).
pub fn client(config: &kube::Config) -> Result<kube::Client> {
    kube::Client::try_from(config.clone()).map_err(|e| Error::Kubeconfig(e.to_string()))
}
