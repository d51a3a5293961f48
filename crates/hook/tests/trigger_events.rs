//! The trigger plugin against real components: the local control plane (one namespace per
//! test, passed as `prowjob_namespace`), a real `GitHubClient` talking to the fake GitHub
//! server, recorded webhook payloads edited to the test repository, and a job config written
//! to a temporary directory and loaded with `prow_config::load`.

use std::collections::BTreeMap;
use std::sync::Arc;

use hook::plugin::{Delivery, Plugin, Services};
use hook::plugins::trigger::Trigger;
use kube::Api;
use kube::api::ListParams;
use prow_api::{ProwJob, ProwJobState, labels};
use prow_config::{LoadOptions, Loaded};
use prow_github::webhook::Event;
use prow_github::{ClientConfig, Credentials, GitHubClient, Secret};
use prow_testkit::control_plane::{ControlPlane, TestNamespace};
use prow_testkit::fake_github::{
    Branch, Collaborator, CommitStatus, FakeGitHub, GitHubState, Org, PullFile, PullRef,
    PullRequest, Repo,
};
use prow_testkit::webhook::{PayloadEdit, payload};
use serde_json::json;

const ORG: &str = "prow-rs-demo";
const REPO: &str = "hello";
const BOT: &str = "prow-bot";
const MEMBER: &str = "alice";
const COLLABORATOR: &str = "carol";
const STRANGER: &str = "mallory";
const BASE_SHA: &str = "0123456789abcdef0123456789abcdef01234567";
const RELEASE_SHA: &str = "1111111111111111111111111111111111111111";

/// PR 7: by a member, changes docs only. PR 8: by a stranger, changes Go code.
/// PR 9: a member's draft. PR 10: by a member against `release-1.0`.
const MEMBER_PR: u64 = 7;
const STRANGER_PR: u64 = 8;
const DRAFT_PR: u64 = 9;
const RELEASE_PR: u64 = 10;

fn head_sha(number: u64) -> String {
    format!("{number:0>40}").replace('0', "a")
}

const JOBS: &str = r#"
presubmits:
  prow-rs-demo/hello:
  - name: unit
    always_run: true
    labels: {team: core}
    annotations: {owner: core-team}
    spec: {containers: [{image: alpine, command: ["true"]}]}
  - name: docs
    run_if_changed: '^docs/'
    spec: {containers: [{image: alpine}]}
  - name: go
    run_if_changed: '\.go$'
    spec: {containers: [{image: alpine}]}
  - name: manual
    optional: true
    spec: {containers: [{image: alpine}]}
  - name: release-only
    always_run: true
    branches: [release-1.0]
    spec: {containers: [{image: alpine}]}
postsubmits:
  prow-rs-demo/hello:
  - name: post-unit
    branches: [main]
    spec: {containers: [{image: alpine}]}
  - name: post-docs
    run_if_changed: '^docs/'
    spec: {containers: [{image: alpine}]}
  - name: post-release
    branches: ['^v\d']
    spec: {containers: [{image: alpine}]}
"#;

fn pull(number: u64, author: &str, base: &str, files: &[&str]) -> PullRequest {
    PullRequest {
        number,
        title: format!("change {number}"),
        user: author.to_string(),
        head: PullRef {
            branch: format!("topic-{number}"),
            sha: head_sha(number),
            repo: String::new(),
        },
        base: PullRef {
            branch: base.to_string(),
            sha: BASE_SHA.to_string(),
            repo: String::new(),
        },
        files: files
            .iter()
            .map(|f| PullFile {
                filename: f.to_string(),
                additions: 1,
                ..PullFile::default()
            })
            .collect(),
        ..PullRequest::default()
    }
}

fn github_state() -> GitHubState {
    let mut draft = pull(DRAFT_PR, MEMBER, "main", &["main.go"]);
    draft.draft = true;
    let mut state = GitHubState {
        viewer: Some(BOT.to_string()),
        orgs: vec![Org {
            login: ORG.to_string(),
            members: vec![MEMBER.to_string()],
            ..Org::default()
        }],
        repos: vec![Repo {
            owner: ORG.to_string(),
            name: REPO.to_string(),
            default_branch: "main".to_string(),
            collaborators: vec![Collaborator {
                login: COLLABORATOR.to_string(),
                permission: "write".to_string(),
            }],
            branches: vec![
                Branch {
                    name: "main".to_string(),
                    sha: BASE_SHA.to_string(),
                    ..Branch::default()
                },
                Branch {
                    name: "release-1.0".to_string(),
                    sha: RELEASE_SHA.to_string(),
                    ..Branch::default()
                },
            ],
            pulls: vec![
                pull(MEMBER_PR, MEMBER, "main", &["docs/guide.md"]),
                pull(STRANGER_PR, STRANGER, "main", &["cmd/main.go"]),
                draft,
                pull(RELEASE_PR, MEMBER, "release-1.0", &["README.md"]),
            ],
            ..Repo::default()
        }],
        ..GitHubState::default()
    };
    state.normalize("2026-01-01T00:00:00Z");
    state
}

