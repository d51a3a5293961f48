//! Shared by crier's control-plane tests: the fake GitHub with the demo state, ProwJobs
//! created and moved through their states as hook and plank do, and readers of the fake's
//! recorded writes.
#![allow(dead_code)] // each test binary uses a part

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::Api;
use kube::api::{Patch, PatchParams, PostParams};
use prow_api::{ProwJob, ProwJobSpec, ProwJobState, ProwJobType, Pull, Refs, labels};
use prow_github::{ClientConfig, Credentials, GitHub, GitHubClient, RetryPolicy, Secret};
use prow_testkit::fake_github::{FakeGitHub, RecordedWrite};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crier::controller::{ReporterOptions, run_reporter};
use crier::metrics::Metrics;
use crier::selection::{REPORTER_NAME, ReporterSettings};
use crier::settings_watch::SettingsWatch;
use crier::summary_comment::COMMENT_TAG;

pub const BOUND: Duration = Duration::from_secs(60);
pub const ORG: &str = "prow-rs-demo";
pub const REPO: &str = "hello";
/// PR #1 of the demo state.
pub const HEAD_SHA: &str = "9d8c7b6a5f4e3d2c1b0a99887766554433221100";
pub const BASE_SHA: &str = "3f1c9a0e5d7b2c4a6e8f0a1b2c3d4e5f60718293";

pub async fn fake_github() -> FakeGitHub {
    let github = FakeGitHub::start().await.expect("fake GitHub starts");
    let state = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../prow-testkit/testdata/fake-github/demo-state.json");
    github.load_state_file(&state).expect("demo state loads");
    github
}

/// A client that does not retry by itself: crier's own requeue is what is under test.
pub fn raw_github_client(github: &FakeGitHub) -> GitHubClient {
    let config = ClientConfig {
        endpoint: github.url(),
        request_timeout: Duration::from_secs(10),
        retry: RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        },
        ..ClientConfig::default()
    };
    GitHubClient::new(config, Credentials::Token(Secret::new("t0ken"))).expect("client")
}

/// [`raw_github_client`], shared.
pub fn github_client(github: &FakeGitHub) -> Arc<dyn GitHub> {
    Arc::new(raw_github_client(github))
}

pub fn settings() -> ReporterSettings {
    ReporterSettings {
        job_types_to_report: vec![ProwJobType::Presubmit, ProwJobType::Postsubmit],
        no_comment_repos: Vec::new(),
        summary_comment_repos: Vec::new(),
        check_runs_repos: Vec::new(),
        report_agent: None,
        enablement: Default::default(),
    }
}

/// A running crier controller.
pub struct Crier {
    pub stop: CancellationToken,
    pub task: JoinHandle<()>,
    pub metrics: Metrics,
    pub lead: watch::Sender<bool>,
}

impl Crier {
    pub fn start(
        client: kube::Client,
        namespace: &str,
        github: &FakeGitHub,
        settings: ReporterSettings,
        leading: bool,
    ) -> Crier {
        Crier::start_with(
            client,
            namespace,
            github_client(github),
            settings,
            leading,
            false,
        )
    }

    /// As [`Crier::start`], with any GitHub client and in dry-run mode or not.
    pub fn start_with(
        client: kube::Client,
        namespace: &str,
        github: Arc<dyn GitHub>,
        settings: ReporterSettings,
        leading: bool,
        dry_run: bool,
    ) -> Crier {
        let (lead, leading_rx) = watch::channel(leading);
        let metrics = Metrics::default();
        let stop = CancellationToken::new();
        let task = tokio::spawn(run_reporter(
            client,
            github,
            SettingsWatch::fixed(settings),
            leading_rx,
            metrics.clone(),
            ReporterOptions {
                namespace: namespace.to_string(),
                workers: 4,
                dry_run,
            },
            stop.clone(),
        ));
        Crier {
            stop,
            task,
            metrics,
            lead,
        }
    }

    pub async fn stop(self) {
        self.stop.cancel();
        tokio::time::timeout(BOUND, self.task)
            .await
            .expect("crier stops on cancel")
            .expect("no panic");
    }
}

pub fn now() -> Time {
    Time(jiff::Timestamp::now())
}

