//! Decorated jobs end to end: a ProwJob's Pod, decorated by `prow_utils::decorate`, runs on
//! the real local control plane and the node agent (containers as local processes running
//! the `prow-utils` binary in each role), clones a real git repository served by
//! `git daemon` on 127.0.0.1, and uploads to a `file://` bucket or to an S3 API server
//! (gofakes3, built by `hack/build-tools.sh gcs`) at Prow's paths.

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use prow_api::k8s_openapi::api::core::v1::{Pod, Secret};
use prow_api::k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use prow_api::kube::Api;
use prow_api::kube::api::PostParams;
use prow_api::{ProwJob, ProwJobSpec, ProwJobState, ProwJobStatus, ProwJobType};
use prow_testkit::control_plane::ControlPlane;
use prow_utils::decorate::{DecorationOptions, prowjob_to_pod};
use serde_json::{Value, json};

const PROW_UTILS: &str = env!("CARGO_BIN_EXE_prow-utils");
const JOB: &str = "pull-widgets-unit";
const STORAGE_TOOLS_DIR_ENV: &str = "PROW_RS_GCS_TOOLS_DIR";

/// The shared control plane; first installs the rustls crypto provider (this crate's reqwest
/// is built without one, and the feature is unified into the test harness's clients).
async fn control_plane() -> &'static ControlPlane {
    let _ = rustls::crypto::ring::default_provider().install_default();
    ControlPlane::shared().await
}

fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "dev")
        .env("GIT_AUTHOR_EMAIL", "dev@example.com")
        .env("GIT_COMMITTER_NAME", "dev")
        .env("GIT_COMMITTER_EMAIL", "dev@example.com")
        .output()
        .expect("git runs");
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("free port")
        .port()
}

/// A child process killed when dropped.
struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn wait_for_port(port: u16) {
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("nothing listens on 127.0.0.1:{port}");
}

/// `widgets.git` served by `git daemon` on 127.0.0.1: `main` with `base.txt` (changed after
/// the PR branched) and pull request 1 (`refs/pull/1/head`) adding `feature.txt`.
struct GitServer {
    _daemon: Server,
    clone_uri: String,
    base_sha: String,
    pull_sha: String,
}

async fn git_server(root: &Path) -> GitServer {
    let work = root.join("work");
    std::fs::create_dir_all(&work).expect("mkdir");
    git(&work, &["init", "-q", "-b", "main"]);
    std::fs::write(work.join("base.txt"), "base\n").expect("write");
    git(&work, &["add", "."]);
    git(&work, &["commit", "-q", "-m", "base"]);
    git(&work, &["checkout", "-q", "-b", "feature"]);
    std::fs::write(work.join("feature.txt"), "feature\n").expect("write");
    git(&work, &["add", "."]);
    git(&work, &["commit", "-q", "-m", "feature"]);
    let pull_sha = git(&work, &["rev-parse", "HEAD"]);
    git(&work, &["checkout", "-q", "main"]);
    std::fs::write(work.join("base.txt"), "main moved on\n").expect("write");
    git(&work, &["commit", "-q", "-am", "main change"]);
    let base_sha = git(&work, &["rev-parse", "HEAD"]);
    let served = root.join("served");
    std::fs::create_dir_all(&served).expect("mkdir");
    git(
        &served,
        &[
            "clone",
            "-q",
            "--bare",
            &work.display().to_string(),
            "widgets.git",
        ],
    );
    git(
        &served.join("widgets.git"),
        &["update-ref", "refs/pull/1/head", &pull_sha],
    );
    let port = free_port();
    let daemon = Command::new("git")
        .args([
            "daemon",
            "--export-all",
            "--reuseaddr",
            "--listen=127.0.0.1",
            &format!("--port={port}"),
            &format!("--base-path={}", served.display()),
        ])
        .spawn()
        .expect("git daemon starts");
    let daemon = Server(daemon);
    wait_for_port(port).await;
    GitServer {
        _daemon: daemon,
        clone_uri: format!("git://127.0.0.1:{port}/widgets.git"),
        base_sha,
        pull_sha,
    }
}

