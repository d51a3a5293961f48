//! deck at 20,000 ProwJobs, end to end: the real `deck` binary watching a real local API
//! server (prow-testkit's etcd + kube-apiserver), measured from outside like a user would.
//!
//! `cargo bench -p deck --bench deck_load` (or `hack/bench-deck.sh`). Bounded: every phase
//! has a deadline and the whole run stops by itself.
//!
//! 1. Baseline: deck's resident memory watching an empty namespace.
//! 2. Fill: `DECK_BENCH_PROWJOBS` ProwJobs (default 20,000) created through the API server
//!    by `DECK_BENCH_CREATE_CONCURRENCY` concurrent clients (default 32), each with its status
//!    written through `/status`, as Prow's components do (at most `DECK_BENCH_FILL_SECONDS`,
//!    default 600). 70% presubmits on 20 repos, 500 PRs, 200 authors; 15% periodics, 15%
//!    postsubmits; 400 job names; started over the last 7 days; mostly successful.
//! 3. deck starts and lists them (time until `/readyz` answers 200).
//! 4. Latency, closed loop over loopback (one client: the latency one user sees; then
//!    `DECK_BENCH_CONCURRENCY` clients, default 4: under load), each phase at most
//!    `DECK_BENCH_SECONDS` seconds (default 15): the filtered JSON API page
//!    (`/api/v1/jobs?...`) and the HTML list page (`/?...`), over a mix of filters.
//! 5. First render in headless Chromium (Debian's `chromium` + `chromedriver`), through the
//!    Performance API: navigation start → response, DOM content loaded, first contentful
//!    paint and largest contentful paint of the list, for the unfiltered and a filtered page.
//! 6. deck's memory: `VmHWM` (peak) and `VmRSS` from `/proc/<pid>/status`, and deck's own
//!    per-route request durations from its `/metrics`.

#[allow(dead_code)]
#[path = "../tests/browser_support/prowjobs.rs"]
mod prowjobs;
#[allow(dead_code)]
#[path = "../tests/browser_support/webdriver.rs"]
mod webdriver;

use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use futures::StreamExt;
use jiff::{SignedDuration, Timestamp};
use k8s_openapi::api::core::v1::Namespace;
use kube::Api;
use kube::api::PostParams;
use prow_api::{ProwJob, ProwJobState};
use prow_testkit::control_plane::ControlPlane;
use serde_json::{Value, json};
use tokio::process::{Child, Command};

use prowjobs::RunFixture;
use webdriver::ChromeDriver;

const REPOS: usize = 20;
const PULLS: u64 = 500;
const AUTHORS: usize = 200;
const JOB_NAMES: usize = 400;
const READY_TIMEOUT: Duration = Duration::from_secs(180);

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The `i`-th of `count` runs: a deterministic spread over types, repos, PRs, authors, job
/// names, states and the last 7 days (newest last).
fn run_fixture(i: usize, count: usize, now: Timestamp) -> RunFixture {
    let name = format!("{i:08x}-b3c1-4d7e-9a2f-5e6d7c8b9a01");
    let minutes_ago = ((count - i) * 7 * 24 * 60 / count.max(1)) as i64;
    let repo = format!("repo-{}", i % REPOS);
    let mut run = match i % 20 {
        0..=13 => {
            let pull = (i as u64 * 7919) % PULLS + 1;
            let author = format!("user-{}", (pull as usize * 31) % AUTHORS);
            let job = format!("pull-{repo}-{}", (i / REPOS) % (JOB_NAMES / REPOS * 7 / 10));
            let mut run = RunFixture::presubmit(&name, &job, "bench-org", &repo, pull, &author);
            run.pull = Some((pull, author, format!("Change {pull}: make things faster")));
            run
        }
        14..=16 => RunFixture::periodic(&name, &format!("ci-periodic-{}", i % (JOB_NAMES / 5))),
        _ => RunFixture::postsubmit(
            &name,
            &format!("post-{repo}-{}", i % (JOB_NAMES / 10)),
            "bench-org",
            &repo,
        ),
    };
    run.state = match i % 50 {
        0..=39 => ProwJobState::Success,
        40..=44 => ProwJobState::Failure,
        45..=46 => ProwJobState::Pending,
        47 => ProwJobState::Error,
        48 => ProwJobState::Aborted,
        _ => ProwJobState::Triggered,
    };
    run.started = now - SignedDuration::from_mins(minutes_ago);
    run.duration = SignedDuration::from_secs(60 + (i as i64 * 37) % 3600);
    if run.state.is_active() {
        run.started = now - SignedDuration::from_mins((i % 30) as i64);
    }
    run.build_id = format!("{}", 1_800_000_000_000_000_000u64 + i as u64);
    run
}

