//! crier against the real local control plane and the fake GitHub server: ProwJobs are
//! created and their status patched through the status subresource the way plank does, and
//! the assertions read the fake server's recorded writes. Timeouts are failure bounds only.

mod support;

use std::time::Duration;

use kube::Api;
use prow_api::{ProwJob, ProwJobState, ProwJobType};
use prow_testkit::control_plane::ControlPlane;
use prow_testkit::fake_github::{Fault, FaultAction};

use crier::selection::ReporterSettings;
use support::*;

#[tokio::test]
async fn reports_each_state_only_while_leading() {
    let control_plane = ControlPlane::shared().await;
    let namespace = control_plane.test_namespace("crier-states").await;
    let api: Api<ProwJob> = Api::namespaced(control_plane.client(), namespace.name());
    let github = fake_github().await;
    let crier = Crier::start(
        control_plane.client(),
        namespace.name(),
        &github,
        settings(),
        false,
    );
    create_job(
        &api,
        "unit-1",
        "pull-hello-unit",
        ProwJobType::Presubmit,
        true,
    )
    .await;
    create_job(
        &api,
        "post-1",
        "post-hello-build",
        ProwJobType::Postsubmit,
        true,
    )
    .await;
    // not leading: nothing is reported
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(github.writes().is_empty(), "{:?}", github.writes());
    assert_eq!(recorded_state(&api, "unit-1").await, None);
    crier.lead.send_replace(true);
    wait_recorded(&api, "unit-1", ProwJobState::Triggered).await;
    wait_recorded(&api, "post-1", ProwJobState::Triggered).await;
    for state in [ProwJobState::Pending, ProwJobState::Success] {
        set_state(&api, "unit-1", state).await;
        set_state(&api, "post-1", state).await;
        wait_recorded(&api, "unit-1", state).await;
        wait_recorded(&api, "post-1", state).await;
    }
    assert_eq!(
        statuses(&github, "pull-hello-unit"),
        ["pending", "pending", "success"]
    );
    assert_eq!(
        statuses(&github, "post-hello-build"),
        ["pending", "pending", "success"]
    );
    let unit = status_writes(&github, "pull-hello-unit");
    assert!(
        unit.iter()
            .all(|w| w.path == format!("/repos/{ORG}/{REPO}/statuses/{HEAD_SHA}"))
    );
    let post = status_writes(&github, "post-hello-build");
    assert!(
        post.iter()
            .all(|w| w.path == format!("/repos/{ORG}/{REPO}/statuses/{BASE_SHA}"))
    );
    let last = unit.last().expect("a status");
    assert_eq!(
        last.body["target_url"],
        "https://prow.example.com/view/unit-1"
    );
    let description = last.body["description"].as_str().unwrap_or_default();
    assert!(description.starts_with("Job success."), "{description}");
    assert!(
        description.ends_with(&format!(" BaseSHA:{BASE_SHA}")),
        "{description}"
    );
    assert!(description.chars().count() <= 140);
    // success passes: no comment
    assert!(comment_writes(&github).is_empty());
    assert_eq!(crier.metrics.report_count("success", "success"), 2);
    crier.stop().await;
}

