//! The README's local command, end to end: `prow-local up` brings up the control plane, the
//! fake GitHub, the demo repository and every component; `prow-local demo-pr` sends the
//! signed demo pull-request event; the presubmits run (cloning the demo repository),
//! their logs are archived and shown by deck, crier reports their statuses to GitHub; Ctrl-C
//! (SIGINT) stops everything and leaves no process behind.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};

/// The component binaries `prow-local up` starts (`cargo test --workspace` builds them;
/// missing ones are built here).
const COMPONENTS: &[&str] = &[
    "hook",
    "plank",
    "crier",
    "horologium",
    "sinker",
    "deck",
    "prow-utils",
];

fn bin_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_prow-local"))
        .parent()
        .expect("target dir")
        .to_path_buf()
}

fn build_components() {
    prow_testkit::workspace_binaries::ensure_built(&bin_dir(), COMPONENTS);
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// Processes whose command line mentions `needle`.
fn processes_mentioning(needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return found;
    };
    for entry in entries.flatten() {
        let pid = entry.file_name().to_string_lossy().into_owned();
        if !pid.chars().all(|c| c.is_ascii_digit()) || pid == std::process::id().to_string() {
            continue;
        }
        if let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) {
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            if cmdline.contains(needle) {
                found.push(format!("{pid}: {cmdline}"));
            }
        }
    }
    found
}

async fn get_json(http: &reqwest::Client, url: &str) -> Option<Value> {
    let response = http.get(url).send().await.ok()?;
    if !response.status().is_success() {
        return None;
    }
    response.json().await.ok()
}

#[tokio::test]
async fn local_up_runs_the_demo_pr_and_ctrl_c_stops_everything() {
    prow_testkit::crypto::install_ring_provider();
    build_components();
    let work = tempfile::tempdir().expect("tempdir");
    let (deck_port, hook_port) = (free_port(), free_port());
    let mut up = tokio::process::Command::new(env!("CARGO_BIN_EXE_prow-local"))
        .arg("up")
        .args(["--deck-port", &deck_port.to_string()])
        .args(["--hook-port", &hook_port.to_string()])
        .arg("--work-dir")
        .arg(work.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("prow-local up starts");
    let mut stdout = BufReader::new(up.stdout.take().expect("stdout")).lines();
    let mut printed = Vec::new();
    let ready = tokio::time::timeout(Duration::from_secs(600), async {
        while let Ok(Some(line)) = stdout.next_line().await {
            let done = line == "prow-local ready";
            printed.push(line);
            if done {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(
        ready.ok(),
        Some(true),
        "prow-local up printed: {printed:#?}"
    );
    let deck = format!("http://127.0.0.1:{deck_port}");
    assert!(
        printed.iter().any(|l| l.contains(&format!("{deck}/"))),
        "the deck URL is printed: {printed:#?}"
    );
    let demo_command = printed
        .iter()
        .find(|l| l.contains(" demo-pr --work-dir "))
        .expect("the demo command is printed");

    let sent = std::process::Command::new("sh")
        .args(["-c", demo_command])
        .output()
        .expect("demo-pr runs");
    assert!(
        sent.status.success(),
        "{}",
        String::from_utf8_lossy(&sent.stderr)
    );

    // The presubmits of the demo PR finish, as deck shows them.
    let http = reqwest::Client::new();
    let mut finished: Vec<(String, String, String)> = Vec::new();
    for _ in 0..600 {
        if let Some(list) = get_json(&http, &format!("{deck}/prowjobs.js")).await {
            let jobs: Vec<(String, String, String)> = list["items"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|j| j["spec"]["refs"]["pulls"][0]["number"] == 3)
                .map(|j| {
                    (
                        j["spec"]["job"].as_str().unwrap_or_default().to_string(),
                        j["status"]["state"]
                            .as_str()
                            .unwrap_or_default()
                            .to_string(),
                        j["metadata"]["name"]
                            .as_str()
                            .unwrap_or_default()
                            .to_string(),
                    )
                })
                .collect();
            let done = !jobs.is_empty()
                && jobs
                    .iter()
                    .all(|(_, state, _)| !matches!(state.as_str(), "" | "triggered" | "pending"));
            finished = jobs;
            if done && finished.len() >= 2 {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    finished.sort();
    let summary: Vec<(&str, &str)> = finished
        .iter()
        .map(|(job, state, _)| (job.as_str(), state.as_str()))
        .collect();
    assert_eq!(
        summary,
        [
            ("pull-hello-docs", "success"),
            ("pull-hello-unit", "success")
        ],
        "logs in {}",
        work.path().join("logs").display()
    );

    // The archived build log, through deck.
    let unit = &finished
        .iter()
        .find(|(job, _, _)| job == "pull-hello-unit")
        .expect("unit")
        .2;
    let log = http
        .get(format!("{deck}/job/{unit}/log"))
        .send()
        .await
        .expect("log")
        .text()
        .await
        .expect("log text");
    assert!(
        log.contains("running unit tests for prow-rs-demo/hello#3"),
        "{log}"
    );

    // crier reported both results to GitHub as commit statuses on the PR head.
    let github = printed
        .iter()
        .find_map(|l| l.trim().strip_prefix("fake GitHub:"))
        .expect("the fake GitHub URL is printed")
        .trim()
        .to_string();
    let demo: Value = serde_json::from_str(
        &std::fs::read_to_string(work.path().join("demo.json")).expect("demo.json"),
    )
    .expect("demo.json is JSON");
    let status_url = format!(
        "{github}/repos/prow-rs-demo/hello/commits/{}/status",
        demo["head_sha"].as_str().expect("head sha")
    );
    let mut contexts = Vec::new();
    for _ in 0..120 {
        let combined = http
            .get(&status_url)
            .header("authorization", "token local-token")
            .send()
            .await
            .expect("status request");
        let combined: Value = combined.json().await.unwrap_or_default();
        contexts = combined["statuses"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|s| {
                format!(
                    "{}={}",
                    s["context"].as_str().unwrap_or_default(),
                    s["state"].as_str().unwrap_or_default()
                )
            })
            .collect();
        contexts.sort();
        if contexts == ["pull-hello-docs=success", "pull-hello-unit=success"] {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert_eq!(
        contexts,
        ["pull-hello-docs=success", "pull-hello-unit=success"]
    );

    // SIGINT: everything stops, nothing stays behind.
    let pid = up.id().expect("pid");
    let interrupted = std::process::Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .expect("kill");
    assert!(interrupted.success());
    let status = tokio::time::timeout(Duration::from_secs(120), up.wait())
        .await
        .expect("prow-local exits after SIGINT")
        .expect("wait");
    assert!(status.success(), "{status:?}");
    let needle = work.path().display().to_string();
    let left = processes_mentioning(&needle);
    assert!(left.is_empty(), "processes left behind: {left:#?}");
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", deck_port)).is_err(),
        "deck's port is closed"
    );
}