/// Creates `count` ProwJobs in `api`, `concurrency` at a time, within `deadline`.
async fn fill(
    api: &Api<ProwJob>,
    count: usize,
    concurrency: usize,
    deadline: Duration,
) -> anyhow::Result<Duration> {
    let now = Timestamp::now();
    let started = Instant::now();
    let done = Arc::new(AtomicUsize::new(0));
    let results: Vec<Result<(), kube::Error>> = tokio::time::timeout(
        deadline,
        futures::stream::iter(0..count)
            .map(|i| {
                let api = api.clone();
                let done = done.clone();
                async move {
                    let run = run_fixture(i, count, now);
                    let mut attempt = 0;
                    loop {
                        attempt += 1;
                        match run.create(&api).await {
                            Ok(()) => break,
                            // a busy API server on 2 cores: retry transient failures a few times
                            Err(kube::Error::Api(e)) if e.code == 409 => break,
                            Err(e) if attempt < 5 => {
                                tracing_free_log(&format!("retrying {}: {e}", run.name));
                                tokio::time::sleep(Duration::from_millis(200 * attempt)).await;
                            }
                            Err(e) => return Err(e),
                        }
                    }
                    let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                    if n.is_multiple_of(2000) {
                        eprintln!("  fill: {n}/{count} after {:.1?}", started.elapsed());
                    }
                    Ok(())
                }
            })
            .buffer_unordered(concurrency)
            .collect(),
    )
    .await
    .with_context(|| format!("filling {count} ProwJobs took longer than {deadline:?}"))?;
    let failed: Vec<String> = results
        .into_iter()
        .filter_map(|r| r.err().map(|e| e.to_string()))
        .collect();
    if !failed.is_empty() {
        bail!("{} creations failed, first: {}", failed.len(), failed[0]);
    }
    Ok(started.elapsed())
}

fn tracing_free_log(message: &str) {
    eprintln!("  {message}");
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// A running `deck` binary.
struct DeckProcess {
    child: Child,
    url: String,
    admin_url: String,
    pid: u32,
}

impl DeckProcess {
    async fn start(
        config_dir: &Path,
        kubeconfig: &Path,
        namespace: &str,
    ) -> anyhow::Result<(Self, Duration)> {
        let config_path = config_dir.join(format!("config-{namespace}.yaml"));
        std::fs::write(
            &config_path,
            format!("prowjob_namespace: {namespace}\npod_namespace: {namespace}-pods\n"),
        )?;
        let port = free_port()?;
        let admin_port = free_port()?;
        let started = Instant::now();
        let child = Command::new(env!("CARGO_BIN_EXE_deck"))
            .arg("--config-path")
            .arg(&config_path)
            .arg("--kubeconfig")
            .arg(kubeconfig)
            .args(["--bind-address", "127.0.0.1", "--port", &port.to_string()])
            .args(["--admin-bind-address", "127.0.0.1"])
            .args(["--admin-port", &admin_port.to_string()])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context("starting the deck binary")?;
        let pid = child.id().context("deck exited at once")?;
        let deck = DeckProcess {
            child,
            url: format!("http://127.0.0.1:{port}"),
            admin_url: format!("http://127.0.0.1:{admin_port}"),
            pid,
        };
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()?;
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Ok(response) = http.get(format!("{}/readyz", deck.admin_url)).send().await
                && response.status().is_success()
            {
                break;
            }
            if Instant::now() > deadline {
                bail!("deck was not ready within {READY_TIMEOUT:?}");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok((deck, started.elapsed()))
    }

    /// (`VmRSS`, `VmHWM`) in MiB.
    fn memory_mib(&self) -> (f64, f64) {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.pid)).unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
                .map_or(f64::NAN, |kib| kib / 1024.0)
        };
        (field("VmRSS:"), field("VmHWM:"))
    }

    async fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status()
            .await;
        if tokio::time::timeout(Duration::from_secs(10), self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.kill().await;
        }
    }
}

