//! sidecar uploading to a GCS API server on loopback (fake-gcs-server, built from its Go
//! module by `hack/build-tools.sh gcs`) through `STORAGE_EMULATOR_HOST`.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const BINARY: &str = env!("CARGO_BIN_EXE_prow-utils");

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn fake_gcs_server() -> PathBuf {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../hack/build-tools.sh");
    let output = Command::new("bash")
        .arg(script)
        .arg("gcs")
        .output()
        .expect("hack/build-tools.sh runs");
    assert!(
        output.status.success(),
        "building fake-gcs-server failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    PathBuf::from(String::from_utf8_lossy(&output.stdout).trim()).join("fake-gcs-server")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("free port")
}

async fn get(url: &str) -> Option<(u16, Vec<u8>)> {
    let response = reqwest::get(url).await.ok()?;
    let status = response.status().as_u16();
    Some((status, response.bytes().await.ok()?.to_vec()))
}

#[tokio::test]
async fn sidecar_uploads_to_a_gcs_api_server() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let root = tempfile::tempdir().expect("tempdir");
    let data = root.path().join("data");
    std::fs::create_dir_all(data.join("prow-logs")).expect("bucket dir");
    let port = free_port();
    let _server = Server(
        Command::new(fake_gcs_server())
            .args([
                "-scheme",
                "http",
                "-host",
                "127.0.0.1",
                "-port",
                &port.to_string(),
            ])
            .args(["-backend", "memory", "-log-level", "error", "-data"])
            .arg(&data)
            .spawn()
            .expect("fake-gcs-server starts"),
    );
    let base = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    while get(&format!("{base}/storage/v1/b")).await.is_none() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "fake-gcs-server did not start"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let logs = root.path().join("logs");
    std::fs::create_dir_all(logs.join("artifacts/sub")).expect("mkdir");
    std::fs::create_dir_all(root.path().join("secret")).expect("mkdir");
    std::fs::write(root.path().join("secret/password"), "hunter2-hunter2").expect("write");
    std::fs::write(logs.join("process-log.txt"), "log says hunter2-hunter2\n").expect("write");
    std::fs::write(logs.join("artifacts/sub/result.json"), r#"{"ok":true}"#).expect("write");
    std::fs::write(logs.join("marker-file.txt"), "1").expect("write");
    let options = json!({
        "gcs_options": {"items": [logs.join("artifacts")], "bucket": "gs://prow-logs",
                        "path_strategy": "explicit", "dry_run": false},
        "entries": [{"args": ["test"], "process_log": logs.join("process-log.txt"),
                     "marker_file": logs.join("marker-file.txt"), "metadata_file": ""}],
        "censoring_options": {"secret_directories": [root.path().join("secret")]},
    });
    let refs = json!({"org": "acme", "repo": "widgets", "base_ref": "main", "base_sha": "abc",
                      "pulls": [{"number": 3, "author": "dev", "sha": "def"}]});
    let spec = json!({"type": "presubmit", "job": "pull-widgets", "buildid": "12", "prowjobid": "pj", "refs": refs});
    let output = tokio::process::Command::new(BINARY)
        .arg("sidecar")
        .env("SIDECAR_OPTIONS", options.to_string())
        .env("JOB_SPEC", spec.to_string())
        .env("STORAGE_EMULATOR_HOST", format!("127.0.0.1:{port}"))
        .output()
        .await
        .expect("sidecar runs");
    assert_eq!(
        output.status.code(),
        Some(1),
        "one failed entry: {}",
        String::from_utf8_lossy(&output.stderr)
    );

    let object = |name: &str| {
        format!(
            "{base}/storage/v1/b/prow-logs/o/{}?alt=media",
            name.replace('/', "%2F")
        )
    };
    let run = "pr-logs/pull/acme_widgets/3/pull-widgets/12";
    let (status, log) = get(&object(&format!("{run}/build-log.txt")))
        .await
        .expect("log");
    assert_eq!(status, 200);
    assert_eq!(String::from_utf8_lossy(&log), "log says ***************\n");
    let (_, finished) = get(&object(&format!("{run}/finished.json")))
        .await
        .expect("finished");
    let finished: Value = serde_json::from_slice(&finished).expect("json");
    assert_eq!(finished["result"], "FAILURE");
    let (status, artifact) = get(&object(&format!("{run}/artifacts/sub/result.json")))
        .await
        .expect("artifact");
    assert_eq!(
        (status, artifact.as_slice()),
        (200, br#"{"ok":true}"#.as_slice())
    );
    let (_, alias) = get(&object("pr-logs/directory/pull-widgets/12.txt"))
        .await
        .expect("alias");
    assert_eq!(
        String::from_utf8_lossy(&alias),
        format!("gs://prow-logs/{run}")
    );
}