#[tokio::test]
async fn summary_comment_is_created_updated_and_deleted() {
    let control_plane = ControlPlane::shared().await;
    let namespace = control_plane.test_namespace("crier-comment").await;
    let api: Api<ProwJob> = Api::namespaced(control_plane.client(), namespace.name());
    let github = fake_github().await;
    let crier = Crier::start(
        control_plane.client(),
        namespace.name(),
        &github,
        settings(),
        true,
    );
    create_job(
        &api,
        "unit-1",
        "pull-hello-unit",
        ProwJobType::Presubmit,
        true,
    )
    .await;
    create_job(
        &api,
        "lint-1",
        "pull-hello-lint",
        ProwJobType::Presubmit,
        true,
    )
    .await;
    wait_recorded(&api, "unit-1", ProwJobState::Triggered).await;
    wait_recorded(&api, "lint-1", ProwJobState::Triggered).await;

    set_state(&api, "unit-1", ProwJobState::Failure).await;
    wait_recorded(&api, "unit-1", ProwJobState::Failure).await;
    let comments = report_comments(&github);
    assert_eq!(comments.len(), 1, "{comments:?}");
    assert!(
        comments[0].starts_with("@carol: The following test **failed**"),
        "{}",
        comments[0]
    );
    assert!(comments[0].contains(&format!(
        "pull-hello-unit | {HEAD_SHA} | [link](https://prow.example.com/view/unit-1) | true | `/test pull-hello-unit`"
    )));

    set_state(&api, "lint-1", ProwJobState::Failure).await;
    wait_recorded(&api, "lint-1", ProwJobState::Failure).await;
    let comments = report_comments(&github);
    assert_eq!(comments.len(), 1, "{comments:?}");
    assert!(comments[0].contains("following tests **failed**"));
    assert!(
        comments[0].contains("pull-hello-unit | ") && comments[0].contains("pull-hello-lint | ")
    );

    // /retest: new runs of both jobs pass
    for (name, context) in [("unit-2", "pull-hello-unit"), ("lint-2", "pull-hello-lint")] {
        create_job(&api, name, context, ProwJobType::Presubmit, true).await;
        set_state(&api, name, ProwJobState::Success).await;
        wait_recorded(&api, name, ProwJobState::Success).await;
    }
    assert!(report_comments(&github).is_empty());
    let writes: Vec<String> = comment_writes(&github)
        .iter()
        .map(|w| w.method.clone())
        .collect();
    // created once, edited in place on the second failure and when unit passed, then deleted
    assert_eq!(writes, ["POST", "PATCH", "PATCH", "DELETE"]);
    crier.stop().await;
}

#[tokio::test]
async fn aborted_reports_failure_and_report_false_is_never_reported() {
    let control_plane = ControlPlane::shared().await;
    let namespace = control_plane.test_namespace("crier-aborted").await;
    let api: Api<ProwJob> = Api::namespaced(control_plane.client(), namespace.name());
    let github = fake_github().await;
    let crier = Crier::start(
        control_plane.client(),
        namespace.name(),
        &github,
        settings(),
        true,
    );
    create_job(
        &api,
        "quiet-1",
        "pull-hello-quiet",
        ProwJobType::Presubmit,
        false,
    )
    .await;
    set_state(&api, "quiet-1", ProwJobState::Failure).await;
    create_job(
        &api,
        "unit-1",
        "pull-hello-unit",
        ProwJobType::Presubmit,
        true,
    )
    .await;
    set_state(&api, "unit-1", ProwJobState::Aborted).await;
    wait_recorded(&api, "unit-1", ProwJobState::Aborted).await;
    let unit = status_writes(&github, "pull-hello-unit");
    let last = unit.last().expect("a status");
    assert_eq!(last.body["state"], "failure");
    // an aborted job is not listed as failed
    assert!(report_comments(&github).is_empty());
    assert!(status_writes(&github, "pull-hello-quiet").is_empty());
    assert_eq!(recorded_state(&api, "quiet-1").await, None);
    crier.stop().await;
}