/// An S3 API server (gofakes3, built by `hack/build-tools.sh gcs`) on 127.0.0.1 with an
/// empty bucket `prow-logs`. (fake-gcs-server, the GCS emulator, lacks the XML API that
/// object_store's GCS client uploads with; see `hack/tools/gcs/go.mod`.)
struct S3Server {
    _server: Server,
    address: String,
}

async fn object_storage_tools_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os(STORAGE_TOOLS_DIR_ENV) {
        return PathBuf::from(dir);
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../hack/build-tools.sh");
    let output = tokio::process::Command::new("bash")
        .arg(&script)
        .arg("gcs")
        .stderr(std::process::Stdio::inherit())
        .output()
        .await
        .expect("hack/build-tools.sh runs");
    assert!(
        output.status.success(),
        "hack/build-tools.sh gcs failed; set {STORAGE_TOOLS_DIR_ENV} to a directory with gofakes3"
    );
    PathBuf::from(String::from_utf8_lossy(&output.stdout).trim())
}

async fn s3_server() -> S3Server {
    let port = free_port();
    let address = format!("127.0.0.1:{port}");
    let server = Command::new(object_storage_tools_dir().await.join("gofakes3"))
        .args([
            "-backend",
            "memory",
            "-host",
            &address,
            "-initialbucket",
            "prow-logs",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("gofakes3 starts");
    let server = Server(server);
    wait_for_port(port).await;
    S3Server {
        _server: server,
        address,
    }
}

/// A decorated presubmit of pull request 1 with `script` as its test.
fn presubmit(name: &str, git: &GitServer, bucket: &str, script: &str) -> ProwJob {
    let mut spec = ProwJobSpec::new(ProwJobType::Presubmit, JOB);
    spec.context = JOB.to_owned();
    spec.refs = Some(
        serde_json::from_value(json!({
            "org": "acme",
            "repo": "widgets",
            "base_ref": "main",
            "base_sha": git.base_sha,
            "pulls": [{"number": 1, "author": "dev", "sha": git.pull_sha, "title": "Add a feature"}],
            "clone_uri": git.clone_uri,
        }))
        .expect("refs"),
    );
    spec.decoration_config = Some(
        serde_json::from_value(json!({
            "timeout": "2m",
            "grace_period": "3s",
            "utility_images": {
                "clonerefs": "prow-rs/prow-utils", "initupload": "prow-rs/prow-utils",
                "entrypoint": "prow-rs/prow-utils", "sidecar": "prow-rs/prow-utils",
            },
            "gcs_configuration": {"bucket": bucket, "path_strategy": "explicit"},
        }))
        .expect("decoration config"),
    );
    spec.pod_spec = Some(
        serde_json::from_value(json!({
            "containers": [{"image": "alpine:3", "command": ["bash", "-c", script]}],
        }))
        .expect("pod spec"),
    );
    let mut job = ProwJob::new(name, spec);
    job.status = Some(ProwJobStatus {
        build_id: "1900000000000000042".to_owned(),
        ..ProwJobStatus::new(ProwJobState::Pending)
    });
    job
}

fn decorate(job: &ProwJob) -> Pod {
    prowjob_to_pod(
        job,
        &DecorationOptions {
            utility_program: Some(PROW_UTILS.to_owned()),
            ..DecorationOptions::default()
        },
    )
    .expect("decorates")
}

/// Runs the Pod to completion; returns its phase and the Pod.
async fn run_pod(namespace: &str, pod: &Pod) -> (String, Pod) {
    let client = control_plane().await.client();
    let pods: Api<Pod> = Api::namespaced(client, namespace);
    pods.create(&PostParams::default(), pod)
        .await
        .expect("pod created");
    let name = pod.metadata.name.clone().expect("pod name");
    for _ in 0..1200 {
        let current = pods.get(&name).await.expect("pod");
        let phase = current
            .status
            .as_ref()
            .and_then(|status| status.phase.clone())
            .unwrap_or_default();
        if phase == "Succeeded" || phase == "Failed" {
            return (phase, current);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("pod {name} did not finish in 120 s");
}

/// The logs of the Pod's utility containers, for failure messages.
async fn utility_logs(namespace: &str, pod: &str) -> String {
    let pods: Api<Pod> = Api::namespaced(control_plane().await.client(), namespace);
    let mut out = String::new();
    for container in ["clonerefs", "initupload", "place-entrypoint", "sidecar"] {
        let params = prow_api::kube::api::LogParams {
            container: Some(container.to_owned()),
            ..Default::default()
        };
        let log = pods
            .logs(pod, &params)
            .await
            .unwrap_or_else(|e| e.to_string());
        out.push_str(&format!("--- {container}:\n{log}\n"));
    }
    out
}

/// The run's directory: `pr-logs/pull/acme_widgets/1/<job>/<build>`.
const RUN_DIR: &str = "pr-logs/pull/acme_widgets/1/pull-widgets-unit/1900000000000000042";

fn read_store(store: &Path, path: &str) -> String {
    std::fs::read_to_string(store.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn json_of(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// The test checks the merge (the PR's file and main's later change are both there), prints
/// to its log and writes an artifact.
const MERGE_CHECKING_TEST: &str = r#"set -e
test "$(cat feature.txt)" = feature
test "$(cat base.txt)" = "main moved on"
echo "hello from $JOB_NAME, pull $PULL_NUMBER"
env | grep -o '^PROW_TESTKIT_MOUNT_[A-Z_]*' | sort | sed 's/^/mount: /'
mkdir -p "$ARTIFACTS/junit"
echo '<testsuite tests="1"/>' > "$ARTIFACTS/junit/junit_01.xml"
"#;

#[tokio::test]
async fn decorated_presubmit_clones_runs_and_uploads_to_a_file_bucket() {
    let control_plane = control_plane().await;
    let namespace = control_plane.test_namespace("decorated-file").await;
    let root = tempfile::tempdir().expect("tempdir");
    let git = git_server(root.path()).await;
    let store = root.path().join("store");
    let bucket = format!("file://{}", store.display());

    let job = presubmit("decorated-file", &git, &bucket, MERGE_CHECKING_TEST);
    let (phase, pod) = run_pod(namespace.name(), &decorate(&job)).await;

    let log = read_store(&store, &format!("{RUN_DIR}/build-log.txt"));
    assert_eq!(
        phase, "Succeeded",
        "build log:\n{log}\npod: {:?}",
        pod.status
    );
    assert!(
        log.contains("hello from pull-widgets-unit, pull 1"),
        "{log}"
    );
    let started = json_of(&read_store(&store, &format!("{RUN_DIR}/started.json")));
    assert!(started["timestamp"].as_i64().unwrap_or(0) > 0, "{started}");
    assert_eq!(started["pull"], "1", "{started}");
    let finished = json_of(&read_store(&store, &format!("{RUN_DIR}/finished.json")));
    assert_eq!(finished["result"], "SUCCESS", "{finished}");
    assert_eq!(finished["passed"], true, "{finished}");
    assert_eq!(
        read_store(&store, &format!("{RUN_DIR}/artifacts/junit/junit_01.xml")),
        "<testsuite tests=\"1\"/>\n"
    );
    let records = json_of(&read_store(
        &store,
        &format!("{RUN_DIR}/clone-records.json"),
    ));
    // `failed` is omitted when false, as Prow writes it.
    assert_eq!(records[0]["failed"].as_bool(), None, "{records}");
    assert_eq!(
        records[0]["final_sha"].as_str().map(str::len),
        Some(40),
        "the merge commit is recorded: {records}"
    );
    assert_eq!(
        read_store(
            &store,
            "pr-logs/directory/pull-widgets-unit/1900000000000000042.txt"
        ),
        format!("{bucket}/{RUN_DIR}"),
        "the alias file names the run directory"
    );
    assert_eq!(
        read_store(
            &store,
            "pr-logs/pull/acme_widgets/1/pull-widgets-unit/latest-build.txt"
        ),
        "1900000000000000042"
    );
}

#[tokio::test]
async fn decorated_presubmit_uploads_to_an_s3_api_server() {
    let control_plane = control_plane().await;
    let namespace = control_plane.test_namespace("decorated-s3").await;
    let root = tempfile::tempdir().expect("tempdir");
    let git = git_server(root.path()).await;
    let s3 = s3_server().await;

    // The upload credentials (Prow's S3 credentials file), a secret only the utility
    // containers mount.
    let secrets: Api<Secret> = Api::namespaced(control_plane.client(), namespace.name());
    let credentials = json!({
        "region": "us-east-1", "endpoint": s3.address, "insecure": true,
        "s3_force_path_style": true, "access_key": "prow", "secret_key": "prow-secret",
    });
    let secret = Secret {
        metadata: ObjectMeta {
            name: Some("s3-upload".to_owned()),
            ..ObjectMeta::default()
        },
        string_data: Some(BTreeMap::from([(
            "service-account.json".to_owned(),
            credentials.to_string(),
        )])),
        ..Secret::default()
    };
    secrets
        .create(&PostParams::default(), &secret)
        .await
        .expect("secret created");

    let mut job = presubmit("decorated-s3", &git, "s3://prow-logs", MERGE_CHECKING_TEST);
    if let Some(config) = job.spec.decoration_config.as_mut() {
        config.s3_credentials_secret = Some("s3-upload".to_owned());
    }
    let (phase, _pod) = run_pod(namespace.name(), &decorate(&job)).await;

    let http = reqwest::Client::new();
    let object = |path: String| {
        let http = http.clone();
        let url = format!("http://{}/prow-logs/{path}", s3.address);
        async move {
            let response = http.get(&url).send().await.expect("GET object");
            assert!(
                response.status().is_success(),
                "{url}: {}",
                response.status()
            );
            response.text().await.expect("object body")
        }
    };
    let listing = http
        .get(format!("http://{}/prow-logs?list-type=2", s3.address))
        .send()
        .await
        .expect("list objects")
        .text()
        .await
        .expect("listing");
    assert_eq!(
        phase,
        "Succeeded",
        "objects: {listing}\n{}",
        utility_logs(namespace.name(), "decorated-s3").await
    );
    let log = object(format!("{RUN_DIR}/build-log.txt")).await;
    assert!(
        log.contains("hello from pull-widgets-unit, pull 1"),
        "{log}"
    );
    assert!(log.contains("mount: PROW_TESTKIT_MOUNT_LOGS"), "{log}");
    assert!(
        !log.contains("S3_CREDENTIALS"),
        "the test container must not mount the upload credentials:\n{log}"
    );
    let finished = json_of(&object(format!("{RUN_DIR}/finished.json")).await);
    assert_eq!(finished["result"], "SUCCESS", "{finished}");
    let started = json_of(&object(format!("{RUN_DIR}/started.json")).await);
    assert_eq!(started["pull"], "1", "{started}");
    assert_eq!(
        object(format!("{RUN_DIR}/artifacts/junit/junit_01.xml")).await,
        "<testsuite tests=\"1\"/>\n"
    );
    assert_eq!(
        object("pr-logs/directory/pull-widgets-unit/1900000000000000042.txt".to_owned()).await,
        format!("s3://prow-logs/{RUN_DIR}")
    );
}

#[tokio::test]
async fn failing_test_reports_failure_and_its_printed_secret_is_censored() {
    let control_plane = control_plane().await;
    let namespace = control_plane.test_namespace("decorated-censor").await;
    let root = tempfile::tempdir().expect("tempdir");
    let git = git_server(root.path()).await;
    let store = root.path().join("store");
    let bucket = format!("file://{}", store.display());

    let secret_value = "s3cr3t-t0ken-5a7d9e";
    let secrets: Api<Secret> = Api::namespaced(control_plane.client(), namespace.name());
    let secret = Secret {
        metadata: ObjectMeta {
            name: Some("registry-token".to_owned()),
            ..ObjectMeta::default()
        },
        string_data: Some(BTreeMap::from([(
            "token".to_owned(),
            secret_value.to_owned(),
        )])),
        ..Secret::default()
    };
    secrets
        .create(&PostParams::default(), &secret)
        .await
        .expect("secret created");

    let script = r#"echo "token is $(cat /etc/registry/token)"
echo "the token again: $(cat /etc/registry/token)" > "$ARTIFACTS/leak.txt"
echo "about to fail"
exit 3
"#;
    let mut job = presubmit("decorated-censor", &git, &bucket, script);
    if let Some(config) = job.spec.decoration_config.as_mut() {
        config.censor_secrets = Some(true);
    }
    if let Some(pod_spec) = job.spec.pod_spec.as_mut() {
        *pod_spec = serde_json::from_value(json!({
            "volumes": [{"name": "registry-token", "secret": {"secretName": "registry-token"}}],
            "containers": [{
                "image": "alpine:3",
                "command": ["bash", "-c", script],
                "volumeMounts": [{"name": "registry-token", "mountPath": "/etc/registry", "readOnly": true}],
            }],
        }))
        .expect("pod spec");
    }
    let (phase, _pod) = run_pod(namespace.name(), &decorate(&job)).await;

    let log = read_store(&store, &format!("{RUN_DIR}/build-log.txt"));
    assert_eq!(phase, "Failed", "build log:\n{log}");
    assert!(log.contains("about to fail"), "{log}");
    assert!(log.contains("token is "), "{log}");
    assert!(
        !log.contains(secret_value),
        "the secret must be censored in the uploaded log:\n{log}"
    );
    let leak = read_store(&store, &format!("{RUN_DIR}/artifacts/leak.txt"));
    assert!(!leak.contains(secret_value), "censored artifact: {leak}");
    let finished = json_of(&read_store(&store, &format!("{RUN_DIR}/finished.json")));
    assert_eq!(finished["result"], "FAILURE", "{finished}");
    assert_eq!(finished["passed"], false, "{finished}");
}

#[tokio::test]
async fn job_over_its_timeout_is_interrupted_then_killed_and_aborted() {
    let control_plane = control_plane().await;
    let namespace = control_plane.test_namespace("decorated-timeout").await;
    let root = tempfile::tempdir().expect("tempdir");
    let git = git_server(root.path()).await;
    let store = root.path().join("store");
    let bucket = format!("file://{}", store.display());

    // Ignores SIGINT, so only the SIGKILL after the grace period ends it.
    let script = r#"trap 'echo "interrupted, carrying on"' INT
echo started
while true; do sleep 0.1; done
"#;
    let mut job = presubmit("decorated-timeout", &git, &bucket, script);
    if let Some(config) = job.spec.decoration_config.as_mut() {
        config.timeout = Some(prow_api::GoDuration::from_secs(2));
        config.grace_period = Some(prow_api::GoDuration::from_secs(2));
    }
    let (phase, _pod) = run_pod(namespace.name(), &decorate(&job)).await;

    let log = read_store(&store, &format!("{RUN_DIR}/build-log.txt"));
    assert_eq!(phase, "Failed", "build log:\n{log}");
    assert!(log.contains("started"), "{log}");
    assert!(
        log.contains("interrupted, carrying on"),
        "the test gets SIGINT at the timeout:\n{log}"
    );
    assert!(
        log.contains("Process did not finish before 2s timeout"),
        "{log}"
    );
    // A job stopped at its timeout is ABORTED (Prow's entrypoint says FAILURE, exit 127).
    let finished = json_of(&read_store(&store, &format!("{RUN_DIR}/finished.json")));
    assert_eq!(finished["result"], "ABORTED", "{finished}");
    assert_eq!(finished["passed"], false, "{finished}");
}

#[tokio::test]
async fn job_whose_pod_is_deleted_is_interrupted_and_aborted() {
    let control_plane = control_plane().await;
    let namespace = control_plane.test_namespace("decorated-abort").await;
    let root = tempfile::tempdir().expect("tempdir");
    let git = git_server(root.path()).await;
    let store = root.path().join("store");
    let bucket = format!("file://{}", store.display());

    let script = "echo started; exec sleep 600";
    let mut job = presubmit("decorated-abort", &git, &bucket, script);
    if let Some(config) = job.spec.decoration_config.as_mut() {
        // The sidecar waits for the test's marker instead of uploading at once.
        config.upload_ignores_interrupts = Some(true);
    }
    let pods: Api<Pod> = Api::namespaced(control_plane.client(), namespace.name());
    pods.create(&PostParams::default(), &decorate(&job))
        .await
        .expect("pod created");
    let process_log_seen = async {
        for _ in 0..1200 {
            let pod = pods.get("decorated-abort").await.expect("pod");
            let test_running = pod
                .status
                .and_then(|status| status.container_statuses)
                .into_iter()
                .flatten()
                .any(|status| {
                    status.name == "test" && status.state.and_then(|state| state.running).is_some()
                });
            if test_running {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        false
    };
    assert!(process_log_seen.await, "the test container never ran");
    tokio::time::sleep(Duration::from_millis(500)).await;
    pods.delete("decorated-abort", &Default::default())
        .await
        .expect("pod deleted");

    let finished_path = store.join(format!("{RUN_DIR}/finished.json"));
    for _ in 0..600 {
        if finished_path.exists() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let finished = json_of(&read_store(&store, &format!("{RUN_DIR}/finished.json")));
    assert_eq!(finished["result"], "ABORTED", "{finished}");
    assert_eq!(finished["passed"], false, "{finished}");
    let log = read_store(&store, &format!("{RUN_DIR}/build-log.txt"));
    assert!(log.contains("started"), "{log}");
}

#[tokio::test]
async fn clone_failure_is_uploaded_and_the_job_fails() {
    let control_plane = control_plane().await;
    let namespace = control_plane.test_namespace("decorated-clone-fail").await;
    let root = tempfile::tempdir().expect("tempdir");
    let mut git = git_server(root.path()).await;
    let store = root.path().join("store");
    let bucket = format!("file://{}", store.display());

    // The pull request's head is a commit the server does not have.
    git.pull_sha = "0123456789abcdef0123456789abcdef01234567".to_owned();
    let job = presubmit(
        "decorated-clone-fail",
        &git,
        &bucket,
        "echo the test must not run; exit 0",
    );
    let (phase, pod) = run_pod(namespace.name(), &decorate(&job)).await;

    assert_eq!(phase, "Failed", "pod: {:?}", pod.status);
    let records = json_of(&read_store(
        &store,
        &format!("{RUN_DIR}/clone-records.json"),
    ));
    assert_eq!(records[0]["failed"], true, "{records}");
    let finished = json_of(&read_store(&store, &format!("{RUN_DIR}/finished.json")));
    assert_eq!(finished["result"], "FAILURE", "{finished}");
    let log = read_store(&store, &format!("{RUN_DIR}/build-log.txt"));
    assert!(!log.contains("the test must not run"), "{log}");
    assert!(
        log.contains("0123456789abcdef0123456789abcdef01234567"),
        "the build log shows the failed clone:\n{log}"
    );
}
