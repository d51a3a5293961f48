//! The OWNERS-based review plugins (`lgtm`, `approve`, `blunderbuss`, `verify-owners`)
//! end to end: signed recorded webhooks (edited to the test repository) into hook's HTTP
//! server in-process, plugins talking to the fake GitHub server through a real
//! `GitHubClient`, OWNERS files served by the fake's contents API at the PR's base commit.
//!
//! No Kubernetes is involved: these plugins never call it, so the services carry a client
//! for an address nothing listens on.

use std::sync::Arc;
use std::time::Duration;

use hook::config_watch::ConfigWatch;
use hook::dispatch::Dispatcher;
use hook::metrics::HookMetrics;
use hook::owners::OwnersLoader;
use hook::plugin::Services;
use hook::plugins::approve::Approve;
use hook::plugins::blunderbuss::Blunderbuss;
use hook::plugins::lgtm::{Lgtm, REMOVED_NOTIFICATION, tree_hash_comment};
use hook::plugins::verify_owners::{INVALID_OWNERS, VerifyOwners};
use hook::registry::PluginRegistry;
use hook::server::{self, HookOptions};
use prow_config::LoadOptions;
use prow_github::webhook::HmacSecrets;
use prow_github::{ClientConfig, Credentials, GitHubClient, Secret};
use prow_testkit::fake_github::{FakeGitHub, GitHubState, RecordedWrite};
use prow_testkit::webhook::{PayloadEdit, WebhookSender, payload};
use serde_json::json;
use tokio_util::sync::CancellationToken;

const SECRET: &[u8] = b"review-test-secret";
const ORG: &str = "prow-rs-demo";
const REPO: &str = "hello";
const BOT: &str = "prow-rs-bot";
/// The PR author: a collaborator, in no OWNERS file.
const AUTHOR: &str = "carol";
/// Root approver (through the `root-approvers` alias).
const ROOT_APPROVER: &str = "alice";
/// Root reviewer.
const ROOT_REVIEWER: &str = "bob";
/// `pkg/` approver and reviewer.
const PKG_APPROVER: &str = "pat";
const PKG_REVIEWER: &str = "rita";
/// Not a collaborator, not a member.
const STRANGER: &str = "mallory";
const PR: u64 = 7;
const BASE_SHA: &str = "0123456789abcdef0123456789abcdef01234567";
const HEAD_1: &str = "1111111111111111111111111111111111111111";
const HEAD_2: &str = "2222222222222222222222222222222222222222";
const HEAD_3: &str = "3333333333333333333333333333333333333333";

fn state(files: &[&str], head_owners: &[(&str, &str)]) -> GitHubState {
    let mut contents = vec![
        json!({"path": "OWNERS_ALIASES", "ref": BASE_SHA,
               "content": format!("aliases:\n  root-approvers: [{ROOT_APPROVER}]\n")}),
        json!({"path": "OWNERS", "ref": BASE_SHA,
               "content": format!("approvers: [root-approvers]\nreviewers: [{ROOT_REVIEWER}]\n")}),
        json!({"path": "pkg/OWNERS", "ref": BASE_SHA,
               "content": format!("approvers: [{PKG_APPROVER}]\nreviewers: [{PKG_REVIEWER}]\n")}),
    ];
    for (path, content) in head_owners {
        contents.push(json!({"path": path, "ref": HEAD_1, "content": content}));
    }
    let collaborator = |login: &str| json!({"login": login, "permission": "write"});
    serde_json::from_value(json!({
        "viewer": BOT,
        "users": [
            {"login": BOT, "type": "Bot"}, {"login": AUTHOR}, {"login": ROOT_APPROVER},
            {"login": ROOT_REVIEWER}, {"login": PKG_APPROVER}, {"login": PKG_REVIEWER},
            {"login": STRANGER}
        ],
        "orgs": [{"login": ORG, "members": [ROOT_APPROVER, ROOT_REVIEWER, BOT]}],
        "repos": [{
            "owner": ORG, "name": REPO, "default_branch": "main",
            "collaborators": [
                collaborator(AUTHOR), collaborator(ROOT_APPROVER), collaborator(ROOT_REVIEWER),
                collaborator(PKG_APPROVER), collaborator(PKG_REVIEWER), collaborator(BOT)
            ],
            "branches": [{"name": "main", "sha": BASE_SHA}],
            // HEAD_2 squashes HEAD_1 (same tree), HEAD_3 changes the code.
            "commit_trees": {HEAD_1: "tree-aaaa", HEAD_2: "tree-aaaa", HEAD_3: "tree-bbbb"},
            "labels": [
                {"name": "lgtm"}, {"name": "approved"}, {"name": INVALID_OWNERS}
            ],
            "contents": contents,
            "pulls": [{
                "number": PR, "title": "Greet in Go", "body": "Adds a greeting.",
                "user": AUTHOR,
                "head": {"ref": "greet", "sha": HEAD_1},
                "base": {"ref": "main", "sha": BASE_SHA},
                "files": files.iter().map(|f| json!({"filename": f, "additions": 3}))
                    .collect::<Vec<_>>()
            }]
        }]
    }))
    .expect("state")
}