/// One test's world: fake GitHub, a namespace, the loaded config and the plugin's services.
struct World {
    github: FakeGitHub,
    namespace: TestNamespace,
    loaded: Arc<Loaded>,
    services: Services,
    _dir: tempfile::TempDir,
}

impl World {
    async fn new(hint: &str, plugins_yaml: &str, dry_run: bool) -> World {
        let control_plane = ControlPlane::shared().await;
        let namespace = control_plane.test_namespace(hint).await;
        let github = FakeGitHub::start().await.expect("fake GitHub starts");
        github.load_state(github_state());
        let dir = tempfile::tempdir().expect("tempdir");
        let config_path = dir.path().join("config.yaml");
        std::fs::write(
            &config_path,
            format!("prowjob_namespace: {}\n{JOBS}", namespace.name()),
        )
        .expect("write config");
        let plugin_path = dir.path().join("plugins.yaml");
        std::fs::write(&plugin_path, plugins_yaml).expect("write plugins");
        let loaded = prow_config::load(&LoadOptions {
            config_path,
            job_config_path: None,
            plugin_config_path: Some(plugin_path),
        })
        .expect("config loads");
        assert!(!loaded.has_errors(), "{:?}", loaded.problems);
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
            dry_run,
        };
        World {
            github,
            namespace,
            loaded: Arc::new(loaded),
            services,
            _dir: dir,
        }
    }

    async fn default(hint: &str) -> World {
        World::new(
            hint,
            "plugins:\n  prow-rs-demo: [trigger]\ntriggers:\n- repos: [prow-rs-demo]\n  join_org_url: https://example.com/join\n",
            false,
        )
        .await
    }

    async fn deliver(&self, kind: &str, body: Vec<u8>, delivery_id: &str) {
        let event = Event::parse(kind, &body).expect("event parses");
        let delivery = Delivery {
            event: &event,
            delivery_id,
            config: &self.loaded,
        };
        Trigger
            .handle(&self.services, &delivery)
            .await
            .unwrap_or_else(|e| panic!("trigger failed on {kind} {delivery_id}: {e}"));
    }

    async fn prowjobs(&self) -> Vec<ProwJob> {
        let api: Api<ProwJob> = Api::namespaced(self.services.kube.clone(), self.namespace.name());
        let mut jobs = api.list(&ListParams::default()).await.expect("list").items;
        jobs.sort_by(|a, b| a.spec.job.cmp(&b.spec.job));
        jobs
    }

    fn labels_of(&self, number: u64) -> Vec<String> {
        let state = self.github.state();
        let repo = state.repo(ORG, REPO).expect("repo");
        let mut labels = repo.pull(number).expect("pull").labels.clone();
        labels.sort();
        labels
    }

    fn comments_on(&self, number: u64) -> Vec<String> {
        let state = self.github.state();
        let repo = state.repo(ORG, REPO).expect("repo");
        repo.comments
            .iter()
            .filter(|c| c.issue_number == number)
            .map(|c| c.body.clone())
            .collect()
    }
}

fn job_names(jobs: &[ProwJob]) -> Vec<String> {
    jobs.iter().map(|j| j.spec.job.clone()).collect()
}

fn label<'a>(job: &'a ProwJob, key: &str) -> Option<&'a str> {
    job.metadata
        .labels
        .as_ref()
        .and_then(|l| l.get(key))
        .map(String::as_str)
}

/// A recorded `pull_request` payload moved to PR `number` of the test repository.
fn pr_event(action: &str, number: u64, author: &str, base: &str) -> PayloadEdit {
    let recorded = match action {
        "opened" | "synchronize" | "labeled" | "closed" | "reopened" => action,
        _ => "opened",
    };
    PayloadEdit::new(payload("pull_request", recorded).expect("payload"))
        .expect("parses")
        .repo(ORG, REPO)
        .number(number)
        .action(action)
        .head_sha(&head_sha(number))
        .sender(author)
        .set("/pull_request/user/login", json!(author))
        .set("/pull_request/head/ref", json!(format!("topic-{number}")))
        .set("/pull_request/base/ref", json!(base))
        .set("/pull_request/base/sha", json!(BASE_SHA))
        .set("/pull_request/title", json!(format!("change {number}")))
        .set("/pull_request/draft", json!(false))
        .set("/pull_request/mergeable", json!(null))
}

