//! The trigger plugin with the kubernetes instance of the Prow config corpus
//! (`../shared/corpus/prow-configs/kubernetes/test-infra`: its real `config.yaml`,
//! `plugins.yaml` and every job file): real job definitions become ProwJobs the real API
//! server accepts, selected by branch and changed files, with the instance's trigger settings.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use hook::plugin::{Delivery, Plugin, Services};
use hook::plugins::trigger::Trigger;
use kube::Api;
use kube::api::ListParams;
use prow_api::{ProwJob, ProwJobState, labels};
use prow_config::{LoadOptions, Loaded};
use prow_github::webhook::Event;
use prow_github::{ClientConfig, Credentials, GitHubClient, Secret};
use prow_testkit::control_plane::ControlPlane;
use prow_testkit::fake_github::{
    Branch, Collaborator, FakeGitHub, GitHubState, Org, PullFile, PullRef, PullRequest, Repo,
};
use prow_testkit::webhook::{PayloadEdit, payload};
use serde_json::json;

const ORG: &str = "kubernetes";
const REPO: &str = "test-infra";
const BOT: &str = "k8s-ci-robot";
const MEMBER: &str = "a-member";
const COLLABORATOR: &str = "a-collaborator";
const BASE_SHA: &str = "9cd5798cbb4f26d5665c6a8d0ebe9e23f95a99a6";
const HEAD_SHA: &str = "abcdefabcdefabcdefabcdefabcdefabcdefabcd";

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

fn load_instance(namespace: &str) -> Arc<Loaded> {
    let root = corpus_dir().join("kubernetes/test-infra/config");
    let mut loaded = prow_config::load(&LoadOptions {
        config_path: root.join("prow/config.yaml"),
        job_config_path: Some(root.join("jobs")),
        plugin_config_path: Some(root.join("prow/plugins.yaml")),
    })
    .expect("the kubernetes instance loads");
    loaded.config.prow.prowjob_namespace = namespace.to_string();
    Arc::new(loaded)
}

fn github_state(number: u64, author: &str, files: &[&str]) -> GitHubState {
    GitHubState {
        viewer: Some(BOT.to_string()),
        orgs: vec![Org {
            login: ORG.to_string(),
            members: vec![MEMBER.to_string()],
            ..Org::default()
        }],
        repos: vec![Repo {
            owner: ORG.to_string(),
            name: REPO.to_string(),
            default_branch: "master".to_string(),
            collaborators: vec![Collaborator {
                login: COLLABORATOR.to_string(),
                permission: "write".to_string(),
            }],
            branches: vec![Branch {
                name: "master".to_string(),
                sha: BASE_SHA.to_string(),
                ..Branch::default()
            }],
            pulls: vec![PullRequest {
                number,
                title: "Update label_sync".to_string(),
                user: author.to_string(),
                head: PullRef {
                    branch: "label-sync".to_string(),
                    sha: HEAD_SHA.to_string(),
                    repo: String::new(),
                },
                base: PullRef {
                    branch: "master".to_string(),
                    sha: BASE_SHA.to_string(),
                    repo: String::new(),
                },
                files: files
                    .iter()
                    .map(|f| PullFile {
                        filename: f.to_string(),
                        ..PullFile::default()
                    })
                    .collect(),
                ..PullRequest::default()
            }],
            ..Repo::default()
        }],
        ..GitHubState::default()
    }
}

fn opened(number: u64, author: &str) -> Vec<u8> {
    PayloadEdit::new(payload("pull_request", "opened").expect("payload"))
        .expect("parses")
        .repo(ORG, REPO)
        .number(number)
        .head_sha(HEAD_SHA)
        .sender(author)
        .set("/pull_request/user/login", json!(author))
        .set("/pull_request/base/ref", json!("master"))
        .set("/pull_request/draft", json!(false))
        .into_bytes()
        .expect("bytes")
}

