//! Checks of prow-rs's deployment artefacts (the Helm chart in `charts/prow-rs`): finding
//! the Helm binary built by `hack/build-tools.sh helm`, and reading rendered manifests. The
//! checks themselves are this crate's tests (`tests/helm_chart.rs`).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// Environment variable naming the directory that holds `helm`.
pub const HELM_TOOLS_DIR_ENV: &str = "PROW_RS_HELM_TOOLS_DIR";

/// Why a check's input could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum DeployCheckError {
    /// `hack/build-tools.sh helm` failed.
    #[error("building helm with hack/build-tools.sh helm failed: {0}")]
    BuildTools(String),
    /// A rendered document is not YAML.
    #[error("rendered manifest document {index} is not YAML: {message}")]
    Yaml {
        /// 0-based document index.
        index: usize,
        /// The parser's message.
        message: String,
    },
}

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The `helm` binary: from [`HELM_TOOLS_DIR_ENV`], else built (once, cached) by
/// `hack/build-tools.sh helm`.
///
/// # Errors
/// When the build script fails.
pub fn helm_binary() -> Result<PathBuf, DeployCheckError> {
    if let Some(dir) = std::env::var_os(HELM_TOOLS_DIR_ENV) {
        return Ok(PathBuf::from(dir).join("helm"));
    }
    let output = Command::new("bash")
        .arg(repo_root().join("hack/build-tools.sh"))
        .arg("helm")
        .output()
        .map_err(|e| DeployCheckError::BuildTools(e.to_string()))?;
    if !output.status.success() {
        return Err(DeployCheckError::BuildTools(
            String::from_utf8_lossy(&output.stderr).into_owned(),
        ));
    }
    let dir = String::from_utf8_lossy(&output.stdout).trim().to_string();
    Ok(PathBuf::from(dir).join("helm"))
}

/// The objects of a multi-document YAML stream (empty documents skipped), as JSON.
///
/// # Errors
/// The first document that is not YAML.
pub fn manifest_objects(yaml: &str) -> Result<Vec<Value>, DeployCheckError> {
    let mut objects = Vec::new();
    for (index, document) in split_documents(yaml).into_iter().enumerate() {
        if document.lines().all(|l| {
            let l = l.trim();
            l.is_empty() || l.starts_with('#')
        }) {
            continue;
        }
        let value: Value =
            serde_saphyr::from_str(document).map_err(|e| DeployCheckError::Yaml {
                index,
                message: e.to_string(),
            })?;
        if !value.is_null() {
            objects.push(value);
        }
    }
    Ok(objects)
}

/// Splits a YAML stream at `---` document markers.
fn split_documents(yaml: &str) -> Vec<&str> {
    let mut documents = Vec::new();
    let mut start = 0;
    let mut offset = 0;
    for line in yaml.split_inclusive('\n') {
        if line.trim_end() == "---" {
            documents.push(&yaml[start..offset]);
            start = offset + line.len();
        }
        offset += line.len();
    }
    documents.push(&yaml[start..]);
    documents
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_split_at_markers_and_empty_ones_are_skipped() {
        let yaml = "---\n# Source: a\napiVersion: v1\nkind: A\n---\n# only a comment\n---\nkind: B\nlist: ['---']\n";
        let objects = manifest_objects(yaml).expect("parses");
        let kinds: Vec<&str> = objects.iter().filter_map(|o| o["kind"].as_str()).collect();
        assert_eq!(kinds, ["A", "B"]);
        assert_eq!(objects[1]["list"][0], "---");
    }

    #[test]
    fn a_broken_document_is_named() {
        let err = manifest_objects("kind: A\n---\nkind: [B\n").expect_err("broken");
        assert!(
            matches!(err, DeployCheckError::Yaml { index: 1, .. }),
            "{err}"
        );
    }
}