/// Creates a ProwJob as hook would (labels from the spec), then its `triggered` status.
pub async fn create_job(
    api: &Api<ProwJob>,
    name: &str,
    context: &str,
    job_type: ProwJobType,
    report: bool,
) {
    let pulls = if job_type == ProwJobType::Presubmit {
        vec![Pull {
            number: 1,
            author: "carol".into(),
            sha: HEAD_SHA.into(),
            ..Pull::default()
        }]
    } else {
        Vec::new()
    };
    let spec = ProwJobSpec {
        refs: Some(Refs {
            org: ORG.into(),
            repo: REPO.into(),
            base_ref: "main".into(),
            base_sha: BASE_SHA.into(),
            pulls,
            ..Refs::default()
        }),
        report,
        context: context.into(),
        rerun_command: format!("/test {context}"),
        ..ProwJobSpec::new(job_type, context)
    };
    let extra = BTreeMap::from([(labels::IS_OPTIONAL.to_string(), "false".to_string())]);
    let job = ProwJob::from_spec(
        name,
        spec,
        &extra,
        &BTreeMap::new(),
        now(),
        ProwJobState::Triggered,
    );
    let status = job.status.clone();
    api.create(&PostParams::default(), &job)
        .await
        .expect("create ProwJob");
    api.patch_status(
        name,
        &PatchParams::default(),
        &Patch::Merge(serde_json::json!({ "status": status })),
    )
    .await
    .expect("patch status");
}

/// Moves a ProwJob to `state` as plank would.
pub async fn set_state(api: &Api<ProwJob>, name: &str, state: ProwJobState) {
    let mut status = serde_json::json!({
        "state": state,
        "description": format!("Job {}.", state.as_str()),
        "url": format!("https://prow.example.com/view/{name}"),
    });
    match state {
        ProwJobState::Pending => status["pendingTime"] = serde_json::json!(now()),
        ProwJobState::Triggered | ProwJobState::Scheduling => {}
        _ => status["completionTime"] = serde_json::json!(now()),
    }
    api.patch_status(
        name,
        &PatchParams::default(),
        &Patch::Merge(serde_json::json!({ "status": status })),
    )
    .await
    .expect("patch status");
}

pub async fn recorded_state(api: &Api<ProwJob>, name: &str) -> Option<ProwJobState> {
    let job = api.get(name).await.expect("get ProwJob");
    job.status
        .and_then(|status| status.prev_report_states.get(REPORTER_NAME).copied())
}

pub async fn wait_until<F: std::future::Future<Output = bool>>(
    what: &str,
    mut condition: impl FnMut() -> F,
) {
    tokio::time::timeout(BOUND, async {
        while !condition().await {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{what} within the failure bound"));
}

pub async fn wait_recorded(api: &Api<ProwJob>, name: &str, state: ProwJobState) {
    wait_until(
        &format!("{name} recorded as {}", state.as_str()),
        || async { recorded_state(api, name).await == Some(state) },
    )
    .await;
}

pub fn succeeded(write: &RecordedWrite) -> bool {
    (200..300).contains(&write.status)
}

/// The states of the successful status writes for `context`, oldest first.
pub fn statuses(github: &FakeGitHub, context: &str) -> Vec<String> {
    github
        .writes()
        .iter()
        .filter(|w| w.method == "POST" && w.path.contains("/statuses/") && succeeded(w))
        .filter(|w| w.body["context"] == context)
        .map(|w| w.body["state"].as_str().unwrap_or_default().to_string())
        .collect()
}

pub fn status_writes(github: &FakeGitHub, context: &str) -> Vec<RecordedWrite> {
    github
        .writes()
        .into_iter()
        .filter(|w| w.method == "POST" && w.path.contains("/statuses/"))
        .filter(|w| w.body["context"] == context)
        .collect()
}

pub fn comment_writes(github: &FakeGitHub) -> Vec<RecordedWrite> {
    github
        .writes()
        .into_iter()
        .filter(|w| w.path.contains("/comments") && succeeded(w))
        .collect()
}

/// The bot's report comments on PR #1 now.
pub fn report_comments(github: &FakeGitHub) -> Vec<String> {
    let state = github.state();
    state
        .repos
        .iter()
        .filter(|repo| repo.owner == ORG && repo.name == REPO)
        .flat_map(|repo| repo.comments.iter())
        .filter(|comment| comment.issue_number == 1 && comment.body.contains(COMMENT_TAG))
        .map(|comment| comment.body.clone())
        .collect()
}
