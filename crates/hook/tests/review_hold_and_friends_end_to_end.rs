//! The label and command review plugins (`hold`, `wip`, `label`, `assign`, `size`,
//! `lifecycle`, `help`, `retitle`, `skip`, `labeler`) end to end: signed recorded webhooks
//! (edited to the test repository) into hook's HTTP server in-process, the plugins talking to
//! the fake GitHub server through a real `GitHubClient`.
//!
//! The fake does not send webhooks itself, so where GitHub would answer a write with an event
//! (a new title, a push) the test sends that event next, with the state the fake now holds.
//! No Kubernetes is involved: these plugins never call it, so the services carry a client for
//! an address nothing listens on.

use std::sync::Arc;
use std::time::Duration;

use hook::app::register_review_plugins;
use hook::config_watch::ConfigWatch;
use hook::dispatch::Dispatcher;
use hook::metrics::HookMetrics;
use hook::plugin::Services;
use hook::registry::PluginRegistry;
use hook::server::{self, HookOptions, PluginHelpResponse};
use prow_config::LoadOptions;
use prow_github::webhook::HmacSecrets;
use prow_github::{ClientConfig, Credentials, GitHubClient, Secret};
use prow_testkit::fake_github::{FakeGitHub, GitHubState, PullFile, RecordedWrite};
use prow_testkit::webhook::{PayloadEdit, WebhookSender, payload};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

const SECRET: &[u8] = b"review-b-test-secret";
const ORG: &str = "prow-rs-demo";
const REPO: &str = "hello";
const BOT: &str = "prow-rs-bot";
/// Opens PR 7: a collaborator.
const AUTHOR: &str = "carol";
/// Org member and collaborator.
const MEMBER: &str = "alice";
/// Collaborator only.
const COLLABORATOR: &str = "bob";
/// In the `release-team` team.
const RELEASER: &str = "rene";
/// Neither member nor collaborator; opens issue 8.
const STRANGER: &str = "mallory";
/// Has never been near the repository.
const OUTSIDER: &str = "eve";
const PR: u64 = 7;
const ISSUE: u64 = 8;
const BASE_SHA: &str = "0123456789abcdef0123456789abcdef01234567";
const HEAD_1: &str = "1111111111111111111111111111111111111111";
const HEAD_2: &str = "2222222222222222222222222222222222222222";

const PLUGINS: &str = r#"
plugins:
  prow-rs-demo/hello: [hold, wip, label, assign, size, lifecycle, help, retitle, skip, labeler]
label:
  additional_labels: [tide/merge-method-squash]
  restricted_labels:
    prow-rs-demo/hello:
    - label: release-blocker
      allowed_teams: [release-team]
      allowed_users: [rene]
      remove_on_new_commits: true
      assign_on: [{label: kind/bug}]
    - label: docs-approved
      allow_approvers_from_owners: true
labeler:
  prow-rs-demo:
  - label: area/docs
    paths: ["docs/**", "*.md"]
  prow-rs-demo/hello:
  - label: area/hook
    paths: ["crates/hook/**"]
"#;

const JOBS: &str = r#"
presubmits:
  prow-rs-demo/hello:
  - name: unit
    always_run: true
    spec: {containers: [{image: alpine}]}
  - name: lint
    always_run: true
    optional: true
    spec: {containers: [{image: alpine}]}
  - name: e2e
    always_run: true
    optional: true
    spec: {containers: [{image: alpine}]}
  - name: docs
    always_run: true
    optional: true
    spec: {containers: [{image: alpine}]}
"#;

fn files(list: &[(&str, u64)]) -> Vec<PullFile> {
    list.iter()
        .map(|(name, additions)| PullFile {
            filename: name.to_string(),
            additions: *additions,
            ..PullFile::default()
        })
        .collect()
}