/// A recorded `issue_comment` payload: `commenter` writes `body` on PR `number` by `author`.
fn comment_event(number: u64, author: &str, commenter: &str, body: &str) -> Vec<u8> {
    PayloadEdit::new(payload("issue_comment", "created").expect("payload"))
        .expect("parses")
        .repo(ORG, REPO)
        .number(number)
        .on_pull_request()
        .sender(commenter)
        .set("/issue/user/login", json!(author))
        .set("/issue/state", json!("open"))
        .comment_body(body)
        .into_bytes()
        .expect("bytes")
}

#[tokio::test]
async fn member_opens_pr_and_presubmits_start_by_branch_and_changed_files() {
    let world = World::default("trigger-open").await;
    let body = pr_event("opened", MEMBER_PR, MEMBER, "main")
        .into_bytes()
        .expect("bytes");
    world.deliver("pull_request", body, "delivery-open-1").await;

    let jobs = world.prowjobs().await;
    // `unit` always runs, `docs` because docs/ changed; not `go` (no Go file), not the
    // optional explicit `manual`, not `release-only` (other branch).
    assert_eq!(job_names(&jobs), ["docs", "unit"]);
    let unit = &jobs[1];
    let expected_labels = [
        (labels::CREATED_BY_PROW, "true"),
        (labels::PROW_JOB, "unit"),
        (labels::PROW_JOB_TYPE, "presubmit"),
        (labels::REFS_ORG, ORG),
        (labels::REFS_REPO, REPO),
        (labels::REFS_BASE_REF, "main"),
        (labels::REFS_PULL, "7"),
        (labels::IS_OPTIONAL, "false"),
        (labels::EVENT_GUID, "delivery-open-1"),
        ("team", "core"),
    ];
    for (key, value) in expected_labels {
        assert_eq!(label(unit, key), Some(value), "label {key}");
    }
    let annotations = unit.metadata.annotations.clone().unwrap_or_default();
    assert_eq!(
        annotations.get(labels::PROW_JOB).map(String::as_str),
        Some("unit")
    );
    assert_eq!(
        annotations.get("owner").map(String::as_str),
        Some("core-team")
    );
    let status = unit
        .status
        .as_ref()
        .expect("status written through /status");
    assert_eq!(status.state, ProwJobState::Triggered);
    assert!(status.start_time.is_some());
    let refs = unit.spec.refs.as_ref().expect("refs");
    assert_eq!(refs.base_ref, "main");
    assert_eq!(refs.base_sha, BASE_SHA);
    assert_eq!(refs.pulls.len(), 1);
    assert_eq!(refs.pulls[0].number, MEMBER_PR);
    assert_eq!(refs.pulls[0].author, MEMBER);
    assert_eq!(refs.pulls[0].sha, head_sha(MEMBER_PR));
    assert_eq!(refs.pulls[0].head_ref, "topic-7");
    assert_eq!(unit.spec.context, "unit");
    assert_eq!(unit.spec.rerun_command, "/test unit");
    assert!(world.comments_on(MEMBER_PR).is_empty());

    // Against release-1.0: the branch-only job runs, the base SHA is that branch's head.
    let body = pr_event("opened", RELEASE_PR, MEMBER, "release-1.0")
        .into_bytes()
        .expect("bytes");
    world.deliver("pull_request", body, "delivery-open-2").await;
    let release: Vec<ProwJob> = world
        .prowjobs()
        .await
        .into_iter()
        .filter(|j| label(j, labels::REFS_PULL) == Some("10"))
        .collect();
    assert_eq!(job_names(&release), ["release-only", "unit"]);
    assert_eq!(
        release[0].spec.refs.as_ref().map(|r| r.base_sha.as_str()),
        Some(RELEASE_SHA)
    );
}

#[tokio::test]
async fn the_same_delivery_twice_creates_one_set() {
    let world = World::default("trigger-redeliver").await;
    let body = pr_event("opened", MEMBER_PR, MEMBER, "main")
        .into_bytes()
        .expect("bytes");
    world
        .deliver("pull_request", body.clone(), "same-delivery")
        .await;
    let first = world.prowjobs().await;
    world
        .deliver("pull_request", body.clone(), "same-delivery")
        .await;
    let second = world.prowjobs().await;
    assert_eq!(job_names(&second), ["docs", "unit"]);
    let names = |jobs: &[ProwJob]| -> Vec<Option<String>> {
        jobs.iter().map(|j| j.metadata.name.clone()).collect()
    };
    assert_eq!(names(&first), names(&second));
    // A new delivery of the same content is a new event: a second set.
    world.deliver("pull_request", body, "other-delivery").await;
    assert_eq!(world.prowjobs().await.len(), 4);
}

