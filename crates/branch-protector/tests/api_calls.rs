//! The GitHub API cost of branch-protector for 100 repositories (2 branches each) when nothing
//! changed: every read is a conditional request answered `304` (no rate-limit cost) and
//! nothing is written. Prints the per-pass numbers (`cargo test -p branch-protector --test
//! api_calls -- --nocapture`).

use std::fmt::Write as _;
use std::time::Duration;

use branch_protector::{Metrics, Options, protect};
use prow_config::LoadOptions;
use prow_github::{ClientConfig, Credentials, GitHubClient, Secret};
use prow_testkit::fake_github::{FakeGitHub, GitHubState};
use serde_json::json;

const REPOS: usize = 100;

#[derive(Debug)]
struct Pass {
    requests: usize,
    not_modified: usize,
    writes: usize,
    rate_limit_used: u64,
}

async fn measured_pass(
    github: &FakeGitHub,
    client: &GitHubClient,
    config: &prow_config::Config,
) -> Pass {
    github.reset_journal();
    let used_before = github.rate_limit().used();
    let report = protect(client, config, &Options::default(), &Metrics::default()).await;
    assert!(report.errors.is_empty(), "errors: {:?}", report.errors);
    assert_eq!(report.repos_checked, REPOS);
    let requests = github.requests();
    Pass {
        requests: requests.len(),
        not_modified: requests.iter().filter(|r| r.status == 304).count(),
        writes: github.writes().len(),
        rate_limit_used: github.rate_limit().used() - used_before,
    }
}

#[tokio::test]
async fn hundred_unchanged_repos_cost_only_conditional_reads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut yaml = String::from(
        "branch-protection:\n  protect: true\n  enforce_admins: true\n  \
         required_status_checks:\n    contexts: [ci/unit]\n  orgs:\n    acme:\n      repos:\n",
    );
    let mut repos = Vec::new();
    for i in 0..REPOS {
        let _ = writeln!(yaml, "        r{i:03}: {{}}");
        repos.push(
            json!({"owner": "acme", "name": format!("r{i:03}"), "branches": [
            {"name": "main", "sha": "a1"}, {"name": "release-1.0", "sha": "a2"}]}),
        );
    }
    std::fs::write(dir.path().join("config.yaml"), yaml).expect("write config");
    let loaded = prow_config::load(&LoadOptions {
        config_path: dir.path().join("config.yaml"),
        ..LoadOptions::default()
    })
    .expect("config loads");
    assert!(!loaded.has_errors(), "{:?}", loaded.problems);

    let github = FakeGitHub::start().await.expect("fake GitHub starts");
    let state = json!({"viewer": "prow-bot", "orgs": [{"login": "acme"}], "repos": repos});
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

    let first = measured_pass(&github, &client, &loaded.config).await;
    let second = measured_pass(&github, &client, &loaded.config).await;
    let third = measured_pass(&github, &client, &loaded.config).await;
    for (name, pass) in [
        ("first (protects everything)", &first),
        ("second (reads the new protections)", &second),
        ("steady state", &third),
    ] {
        eprintln!("{REPOS} repos, {name}: {pass:?}");
    }

    assert_eq!(
        first.writes,
        2 * REPOS,
        "the first pass protects every branch"
    );
    assert_eq!(second.writes, 0, "nothing changed: no writes");
    assert_eq!(third.writes, 0, "nothing changed: no writes");
    // Steady state: per repo one repository read, one branch list and one protection read
    // per protected branch, all conditional.
    // One listing of the org's repositories (`protect` is set), then per repository: the
    // repository, its branches, and the protection of its two branches.
    assert_eq!(third.requests, 1 + REPOS * 4);
    assert_eq!(
        third.not_modified, third.requests,
        "every steady-state read is answered 304"
    );
    assert_eq!(third.rate_limit_used, 0, "304s cost no rate limit");
}