async fn open_pr(hint: &str, author: &str, files: &[&str]) -> (Vec<ProwJob>, FakeGitHub) {
    let control_plane = ControlPlane::shared().await;
    let namespace = control_plane.test_namespace(hint).await;
    let loaded = load_instance(namespace.name());
    let github = FakeGitHub::start().await.expect("fake GitHub starts");
    let mut state = github_state(1234, author, files);
    state.normalize("2026-01-01T00:00:00Z");
    github.load_state(state);
    let client = GitHubClient::new(
        ClientConfig {
            endpoint: github.url(),
            ..ClientConfig::default()
        },
        Credentials::Token(Secret::new("t0ken")),
    )
    .expect("GitHub client");
    let services = Services {
        github: Arc::new(client),
        kube: control_plane.client(),
        bot_login: BOT.to_string(),
        dry_run: false,
    };
    let body = opened(1234, author);
    let event = Event::parse("pull_request", &body).expect("event parses");
    let delivery = Delivery {
        event: &event,
        delivery_id: "corpus-delivery",
        config: &loaded,
    };
    Trigger
        .handle(&services, &delivery)
        .await
        .unwrap_or_else(|e| panic!("trigger failed: {e}"));
    let api: Api<ProwJob> = Api::namespaced(services.kube.clone(), namespace.name());
    let jobs = api.list(&ListParams::default()).await.expect("list").items;
    (jobs, github)
}

#[tokio::test]
async fn member_pr_on_kubernetes_test_infra_starts_the_real_presubmits() {
    let (jobs, _github) = open_pr("trigger-corpus", MEMBER, &["label_sync/main.go"]).await;
    let names: Vec<&str> = jobs.iter().map(|j| j.spec.job.as_str()).collect();
    // From config/jobs/kubernetes/test-infra/test-infra-presubmits.yaml: always_run jobs, and
    // the image build whose run_if_changed covers `label_sync/.+\.go`.
    for expected in [
        "pull-test-infra-unit-test",
        "pull-test-infra-verify-lint",
        "pull-test-infra-misc-image-build-test",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} missing from {names:?}"
        );
    }
    // run_if_changed on config files or gubernator: not for a Go change in label_sync.
    for unexpected in [
        "pull-test-infra-prow-checkconfig",
        "pull-test-infra-gubernator",
        "pull-test-infra-verify-cri-o",
    ] {
        assert!(!names.contains(&unexpected), "{unexpected} in {names:?}");
    }
    for job in &jobs {
        let job_labels = job.metadata.labels.clone().unwrap_or_default();
        assert_eq!(
            job_labels.get(labels::REFS_REPO).map(String::as_str),
            Some(REPO)
        );
        assert_eq!(
            job_labels.get(labels::REFS_PULL).map(String::as_str),
            Some("1234")
        );
        assert_eq!(
            job.status.as_ref().map(|s| s.state),
            Some(ProwJobState::Triggered),
            "{}",
            job.spec.job
        );
        let refs = job.spec.refs.as_ref().expect("refs");
        assert_eq!(refs.base_sha, BASE_SHA);
        assert_eq!(refs.pulls[0].sha, HEAD_SHA);
    }
    let unit = jobs
        .iter()
        .find(|j| j.spec.job == "pull-test-infra-unit-test")
        .expect("unit test job");
    assert!(unit.spec.pod_spec.is_some(), "the real pod spec is kept");
    assert!(
        unit.spec.decoration_config.is_some(),
        "decorated as configured"
    );
}

#[tokio::test]
async fn kubernetes_trusts_only_org_members_and_links_its_membership_guide() {
    // `only_org_members: true` for the kubernetes org: a collaborator is not trusted.
    let (jobs, github) = open_pr("trigger-corpus-collab", COLLABORATOR, &["README.md"]).await;
    assert!(jobs.is_empty());
    let state = github.state();
    let repo = state.repo(ORG, REPO).expect("repo");
    let pull = repo.pull(1234).expect("pull");
    assert_eq!(pull.labels, ["needs-ok-to-test"]);
    let welcome: Vec<&str> = repo.comments.iter().map(|c| c.body.as_str()).collect();
    assert_eq!(welcome.len(), 1);
    assert!(
        welcome[0].contains(
            "[join the org](https://git.k8s.io/community/community-membership.md#member)"
        ),
        "{}",
        welcome[0]
    );
}