#[tokio::test]
async fn stranger_gets_needs_ok_to_test_and_welcome_then_member_ok_to_test_runs_jobs() {
    let world = World::default("trigger-untrusted").await;
    let body = pr_event("opened", STRANGER_PR, STRANGER, "main")
        .into_bytes()
        .expect("bytes");
    world.deliver("pull_request", body, "d-open").await;
    assert!(world.prowjobs().await.is_empty());
    assert_eq!(world.labels_of(STRANGER_PR), ["needs-ok-to-test"]);
    let comments = world.comments_on(STRANGER_PR);
    assert_eq!(comments.len(), 1);
    assert!(
        comments[0].starts_with("Hi @mallory. Thanks for your PR."),
        "{}",
        comments[0]
    );
    assert!(comments[0].contains("[join the org](https://example.com/join)"));

    // The stranger asks for tests: refused with Prow's answer, nothing runs.
    world
        .deliver(
            "issue_comment",
            comment_event(STRANGER_PR, STRANGER, STRANGER, "/test all"),
            "d-c1",
        )
        .await;
    assert!(world.prowjobs().await.is_empty());
    let comments = world.comments_on(STRANGER_PR);
    assert_eq!(comments.len(), 2);
    assert!(
        comments[1]
            .starts_with("@mallory: Cannot trigger testing until a trusted user reviews the PR")
    );

    // A member says /ok-to-test (inside other text): label swap and the /test all jobs.
    world
        .deliver(
            "issue_comment",
            comment_event(STRANGER_PR, STRANGER, MEMBER, "Looks fine.\n/ok-to-test\n"),
            "d-c2",
        )
        .await;
    assert_eq!(world.labels_of(STRANGER_PR), ["ok-to-test"]);
    let jobs = world.prowjobs().await;
    assert_eq!(job_names(&jobs), ["go", "unit"]);
    assert!(
        jobs.iter()
            .all(|j| label(j, labels::REFS_PULL) == Some("8"))
    );

    // From now on the stranger's own /test works (the PR is trusted by its label).
    world
        .deliver(
            "issue_comment",
            comment_event(STRANGER_PR, STRANGER, STRANGER, "/test manual"),
            "d-c3",
        )
        .await;
    assert_eq!(job_names(&world.prowjobs().await), ["go", "manual", "unit"]);

    // /ok-to-test cancel by a member puts the PR back to needs-ok-to-test.
    world
        .deliver(
            "issue_comment",
            comment_event(STRANGER_PR, STRANGER, MEMBER, "/ok-to-test cancel"),
            "d-c4",
        )
        .await;
    assert_eq!(world.labels_of(STRANGER_PR), ["needs-ok-to-test"]);
}

#[tokio::test]
async fn collaborators_are_trusted_unless_only_org_members() {
    let world = World::default("trigger-collab").await;
    world
        .deliver(
            "issue_comment",
            comment_event(STRANGER_PR, STRANGER, COLLABORATOR, "/test unit"),
            "d1",
        )
        .await;
    assert_eq!(job_names(&world.prowjobs().await), ["unit"]);

    let strict = World::new(
        "trigger-orgonly",
        "plugins:\n  prow-rs-demo: [trigger]\ntriggers:\n- repos: [prow-rs-demo/hello]\n  only_org_members: true\n",
        false,
    )
    .await;
    strict
        .deliver(
            "issue_comment",
            comment_event(STRANGER_PR, STRANGER, COLLABORATOR, "/test unit"),
            "d1",
        )
        .await;
    assert!(strict.prowjobs().await.is_empty());
    let comments = strict.comments_on(STRANGER_PR);
    assert_eq!(comments.len(), 1);
    assert!(comments[0].starts_with("@carol: Cannot trigger testing"));
}

