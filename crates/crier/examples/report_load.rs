//! Load measurement: the `crier` binary reporting N ProwJobs (default 1,000;
//! `REPORT_LOAD_PROWJOBS`) through triggered → pending → finished, against a real local
//! control plane (prow-testkit's etcd + kube-apiserver) and the fake GitHub server.
//!
//! ```text
//! cargo build --release -p crier --bins --examples
//! cargo run --release -p crier --example report_load
//! REPORT_LOAD_PROWJOBS=300 REPORT_LOAD_KUBE_QPS=100 cargo run --release -p crier --example report_load
//! ```
//!
//! Half the jobs are presubmits of PR #1 of the demo repository (one context each, 5% of
//! them fail, so the summary comment is edited under the per-PR lock), half are
//! postsubmits. For each phase it prints the time until every job's state is recorded in
//! `prev_report_states`, the GitHub requests made, and at the end crier's peak RSS
//! (`VmHWM`) and the mean reporting lag from its metrics. crier runs with
//! `--kube-api-qps` `REPORT_LOAD_KUBE_QPS` (default: crier's default, 20).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use futures::StreamExt;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::Api;
use kube::api::{ListParams, Patch, PatchParams, PostParams};
use prow_api::{ProwJob, ProwJobSpec, ProwJobState, ProwJobType, Pull, Refs};
use prow_testkit::control_plane::ControlPlane;
use prow_testkit::fake_github::FakeGitHub;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const CONCURRENCY: usize = 32;
const ORG: &str = "prow-rs-demo";
const REPO: &str = "hello";
const HEAD_SHA: &str = "9d8c7b6a5f4e3d2c1b0a99887766554433221100";
const BASE_SHA: &str = "3f1c9a0e5d7b2c4a6e8f0a1b2c3d4e5f60718293";

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

fn crier_binary() -> PathBuf {
    // target/<profile>/examples/report_load → target/<profile>/crier
    let exe = std::env::current_exe().unwrap_or_default();
    exe.parent()
        .and_then(Path::parent)
        .map(|dir| dir.join("crier"))
        .unwrap_or_default()
}

fn peak_rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn job(i: usize) -> ProwJob {
    let presubmit = i.is_multiple_of(2);
    let context = if presubmit {
        format!("pull-hello-{i}")
    } else {
        format!("post-hello-{i}")
    };
    let pulls = if presubmit {
        vec![Pull {
            number: 1,
            author: "carol".into(),
            sha: HEAD_SHA.into(),
            ..Pull::default()
        }]
    } else {
        Vec::new()
    };
    let job_type = if presubmit {
        ProwJobType::Presubmit
    } else {
        ProwJobType::Postsubmit
    };
    let spec = ProwJobSpec {
        refs: Some(Refs {
            org: ORG.into(),
            repo: REPO.into(),
            base_ref: "main".into(),
            base_sha: BASE_SHA.into(),
            pulls,
            ..Refs::default()
        }),
        report: true,
        context: context.clone(),
        rerun_command: format!("/test {context}"),
        ..ProwJobSpec::new(job_type, context)
    };
    ProwJob::from_spec(
        &format!("load-{i:05}"),
        spec,
        &BTreeMap::new(),
        &BTreeMap::new(),
        Time(jiff::Timestamp::now()),
        ProwJobState::Triggered,
    )
}

fn final_state(i: usize) -> ProwJobState {
    // 5% of the presubmits fail
    if i.is_multiple_of(40) {
        ProwJobState::Failure
    } else {
        ProwJobState::Success
    }
}

async fn patch_state(api: &Api<ProwJob>, i: usize, state: ProwJobState) {
    let now = serde_json::json!(Time(jiff::Timestamp::now()));
    let mut status = serde_json::json!({
        "state": state,
        "description": format!("Job {}.", state.as_str()),
        "url": format!("https://prow.example.com/view/load-{i:05}"),
    });
    match state {
        ProwJobState::Triggered => status["startTime"] = now,
        ProwJobState::Pending => status["pendingTime"] = now,
        _ => status["completionTime"] = now,
    }
    if let Err(error) = api
        .patch_status(
            &format!("load-{i:05}"),
            &PatchParams::default(),
            &Patch::Merge(serde_json::json!({ "status": status })),
        )
        .await
    {
        eprintln!("patch status of load-{i:05}: {error}");
    }
}

async fn all_recorded(api: &Api<ProwJob>, count: usize) -> bool {
    let Ok(list) = api.list(&ListParams::default()).await else {
        return false;
    };
    let recorded = list
        .items
        .iter()
        .filter(|job| {
            job.status.as_ref().is_some_and(|status| {
                status.prev_report_states.get("github-reporter") == Some(&status.state)
            })
        })
        .count();
    recorded == count
}

