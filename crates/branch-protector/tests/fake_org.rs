//! branch-protector against the real fake GitHub server, with a real `GitHubClient` and a
//! config loaded by `prow_config::load` from a temporary directory.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use branch_protector::{Change, Metrics, Options, protect};
use prow_config::{Config, LoadOptions};
use prow_github::{ClientConfig, Credentials, GitHubClient, Secret};
use prow_testkit::fake_github::{FakeGitHub, GitHubState};
use serde_json::{Value, json};

const CONFIG: &str = r#"
branch-protection:
  allow_disabled_policies: true
  protect-tested-repos: true
  enforce_admins: true
  required_status_checks:
    contexts: ["cla/linuxfoundation"]
  orgs:
    acme:
      required_pull_request_reviews:
        required_approving_review_count: 1
      repos:
        api:
          protect: true
          exclude: ["^feature-"]
          branches:
            release-1.0:
              protect: true
              restrictions:
                users: ["alice"]
                teams: ["release-managers"]
        web:
          protect: true
          include: ["^main$"]
        docs:
          protect: false
"#;

const JOBS: &str = r#"
presubmits:
  acme/api:
  - name: unit
    always_run: true
    spec: {containers: [{image: "golang:1.26"}]}
  - name: lint
    always_run: true
    optional: true
    spec: {containers: [{image: "golang:1.26"}]}
  - name: e2e
    run_if_changed: "^e2e/"
    spec: {containers: [{image: "golang:1.26"}]}
  - name: release-only
    always_run: true
    branches: ["^release-.*$"]
    spec: {containers: [{image: "golang:1.26"}]}
  acme/tools:
  - name: tools-unit
    always_run: true
    spec: {containers: [{image: "golang:1.26"}]}
"#;

/// The org on GitHub: protections in the PUT request shape the fake stores.
fn state() -> GitHubState {
    let stale = json!({"required_status_checks": {"strict": false, "contexts": ["old"]},
                       "enforce_admins": false, "required_pull_request_reviews": null,
                       "restrictions": null});
    let doc = json!({
        "viewer": "prow-bot",
        "orgs": [{"login": "acme"}],
        "repos": [
            {"owner": "acme", "name": "api", "branches": [
                {"name": "main", "sha": "a1"},
                {"name": "release-1.0", "sha": "a2", "protected": true, "protection": stale},
                {"name": "feature-x", "sha": "a3", "protected": true, "protection": stale}]},
            {"owner": "acme", "name": "web", "branches": [
                {"name": "main", "sha": "b1"}, {"name": "dev", "sha": "b2"}]},
            {"owner": "acme", "name": "docs", "branches": [
                {"name": "main", "sha": "c1", "protected": true, "protection": stale},
                {"name": "gh-pages", "sha": "c2"}]},
            {"owner": "acme", "name": "tools", "branches": [{"name": "main", "sha": "d1"}]},
        ]
    });
    GitHubState::from_json(doc.to_string().as_bytes()).expect("state document")
}

fn write_config(dir: &Path) -> LoadOptions {
    std::fs::write(dir.join("config.yaml"), CONFIG).expect("write config");
    std::fs::create_dir_all(dir.join("jobs")).expect("jobs dir");
    std::fs::write(dir.join("jobs/acme.yaml"), JOBS).expect("write jobs");
    LoadOptions {
        config_path: dir.join("config.yaml"),
        job_config_path: Some(dir.join("jobs")),
        plugin_config_path: None,
    }
}

fn load(dir: &Path) -> Config {
    let loaded = prow_config::load(&write_config(dir)).expect("config loads");
    assert!(
        !loaded.has_errors(),
        "config problems: {:?}",
        loaded.problems
    );
    loaded.config
}

fn client(github: &FakeGitHub) -> GitHubClient {
    GitHubClient::new(
        ClientConfig {
            endpoint: github.url(),
            request_timeout: Duration::from_secs(10),
            ..ClientConfig::default()
        },
        Credentials::Token(Secret::new("t0ken")),
    )
    .expect("client builds")
}

fn write_set(github: &FakeGitHub) -> BTreeSet<(String, String)> {
    github
        .writes()
        .into_iter()
        .map(|w| (w.method, w.path))
        .collect()
}

fn expected_writes() -> BTreeSet<(String, String)> {
    [
        ("PUT", "/repos/acme/api/branches/main/protection"),
        ("PUT", "/repos/acme/api/branches/release-1.0/protection"),
        ("DELETE", "/repos/acme/api/branches/feature-x/protection"),
        ("PUT", "/repos/acme/web/branches/main/protection"),
        ("DELETE", "/repos/acme/docs/branches/main/protection"),
        ("PUT", "/repos/acme/tools/branches/main/protection"),
    ]
    .into_iter()
    .map(|(m, p)| (m.to_string(), p.to_string()))
    .collect()
}

fn body_of(github: &FakeGitHub, path: &str) -> Value {
    github
        .writes()
        .into_iter()
        .find(|w| w.method == "PUT" && w.path == path)
        .map(|w| w.body)
        .unwrap_or_else(|| panic!("no PUT to {path}"))
}