/// Latency samples of one phase.
struct Samples {
    latencies: Vec<Duration>,
    /// (index into the paths, latency) of every request.
    by_path: Vec<(usize, Duration)>,
    bytes: usize,
    elapsed: Duration,
}

impl Samples {
    fn percentile(&self, p: f64) -> Duration {
        let mut sorted = self.latencies.clone();
        sorted.sort();
        if sorted.is_empty() {
            return Duration::ZERO;
        }
        let index = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
        sorted[index]
    }

    fn report(&self, label: &str) {
        let n = self.latencies.len().max(1);
        println!(
            "{label}: {} requests in {:.1?} ({:.0}/s), p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms, {:.0} KiB/answer",
            self.latencies.len(),
            self.elapsed,
            self.latencies.len() as f64 / self.elapsed.as_secs_f64(),
            ms(self.percentile(0.50)),
            ms(self.percentile(0.90)),
            ms(self.percentile(0.99)),
            ms(self.percentile(1.0)),
            self.bytes as f64 / n as f64 / 1024.0
        );
    }
}

impl Samples {
    /// The `top` paths with the highest median latency: where the time goes.
    fn report_slowest_paths(&self, paths: &[String], top: usize) {
        let mut per_path: std::collections::BTreeMap<usize, Vec<Duration>> = Default::default();
        for (index, latency) in &self.by_path {
            per_path.entry(*index).or_default().push(*latency);
        }
        let mut medians: Vec<(Duration, Duration, usize, usize)> = per_path
            .into_iter()
            .map(|(index, mut latencies)| {
                latencies.sort();
                let n = latencies.len();
                (latencies[n / 2], latencies[n - 1], n, index)
            })
            .collect();
        medians.sort_by_key(|m| std::cmp::Reverse(m.0));
        for (median, max, n, index) in medians.into_iter().take(top) {
            println!(
                "    slow: {} median {:.2} ms, max {:.2} ms ({n} requests)",
                paths[index],
                ms(median),
                ms(max)
            );
        }
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// GETs `paths` round-robin from `clients` concurrent clients for at most `seconds` (and at
/// most `max_requests`); every answer must be 200.
async fn load(
    base: &str,
    paths: &[String],
    clients: usize,
    seconds: u64,
    max_requests: usize,
) -> anyhow::Result<Samples> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .pool_max_idle_per_host(clients)
        .build()?;
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..clients {
        let (http, next, base, paths) =
            (http.clone(), next.clone(), base.to_owned(), paths.to_vec());
        tasks.spawn(async move {
            let mut latencies = Vec::new();
            let mut by_path = Vec::new();
            let mut bytes = 0usize;
            while Instant::now() < deadline {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= max_requests {
                    break;
                }
                let url = format!("{base}{}", paths[i % paths.len()]);
                let sent = Instant::now();
                let response = http.get(&url).send().await?;
                let status = response.status();
                let body = response.bytes().await?;
                latencies.push(sent.elapsed());
                by_path.push((i % paths.len(), sent.elapsed()));
                if !status.is_success() {
                    anyhow::bail!("{url}: {status}");
                }
                bytes += body.len();
            }
            Ok::<_, anyhow::Error>((latencies, by_path, bytes))
        });
    }
    let mut samples = Samples {
        latencies: Vec::new(),
        by_path: Vec::new(),
        bytes: 0,
        elapsed: Duration::ZERO,
    };
    while let Some(result) = tasks.join_next().await {
        let (latencies, by_path, bytes) = result??;
        samples.latencies.extend(latencies);
        samples.by_path.extend(by_path);
        samples.bytes += bytes;
    }
    samples.elapsed = started.elapsed();
    Ok(samples)
}

/// The filters users combine: by repo, PR, author, job glob, state, type, later pages.
fn filter_queries() -> Vec<String> {
    let mut queries = vec![String::new(), "page=2".to_owned(), "page=50".to_owned()];
    for i in 0..10 {
        queries.push(format!("repo=bench-org/repo-{i}"));
        queries.push(format!(
            "pull={}&repo=bench-org/repo-{}",
            i * 37 + 1,
            i % REPOS
        ));
        queries.push(format!("author=user-{}", i * 17 % AUTHORS));
        queries.push(format!("job=pull-repo-{i}-*"));
        queries.push(format!(
            "state=failure&type=presubmit&repo=bench-org/repo-{i}"
        ));
        queries.push(format!("type=periodic&job=ci-periodic-{i}"));
        queries.push(format!("state=pending&page={}", i % 3 + 1));
    }
    queries
}

/// Navigation timing of one page load in Chromium, in ms from navigation start.
const TIMING_SCRIPT: &str = r#"
const done = arguments[arguments.length - 1];
const nav = performance.getEntriesByType('navigation')[0];
const fcp = performance.getEntriesByName('first-contentful-paint')[0];
let lcp = null;
try {
  new PerformanceObserver((list) => {
    const entries = list.getEntries();
    if (entries.length) lcp = entries[entries.length - 1].startTime;
  }).observe({type: 'largest-contentful-paint', buffered: true});
} catch (e) {}
setTimeout(() => done({
  requestStart: nav.requestStart,
  responseStart: nav.responseStart,
  responseEnd: nav.responseEnd,
  domInteractive: nav.domInteractive,
  domContentLoaded: nav.domContentLoadedEventEnd,
  load: nav.loadEventEnd,
  fcp: fcp ? fcp.startTime : null,
  lcp: lcp,
  bytes: nav.decodedBodySize,
  rows: document.querySelectorAll('#job-rows tr[class^="row-"]').length,
}), 50);
"#;

async fn browser_render(deck: &DeckProcess, paths: &[&str], repeats: usize) -> anyhow::Result<()> {
    let driver = ChromeDriver::start().context("chromedriver (hack/install-chromium.sh)")?;
    let session = driver.new_session().await?;
    for path in paths {
        let mut rendered = Vec::new();
        for attempt in 0..repeats {
            // a fresh document each time: navigate away first so the list is not restored
            session.goto("about:blank").await?;
            session.goto(&format!("{}{path}", deck.url)).await?;
            let t: Value = session.execute_async(TIMING_SCRIPT, vec![]).await?;
            let f = |k: &str| t.get(k).and_then(Value::as_f64).unwrap_or(f64::NAN);
            let list_rendered = f("lcp").max(f("fcp")).max(f("domContentLoaded"));
            rendered.push(list_rendered);
            println!(
                "  browser {path} #{attempt}: rows {} · {:.0} KiB HTML · TTFB {:.1} ms · response end {:.1} ms · DOM content loaded {:.1} ms · FCP {:.1} ms · LCP {:.1} ms · load {:.1} ms",
                t.get("rows").and_then(Value::as_u64).unwrap_or(0),
                f("bytes") / 1024.0,
                f("responseStart"),
                f("responseEnd"),
                f("domContentLoaded"),
                f("fcp"),
                f("lcp"),
                f("load"),
            );
            if t.get("rows").and_then(Value::as_u64).unwrap_or(0) == 0 {
                bail!("{path}: no job rows rendered");
            }
        }
        rendered.sort_by(f64::total_cmp);
        println!(
            "browser first render {path}: list rendered (max of DOM content loaded, FCP, LCP) median {:.0} ms, worst {:.0} ms over {repeats} loads (target < 1000 ms)",
            rendered[rendered.len() / 2],
            rendered[rendered.len() - 1]
        );
    }
    session.quit().await?;
    Ok(())
}

/// deck's own per-route mean request duration (handler time, no network) from its
/// `/metrics` histogram sums and counts.
async fn server_side_durations(deck: &DeckProcess) -> anyhow::Result<()> {
    let text = reqwest::get(format!("{}/metrics", deck.admin_url))
        .await?
        .text()
        .await?;
    let mut routes: std::collections::BTreeMap<String, (f64, f64)> = Default::default();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let Some((series, value)) = line.rsplit_once(' ') else {
            continue;
        };
        let Ok(value) = value.parse::<f64>() else {
            continue;
        };
        if let Some(labels) = series.strip_prefix("deck_http_request_duration_seconds_sum") {
            routes.entry(labels.to_owned()).or_default().0 = value;
        } else if let Some(labels) = series.strip_prefix("deck_http_request_duration_seconds_count")
        {
            routes.entry(labels.to_owned()).or_default().1 = value;
        }
    }
    if routes.is_empty() {
        println!("deck /metrics: no deck_http_request_duration_seconds histogram found");
    }
    for (labels, (sum, count)) in routes {
        println!(
            "deck /metrics {labels}: {count:.0} requests, mean {:.3} ms inside deck",
            sum * 1000.0 / count.max(1.0)
        );
    }
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let count = env_usize("DECK_BENCH_PROWJOBS", 20_000);
    let create_concurrency = env_usize("DECK_BENCH_CREATE_CONCURRENCY", 32);
    let fill_seconds = env_usize("DECK_BENCH_FILL_SECONDS", 600) as u64;
    let concurrency = env_usize("DECK_BENCH_CONCURRENCY", 4);
    let seconds = env_usize("DECK_BENCH_SECONDS", 15) as u64;
    let max_requests = env_usize("DECK_BENCH_MAX_REQUESTS", 20_000);