/// Time until every job's state is recorded; gives up after ten minutes (and says so).
async fn wait_all_recorded(api: &Api<ProwJob>, count: usize, started: Instant) -> Duration {
    while !all_recorded(api, count).await {
        if started.elapsed() > Duration::from_secs(600) {
            eprintln!("not every job was reported within ten minutes");
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    started.elapsed()
}

async fn metrics_text(port: u16) -> String {
    let Ok(mut stream) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await else {
        return String::new();
    };
    let request = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    let mut response = String::new();
    if stream.write_all(request.as_bytes()).await.is_ok() {
        let _ = stream.read_to_string(&mut response).await;
    }
    response
}

fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(name))
        .and_then(|rest| rest.trim().parse().ok())
        .unwrap_or(0.0)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let count = env_number("REPORT_LOAD_PROWJOBS", 1000);
    let qps = env_number("REPORT_LOAD_KUBE_QPS", 20);
    let control_plane = ControlPlane::shared().await;
    let namespace = control_plane.test_namespace("crier-load").await;
    let api: Api<ProwJob> = Api::namespaced(control_plane.client(), namespace.name());
    let github = FakeGitHub::start().await?;
    let state = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../prow-testkit/testdata/fake-github/demo-state.json");
    github.load_state_file(&state)?;
    github.set_rate_limit(1_000_000, 1_000_000);
    let dir = tempfile::tempdir()?;
    let config = dir.path().join("config.yaml");
    std::fs::write(
        &config,
        format!("prowjob_namespace: {}\n", namespace.name()),
    )?;
    let token = dir.path().join("token");
    std::fs::write(&token, "t0ken")?;
    let admin_port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let mut crier = tokio::process::Command::new(crier_binary())
        .arg("--config-path")
        .arg(&config)
        .arg("--github-token-path")
        .arg(&token)
        .args(["--github-endpoint", &github.url(), "--github-workers", "8"])
        .args(["--kube-api-qps", &qps.to_string()])
        .args(["--kube-api-burst", &(qps * 3 / 2).to_string()])
        .args(["--admin-port", &admin_port.to_string()])
        .args(["--admin-bind-address", "127.0.0.1"])
        .args(["--leader-election-namespace", namespace.name()])
        .arg("--kubeconfig")
        .arg(control_plane.kubeconfig_path())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    let pid = crier.id().unwrap_or_default();
    println!("crier: {count} ProwJobs, --kube-api-qps {qps}, --github-workers 8");

    let started = Instant::now();
    let created_jobs = std::sync::Mutex::new(Vec::new());
    futures::stream::iter(0..count)
        .for_each_concurrent(CONCURRENCY, |i| {
            let api = api.clone();
            let created_jobs = &created_jobs;
            async move {
                let pj = job(i);
                match api.create(&PostParams::default(), &pj).await {
                    Ok(_) => {
                        if let Ok(mut created) = created_jobs.lock() {
                            created.push(i);
                        }
                        patch_state(&api, i, ProwJobState::Triggered).await;
                    }
                    Err(error) => eprintln!("create load-{i:05}: {error}"),
                }
            }
        })
        .await;
    let created = started.elapsed();
    // an overloaded API server may refuse a few creates: measure the jobs that exist
    let created_jobs = created_jobs.into_inner().unwrap_or_default();
    let count = created_jobs.len();
    let took = wait_all_recorded(&api, count, started).await;
    let requests = github.requests().len();
    println!(
        "triggered: created in {:.1}s, all reported after {:.1}s ({requests} GitHub requests)",
        created.as_secs_f64(),
        took.as_secs_f64()
    );
    for (phase, state_of) in [
        (
            "pending",
            (|_| ProwJobState::Pending) as fn(usize) -> ProwJobState,
        ),
        ("finished", final_state),
    ] {
        let before = github.requests().len();
        let started = Instant::now();
        futures::stream::iter(created_jobs.iter().copied())
            .for_each_concurrent(CONCURRENCY, |i| {
                let api = api.clone();
                async move { patch_state(&api, i, state_of(i)).await }
            })
            .await;
        let patched = started.elapsed();
        let took = wait_all_recorded(&api, count, started).await;
        println!(
            "{phase}: patched in {:.1}s, all reported after {:.1}s ({} GitHub requests)",
            patched.as_secs_f64(),
            took.as_secs_f64(),
            github.requests().len() - before
        );
    }
    let writes = github.writes();
    let statuses = writes
        .iter()
        .filter(|w| w.path.contains("/statuses/"))
        .count();
    let comments = writes
        .iter()
        .filter(|w| w.path.contains("/comments"))
        .count();
    let text = metrics_text(admin_port).await;
    let lag_sum = metric(&text, "crier_report_lag_seconds_sum");
    let lag_count = metric(&text, "crier_report_lag_seconds_count");
    println!(
        "GitHub writes: {statuses} statuses (expected {}), {comments} comment writes",
        3 * count
    );
    println!(
        "reporting lag: mean {:.2}s over {lag_count} reports; crier peak RSS {} MiB",
        if lag_count > 0.0 {
            lag_sum / lag_count
        } else {
            0.0
        },
        peak_rss_kib(pid) / 1024
    );
    crier.start_kill()?;
    let _ = crier.wait().await;
    Ok(())
}
