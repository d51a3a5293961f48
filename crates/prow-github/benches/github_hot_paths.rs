//! Costs on hook's and the reporters' hot paths: signature check and event parsing of a real
//! payload, the ETag cache at capacity, and client round trips to the local fake GitHub.

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
use prow_github::client::etag_cache::{CachedResponse, EtagCache};
use prow_github::webhook::{Event, sign_256, verify_signature};
use prow_github::{ClientConfig, Credentials, GitHub, GitHubClient, Secret};
use prow_testkit::fake_github::FakeGitHub;

fn payload(event: &str, action: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../prow-testkit/testdata/webhooks")
            .join(event)
            .join(format!("{action}.json")),
    )
    .expect("recorded payload")
}

fn webhook(c: &mut Criterion) {
    let body = payload("issue_comment", "created");
    let secrets = vec![Secret::new("old-secret"), Secret::new("current-secret")];
    let header = sign_256(&secrets[1], &body);
    c.bench_function("verify_signature issue_comment (2 secrets)", |b| {
        b.iter(|| {
            assert!(verify_signature(
                black_box(&secrets),
                black_box(&body),
                &header
            ))
        })
    });
    c.bench_function("Event::parse issue_comment", |b| {
        b.iter(|| Event::parse("issue_comment", black_box(&body)).expect("parses"))
    });
    let pr = payload("pull_request", "opened");
    c.bench_function("Event::parse pull_request", |b| {
        b.iter(|| Event::parse("pull_request", black_box(&pr)).expect("parses"))
    });
}

fn etag_cache(c: &mut Criterion) {
    let response = CachedResponse {
        etag: "W/\"abc\"".into(),
        body: Bytes::from_static(b"{}"),
        link: None,
    };
    let mut cache = EtagCache::new(4096, 64 << 20);
    for i in 0..4096 {
        cache.insert(
            format!("token:x https://api.github.com/x/{i}"),
            response.clone(),
        );
    }
    c.bench_function("EtagCache get hit (4096 entries)", |b| {
        b.iter(|| {
            cache
                .get(black_box("token:x https://api.github.com/x/4095"))
                .expect("hit")
        })
    });
    let mut n = 0u64;
    c.bench_function("EtagCache insert at capacity 4096 (evicts)", |b| {
        b.iter(|| {
            n += 1;
            cache.insert(
                format!("token:x https://api.github.com/y/{n}"),
                response.clone(),
            );
        })
    });
}

fn client_round_trips(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let github = runtime.block_on(async {
        let github = FakeGitHub::start().await.expect("fake starts");
        github
            .load_state_file(
                &Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("../prow-testkit/testdata/fake-github/demo-state.json"),
            )
            .expect("state");
        github
    });
    let config = ClientConfig {
        endpoint: github.url(),
        request_timeout: Duration::from_secs(10),
        ..ClientConfig::default()
    };
    let cached =
        GitHubClient::new(config.clone(), Credentials::Token(Secret::new("t"))).expect("client");
    let uncached = GitHubClient::new(
        ClientConfig {
            etag_cache_size: 0,
            ..config
        },
        Credentials::Token(Secret::new("t")),
    )
    .expect("client");
    c.bench_function("get_pull_request, 200 (no cache)", |b| {
        b.iter(|| {
            runtime.block_on(async {
                github.set_rate_limit(5000, 5000);
                uncached
                    .get_pull_request("prow-rs-demo", "hello", 1)
                    .await
                    .expect("read")
            })
        })
    });
    c.bench_function("get_pull_request, 304 from ETag cache", |b| {
        b.iter(|| {
            runtime.block_on(async {
                cached
                    .get_pull_request("prow-rs-demo", "hello", 1)
                    .await
                    .expect("read")
            })
        })
    });
    let shared = std::sync::Arc::new(cached.clone());
    c.bench_function("64 concurrent get_pull_request (304s)", |b| {
        b.iter(|| {
            runtime.block_on(async {
                let calls = (0..64).map(|_| {
                    let client = std::sync::Arc::clone(&shared);
                    tokio::spawn(async move {
                        client
                            .get_pull_request("prow-rs-demo", "hello", 1)
                            .await
                            .expect("read")
                    })
                });
                for call in futures::future::join_all(calls).await {
                    call.expect("task");
                }
            })
        })
    });
    drop(github);
}

criterion_group!(
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    targets = webhook, etag_cache, client_round_trips
);
criterion_main!(benches);
