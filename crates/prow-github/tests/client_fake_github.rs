//! The REST client against the real fake GitHub HTTP server on 127.0.0.1.

use std::path::Path;
use std::time::Duration;

use prow_github::types::{NewStatus, StatusState};
use prow_github::{ClientConfig, Credentials, Error, GitHub, GitHubClient, RetryPolicy, Secret};
use prow_testkit::fake_github::{FakeGitHub, Fault, FaultAction, PullFile};

const ORG: &str = "prow-rs-demo";
const REPO: &str = "hello";

async fn demo_github() -> FakeGitHub {
    let github = FakeGitHub::start().await.expect("fake GitHub starts");
    let state = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../prow-testkit/testdata/fake-github/demo-state.json");
    github.load_state_file(&state).expect("demo state loads");
    github
}

/// Tiny waits so retries are fast; the logic under test is the same.
fn config(github: &FakeGitHub) -> ClientConfig {
    ClientConfig {
        endpoint: github.url(),
        request_timeout: Duration::from_secs(10),
        retry: RetryPolicy {
            max_retries: 3,
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(20),
            max_rate_limit_wait: Duration::from_secs(10),
            secondary_limit_wait: Duration::from_millis(10),
        },
        ..ClientConfig::default()
    }
}

fn client(github: &FakeGitHub) -> GitHubClient {
    GitHubClient::new(config(github), Credentials::Token(Secret::new("t0ken")))
        .expect("client builds")
}

fn requests_to(github: &FakeGitHub, path: &str) -> Vec<(String, u16, Option<String>)> {
    github
        .requests()
        .into_iter()
        .filter(|r| r.path == path)
        .map(|r| (r.method, r.status, r.query))
        .collect()
}

#[tokio::test]
async fn list_calls_follow_every_page() {
    let github = demo_github().await;
    let files: Vec<PullFile> = (0..65)
        .map(|i| PullFile {
            filename: format!("dir/file-{i:02}.go"),
            status: "modified".into(),
            additions: i,
            ..PullFile::default()
        })
        .collect();
    github.state().repos[0].pulls[0].files = files;
    let client = GitHubClient::new(
        ClientConfig {
            page_size: 30,
            ..config(&github)
        },
        Credentials::Token(Secret::new("t0ken")),
    )
    .expect("client builds");

    let got = client
        .list_pull_request_files(ORG, REPO, 1)
        .await
        .expect("lists files");

    let names: Vec<String> = got.iter().map(|f| f.filename.clone()).collect();
    let want: Vec<String> = (0..65).map(|i| format!("dir/file-{i:02}.go")).collect();
    assert_eq!(names, want);
    assert_eq!(got[64].additions, 64);
    let pages = requests_to(&github, "/repos/prow-rs-demo/hello/pulls/1/files");
    assert_eq!(pages.len(), 3, "65 files at 30 per page: {pages:?}");
}

#[tokio::test]
async fn repeated_read_is_a_free_conditional_request() {
    let github = demo_github().await;
    let client = client(&github);

    let first = client
        .get_pull_request(ORG, REPO, 1)
        .await
        .expect("first read");
    let remaining_after_first = github.rate_limit().remaining;
    let second = client
        .get_pull_request(ORG, REPO, 1)
        .await
        .expect("second read");

    assert_eq!(first, second);
    assert_eq!(first.head.sha, "9d8c7b6a5f4e3d2c1b0a99887766554433221100");
    assert_eq!(
        github.rate_limit().remaining,
        remaining_after_first,
        "a 304 costs no rate limit"
    );
    let reads: Vec<_> = github
        .requests()
        .into_iter()
        .filter(|r| r.path == "/repos/prow-rs-demo/hello/pulls/1")
        .collect();
    assert_eq!(reads.len(), 2);
    assert_eq!(reads[0].status, 200);
    assert!(reads[0].if_none_match.is_none());
    assert_eq!(reads[1].status, 304);
    assert!(
        reads[1].if_none_match.is_some(),
        "second read is conditional"
    );
    assert_eq!(client.metrics().cache_hits.get(), 1);
}