#[tokio::test]
async fn applies_exactly_the_needed_changes_then_none() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = load(dir.path());
    let github = FakeGitHub::start().await.expect("fake GitHub starts");
    github.load_state(state());
    let client = client(&github);
    let metrics = Metrics::default();
    let options = Options::default();

    let report = protect(&client, &config, &options, &metrics).await;
    assert!(report.errors.is_empty(), "errors: {:?}", report.errors);
    assert_eq!(write_set(&github), expected_writes());
    assert_eq!(github.writes().len(), 6, "one write per branch");
    assert!(
        github.writes().iter().all(|w| w.status < 300),
        "every write succeeded"
    );
    assert_eq!(report.repos_checked, 4);
    assert_eq!(metrics.changes_of("put", true), 4);
    assert_eq!(metrics.changes_of("delete", true), 2);

    let main = body_of(&github, "/repos/acme/api/branches/main/protection");
    assert_eq!(
        main["required_status_checks"],
        json!({"strict": false, "contexts": ["cla/linuxfoundation", "unit"]}),
        "always-run required jobs only; optional, run_if_changed and other-branch jobs left out"
    );
    assert_eq!(main["enforce_admins"], json!(true));
    assert_eq!(
        main["required_pull_request_reviews"]["required_approving_review_count"],
        json!(1)
    );
    assert_eq!(main["restrictions"], Value::Null);
    let release = body_of(&github, "/repos/acme/api/branches/release-1.0/protection");
    assert_eq!(
        release["required_status_checks"]["contexts"],
        json!(["cla/linuxfoundation", "release-only", "unit"])
    );
    assert_eq!(
        release["restrictions"],
        json!({"users": ["alice"], "teams": ["release-managers"]})
    );
    let tools = body_of(&github, "/repos/acme/tools/branches/main/protection");
    assert_eq!(
        tools["required_status_checks"]["contexts"],
        json!(["cla/linuxfoundation", "tools-unit"]),
        "protect-tested-repos protects a repo only the job config names"
    );

    github.reset_journal();
    let again = protect(&client, &config, &options, &metrics).await;
    assert!(again.errors.is_empty(), "errors: {:?}", again.errors);
    assert!(again.changes.is_empty(), "planned: {:?}", again.changes);
    assert_eq!(github.writes(), vec![], "a second run writes nothing");
}

#[tokio::test]
async fn dry_run_plans_but_writes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = load(dir.path());
    let github = FakeGitHub::start().await.expect("fake GitHub starts");
    github.load_state(state());
    let before = github.state().clone();
    let options = Options {
        dry_run: true,
        ..Options::default()
    };
    let metrics = Metrics::default();

    let report = protect(&client(&github), &config, &options, &metrics).await;
    assert!(report.errors.is_empty(), "errors: {:?}", report.errors);
    assert_eq!(github.writes(), vec![]);
    assert_eq!(*github.state(), before, "GitHub state unchanged");
    let planned: BTreeSet<(String, String)> = report
        .changes
        .iter()
        .map(|c| {
            let method = match c.change {
                Change::Put(_) => "PUT",
                Change::Delete => "DELETE",
            };
            let path = format!(
                "/repos/{}/{}/branches/{}/protection",
                c.org, c.repo, c.branch
            );
            (method.to_string(), path)
        })
        .collect();
    assert_eq!(
        planned,
        expected_writes(),
        "dry run plans what a real run does"
    );
    assert!(report.changes.iter().all(|c| !c.applied));
    assert_eq!(metrics.changes_of("put", false), 4);
    let release = report
        .changes
        .iter()
        .find(|c| c.repo == "api" && c.branch == "release-1.0")
        .expect("release branch planned");
    assert!(
        release.diff.contains(
            "-  required_status_checks.contexts: [old]\n\
             +  required_status_checks.contexts: [cla/linuxfoundation, release-only, unit]\n"
        ),
        "diff:\n{}",
        release.diff
    );
}

#[tokio::test]
async fn binary_dry_run_prints_the_diff_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let options = write_config(dir.path());
    let github = FakeGitHub::start().await.expect("fake GitHub starts");
    github.load_state(state());
    let token = dir.path().join("oauth");
    std::fs::write(&token, "t0ken\n").expect("token file");

    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_branch-protector"))
        .arg("--config-path")
        .arg(&options.config_path)
        .arg("--job-config-path")
        .arg(dir.path().join("jobs"))
        .arg("--github-endpoint")
        .arg(github.url())
        .arg("--github-token-path")
        .arg(&token)
        .arg("--dry-run")
        .env_remove("KUBECONFIG")
        .output()
        .await
        .expect("binary runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "exit {:?}\nstdout:\n{stdout}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("--- acme/docs=main (protected)\n+++ acme/docs=main (unprotected)\n"));
    assert!(stdout.contains("+++ acme/tools=main (desired)\n"));
    assert_eq!(github.writes(), vec![]);
}

#[tokio::test]
async fn disabled_repositories_are_left_alone() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = load(dir.path());
    let github = FakeGitHub::start().await.expect("fake GitHub starts");
    github.load_state(state());
    let options = Options {
        enablement: branch_protector::Enablement {
            disabled_repos: vec!["acme/docs".into(), "acme/tools".into()],
            ..Default::default()
        },
        ..Options::default()
    };
    let report = protect(&client(&github), &config, &options, &Metrics::default()).await;
    assert!(report.errors.is_empty(), "errors: {:?}", report.errors);
    let mut want = expected_writes();
    want.retain(|(_, path)| {
        !path.starts_with("/repos/acme/docs/") && !path.starts_with("/repos/acme/tools/")
    });
    assert_eq!(write_set(&github), want);
    assert!(
        github
            .requests()
            .iter()
            .all(|r| !r.path.starts_with("/repos/acme/docs")
                && !r.path.starts_with("/repos/acme/tools")),
        "disabled repositories are not even read"
    );
}