#[tokio::test]
async fn test_commands_retest_and_help() {
    let world = World::default("trigger-commands").await;
    let comment = |body: &str| comment_event(MEMBER_PR, MEMBER, MEMBER, body);

    // Commands in code blocks and quotes are ignored.
    world
        .deliver(
            "issue_comment",
            comment("```\n/test all\n```\n> /test manual"),
            "c0",
        )
        .await;
    assert!(world.prowjobs().await.is_empty());
    assert!(world.comments_on(MEMBER_PR).is_empty());

    world
        .deliver("issue_comment", comment("/test manual"), "c1")
        .await;
    let jobs = world.prowjobs().await;
    assert_eq!(job_names(&jobs), ["manual"]);
    assert_eq!(label(&jobs[0], labels::IS_OPTIONAL), Some("true"));
    assert_eq!(label(&jobs[0], labels::RETEST), None);

    world
        .deliver("issue_comment", comment("/test all"), "c2")
        .await;
    let from_test_all: Vec<String> = world
        .prowjobs()
        .await
        .iter()
        .filter(|j| label(j, labels::EVENT_GUID) == Some("c2"))
        .map(|j| j.spec.job.clone())
        .collect();
    assert_eq!(from_test_all, ["docs", "unit"]);

    // /retest: `unit` failed, `docs` passed, `go` never reported but its files did not change.
    {
        let mut state = world.github.state();
        let repo = state.repo_mut(ORG, REPO).expect("repo");
        for (context, result) in [("unit", "failure"), ("docs", "success")] {
            repo.statuses.push(CommitStatus {
                sha: head_sha(MEMBER_PR),
                state: result.to_string(),
                context: context.to_string(),
                creator: BOT.to_string(),
                ..CommitStatus::default()
            });
        }
        state.normalize("2026-01-01T00:00:00Z");
    }
    world
        .deliver("issue_comment", comment("/retest"), "c3")
        .await;
    let jobs = world.prowjobs().await;
    let retested: Vec<&ProwJob> = jobs
        .iter()
        .filter(|j| label(j, labels::EVENT_GUID) == Some("c3"))
        .collect();
    assert_eq!(retested.len(), 1);
    assert_eq!(retested[0].spec.job, "unit");
    assert_eq!(label(retested[0], labels::RETEST), Some("true"));

    // `/test ?` lists the jobs and starts nothing.
    let before = world.prowjobs().await.len();
    world
        .deliver("issue_comment", comment("/test ?"), "c4")
        .await;
    assert_eq!(world.prowjobs().await.len(), before);
    let comments = world.comments_on(MEMBER_PR);
    assert_eq!(comments.len(), 1);
    let help = &comments[0];
    assert!(
        help.starts_with("@alice: The following commands are available to trigger required jobs:"),
        "{help}"
    );
    for command in ["/test unit", "/test docs", "/test go", "/test manual"] {
        assert!(
            help.contains(&format!("* `{command}`")),
            "{command} in {help}"
        );
    }
    assert!(help.contains("Use `/test all` to run the following jobs that were automatically triggered:\n* `docs`\n* `unit`"), "{help}");

    // An unknown job gets the help with a note.
    world
        .deliver("issue_comment", comment("/test nope"), "c5")
        .await;
    let comments = world.comments_on(MEMBER_PR);
    assert!(
        comments
            .iter()
            .any(|c| c.starts_with("@alice: The specified target(s) for `/test` were not found.")),
        "{comments:?}"
    );

    // Running a job prunes the bot's earlier help answers.
    world
        .deliver("issue_comment", comment("/test go"), "c6")
        .await;
    assert!(world.comments_on(MEMBER_PR).is_empty());
}

#[tokio::test]
async fn new_push_aborts_older_jobs_and_closing_aborts_the_rest() {
    let world = World::default("trigger-sync").await;
    let opened = pr_event("opened", MEMBER_PR, MEMBER, "main")
        .into_bytes()
        .expect("bytes");
    world.deliver("pull_request", opened, "d-open").await;
    assert_eq!(world.prowjobs().await.len(), 2);

    let new_sha = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    let sync = pr_event("synchronize", MEMBER_PR, MEMBER, "main")
        .head_sha(new_sha)
        .into_bytes()
        .expect("bytes");
    world.deliver("pull_request", sync.clone(), "d-sync").await;
    // Redelivery of the synchronize must not abort what it started.
    world.deliver("pull_request", sync, "d-sync").await;

    let jobs = world.prowjobs().await;
    assert_eq!(jobs.len(), 4);
    let by_delivery = |guid: &str| -> BTreeMap<String, ProwJobState> {
        jobs.iter()
            .filter(|j| label(j, labels::EVENT_GUID) == Some(guid))
            .map(|j| {
                (
                    j.spec.job.clone(),
                    j.status.as_ref().map(|s| s.state).expect("status"),
                )
            })
            .collect()
    };
    let aborted = ProwJobState::Aborted;
    let triggered = ProwJobState::Triggered;
    assert_eq!(
        by_delivery("d-open"),
        BTreeMap::from([("docs".into(), aborted), ("unit".into(), aborted)])
    );
    assert_eq!(
        by_delivery("d-sync"),
        BTreeMap::from([("docs".into(), triggered), ("unit".into(), triggered)])
    );
    let old = jobs
        .iter()
        .find(|j| label(j, labels::EVENT_GUID) == Some("d-open"))
        .and_then(|j| j.status.as_ref())
        .expect("old job");
    assert_eq!(old.description, "Aborted by trigger plugin.");
    let new = jobs
        .iter()
        .find(|j| label(j, labels::EVENT_GUID) == Some("d-sync"))
        .and_then(|j| j.spec.refs.as_ref())
        .expect("new job");
    assert_eq!(new.pulls[0].sha, new_sha);

    let closed = pr_event("closed", MEMBER_PR, MEMBER, "main")
        .into_bytes()
        .expect("bytes");
    world.deliver("pull_request", closed, "d-close").await;
    let states: Vec<ProwJobState> = world
        .prowjobs()
        .await
        .iter()
        .filter_map(|j| j.status.as_ref().map(|s| s.state))
        .collect();
    assert_eq!(states, [aborted; 4]);
}

