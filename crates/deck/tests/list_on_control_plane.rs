//! deck against a real API server: ProwJobs created through the API appear in the list, the
//! JSON API, `/prowjobs.js` and the badge; filters and pages work; hidden jobs and hidden
//! repos appear nowhere; a `<script>` PR title is text; every answer has the CSP header.

mod support;

use kube::api::{Api, DeleteParams};
use prow_api::{ProwJob, ProwJobSpec, ProwJobState, ProwJobType};
use prow_testkit::control_plane::ControlPlane;
use support::{create_job, get, presubmit, start_deck, wait_for_count, write_config};

const SCRIPT_TITLE: &str = "<script>alert('pwned')</script> fix";

#[tokio::test]
async fn list_api_filters_hidden_escaping_and_headers() {
    support::init();
    let plane = ControlPlane::shared().await;
    let ns = plane.test_namespace("deck-list").await;
    let client = plane.client();
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(
        dir.path(),
        ns.name(),
        "deck:\n  hidden_repos:\n  - secret-org\n  - k/private\n",
    );
    let api: Api<ProwJob> = Api::namespaced(client.clone(), ns.name());

    use ProwJobState::*;
    create_job(
        &api,
        "pre-1",
        presubmit("pull-unit", "k", "infra", 7, "alice", SCRIPT_TITLE),
        Failure,
        10,
    )
    .await;
    create_job(
        &api,
        "pre-2",
        presubmit("pull-unit", "k", "infra", 8, "bob", "docs"),
        Success,
        20,
    )
    .await;
    create_job(
        &api,
        "pre-3",
        presubmit("pull-lint", "k", "infra", 8, "bob", "docs"),
        Pending,
        30,
    )
    .await;
    create_job(
        &api,
        "pre-4",
        presubmit("pull-unit", "k", "other", 1, "carol", "x"),
        Success,
        40,
    )
    .await;
    create_job(
        &api,
        "ci-1",
        ProwJobSpec::new(ProwJobType::Periodic, "ci-e2e"),
        Success,
        50,
    )
    .await;
    let mut hidden = ProwJobSpec::new(ProwJobType::Periodic, "ci-secret");
    hidden.hidden = true;
    create_job(&api, "hidden-1", hidden, Failure, 60).await;
    create_job(
        &api,
        "hidden-2",
        presubmit("pull-unit", "secret-org", "r", 2, "eve", "secret"),
        Failure,
        70,
    )
    .await;
    create_job(
        &api,
        "hidden-3",
        presubmit("pull-unit", "k", "private", 3, "eve", "private"),
        Failure,
        80,
    )
    .await;

    let deck = start_deck(client, config).await;
    wait_for_count(&deck, 5).await;
    let base = deck.url();

    // the list: newest first, every visible job, none of the hidden ones
    let (status, headers, html) = get(&format!("{base}/")).await;
    assert_eq!(status, 200);
    let csp = headers["content-security-policy"].to_str().expect("csp");
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert_eq!(headers["x-content-type-options"], "nosniff");
    for name in ["pre-1", "pre-2", "pre-3", "pre-4", "ci-1"] {
        assert!(html.contains(&format!("/job/{name}\"")), "{name} listed");
    }
    for secret in ["hidden-", "ci-secret", "secret-org", "k/private", "eve"] {
        assert!(
            !html.contains(secret),
            "{secret} must not appear in the list"
        );
    }
    let order: Vec<usize> = ["ci-1", "pre-4", "pre-3", "pre-2", "pre-1"]
        .iter()
        .map(|n| html.find(&format!("/job/{n}\"")).expect("row"))
        .collect();
    assert!(
        order.windows(2).all(|w| w[0] < w[1]),
        "newest first: {order:?}"
    );
    // the PR title is text, not markup
    assert!(
        !html.contains("<script>alert"),
        "script title must be escaped"
    );
    assert!(html.contains("&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt; fix"));
    assert!(!html.contains("<script>"), "no inline script at all");

    // filters combine and live in the URL; the form keeps them
    let cases: &[(&str, &[&str])] = &[
        ("type=presubmit", &["pre-4", "pre-3", "pre-2", "pre-1"]),
        ("repo=k/infra&job=pull-unit", &["pre-2", "pre-1"]),
        ("pull=8&author=bob", &["pre-3", "pre-2"]),
        ("state=failure", &["pre-1"]),
        ("type=periodic&state=success", &["ci-1"]),
        ("job=pull-*&repo=k/other", &["pre-4"]),
        ("repo=secret-org", &[]),
    ];
    for (query, expected) in cases {
        let (status, _, body) = get(&format!("{base}/api/v1/jobs?{query}")).await;
        assert_eq!(status, 200, "{query}");
        let value: serde_json::Value = serde_json::from_str(&body).expect("json");
        let names: Vec<&str> = value["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|i| i["name"].as_str().expect("name"))
            .collect();
        assert_eq!(names, *expected, "{query}");
        assert_eq!(
            value["total"].as_u64(),
            Some(expected.len() as u64),
            "{query}"
        );
        let (_, _, page) = get(&format!("{base}/?{query}")).await;
        for name in *expected {
            assert!(
                page.contains(&format!("/job/{name}\"")),
                "{query}: {name} on the page"
            );
        }
    }
    let (_, _, filtered) = get(&format!("{base}/?state=failure&repo=k%2Finfra")).await;
    assert!(
        filtered.contains("<option selected>failure</option>"),
        "form keeps the state"
    );
    assert!(
        filtered.contains("name=\"repo\" value=\"k/infra\""),
        "form keeps the repo"
    );

    // pages
    let (_, _, body) = get(&format!("{base}/api/v1/jobs?per_page=2&page=2")).await;
    let value: serde_json::Value = serde_json::from_str(&body).expect("json");
    let names: Vec<&str> = value["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["pre-3", "pre-2"]);
    assert_eq!(
        (value["total"].as_u64(), value["pages"].as_u64()),
        (Some(5), Some(3))
    );
    let (_, _, html) = get(&format!("{base}/?per_page=2&page=2")).await;
    assert!(
        html.contains("href=\"/?per_page=2&amp;page=3\""),
        "next page link"
    );
    assert!(
        html.contains("href=\"/?per_page=2&amp;page=1\""),
        "previous page link"
    );
    let (status, _, _) = get(&format!("{base}/api/v1/jobs?state=bogus")).await;
    assert_eq!(status, 400);

    // prowjobs.js: Prow's shape, hidden left out, omit works
    let (_, _, body) = get(&format!("{base}/prowjobs.js?omit=pod_spec,annotations")).await;
    let value: serde_json::Value = serde_json::from_str(&body).expect("json");
    let items = value["items"].as_array().expect("items");
    assert_eq!(items.len(), 5);
    assert!(
        items
            .iter()
            .all(|i| i["metadata"].get("managedFields").is_none()),
        "managedFields stripped"
    );
    assert!(!body.contains("hidden-") && !body.contains("ci-secret"));

    // badge: hidden runs never count
    let (status, headers, svg) = get(&format!("{base}/badge.svg?jobs=pull-unit")).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "image/svg+xml");
    assert!(
        svg.contains(">passing</text>"),
        "latest visible pull-unit run passed: {svg}"
    );
    let (_, _, svg) = get(&format!("{base}/badge.svg?jobs=ci-*")).await;
    assert!(
        svg.contains(">passing</text>"),
        "ci-secret is hidden: {svg}"
    );
    let (status, _, _) = get(&format!("{base}/badge.svg")).await;
    assert_eq!(status, 400);

    // read-only: no other method is routed
    let response = reqwest::Client::new()
        .post(format!("{base}/"))
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), 405);

    // a deleted ProwJob leaves the list
    api.delete("pre-4", &DeleteParams::default())
        .await
        .expect("delete");
    wait_for_count(&deck, 4).await;
    deck.stop().await;
}
