//! The prow-utils binary in each role, against real git repositories in a temporary
//! directory and a `file://` bucket.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use base64::Engine;
use serde_json::{Value, json};

const BINARY: &str = env!("CARGO_BIN_EXE_prow-utils");

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

/// An upstream repository: `main` with `base.txt`, pull 1 adding `feature.txt`, pull 2
/// rewriting `base.txt` (conflicts with a `main` change made after it branched).
struct Upstream {
    dir: PathBuf,
    base_sha: String,
    pull_sha: String,
    conflicting_sha: String,
}

fn upstream(root: &Path) -> Upstream {
    let dir = root.join("upstream");
    std::fs::create_dir_all(&dir).expect("mkdir");
    git(&dir, &["init", "-q", "-b", "main"]);
    std::fs::write(dir.join("base.txt"), "base\n").expect("write");
    git(&dir, &["add", "."]);
    git(&dir, &["commit", "-q", "-m", "base"]);
    let fork_point = git(&dir, &["rev-parse", "HEAD"]);
    git(&dir, &["checkout", "-q", "-b", "pr1"]);
    std::fs::write(dir.join("feature.txt"), "feature\n").expect("write");
    git(&dir, &["add", "."]);
    git(&dir, &["commit", "-q", "-m", "feature"]);
    let pull_sha = git(&dir, &["rev-parse", "HEAD"]);
    git(&dir, &["update-ref", "refs/pull/1/head", &pull_sha]);
    git(&dir, &["checkout", "-q", "-b", "pr2", &fork_point]);
    std::fs::write(dir.join("base.txt"), "pull two\n").expect("write");
    git(&dir, &["commit", "-q", "-am", "conflicting"]);
    let conflicting_sha = git(&dir, &["rev-parse", "HEAD"]);
    git(&dir, &["checkout", "-q", "main"]);
    std::fs::write(dir.join("base.txt"), "main moved on\n").expect("write");
    git(&dir, &["commit", "-q", "-am", "main change"]);
    let base_sha = git(&dir, &["rev-parse", "HEAD"]);
    Upstream {
        dir,
        base_sha,
        pull_sha,
        conflicting_sha,
    }
}

fn refs(upstream: &Upstream, pull_number: u64, pull_sha: &str) -> Value {
    json!({
        "org": "acme",
        "repo": "widgets",
        "base_ref": "main",
        "base_sha": upstream.base_sha,
        "pulls": [{"number": pull_number, "author": "dev", "sha": pull_sha}],
        "clone_uri": format!("file://{}", upstream.dir.display()),
        "skip_submodules": true,
    })
}

fn run_role(role: &str, env: &[(&str, String)]) -> Output {
    let mut command = Command::new(BINARY);
    command.arg(role);
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("prow-utils runs")
}

