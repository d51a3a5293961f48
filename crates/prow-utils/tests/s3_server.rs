//! sidecar uploading to an S3 API server on loopback (gofakes3, built from its Go module by
//! `hack/build-tools.sh gcs`), configured by Prow's S3 credentials file, with an artifact large
//! enough to go up as a multipart upload.

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

fn gofakes3() -> PathBuf {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../hack/build-tools.sh");
    let output = Command::new("bash")
        .arg(script)
        .arg("gcs")
        .output()
        .expect("hack/build-tools.sh runs");
    assert!(
        output.status.success(),
        "building gofakes3 failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    PathBuf::from(String::from_utf8_lossy(&output.stdout).trim()).join("gofakes3")
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
async fn sidecar_uploads_to_an_s3_api_server() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let root = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let _server = Server(
        Command::new(gofakes3())
            .args(["-host", &format!("127.0.0.1:{port}"), "-backend", "memory"])
            .args(["-initialbucket", "prow-logs", "-quiet"])
            .spawn()
            .expect("gofakes3 starts"),
    );
    let base = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    while get(&format!("{base}/prow-logs")).await.is_none() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "gofakes3 did not start"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let credentials = root.path().join("s3-credentials.json");
    std::fs::write(
        &credentials,
        json!({"region": "us-east-1", "endpoint": format!("127.0.0.1:{port}"), "insecure": true,
               "s3_force_path_style": true, "access_key": "key", "secret_key": "secret"})
        .to_string(),
    )
    .expect("write");
    let logs = root.path().join("logs");
    std::fs::create_dir_all(logs.join("artifacts/sub")).expect("mkdir");
    std::fs::create_dir_all(root.path().join("secret")).expect("mkdir");
    std::fs::write(root.path().join("secret/password"), "hunter2-hunter2").expect("write");
    std::fs::write(logs.join("process-log.txt"), "log says hunter2-hunter2\n").expect("write");
    std::fs::write(logs.join("artifacts/sub/result.json"), r#"{"ok":true}"#).expect("write");
    let line = "0123456789abcdef hunter2-hunter2 0123456789abcdef\n";
    let big = line.repeat(12 * 1024 * 1024 / line.len());
    std::fs::write(logs.join("artifacts/big.log"), &big).expect("write");
    std::fs::write(logs.join("marker-file.txt"), "1").expect("write");
    let options = json!({
        "gcs_options": {"items": [logs.join("artifacts")], "bucket": "s3://prow-logs",
                        "path_strategy": "explicit", "s3_credentials_file": credentials, "dry_run": false},
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
        .output()
        .await
        .expect("sidecar runs");
    assert_eq!(
        output.status.code(),
        Some(1),
        "one failed entry: {}",
        String::from_utf8_lossy(&output.stderr)
    );

    let object = |name: &str| format!("{base}/prow-logs/{name}");
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
    let (status, uploaded_big) = get(&object(&format!("{run}/artifacts/big.log")))
        .await
        .expect("big");
    assert_eq!(status, 200);
    assert_eq!(
        uploaded_big.len(),
        big.len(),
        "multipart upload is complete"
    );
    assert_eq!(
        uploaded_big,
        big.replace("hunter2-hunter2", "***************").as_bytes()
    );
    let (_, alias) = get(&object("pr-logs/directory/pull-widgets/12.txt"))
        .await
        .expect("alias");
    assert_eq!(
        String::from_utf8_lossy(&alias),
        format!("s3://prow-logs/{run}")
    );
}
