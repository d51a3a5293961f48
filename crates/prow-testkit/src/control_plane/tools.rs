//! Finding the `kube-apiserver` and `etcd` binaries.

use std::path::{Path, PathBuf};

use super::error::{Error, Result};

/// The environment variable naming a directory that holds `etcd` and `kube-apiserver`.
pub const TOOLS_DIR_ENV: &str = "PROW_RS_TOOLS_DIR";

/// The root of the prow-rs checkout this crate was compiled from.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The directory holding `etcd` and `kube-apiserver`: `$PROW_RS_TOOLS_DIR` when set,
/// otherwise the directory `hack/build-tools.sh` prints (it builds them on first use, which
/// takes minutes; later calls return at once).
pub async fn find_tools_dir() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os(TOOLS_DIR_ENV) {
        let dir = PathBuf::from(dir);
        check_tools_dir(&dir)?;
        return Ok(dir);
    }
    let script = repo_root().join("hack/build-tools.sh");
    tracing::info!(script = %script.display(), "building or locating kube-apiserver and etcd");
    let output = tokio::process::Command::new("bash")
        .arg(&script)
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::inherit())
        .output()
        .await
        .map_err(|source| Error::Spawn {
            name: script.display().to_string(),
            source,
        })?;
    if !output.status.success() {
        return Err(Error::FindTools(format!(
            "{} failed with {} (its log is on stderr above); set {TOOLS_DIR_ENV} to a \
             directory with etcd and kube-apiserver to skip the build",
            script.display(),
            output.status
        )));
    }
    let dir = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    check_tools_dir(&dir)?;
    Ok(dir)
}

fn check_tools_dir(dir: &Path) -> Result<()> {
    for binary in ["etcd", "kube-apiserver"] {
        if !dir.join(binary).is_file() {
            return Err(Error::FindTools(format!(
                "{} has no {binary} (from {TOOLS_DIR_ENV} or hack/build-tools.sh)",
                dir.display()
            )));
        }
    }
    Ok(())
}
