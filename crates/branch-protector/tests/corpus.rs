//! A dry run of the real kubernetes Prow instance's `branch-protection` (from the config corpus,
//! `../shared/corpus/prow-configs`) against a fake GitHub holding every repository the pass
//! visits, each with `master`, `release-1.36` and `revert-1-master` branches.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use branch_protector::{Change, Metrics, Options, protect};
use prow_config::{LoadOptions, load};
use prow_github::{ClientConfig, Credentials, GitHubClient, Secret};
use prow_testkit::fake_github::{FakeGitHub, GitHubState};
use serde_json::json;

fn corpus_dir() -> PathBuf {
    let dir = std::env::var_os("PROW_CORPUS_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/prow-configs"),
        PathBuf::from,
    );
    assert!(
        dir.join("SOURCES.md").is_file(),
        "the Prow config corpus is missing at {} (set PROW_CORPUS_DIR)",
        dir.display()
    );
    dir
}

#[tokio::test]
async fn kubernetes_instance_dry_run() {
    let root = corpus_dir().join("kubernetes/test-infra/config");
    let loaded = load(&LoadOptions {
        config_path: root.join("prow/config.yaml"),
        job_config_path: Some(root.join("jobs")),
        plugin_config_path: None,
    })
    .expect("the kubernetes instance loads");
    let config = loaded.config;
    let bp = &config.prow.branch_protection;

    // The repositories a pass visits: configured ones, plus those with presubmits in orgs
    // that set `protect` (Prow would list the whole org).
    let mut repos = BTreeSet::new();
    for (org, policy) in &bp.orgs {
        repos.extend(policy.repos.keys().map(|r| (org.clone(), r.clone())));
        for key in config.jobs.presubmits.keys() {
            if let Some((o, r)) = key.split_once('/')
                && o == org
            {
                repos.insert((o.to_string(), r.to_string()));
            }
        }
    }
    assert!(repos.contains(&("kubernetes".into(), "kubernetes".into())));
    let state = json!({
        "viewer": "prow-bot",
        "orgs": bp.orgs.keys().map(|o| json!({"login": o})).collect::<Vec<_>>(),
        "repos": repos.iter().map(|(o, r)| json!({"owner": o, "name": r, "branches": [
            {"name": "master", "sha": "a1"}, {"name": "release-1.36", "sha": "a2"},
            {"name": "revert-1-master", "sha": "a3"}]})).collect::<Vec<_>>(),
    });
    let github = FakeGitHub::start().await.expect("fake GitHub starts");
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

    let options = Options {
        dry_run: true,
        ..Options::default()
    };
    let report = protect(&client, &config, &options, &Metrics::default()).await;
    eprintln!(
        "kubernetes instance: {} repos, {} branches, {} planned changes, {} errors, {} requests",
        report.repos_checked,
        report.branches_checked,
        report.changes.len(),
        report.errors.len(),
        github.requests().len()
    );
    assert!(report.errors.is_empty(), "errors: {:#?}", report.errors);
    assert_eq!(github.writes(), vec![], "dry run");
    assert_eq!(report.repos_checked, repos.len());

    let planned = |repo: &str, branch: &str| {
        report
            .changes
            .iter()
            .find(|c| c.org == "kubernetes" && c.repo == repo && c.branch == branch)
            .map(|c| match &c.change {
                Change::Put(p) => (**p).clone(),
                Change::Delete => panic!("{repo}={branch}: unexpected delete"),
            })
    };
    let master = planned("kubernetes", "master").expect("kubernetes/kubernetes=master planned");
    let contexts = master
        .required_status_checks
        .as_ref()
        .map(|c| c.contexts.clone())
        .unwrap_or_default();
    for required in ["EasyCLA", "pull-kubernetes-unit"] {
        assert!(contexts.contains(required), "{required} in {contexts:?}");
    }
    // Optional presubmits of kubernetes/kubernetes never become required contexts (unless a
    // required job reports the same context).
    let jobs = config.jobs.presubmits_for("kubernetes/kubernetes");
    let required_names: BTreeSet<&str> = jobs
        .iter()
        .filter(|j| j.could_run("master") && j.context_required())
        .map(|j| j.reporter.context.as_str())
        .collect();
    for job in jobs.iter().filter(|j| j.optional && j.could_run("master")) {
        let context = job.reporter.context.as_str();
        assert!(
            required_names.contains(context) || !contexts.contains(context),
            "optional {context} required"
        );
    }
    let release = planned("kubernetes", "release-1.36").expect("release branch planned");
    assert!(
        release
            .required_status_checks
            .as_ref()
            .is_some_and(|c| c.contexts.contains("pull-kubernetes-unit")),
        "the per-release copy of the unit job is required on release-1.36"
    );
    assert!(
        planned("kubernetes", "revert-1-master").is_none(),
        "revert branches are excluded"
    );
    let api = planned("api", "master").expect("kubernetes/api=master planned");
    let restrictions = api
        .restrictions
        .expect("push restrictions on kubernetes/api");
    assert!(restrictions.teams.contains("stage-bots"));
    assert!(restrictions.users.is_empty());
}