#[tokio::test]
async fn server_errors_are_retried() {
    let github = demo_github().await;
    github.add_fault(Fault::new(
        Some("GET"),
        "/repos/prow-rs-demo/hello/pulls/1",
        2,
        FaultAction::Status {
            status: 502,
            message: None,
        },
    ));
    let client = client(&github);

    let pr = client
        .get_pull_request(ORG, REPO, 1)
        .await
        .expect("retried to success");

    assert_eq!(pr.number, 1);
    let statuses: Vec<u16> = requests_to(&github, "/repos/prow-rs-demo/hello/pulls/1")
        .into_iter()
        .map(|(_, status, _)| status)
        .collect();
    assert_eq!(statuses, [502, 502, 200]);
}

#[tokio::test]
async fn persistent_server_errors_give_up_with_the_status() {
    let github = demo_github().await;
    github.add_fault(Fault::new(
        Some("GET"),
        "/repos/prow-rs-demo/hello",
        10,
        FaultAction::Status {
            status: 503,
            message: Some("unicorns".into()),
        },
    ));
    let client = client(&github);

    let err = client.get_repo(ORG, REPO).await.expect_err("gives up");

    assert_eq!(err.status(), Some(503));
    assert!(err.to_string().contains("unicorns"), "{err}");
    assert!(err.to_string().contains("get_repo"), "{err}");
    assert_eq!(
        requests_to(&github, "/repos/prow-rs-demo/hello").len(),
        4,
        "1 + 3 retries"
    );
}

#[tokio::test]
async fn secondary_rate_limit_is_waited_out() {
    let github = demo_github().await;
    github.add_fault(Fault::new(
        Some("POST"),
        "/repos/prow-rs-demo/hello/issues/1/comments",
        1,
        FaultAction::SecondaryRateLimit { retry_after: 1 },
    ));
    let client = client(&github);

    let comment = client
        .create_issue_comment(ORG, REPO, 1, "/retest")
        .await
        .expect("posted after the secondary limit");

    assert_eq!(comment.body, "/retest");
    let statuses: Vec<u16> = requests_to(&github, "/repos/prow-rs-demo/hello/issues/1/comments")
        .into_iter()
        .map(|(_, status, _)| status)
        .collect();
    assert_eq!(statuses, [403, 201]);
}

