//! Shared by deck's control-plane tests: a config file, ProwJobs created through the API
//! server (status through `/status`), and a deck serving them.

#![allow(dead_code)]

use std::path::Path;
use std::time::Duration;

use deck::app::{JobSource, Options, RunningDeck, serve};
use kube::api::{Api, Patch, PatchParams, PostParams};
use prow_api::{ProwJob, ProwJobSpec, ProwJobState, ProwJobType, Pull, Refs};
use prow_config::LoadOptions;

/// Installs ring as the rustls provider (reqwest is built without one in this workspace);
/// call first in every test.
pub fn init() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Writes `config.yaml` for `namespace` with `extra` YAML appended and returns load options.
pub fn write_config(dir: &Path, namespace: &str, extra: &str) -> LoadOptions {
    let path = dir.join("config.yaml");
    std::fs::write(&path, format!("prowjob_namespace: {namespace}\n{extra}"))
        .expect("write config");
    LoadOptions {
        config_path: path,
        job_config_path: None,
        plugin_config_path: None,
    }
}

/// A presubmit spec for `org/repo#pull` by `author` titled `title`.
pub fn presubmit(
    job: &str,
    org: &str,
    repo: &str,
    pull: u64,
    author: &str,
    title: &str,
) -> ProwJobSpec {
    let mut spec = ProwJobSpec::new(ProwJobType::Presubmit, job);
    spec.refs = Some(Refs {
        org: org.into(),
        repo: repo.into(),
        base_ref: "main".into(),
        base_sha: "0123456789abcdef".into(),
        pulls: vec![Pull {
            number: pull,
            author: author.into(),
            sha: format!("{pull:07}deadbeef"),
            title: title.into(),
            ..Pull::default()
        }],
        ..Refs::default()
    });
    spec
}

/// Creates the ProwJob `name` and writes its status (`state`, started `started_secs` after
/// 2026-01-01, completed a minute later when final).
pub async fn create_job(
    api: &Api<ProwJob>,
    name: &str,
    spec: ProwJobSpec,
    state: ProwJobState,
    started_secs: i64,
) -> ProwJob {
    let job = ProwJob::new(name, spec);
    api.create(&PostParams::default(), &job)
        .await
        .expect("create ProwJob");
    let start = jiff::Timestamp::from_second(1_767_225_600 + started_secs).expect("time");
    let mut status = serde_json::json!({
        "state": state.as_str(),
        "startTime": start.to_string(),
        "build_id": format!("{}", 1000 + started_secs),
        "pod_name": name,
        "description": format!("Job {name} is {}", state.as_str()),
    });
    if state.is_complete() {
        status["completionTime"] =
            serde_json::Value::String((start + jiff::SignedDuration::from_secs(61)).to_string());
    }
    api.patch_status(
        name,
        &PatchParams::default(),
        &Patch::Merge(serde_json::json!({ "status": status })),
    )
    .await
    .expect("patch ProwJob status")
}

/// Starts deck on the control plane with `config`.
pub async fn start_deck(client: kube::Client, config: LoadOptions) -> RunningDeck {
    let mut options = Options::local(JobSource::Kube {
        client,
        namespace: None,
    });
    options.config = Some(config);
    let deck = serve(options).await.expect("deck starts");
    assert!(
        deck.wait_ready(Duration::from_secs(30)).await,
        "deck gets ready"
    );
    deck
}

/// GETs `url`; returns status, headers and body.
pub async fn get(url: &str) -> (reqwest::StatusCode, reqwest::header::HeaderMap, String) {
    let response = reqwest::get(url).await.expect("GET");
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.text().await.expect("body");
    (status, headers, body)
}

/// Polls `/api/v1/jobs` until it lists `count` jobs (the watch is asynchronous).
pub async fn wait_for_count(deck: &RunningDeck, count: u64) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let (_, _, body) = get(&format!("{}/api/v1/jobs", deck.url())).await;
        let value: serde_json::Value = serde_json::from_str(&body).expect("json");
        if value["total"].as_u64() == Some(count) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "deck never listed {count} jobs: {body}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