fn job_spec(refs: &Value) -> String {
    json!({"type": "presubmit", "job": "pull-widgets-test", "buildid": "1001", "prowjobid": "pj-1", "refs": refs})
        .to_string()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn clonerefs_merges_the_pull_and_initupload_records_it() {
    let root = tempfile::tempdir().expect("tempdir");
    let upstream = upstream(root.path());
    let refs = refs(&upstream, 1, &upstream.pull_sha);
    let log = root.path().join("clone.json");
    let src = root.path().join("go");
    let options = json!({
        "src_root": src, "log": log, "git_user_name": "ci-robot", "git_user_email": "ci-robot@k8s.io",
        "refs": [refs.clone()],
    });
    let output = run_role("clonerefs", &[("CLONEREFS_OPTIONS", options.to_string())]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let clone = src.join("src/github.com/acme/widgets");
    assert_eq!(read(&clone.join("feature.txt")), "feature\n");
    assert_eq!(read(&clone.join("base.txt")), "main moved on\n");
    let parents = git(&clone, &["rev-list", "--parents", "-n", "1", "HEAD"]);
    let parents: Vec<&str> = parents.split(' ').collect();
    assert_eq!(
        parents[1..],
        [upstream.base_sha.as_str(), upstream.pull_sha.as_str()]
    );
    assert_eq!(git(&clone, &["rev-parse", "--abbrev-ref", "HEAD"]), "main");

    let records: Value = serde_json::from_str(&read(&log)).expect("records");
    let head = git(&clone, &["rev-parse", "HEAD"]);
    assert_eq!(records[0]["final_sha"], head.as_str());
    assert!(records[0].get("failed").is_none());
    let commands: Vec<&str> = records[0]["commands"]
        .as_array()
        .expect("commands")
        .iter()
        .filter_map(|c| c["command"].as_str())
        .collect();
    assert!(
        commands
            .iter()
            .any(|c| c.ends_with(&format!("git merge --no-ff {}", upstream.pull_sha))),
        "{commands:?}"
    );

    // A second clone of the same refs gives the same merge commit (reproducible timestamps).
    let src2 = root.path().join("go2");
    let options2 = json!({"src_root": src2, "log": root.path().join("clone2.json"), "git_user_name": "ci-robot", "git_user_email": "ci-robot@k8s.io", "refs": [refs.clone()]});
    let output = run_role("clonerefs", &[("CLONEREFS_OPTIONS", options2.to_string())]);
    assert!(output.status.success());
    let head2 = git(
        &src2.join("src/github.com/acme/widgets"),
        &["rev-parse", "HEAD"],
    );
    assert_eq!(head, head2);

    let bucket = root.path().join("bucket");
    let init = json!({
        "bucket": format!("file://{}", bucket.display()), "path_strategy": "explicit",
        "dry_run": false, "log": log,
    });
    let output = run_role(
        "initupload",
        &[
            ("INITUPLOAD_OPTIONS", init.to_string()),
            ("JOB_SPEC", job_spec(&refs)),
        ],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let run_dir = bucket.join("pr-logs/pull/acme_widgets/1/pull-widgets-test/1001");
    let started: Value =
        serde_json::from_str(&read(&run_dir.join("started.json"))).expect("started");
    assert_eq!(started["repo-commit"], head.as_str());
    assert_eq!(started["pull"], "1");
    assert_eq!(
        started["repos"]["acme/widgets"],
        format!("main:{},1:{}", upstream.base_sha, upstream.pull_sha).as_str()
    );
    assert_eq!(read(&run_dir.join("clone-records.json")), read(&log));
    assert!(read(&run_dir.join("clone-log.txt")).starts_with("# Cloning acme/widgets at main("));
    assert!(!run_dir.join("finished.json").exists());
    assert_eq!(
        read(&bucket.join("pr-logs/directory/pull-widgets-test/latest-build.txt")),
        "1001"
    );
    assert_eq!(
        read(&bucket.join("pr-logs/pull/acme_widgets/1/pull-widgets-test/latest-build.txt")),
        "1001"
    );
    assert_eq!(
        read(&bucket.join("pr-logs/directory/pull-widgets-test/1001.txt")),
        format!(
            "file://{}/pr-logs/pull/acme_widgets/1/pull-widgets-test/1001",
            bucket.display()
        )
    );
}

#[test]
fn clone_failure_is_recorded_and_initupload_uploads_it() {
    let root = tempfile::tempdir().expect("tempdir");
    let upstream = upstream(root.path());
    let refs = refs(&upstream, 2, &upstream.conflicting_sha);
    let log = root.path().join("clone.json");
    let options = json!({"src_root": root.path().join("go"), "log": log, "refs": [refs.clone()]});
    let output = run_role("clonerefs", &[("CLONEREFS_OPTIONS", options.to_string())]);
    assert!(
        output.status.success(),
        "clonerefs leaves failing to initupload, as Prow's"
    );
    let records: Value = serde_json::from_str(&read(&log)).expect("records");
    assert_eq!(records[0]["failed"], true);
    let last = records[0]["commands"]
        .as_array()
        .and_then(|c| c.last())
        .expect("commands");
    assert!(
        last["command"]
            .as_str()
            .is_some_and(|c| c.contains("git merge --no-ff")),
        "{last}"
    );
    assert_eq!(last["error"], "exit status 1");

    let failing = json!({"src_root": root.path().join("go3"), "log": root.path().join("c3.json"), "fail": true, "refs": [refs.clone()]});
    let output = run_role("clonerefs", &[("CLONEREFS_OPTIONS", failing.to_string())]);
    assert!(!output.status.success(), "with fail: true clonerefs fails");

    let bucket = root.path().join("bucket");
    let init = json!({
        "bucket": format!("file://{}", bucket.display()), "path_strategy": "legacy",
        "default_org": "acme", "default_repo": "widgets", "dry_run": false, "log": log,
    });
    let output = run_role(
        "initupload",
        &[
            ("INITUPLOAD_OPTIONS", init.to_string()),
            ("JOB_SPEC", job_spec(&refs)),
        ],
    );
    assert!(
        !output.status.success(),
        "initupload fails the pod when cloning failed"
    );
    let run_dir = bucket.join("pr-logs/pull/2/pull-widgets-test/1001");
    let finished: Value =
        serde_json::from_str(&read(&run_dir.join("finished.json"))).expect("finished");
    assert_eq!(finished["result"], "FAILURE");
    assert_eq!(finished["passed"], false);
    let build_log = read(&run_dir.join("build-log.txt"));
    assert!(
        build_log.starts_with("# FAILED\n# Cloning acme/widgets at main"),
        "{build_log}"
    );
    assert!(build_log.contains("CONFLICT"), "{build_log}");
    assert!(run_dir.join("started.json").exists());
}

fn entrypoint_options(dir: &Path, args: &[&str], timeout: &str, grace: &str) -> String {
    json!({
        "timeout": timeout, "grace_period": grace,
        "artifact_dir": dir.join("artifacts"),
        "args": args,
        "process_log": dir.join("process-log.txt"),
        "marker_file": dir.join("marker-file.txt"),
        "metadata_file": dir.join("artifacts/metadata.json"),
    })
    .to_string()
}

#[test]
fn entrypoint_records_exit_codes_and_output() {
    let cases: [(&str, &[&str], i32, &str); 3] = [
        (
            "success",
            &["sh", "-c", "echo out; echo err >&2"],
            0,
            "out\nerr\n",
        ),
        (
            "failure",
            &["sh", "-c", "echo failing; exit 3"],
            3,
            "failing\n",
        ),
        ("killed by signal", &["sh", "-c", "kill -9 $$"], -1, ""),
    ];
    for (name, args, code, log) in cases {
        let dir = tempfile::tempdir().expect("tempdir");
        let output = run_role(
            "entrypoint",
            &[(
                "ENTRYPOINT_OPTIONS",
                entrypoint_options(dir.path(), args, "1m", "5s"),
            )],
        );
        assert_eq!(output.status.code(), Some(code & 0xff), "{name}");
        assert_eq!(
            read(&dir.path().join("marker-file.txt")),
            code.to_string(),
            "{name}"
        );
        assert_eq!(read(&dir.path().join("process-log.txt")), log, "{name}");
        assert_eq!(
            String::from_utf8_lossy(&output.stdout),
            log,
            "{name}: output is teed to stdout"
        );
        assert!(dir.path().join("artifacts").is_dir(), "{name}");
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let output = run_role(
        "entrypoint",
        &[(
            "ENTRYPOINT_OPTIONS",
            entrypoint_options(dir.path(), &["/does/not/exist"], "1m", "5s"),
        )],
    );
    assert_eq!(output.status.code(), Some(127));
    assert_eq!(read(&dir.path().join("marker-file.txt")), "127");
    assert!(read(&dir.path().join("process-log.txt")).starts_with("could not start the process"));
}

#[test]
fn entrypoint_timeout_interrupts_then_kills_the_process_group() {
    let dir = tempfile::tempdir().expect("tempdir");
    // The shell and its child both ignore SIGINT, so only SIGKILL after the grace period
    // ends them; the child writes a file if it ever survives.
    let survivor = dir.path().join("survived");
    let script = format!(
        "trap '' INT; (trap '' INT; sleep 5; touch {}) & echo started; wait",
        survivor.display()
    );
    let output = run_role(
        "entrypoint",
        &[(
            "ENTRYPOINT_OPTIONS",
            entrypoint_options(dir.path(), &["sh", "-c", &script], "1s", "1s"),
        )],
    );
    // prow-rs reports a timeout as aborted (130); Prow writes 127.
    assert_eq!(output.status.code(), Some(130));
    assert_eq!(read(&dir.path().join("marker-file.txt")), "130");
    let log = read(&dir.path().join("process-log.txt"));
    assert!(log.starts_with("started\n"), "{log}");
    assert!(
        log.contains("Process did not finish before 1s timeout"),
        "{log}"
    );
    assert!(
        log.contains("Process did not exit before 1s grace period"),
        "{log}"
    );
    std::thread::sleep(std::time::Duration::from_secs(6));
    assert!(!survivor.exists(), "the whole process group was killed");

    // A process that exits on SIGINT ends within the grace period.
    let dir = tempfile::tempdir().expect("tempdir");
    let output = run_role(
        "entrypoint",
        &[(
            "ENTRYPOINT_OPTIONS",
            entrypoint_options(
                dir.path(),
                &[
                    "sh",
                    "-c",
                    "trap 'echo got INT; exit 0' INT; while :; do sleep 0.1; done",
                ],
                "1s",
                "30s",
            ),
        )],
    );
    assert_eq!(
        output.status.code(),
        Some(130),
        "a timeout is an abort even if the process exits 0"
    );
    let log = read(&dir.path().join("process-log.txt"));
    assert!(log.contains("got INT"), "{log}");
    assert!(
        log.contains("Process gracefully exited before 30s grace period"),
        "{log}"
    );
}

#[test]
fn entrypoint_previous_marker_and_always_zero() {
    let dir = tempfile::tempdir().expect("tempdir");
    let previous = dir.path().join("previous-marker.txt");
    std::fs::write(&previous, "2").expect("write");
    let ran = dir.path().join("ran");
    let ran_arg = ran.display().to_string();
    let mut options: Value = serde_json::from_str(&entrypoint_options(
        dir.path(),
        &["touch", &ran_arg],
        "1m",
        "1s",
    ))
    .expect("json");
    options["previous_marker"] = json!(previous);
    options["always_zero"] = json!(true);
    let output = run_role("entrypoint", &[("ENTRYPOINT_OPTIONS", options.to_string())]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(read(&dir.path().join("marker-file.txt")), "1130");
    assert!(
        !ran.exists(),
        "the command is skipped after a failed previous step"
    );
}

#[test]
fn entrypoint_copy_mode_copies_the_binary() {
    let dir = tempfile::tempdir().expect("tempdir");
    let destination = dir.path().join("tools/entrypoint");
    let output = Command::new(BINARY)
        .args([
            "entrypoint",
            "--copy-mode-only",
            &format!("--copy-destination={}", destination.display()),
        ])
        .output()
        .expect("runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // The copy dispatches on its own name.
    let copied = Command::new(&destination)
        .env(
            "ENTRYPOINT_OPTIONS",
            entrypoint_options(dir.path(), &["true"], "1m", "1s"),
        )
        .output()
        .expect("copy runs");
    assert!(copied.status.success());
    assert_eq!(read(&dir.path().join("marker-file.txt")), "0");
}

#[test]
fn sidecar_uploads_censored_logs_artifacts_and_result() {
    let root = tempfile::tempdir().expect("tempdir");
    let logs = root.path().join("logs");
    let artifacts = logs.join("artifacts");
    std::fs::create_dir_all(artifacts.join("keep")).expect("mkdir");
    let secrets = root.path().join("secrets");
    std::fs::create_dir_all(&secrets).expect("mkdir");
    let secret = "sup3r-s3cret-value";
    std::fs::write(secrets.join("token"), format!("{secret}\n")).expect("write");
    let encoded = base64::engine::general_purpose::STANDARD.encode(secret);
    std::fs::write(
        logs.join("process-log.txt"),
        format!("start\nthe token is {secret} and base64 {encoded}\nend\n"),
    )
    .expect("write");
    std::fs::write(artifacts.join("junit.xml"), format!("<x>{secret}</x>")).expect("write");
    std::fs::write(artifacts.join("keep/raw.txt"), secret).expect("write");
    std::fs::write(
        artifacts.join("metadata.json"),
        r#"{"job-version":"v1.2.3"}"#,
    )
    .expect("write");
    std::fs::write(logs.join("marker-file.txt"), "0").expect("write");

    let bucket = root.path().join("bucket");
    let options = json!({
        "gcs_options": {
            "items": [artifacts], "bucket": format!("file://{}", bucket.display()),
            "path_strategy": "explicit", "dry_run": false,
        },
        "entries": [{
            "args": ["make", "test"], "container_name": "test",
            "process_log": logs.join("process-log.txt"), "marker_file": logs.join("marker-file.txt"),
            "metadata_file": artifacts.join("metadata.json"),
        }],
        "censoring_options": {"secret_directories": [secrets], "exclude_directories": ["keep/**"]},
    });
    let spec =
        json!({"type": "periodic", "job": "ci-widgets", "buildid": "77", "prowjobid": "pj-77"});
    let output = run_role(
        "sidecar",
        &[
            ("SIDECAR_OPTIONS", options.to_string()),
            ("JOB_SPEC", spec.to_string()),
        ],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let run_dir = bucket.join("logs/ci-widgets/77");
    let build_log = read(&run_dir.join("build-log.txt"));
    assert!(!build_log.contains(secret), "{build_log}");
    assert!(!build_log.contains(&encoded), "{build_log}");
    assert_eq!(
        build_log,
        format!(
            "start\nthe token is {} and base64 {}\nend\n",
            "*".repeat(secret.len()),
            "*".repeat(encoded.len())
        )
    );
    assert_eq!(
        read(&run_dir.join("artifacts/junit.xml")),
        format!("<x>{}</x>", "*".repeat(secret.len()))
    );
    assert_eq!(
        read(&run_dir.join("artifacts/keep/raw.txt")),
        secret,
        "excluded from censoring"
    );
    let finished: Value =
        serde_json::from_str(&read(&run_dir.join("finished.json"))).expect("finished");
    assert_eq!(finished["result"], "SUCCESS");
    assert_eq!(finished["passed"], true);
    assert_eq!(finished["metadata"]["job-version"], "v1.2.3");
    assert_eq!(read(&bucket.join("logs/ci-widgets/latest-build.txt")), "77");
    assert!(
        read(&logs.join("process-log.txt")).contains(secret),
        "files on disk are left alone"
    );
}

#[test]
fn sidecar_waits_for_the_marker_and_reports_aborted() {
    let root = tempfile::tempdir().expect("tempdir");
    std::fs::write(root.path().join("process-log.txt"), "interrupted\n").expect("write");
    let bucket = root.path().join("bucket");
    let options = json!({
        "gcs_options": {"bucket": format!("file://{}", bucket.display()), "path_strategy": "explicit", "dry_run": false},
        "entries": [{"args": ["x"], "process_log": root.path().join("process-log.txt"),
                     "marker_file": root.path().join("marker-file.txt"), "metadata_file": ""}],
    });
    let spec = json!({"type": "periodic", "job": "ci-abort", "buildid": "5", "prowjobid": "pj"});
    let mut child = Command::new(BINARY)
        .arg("sidecar")
        .env("SIDECAR_OPTIONS", options.to_string())
        .env("JOB_SPEC", spec.to_string())
        .spawn()
        .expect("spawn");
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(
        child.try_wait().expect("poll").is_none(),
        "sidecar waits for the marker"
    );
    std::fs::write(root.path().join("marker-file.txt"), "130").expect("write");
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(1));
    let finished: Value =
        serde_json::from_str(&read(&bucket.join("logs/ci-abort/5/finished.json")))
            .expect("finished");
    assert_eq!(finished["result"], "ABORTED");
    assert_eq!(finished["passed"], false);
}
