//! The `fake-github` binary: prints its URL, serves a preloaded state, enforces `--token`,
//! and exits cleanly on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use serde_json::Value;

#[tokio::test]
async fn binary_serves_state_file_and_stops_on_sigterm() {
    // This test talks to a separate process: nothing in it has installed a TLS provider.
    prow_testkit::crypto::install_ring_provider();
    let state = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/testdata/fake-github/demo-state.json"
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_fake-github"))
        .args(["--port", "0", "--state", state, "--token", "t0ken"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn fake-github");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("read first line");
    assert!(line.contains("listening"), "{line}");
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://127.0.0.1:"))
        .expect("URL in the listening line")
        .to_string();

    let client = reqwest::Client::new();
    let repo = format!("{url}/repos/prow-rs-demo/hello");
    let anonymous = client.get(&repo).send().await.expect("get");
    assert_eq!(anonymous.status(), reqwest::StatusCode::UNAUTHORIZED);
    let body: Value = client
        .get(&repo)
        .bearer_auth("t0ken")
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(body["full_name"], "prow-rs-demo/hello");
    assert_eq!(body["default_branch"], "main");

    let pid = child.id().to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("run kill");
    assert!(killed.success());
    let status = child.wait().expect("wait for fake-github");
    assert!(
        status.success(),
        "fake-github exits 0 on SIGTERM: {status:?}"
    );
}
