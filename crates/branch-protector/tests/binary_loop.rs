//! The `branch-protector` binary in loop mode on the real control plane: it takes the
//! `branch-protector` Lease, protects the fake org, repeats without writing again, serves its
//! metrics on the admin port and exits cleanly on SIGTERM. Timeouts are failure bounds only.

use std::time::Duration;

use k8s_openapi::api::coordination::v1::Lease;
use kube::Api;
use prow_testkit::control_plane::ControlPlane;
use prow_testkit::fake_github::{FakeGitHub, GitHubState};
use serde_json::json;

const BOUND: Duration = Duration::from_secs(90);

/// The value of a counter line `name value` in Prometheus text, if present.
fn counter(text: &str, name: &str) -> Option<u64> {
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loop_mode_protects_once_serves_metrics_and_stops_on_sigterm() {
    let control_plane = ControlPlane::shared().await;
    let namespace = control_plane.test_namespace("branch-protector-bin").await;
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("config.yaml"),
        "branch-protection:\n  protect: true\n  orgs:\n    acme:\n      repos:\n        api: {}\n",
    )
    .expect("write config");
    std::fs::write(dir.path().join("oauth"), "t0ken\n").expect("token file");
    let github = FakeGitHub::start().await.expect("fake GitHub starts");
    let state = json!({"viewer": "prow-bot", "orgs": [{"login": "acme"}], "repos": [
        {"owner": "acme", "name": "api", "branches": [{"name": "main", "sha": "a1"}]}]});
    github.load_state(GitHubState::from_json(state.to_string().as_bytes()).expect("state"));
    let admin_port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();

    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_branch-protector"))
        .arg("--config-path")
        .arg(dir.path().join("config.yaml"))
        .arg("--github-endpoint")
        .arg(github.url())
        .arg("--github-token-path")
        .arg(dir.path().join("oauth"))
        .args(["--interval", "300ms"])
        .arg("--kubeconfig")
        .arg(control_plane.kubeconfig_path())
        .args(["--leader-election-namespace", namespace.name()])
        .args(["--leader-election-identity", "bp-test"])
        .args(["--admin-bind-address", "127.0.0.1"])
        .args(["--admin-port", &admin_port.to_string()])
        .kill_on_drop(true)
        .spawn()
        .expect("binary starts");

    let http = reqwest::Client::new();
    let metrics_url = format!("http://127.0.0.1:{admin_port}/metrics");
    let runs = tokio::time::timeout(BOUND, async {
        loop {
            if let Ok(response) = http.get(&metrics_url).send().await
                && let Ok(text) = response.text().await
                && counter(&text, "branch_protector_runs_total").is_some_and(|n| n >= 3)
            {
                return text;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    let text = runs.expect("three passes reported on /metrics within the bound");
    assert_eq!(
        counter(&text, "branch_protector_repos_checked_total").map(|n| n >= 3),
        Some(true),
        "{text}"
    );
    let writes: Vec<(String, String)> = github
        .writes()
        .into_iter()
        .map(|w| (w.method, w.path))
        .collect();
    assert_eq!(
        writes,
        vec![(
            "PUT".to_string(),
            "/repos/acme/api/branches/main/protection".to_string()
        )],
        "one write, none in later passes"
    );
    let lease = Api::<Lease>::namespaced(control_plane.client(), namespace.name())
        .get("branch-protector")
        .await
        .expect("lease exists");
    assert_eq!(
        lease.spec.and_then(|s| s.holder_identity).as_deref(),
        Some("bp-test")
    );

    let pid = child.id().expect("running").to_string();
    let killed = tokio::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .expect("kill runs");
    assert!(killed.success());
    let status = tokio::time::timeout(BOUND, child.wait())
        .await
        .expect("exits after SIGTERM within the bound")
        .expect("wait");
    assert!(status.success(), "exit status {status:?}");
}