fn state() -> GitHubState {
    let collaborator = |login: &str| json!({"login": login, "permission": "write"});
    let labels = [
        "do-not-merge/hold",
        "do-not-merge/work-in-progress",
        "kind/bug",
        "kind/feature",
        "needs-kind",
        "tide/merge-method-squash",
        "release-blocker",
        "docs-approved",
        "help wanted",
        "good first issue",
        "lifecycle/frozen",
        "lifecycle/stale",
        "lgtm",
    ];
    serde_json::from_value(json!({
        "viewer": BOT,
        "users": [
            {"login": BOT, "type": "Bot"}, {"login": AUTHOR}, {"login": MEMBER},
            {"login": COLLABORATOR}, {"login": RELEASER}, {"login": STRANGER},
            {"login": OUTSIDER}
        ],
        "orgs": [{
            "login": ORG, "members": [MEMBER, RELEASER, BOT],
            "teams": [
                {"slug": "release-team", "members": [RELEASER]},
                {"slug": "docs-team", "members": [MEMBER], "repos": [REPO]}
            ]
        }],
        "repos": [{
            "owner": ORG, "name": REPO, "default_branch": "main",
            "collaborators": [
                collaborator(AUTHOR), collaborator(MEMBER), collaborator(COLLABORATOR),
                collaborator(BOT)
            ],
            "branches": [{"name": "main", "sha": BASE_SHA}],
            "labels": labels.iter().map(|l| json!({"name": l})).collect::<Vec<_>>(),
            "contents": [
                {"path": ".generated_files", "ref": BASE_SHA,
                 "content": "# vendored code is not reviewed\npath-prefix vendor/\n"},
                {"path": ".gitattributes", "ref": BASE_SHA,
                 "content": "*.pb.go linguist-generated=true\n"},
                {"path": "OWNERS", "ref": BASE_SHA,
                 "content": format!("approvers: [{COLLABORATOR}]\n")}
            ],
            "pulls": [{
                "number": PR, "title": "Greet in Go", "user": AUTHOR,
                "head": {"ref": "greet", "sha": HEAD_1},
                "base": {"ref": "main", "sha": BASE_SHA},
                "files": [{"filename": "main.go", "additions": 3}]
            }],
            "issues": [{"number": ISSUE, "title": "Greeting is rude", "user": STRANGER}]
        }]
    }))
    .expect("state")
}

struct Harness {
    /// hook's base URL.
    url: String,
    github: FakeGitHub,
    sender: WebhookSender,
    metrics: HookMetrics,
    shutdown: CancellationToken,
    _dir: tempfile::TempDir,
}