#[tokio::test]
async fn restarts_neither_repeat_nor_miss_a_report() {
    let control_plane = ControlPlane::shared().await;
    let namespace = control_plane.test_namespace("crier-restart").await;
    let api: Api<ProwJob> = Api::namespaced(control_plane.client(), namespace.name());
    let github = fake_github().await;

    let crier = Crier::start(
        control_plane.client(),
        namespace.name(),
        &github,
        settings(),
        true,
    );
    create_job(
        &api,
        "unit-1",
        "pull-hello-unit",
        ProwJobType::Presubmit,
        true,
    )
    .await;
    create_job(
        &api,
        "lint-1",
        "pull-hello-lint",
        ProwJobType::Presubmit,
        true,
    )
    .await;
    wait_recorded(&api, "unit-1", ProwJobState::Triggered).await;
    wait_recorded(&api, "lint-1", ProwJobState::Triggered).await;
    crier.stop().await;

    // while crier is down: unit starts, lint runs to completion
    set_state(&api, "unit-1", ProwJobState::Pending).await;
    set_state(&api, "lint-1", ProwJobState::Pending).await;
    set_state(&api, "lint-1", ProwJobState::Success).await;
    let crier = Crier::start(
        control_plane.client(),
        namespace.name(),
        &github,
        settings(),
        true,
    );
    wait_recorded(&api, "unit-1", ProwJobState::Pending).await;
    wait_recorded(&api, "lint-1", ProwJobState::Success).await;
    crier.stop().await;

    set_state(&api, "unit-1", ProwJobState::Success).await;
    let crier = Crier::start(
        control_plane.client(),
        namespace.name(),
        &github,
        settings(),
        true,
    );
    wait_recorded(&api, "unit-1", ProwJobState::Success).await;
    crier.stop().await;

    // a restart with nothing new reports nothing: a marker job created after the restart is
    // reported after the initial list of the others was reconciled
    let crier = Crier::start(
        control_plane.client(),
        namespace.name(),
        &github,
        settings(),
        true,
    );
    create_job(
        &api,
        "marker-1",
        "pull-hello-marker",
        ProwJobType::Presubmit,
        true,
    )
    .await;
    wait_recorded(&api, "marker-1", ProwJobState::Triggered).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    crier.stop().await;

    assert_eq!(
        statuses(&github, "pull-hello-unit"),
        ["pending", "pending", "success"]
    );
    assert_eq!(statuses(&github, "pull-hello-lint"), ["pending", "success"]);
    assert_eq!(statuses(&github, "pull-hello-marker"), ["pending"]);
}

#[tokio::test]
async fn github_errors_are_retried_and_reported_once() {
    let control_plane = ControlPlane::shared().await;
    let namespace = control_plane.test_namespace("crier-5xx").await;
    let api: Api<ProwJob> = Api::namespaced(control_plane.client(), namespace.name());
    let github = fake_github().await;
    github.add_fault(Fault::new(
        Some("POST"),
        &format!("/repos/{ORG}/{REPO}/statuses/*"),
        2,
        FaultAction::Status {
            status: 502,
            message: None,
        },
    ));
    // the comment fails once too: the status must not be sent again for it
    github.add_fault(Fault::new(
        Some("POST"),
        &format!("/repos/{ORG}/{REPO}/issues/1/comments"),
        1,
        FaultAction::Status {
            status: 503,
            message: None,
        },
    ));
    let crier = Crier::start(
        control_plane.client(),
        namespace.name(),
        &github,
        settings(),
        true,
    );
    create_job(
        &api,
        "unit-1",
        "pull-hello-unit",
        ProwJobType::Presubmit,
        true,
    )
    .await;
    wait_recorded(&api, "unit-1", ProwJobState::Triggered).await;
    set_state(&api, "unit-1", ProwJobState::Failure).await;
    wait_recorded(&api, "unit-1", ProwJobState::Failure).await;

    let attempts: Vec<u16> = status_writes(&github, "pull-hello-unit")
        .iter()
        .map(|w| w.status)
        .collect();
    assert_eq!(
        attempts,
        [502, 502, 201, 201],
        "two failed attempts, then one status per state"
    );
    assert_eq!(statuses(&github, "pull-hello-unit"), ["pending", "failure"]);
    assert_eq!(report_comments(&github).len(), 1);
    let errors = |variant: &str| {
        crier
            .metrics
            .errors
            .get_or_create(&crier::metrics::ErrorLabels {
                error: variant.to_string(),
            })
            .get()
    };
    assert_eq!(errors("CreateStatus"), 2);
    assert_eq!(errors("WriteComment"), 1);
    assert_eq!(crier.metrics.report_count("triggered", "error"), 2);
    assert_eq!(crier.metrics.report_count("failure", "error"), 1);
    crier.stop().await;
}

