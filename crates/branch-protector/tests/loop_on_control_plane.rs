//! The `--interval` loop on the real control plane: two replicas elect a leader on a real
//! Lease; only the leader runs passes against the fake GitHub; a config change on disk is
//! applied by the next pass; both loops stop on shutdown. Timeouts are failure bounds only.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use branch_protector::app::sync_loop;
use branch_protector::{Metrics, Options};
use prow_config::{LoadOptions, Reloader};
use prow_github::{ClientConfig, Credentials, GitHub, GitHubClient, Secret};
use prow_kube::leader::LeaderElection;
use prow_testkit::control_plane::ControlPlane;
use prow_testkit::fake_github::{FakeGitHub, GitHubState};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

const BOUND: Duration = Duration::from_secs(90);

fn write_config(path: &Path, contexts: &[&str]) {
    let yaml = format!(
        "branch-protection:\n  protect: true\n  required_status_checks:\n    contexts: {}\n  \
         orgs:\n    acme:\n      repos:\n        api: {{}}\n",
        serde_json::to_string(contexts).expect("json list")
    );
    std::fs::write(path, yaml).expect("write config");
}

/// Waits (bounded) until the last PUT to acme/api main carries `contexts`.
async fn wait_for_contexts(github: &FakeGitHub, contexts: Value) {
    let found = tokio::time::timeout(BOUND, async {
        loop {
            let last = github
                .writes()
                .into_iter()
                .rfind(|w| w.path == "/repos/acme/api/branches/main/protection");
            if last.is_some_and(|w| w.body["required_status_checks"]["contexts"] == contexts) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    assert!(
        found.is_ok(),
        "no PUT with contexts {contexts} within {BOUND:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_leader_protects_and_config_changes_apply() {
    let control_plane = ControlPlane::shared().await;
    let namespace = control_plane.test_namespace("branch-protector").await;
    let dir = tempfile::tempdir().expect("tempdir");
    let config_path = dir.path().join("config.yaml");
    write_config(&config_path, &["ci/unit"]);

    let github = FakeGitHub::start().await.expect("fake GitHub starts");
    let state = json!({"viewer": "prow-bot", "orgs": [{"login": "acme"}], "repos": [
        {"owner": "acme", "name": "api", "branches": [{"name": "main", "sha": "a1"}]}]});
    github.load_state(GitHubState::from_json(state.to_string().as_bytes()).expect("state"));
    let client: Arc<dyn GitHub> = Arc::new(
        GitHubClient::new(
            ClientConfig {
                endpoint: github.url(),
                request_timeout: Duration::from_secs(10),
                ..ClientConfig::default()
            },
            Credentials::Token(Secret::new("t0ken")),
        )
        .expect("client builds"),
    );

    let shutdown = CancellationToken::new();
    let replica = |identity: &str| {
        let election = LeaderElection::new(
            control_plane.client(),
            namespace.name(),
            "branch-protector",
            identity,
            Duration::from_secs(15),
            Duration::from_secs(10),
            Duration::from_secs(2),
        )
        .expect("election");
        let leading = election.leader_state();
        let elections = tokio::spawn(election.run(shutdown.clone()));
        let reloader = Reloader::new(LoadOptions {
            config_path: config_path.clone(),
            ..LoadOptions::default()
        })
        .expect("config loads");
        (leading, elections, reloader, Metrics::default())
    };
    let (leading_a, election_a, mut reloader_a, metrics_a) = replica("replica-a");
    let (leading_b, election_b, mut reloader_b, metrics_b) = replica("replica-b");
    let options = Options::default();
    let interval = Duration::from_millis(200);

    let loops = async {
        tokio::join!(
            sync_loop(
                client.clone(),
                &mut reloader_a,
                &options,
                &metrics_a,
                interval,
                leading_a,
                shutdown.clone()
            ),
            sync_loop(
                client.clone(),
                &mut reloader_b,
                &options,
                &metrics_b,
                interval,
                leading_b,
                shutdown.clone()
            ),
        )
    };
    let checks = async {
        wait_for_contexts(&github, json!(["ci/unit"])).await;
        write_config(&config_path, &["ci/unit", "ci/e2e"]);
        wait_for_contexts(&github, json!(["ci/e2e", "ci/unit"])).await;
        shutdown.cancel();
    };
    let stopped = tokio::time::timeout(BOUND, async { tokio::join!(loops, checks) }).await;
    assert!(stopped.is_ok(), "loops did not stop after shutdown");
    for election in [election_a, election_b] {
        let result = tokio::time::timeout(BOUND, election).await;
        assert!(
            matches!(result, Ok(Ok(Ok(())))),
            "election ended: {result:?}"
        );
    }

    let (a, b) = (metrics_a.runs.get(), metrics_b.runs.get());
    assert!(a + b >= 2, "passes ran: a={a} b={b}");
    assert!(a == 0 || b == 0, "only one replica led: a={a} b={b}");
    let puts = github
        .writes()
        .into_iter()
        .filter(|w| w.method == "PUT")
        .count();
    assert_eq!(
        puts, 2,
        "one PUT per config version, none for unchanged passes"
    );
}
