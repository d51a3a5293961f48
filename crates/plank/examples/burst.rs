//! Benchmark: N ProwJobs (default 1,000; `PLANK_BURST_JOBS`) created at once against a
//! private local control plane with the node agent, and the `plank` binary running as its
//! own process with its default client rate limit (20 requests/s, burst 30; override
//! with `PLANK_BURST_QPS`).
//!
//! Reports the time until every job is pending (or later) with its Pod, the time until
//! every job finished, plank's Kubernetes API requests by verb and resource (from its
//! `/metrics`) and plank's peak resident memory (`VmHWM`).
//!
//! ```text
//! hack/bench-plank.sh            # builds plank and this example in release mode, runs it
//! PLANK_BURST_JOBS=200 hack/bench-plank.sh
//! ```

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use futures::StreamExt;
use k8s_openapi::api::core::v1::{Namespace, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use prow_api::{ProwJob, ProwJobAgent, ProwJobSpec, ProwJobState, ProwJobType};
use prow_testkit::control_plane::ControlPlane;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const NAMESPACE: &str = "bench";

fn plank_binary() -> anyhow::Result<PathBuf> {
    // target/<profile>/examples/burst -> target/<profile>/plank
    let exe = std::env::current_exe()?;
    let dir = exe
        .parent()
        .and_then(|examples| examples.parent())
        .ok_or_else(|| anyhow::anyhow!("unexpected example path {}", exe.display()))?;
    let plank = dir.join("plank");
    anyhow::ensure!(
        plank.exists(),
        "{} not found: build it first (cargo build --release -p plank)",
        plank.display()
    );
    Ok(plank)
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

async fn scrape(port: u16) -> anyhow::Result<String> {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
    stream
        .write_all(b"GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .await?;
    let mut body = String::new();
    stream.read_to_string(&mut body).await?;
    Ok(body)
}

fn peak_rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn spec(index: usize) -> ProwJobSpec {
    let mut spec = ProwJobSpec::new(ProwJobType::Periodic, format!("ci-burst-{}", index % 50));
    spec.agent = Some(ProwJobAgent::Kubernetes);
    spec.pod_spec = Some(
        serde_json::from_value(serde_json::json!({
            "containers": [{"name": "test", "image": "busybox", "command": ["sh", "-c", "exit 0"]}],
        }))
        .unwrap_or_default(),
    );
    spec
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let jobs: usize = std::env::var("PLANK_BURST_JOBS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let qps = std::env::var("PLANK_BURST_QPS").unwrap_or_else(|_| "20".into());
    let plank = plank_binary()?;

    let cluster = ControlPlane::start()
        .await?
        .with_node_agent("bench-node")
        .await?;
    let client = kube::Client::try_from(cluster.config().clone())?;
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let namespace: Namespace =
        serde_json::from_value(serde_json::json!({"metadata": {"name": NAMESPACE}}))?;
    namespaces
        .create(&PostParams::default(), &namespace)
        .await?;

    let dir = tempfile::tempdir()?;
    let config_path = dir.path().join("config.yaml");
    std::fs::write(
        &config_path,
        format!(
            "prowjob_namespace: {NAMESPACE}\npod_namespace: {NAMESPACE}\nplank:\n  job_url_template: 'https://prow.example.com/view/{{{{.Spec.Job}}}}/{{{{.Status.BuildID}}}}'\n"
        ),
    )?;
    let admin_port = free_port()?;
    let mut child = tokio::process::Command::new(&plank)
        .arg("--config-path")
        .arg(&config_path)
        .arg("--kubeconfig")
        .arg(cluster.kubeconfig_path())
        .args(["--kube-api-qps", &qps])
        .args(["--admin-port", &admin_port.to_string()])
        .args(["--admin-bind-address", "127.0.0.1"])
        .args(["--leader-election-namespace", NAMESPACE])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    let pid = child.id().unwrap_or(0);
    // wait until plank leads (its watches are then running too)
    let mut leading = false;
    for _ in 0..300 {
        if let Ok(text) = scrape(admin_port).await
            && text.contains("leader_election_is_leader 1")
        {
            leading = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::ensure!(leading, "plank did not become leader");
    let idle_rss = peak_rss_kib(pid);

    let api: Api<ProwJob> = Api::namespaced(client.clone(), NAMESPACE);
    let started = Instant::now();
    let created = futures::stream::iter(0..jobs)
        .map(|index| {
            let api = api.clone();
            async move {
                let name = format!("burst-{index:05}");
                let job = ProwJob::from_spec(
                    &name,
                    spec(index),
                    &BTreeMap::new(),
                    &BTreeMap::new(),
                    Time(jiff::Timestamp::now()),
                    ProwJobState::Triggered,
                );
                api.create(&PostParams::default(), &job).await?;
                let status = serde_json::json!({ "status": job.status });
                api.patch_status(&name, &PatchParams::default(), &Patch::Merge(status))
                    .await?;
                Ok::<_, kube::Error>(())
            }
        })
        .buffer_unordered(64)
        .collect::<Vec<_>>()
        .await;
    let create_time = started.elapsed();
    let failures = created.iter().filter(|r| r.is_err()).count();
    anyhow::ensure!(failures == 0, "{failures} ProwJobs could not be created");

    let pods: Api<Pod> = Api::namespaced(client.clone(), NAMESPACE);
    let mut all_pending = None;
    let mut all_done = None;
    let deadline = Instant::now() + Duration::from_secs(1800);
    let mut states = BTreeMap::new();
    while all_done.is_none() && Instant::now() < deadline {
        let list = api.list(&ListParams::default()).await?.items;
        let started_jobs = list
            .iter()
            .filter(|j| j.status.as_ref().is_some_and(|s| s.pending_time.is_some()))
            .count();
        let done = list.iter().filter(|j| j.is_complete()).count();
        if all_pending.is_none() && started_jobs == jobs {
            let pod_count = pods
                .list_metadata(&ListParams::default())
                .await?
                .items
                .len();
            if pod_count == jobs {
                all_pending = Some(started.elapsed());
            }
        }
        if done == jobs {
            all_done = Some(started.elapsed());
            states = list.iter().fold(BTreeMap::new(), |mut acc, j| {
                *acc.entry(j.state().map_or("none", |s| s.as_str()))
                    .or_insert(0usize) += 1;
                acc
            });
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let metrics = scrape(admin_port).await.unwrap_or_default();
    let peak_rss = peak_rss_kib(pid);
    let _ = child.kill().await;

    println!("jobs: {jobs}, plank client QPS {qps}");
    println!("create {jobs} ProwJobs (create + status, 64 at once): {create_time:.1?}");
    match all_pending {
        Some(t) => println!("all pending with pods: {t:.1?} after the first create"),
        None => println!("all pending with pods: not reached"),
    }
    match all_done {
        Some(t) => println!("all finished:          {t:.1?} after the first create"),
        None => println!("all finished: not reached within 30 min"),
    }
    println!("final states: {states:?}");
    let mut total = 0u64;
    for line in metrics.lines() {
        if let Some(rest) = line.strip_prefix("plank_kube_api_requests_total{") {
            println!("  requests {{{rest}");
            total += rest
                .rsplit(' ')
                .next()
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(0.0) as u64;
        }
        if line.starts_with("plank_events_dropped_total")
            || line.starts_with("plank_pods_created_total")
        {
            println!("  {line}");
        }
    }
    println!(
        "plank API requests: {total} ({:.2} per job)",
        total as f64 / jobs as f64
    );
    println!(
        "plank peak RSS: {:.1} MiB (idle, after start: {:.1} MiB)",
        peak_rss as f64 / 1024.0,
        idle_rss as f64 / 1024.0
    );
    cluster.stop().await;
    Ok(())
}
