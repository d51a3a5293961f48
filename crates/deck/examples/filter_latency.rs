//! Filtered job-list latency at 20,000 ProwJobs over deck's in-memory cache (no API server):
//! the snapshot rebuild, the filter + page + JSON of `/api/v1/jobs` and of the HTML list,
//! in-process and through deck's HTTP server on loopback; p50/p99 per query.
//!
//! `cargo run --release -p deck --example filter_latency [jobs] [iterations]`

use std::time::{Duration, Instant};

use deck::api::job_page_json;
use deck::app::{JobSource, Options, serve};
use deck::job_cache::JobCache;
use deck::job_query::JobQuery;
use deck::pages::job_list;
use deck::pages::layout::PageContext;
use deck::visibility::Visibility;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use prow_api::{ProwJob, ProwJobSpec, ProwJobState, ProwJobStatus, ProwJobType, Pull, Refs};

const QUERIES: &[&str] = &[
    "",
    "type=presubmit",
    "repo=org-3/repo-3",
    "state=failure&type=presubmit",
    "job=pull-*-unit-1*",
    "author=user-13",
    "pull=123&repo=org-3/repo-3",
    "repo=org-1&state=success&per_page=50&page=3",
    "page=150",
];

fn synthetic_jobs(count: usize) -> Vec<ProwJob> {
    let start = jiff::Timestamp::from_second(1_767_225_600).expect("time");
    (0..count)
        .map(|i| {
            let job_type = match i % 20 {
                0..=13 => ProwJobType::Presubmit,
                14..=16 => ProwJobType::Postsubmit,
                _ => ProwJobType::Periodic,
            };
            let repo = i % 20;
            let name = match job_type {
                ProwJobType::Periodic => format!("ci-periodic-e2e-{}", i % 60),
                ProwJobType::Postsubmit => format!("post-repo-{repo}-build-{}", i % 5),
                _ => format!("pull-repo-{repo}-unit-{}", i % 17),
            };
            let mut spec = ProwJobSpec::new(job_type, name);
            if job_type != ProwJobType::Periodic {
                let pulls = if job_type == ProwJobType::Presubmit {
                    vec![Pull {
                        number: (i % 500) as u64,
                        author: format!("user-{}", i % 200),
                        sha: format!("{:040x}", i * 7919),
                        title: format!("Fix flake number {i} in the scheduler"),
                        ..Pull::default()
                    }]
                } else {
                    Vec::new()
                };
                spec.refs = Some(Refs {
                    org: format!("org-{}", repo % 4),
                    repo: format!("repo-{repo}"),
                    base_ref: "main".into(),
                    base_sha: format!("{:040x}", i * 31),
                    pulls,
                    ..Refs::default()
                });
            }
            spec.context = spec.job.clone();
            spec.rerun_command = format!("/test {}", spec.job);
            let mut job = ProwJob::new(
                &format!("{:08x}-{i:05}", i * 2654435761usize % 0xffff_ffff),
                spec,
            );
            let state = match i % 10 {
                0 => ProwJobState::Failure,
                1 => ProwJobState::Pending,
                2 => ProwJobState::Aborted,
                _ => ProwJobState::Success,
            };
            let mut status = ProwJobStatus::new(state);
            let started = start + jiff::SignedDuration::from_secs((i as i64) * 30);
            status.start_time = Some(Time(started));
            if state.is_complete() {
                status.completion_time = Some(Time(started + jiff::SignedDuration::from_secs(600)));
            }
            status.build_id = format!("{}", 1_800_000_000_000u64 + i as u64);
            status.description = "Job succeeded.".into();
            job.status = Some(status);
            job
        })
        .collect()
}

fn query(text: &str) -> JobQuery {
    let params = text
        .split('&')
        .filter(|p| !p.is_empty())
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    JobQuery::from_params(&params).expect("valid query")
}

fn percentiles(mut samples: Vec<Duration>) -> (Duration, Duration, Duration) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
    (at(0.5), at(0.99), samples[samples.len() - 1])
}

fn ms(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64() * 1000.0)
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