#[tokio::test]
async fn exhausted_budget_waits_until_reset() {
    let github = demo_github().await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs();
    // Budget exhausted, resetting a second from now.
    let admin = reqwest::Client::new();
    admin
        .post(format!("{}/_fake/rate_limit", github.url()))
        .json(&serde_json::json!({"limit": 5000, "remaining": 0, "reset": now + 1}))
        .send()
        .await
        .expect("admin API answers")
        .error_for_status()
        .expect("budget set");
    let client = client(&github);
    // Play GitHub's part: once the client has been refused, the window resets.
    let refill = {
        let url = github.url();
        tokio::spawn(async move {
            let admin = reqwest::Client::new();
            loop {
                let requests: Vec<serde_json::Value> = admin
                    .get(format!("{url}/_fake/requests"))
                    .send()
                    .await
                    .expect("admin API answers")
                    .json()
                    .await
                    .expect("json");
                if requests.iter().any(|r| r["status"] == 403) {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            admin
                .post(format!("{url}/_fake/rate_limit"))
                .json(&serde_json::json!({"limit": 5000, "remaining": 5000, "reset": now + 3600}))
                .send()
                .await
                .expect("admin API answers");
        })
    };

    let repo = client
        .get_repo(ORG, REPO)
        .await
        .expect("read after the reset");
    refill.await.expect("refill task");

    assert_eq!(repo.default_branch, "main");
    let statuses: Vec<u16> = requests_to(&github, "/repos/prow-rs-demo/hello")
        .into_iter()
        .map(|(_, status, _)| status)
        .collect();
    assert_eq!(statuses, [403, 200]);
    assert_eq!(client.metrics().rate_limit_remaining.get(), 4999);
}

#[tokio::test]
async fn budget_resetting_too_late_is_an_error() {
    let github = demo_github().await;
    // The fake's window resets an hour from now; the client waits at most 10 s.
    github.add_fault(Fault::new(
        Some("GET"),
        "/repos/prow-rs-demo/hello",
        1,
        FaultAction::PrimaryRateLimit,
    ));
    let client = client(&github);

    let err = client.get_repo(ORG, REPO).await.expect_err("rate limited");

    assert!(matches!(err, Error::RateLimited { .. }), "{err}");
    assert_eq!(requests_to(&github, "/repos/prow-rs-demo/hello").len(), 1);
}

#[tokio::test]
async fn writes_reach_github() {
    let github = demo_github().await;
    let client = client(&github);
    let sha = "9d8c7b6a5f4e3d2c1b0a99887766554433221100";

    client
        .create_status(
            ORG,
            REPO,
            sha,
            &NewStatus {
                state: StatusState::Pending,
                context: "pull-hello-unit".into(),
                description: Some("Job triggered.".into()),
                target_url: Some("https://prow.example.com/view/1".into()),
            },
        )
        .await
        .expect("status created");
    let comment = client
        .create_issue_comment(ORG, REPO, 1, "first")
        .await
        .expect("comment created");
    client
        .edit_issue_comment(ORG, REPO, comment.id, "edited")
        .await
        .expect("comment edited");
    client
        .delete_issue_comment(ORG, REPO, comment.id)
        .await
        .expect("comment deleted");
    client
        .add_labels(
            ORG,
            REPO,
            1,
            &["lgtm".to_string(), "do-not-merge/hold".to_string()],
        )
        .await
        .expect("labels added");
    client
        .remove_label(ORG, REPO, 1, "do-not-merge/hold")
        .await
        .expect("label removed");
    client
        .remove_label(ORG, REPO, 1, "never-there")
        .await
        .expect("removing an absent label is not an error");

    let writes: Vec<(String, String, u16)> = github
        .writes()
        .into_iter()
        .map(|w| (w.method, w.path, w.status))
        .collect();
    let comment_path = format!("/repos/prow-rs-demo/hello/issues/comments/{}", comment.id);
    let want: Vec<(String, String, u16)> = vec![
        (
            "POST".into(),
            format!("/repos/prow-rs-demo/hello/statuses/{sha}"),
            201,
        ),
        (
            "POST".into(),
            "/repos/prow-rs-demo/hello/issues/1/comments".into(),
            201,
        ),
        ("PATCH".into(), comment_path.clone(), 200),
        ("DELETE".into(), comment_path, 204),
        (
            "POST".into(),
            "/repos/prow-rs-demo/hello/issues/1/labels".into(),
            200,
        ),
        (
            "DELETE".into(),
            "/repos/prow-rs-demo/hello/issues/1/labels/do-not-merge%2Fhold".into(),
            200,
        ),
        (
            "DELETE".into(),
            "/repos/prow-rs-demo/hello/issues/1/labels/never-there".into(),
            404,
        ),
    ];
    assert_eq!(writes, want);
    let status_body = &github.writes()[0].body;
    assert_eq!(status_body["state"], "pending");
    assert_eq!(status_body["context"], "pull-hello-unit");

    let combined = client
        .get_combined_status(ORG, REPO, sha)
        .await
        .expect("combined status");
    assert_eq!(combined.statuses.len(), 1);
    assert_eq!(combined.statuses[0].context, "pull-hello-unit");
    let labels: Vec<String> = client
        .list_issue_labels(ORG, REPO, 1)
        .await
        .expect("labels")
        .into_iter()
        .map(|l| l.name)
        .collect();
    assert!(labels.contains(&"lgtm".to_string()), "{labels:?}");
    assert!(
        !labels.contains(&"do-not-merge/hold".to_string()),
        "{labels:?}"
    );
}

#[tokio::test]
async fn reads_used_by_plugins() {
    let github = demo_github().await;
    let client = client(&github);

    assert_eq!(client.get_user().await.expect("user").login, "prow-rs-bot");
    assert!(
        client
            .is_org_member(ORG, "bob")
            .await
            .expect("member check")
    );
    assert!(
        !client
            .is_org_member(ORG, "carol")
            .await
            .expect("member check")
    );
    assert!(
        client
            .is_collaborator(ORG, REPO, "alice")
            .await
            .expect("collaborator")
    );
    assert!(
        !client
            .is_collaborator(ORG, REPO, "carol")
            .await
            .expect("collaborator")
    );
    assert_eq!(
        client
            .get_collaborator_permission(ORG, REPO, "bob")
            .await
            .expect("permission")
            .permission,
        "write"
    );
    let members: Vec<String> = client
        .list_org_members(ORG)
        .await
        .expect("members")
        .into_iter()
        .map(|u| u.login)
        .collect();
    assert!(members.contains(&"alice".to_string()) && members.contains(&"bob".to_string()));
    let owners = client
        .get_file(ORG, REPO, "OWNERS", Some("main"))
        .await
        .expect("file read")
        .expect("OWNERS exists");
    assert_eq!(
        String::from_utf8(owners).expect("utf-8"),
        "approvers:\n- alice\nreviewers:\n- alice\n- bob\n"
    );
    assert_eq!(
        client
            .get_file(ORG, REPO, "MISSING", None)
            .await
            .expect("read"),
        None
    );
    let protection = client
        .get_branch_protection(ORG, REPO, "main")
        .await
        .expect("protection read")
        .expect("main is protected");
    assert_eq!(
        protection
            .required_status_checks
            .expect("required checks")
            .contexts,
        ["pull-hello-unit"]
    );
    assert_eq!(
        client
            .get_branch_protection(ORG, REPO, "release-1.0")
            .await
            .expect("read"),
        None
    );
    let issue = client.get_issue(ORG, REPO, 1).await.expect("issue");
    assert!(issue.is_pull_request());
    assert!(issue.has_label("needs-ok-to-test"));
    let tag = client.get_ref(ORG, REPO, "tags/v1.0.0").await.expect("ref");
    assert_eq!(tag.object.sha, "7b2e4d6f8a0c1e3a5c7e9b1d3f5a7c9e0b2d4f61");
}

#[tokio::test]
async fn bad_credentials_are_reported_with_githubs_message() {
    let github = demo_github().await;
    github.set_tokens(vec!["right-token".into()]);
    let dir = tempfile::tempdir().expect("tempdir");
    let token_path = dir.path().join("token");
    std::fs::write(&token_path, "right-token\n").expect("write token");

    let good = GitHubClient::new(config(&github), Credentials::TokenFile(token_path))
        .expect("client builds");
    assert_eq!(
        good.get_repo(ORG, REPO).await.expect("authorized").name,
        REPO
    );

    let bad = GitHubClient::new(config(&github), Credentials::Token(Secret::new("wrong")))
        .expect("client builds");
    let err = bad.get_repo(ORG, REPO).await.expect_err("unauthorized");
    assert_eq!(err.status(), Some(401));
    assert!(err.to_string().contains("Bad credentials"), "{err}");
    assert!(
        !err.to_string().contains("wrong"),
        "the token never appears: {err}"
    );
    assert!(!format!("{bad:?}").contains("wrong"), "nor in Debug");
}

#[tokio::test]
async fn slow_answers_time_out_and_are_retried() {
    let github = demo_github().await;
    github.add_fault(Fault::new(
        Some("GET"),
        "/repos/prow-rs-demo/hello",
        1,
        FaultAction::Delay { millis: 2_000 },
    ));
    let client = GitHubClient::new(
        ClientConfig {
            request_timeout: Duration::from_millis(200),
            ..config(&github)
        },
        Credentials::Token(Secret::new("t0ken")),
    )
    .expect("client builds");

    let repo = client
        .get_repo(ORG, REPO)
        .await
        .expect("second attempt succeeds");

    assert_eq!(repo.name, REPO);
    let mut text = String::new();
    let mut registry = prometheus_client::registry::Registry::with_prefix("hook");
    client.metrics().register(&mut registry);
    prometheus_client::encoding::text::encode(&mut text, &registry).expect("encodes");
    assert!(
        text.contains(r#"hook_github_requests_total{method="GET",route="/repos/{owner}/{repo}",status="timeout"} 1"#),
        "{text}"
    );
    assert!(
        text.contains(
            r#"hook_github_retries_total{route="/repos/{owner}/{repo}",reason="transport"} 1"#
        ),
        "{text}"
    );
}

#[tokio::test]
async fn metrics_count_by_route_template_not_raw_path() {
    let github = demo_github().await;
    let client = client(&github);
    client.get_issue(ORG, REPO, 1).await.expect("issue 1");
    client.get_issue(ORG, REPO, 2).await.expect("issue 2");
    let err = client
        .get_issue(ORG, REPO, 999)
        .await
        .expect_err("no such issue");
    assert!(err.is_not_found(), "{err}");

    let mut text = String::new();
    let mut registry = prometheus_client::registry::Registry::default();
    client.metrics().register(&mut registry);
    prometheus_client::encoding::text::encode(&mut text, &registry).expect("encodes");

    let route = "/repos/{owner}/{repo}/issues/{number}";
    assert!(
        text.contains(&format!(
            r#"github_requests_total{{method="GET",route="{route}",status="200"}} 2"#
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            r#"github_requests_total{{method="GET",route="{route}",status="404"}} 1"#
        )),
        "{text}"
    );
    assert!(
        !text.contains("issues/1\""),
        "raw paths never become labels: {text}"
    );
    let remaining = github.rate_limit().remaining;
    assert!(
        text.contains(&format!("github_rate_limit_remaining {remaining}")),
        "{text}"
    );
}

#[tokio::test]
async fn dry_run_reads_but_never_writes() {
    let github = demo_github().await;
    let client: std::sync::Arc<dyn GitHub> =
        std::sync::Arc::new(prow_github::DryRunGitHub::new(client(&github)));

    let pr = client
        .get_pull_request(ORG, REPO, 1)
        .await
        .expect("reads go through");
    client
        .create_issue_comment(ORG, REPO, 1, "/lgtm")
        .await
        .expect("dry-run write succeeds");
    client
        .add_labels(ORG, REPO, 1, &["lgtm".to_string()])
        .await
        .expect("dry-run write succeeds");
    client
        .create_status(
            ORG,
            REPO,
            &pr.head.sha,
            &NewStatus {
                state: StatusState::Success,
                context: "ci".into(),
                description: None,
                target_url: None,
            },
        )
        .await
        .expect("dry-run write succeeds");

    assert_eq!(pr.number, 1);
    assert!(github.writes().is_empty(), "{:?}", github.writes());
    assert_eq!(github.requests().len(), 1, "only the read reached GitHub");
}

#[tokio::test]
async fn known_exhausted_budget_fails_fast_without_a_request() {
    let github = demo_github().await;
    // One request left in a window that resets in an hour.
    github.set_rate_limit(5000, 1);
    let client = client(&github);

    client
        .get_repo(ORG, REPO)
        .await
        .expect("the last request of the window");
    let err = client
        .get_issue(ORG, REPO, 1)
        .await
        .expect_err("budget known to be exhausted");

    assert!(matches!(err, Error::RateLimited { .. }), "{err}");
    assert_eq!(github.requests().len(), 1, "no request spent on a sure 403");
}

#[tokio::test]
async fn remaining_calls_round_trip_through_the_fake() {
    use prow_github::types::{
        BranchProtection, CheckRunOutput, CheckRunRequest, RequiredStatusChecks,
    };

    let github = demo_github().await;
    let client = client(&github);

    let teams: Vec<String> = client
        .list_teams(ORG)
        .await
        .expect("teams")
        .into_iter()
        .map(|t| t.slug)
        .collect();
    assert_eq!(teams, ["maintainers", "reviewers"]);
    let reviewers: Vec<String> = client
        .list_team_members(ORG, "reviewers")
        .await
        .expect("team members")
        .into_iter()
        .map(|u| u.login)
        .collect();
    assert_eq!(reviewers, ["alice", "bob"]);

    let all: Vec<String> = client
        .list_branches(ORG, REPO, false)
        .await
        .expect("branches")
        .into_iter()
        .map(|b| b.name)
        .collect();
    assert_eq!(all, ["main", "release-1.0"]);
    let protected: Vec<String> = client
        .list_branches(ORG, REPO, true)
        .await
        .expect("protected branches")
        .into_iter()
        .map(|b| b.name)
        .collect();
    assert_eq!(protected, ["main"]);

    let wanted = BranchProtection {
        required_status_checks: Some(RequiredStatusChecks {
            strict: true,
            contexts: vec!["pull-hello-unit".into(), "pull-hello-lint".into()],
        }),
        enforce_admins: Some(true),
        ..BranchProtection::default()
    };
    client
        .update_branch_protection(ORG, REPO, "release-1.0", &wanted)
        .await
        .expect("protection written");
    let read_back = client
        .get_branch_protection(ORG, REPO, "release-1.0")
        .await
        .expect("protection read")
        .expect("now protected");
    assert_eq!(
        read_back.required_status_checks,
        wanted.required_status_checks
    );
    assert_eq!(read_back.enforce_admins, Some(true));
    client
        .remove_branch_protection(ORG, REPO, "release-1.0")
        .await
        .expect("protection removed");
    assert_eq!(
        client
            .get_branch_protection(ORG, REPO, "release-1.0")
            .await
            .expect("read"),
        None
    );

    let sha = "9d8c7b6a5f4e3d2c1b0a99887766554433221100";
    let created = client
        .create_check_run(
            ORG,
            REPO,
            &CheckRunRequest {
                name: Some("pull-hello-unit".into()),
                head_sha: Some(sha.into()),
                status: Some("in_progress".into()),
                external_id: Some("prowjob-1".into()),
                ..CheckRunRequest::default()
            },
        )
        .await
        .expect("check run created");
    assert_eq!(created.head_sha, sha);
    let updated = client
        .update_check_run(
            ORG,
            REPO,
            created.id,
            &CheckRunRequest {
                status: Some("completed".into()),
                conclusion: Some("success".into()),
                output: Some(CheckRunOutput {
                    title: "Passed".into(),
                    summary: "All good".into(),
                }),
                ..CheckRunRequest::default()
            },
        )
        .await
        .expect("check run updated");
    assert_eq!(updated.id, created.id);
    assert_eq!(updated.conclusion.as_deref(), Some("success"));

    client
        .request_reviewers(ORG, REPO, 1, &["alice".to_string()])
        .await
        .expect("review requested");
    client
        .remove_requested_reviewers(ORG, REPO, 1, &["bob".to_string()])
        .await
        .expect("review request removed");
    let requested: Vec<String> = client
        .get_pull_request(ORG, REPO, 1)
        .await
        .expect("pr")
        .requested_reviewers
        .into_iter()
        .map(|u| u.login)
        .collect();
    assert_eq!(requested, ["alice"]);

    client
        .add_assignees(ORG, REPO, 2, &["bob".to_string()])
        .await
        .expect("assigned");
    assert_eq!(
        client
            .get_issue(ORG, REPO, 2)
            .await
            .expect("issue")
            .assignees[0]
            .login,
        "bob"
    );
    client
        .remove_assignees(ORG, REPO, 2, &["bob".to_string()])
        .await
        .expect("unassigned");
    assert!(
        client
            .get_issue(ORG, REPO, 2)
            .await
            .expect("issue")
            .assignees
            .is_empty()
    );

    let comments = client
        .list_issue_comments(ORG, REPO, 1)
        .await
        .expect("comments");
    assert_eq!(comments[0].body, "Ready for review!");
    assert_eq!(comments[0].user.login, "carol");
    let repo_labels = client.list_repo_labels(ORG, REPO).await.expect("labels");
    assert_eq!(repo_labels.len(), 6);
    assert!(
        client
            .list_reviews(ORG, REPO, 1)
            .await
            .expect("reviews")
            .is_empty()
    );
}

#[tokio::test]
async fn review_calls_report_who_github_refused() {
    let github = demo_github().await;
    let client = client(&github);

    // carol opened PR 1: asking her, a stranger or a team of another org is refused; alice and
    // the org's team are asked. The whole request is retried one by one after GitHub's 422.
    let refused = client
        .request_reviewers(
            ORG,
            REPO,
            1,
            &[
                "alice".to_string(),
                "carol".to_string(),
                "mallory".to_string(),
                format!("{ORG}/reviewers"),
                "elsewhere/team".to_string(),
            ],
        )
        .await
        .expect("review requested");
    assert_eq!(refused, ["carol", "mallory", "elsewhere/team"]);
    let pr = client.get_pull_request(ORG, REPO, 1).await.expect("pr");
    let requested: Vec<String> = pr
        .requested_reviewers
        .into_iter()
        .map(|u| u.login)
        .collect();
    assert_eq!(requested, ["bob", "alice"], "bob was asked before");
    let teams: Vec<String> = github
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/requested_reviewers") && r.status == 201)
        .map(|r| r.path)
        .collect();
    assert_eq!(teams.len(), 2, "alice alone, then the team alone");

    // GitHub silently drops people it may not assign; the client names them.
    let missing = client
        .add_assignees(ORG, REPO, 2, &["bob".to_string(), "mallory".to_string()])
        .await
        .expect("assigned");
    assert_eq!(missing, ["mallory"]);
    let issue = client.get_issue(ORG, REPO, 2).await.expect("issue");
    let assignees: Vec<String> = issue.assignees.into_iter().map(|u| u.login).collect();
    assert_eq!(assignees, ["bob"]);

    // Title and state edits.
    let edited = client
        .update_issue(
            ORG,
            REPO,
            2,
            &prow_github::types::IssueUpdate::title("New title"),
        )
        .await
        .expect("retitled");
    assert_eq!(edited.title, "New title");
    let closed = client
        .update_issue(
            ORG,
            REPO,
            1,
            &prow_github::types::IssueUpdate::state("closed"),
        )
        .await
        .expect("closed");
    assert_eq!(closed.state, "closed");
    assert_eq!(
        client
            .get_pull_request(ORG, REPO, 1)
            .await
            .expect("pr")
            .state,
        "closed"
    );
}

#[tokio::test]
async fn dry_run_review_writes_answer_without_writing() {
    let github = demo_github().await;
    let client: std::sync::Arc<dyn GitHub> =
        std::sync::Arc::new(prow_github::DryRunGitHub::new(client(&github)));
    let edited = client
        .update_issue(
            ORG,
            REPO,
            2,
            &prow_github::types::IssueUpdate::title("Renamed"),
        )
        .await
        .expect("dry-run edit succeeds");
    assert_eq!(edited.title, "Renamed", "the answer shows the edit");
    let missing = client
        .add_assignees(ORG, REPO, 2, &["mallory".to_string()])
        .await
        .expect("dry-run assign succeeds");
    assert!(missing.is_empty(), "nobody is reported refused");
    let refused = client
        .request_reviewers(ORG, REPO, 1, &["mallory".to_string()])
        .await
        .expect("dry-run request succeeds");
    assert!(refused.is_empty());
    assert!(github.writes().is_empty(), "{:?}", github.writes());
    assert_ne!(
        client.get_issue(ORG, REPO, 2).await.expect("issue").title,
        "Renamed"
    );
}
