//! End to end through the `hook` binary: real process, real control plane, fake GitHub,
//! signed webhooks built from recorded payloads.
//! - An org member opens a PR → trigger's ProwJobs exist; the same delivery again creates
//!   nothing new; SIGTERM → clean exit after the queue drains.
//! - A config PR is merged → config-updater writes the ConfigMap and says so on the PR.
//! - `/meow` reaches a cat API over HTTPS (a loopback TLS server whose CA the hook process
//!   trusts through `SSL_CERT_FILE`), and the same delivery is forwarded byte for byte to an
//!   external plugin configured for `issue_comment` (and a `pull_request` is not).

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
        Self::start_with(dir, config, plugins, github, control_plane, &[], &[]).await
    }

    /// As [`RunningHook::start`], with more flags and environment variables.
    async fn start_with(
        dir: &Path,
        config: &str,
        plugins: &str,
        github: &FakeGitHub,
        control_plane: &ControlPlane,
        extra_args: &[&str],
        extra_env: &[(&str, &str)],
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
            .args(extra_args)
            .envs(extra_env.iter().copied())
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

/// One request as a loopback server saw it.
#[derive(Clone, Debug)]
struct SeenRequest {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl SeenRequest {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A canned answer: status, headers, body.
type CannedResponse = (u16, Vec<(&'static str, String)>, String);

/// Reads one HTTP/1.1 request (head and `Content-Length` body) from `stream`.
async fn read_request<S: tokio::io::AsyncRead + Unpin>(stream: &mut S) -> Option<SeenRequest> {
    use tokio::io::AsyncReadExt;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let (method, path) = (
        request_line.next()?.to_string(),
        request_line.next()?.to_string(),
    );
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(SeenRequest {
        method,
        path,
        headers,
        body,
    })
}

/// A loopback server (TLS when `tls` is given) answering every request with `respond` and
/// recording what it saw; one request per connection.
async fn start_loopback_server(
    tls: Option<tokio_rustls::TlsAcceptor>,
    respond: fn(&SeenRequest, u16) -> CannedResponse,
) -> (u16, std::sync::Arc<std::sync::Mutex<Vec<SeenRequest>>>) {
    use tokio::io::AsyncWriteExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let record = std::sync::Arc::clone(&seen);
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let (tls, record) = (tls.clone(), std::sync::Arc::clone(&record));
            tokio::spawn(async move {
                let mut stream: Box<dyn AsyncStream> = match tls {
                    Some(acceptor) => match acceptor.accept(tcp).await {
                        Ok(stream) => Box::new(stream),
                        Err(_) => return,
                    },
                    None => Box::new(tcp),
                };
                let Some(request) = read_request(&mut stream).await else {
                    return;
                };
                let (status, headers, body) = respond(&request, port);
                record.lock().expect("lock").push(request.clone());
                let mut response = format!("HTTP/1.1 {status} X\r\nconnection: close\r\n");
                if !headers.iter().any(|(name, _)| *name == "content-length") {
                    response.push_str(&format!("content-length: {}\r\n", body.len()));
                }
                for (name, value) in headers {
                    response.push_str(&format!("{name}: {value}\r\n"));
                }
                response.push_str("\r\n");
                if request.method != "HEAD" {
                    response.push_str(&body);
                }
                let _ = stream.write_all(response.as_bytes()).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    (port, seen)
}

trait AsyncStream: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send> AsyncStream for T {}

/// A TLS acceptor for a loopback certificate signed by a fresh CA, and the CA's PEM.
fn loopback_tls() -> (tokio_rustls::TlsAcceptor, String) {
    use prow_testkit::control_plane::pki::{CertificateAuthority, Usage};
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let ca = CertificateAuthority::generate("cat-api-test-ca").expect("ca");
    let leaf = ca
        .sign("127.0.0.1", None, Usage::LoopbackServer)
        .expect("leaf");
    let certs = vec![CertificateDer::from_pem_slice(leaf.cert_pem.as_bytes()).expect("cert")];
    let key = PrivateKeyDer::from_pem_slice(leaf.key_pem.as_bytes()).expect("key");
    let config = rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("tls versions")
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .expect("server config");
    (
        tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config)),
        ca.cert_pem().to_string(),
    )
}

/// The cat API: a search answering one image on the same server — `big.jpg` (6 MB, above
/// GitHub's limit) for the category `big`, else `cat.jpg` (1 KB).
fn cat_api(request: &SeenRequest, port: u16) -> CannedResponse {
    if request.path.starts_with("/v1/images/search") {
        let image = if request.path.contains("category=big") {
            "big.jpg"
        } else {
            "cat.jpg"
        };
        let body = json!([{ "id": "e2e", "url": format!("https://127.0.0.1:{port}/{image}") }]);
        (
            200,
            vec![("content-type", "application/json".into())],
            body.to_string(),
        )
    } else if request.method == "HEAD" && request.path == "/cat.jpg" {
        (200, vec![("content-length", "1000".into())], String::new())
    } else if request.method == "HEAD" && request.path == "/big.jpg" {
        (
            200,
            vec![("content-length", "6000000".into())],
            String::new(),
        )
    } else {
        (404, Vec::new(), String::new())
    }
}

/// An external plugin: accepts everything.
fn accept_all(_: &SeenRequest, _: u16) -> CannedResponse {
    (200, Vec::new(), "ok".into())
}

#[tokio::test]
async fn cat_over_https_and_an_external_plugin_get_the_delivery() {
    let control_plane = ControlPlane::shared().await;
    let namespace = control_plane.test_namespace("hook-e2e-out").await;
    let github = FakeGitHub::start().await.expect("fake github");
    github.load_state(github_state());
    let (acceptor, ca_pem) = loopback_tls();
    let (cat_port, cat_requests) = start_loopback_server(Some(acceptor), cat_api).await;
    let (plugin_port, plugin_requests) = start_loopback_server(None, accept_all).await;

    let dir = tempfile::tempdir().expect("tempdir");
    let ca_file = write(dir.path(), "ca.pem", &ca_pem);
    let config = write(
        dir.path(),
        "config.yaml",
        &format!("prowjob_namespace: {}\n", namespace.name()),
    );
    let plugins = write(
        dir.path(),
        "plugins.yaml",
        &format!(
            "plugins:\n  prow-rs-demo: [cat]\nexternal_plugins:\n  prow-rs-demo/hello:\n  - name: recorder\n    endpoint: http://127.0.0.1:{plugin_port}/hook\n    events: [issue_comment]\n"
        ),
    );
    let cat_endpoint =
        format!("https://127.0.0.1:{cat_port}/v1/images/search?format=json&results_per_page=1");
    let hook = RunningHook::start_with(
        dir.path(),
        &config,
        &plugins,
        &github,
        control_plane,
        &["--cat-api-endpoint", &cat_endpoint],
        &[("SSL_CERT_FILE", &ca_file)],
    )
    .await;

    let meow = PayloadEdit::new(payload("issue_comment", "created").expect("payload"))
        .expect("parses")
        .repo(ORG, REPO)
        .number(7)
        .comment_body("/meow")
        .sender(MEMBER)
        .on_pull_request()
        .into_bytes()
        .expect("bytes");
    assert_eq!(hook.deliver("issue_comment", "e2e-meow", &meow).await, 200);
    let too_big = PayloadEdit::new(payload("issue_comment", "created").expect("payload"))
        .expect("parses")
        .repo(ORG, REPO)
        .number(7)
        .comment_body("/meow big")
        .sender(MEMBER)
        .on_pull_request()
        .into_bytes()
        .expect("bytes");
    assert_eq!(
        hook.deliver("issue_comment", "e2e-meow-big", &too_big)
            .await,
        200
    );
    let opened = PayloadEdit::new(payload("pull_request", "opened").expect("payload"))
        .expect("parses")
        .repo(ORG, REPO)
        .number(7)
        .into_bytes()
        .expect("bytes");
    assert_eq!(
        hook.deliver("pull_request", "e2e-opened", &opened).await,
        200
    );
    // SIGTERM drains the queue: everything below is final.
    hook.stop().await;

    let comments: Vec<String> = github
        .writes()
        .into_iter()
        .filter(|w| w.method == "POST" && w.path.ends_with("/issues/7/comments"))
        .map(|w| w.body.to_string())
        .collect();
    let image = format!("![cat image](https://127.0.0.1:{cat_port}/cat.jpg)");
    assert_eq!(comments.len(), 2, "{comments:?}");
    assert_eq!(
        comments.iter().filter(|c| c.contains(&image)).count(),
        1,
        "{comments:?}"
    );
    assert_eq!(
        comments
            .iter()
            .filter(|c| c.contains("Bad category. Please see"))
            .count(),
        1,
        "a 6 MB image is refused three times, then the bad-category answer: {comments:?}"
    );
    let mut cat_seen: Vec<String> = cat_requests
        .lock()
        .expect("lock")
        .iter()
        .map(|r| {
            format!(
                "{} {}",
                r.method,
                r.path.split('?').next().unwrap_or_default()
            )
        })
        .collect();
    cat_seen.sort();
    let mut expected = vec!["GET /v1/images/search"; 4];
    expected.extend(["HEAD /big.jpg"; 3]);
    expected.push("HEAD /cat.jpg");
    assert_eq!(cat_seen, expected);

    let mut forwarded = plugin_requests.lock().expect("lock").clone();
    assert_eq!(
        forwarded.len(),
        2,
        "only issue_comment is forwarded: {forwarded:?}"
    );
    forwarded.retain(|r| r.header("x-github-delivery") == Some("e2e-meow"));
    let forward = &forwarded[0];
    assert_eq!(
        (forward.method.as_str(), forward.path.as_str()),
        ("POST", "/hook")
    );
    assert_eq!(forward.body, meow, "the raw body, byte for byte");
    assert_eq!(forward.header("x-github-event"), Some("issue_comment"));
    assert_eq!(forward.header("x-github-delivery"), Some("e2e-meow"));
    assert_eq!(forward.header("user-agent"), Some("ProwHook"));
    let signature = forward
        .header("x-hub-signature-256")
        .expect("signature forwarded");
    assert!(prow_github::webhook::verify_signature(
        &[prow_github::Secret::new(SECRET)],
        &forward.body,
        signature
    ));
}