#[tokio::main]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut args = std::env::args().skip(1);
    let count: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(20_000);
    let iterations: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(300);
    let before = rss_kib();
    let jobs = synthetic_jobs(count);
    let built = Instant::now();
    let cache = JobCache::with_jobs(Visibility::default(), jobs.clone());
    println!(
        "{count} ProwJobs cached in {} ms (cache + snapshot); RSS {} MiB → {} MiB",
        ms(built.elapsed()),
        before / 1024,
        rss_kib() / 1024
    );
    let mut rebuilds = Vec::new();
    for _ in 0..20 {
        let job = deck::job_record::CachedJob::new(jobs[0].clone());
        let t = Instant::now();
        cache.upsert(job);
        cache.publish();
        rebuilds.push(t.elapsed());
    }
    let (p50, p99, max) = percentiles(rebuilds);
    println!(
        "snapshot rebuild after a change: p50 {} ms, p99 {} ms, max {} ms",
        ms(p50),
        ms(p99),
        ms(max)
    );

    let context = PageContext {
        now: jiff::Timestamp::now(),
        code_host: "https://github.com".into(),
        announcement: String::new(),
    };
    println!("\nin-process (filter + page + render), {iterations} iterations each, ms:");
    println!(
        "{:<48} {:>7} {:>9} {:>9} {:>9} {:>9}",
        "query", "matches", "json p50", "json p99", "html p50", "html p99"
    );
    for text in QUERIES {
        let q = query(text);
        let snapshot = cache.snapshot();
        let mut json = Vec::with_capacity(iterations);
        let mut html = Vec::with_capacity(iterations);
        let mut total = 0;
        for _ in 0..iterations {
            let t = Instant::now();
            let page = snapshot.page(&q);
            let body = job_page_json(&snapshot, &page, &context.code_host, context.now);
            std::hint::black_box(body);
            json.push(t.elapsed());
            total = page.total;
            let t = Instant::now();
            let page = snapshot.page(&q);
            std::hint::black_box(job_list::render(&context, &snapshot, &q, &page));
            html.push(t.elapsed());
        }
        let (j50, j99, _) = percentiles(json);
        let (h50, h99, _) = percentiles(html);
        println!(
            "{:<48} {:>7} {:>9} {:>9} {:>9} {:>9}",
            format!("?{text}"),
            total,
            ms(j50),
            ms(j99),
            ms(h50),
            ms(h99)
        );
    }

    let deck = serve(Options::local(JobSource::Fixed(jobs)))
        .await
        .expect("deck starts");
    let client = reqwest::Client::new();
    println!(
        "\nthrough deck's HTTP server on loopback (one client), {iterations} requests each, ms:"
    );
    println!(
        "{:<48} {:>9} {:>9} {:>9} {:>9} {:>10}",
        "query", "api p50", "api p99", "html p50", "html p99", "html bytes"
    );
    for text in QUERIES {
        let mut api = Vec::with_capacity(iterations);
        let mut html = Vec::with_capacity(iterations);
        let mut size = 0;
        for _ in 0..iterations {
            let t = Instant::now();
            let body = client
                .get(format!("{}/api/v1/jobs?{text}", deck.url()))
                .send()
                .await
                .expect("GET")
                .bytes()
                .await
                .expect("body");
            api.push(t.elapsed());
            std::hint::black_box(body);
            let t = Instant::now();
            let body = client
                .get(format!("{}/?{text}", deck.url()))
                .send()
                .await
                .expect("GET")
                .bytes()
                .await
                .expect("body");
            html.push(t.elapsed());
            size = body.len();
        }
        let (a50, a99, _) = percentiles(api);
        let (h50, h99, _) = percentiles(html);
        println!(
            "{:<48} {:>9} {:>9} {:>9} {:>9} {:>10}",
            format!("?{text}"),
            ms(a50),
            ms(a99),
            ms(h50),
            ms(h99),
            size
        );
    }
    println!("\nRSS at the end: {} MiB", rss_kib() / 1024);
    deck.stop().await;
}