    // reqwest is built without a TLS provider in this workspace: use ring, as deck does.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let control_plane = ControlPlane::start()
        .await
        .context("starting the control plane")?;
    let client = control_plane.client();
    let config_dir = tempfile::tempdir()?;
    let namespaces: Api<Namespace> = Api::all(client.clone());
    for name in ["deck-bench-empty", "deck-bench"] {
        let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": name}}))?;
        namespaces.create(&PostParams::default(), &ns).await?;
    }

    let (empty, ready_empty) = DeckProcess::start(
        config_dir.path(),
        control_plane.kubeconfig_path(),
        "deck-bench-empty",
    )
    .await?;
    let (rss_empty, _) = empty.memory_mib();
    println!(
        "baseline: deck ready on an empty namespace in {ready_empty:.1?}, RSS {rss_empty:.1} MiB"
    );
    empty.stop().await;

    let api: Api<ProwJob> = Api::namespaced(client.clone(), "deck-bench");
    let fill_time = fill(
        &api,
        count,
        create_concurrency,
        Duration::from_secs(fill_seconds),
    )
    .await?;
    println!(
        "fill: {count} ProwJobs created with status in {fill_time:.1?} ({:.0}/s, {create_concurrency} concurrent clients)",
        count as f64 / fill_time.as_secs_f64()
    );