#[tokio::test]
async fn push_starts_postsubmits_and_deletions_start_nothing() {
    let world = World::default("trigger-push").await;
    let push = |git_ref: &str, after: &str, files: &[&str]| {
        PayloadEdit::new(payload("push", "branch").expect("payload"))
            .expect("parses")
            .repo(ORG, REPO)
            .set("/ref", json!(git_ref))
            .head_sha(after)
            .set(
                "/commits",
                json!([{"id": after, "message": "m", "added": files, "removed": [], "modified": []}]),
            )
            .into_bytes()
            .expect("bytes")
    };
    world
        .deliver(
            "push",
            push("refs/heads/main", BASE_SHA, &["docs/a.md"]),
            "p1",
        )
        .await;
    let jobs = world.prowjobs().await;
    assert_eq!(job_names(&jobs), ["post-docs", "post-unit"]);
    let unit = &jobs[1];
    assert_eq!(label(unit, labels::PROW_JOB_TYPE), Some("postsubmit"));
    assert_eq!(label(unit, labels::REFS_BASE_REF), Some("main"));
    assert_eq!(label(unit, labels::EVENT_GUID), Some("p1"));
    let refs = unit.spec.refs.as_ref().expect("refs");
    assert_eq!((refs.org.as_str(), refs.repo.as_str()), (ORG, REPO));
    assert_eq!(refs.base_sha, BASE_SHA);
    assert!(refs.pulls.is_empty());
    assert_eq!(
        unit.status.as_ref().map(|s| s.state),
        Some(ProwJobState::Triggered)
    );

    // A tag push: jobs whose branches match the tag name.
    world
        .deliver("push", push("refs/tags/v1.0.0", RELEASE_SHA, &["x"]), "p2")
        .await;
    let tagged: Vec<ProwJob> = world
        .prowjobs()
        .await
        .into_iter()
        .filter(|j| label(j, labels::EVENT_GUID) == Some("p2"))
        .collect();
    assert_eq!(job_names(&tagged), ["post-release"]);

    // A branch deletion starts nothing.
    let deletion = PayloadEdit::new(&push("refs/heads/main", BASE_SHA, &["docs/a.md"]))
        .expect("parses")
        .set("/deleted", json!(true))
        .set("/after", json!("0000000000000000000000000000000000000000"))
        .into_bytes()
        .expect("bytes");
    world.deliver("push", deletion, "p3").await;
    assert_eq!(world.prowjobs().await.len(), 3);
}

#[tokio::test]
async fn draft_pr_starts_nothing_until_ready_for_review() {
    let world = World::default("trigger-draft").await;
    let opened = pr_event("opened", DRAFT_PR, MEMBER, "main")
        .set("/pull_request/draft", json!(true))
        .into_bytes()
        .expect("bytes");
    world.deliver("pull_request", opened, "d1").await;
    assert!(world.prowjobs().await.is_empty());
    let comments = world.comments_on(DRAFT_PR);
    assert_eq!(comments.len(), 1);
    assert!(comments[0].starts_with("Skipping CI for Draft Pull Request."));

    // Still a draft: a new push runs nothing.
    let sync = pr_event("synchronize", DRAFT_PR, MEMBER, "main")
        .set("/pull_request/draft", json!(true))
        .into_bytes()
        .expect("bytes");
    world.deliver("pull_request", sync, "d2").await;
    assert!(world.prowjobs().await.is_empty());

    let ready = pr_event("ready_for_review", DRAFT_PR, MEMBER, "main")
        .into_bytes()
        .expect("bytes");
    world.deliver("pull_request", ready, "d3").await;
    assert_eq!(job_names(&world.prowjobs().await), ["go", "unit"]);
}

