//! The `crier` binary as a process, with Prow's flags, against the real local control plane
//! and the fake GitHub server: it becomes leader, reads `github_reporter` from config.yaml,
//! reports, serves its metrics and exits cleanly on SIGTERM.

mod support;

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use kube::Api;
use prow_api::{ProwJob, ProwJobState, ProwJobType};
use prow_testkit::control_plane::ControlPlane;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use support::*;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("free port")
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write file");
    path.display().to_string()
}

/// `GET path` on the admin port; `None` until the server answers.
async fn admin_get(port: u16, path: &str) -> Option<String> {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .ok()?;
    let request = format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await.ok()?;
    Some(response)
}

#[tokio::test]
async fn binary_reports_with_prow_flags_and_config() {
    let control_plane = ControlPlane::shared().await;
    let namespace = control_plane.test_namespace("crier-bin").await;
    let api: Api<ProwJob> = Api::namespaced(control_plane.client(), namespace.name());
    let github = fake_github().await;
    let dir = tempfile::tempdir().expect("tempdir");
    // statuses only for the demo org: no comment even on failure
    let config = write(
        dir.path(),
        "config.yaml",
        &format!(
            "prowjob_namespace: {ns}\npod_namespace: {ns}\ngithub_reporter:\n  no_comment_repos:\n  - {ORG}\n",
            ns = namespace.name()
        ),
    );
    let token = write(dir.path(), "token", "t0ken\n");
    let admin_port = free_port();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_crier"))
        .args(["--config-path", &config, "--github-token-path", &token])
        .args(["--github-endpoint", &github.url(), "--github-workers", "2"])
        .args(["--admin-port", &admin_port.to_string()])
        .args(["--admin-bind-address", "127.0.0.1"])
        .args(["--leader-election-namespace", namespace.name()])
        .args(["--leader-election-identity", "crier-test"])
        .arg("--kubeconfig")
        .arg(control_plane.kubeconfig_path())
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("crier starts");

    create_job(
        &api,
        "unit-1",
        "pull-hello-unit",
        ProwJobType::Presubmit,
        true,
    )
    .await;
    wait_recorded(&api, "unit-1", ProwJobState::Triggered).await;
    set_state(&api, "unit-1", ProwJobState::Failure).await;
    wait_recorded(&api, "unit-1", ProwJobState::Failure).await;
    assert_eq!(statuses(&github, "pull-hello-unit"), ["pending", "failure"]);
    assert!(
        comment_writes(&github).is_empty(),
        "no_comment_repos is read"
    );

    let metrics = admin_get(admin_port, "/metrics").await.expect("metrics");
    assert!(
        metrics.contains(
            r#"crier_reporting_results_total{reporter="github-reporter",result="success",state="failure"} 1"#
        ),
        "{metrics}"
    );
    assert!(
        metrics.contains("crier_report_lag_seconds_count 2"),
        "{metrics}"
    );

    let pid = child.id().expect("pid");
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let status = tokio::time::timeout(Duration::from_secs(60), child.wait())
        .await
        .expect("crier exits after SIGTERM")
        .expect("wait");
    assert!(status.success(), "{status:?}");
}
