//! The job page against a real API server: a finished run's archived log, metadata and
//! artifacts from a `file://` bucket in Prow's layout (a large log in chunks); a running
//! run's live log from its Pod (run by the local node agent); histories; hidden runs 404.

mod support;

use std::time::Duration;

use kube::api::{Api, PostParams};
use prow_api::{
    DecorationConfig, GcsConfiguration, ProwJob, ProwJobSpec, ProwJobState, ProwJobType,
};
use prow_testkit::control_plane::ControlPlane;
use support::{create_job, get, presubmit, start_deck, wait_for_count, write_config};

fn decorated(mut spec: ProwJobSpec, bucket: &str) -> ProwJobSpec {
    spec.decoration_config = Some(DecorationConfig {
        gcs_configuration: Some(GcsConfiguration {
            bucket: bucket.into(),
            path_strategy: "explicit".into(),
            ..GcsConfiguration::default()
        }),
        ..DecorationConfig::default()
    });
    spec
}

#[tokio::test]
async fn job_page_archived_and_live_logs_histories_and_hidden() {
    support::init();
    let plane = ControlPlane::shared().await;
    let ns = plane.test_namespace("deck-job").await;
    let client = plane.client();
    let dir = tempfile::tempdir().expect("tempdir");
    let bucket_dir = dir.path().join("bucket");
    let bucket = format!("file://{}", bucket_dir.display());
    let config = write_config(dir.path(), ns.name(), "");
    let api: Api<ProwJob> = Api::namespaced(client.clone(), ns.name());

    // a finished periodic whose files are in the bucket (build id 1010 = 1000 + 10)
    let run = bucket_dir.join("logs/ci-e2e/1010");
    std::fs::create_dir_all(run.join("artifacts")).expect("mkdir");
    let mut log = String::from("\u{1b}[32mPASS\u{1b}[0m first <line>\n");
    for i in 2..=20_000 {
        log.push_str(&format!("line {i} of a long log with some padding text\n"));
    }
    std::fs::write(run.join("build-log.txt"), &log).expect("write log");
    std::fs::write(
        run.join("started.json"),
        r#"{"timestamp":1767225610,"node":"node-a"}"#,
    )
    .expect("write");
    std::fs::write(
        run.join("finished.json"),
        r#"{"timestamp":1767225671,"passed":false,"result":"FAILURE"}"#,
    )
    .expect("write");
    std::fs::write(run.join("artifacts/junit_01.xml"), "<testsuite/>").expect("write");
    create_job(
        &api,
        "done-1",
        decorated(ProwJobSpec::new(ProwJobType::Periodic, "ci-e2e"), &bucket),
        ProwJobState::Failure,
        10,
    )
    .await;
    create_job(
        &api,
        "done-0",
        decorated(ProwJobSpec::new(ProwJobType::Periodic, "ci-e2e"), &bucket),
        ProwJobState::Success,
        5,
    )
    .await;
    // two presubmit runs of one PR at two commits
    let mut first = presubmit("pull-unit", "k", "infra", 5, "alice", "feature");
    create_job(&api, "pr-a", first.clone(), ProwJobState::Failure, 20).await;
    if let Some(refs) = first.refs.as_mut() {
        refs.pulls[0].sha = "fffffffffeee".into();
    }
    create_job(&api, "pr-b", first, ProwJobState::Success, 30).await;
    // a hidden run
    let mut hidden = ProwJobSpec::new(ProwJobType::Periodic, "ci-hidden");
    hidden.hidden = true;
    create_job(&api, "hidden-1", hidden, ProwJobState::Failure, 40).await;
    // a running job with a live Pod on the shared control plane's node agent
    let mut running = ProwJobSpec::new(ProwJobType::Periodic, "ci-live");
    running.namespace = ns.name().to_string();
    create_job(&api, "live-1", running, ProwJobState::Pending, 50).await;
    let pods: Api<k8s_openapi::api::core::v1::Pod> = Api::namespaced(client.clone(), ns.name());
    let pod: k8s_openapi::api::core::v1::Pod = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "live-1"},
        "spec": {"restartPolicy": "Never", "containers": [{"name": "test", "image": "none",
            "command": ["sh", "-c", "echo hello-live-log; sleep 2; echo \"<b>second</b>\"; exit 3"]}]}
    }))
    .expect("pod");
    pods.create(&PostParams::default(), &pod)
        .await
        .expect("create pod");

    let deck = start_deck(client, config).await;
    wait_for_count(&deck, 5).await;
    let base = deck.url();

    // finished run: facts, metadata, artifacts and the first chunk of the log
    let (status, headers, html) = get(&format!("{base}/job/done-1")).await;
    assert_eq!(status, 200, "{html}");
    assert!(headers.contains_key("content-security-policy"));
    assert!(html.contains("state-failure"), "state shown");
    assert!(
        html.contains("<span class=\"f2\">PASS</span> first &lt;line&gt;"),
        "ANSI colour, escaped text"
    );
    assert!(
        html.contains("id=\"L1\"") && html.contains("href=\"#L1\""),
        "line links"
    );
    assert!(html.contains("id=\"log-search\""), "search box");
    assert!(
        html.contains("FAILURE") && html.contains("node-a"),
        "finished.json and started.json"
    );
    assert!(
        html.contains("/job/done-1/artifact/artifacts/junit_01.xml"),
        "artifact listed"
    );
    assert!(
        !html.contains("id=\"L20000\""),
        "a large log is not sent whole"
    );
    let next = html
        .split("data-next=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("more to load");
    let line = html
        .split("data-line=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("next line number");

    // the rest of the log in chunks, continuing the numbering, until the last line
    let (mut offset, mut line): (u64, u64) =
        (next.parse().expect("offset"), line.parse().expect("line"));
    let mut chunks = 0;
    loop {
        let (status, _, body) = get(&format!(
            "{base}/job/done-1/log?offset={offset}&line={line}"
        ))
        .await;
        assert_eq!(status, 200, "{body}");
        let chunk: serde_json::Value = serde_json::from_str(&body).expect("json");
        let html = chunk["html"].as_str().expect("html");
        assert!(
            html.starts_with(&format!("<div class=\"l\" id=\"L{line}\">")),
            "numbering continues at {line}"
        );
        chunks += 1;
        if chunk["eof"].as_bool() == Some(true) {
            assert!(
                html.contains("id=\"L20000\"") && html.contains("line 20000 of"),
                "last line"
            );
            assert_eq!(chunk["total_bytes"].as_u64(), Some(log.len() as u64));
            break;
        }
        offset = chunk["next_offset"].as_u64().expect("offset");
        line = chunk["next_line"].as_u64().expect("line");
        assert!(chunks < 50, "chunks progress");
    }
    assert!(chunks >= 2, "the log came in several chunks");
    let (status, _, raw) = get(&format!("{base}/job/done-1/artifact/build-log.txt")).await;
    assert_eq!((status.as_u16(), raw.len()), (200, log.len()));
    let (status, _, _) = get(&format!("{base}/job/done-1/artifact/../../x")).await;
    assert_eq!(status, 404);

    // Prow's job links lead to the page
    let response = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .get(format!("{base}/view/gs/bucket/logs/ci-e2e/1010"))
        .send()
        .await
        .expect("GET");
    assert_eq!(response.headers()["location"], "/job/done-1");

    // histories
    let (status, _, html) = get(&format!("{base}/job-history/ci-e2e")).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("class=\"s-failure\" href=\"/job/done-1\"")
            && html.contains("class=\"s-success\" href=\"/job/done-0\"")
    );
    assert!(
        html.find("/job/done-1").expect("1") < html.find("/job/done-0").expect("0"),
        "newest first"
    );
    let (status, _, html) = get(&format!("{base}/pr-history?org=k&repo=infra&pr=5")).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("fffffff") && html.contains("0000005"),
        "both commits: {html}"
    );
    assert!(
        html.find("fffffff").expect("b") < html.find("0000005").expect("a"),
        "newest commit first"
    );

    // hidden run: 404 everywhere
    for path in [
        "/job/hidden-1",
        "/api/v1/jobs/hidden-1",
        "/job-history/ci-hidden",
        "/job/hidden-1/log",
    ] {
        let (status, _, _) = get(&format!("{base}{path}")).await;
        assert_eq!(status, 404, "{path}");
    }

    // running job: the page follows the Pod's log; the stream carries the lines as text
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let html = loop {
        let (_, _, html) = get(&format!("{base}/job/live-1")).await;
        if html.contains("data-live=")
            && !html.contains("<dt>Node</dt><dd></dd>")
            && html.contains(">test<")
        {
            break html;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "pod never showed: {html}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(html.contains("data-live=\"/job/live-1/live-log\""));
    let (status, headers, text) = get(&format!("{base}/job/live-1/live-log")).await;
    assert_eq!(status, 200);
    assert!(
        headers["content-type"]
            .to_str()
            .expect("ct")
            .starts_with("text/plain")
    );
    assert!(
        text.contains("hello-live-log") && text.contains("<b>second</b>"),
        "{text}"
    );
    // after the container exits, the page shows its exit code
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (_, _, html) = get(&format!("{base}/job/live-1")).await;
        if html.contains("<td>terminated</td><td>3</td>") {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "exit code never showed: {html}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    deck.stop().await;
}
