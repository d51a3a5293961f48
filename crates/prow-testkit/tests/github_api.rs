//! The fake GitHub server over real HTTP on 127.0.0.1: pagination, conditional requests,
//! rate limits, faults, recorded writes, errors and the admin API.

use prow_testkit::fake_github::{
    Branch, FakeGitHub, Fault, FaultAction, GitHubState, PullFile, PullRef, PullRequest, Repo,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

const DEMO_STATE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/testdata/fake-github/demo-state.json"
);

async fn demo() -> FakeGitHub {
    let github = FakeGitHub::start().await.expect("start fake GitHub");
    github
        .load_state_file(DEMO_STATE.as_ref())
        .expect("load demo state");
    github
}

fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

fn remaining(response: &reqwest::Response) -> u64 {
    header(response, "x-ratelimit-remaining")
        .and_then(|v| v.parse().ok())
        .expect("x-ratelimit-remaining header")
}

fn big_pull(file_count: usize) -> GitHubState {
    let files = (0..file_count)
        .map(|i| PullFile {
            filename: format!("pkg/file{i:03}.go"),
            additions: 1,
            ..PullFile::default()
        })
        .collect();
    GitHubState {
        repos: vec![Repo {
            owner: "o".into(),
            name: "r".into(),
            branches: vec![Branch {
                name: "main".into(),
                sha: "1111111".into(),
                ..Branch::default()
            }],
            pulls: vec![PullRequest {
                number: 7,
                title: "many files".into(),
                user: "alice".into(),
                head: PullRef {
                    branch: "big".into(),
                    sha: "2222222".into(),
                    repo: String::new(),
                },
                files,
                ..PullRequest::default()
            }],
            ..Repo::default()
        }],
        ..GitHubState::default()
    }
}

/// Parses `<url>; rel="name"` pairs.
fn link_rel(link: &str, rel: &str) -> Option<String> {
    link.split(", ").find_map(|part| {
        let (url, r) = part.split_once("; ")?;
        (r == format!("rel=\"{rel}\"")).then(|| url.trim_matches(['<', '>']).to_string())
    })
}

#[tokio::test]
async fn paginates_pull_request_files_with_exact_link_headers() {
    let github = FakeGitHub::start().await.expect("start");
    github.load_state(big_pull(65));
    let base = format!("{}/repos/o/r/pulls/7/files", github.url());
    let client = reqwest::Client::new();

    let first = client
        .get(format!("{base}?per_page=30"))
        .send()
        .await
        .expect("page 1");
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(
        header(&first, "link").as_deref(),
        Some(
            format!("<{base}?per_page=30&page=2>; rel=\"next\", <{base}?per_page=30&page=3>; rel=\"last\"")
                .as_str()
        )
    );

    let second = client
        .get(format!("{base}?per_page=30&page=2"))
        .send()
        .await
        .expect("page 2");
    assert_eq!(
        header(&second, "link").as_deref(),
        Some(
            format!(
                "<{base}?per_page=30&page=1>; rel=\"prev\", <{base}?per_page=30&page=3>; rel=\"next\", \
                 <{base}?per_page=30&page=3>; rel=\"last\", <{base}?per_page=30&page=1>; rel=\"first\""
            )
            .as_str()
        )
    );

    // Follow rel="next" like a client does and collect everything.
    let mut names = Vec::new();
    let mut pages = 0;
    let mut next = Some(format!("{base}?per_page=30"));
    while let Some(url) = next {
        let response = client.get(&url).send().await.expect("page");
        next = header(&response, "link").and_then(|l| link_rel(&l, "next"));
        let items: Vec<Value> = response.json().await.expect("json page");
        names.extend(
            items
                .iter()
                .map(|f| f["filename"].as_str().unwrap_or("").to_string()),
        );
        pages += 1;
    }
    assert_eq!(pages, 3);
    assert_eq!(names.len(), 65);
    assert_eq!(names.first().map(String::as_str), Some("pkg/file000.go"));
    assert_eq!(names.last().map(String::as_str), Some("pkg/file064.go"));
}