#[tokio::test]
async fn dry_run_creates_nothing() {
    let world = World::new("trigger-dry", "plugins:\n  prow-rs-demo: [trigger]\n", true).await;
    let body = pr_event("opened", MEMBER_PR, MEMBER, "main")
        .into_bytes()
        .expect("bytes");
    world.deliver("pull_request", body, "d1").await;
    assert!(world.prowjobs().await.is_empty());
}

#[tokio::test]
async fn labels_base_changes_and_reopening() {
    let world = World::default("trigger-labels").await;
    let labeled = |label: &str, sender: &str| {
        pr_event("labeled", STRANGER_PR, STRANGER, "main")
            .sender(sender)
            .set("/label/name", json!(label))
            .into_bytes()
            .expect("bytes")
    };
    // The bot adds `ok-to-test` for an `/ok-to-test` comment: that comment starts the jobs.
    world
        .deliver("pull_request", labeled("ok-to-test", BOT), "l1")
        .await;
    assert!(world.prowjobs().await.is_empty());
    // Another label changes nothing.
    world
        .deliver("pull_request", labeled("kind/bug", MEMBER), "l2")
        .await;
    assert!(world.prowjobs().await.is_empty());
    // A person adds `ok-to-test`: the jobs start.
    world
        .deliver("pull_request", labeled("ok-to-test", MEMBER), "l3")
        .await;
    assert_eq!(job_names(&world.prowjobs().await), ["go", "unit"]);
    // `lgtm` on an untrusted PR tests it once more.
    world
        .deliver("pull_request", labeled("lgtm", MEMBER), "l4")
        .await;
    assert_eq!(world.prowjobs().await.len(), 4);

    // Title edits start nothing; a base change re-tests a trusted PR.
    let edited = |changes: serde_json::Value| {
        pr_event("edited", MEMBER_PR, MEMBER, "main")
            .set("/changes", changes)
            .into_bytes()
            .expect("bytes")
    };
    world
        .deliver(
            "pull_request",
            edited(json!({"title": {"from": "old"}})),
            "e1",
        )
        .await;
    assert_eq!(world.prowjobs().await.len(), 4);
    world
        .deliver(
            "pull_request",
            edited(json!({"base": {"ref": {"from": "release-1.0"}, "sha": {"from": RELEASE_SHA}}})),
            "e2",
        )
        .await;
    assert_eq!(world.prowjobs().await.len(), 6);

    // Reopening a stranger's PR without ok-to-test starts nothing; with it, the jobs run.
    let reopened = pr_event("reopened", STRANGER_PR, STRANGER, "main")
        .into_bytes()
        .expect("bytes");
    world.deliver("pull_request", reopened.clone(), "r1").await;
    assert_eq!(world.prowjobs().await.len(), 6);
    world
        .github
        .state()
        .repo_mut(ORG, REPO)
        .and_then(|r| r.issue_labels_mut(STRANGER_PR))
        .expect("pull")
        .extend(["ok-to-test".to_string(), "needs-ok-to-test".to_string()]);
    world.deliver("pull_request", reopened, "r2").await;
    assert_eq!(world.prowjobs().await.len(), 8);
    assert_eq!(world.labels_of(STRANGER_PR), ["ok-to-test"]);
}

#[tokio::test]
async fn ignore_ok_to_test_and_review_comments() {
    let world = World::new(
        "trigger-ignore",
        "plugins:\n  prow-rs-demo: [trigger]\ntriggers:\n- repos: [prow-rs-demo]\n  ignore_ok_to_test: true\n",
        false,
    )
    .await;
    let opened = pr_event("opened", STRANGER_PR, STRANGER, "main")
        .into_bytes()
        .expect("bytes");
    world.deliver("pull_request", opened, "o1").await;
    // No needs-ok-to-test label when /ok-to-test is ignored, only the message saying so.
    assert!(world.labels_of(STRANGER_PR).is_empty());
    let comments = world.comments_on(STRANGER_PR);
    assert_eq!(comments.len(), 1);
    assert!(comments[0].contains("cannot be marked as trusted with `/ok-to-test`"));

    // A member's /ok-to-test is ignored...
    world
        .deliver(
            "issue_comment",
            comment_event(STRANGER_PR, STRANGER, MEMBER, "/ok-to-test"),
            "c1",
        )
        .await;
    assert!(world.prowjobs().await.is_empty());
    assert!(world.labels_of(STRANGER_PR).is_empty());
    // ...but the member can still run jobs, also from a review.
    let review = PayloadEdit::new(payload("pull_request_review", "submitted").expect("payload"))
        .expect("parses")
        .repo(ORG, REPO)
        .number(STRANGER_PR)
        .sender(MEMBER)
        .comment_body("Nice.\n/test all")
        .set("/pull_request/user/login", json!(STRANGER))
        .set("/pull_request/state", json!("open"))
        .into_bytes()
        .expect("bytes");
    world.deliver("pull_request_review", review, "rv1").await;
    assert_eq!(job_names(&world.prowjobs().await), ["go", "unit"]);
}

