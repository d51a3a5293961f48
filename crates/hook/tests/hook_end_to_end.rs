//! End to end through the `hook` binary: real process, real control plane, fake GitHub.
//! An org member opens a PR → a signed `pull_request` webhook over HTTP → trigger's
//! ProwJobs exist; the same delivery again creates nothing new; SIGTERM → clean exit after
//! the queue drains.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use kube::Api;
use kube::api::ListParams;
use prow_api::ProwJob;
use prow_testkit::control_plane::ControlPlane;
use prow_testkit::fake_github::{
    Branch, FakeGitHub, GitHubState, Org, PullFile, PullRef, PullRequest, Repo,
};
use prow_testkit::webhook::{PayloadEdit, delivery_headers, payload};
use serde_json::json;

const ORG: &str = "prow-rs-demo";
const REPO: &str = "hello";
const MEMBER: &str = "alice";
const BASE_SHA: &str = "0123456789abcdef0123456789abcdef01234567";
const HEAD_SHA: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa7";
const SECRET: &str = "end-to-end-secret";

const JOBS: &str = r#"
presubmits:
  prow-rs-demo/hello:
  - name: unit
    always_run: true
    spec: {containers: [{image: alpine, command: ["true"]}]}
  - name: lint
    always_run: true
    spec: {containers: [{image: alpine, command: ["true"]}]}
  - name: go
    run_if_changed: '\.go$'
    spec: {containers: [{image: alpine}]}
"#;

fn github_state() -> GitHubState {
    let mut state = GitHubState {
        viewer: Some("prow-bot".to_string()),
        orgs: vec![Org {
            login: ORG.to_string(),
            members: vec![MEMBER.to_string()],
            ..Org::default()
        }],
        repos: vec![Repo {
            owner: ORG.to_string(),
            name: REPO.to_string(),
            default_branch: "main".to_string(),
            branches: vec![Branch {
                name: "main".to_string(),
                sha: BASE_SHA.to_string(),
                ..Branch::default()
            }],
            pulls: vec![PullRequest {
                number: 7,
                title: "docs".to_string(),
                user: MEMBER.to_string(),
                head: PullRef {
                    branch: "topic".to_string(),
                    sha: HEAD_SHA.to_string(),
                    repo: String::new(),
                },
                base: PullRef {
                    branch: "main".to_string(),
                    sha: BASE_SHA.to_string(),
                    repo: String::new(),
                },
                files: vec![PullFile {
                    filename: "docs/guide.md".to_string(),
                    additions: 1,
                    ..PullFile::default()
                }],
                ..PullRequest::default()
            }],
            ..Repo::default()
        }],
        ..GitHubState::default()
    };
    state.normalize("2026-01-01T00:00:00Z");
    state
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path.display().to_string()
}

async fn job_names(api: &Api<ProwJob>) -> Vec<String> {
    let mut names: Vec<String> = api
        .list(&ListParams::default())
        .await
        .expect("list")
        .items
        .into_iter()
        .map(|j| j.spec.job)
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn member_opens_a_pr_and_presubmits_exist() {
    let control_plane = ControlPlane::shared().await;
    let namespace = control_plane.test_namespace("hook-e2e").await;
    let api: Api<ProwJob> = Api::namespaced(control_plane.client(), namespace.name());
    let github = FakeGitHub::start().await.expect("fake github");
    github.load_state(github_state());

    let dir = tempfile::tempdir().expect("tempdir");
    let config = write(
        dir.path(),
        "config.yaml",
        &format!("prowjob_namespace: {}\n{JOBS}", namespace.name()),
    );
    let plugins = write(
        dir.path(),
        "plugins.yaml",
        "plugins:\n  prow-rs-demo: [trigger, cat]\n  prow-rs-demo/hello: [not-implemented-here]\n",
    );
    let hmac = write(dir.path(), "hmac", SECRET);
    let token = write(dir.path(), "token", "t0ken");
    let (port, admin_port) = (free_port(), free_port());
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_hook"))
        .args(["--port", &port.to_string(), "--bind-address", "127.0.0.1"])
        .args([
            "--admin-port",
            &admin_port.to_string(),
            "--admin-bind-address",
            "127.0.0.1",
        ])
        .args(["--config-path", &config, "--plugin-config", &plugins])
        .args(["--hmac-secret-file", &hmac, "--github-token-path", &token])
        .args(["--github-endpoint", &github.url(), "--dry-run=false"])
        .arg("--kubeconfig")
        .arg(control_plane.kubeconfig_path())
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("hook starts");

    let http = reqwest::Client::new();
    let mut ready = false;
    for _ in 0..300 {
        let probe = http
            .get(format!("http://127.0.0.1:{admin_port}/readyz"))
            .send()
            .await;
        if probe.is_ok_and(|r| r.status().is_success()) {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ready, "hook never became ready");

    let body = PayloadEdit::new(payload("pull_request", "opened").expect("payload"))
        .expect("parses")
        .repo(ORG, REPO)
        .number(7)
        .head_sha(HEAD_SHA)
        .sender(MEMBER)
        .set("/pull_request/user/login", json!(MEMBER))
        .set("/pull_request/base/ref", json!("main"))
        .set("/pull_request/base/sha", json!(BASE_SHA))
        .set("/pull_request/draft", json!(false))
        .into_bytes()
        .expect("bytes");
    let headers = delivery_headers(
        "pull_request",
        "e2e-delivery-1",
        1,
        ("repository", 2),
        SECRET.as_bytes(),
        &body,
    );
    let send = || {
        headers
            .iter()
            .fold(
                http.post(format!("http://127.0.0.1:{port}/hook")),
                |r, (n, v)| r.header(*n, v),
            )
            .body(body.clone())
            .send()
    };
    assert_eq!(send().await.expect("send").status().as_u16(), 200);

    let mut names = Vec::new();
    for _ in 0..300 {
        names = job_names(&api).await;
        if names.len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(names, ["lint", "unit"]);

    // Redelivery: answered, not handled again. SIGTERM drains the queue before exit, so the
    // ProwJob count after exit is final.
    assert_eq!(send().await.expect("send").status().as_u16(), 200);
    let metrics = http
        .get(format!("http://127.0.0.1:{admin_port}/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(
        metrics.contains("hook_webhook_duplicates_total 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("hook_plugin_runs_total{plugin=\"trigger\"} 1"),
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
        .expect("hook exits after SIGTERM")
        .expect("wait");
    assert!(status.success(), "{status:?}");
    assert_eq!(job_names(&api).await, ["lint", "unit"]);
}