struct Harness {
    github: FakeGitHub,
    sender: WebhookSender,
    metrics: HookMetrics,
    shutdown: CancellationToken,
    _dir: tempfile::TempDir,
}

impl Harness {
    async fn start(plugins_yaml: &str, state: GitHubState) -> Harness {
        let github = FakeGitHub::start().await.expect("fake github");
        github.load_state(state);
        let dir = tempfile::tempdir().expect("tempdir");
        let config_path = dir.path().join("config.yaml");
        let plugins_path = dir.path().join("plugins.yaml");
        std::fs::write(&config_path, "prowjob_namespace: default\n").expect("write config");
        std::fs::write(&plugins_path, plugins_yaml).expect("write plugins");
        let config = ConfigWatch::load(LoadOptions {
            config_path,
            job_config_path: None,
            plugin_config_path: Some(plugins_path),
        })
        .expect("config loads");
        let client = GitHubClient::new(
            ClientConfig {
                endpoint: github.url(),
                ..ClientConfig::default()
            },
            Credentials::Token(Secret::new("test-token")),
        )
        .expect("github client");
        let kube_config = kube::Config::new("http://127.0.0.1:9".parse().expect("uri"));
        let services = Services {
            github: Arc::new(client),
            kube: kube::Client::try_from(kube_config).expect("kube client"),
            bot_login: BOT.into(),
            dry_run: false,
        };
        let owners = Arc::new(OwnersLoader::default());
        let mut registry = PluginRegistry::new();
        registry.register(Arc::new(Lgtm::new(Arc::clone(&owners))));
        registry.register(Arc::new(Approve::new(Arc::clone(&owners))));
        registry.register(Arc::new(Blunderbuss::new(Arc::clone(&owners))));
        registry.register(Arc::new(VerifyOwners));
        let registry = Arc::new(registry);
        let metrics = HookMetrics::default();
        let dispatcher = Arc::new(Dispatcher::new(
            Arc::clone(&registry),
            services,
            metrics.clone(),
            Duration::from_secs(30),
        ));
        let (router, workers) = server::build(
            HmacSecrets::Single(vec![Secret::new(
                String::from_utf8_lossy(SECRET).into_owned(),
            )]),
            config,
            registry,
            dispatcher,
            metrics.clone(),
            HookOptions {
                max_concurrent_events: 1,
                ..HookOptions::default()
            },
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind hook");
        let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
        let shutdown = CancellationToken::new();
        tokio::spawn(server::serve(listener, router, shutdown.clone()));
        let token = shutdown.clone();
        tokio::spawn(async move {
            let _ = workers.run_with_grace(token, Duration::MAX).await;
        });
        Harness {
            github,
            sender: WebhookSender::new(url, SECRET),
            metrics,
            shutdown,
            _dir: dir,
        }
    }

    /// Sends one delivery and waits until hook has handled it.
    async fn send(&self, event: &str, body: Vec<u8>) {
        let response = self.sender.send(event, body).await.expect("send");
        assert!(response.status().is_success(), "{}", response.status());
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        while self.metrics.events_in_flight.get() > 0 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "hook did not finish the event"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// A comment as GitHub would have it: stored by the fake, then delivered as a webhook.
    async fn comment(&self, author: &str, body: &str) {
        {
            let mut state = self.github.state();
            let id = state.allocate_id();
            let now = rfc3339_now();
            state.repos[0].comments.push(
                serde_json::from_value(json!({
                    "id": id, "issue_number": PR, "user": author, "body": body,
                    "created_at": now, "updated_at": now
                }))
                .expect("comment"),
            );
        }
        let payload = PayloadEdit::new(payload("issue_comment", "created").expect("payload"))
            .expect("parse")
            .repo(ORG, REPO)
            .number(PR)
            .comment_body(body)
            .sender(author)
            .on_pull_request()
            .set("/issue/user/login", json!(AUTHOR))
            .set("/issue/state", json!("open"))
            .into_bytes()
            .expect("bytes");
        self.send("issue_comment", payload).await;
    }

    /// A review as GitHub would have it: stored by the fake, then delivered as a webhook.
    async fn review(&self, author: &str, state: &str, body: &str) {
        {
            let mut github = self.github.state();
            let id = github.allocate_id();
            github.repos[0].reviews.push(
                serde_json::from_value(json!({
                    "id": id, "pull_number": PR, "user": author, "state": state.to_uppercase(),
                    "body": body, "commit_id": HEAD_1, "submitted_at": rfc3339_now()
                }))
                .expect("review"),
            );
        }
        let payload =
            PayloadEdit::new(payload("pull_request_review", "submitted").expect("payload"))
                .expect("parse")
                .repo(ORG, REPO)
                .number(PR)
                .comment_body(body)
                .sender(author)
                .set("/review/state", json!(state))
                .set("/pull_request/user/login", json!(AUTHOR))
                .set("/pull_request/base/sha", json!(BASE_SHA))
                .set("/pull_request/base/ref", json!("main"))
                .set("/pull_request/state", json!("open"))
                .set(
                    "/pull_request/html_url",
                    json!(format!("{}/{ORG}/{REPO}/pull/{PR}", self.github.url())),
                )
                .into_bytes()
                .expect("bytes");
        self.send("pull_request_review", payload).await;
    }

    async fn pull_request(&self, action: &str, head: &str) {
        let assignees: Vec<serde_json::Value> = {
            let mut state = self.github.state();
            let pull = &mut state.repos[0].pulls[0];
            pull.head.sha = head.to_string();
            pull.assignees
                .iter()
                .map(|login| json!({"login": login, "type": "User"}))
                .collect()
        };
        let payload = PayloadEdit::new(payload("pull_request", action).expect("payload"))
            .expect("parse")
            .repo(ORG, REPO)
            .number(PR)
            .head_sha(head)
            .sender(AUTHOR)
            .set("/pull_request/user/login", json!(AUTHOR))
            .set("/pull_request/base/sha", json!(BASE_SHA))
            .set("/pull_request/base/ref", json!("main"))
            .set("/pull_request/assignees", json!(assignees))
            .set("/pull_request/body", json!("Adds a greeting."))
            // As the fake renders it, so events and API reads agree as on GitHub.
            .set(
                "/pull_request/html_url",
                json!(format!("{}/{ORG}/{REPO}/pull/{PR}", self.github.url())),
            )
            .set("/pull_request/draft", json!(false))
            .into_bytes()
            .expect("bytes");
        self.send("pull_request", payload).await;
    }

    fn labels(&self) -> Vec<String> {
        let state = self.github.state();
        state.repos[0].pulls[0].labels.clone()
    }

    /// (author, body) of every comment on the PR now.
    fn comments(&self) -> Vec<(String, String)> {
        let state = self.github.state();
        state.repos[0]
            .comments
            .iter()
            .filter(|c| c.issue_number == PR)
            .map(|c| (c.user.clone(), c.body.clone()))
            .collect()
    }

    fn bot_comments(&self) -> Vec<(String, String)> {
        self.comments()
            .into_iter()
            .filter(|(u, _)| u == BOT)
            .collect()
    }

    fn writes_to(&self, method: &str, suffix: &str) -> Vec<RecordedWrite> {
        self.github
            .writes()
            .into_iter()
            .filter(|w| w.method == method && w.path.ends_with(suffix))
            .collect()
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Now as RFC 3339 in UTC, as GitHub writes timestamps.
fn rfc3339_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn plugins_yaml(extra: &str) -> String {
    format!(
        "plugins:\n  {ORG}/{REPO}: [lgtm, approve, blunderbuss, verify-owners]\nblunderbuss:\n  request_count: 2\n{extra}"
    )
}

#[tokio::test]
async fn lgtm_refusals_label_and_push() {
    let h = Harness::start(&plugins_yaml(""), state(&["pkg/greet.go"], &[])).await;

    h.comment(AUTHOR, "/lgtm").await;
    assert!(!h.labels().contains(&"lgtm".to_string()));
    let comments = h.bot_comments();
    assert_eq!(comments.len(), 1, "{comments:?}");
    assert!(
        comments[0]
            .1
            .starts_with(&format!("@{AUTHOR}: you cannot LGTM your own PR.")),
        "{comments:?}"
    );

    h.comment(STRANGER, "/lgtm").await;
    assert!(!h.labels().contains(&"lgtm".to_string()));
    assert!(
        h.comments().iter().any(|(_, b)| b.starts_with(&format!(
            "@{STRANGER}: changing LGTM is restricted to collaborators"
        ))),
        "{:?}",
        h.comments()
    );

    h.comment(PKG_REVIEWER, "/lgtm").await;
    assert!(h.labels().contains(&"lgtm".to_string()));
    assert_eq!(h.github.state().repos[0].pulls[0].assignees, [PKG_REVIEWER]);
    let before = h.bot_comments().len();
    // Saying it again changes nothing and writes nothing.
    h.comment(PKG_REVIEWER, "/lgtm").await;
    assert_eq!(h.bot_comments().len(), before);

    h.pull_request("synchronize", HEAD_3).await;
    assert!(!h.labels().contains(&"lgtm".to_string()));
    assert!(
        h.comments()
            .iter()
            .any(|(u, b)| u == BOT && b == REMOVED_NOTIFICATION),
        "{:?}",
        h.comments()
    );

    // The author may cancel; a new lgtm prunes the removal notice.
    h.comment(PKG_REVIEWER, "/lgtm").await;
    assert!(h.labels().contains(&"lgtm".to_string()));
    assert!(!h.comments().iter().any(|(_, b)| b == REMOVED_NOTIFICATION));
    h.comment(AUTHOR, "/lgtm cancel").await;
    assert!(!h.labels().contains(&"lgtm".to_string()));
}

#[tokio::test]
async fn lgtm_survives_a_push_with_the_same_tree() {
    let extra = format!("lgtm:\n- repos: [{ORG}/{REPO}]\n  store_tree_hash: true\n");
    let h = Harness::start(&plugins_yaml(&extra), state(&["pkg/greet.go"], &[])).await;
    h.comment(ROOT_REVIEWER, "/lgtm").await;
    assert!(h.labels().contains(&"lgtm".to_string()));
    assert!(
        h.comments()
            .iter()
            .any(|(u, b)| u == BOT && *b == tree_hash_comment("tree-aaaa")),
        "{:?}",
        h.comments()
    );
    h.pull_request("synchronize", HEAD_2).await;
    assert!(
        h.labels().contains(&"lgtm".to_string()),
        "same tree keeps lgtm"
    );
    h.pull_request("synchronize", HEAD_3).await;
    assert!(
        !h.labels().contains(&"lgtm".to_string()),
        "new tree drops lgtm"
    );
    // store_tree_hash re-requests review from the assignees.
    assert!(
        !h.writes_to("POST", "/requested_reviewers").is_empty(),
        "review re-requested"
    );
}

fn notifiers(h: &Harness) -> Vec<String> {
    h.comments()
        .into_iter()
        .filter(|(u, b)| u == BOT && b.starts_with("[APPROVALNOTIFIER]"))
        .map(|(_, b)| b)
        .collect()
}

#[tokio::test]
async fn approve_needs_every_owners_file() {
    let h = Harness::start(&plugins_yaml(""), state(&["pkg/greet.go", "main.go"], &[])).await;

    h.comment(PKG_APPROVER, "/approve").await;
    assert!(!h.labels().contains(&"approved".to_string()));
    let notes = notifiers(&h);
    assert_eq!(notes.len(), 1, "{notes:?}");
    let note = &notes[0];
    assert!(
        note.starts_with("[APPROVALNOTIFIER] This PR is **NOT APPROVED**"),
        "{note}"
    );
    assert!(
        note.contains(&format!("title=\"Approved\">{PKG_APPROVER}</a>")),
        "{note}"
    );
    assert!(
        note.contains(&format!(
            "please assign [{ROOT_APPROVER}](https://github.com/{ROOT_APPROVER}) for approval"
        )),
        "the missing root approver is suggested: {note}"
    );
    assert!(
        note.contains(&format!(
            "- **[OWNERS](https://github.com/{ORG}/{REPO}/blob/main/OWNERS)**\n"
        )),
        "root OWNERS still needed: {note}"
    );

    // An approval by someone in no OWNERS file changes nothing visible.
    h.comment(STRANGER, "/approve").await;
    assert!(!h.labels().contains(&"approved".to_string()));

    h.comment(ROOT_APPROVER, "/approve").await;
    assert!(h.labels().contains(&"approved".to_string()));
    let notes = notifiers(&h);
    assert_eq!(notes.len(), 1, "one notifier, edited in place: {notes:?}");
    assert!(
        notes[0].starts_with("[APPROVALNOTIFIER] This PR is **APPROVED**"),
        "{}",
        notes[0]
    );
    assert!(
        notes[0].contains(&format!(
            "- ~~[OWNERS](https://github.com/{ORG}/{REPO}/blob/main/OWNERS)~~ [{ROOT_APPROVER}]"
        )),
        "{}",
        notes[0]
    );
    assert!(
        !h.writes_to("PATCH", "").is_empty(),
        "the notifier was edited"
    );

    // A push re-evaluates but leaves an up-to-date notifier alone.
    let patches = h.writes_to("PATCH", "").len();
    let posts = h.writes_to("POST", "/comments").len();
    h.pull_request("synchronize", HEAD_2).await;
    assert_eq!(h.writes_to("PATCH", "").len(), patches);
    assert_eq!(h.writes_to("POST", "/comments").len(), posts);
    assert!(h.labels().contains(&"approved".to_string()));

    h.comment(ROOT_APPROVER, "/approve cancel").await;
    assert!(!h.labels().contains(&"approved".to_string()));
    let notes = notifiers(&h);
    assert_eq!(notes.len(), 1);
    assert!(notes[0].starts_with("[APPROVALNOTIFIER] This PR is **NOT APPROVED**"));

    // A root approver alone covers everything below.
    h.comment(ROOT_APPROVER, "/approve").await;
    h.comment(PKG_APPROVER, "/remove-approve").await;
    assert!(h.labels().contains(&"approved".to_string()));
}

#[tokio::test]
async fn approve_requires_self_approval_when_configured() {
    let extra = format!(
        "approve:\n- repos: [{ORG}]\n  require_self_approval: true\n  issue_required: true\n"
    );
    let h = Harness::start(&plugins_yaml(&extra), state(&["pkg/greet.go"], &[])).await;
    h.comment(PKG_APPROVER, "/approve").await;
    assert!(
        !h.labels().contains(&"approved".to_string()),
        "an issue is required"
    );
    let notes = notifiers(&h);
    assert!(notes[0].contains("*No associated issue*."), "{}", notes[0]);
    h.comment(PKG_APPROVER, "/approve no-issue").await;
    assert!(h.labels().contains(&"approved".to_string()));
    assert!(
        notifiers(&h)[0].contains("Associated issue requirement bypassed by:"),
        "{}",
        notifiers(&h)[0]
    );
}

#[tokio::test]
async fn blunderbuss_requests_owners_reviewers_on_open() {
    let h = Harness::start(&plugins_yaml(""), state(&["pkg/greet.go", "main.go"], &[])).await;
    h.pull_request("opened", HEAD_1).await;
    let requested = h.github.state().repos[0].pulls[0]
        .requested_reviewers
        .clone();
    let mut requested_sorted = requested.clone();
    requested_sorted.sort();
    assert_eq!(
        requested_sorted,
        [ROOT_REVIEWER, PKG_REVIEWER],
        "one reviewer per OWNERS file, never the author"
    );
    // A synchronize does not ask again.
    let before = h.writes_to("POST", "/requested_reviewers").len();
    h.pull_request("synchronize", HEAD_2).await;
    assert_eq!(h.writes_to("POST", "/requested_reviewers").len(), before);
}

#[tokio::test]
async fn verify_owners_flags_invalid_and_untrusted_owners() {
    let h = Harness::start(
        &plugins_yaml(""),
        state(
            &["pkg/OWNERS", "pkg/greet.go"],
            &[("pkg/OWNERS", "approvers: [pat\nreviewers: [rita]\n")],
        ),
    )
    .await;
    h.pull_request("opened", HEAD_1).await;
    assert!(h.labels().contains(&INVALID_OWNERS.to_string()));
    let comments = h.comments();
    assert!(
        comments.iter().any(|(u, b)| u == BOT
            && b.contains("1 invalid OWNERS file")
            && b.contains("`pkg/OWNERS`: Cannot parse file")),
        "{comments:?}"
    );

    // The author fixes the file but adds a stranger.
    h.github.state().repos[0].contents.push(
        serde_json::from_value(json!({"path": "pkg/OWNERS", "ref": HEAD_3,
            "content": format!("approvers: [pat, {STRANGER}]\nreviewers: [rita]\n")}))
        .expect("content"),
    );
    h.pull_request("synchronize", HEAD_3).await;
    assert!(h.labels().contains(&INVALID_OWNERS.to_string()));
    assert!(
        h.comments().iter().any(|(u, b)| u == BOT
            && b.starts_with("The OWNERS file contains untrusted users")
            && b.contains(&format!("- {STRANGER}\n"))),
        "{:?}",
        h.comments()
    );

    // A trusted owner instead: the label and the untrusted comment go away.
    h.github.state().repos[0].contents.push(
        serde_json::from_value(json!({"path": "pkg/OWNERS", "ref": HEAD_2,
            "content": format!("approvers: [pat, {ROOT_REVIEWER}]\nreviewers: [rita]\n")}))
        .expect("content"),
    );
    h.pull_request("synchronize", HEAD_2).await;
    assert!(!h.labels().contains(&INVALID_OWNERS.to_string()));
    assert!(
        !h.comments()
            .iter()
            .any(|(_, b)| b.starts_with("The OWNERS file contains untrusted users")),
        "{:?}",
        h.comments()
    );
}

#[tokio::test]
async fn reviews_act_as_lgtm_and_approval() {
    let extra = format!("lgtm:\n- repos: [{ORG}]\n  review_acts_as_lgtm: true\n");
    let h = Harness::start(
        &plugins_yaml(&extra),
        state(&["pkg/greet.go", "main.go"], &[]),
    )
    .await;

    h.review(PKG_APPROVER, "approved", "").await;
    assert!(
        h.labels().contains(&"lgtm".to_string()),
        "an approving review acts as /lgtm"
    );
    assert!(
        !h.labels().contains(&"approved".to_string()),
        "pkg/ alone is not enough"
    );

    h.review(ROOT_APPROVER, "approved", "Looks right.").await;
    assert!(
        h.labels().contains(&"approved".to_string()),
        "approving reviews approve"
    );
    let notes = notifiers(&h);
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(
        notes[0].starts_with("[APPROVALNOTIFIER] This PR is **APPROVED**"),
        "{}",
        notes[0]
    );

    h.review(ROOT_APPROVER, "changes_requested", "Wait.").await;
    assert!(
        !h.labels().contains(&"lgtm".to_string()),
        "changes requested removes lgtm"
    );
    assert!(
        !h.labels().contains(&"approved".to_string()),
        "and cancels the approval"
    );

    // A review whose body is a command counts as the command.
    h.review(ROOT_REVIEWER, "commented", "/lgtm").await;
    assert!(h.labels().contains(&"lgtm".to_string()));
}

#[tokio::test]
async fn approved_added_by_a_human_is_kept() {
    let h = Harness::start(&plugins_yaml(""), state(&["main.go"], &[])).await;
    h.pull_request("opened", HEAD_1).await;
    assert!(notifiers(&h)[0].starts_with("[APPROVALNOTIFIER] This PR is **NOT APPROVED**"));
    h.github.state().repos[0].pulls[0]
        .labels
        .push("approved".to_string());
    let payload = PayloadEdit::new(payload("pull_request", "labeled").expect("payload"))
        .expect("parse")
        .repo(ORG, REPO)
        .number(PR)
        .sender(ROOT_REVIEWER)
        .set("/label", json!({"name": "approved", "color": "0ffa16"}))
        .set("/pull_request/user/login", json!(AUTHOR))
        .set("/pull_request/base/sha", json!(BASE_SHA))
        .set("/pull_request/base/ref", json!("main"))
        .set("/pull_request/state", json!("open"))
        .set(
            "/pull_request/html_url",
            json!(format!("{}/{ORG}/{REPO}/pull/{PR}", h.github.url())),
        )
        .into_bytes()
        .expect("bytes");
    h.send("pull_request", payload).await;
    assert!(h.labels().contains(&"approved".to_string()), "kept");
    let note = &notifiers(&h)[0];
    assert!(
        note.contains("Approval requirements bypassed by manually added approval."),
        "{note}"
    );
    // Later events keep honouring it.
    h.pull_request("synchronize", HEAD_2).await;
    assert!(h.labels().contains(&"approved".to_string()));
}

#[tokio::test]
async fn owners_files_are_read_once_per_commit() {
    let github = FakeGitHub::start().await.expect("fake github");
    github.load_state(state(&["pkg/greet.go"], &[]));
    let client = GitHubClient::new(
        ClientConfig {
            endpoint: github.url(),
            ..ClientConfig::default()
        },
        Credentials::Token(Secret::new("test-token")),
    )
    .expect("github client");
    let contents_reads = || {
        github
            .requests()
            .iter()
            .filter(|r| r.path.contains("/contents/"))
            .count()
    };
    let loader = OwnersLoader::new(1);
    let names = hook::owners::OwnersFilenames::default();
    let files = vec!["pkg/util/greet.go".to_string()];
    let owners = loader
        .load(&client, ORG, REPO, BASE_SHA, &names, &files)
        .await
        .expect("load");
    assert_eq!(
        owners.approvers("pkg/util/greet.go").set(),
        [PKG_APPROVER.to_string(), ROOT_APPROVER.to_string()].into()
    );
    // OWNERS_ALIASES, pkg/util/OWNERS (absent), pkg/OWNERS, OWNERS.
    assert_eq!(contents_reads(), 4);
    loader
        .load(&client, ORG, REPO, BASE_SHA, &names, &files)
        .await
        .expect("load");
    assert_eq!(contents_reads(), 4, "cached, absent files included");
    // Another commit evicts the first (capacity 1), so coming back reads again.
    loader
        .load(&client, ORG, REPO, HEAD_1, &names, &files)
        .await
        .expect("load");
    assert_eq!(loader.cached_commits(), 1);
    loader
        .load(&client, ORG, REPO, BASE_SHA, &names, &files)
        .await
        .expect("load");
    assert_eq!(contents_reads(), 12);
}