#[tokio::test]
async fn events_trigger_ignores_make_no_github_calls() {
    let world = World::default("trigger-cheap").await;
    let ignored: Vec<(&str, Vec<u8>)> = vec![
        (
            "issue_comment",
            comment_event(MEMBER_PR, MEMBER, MEMBER, "/lgtm\nthanks"),
        ),
        (
            "issue_comment",
            comment_event(MEMBER_PR, MEMBER, BOT, "/test all"),
        ),
        (
            "issue_comment",
            PayloadEdit::new(&comment_event(MEMBER_PR, MEMBER, MEMBER, "/test all"))
                .expect("parses")
                .set("/issue/state", json!("closed"))
                .into_bytes()
                .expect("bytes"),
        ),
        (
            "issue_comment",
            PayloadEdit::new(payload("issue_comment", "created").expect("payload"))
                .expect("parses")
                .repo(ORG, REPO)
                .comment_body("/test all")
                .into_bytes()
                .expect("bytes"),
        ),
        (
            "pull_request",
            pr_event("opened", MEMBER_PR, MEMBER, "main")
                .action("assigned")
                .into_bytes()
                .expect("bytes"),
        ),
        (
            "pull_request",
            pr_event("opened", MEMBER_PR, MEMBER, "main")
                .repo(ORG, "no-jobs-here")
                .into_bytes()
                .expect("bytes"),
        ),
    ];
    for (i, (kind, body)) in ignored.into_iter().enumerate() {
        world.deliver(kind, body, &format!("cheap-{i}")).await;
        assert!(
            world.github.requests().is_empty(),
            "event {i} ({kind}) called GitHub: {:?}",
            world.github.requests()
        );
    }
    assert!(world.prowjobs().await.is_empty());

    // `/test <job>` of a job that needs no file filter: no changed-files listing.
    world
        .deliver(
            "issue_comment",
            comment_event(MEMBER_PR, MEMBER, MEMBER, "/test manual"),
            "cheap-test",
        )
        .await;
    let paths: Vec<String> = world
        .github
        .requests()
        .into_iter()
        .map(|r| r.path)
        .collect();
    assert!(!paths.iter().any(|p| p.ends_with("/files")), "{paths:?}");
    assert_eq!(job_names(&world.prowjobs().await), ["manual"]);
}

#[tokio::test]
async fn trusted_org_members_and_trusted_apps() {
    let world = World::new(
        "trigger-trusted-org",
        "plugins:\n  prow-rs-demo: [trigger]\ntriggers:\n- repos: [prow-rs-demo]\n  trusted_org: prow-rs-friends\n  trusted_apps: [renovate]\n",
        false,
    )
    .await;
    world
        .github
        .state()
        .add_org_member("prow-rs-friends", "dave", false);
    // A member of the trusted org may run tests on an untrusted PR.
    world
        .deliver(
            "issue_comment",
            comment_event(STRANGER_PR, STRANGER, "dave", "/test unit"),
            "t1",
        )
        .await;
    assert_eq!(job_names(&world.prowjobs().await), ["unit"]);
    // A PR opened by a trusted app runs its jobs without /ok-to-test.
    world.github.state().put_pull(
        ORG,
        REPO,
        pull(11, "renovate[bot]", "main", &["go.mod", "main.go"]),
    );
    let opened = pr_event("opened", 11, "renovate[bot]", "main")
        .into_bytes()
        .expect("bytes");
    world.deliver("pull_request", opened, "t2").await;
    let from_app: Vec<String> = world
        .prowjobs()
        .await
        .iter()
        .filter(|j| label(j, labels::REFS_PULL) == Some("11"))
        .map(|j| j.spec.job.clone())
        .collect();
    assert_eq!(from_app, ["go", "unit"]);
    // The welcome message names the trusted org for an untrusted author.
    let stranger = pr_event("opened", STRANGER_PR, STRANGER, "main")
        .into_bytes()
        .expect("bytes");
    world.deliver("pull_request", stranger, "t3").await;
    let comments = world.comments_on(STRANGER_PR);
    assert!(
        comments.iter().any(|c| c.contains(
            "or [prow-rs-friends](https://github.com/orgs/prow-rs-friends/people) member"
        )),
        "{comments:?}"
    );
}
