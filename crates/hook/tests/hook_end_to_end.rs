//! End to end through the `hook` binary: real process, real control plane, fake GitHub,
//! signed webhooks built from recorded payloads.
//! - An org member opens a PR → trigger's ProwJobs exist; the same delivery again creates
//!   nothing new; SIGTERM → clean exit after the queue drains.
//! - A config PR is merged → config-updater writes the ConfigMap and says so on the PR.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use k8s_openapi::api::core::v1::ConfigMap;
use kube::Api;
use kube::api::ListParams;
use prow_api::ProwJob;
use prow_testkit::control_plane::ControlPlane;
use prow_testkit::fake_github::{
    Branch, FakeGitHub, FileContent, GitHubState, Org, PullFile, PullRef, PullRequest, Repo,
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

/// A `hook` process on free loopback ports, started with the given config files.
struct RunningHook {
    child: tokio::process::Child,
    port: u16,
    admin_port: u16,
}

impl RunningHook {
    async fn start(
        dir: &Path,
        config: &str,
        plugins: &str,
        github: &FakeGitHub,
        control_plane: &ControlPlane,
    ) -> RunningHook {
        let hmac = write(dir, "hmac", SECRET);
        let token = write(dir, "token", "t0ken");
        let (port, admin_port) = (free_port(), free_port());
        let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_hook"))
            .args(["--port", &port.to_string(), "--bind-address", "127.0.0.1"])
            .args([
                "--admin-port",
                &admin_port.to_string(),
                "--admin-bind-address",
                "127.0.0.1",
            ])
            .args(["--config-path", config, "--plugin-config", plugins])
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
        RunningHook {
            child,
            port,
            admin_port,
        }
    }

    /// Sends `body` as GitHub would (signed), returns the status code.
    async fn deliver(&self, event: &str, delivery: &str, body: &[u8]) -> u16 {
        let headers = delivery_headers(
            event,
            delivery,
            1,
            ("repository", 2),
            SECRET.as_bytes(),
            body,
        );
        headers
            .iter()
            .fold(
                reqwest::Client::new().post(format!("http://127.0.0.1:{}/hook", self.port)),
                |r, (n, v)| r.header(*n, v),
            )
            .body(body.to_vec())
            .send()
            .await
            .expect("send")
            .status()
            .as_u16()
    }

    /// SIGTERM, then waits for a clean exit (the queue drains first).
    async fn stop(mut self) {
        let pid = self.child.id().expect("pid");
        let killed = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .expect("kill");
        assert!(killed.success());
        let status = tokio::time::timeout(Duration::from_secs(60), self.child.wait())
            .await
            .expect("hook exits after SIGTERM")
            .expect("wait");
        assert!(status.success(), "{status:?}");
    }
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
    let hook = RunningHook::start(dir.path(), &config, &plugins, &github, control_plane).await;
    let http = reqwest::Client::new();
    let admin_port = hook.admin_port;

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
    let send = || hook.deliver("pull_request", "e2e-delivery-1", &body);
    assert_eq!(send().await, 200);

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
    assert_eq!(send().await, 200);
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

    hook.stop().await;
    assert_eq!(job_names(&api).await, ["lint", "unit"]);
}

const MERGE_SHA: &str = "feedfacefeedfacefeedfacefeedfacefeedface";
const NEW_CONFIG: &str = "prowjob_namespace: prow\nplank:\n  max_concurrency: 5\n";

#[tokio::test]
async fn merged_config_pr_updates_the_configmap() {
    let control_plane = ControlPlane::shared().await;
    let namespace = control_plane.test_namespace("hook-e2e-cu").await;
    let config_maps: Api<ConfigMap> = Api::namespaced(control_plane.client(), namespace.name());
    let github = FakeGitHub::start().await.expect("fake github");
    let mut state = github_state();
    let repo = &mut state.repos[0];
    repo.contents = vec![FileContent {
        path: "config/prow/config.yaml".to_string(),
        git_ref: MERGE_SHA.to_string(),
        content: NEW_CONFIG.to_string(),
    }];
    let pull = &mut repo.pulls[0];
    pull.state = "closed".to_string();
    pull.merged = true;
    pull.files = vec![PullFile {
        filename: "config/prow/config.yaml".to_string(),
        status: "modified".to_string(),
        additions: 1,
        ..PullFile::default()
    }];
    state.normalize("2026-01-01T00:00:00Z");
    github.load_state(state);

    let dir = tempfile::tempdir().expect("tempdir");
    let config = write(
        dir.path(),
        "config.yaml",
        &format!("prowjob_namespace: {}\n", namespace.name()),
    );
    let plugins = write(
        dir.path(),
        "plugins.yaml",
        &format!(
            "config_updater:\n  maps:\n    config/prow/config.yaml:\n      name: config\n      \
             namespace: {}\nplugins:\n  prow-rs-demo: [config-updater]\n",
            namespace.name()
        ),
    );
    let hook = RunningHook::start(dir.path(), &config, &plugins, &github, control_plane).await;

    let body = PayloadEdit::new(payload("pull_request", "closed").expect("payload"))
        .expect("parses")
        .repo(ORG, REPO)
        .number(7)
        .sender(MEMBER)
        .set("/pull_request/merged", json!(true))
        .set("/pull_request/merge_commit_sha", json!(MERGE_SHA))
        .set("/pull_request/base/ref", json!("main"))
        .set("/pull_request/base/repo/default_branch", json!("main"))
        .set("/repository/default_branch", json!("main"))
        .into_bytes()
        .expect("bytes");
    assert_eq!(
        hook.deliver("pull_request", "e2e-merge-1", &body).await,
        200
    );

    let mut data = None;
    for _ in 0..300 {
        if let Ok(Some(map)) = config_maps.get_opt("config").await {
            data = map.data;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let data = data.expect("the config ConfigMap is written");
    assert_eq!(
        data.get("config.yaml").map(String::as_str),
        Some(NEW_CONFIG)
    );
    // SIGTERM drains the queue, so the comment is posted by the time hook exits.
    hook.stop().await;
    let comments: Vec<String> = github
        .writes()
        .into_iter()
        .filter(|w| w.method == "POST" && w.path.ends_with("/issues/7/comments"))
        .map(|w| w.body["body"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(comments.len(), 1, "{comments:?}");
    assert!(comments[0].contains("config.yaml"), "{comments:?}");
}
