//! Throughput, latency and memory of hook's full HTTP path with the kubernetes instance of
//! the Prow config corpus loaded (3,849 jobs, its plugins.yaml): signed `issue_comment`
//! events that start no job (a plain comment on a kubernetes/kubernetes PR) go through
//! validation, signature check, parsing, de-duplication, the queue and plugin dispatch
//! (trigger, cat, config-updater as enabled by the corpus), in one process on loopback.
//!
//! `cargo bench -p hook --bench hook_noop_events` (or `hack/bench-hook.sh`). Bounded:
//! two phases of `HOOK_BENCH_EVENTS` events each (default 20 000) from
//! `HOOK_BENCH_CONCURRENCY` senders (default 8): first paced at `HOOK_BENCH_RATE` events/s
//! (default 2 000, the target load: latency under load), then as fast as possible (maximum
//! throughput); each phase stops after `HOOK_BENCH_SECONDS` seconds (default 60). Then one
//! reload of the corpus is timed.
//! A third phase sends `HOOK_BENCH_PR_EVENTS` (default 100) `pull_request` `opened` events by
//! an org member on kubernetes/kubernetes, each a new delivery, so trigger creates the PR's
//! presubmits as ProwJobs on the real local API server (prow-testkit's control plane).
//! GitHub is the in-process fake behind the dry-run wrapper (reads only).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use hook::config_watch::{ConfigWatch, load_checked};
use hook::dispatch::Dispatcher;
use hook::metrics::HookMetrics;
use hook::plugin::Services;
use hook::plugins::cat::{Cat, CatConfig};
use hook::plugins::config_updater::ConfigUpdater;
use hook::plugins::trigger::Trigger;
use hook::registry::PluginRegistry;
use hook::server::{self, HookOptions};
use prow_config::LoadOptions;
use prow_github::webhook::{HmacSecrets, sign_256};
use prow_github::{ClientConfig, Credentials, DryRunGitHub, GitHubClient, Secret};
use prow_testkit::control_plane::ControlPlane;
use prow_testkit::fake_github::{
    Branch, FakeGitHub, GitHubState, Org, PullFile, PullRef, PullRequest, Repo,
};
use prow_testkit::webhook::{PayloadEdit, payload};
use tokio_util::sync::CancellationToken;

const SECRET: &str = "bench-secret";
const MEMBER: &str = "alice";
const PR: u64 = 123_456;
const BASE_SHA: &str = "0123456789abcdef0123456789abcdef01234567";
const HEAD_SHA: &str = "89abcdef0123456789abcdef0123456789abcdef";