#[tokio::test]
async fn conditional_request_gets_304_and_is_not_counted() {
    let github = demo().await;
    let url = format!("{}/repos/prow-rs-demo/hello/pulls/1", github.url());
    let client = reqwest::Client::new();
    let first = client.get(&url).send().await.expect("get");
    assert_eq!(first.status(), StatusCode::OK);
    let etag = header(&first, "etag").expect("etag");
    assert!(etag.starts_with("W/\""), "{etag}");
    let before = remaining(&first);

    let second = client
        .get(&url)
        .header("if-none-match", &etag)
        .send()
        .await
        .expect("conditional get");
    assert_eq!(second.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(remaining(&second), before, "a 304 is not counted");
    assert_eq!(header(&second, "etag").as_deref(), Some(etag.as_str()));
    assert!(second.bytes().await.expect("body").is_empty());

    // A change invalidates the ETag.
    github
        .state()
        .repo_mut("prow-rs-demo", "hello")
        .expect("repo")
        .pulls[0]
        .title = "renamed".into();
    let third = client
        .get(&url)
        .header("if-none-match", &etag)
        .send()
        .await
        .expect("get after change");
    assert_eq!(third.status(), StatusCode::OK);
    assert_eq!(remaining(&third), before - 1);

    let recorded: Vec<_> = github
        .requests()
        .into_iter()
        .filter(|r| r.if_none_match.is_some())
        .map(|r| r.status)
        .collect();
    assert_eq!(recorded, vec![304, 200]);
}

#[tokio::test]
async fn primary_rate_limit_exhaustion() {
    let github = demo().await;
    github.set_rate_limit(5000, 2);
    let url = format!("{}/repos/prow-rs-demo/hello", github.url());
    let client = reqwest::Client::new();
    for left in [1, 0] {
        let ok = client.get(&url).send().await.expect("get");
        assert_eq!(ok.status(), StatusCode::OK);
        assert_eq!(remaining(&ok), left);
    }
    let limited = client.get(&url).send().await.expect("get");
    assert_eq!(limited.status(), StatusCode::FORBIDDEN);
    assert_eq!(remaining(&limited), 0);
    assert_eq!(
        header(&limited, "x-ratelimit-limit").as_deref(),
        Some("5000")
    );
    assert_eq!(
        header(&limited, "x-ratelimit-used").as_deref(),
        Some("5000")
    );
    let reset: u64 = header(&limited, "x-ratelimit-reset")
        .and_then(|v| v.parse().ok())
        .expect("reset");
    assert_eq!(reset, github.rate_limit().reset);
    let body: Value = limited.json().await.expect("json");
    let message = body["message"].as_str().unwrap_or("");
    assert!(
        message.starts_with("API rate limit exceeded for "),
        "{message}"
    );
    assert!(body["documentation_url"].is_string());

    // GET /rate_limit stays available and reports the exhausted budget.
    let rate: Value = client
        .get(format!("{}/rate_limit", github.url()))
        .send()
        .await
        .expect("rate_limit")
        .json()
        .await
        .expect("json");
    assert_eq!(rate["resources"]["core"]["remaining"], 0);
    assert_eq!(rate["rate"]["limit"], 5000);
}

#[tokio::test]
async fn secondary_rate_limit_has_retry_after() {
    let github = demo().await;
    github.add_fault(Fault::new(
        Some("POST"),
        "/repos/*/issues/*/comments",
        1,
        FaultAction::SecondaryRateLimit { retry_after: 42 },
    ));
    let url = format!(
        "{}/repos/prow-rs-demo/hello/issues/1/comments",
        github.url()
    );
    let client = reqwest::Client::new();
    let limited = client
        .post(&url)
        .json(&json!({"body": "hi"}))
        .send()
        .await
        .expect("post");
    assert_eq!(limited.status(), StatusCode::FORBIDDEN);
    assert_eq!(header(&limited, "retry-after").as_deref(), Some("42"));
    assert_ne!(remaining(&limited), 0);
    let request_id = header(&limited, "x-github-request-id").expect("request id");
    let body: Value = limited.json().await.expect("json");
    let message = body["message"].as_str().unwrap_or("");
    assert!(message.contains("secondary rate limit"), "{message}");
    assert!(message.contains(&request_id), "{message}");
    let retried = client
        .post(&url)
        .json(&json!({"body": "hi"}))
        .send()
        .await
        .expect("retry");
    assert_eq!(retried.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn injected_502_then_success() {
    let github = demo().await;
    github.add_fault(Fault::new(
        Some("GET"),
        "/repos/prow-rs-demo/hello/pulls/*",
        2,
        FaultAction::Status {
            status: 502,
            message: None,
        },
    ));
    let url = format!("{}/repos/prow-rs-demo/hello/pulls/1", github.url());
    let client = reqwest::Client::new();
    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(
            client
                .get(&url)
                .send()
                .await
                .expect("get")
                .status()
                .as_u16(),
        );
    }
    assert_eq!(statuses, vec![502, 502, 200]);
}

#[tokio::test]
async fn delay_fault_still_serves() {
    let github = demo().await;
    github.add_fault(Fault::new(
        None,
        "/user",
        1,
        FaultAction::Delay { millis: 20 },
    ));
    let user: Value = reqwest::get(format!("{}/user", github.url()))
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(user["login"], "prow-rs-bot");
    assert_eq!(user["type"], "Bot");
}

#[tokio::test]
async fn writes_are_recorded_with_bodies() {
    let github = demo().await;
    let api = format!("{}/repos/prow-rs-demo/hello", github.url());
    let client = reqwest::Client::new();
    let sha = "9d8c7b6a5f4e3d2c1b0a99887766554433221100";

    let status = client
        .post(format!("{api}/statuses/{sha}"))
        .json(&json!({"state": "pending", "context": "pull-hello-unit",
                      "description": "Job triggered.", "target_url": "http://deck/1"}))
        .send()
        .await
        .expect("status");
    assert_eq!(status.status(), StatusCode::CREATED);
    let combined: Value = client
        .get(format!("{api}/commits/{sha}/status"))
        .send()
        .await
        .expect("combined")
        .json()
        .await
        .expect("json");
    assert_eq!(combined["state"], "pending");
    assert_eq!(combined["total_count"], 1);

    let created: Value = client
        .post(format!("{api}/issues/1/comments"))
        .json(&json!({"body": "/test all"}))
        .send()
        .await
        .expect("comment")
        .json()
        .await
        .expect("json");
    let id = created["id"].as_u64().expect("comment id");
    assert_eq!(created["user"]["login"], "prow-rs-bot");
    let edited = client
        .patch(format!("{api}/issues/comments/{id}"))
        .json(&json!({"body": "/retest"}))
        .send()
        .await
        .expect("edit");
    assert_eq!(edited.status(), StatusCode::OK);
    let deleted = client
        .delete(format!("{api}/issues/comments/{id}"))
        .send()
        .await
        .expect("delete");
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);

    let added: Value = client
        .post(format!("{api}/issues/1/labels"))
        .json(&json!({"labels": ["lgtm"]}))
        .send()
        .await
        .expect("add label")
        .json()
        .await
        .expect("json");
    let names: Vec<&str> = added
        .as_array()
        .expect("labels")
        .iter()
        .filter_map(|l| l["name"].as_str())
        .collect();
    assert_eq!(names, vec!["needs-ok-to-test", "kind/feature", "lgtm"]);
    let removed = client
        .delete(format!("{api}/issues/1/labels/lgtm"))
        .send()
        .await
        .expect("remove label");
    assert_eq!(removed.status(), StatusCode::OK);
    let absent = client
        .delete(format!("{api}/issues/1/labels/do-not-merge%2Fhold"))
        .send()
        .await
        .expect("remove absent label");
    assert_eq!(absent.status(), StatusCode::NOT_FOUND);
    let body: Value = absent.json().await.expect("json");
    assert_eq!(body["message"], "Label does not exist");

    let writes: Vec<(String, String, u16)> = github
        .writes()
        .into_iter()
        .map(|w| (w.method, w.path, w.status))
        .collect();
    let path = |p: &str| format!("/repos/prow-rs-demo/hello{p}");
    assert_eq!(
        writes,
        vec![
            ("POST".into(), path(&format!("/statuses/{sha}")), 201),
            ("POST".into(), path("/issues/1/comments"), 201),
            ("PATCH".into(), path(&format!("/issues/comments/{id}")), 200),
            (
                "DELETE".into(),
                path(&format!("/issues/comments/{id}")),
                204
            ),
            ("POST".into(), path("/issues/1/labels"), 200),
            ("DELETE".into(), path("/issues/1/labels/lgtm"), 200),
            (
                "DELETE".into(),
                path("/issues/1/labels/do-not-merge%2Fhold"),
                404
            ),
        ]
    );
    let first = &github.writes()[0];
    assert_eq!(first.body["context"], "pull-hello-unit");
    assert!(first.at.ends_with('Z'));
    let state = github.state();
    let repo = state.repo("prow-rs-demo", "hello").expect("repo");
    assert_eq!(repo.comments.len(), 1, "only the seeded comment remains");
    assert_eq!(
        repo.pull(1).expect("pull").labels,
        vec!["needs-ok-to-test", "kind/feature"]
    );
}

#[tokio::test]
async fn tokens_errors_and_validation() {
    let github = demo().await;
    github.set_tokens(vec!["s3cret".into()]);
    let client = reqwest::Client::new();
    let url = format!("{}/repos/prow-rs-demo/hello", github.url());

    let anonymous = client.get(&url).send().await.expect("get");
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let body: Value = anonymous.json().await.expect("json");
    assert_eq!(body["message"], "Bad credentials");
    let wrong = client
        .get(&url)
        .bearer_auth("nope")
        .send()
        .await
        .expect("get");
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    for scheme in ["Bearer", "token"] {
        let ok = client
            .get(&url)
            .header("authorization", format!("{scheme} s3cret"))
            .send()
            .await
            .expect("get");
        assert_eq!(ok.status(), StatusCode::OK, "{scheme}");
    }

    let missing = client
        .get(format!("{}/repos/prow-rs-demo/nope", github.url()))
        .bearer_auth("s3cret")
        .send()
        .await
        .expect("get");
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let body: Value = missing.json().await.expect("json");
    assert_eq!(body["message"], "Not Found");
    assert!(body["documentation_url"].is_string());

    let invalid = client
        .post(format!("{url}/statuses/abc1234"))
        .bearer_auth("s3cret")
        .json(&json!({"state": "great"}))
        .send()
        .await
        .expect("post");
    assert_eq!(invalid.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = invalid.json().await.expect("json");
    assert_eq!(body["message"], "Validation Failed");
    assert_eq!(body["errors"][0]["field"], "state");

    let duplicate = client
        .post(format!("{url}/labels"))
        .bearer_auth("s3cret")
        .json(&json!({"name": "lgtm", "color": "00ff00"}))
        .send()
        .await
        .expect("post");
    assert_eq!(duplicate.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let auth_schemes: Vec<Option<String>> = github
        .requests()
        .into_iter()
        .map(|r| r.auth_scheme)
        .collect();
    assert_eq!(auth_schemes[0], None);
    assert_eq!(auth_schemes[2].as_deref(), Some("Bearer"));
    assert_eq!(auth_schemes[3].as_deref(), Some("token"));
}

#[tokio::test]
async fn org_membership_collaborators_contents_and_refs() {
    let github = demo().await;
    let client = reqwest::Client::new();
    let get = |path: &str| client.get(format!("{}{path}", github.url())).send();

    let cases = [
        ("/orgs/prow-rs-demo/members/alice", 204),
        ("/orgs/prow-rs-demo/members/carol", 404),
        ("/orgs/prow-rs-demo/memberships/bob", 200),
        ("/orgs/prow-rs-demo/memberships/carol", 404),
        ("/repos/prow-rs-demo/hello/collaborators/bob", 204),
        ("/repos/prow-rs-demo/hello/collaborators/carol", 404),
        ("/repos/prow-rs-demo/hello/contents/OWNERS?ref=main", 200),
        (
            "/repos/prow-rs-demo/hello/contents/OWNERS?ref=release-1.0",
            404,
        ),
        ("/repos/prow-rs-demo/hello/branches/main/protection", 200),
        (
            "/repos/prow-rs-demo/hello/branches/release-1.0/protection",
            404,
        ),
        ("/repos/prow-rs-demo/hello/git/ref/heads/main", 200),
        ("/repos/prow-rs-demo/hello/git/ref/tags/v1.0.0", 200),
        ("/repos/prow-rs-demo/hello/git/ref/heads/nope", 404),
        ("/repos/prow-rs-demo/hello/issues/2", 200),
        ("/repos/prow-rs-demo/hello/issues/3", 404),
        ("/users/carol", 200),
        ("/users/nobody-here", 404),
    ];
    for (path, want) in cases {
        let status = get(path).await.expect("get").status().as_u16();
        assert_eq!(status, want, "{path}");
    }

    let membership: Value = get("/orgs/prow-rs-demo/memberships/alice")
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(
        (membership["role"].as_str(), membership["state"].as_str()),
        (Some("admin"), Some("active"))
    );
    let permission: Value = get("/repos/prow-rs-demo/hello/collaborators/bob/permission")
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(permission["permission"], "write");
    let owners: Value = get("/repos/prow-rs-demo/hello/contents/OWNERS")
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(owners["encoding"], "base64");
    assert_eq!(
        owners["content"],
        "YXBwcm92ZXJzOgotIGFsaWNlCnJldmlld2VyczoKLSBhbGljZQotIGJvYgo="
    );
    let protected: Vec<Value> = get("/repos/prow-rs-demo/hello/branches?protected=true")
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(protected.len(), 1);
    assert_eq!(protected[0]["name"], "main");
    let issue: Value = get("/repos/prow-rs-demo/hello/issues/1")
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert!(
        issue["pull_request"]["url"].is_string(),
        "PRs are issues too"
    );
    let team: Vec<Value> = get("/orgs/prow-rs-demo/teams/reviewers/members")
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(team.len(), 2);
}

#[tokio::test]
async fn check_runs_are_created_updated_and_listed() {
    let github = demo().await;
    let api = format!("{}/repos/prow-rs-demo/hello", github.url());
    let client = reqwest::Client::new();
    let sha = "9d8c7b6a5f4e3d2c1b0a99887766554433221100";
    let created: Value = client
        .post(format!("{api}/check-runs"))
        .json(&json!({"name": "pull-hello-unit", "head_sha": sha, "status": "in_progress"}))
        .send()
        .await
        .expect("create")
        .json()
        .await
        .expect("json");
    let id = created["id"].as_u64().expect("id");
    let updated: Value = client
        .patch(format!("{api}/check-runs/{id}"))
        .json(&json!({"conclusion": "success", "output": {"title": "ok", "summary": "passed"}}))
        .send()
        .await
        .expect("update")
        .json()
        .await
        .expect("json");
    assert_eq!(updated["status"], "completed");
    assert_eq!(updated["conclusion"], "success");
    let listed: Value = client
        .get(format!("{api}/commits/{sha}/check-runs"))
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    assert_eq!(listed["total_count"], 1);
    assert_eq!(listed["check_runs"][0]["id"], id);
}

#[tokio::test]
async fn admin_api_loads_state_scripts_faults_and_resets() {
    let github = FakeGitHub::start().await.expect("start");
    let client = reqwest::Client::new();
    let admin = |path: &str| format!("{}/_fake/{path}", github.url());

    let before = client
        .get(format!("{}/repos/prow-rs-demo/hello", github.url()))
        .send()
        .await
        .expect("get");
    assert_eq!(before.status(), StatusCode::NOT_FOUND);

    let document = std::fs::read(DEMO_STATE).expect("demo state file");
    let loaded: Value = client
        .post(admin("state"))
        .body(document)
        .send()
        .await
        .expect("load")
        .json()
        .await
        .expect("json");
    assert_eq!(loaded["repos"], 1);
    let pulls: Vec<Value> = client
        .get(format!("{}/repos/prow-rs-demo/hello/pulls", github.url()))
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    assert_eq!(pulls.len(), 1);
    assert_eq!(pulls[0]["user"]["login"], "carol");
    assert_eq!(
        pulls[0]["head"]["sha"],
        "9d8c7b6a5f4e3d2c1b0a99887766554433221100"
    );

    let bad = client
        .post(admin("state"))
        .body(r#"{"repoz": []}"#)
        .send()
        .await
        .expect("bad load");
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);

    let fault = json!({"method": "GET", "path": "/user", "times": 1,
                       "action": {"kind": "status", "status": 503}});
    let added = client
        .post(admin("faults"))
        .json(&fault)
        .send()
        .await
        .expect("fault");
    assert_eq!(added.status(), StatusCode::OK);
    let user_url = format!("{}/user", github.url());
    assert_eq!(
        client.get(&user_url).send().await.expect("get").status(),
        503
    );
    assert_eq!(
        client.get(&user_url).send().await.expect("get").status(),
        200
    );

    client
        .post(format!(
            "{}/repos/prow-rs-demo/hello/issues/2/assignees",
            github.url()
        ))
        .json(&json!({"assignees": ["bob"]}))
        .send()
        .await
        .expect("assign");
    let writes: Vec<Value> = client
        .get(admin("writes"))
        .send()
        .await
        .expect("writes")
        .json()
        .await
        .expect("json");
    assert_eq!(writes.len(), 1);
    assert_eq!(writes[0]["body"]["assignees"][0], "bob");
    let requests: Vec<Value> = client
        .get(admin("requests"))
        .send()
        .await
        .expect("requests")
        .json()
        .await
        .expect("json");
    assert_eq!(requests.len(), 5, "admin calls are not recorded");

    client.post(admin("reset")).send().await.expect("reset");
    assert!(github.writes().is_empty());
    assert!(github.requests().is_empty());
    let state = github.state();
    let repo = state
        .repo("prow-rs-demo", "hello")
        .expect("data survives a plain reset");
    assert_eq!(repo.issues[0].assignees, vec!["bob"]);
}

#[tokio::test]
async fn combined_status_paginates_its_statuses() {
    let github = demo().await;
    let api = format!("{}/repos/prow-rs-demo/hello", github.url());
    let client = reqwest::Client::new();
    let sha = "9d8c7b6a5f4e3d2c1b0a99887766554433221100";
    for i in 0..35 {
        let state = if i == 34 { "failure" } else { "success" };
        let created = client
            .post(format!("{api}/statuses/{sha}"))
            .json(&json!({"state": state, "context": format!("job-{i:02}")}))
            .send()
            .await
            .expect("status");
        assert_eq!(created.status(), StatusCode::CREATED);
    }
    let url = format!("{api}/commits/{sha}/status?per_page=30");
    let first = client.get(&url).send().await.expect("page 1");
    let link = header(&first, "link").expect("link header");
    assert_eq!(
        link_rel(&link, "next").as_deref(),
        Some(format!("{api}/commits/{sha}/status?per_page=30&page=2").as_str())
    );
    let page: Value = first.json().await.expect("json");
    assert_eq!(page["state"], "failure");
    assert_eq!(page["total_count"], 35);
    assert_eq!(page["statuses"].as_array().map(Vec::len), Some(30));
    let second: Value = client
        .get(format!("{url}&page=2"))
        .send()
        .await
        .expect("page 2")
        .json()
        .await
        .expect("json");
    assert_eq!(second["statuses"].as_array().map(Vec::len), Some(5));
    assert_eq!(second["sha"], sha);
}

#[tokio::test]
async fn github_app_installation_token_flow() {
    let github = demo().await;
    github.set_tokens(vec!["pat".into()]);
    let client = reqwest::Client::new();
    let url = |path: &str| format!("{}{path}", github.url());
    let jwt = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiIxMjMifQ.c2lnbmF0dXJl";

    let garbage = client
        .get(url("/app"))
        .bearer_auth("not-a-jwt")
        .send()
        .await
        .expect("get");
    assert_eq!(garbage.status(), StatusCode::UNAUTHORIZED);
    let jwt_elsewhere = client
        .get(url("/user"))
        .bearer_auth(jwt)
        .send()
        .await
        .expect("get");
    assert_eq!(
        jwt_elsewhere.status(),
        StatusCode::UNAUTHORIZED,
        "a JWT only opens App routes"
    );

    let app: Value = client
        .get(url("/app"))
        .bearer_auth(jwt)
        .send()
        .await
        .expect("get app")
        .json()
        .await
        .expect("json");
    assert_eq!(app["slug"], "prow-rs-demo-app");
    let installation: Value = client
        .get(url("/orgs/prow-rs-demo/installation"))
        .bearer_auth(jwt)
        .send()
        .await
        .expect("installation")
        .json()
        .await
        .expect("json");
    assert_eq!(installation["account"]["login"], "prow-rs-demo");
    let id = installation["id"].as_u64().expect("installation id");
    let missing = client
        .get(url("/orgs/no-such-org/installation"))
        .bearer_auth(jwt)
        .send()
        .await
        .expect("installation");
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);

    let created = client
        .post(url(&format!("/app/installations/{id}/access_tokens")))
        .bearer_auth(jwt)
        .send()
        .await
        .expect("token");
    assert_eq!(created.status(), StatusCode::CREATED);
    let access: Value = created.json().await.expect("json");
    let token = access["token"].as_str().expect("token").to_string();
    assert!(token.starts_with("ghs_"));
    assert!(
        access["expires_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );

    let comment: Value = client
        .post(url("/repos/prow-rs-demo/hello/issues/1/comments"))
        .header("authorization", format!("token {token}"))
        .json(&json!({"body": "/lgtm"}))
        .send()
        .await
        .expect("comment")
        .json()
        .await
        .expect("json");
    assert_eq!(comment["user"]["login"], "prow-rs-demo-app[bot]");
    assert_eq!(comment["user"]["type"], "Bot");
    let with_pat: Value = client
        .post(url("/repos/prow-rs-demo/hello/issues/1/comments"))
        .bearer_auth("pat")
        .json(&json!({"body": "/hold"}))
        .send()
        .await
        .expect("comment")
        .json()
        .await
        .expect("json");
    assert_eq!(with_pat["user"]["login"], "prow-rs-bot");
}

#[tokio::test]
async fn primary_rate_limit_fault_from_the_admin_api() {
    let github = demo().await;
    let client = reqwest::Client::new();
    let fault = json!([{"path": "/repos/prow-rs-demo/hello/pulls*", "times": 1,
                        "action": {"kind": "primary_rate_limit"}}]);
    let added: Value = client
        .post(format!("{}/_fake/faults", github.url()))
        .json(&fault)
        .send()
        .await
        .expect("add fault")
        .json()
        .await
        .expect("json");
    assert_eq!(added["pending"], 1);
    let url = format!("{}/repos/prow-rs-demo/hello/pulls", github.url());
    let limited = client.get(&url).send().await.expect("get");
    assert_eq!(limited.status(), StatusCode::FORBIDDEN);
    assert_eq!(remaining(&limited), 0);
    let body: Value = limited.json().await.expect("json");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("API rate limit exceeded"))
    );
    let ok = client.get(&url).send().await.expect("get");
    assert_eq!(ok.status(), StatusCode::OK);
    assert!(remaining(&ok) > 0);
}

#[tokio::test]
async fn branch_protection_reads_back_in_githubs_shape() {
    let github = demo().await;
    let client = reqwest::Client::new();
    let url = format!(
        "{}/repos/prow-rs-demo/hello/branches/main/protection",
        github.url()
    );
    let body = json!({
        "required_status_checks": {"strict": true, "contexts": ["unit"]},
        "enforce_admins": true,
        "required_pull_request_reviews": null,
        "restrictions": null,
        "required_linear_history": true,
        "allow_force_pushes": false,
        "allow_deletions": false,
    });
    let put = client.put(&url).json(&body).send().await.expect("put");
    assert_eq!(put.status(), StatusCode::OK);
    let read: Value = client
        .get(&url)
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(read["required_linear_history"], json!({"enabled": true}));
    assert_eq!(read["allow_force_pushes"], json!({"enabled": false}));
    assert_eq!(read["enforce_admins"]["enabled"], true);
    assert_eq!(read["required_status_checks"]["contexts"], json!(["unit"]));
}
