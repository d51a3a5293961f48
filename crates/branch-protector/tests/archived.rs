//! Archived repositories are skipped: no branch is listed, read or written. The fake GitHub
//! has no archived flag, so a small HTTP proxy in front of it marks `acme/legacy` archived in
//! the repository document; everything else passes through unchanged.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::response::Response;
use branch_protector::{Metrics, Options, protect};
use prow_config::LoadOptions;
use prow_github::{ClientConfig, Credentials, GitHubClient, Secret};
use prow_testkit::fake_github::{FakeGitHub, GitHubState};
use serde_json::{Value, json};

const ARCHIVED_REPO_PATH: &str = "/repos/acme/legacy";

struct Upstream {
    base: String,
    http: reqwest::Client,
}

async fn forward(State(upstream): State<Arc<Upstream>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, 1 << 20).await else {
        return status(StatusCode::BAD_REQUEST);
    };
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let mut outgoing = upstream
        .http
        .request(parts.method.clone(), format!("{}{path}", upstream.base))
        .body(body);
    for (name, value) in &parts.headers {
        if name != header::HOST && name != header::CONTENT_LENGTH {
            outgoing = outgoing.header(name, value);
        }
    }
    let Ok(answer) = outgoing.send().await else {
        return status(StatusCode::BAD_GATEWAY);
    };
    let code = answer.status();
    let headers = answer.headers().clone();
    let Ok(mut bytes) = answer.bytes().await.map(|b| b.to_vec()) else {
        return status(StatusCode::BAD_GATEWAY);
    };
    let archive = parts.method == Method::GET
        && parts.uri.path() == ARCHIVED_REPO_PATH
        && code == StatusCode::OK;
    if archive && let Ok(mut repo) = serde_json::from_slice::<Value>(&bytes) {
        repo["archived"] = json!(true);
        bytes = repo.to_string().into_bytes();
    }
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() = code;
    for (name, value) in &headers {
        let skip = name == header::CONTENT_LENGTH
            || name == header::TRANSFER_ENCODING
            || (archive && name == header::ETAG);
        if !skip {
            response.headers_mut().append(name, value.clone());
        }
    }
    response
}

fn status(code: StatusCode) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = code;
    response
}

#[tokio::test]
async fn archived_repositories_are_skipped() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("config.yaml"),
        "branch-protection:\n  orgs:\n    acme:\n      repos:\n        \
         api: {protect: true}\n        legacy: {protect: true}\n",
    )
    .expect("write config");
    let loaded = prow_config::load(&LoadOptions {
        config_path: dir.path().join("config.yaml"),
        ..LoadOptions::default()
    })
    .expect("config loads");
    assert!(!loaded.has_errors(), "{:?}", loaded.problems);

    let github = FakeGitHub::start().await.expect("fake GitHub starts");
    let state = json!({"viewer": "prow-bot", "orgs": [{"login": "acme"}], "repos": [
        {"owner": "acme", "name": "api", "branches": [{"name": "main", "sha": "a1"}]},
        {"owner": "acme", "name": "legacy", "branches": [{"name": "main", "sha": "b1"}]}]});
    github.load_state(GitHubState::from_json(state.to_string().as_bytes()).expect("state"));

    let upstream = Arc::new(Upstream {
        base: github.url().trim_end_matches('/').to_string(),
        http: reqwest::Client::new(),
    });
    let proxy = axum::Router::new().fallback(forward).with_state(upstream);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind proxy");
    let proxy_url = format!("http://{}", listener.local_addr().expect("proxy address"));
    tokio::spawn(async move { axum::serve(listener, proxy).await });

    let client = GitHubClient::new(
        ClientConfig {
            endpoint: proxy_url,
            request_timeout: Duration::from_secs(10),
            ..ClientConfig::default()
        },
        Credentials::Token(Secret::new("t0ken")),
    )
    .expect("client builds");
    let report = protect(
        &client,
        &loaded.config,
        &Options::default(),
        &Metrics::default(),
    )
    .await;

    assert!(report.errors.is_empty(), "errors: {:?}", report.errors);
    assert_eq!(report.repos_skipped, vec!["acme/legacy".to_string()]);
    assert_eq!(report.repos_checked, 1);
    let writes: Vec<(String, String)> = github
        .writes()
        .into_iter()
        .map(|w| (w.method, w.path))
        .collect();
    assert_eq!(
        writes,
        vec![(
            "PUT".to_string(),
            "/repos/acme/api/branches/main/protection".to_string()
        )]
    );
    let legacy_requests: Vec<String> = github
        .requests()
        .into_iter()
        .map(|r| r.path)
        .filter(|p| p.starts_with(ARCHIVED_REPO_PATH))
        .collect();
    assert_eq!(
        legacy_requests,
        vec![ARCHIVED_REPO_PATH.to_string()],
        "only the repository itself is read"
    );
}