/// kubernetes/kubernetes with one open PR by an org member, changing a kubelet Go file.
fn github_state() -> GitHubState {
    let mut state = GitHubState {
        viewer: Some("k8s-ci-robot".to_string()),
        orgs: vec![Org {
            login: "kubernetes".to_string(),
            members: vec![MEMBER.to_string()],
            ..Org::default()
        }],
        repos: vec![Repo {
            owner: "kubernetes".to_string(),
            name: "kubernetes".to_string(),
            default_branch: "master".to_string(),
            branches: vec![Branch {
                name: "master".to_string(),
                sha: BASE_SHA.to_string(),
                ..Branch::default()
            }],
            pulls: vec![PullRequest {
                number: PR,
                title: "kubelet: fix a race".to_string(),
                user: MEMBER.to_string(),
                head: PullRef {
                    branch: "fix-race".to_string(),
                    sha: HEAD_SHA.to_string(),
                    repo: String::new(),
                },
                base: PullRef {
                    branch: "master".to_string(),
                    sha: BASE_SHA.to_string(),
                    repo: String::new(),
                },
                files: vec![PullFile {
                    filename: "pkg/kubelet/kubelet.go".to_string(),
                    additions: 3,
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

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn corpus_root() -> PathBuf {
    std::env::var_os("PROW_CORPUS_DIR")
        .map_or_else(
            || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/prow-configs"),
            PathBuf::from,
        )
        .join("kubernetes/test-infra/config")
}

/// `VmRSS` and `VmHWM` of this process, in MiB.
fn memory_mib() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn main() -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run())
}

async fn run() -> anyhow::Result<()> {
    let events = env_number("HOOK_BENCH_EVENTS", 20_000);
    let concurrency = env_number("HOOK_BENCH_CONCURRENCY", 8).max(1);
    let max_seconds = env_number("HOOK_BENCH_SECONDS", 60) as u64;

    let pr_events = env_number("HOOK_BENCH_PR_EVENTS", 100);
    let control_plane = ControlPlane::shared().await;
    let namespace = control_plane.test_namespace("hook-bench").await;

    let root = corpus_root();
    let options = LoadOptions {
        config_path: root.join("prow/config.yaml"),
        job_config_path: Some(root.join("jobs")),
        plugin_config_path: Some(root.join("prow/plugins.yaml")),
    };
    let started = Instant::now();
    let mut loaded = load_checked(&options).map_err(|e| anyhow::anyhow!("{e}"))?;
    loaded.config.prow.prowjob_namespace = namespace.name().to_string();
    let config = ConfigWatch::with_loaded(options, loaded);
    let loaded = config.current();
    let jobs = loaded.config.presubmit_count()
        + loaded.config.postsubmit_count()
        + loaded.config.periodic_count();
    let (rss_config, _) = memory_mib();
    println!(
        "config: {jobs} jobs loaded in {:.2?}; RSS after load {rss_config:.1} MiB",
        started.elapsed()
    );

    let github = FakeGitHub::start().await?;
    github.load_state(github_state());
    let client = GitHubClient::new(
        ClientConfig {
            endpoint: github.url(),
            ..ClientConfig::default()
        },
        Credentials::Token(Secret::new("bench-token")),
    )?;
    let kube = control_plane.client();
    let services = Services {
        github: Arc::new(DryRunGitHub::new(client)),
        kube: kube.clone(),
        bot_login: "k8s-ci-robot".to_string(),
        dry_run: false,
    };
    let mut registry = PluginRegistry::new();
    registry.register(Arc::new(Trigger));
    registry.register(Arc::new(ConfigUpdater::new()));
    registry.register(Arc::new(Cat::new(
        "http://127.0.0.1:9/v1/images/search?format=json",
        CatConfig::default(),
    )));
    let registry = Arc::new(registry);
    let metrics = HookMetrics::default();
    let dispatcher = Arc::new(Dispatcher::new(
        Arc::clone(&registry),
        services,
        metrics.clone(),
        Duration::from_secs(30),
    ));
    let reload_watch = config.clone();
    let (router, workers) = server::build(
        HmacSecrets::Single(vec![Secret::new(SECRET)]),
        config,
        registry,
        dispatcher,
        metrics.clone(),
        HookOptions::default(),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/hook", listener.local_addr()?);
    let shutdown = CancellationToken::new();
    let server_task = tokio::spawn(server::serve(listener, router, shutdown.clone()));
    let workers_task = tokio::spawn(workers.run());

    let body = PayloadEdit::new(payload("issue_comment", "created")?)?
        .repo("kubernetes", "kubernetes")
        .number(123_456)
        .comment_body("Thanks for the review! I will update the docs in a follow-up.")
        .on_pull_request()
        .into_bytes()?;
    let signature = sign_256(&Secret::new(SECRET), &body);
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()?;

    let target_rate = env_number("HOOK_BENCH_RATE", 2_000);
    let mut phases = Vec::new();
    for (name, rate) in [("paced", Some(target_rate)), ("unpaced", None)] {
        let offset = phases.len() * events;
        let phase = send_phase(
            &http,
            &url,
            &body,
            &signature,
            "issue_comment",
            offset,
            events,
            concurrency,
            rate,
            max_seconds,
        )
        .await?;
        phases.push((name, rate, phase));
    }
    let pr_body = PayloadEdit::new(payload("pull_request", "opened")?)?
        .repo("kubernetes", "kubernetes")
        .number(PR)
        .head_sha(HEAD_SHA)
        .sender(MEMBER)
        .set("/pull_request/user/login", serde_json::json!(MEMBER))
        .set("/pull_request/base/ref", serde_json::json!("master"))
        .set("/pull_request/base/sha", serde_json::json!(BASE_SHA))
        .set("/pull_request/draft", serde_json::json!(false))
        .into_bytes()?;
    let pr_signature = sign_256(&Secret::new(SECRET), &pr_body);
    let pr_start = Instant::now();
    let pr_phase = send_phase(
        &http,
        &url,
        &pr_body,
        &pr_signature,
        "pull_request",
        phases.len() * events,
        pr_events,
        concurrency.min(4),
        None,
        max_seconds,
    )
    .await?;
    shutdown.cancel();
    server_task.await??;
    let _ = workers_task.await?;
    let pr_handled = pr_start.elapsed();
    let prowjobs = kube::Api::<prow_api::ProwJob>::namespaced(kube, namespace.name())
        .list(&kube::api::ListParams::default())
        .await?
        .items
        .len();

    let (rss, hwm) = memory_mib();
    let plugin_errors: u64 = ["trigger", "cat", "config-updater"]
        .iter()
        .flat_map(|p| ["error", "panic", "timeout"].map(|k| metrics.plugin_failures(p, k)))
        .sum();
    println!(
        "events: {events} per phase, {concurrency} concurrent senders, body {} bytes",
        body.len()
    );
    for (name, rate, phase) in &phases {
        let offered = rate.map_or("as fast as possible".to_string(), |r| {
            format!("{r}/s offered")
        });
        println!(
            "{name} ({offered}): {} accepted, {} failed, {:.0} events/s; latency p50 {:.2?}, p90 {:.2?}, p99 {:.2?}, max {:.2?}",
            phase.latencies.len(),
            phase.failures,
            phase.latencies.len() as f64 / phase.elapsed.as_secs_f64(),
            percentile(&phase.latencies, 50.0),
            percentile(&phase.latencies, 90.0),
            percentile(&phase.latencies, 99.0),
            phase.latencies.last().copied().unwrap_or_default(),
        );
    }
    println!(
        "pull_request opened by a member (starts jobs; real API server): {} accepted, {} failed, answered at {:.0} events/s, p50 {:.2?}, p99 {:.2?}; {prowjobs} ProwJobs created, all handled in {pr_handled:.2?} ({:.0} events/s, {:.0} ProwJobs/s)",
        pr_phase.latencies.len(),
        pr_phase.failures,
        pr_phase.latencies.len() as f64 / pr_phase.elapsed.as_secs_f64(),
        percentile(&pr_phase.latencies, 50.0),
        percentile(&pr_phase.latencies, 99.0),
        pr_phase.latencies.len() as f64 / pr_handled.as_secs_f64(),
        prowjobs as f64 / pr_handled.as_secs_f64(),
    );
    println!(
        "handled: {} events dispatched; plugin errors {plugin_errors}; GitHub requests {}; duplicates {}",
        metrics
            .plugin_runs
            .get_or_create(&hook::metrics::PluginLabels {
                plugin: "trigger".into()
            })
            .get(),
        github.requests().len(),
        metrics.duplicates.get()
    );
    println!(
        "memory (whole process: hook, load generator, fake GitHub): RSS {rss:.1} MiB, peak {hwm:.1} MiB; config alone {rss_config:.1} MiB"
    );
    let reload_start = Instant::now();
    reload_watch.reload().map_err(|e| anyhow::anyhow!("{e}"))?;
    let (rss_reload, hwm_reload) = memory_mib();
    println!(
        "one reload of the corpus: {:.2?}; RSS after {rss_reload:.1} MiB, peak {hwm_reload:.1} MiB",
        reload_start.elapsed()
    );
    Ok(())
}

/// Latencies of one sending phase.
struct Phase {
    latencies: Vec<Duration>,
    failures: usize,
    elapsed: Duration,
}

/// Sends `events` deliveries (ids from `offset`) with `concurrency` senders, each paced to
/// its share of `rate` events/s when given; stops early after `max_seconds`.
#[allow(clippy::too_many_arguments)]
async fn send_phase(
    http: &reqwest::Client,
    url: &str,
    body: &[u8],
    signature: &str,
    event_type: &'static str,
    offset: usize,
    events: usize,
    concurrency: usize,
    rate: Option<usize>,
    max_seconds: u64,
) -> anyhow::Result<Phase> {
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let deadline = start + Duration::from_secs(max_seconds);
    let mut senders = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (http, url, body, signature, next) = (
            http.clone(),
            url.to_string(),
            body.to_vec(),
            signature.to_string(),
            Arc::clone(&next),
        );
        let period = rate.map(|r| Duration::from_secs_f64(concurrency as f64 / r.max(1) as f64));
        senders.spawn(async move {
            let mut ticker = period.map(|p| {
                let mut t = tokio::time::interval(p);
                t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
                t
            });
            let mut latencies = Vec::new();
            let mut failures = 0usize;
            loop {
                if let Some(ticker) = ticker.as_mut() {
                    ticker.tick().await;
                }
                let index = next.fetch_add(1, Ordering::Relaxed);
                if index >= events || Instant::now() >= deadline {
                    break;
                }
                let sent = Instant::now();
                let response = http
                    .post(&url)
                    .header("content-type", "application/json")
                    .header("x-github-event", event_type)
                    .header("x-github-delivery", format!("bench-{}", offset + index))
                    .header("x-hub-signature-256", &signature)
                    .body(body.clone())
                    .send()
                    .await;
                match response {
                    Ok(r) if r.status().is_success() => {
                        let _ = r.bytes().await;
                        latencies.push(sent.elapsed());
                    }
                    _ => failures += 1,
                }
            }
            (latencies, failures)
        });
    }
    let mut latencies = Vec::with_capacity(events);
    let mut failures = 0;
    while let Some(joined) = senders.join_next().await {
        let (mut some, failed) = joined?;
        latencies.append(&mut some);
        failures += failed;
    }
    let elapsed = start.elapsed();
    latencies.sort();
    Ok(Phase {
        latencies,
        failures,
        elapsed,
    })
}