    let (deck, ready) = DeckProcess::start(
        config_dir.path(),
        control_plane.kubeconfig_path(),
        "deck-bench",
    )
    .await?;
    let (rss_ready, hwm_ready) = deck.memory_mib();
    println!(
        "deck ready (first list of {count}) in {ready:.1?}; RSS {rss_ready:.1} MiB, peak {hwm_ready:.1} MiB ({:.2} KiB per ProwJob above the empty baseline)",
        (rss_ready - rss_empty) * 1024.0 / count as f64
    );
    let first: Value = reqwest::get(format!("{}/api/v1/jobs?per_page=1", deck.url))
        .await?
        .json()
        .await?;
    println!(
        "deck serves {} jobs (unfiltered total)",
        first.get("unfiltered").unwrap_or(&Value::Null)
    );

    let queries = filter_queries();
    let api_paths: Vec<String> = queries
        .iter()
        .map(|q| format!("/api/v1/jobs?{q}"))
        .collect();
    let html_paths: Vec<String> = queries.iter().map(|q| format!("/?{q}")).collect();
    for (label, paths) in [("API /api/v1/jobs", &api_paths), ("HTML /", &html_paths)] {
        load(&deck.url, paths, 1, 2, 200).await?; // warm-up
        let single = load(&deck.url, paths, 1, seconds, max_requests).await?;
        single.report(&format!("{label} (1 client)"));
        single.report_slowest_paths(paths, 5);
        let loaded = load(&deck.url, paths, concurrency, seconds, max_requests).await?;
        loaded.report(&format!("{label} ({concurrency} clients)"));
    }
    let unfiltered = load(&deck.url, &["/".to_owned()], 1, seconds.min(5), 200).await?;
    unfiltered.report("HTML / unfiltered only (1 client)");

    browser_render(&deck, &["/", "/?repo=bench-org/repo-3&type=presubmit"], 5).await?;
    server_side_durations(&deck).await?;

    let (rss, hwm) = deck.memory_mib();
    println!(
        "deck memory after the run: RSS {rss:.1} MiB, peak (VmHWM) {hwm:.1} MiB (target < 200 MB)"
    );
    deck.stop().await;
    let cluster: Vec<String> = control_plane
        .memory_usage_kib()
        .into_iter()
        .map(|(name, kib)| format!("{name} {} MiB", kib.map_or(0, |k| k / 1024)))
        .collect();
    println!("control plane memory (not deck): {}", cluster.join(", "));
    control_plane.stop().await;
    Ok(())
}
