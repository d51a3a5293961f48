//! An org with `protect` set is protected repository by repository as GitHub lists them
//! (Prow's `UpdateOrg`), configured or not; archived repositories are skipped without a
//! branch being listed, read or written.

use std::time::Duration;

use branch_protector::{Metrics, Options, protect};
use prow_config::LoadOptions;
use prow_github::{ClientConfig, Credentials, GitHubClient, Secret};
use prow_testkit::fake_github::{FakeGitHub, GitHubState};
use serde_json::json;

#[tokio::test]
async fn every_listed_repository_is_protected_and_archived_ones_are_skipped() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("config.yaml"),
        "branch-protection:\n  orgs:\n    acme:\n      protect: true\n      repos:\n        \
         api:\n          required_status_checks:\n            contexts: [ci/api]\n",
    )
    .expect("write config");
    let loaded = prow_config::load(&LoadOptions {
        config_path: dir.path().join("config.yaml"),
        ..LoadOptions::default()
    })
    .expect("config loads");
    assert!(!loaded.has_errors(), "{:?}", loaded.problems);

    let github = FakeGitHub::start().await.expect("fake GitHub starts");
    let state = json!({"viewer": "prow-bot", "orgs": [{"login": "acme"}, {"login": "other"}],
        "repos": [
            {"owner": "acme", "name": "api", "branches": [{"name": "main", "sha": "a1"}]},
            {"owner": "acme", "name": "tools", "branches": [{"name": "main", "sha": "c1"}]},
            {"owner": "acme", "name": "legacy", "archived": true,
             "branches": [{"name": "main", "sha": "b1"}]},
            {"owner": "other", "name": "api", "branches": [{"name": "main", "sha": "d1"}]}]});
    github.load_state(GitHubState::from_json(state.to_string().as_bytes()).expect("state"));
    let client = GitHubClient::new(
        ClientConfig {
            endpoint: github.url(),
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
    assert_eq!(report.repos_skipped, ["acme/legacy"]);
    assert_eq!(report.repos_checked, 2);
    let writes: Vec<(String, String, serde_json::Value)> = github
        .writes()
        .into_iter()
        .map(|w| {
            let contexts = w.body["required_status_checks"]["contexts"].clone();
            (w.method, w.path, contexts)
        })
        .collect();
    assert_eq!(
        writes,
        [
            (
                "PUT".to_string(),
                "/repos/acme/api/branches/main/protection".to_string(),
                json!(["ci/api"])
            ),
            (
                "PUT".to_string(),
                "/repos/acme/tools/branches/main/protection".to_string(),
                serde_json::Value::Null
            ),
        ]
    );
    let legacy_requests: Vec<String> = github
        .requests()
        .into_iter()
        .map(|r| r.path)
        .filter(|p| p.starts_with("/repos/acme/legacy"))
        .collect();
    assert_eq!(
        legacy_requests,
        ["/repos/acme/legacy"],
        "only the archived repository itself is read"
    );
}