#[tokio::test]
async fn check_runs_replace_statuses_for_listed_repos() {
    let control_plane = ControlPlane::shared().await;
    let namespace = control_plane.test_namespace("crier-checks").await;
    let api: Api<ProwJob> = Api::namespaced(control_plane.client(), namespace.name());
    let github = fake_github().await;
    let settings = ReporterSettings {
        check_runs_repos: vec![format!("{ORG}/{REPO}")],
        ..settings()
    };
    let crier = Crier::start(
        control_plane.client(),
        namespace.name(),
        &github,
        settings,
        true,
    );
    create_job(
        &api,
        "unit-1",
        "pull-hello-unit",
        ProwJobType::Presubmit,
        true,
    )
    .await;
    wait_recorded(&api, "unit-1", ProwJobState::Triggered).await;
    set_state(&api, "unit-1", ProwJobState::Pending).await;
    wait_recorded(&api, "unit-1", ProwJobState::Pending).await;
    set_state(&api, "unit-1", ProwJobState::Success).await;
    wait_recorded(&api, "unit-1", ProwJobState::Success).await;
    assert!(status_writes(&github, "pull-hello-unit").is_empty());
    let runs: Vec<(String, String, String)> = github
        .writes()
        .iter()
        .filter(|w| {
            w.path
                .starts_with(&format!("/repos/{ORG}/{REPO}/check-runs"))
                && succeeded(w)
        })
        .map(|w| {
            (
                w.method.clone(),
                w.body["status"].as_str().unwrap_or_default().to_string(),
                w.body["conclusion"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect();
    // one check run, created queued, then updated in place
    let want = [
        ("POST", "queued", ""),
        ("PATCH", "in_progress", ""),
        ("PATCH", "completed", "success"),
    ]
    .map(|(m, s, c)| (m.to_string(), s.to_string(), c.to_string()));
    assert_eq!(runs, want);
    {
        let state = github.state();
        let repo = state
            .repos
            .iter()
            .find(|repo| repo.owner == ORG && repo.name == REPO)
            .expect("demo repo");
        assert_eq!(repo.check_runs.len(), 1);
        assert_eq!(repo.check_runs[0].conclusion.as_deref(), Some("success"));
    }
    crier.stop().await;
}

#[tokio::test]
async fn summary_comment_repos_get_one_comment_once_all_finished() {
    let control_plane = ControlPlane::shared().await;
    let namespace = control_plane.test_namespace("crier-summary").await;
    let api: Api<ProwJob> = Api::namespaced(control_plane.client(), namespace.name());
    let github = fake_github().await;
    let settings = ReporterSettings {
        summary_comment_repos: vec![ORG.to_string()],
        ..settings()
    };
    let crier = Crier::start(
        control_plane.client(),
        namespace.name(),
        &github,
        settings,
        true,
    );
    create_job(
        &api,
        "unit-1",
        "pull-hello-unit",
        ProwJobType::Presubmit,
        true,
    )
    .await;
    create_job(
        &api,
        "lint-1",
        "pull-hello-lint",
        ProwJobType::Presubmit,
        true,
    )
    .await;
    set_state(&api, "unit-1", ProwJobState::Success).await;
    wait_recorded(&api, "unit-1", ProwJobState::Success).await;
    // lint still runs: no comment yet
    assert!(report_comments(&github).is_empty());
    set_state(&api, "lint-1", ProwJobState::Success).await;
    wait_recorded(&api, "lint-1", ProwJobState::Success).await;
    let comments = report_comments(&github);
    assert_eq!(comments.len(), 1, "{comments:?}");
    assert!(
        comments[0].starts_with("@carol: all tests **passed!**"),
        "{}",
        comments[0]
    );
    crier.stop().await;
}

#[tokio::test]
async fn dry_run_writes_nothing_anywhere() {
    let control_plane = ControlPlane::shared().await;
    let namespace = control_plane.test_namespace("crier-dry").await;
    let api: Api<ProwJob> = Api::namespaced(control_plane.client(), namespace.name());
    let github = fake_github().await;
    let dry = std::sync::Arc::new(prow_github::DryRunGitHub::new(raw_github_client(&github)));
    let crier = Crier::start_with(
        control_plane.client(),
        namespace.name(),
        dry,
        settings(),
        true,
        true,
    );
    create_job(
        &api,
        "unit-1",
        "pull-hello-unit",
        ProwJobType::Presubmit,
        true,
    )
    .await;
    set_state(&api, "unit-1", ProwJobState::Failure).await;
    let reported = || crier.metrics.report_count("failure", "success");
    tokio::time::timeout(BOUND, async {
        while reported() == 0 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("the failure is reported (dry run) within the failure bound");
    assert!(github.writes().is_empty(), "{:?}", github.writes());
    assert_eq!(recorded_state(&api, "unit-1").await, None);
    assert_eq!(reported(), 1);
    crier.stop().await;
}

#[tokio::test]
async fn a_conflicting_record_rereads_and_records_what_was_reported() {
    let control_plane = ControlPlane::shared().await;
    let namespace = control_plane.test_namespace("crier-conflict").await;
    let api: Api<ProwJob> = Api::namespaced(control_plane.client(), namespace.name());
    create_job(
        &api,
        "unit-1",
        "pull-hello-unit",
        ProwJobType::Presubmit,
        true,
    )
    .await;
    let read = api.get("unit-1").await.expect("get");
    // plank moves the job on between crier's read and crier's write
    set_state(&api, "unit-1", ProwJobState::Pending).await;
    crier::report_state::record_reported(&api, &read, ProwJobState::Triggered)
        .await
        .expect("recorded after a conflict");
    let now = api.get("unit-1").await.expect("get");
    assert_ne!(
        now.metadata.resource_version,
        read.metadata.resource_version
    );
    assert_eq!(
        recorded_state(&api, "unit-1").await,
        Some(ProwJobState::Triggered)
    );
    // the newer state stays to be reported
    assert_eq!(
        crier::selection::unreported_state(&now),
        Some(ProwJobState::Pending)
    );
    // a ProwJob deleted meanwhile is not an error
    api.delete("unit-1", &Default::default())
        .await
        .expect("delete");
    crier::report_state::record_reported(&api, &now, ProwJobState::Pending)
        .await
        .expect("a deleted ProwJob needs no record");
}

#[tokio::test]
async fn rate_limited_reports_are_retried() {
    let control_plane = ControlPlane::shared().await;
    let namespace = control_plane.test_namespace("crier-ratelimit").await;
    let api: Api<ProwJob> = Api::namespaced(control_plane.client(), namespace.name());
    let github = fake_github().await;
    github.add_fault(Fault::new(
        Some("POST"),
        &format!("/repos/{ORG}/{REPO}/statuses/*"),
        1,
        FaultAction::SecondaryRateLimit { retry_after: 1 },
    ));
    let crier = Crier::start(
        control_plane.client(),
        namespace.name(),
        &github,
        settings(),
        true,
    );
    create_job(
        &api,
        "unit-1",
        "pull-hello-unit",
        ProwJobType::Presubmit,
        true,
    )
    .await;
    wait_recorded(&api, "unit-1", ProwJobState::Triggered).await;
    let attempts: Vec<u16> = status_writes(&github, "pull-hello-unit")
        .iter()
        .map(|w| w.status)
        .collect();
    assert_eq!(attempts, [403, 201]);
    // retried by crier's requeue (the client here does not retry by itself)
    assert_eq!(crier.metrics.report_count("triggered", "error"), 1);
    crier.stop().await;
}