impl Harness {
    async fn start() -> Harness {
        let github = FakeGitHub::start().await.expect("fake github");
        github.load_state(state());
        let dir = tempfile::tempdir().expect("tempdir");
        let config_path = dir.path().join("config.yaml");
        let plugins_path = dir.path().join("plugins.yaml");
        std::fs::write(&config_path, format!("prowjob_namespace: default\n{JOBS}"))
            .expect("write config");
        std::fs::write(&plugins_path, PLUGINS).expect("write plugins");
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
        let mut registry = PluginRegistry::new();
        register_review_plugins(&mut registry);
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
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let shutdown = CancellationToken::new();
        tokio::spawn(server::serve(listener, router, shutdown.clone()));
        let token = shutdown.clone();
        tokio::spawn(async move {
            let _ = workers.run_with_grace(token, Duration::MAX).await;
        });
        Harness {
            sender: WebhookSender::new(format!("{url}/hook"), SECRET),
            url,
            github,
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

    /// A comment on `number` as GitHub would have it: stored by the fake, then delivered.
    async fn comment_on(&self, number: u64, author: &str, body: &str) {
        let (is_pr, issue_author, issue_state) = {
            let mut state = self.github.state();
            let id = state.allocate_id();
            let repo = &mut state.repos[0];
            repo.comments.push(
                serde_json::from_value(json!({
                    "id": id, "issue_number": number, "user": author, "body": body,
                    "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"
                }))
                .expect("comment"),
            );
            match repo.pulls.iter().find(|p| p.number == number) {
                Some(p) => (true, p.user.clone(), p.state.clone()),
                None => {
                    let issue = repo.issues.iter().find(|i| i.number == number);
                    let issue = issue.expect("issue exists");
                    (false, issue.user.clone(), issue.state.clone())
                }
            }
        };
        let mut edit = PayloadEdit::new(payload("issue_comment", "created").expect("payload"))
            .expect("parse")
            .repo(ORG, REPO)
            .number(number)
            .comment_body(body)
            .sender(author)
            .set("/issue/user/login", json!(issue_author))
            .set("/issue/state", json!(issue_state));
        if is_pr {
            edit = edit.on_pull_request();
        }
        self.send("issue_comment", edit.into_bytes().expect("bytes"))
            .await;
    }

    async fn comment(&self, author: &str, body: &str) {
        self.comment_on(PR, author, body).await;
    }

    /// A `pull_request` event carrying the PR as the fake holds it now. Actions without a
    /// recorded example (`edited`, `converted_to_draft`) reuse the `opened` recording.
    async fn pull_request(&self, action: &str) {
        self.pull_request_with(action, &[]).await;
    }

    /// [`Self::pull_request`] with extra JSON pointer edits.
    async fn pull_request_with(&self, action: &str, extra: &[(&str, Value)]) {
        let recorded = match action {
            "opened" | "synchronize" | "reopened" | "closed" => action,
            _ => "opened",
        };
        let (title, draft, head) = {
            let state = self.github.state();
            let pull = &state.repos[0].pulls[0];
            (pull.title.clone(), pull.draft, pull.head.sha.clone())
        };
        let payload = PayloadEdit::new(payload("pull_request", recorded).expect("payload"))
            .expect("parse")
            .repo(ORG, REPO)
            .number(PR)
            .head_sha(&head)
            .sender(AUTHOR)
            .action(action)
            .set("/pull_request/user/login", json!(AUTHOR))
            .set("/pull_request/title", json!(title))
            .set("/pull_request/draft", json!(draft))
            .set("/pull_request/state", json!("open"))
            .set("/pull_request/merged", json!(false))
            .set("/pull_request/base/sha", json!(BASE_SHA))
            .set("/pull_request/base/ref", json!("main"));
        let payload = extra
            .iter()
            .fold(payload, |edit, (pointer, value)| {
                edit.set(pointer, value.clone())
            })
            .into_bytes()
            .expect("bytes");
        self.send("pull_request", payload).await;
    }

    /// Replaces the PR's files and head commit, as a push would.
    fn push(&self, head: &str, changed: &[(&str, u64)]) {
        let mut state = self.github.state();
        let pull = &mut state.repos[0].pulls[0];
        pull.head.sha = head.to_string();
        pull.files = files(changed);
    }

    fn labels_of(&self, number: u64) -> Vec<String> {
        let state = self.github.state();
        let repo = &state.repos[0];
        match repo.pulls.iter().find(|p| p.number == number) {
            Some(p) => p.labels.clone(),
            None => repo
                .issues
                .iter()
                .find(|i| i.number == number)
                .map(|i| i.labels.clone())
                .unwrap_or_default(),
        }
    }

    fn labels(&self) -> Vec<String> {
        self.labels_of(PR)
    }

    /// Bodies of the bot's comments on `number` now.
    fn bot_comments_on(&self, number: u64) -> Vec<String> {
        let state = self.github.state();
        state.repos[0]
            .comments
            .iter()
            .filter(|c| c.issue_number == number && c.user == BOT)
            .map(|c| c.body.clone())
            .collect()
    }

    fn bot_comments(&self) -> Vec<String> {
        self.bot_comments_on(PR)
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

fn has(labels: &[String], name: &str) -> bool {
    labels.iter().any(|l| l == name)
}

#[tokio::test]
async fn hold_then_unhold() {
    let h = Harness::start().await;
    h.comment(STRANGER, "This needs a second look.\n/hold")
        .await;
    assert!(has(&h.labels(), "do-not-merge/hold"), "{:?}", h.labels());
    let adds = h.writes_to("POST", "/issues/7/labels").len();

    h.comment(MEMBER, "/hold").await;
    assert_eq!(
        h.writes_to("POST", "/issues/7/labels").len(),
        adds,
        "a repeated /hold writes nothing"
    );

    h.comment(MEMBER, "/unhold").await;
    assert!(!has(&h.labels(), "do-not-merge/hold"), "{:?}", h.labels());
    h.comment(MEMBER, "/hold cancel").await;
    assert_eq!(
        h.writes_to("DELETE", "/labels/do-not-merge%2Fhold").len(),
        1
    );
    assert!(h.bot_comments().is_empty(), "hold never comments");
}

#[tokio::test]
async fn wip_title_sets_the_label_and_retitle_clears_it() {
    let h = Harness::start().await;
    h.github.state().repos[0].pulls[0].title = "WIP: Greet in Go".into();
    h.pull_request("opened").await;
    assert!(has(&h.labels(), "do-not-merge/work-in-progress"));

    // Only trusted users may retitle, and not to a title that closes issues.
    h.comment(STRANGER, "/retitle Greet in Go").await;
    h.comment(COLLABORATOR, "/retitle Greet in Go, fixes #3")
        .await;
    let comments = h.bot_comments();
    assert_eq!(comments.len(), 2, "{comments:#?}");
    assert!(comments[0].contains("Re-titling can only be requested by trusted users"));
    assert!(comments[1].contains("Titles may not contain [keywords]"));
    assert_eq!(h.github.state().repos[0].pulls[0].title, "WIP: Greet in Go");

    h.comment(COLLABORATOR, "/retitle Greet in Go").await;
    assert_eq!(h.github.state().repos[0].pulls[0].title, "Greet in Go");
    // GitHub answers the new title with `edited`.
    h.pull_request("edited").await;
    assert!(!has(&h.labels(), "do-not-merge/work-in-progress"));

    // A draft is a work in progress whatever its title.
    h.github.state().repos[0].pulls[0].draft = true;
    h.pull_request("converted_to_draft").await;
    assert!(has(&h.labels(), "do-not-merge/work-in-progress"));
}

#[tokio::test]
async fn label_commands_add_remove_and_explain() {
    let h = Harness::start().await;
    h.comment(STRANGER, "/kind bug").await;
    assert!(has(&h.labels(), "kind/bug"));
    assert!(h.bot_comments().is_empty());

    // The repository has no kind/regression, and `foo` is not an additional label.
    h.comment(STRANGER, "/kind regression").await;
    h.comment(STRANGER, "/label foo").await;
    h.comment(STRANGER, "/label tide/merge-method-squash").await;
    let comments = h.bot_comments();
    assert_eq!(comments.len(), 2, "{comments:#?}");
    assert!(comments[0].contains(
        "The label(s) `kind/regression` cannot be applied, because the repository doesn't have them."
    ));
    assert!(comments[1].contains("The label(s) `/label foo` cannot be applied."));
    assert!(comments[1].contains(
        "These labels are supported: `tide/merge-method-squash, docs-approved, release-blocker`"
    ));
    assert!(has(&h.labels(), "tide/merge-method-squash"));

    // Restricted: refused for a collaborator, allowed for the team member.
    h.comment(COLLABORATOR, "/label release-blocker").await;
    assert!(!has(&h.labels(), "release-blocker"));
    let refusal = h.bot_comments().pop().unwrap_or_default();
    assert!(
        refusal.contains("Must be a member of one of these teams: release-team"),
        "{refusal}"
    );
    h.comment(RELEASER, "/label release-blocker").await;
    assert!(has(&h.labels(), "release-blocker"));

    // OWNERS approvers of every changed file may set a label that allows them.
    h.comment(STRANGER, "/label docs-approved").await;
    let refusal = h.bot_comments().pop().unwrap_or_default();
    assert!(
        refusal.contains("You are also not an OWNERS approver for every file changed by this PR."),
        "{refusal}"
    );
    h.comment(COLLABORATOR, "/label docs-approved").await;
    assert!(has(&h.labels(), "docs-approved"), "{:?}", h.labels());

    // Emptying the kind category asks for one again.
    h.comment(STRANGER, "/remove-kind bug").await;
    let labels = h.labels();
    assert!(
        !has(&labels, "kind/bug") && has(&labels, "needs-kind"),
        "{labels:?}"
    );
}

#[tokio::test]
async fn assign_and_cc_name_who_github_refused() {
    let h = Harness::start().await;
    h.comment(STRANGER, "/assign @eve").await;
    let comments = h.bot_comments();
    assert_eq!(comments.len(), 1, "{comments:#?}");
    assert!(comments[0].starts_with(&format!(
        "@{STRANGER}: GitHub didn't allow me to assign the following users: {OUTSIDER}."
    )));
    assert!(h.github.state().repos[0].pulls[0].assignees.is_empty());

    h.comment(COLLABORATOR, "/assign").await;
    assert_eq!(h.github.state().repos[0].pulls[0].assignees, [COLLABORATOR]);
    h.comment(COLLABORATOR, "/unassign").await;
    assert!(h.github.state().repos[0].pulls[0].assignees.is_empty());

    h.comment(MEMBER, &format!("/cc @{ORG}/docs-team @{COLLABORATOR}"))
        .await;
    {
        let state = h.github.state();
        let pull = &state.repos[0].pulls[0];
        assert_eq!(pull.requested_reviewers, [COLLABORATOR]);
        assert_eq!(pull.requested_teams, ["docs-team"]);
    }
    h.comment(MEMBER, &format!("/cc @{AUTHOR} @{OUTSIDER}"))
        .await;
    let refusal = h.bot_comments().pop().unwrap_or_default();
    assert!(
        refusal.contains(&format!(
            "GitHub didn't allow me to request PR reviews from the following users: {AUTHOR}, {OUTSIDER}."
        )),
        "{refusal}"
    );
    assert_eq!(h.bot_comments().len(), 2);
}

#[tokio::test]
async fn size_label_follows_the_pr_as_it_grows() {
    let h = Harness::start().await;
    // Generated files (vendor/ by .generated_files, *.pb.go by .gitattributes) do not count.
    h.push(
        HEAD_1,
        &[
            ("main.go", 5),
            ("vendor/lib/x.go", 4000),
            ("api/types.pb.go", 900),
        ],
    );
    h.pull_request("opened").await;
    assert_eq!(h.labels(), ["size/XS"]);

    h.push(HEAD_2, &[("main.go", 5), ("greet/greet.go", 140)]);
    h.pull_request("synchronize").await;
    assert_eq!(h.labels(), ["size/L"], "the old size label is replaced");
    assert_eq!(h.writes_to("DELETE", "/labels/size%2FXS").len(), 1);

    let adds = h.writes_to("POST", "/issues/7/labels").len();
    h.pull_request("synchronize").await;
    assert_eq!(h.writes_to("POST", "/issues/7/labels").len(), adds);
}

#[tokio::test]
async fn close_and_reopen_follow_prows_permissions() {
    let h = Harness::start().await;
    h.comment(STRANGER, "/close").await;
    assert_eq!(h.github.state().repos[0].pulls[0].state, "open");
    assert!(h.bot_comments()[0].contains(
        "You can't close an active issue/PR unless you authored it or you are a collaborator."
    ));

    h.comment(AUTHOR, "/close").await;
    assert_eq!(h.github.state().repos[0].pulls[0].state, "closed");
    assert!(
        h.bot_comments()[1].starts_with(&format!("@{AUTHOR}: Closed this PR.")),
        "{:?}",
        h.bot_comments()
    );

    h.comment(STRANGER, "/reopen").await;
    assert_eq!(h.github.state().repos[0].pulls[0].state, "closed");
    assert!(h.bot_comments()[2].contains("You can't reopen an issue/PR"));
    h.comment(COLLABORATOR, "/reopen").await;
    assert_eq!(h.github.state().repos[0].pulls[0].state, "open");

    // The stranger authored issue 8 and may close it.
    h.comment_on(ISSUE, STRANGER, "/close").await;
    assert_eq!(h.github.state().repos[0].issues[0].state, "closed");
    assert!(h.bot_comments_on(ISSUE)[0].contains("Closing this issue."));
}

#[tokio::test]
async fn lifecycle_labels_one_at_a_time() {
    let h = Harness::start().await;
    h.comment_on(ISSUE, OUTSIDER, "/lifecycle frozen").await;
    assert_eq!(h.labels_of(ISSUE), ["lifecycle/frozen"]);
    h.comment_on(ISSUE, OUTSIDER, "/lifecycle stale").await;
    assert_eq!(h.labels_of(ISSUE), ["lifecycle/stale"]);
    h.comment_on(ISSUE, OUTSIDER, "/remove-lifecycle stale")
        .await;
    assert!(h.labels_of(ISSUE).is_empty());

    h.comment(MEMBER, "/lifecycle frozen").await;
    assert!(h.labels().is_empty());
    assert!(
        h.bot_comments()[0]
            .contains("The `lifecycle/frozen` label cannot be applied to Pull Requests.")
    );
}

#[tokio::test]
async fn help_wanted_with_guidelines_and_removal() {
    let h = Harness::start().await;
    h.comment_on(ISSUE, OUTSIDER, "/help").await;
    assert_eq!(h.labels_of(ISSUE), ["help wanted"]);
    let comments = h.bot_comments_on(ISSUE);
    assert_eq!(comments.len(), 1);
    assert!(
        comments[0].contains("This request has been marked as needing help from a contributor.")
    );
    assert!(
        comments[0].contains("(https://git.k8s.io/community/contributors/guide/help-wanted.md)")
    );

    h.comment_on(ISSUE, MEMBER, "/help").await;
    assert_eq!(h.bot_comments_on(ISSUE).len(), 1, "no second comment");

    h.comment_on(ISSUE, MEMBER, "/remove-help").await;
    assert!(h.labels_of(ISSUE).is_empty());
    assert!(
        h.bot_comments_on(ISSUE).is_empty(),
        "the guidelines comment is pruned"
    );

    h.comment_on(ISSUE, MEMBER, "/good-first-issue").await;
    let mut labels = h.labels_of(ISSUE);
    labels.sort();
    assert_eq!(labels, ["good first issue", "help wanted"]);

    // Not on pull requests.
    h.comment(MEMBER, "/help").await;
    assert!(h.labels().is_empty());
}

#[tokio::test]
async fn skip_clears_failed_optional_contexts_only() {
    let h = Harness::start().await;
    {
        let mut state = h.github.state();
        let statuses: Vec<Value> = [
            ("unit", "failure"),
            ("lint", "failure"),
            ("e2e", "error"),
            ("docs", "success"),
        ]
        .iter()
        .map(|(context, state)| json!({"sha": HEAD_1, "context": context, "state": state}))
        .collect();
        state.repos[0].statuses = serde_json::from_value(json!(statuses)).expect("statuses");
    }
    // `/test e2e` in the same comment: trigger runs e2e, so skip leaves it.
    h.comment(STRANGER, "/skip\n/test e2e").await;
    let skipped: Vec<(String, Value)> = h
        .writes_to("POST", &format!("/statuses/{HEAD_1}"))
        .into_iter()
        .map(|w| {
            (
                w.body["context"].as_str().unwrap_or_default().to_string(),
                w.body,
            )
        })
        .collect();
    assert_eq!(skipped.len(), 1, "{skipped:#?}");
    assert_eq!(skipped[0].0, "lint");
    assert_eq!(skipped[0].1["state"], "success");
    assert_eq!(skipped[0].1["description"], "Skipped");

    h.comment(STRANGER, "/skip").await;
    let contexts: Vec<String> = h
        .writes_to("POST", &format!("/statuses/{HEAD_1}"))
        .into_iter()
        .map(|w| w.body["context"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        contexts,
        ["lint", "e2e"],
        "the required unit context stays red"
    );
}

#[tokio::test]
async fn labeler_follows_changed_paths() {
    let h = Harness::start().await;
    h.github.state().repos[0].pulls[0].labels = vec!["lgtm".into()];
    h.push(HEAD_1, &[("docs/guide.md", 3), ("main.go", 1)]);
    h.pull_request("opened").await;
    let mut labels = h.labels();
    labels.retain(|l| !l.starts_with("size/"));
    assert_eq!(labels, ["lgtm", "area/docs"]);

    h.push(HEAD_2, &[("crates/hook/src/lib.rs", 3)]);
    h.pull_request("synchronize").await;
    let mut labels = h.labels();
    labels.retain(|l| !l.starts_with("size/"));
    assert_eq!(
        labels,
        ["lgtm", "area/hook"],
        "docs no longer changed; lgtm is not managed"
    );
}

#[tokio::test]
async fn plugin_help_names_commands_and_who_may_use_them() {
    let h = Harness::start().await;
    let help: PluginHelpResponse = reqwest::get(format!("{}/plugin-help?repo={ORG}/{REPO}", h.url))
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    let commands = |plugin: &str| -> Vec<(String, String)> {
        help.plugin_help[plugin]
            .commands
            .iter()
            .map(|c| {
                let text = |key: &str| c[key].as_str().unwrap_or_default().to_string();
                (text("usage"), text("who_can_use"))
            })
            .collect()
    };
    for plugin in [
        "hold",
        "label",
        "assign",
        "lifecycle",
        "help",
        "retitle",
        "skip",
    ] {
        let listed = commands(plugin);
        assert!(!listed.is_empty(), "{plugin} lists its commands");
        for (usage, who) in listed {
            assert!(
                usage.starts_with('/') && !who.is_empty(),
                "{plugin}: {usage:?} {who:?}"
            );
        }
    }
    assert_eq!(commands("retitle")[0].1, "Collaborators on the repository.");
    for plugin in ["wip", "size", "labeler"] {
        assert!(!help.plugin_help[plugin].description.is_empty(), "{plugin}");
    }
    let labeler = help.plugin_help["labeler"]
        .config
        .clone()
        .unwrap_or_default();
    assert!(
        labeler.contains("area/docs: docs/**, *.md")
            && labeler.contains("area/hook: crates/hook/**"),
        "{labeler}"
    );
    let size = help.plugin_help["size"].config.clone().unwrap_or_default();
    assert!(size.contains("<li>size/XXL: 1000+</li>"), "{size}");
}

#[tokio::test]
async fn restricted_labels_assign_and_go_away_on_push() {
    let h = Harness::start().await;
    h.comment(RELEASER, "/label release-blocker").await;
    assert!(has(&h.labels(), "release-blocker"));

    // `assign_on`: adding kind/bug assigns the release-blocker's allowed users.
    h.comment(STRANGER, "/kind bug").await;
    h.pull_request_with("labeled", &[("/label", json!({"name": "kind/bug"}))])
        .await;
    assert_eq!(h.github.state().repos[0].pulls[0].assignees, [RELEASER]);

    // `remove_on_new_commits`.
    h.push(HEAD_2, &[("main.go", 4)]);
    h.pull_request("synchronize").await;
    let labels = h.labels();
    assert!(
        !has(&labels, "release-blocker") && has(&labels, "kind/bug"),
        "{labels:?}"
    );
}
