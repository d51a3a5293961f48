//! Marker files: the exit code of a wrapped process, written by entrypoint and awaited by
//! sidecar and by a later entrypoint (`previous_marker`) (Prow's `wrapper` markers).

use std::path::Path;
use std::time::Duration;

/// How often a missing marker is looked for again.
const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// What a marker said, or why it could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MarkerResult {
    /// The exit code written in the marker (Prow's `ReturnCode`; -1 when unreadable).
    pub return_code: i32,
    /// Why the marker could not be read; `None` when it was.
    pub error: Option<String>,
}

/// Writes `code` to `marker_file` atomically: a temporary file in the same directory is
/// written, synced and renamed over the marker (Prow's `Mark`).
pub fn write_marker(marker_file: &Path, code: i32) -> std::io::Result<()> {
    use std::io::Write;
    let dir = marker_file.parent().unwrap_or(Path::new("."));
    let name = marker_file
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| "marker".to_owned());
    let temp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let mut file = std::fs::File::create(&temp)?;
    file.write_all(code.to_string().as_bytes())?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&temp, marker_file)
}

/// Reads a marker's exit code.
pub fn read_marker(marker_file: &Path) -> MarkerResult {
    match std::fs::read_to_string(marker_file) {
        Ok(text) => match text.trim().parse::<i32>() {
            Ok(code) => MarkerResult {
                return_code: code,
                error: None,
            },
            Err(e) => MarkerResult {
                return_code: -1,
                error: Some(format!("invalid marker {}: {e}", marker_file.display())),
            },
        },
        Err(e) => MarkerResult {
            return_code: -1,
            error: Some(format!("cannot read {}: {e}", marker_file.display())),
        },
    }
}

/// Waits until `marker_file` exists, then reads it. Returns `None` if `cancelled` resolves
/// first.
pub async fn wait_for_marker(
    marker_file: &Path,
    cancelled: impl std::future::Future<Output = ()>,
) -> Option<MarkerResult> {
    tokio::pin!(cancelled);
    loop {
        if marker_file.exists() {
            return Some(read_marker(marker_file));
        }
        tokio::select! {
            _ = &mut cancelled => return None,
            _ = tokio::time::sleep(POLL_INTERVAL) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marker_roundtrip_and_bad_content() {
        let dir = tempfile::tempdir().expect("tempdir");
        let marker = dir.path().join("marker-file.txt");
        write_marker(&marker, 130).expect("write");
        assert_eq!(std::fs::read_to_string(&marker).expect("read"), "130");
        assert_eq!(read_marker(&marker).return_code, 130);
        std::fs::write(&marker, "not a number").expect("write");
        let result = read_marker(&marker);
        assert_eq!(result.return_code, -1);
        assert!(result.error.is_some());
        let leftovers = std::fs::read_dir(dir.path()).expect("list").count();
        assert_eq!(leftovers, 1, "no temporary files remain");
    }
}
