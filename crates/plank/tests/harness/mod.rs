//! Runs plank in-process against the shared control plane (with its node agent), in one
//! test namespace used as both the ProwJob and the Pod namespace.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use kube::{Client, ResourceExt};
use plank::controller::{PlankOptions, Settings, run_plank};
use plank::events::EventSink;
use plank::metrics::Metrics;
use prow_api::{ProwJob, ProwJobAgent, ProwJobSpec, ProwJobState, ProwJobType, Pull, Refs};
use prow_kube::build_clusters::BuildClusters;
use prow_testkit::control_plane::{ControlPlane, TestNamespace};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// A test namespace with plank's config written to a tempdir.
pub struct Setup {
    pub ns: TestNamespace,
    pub client: Client,
    pub jobs: Api<ProwJob>,
    pub pods: Api<Pod>,
    pub settings: Arc<Settings>,
    _dir: tempfile::TempDir,
}

/// One running plank.
pub struct RunningPlank {
    pub metrics: Metrics,
    shutdown: CancellationToken,
    task: JoinHandle<()>,
    leading: watch::Sender<bool>,
}

impl RunningPlank {
    /// Makes this replica lead or follow.
    pub fn set_leading(&self, leading: bool) {
        self.leading.send_replace(leading);
    }

    /// Kills plank at once, wherever it is (no graceful shutdown).
    pub fn kill(self) {
        self.task.abort();
    }

    /// Stops plank gracefully.
    pub async fn stop(self) {
        self.shutdown.cancel();
        let _ = tokio::time::timeout(Duration::from_secs(20), self.task).await;
    }
}

/// Creates a namespace and a config whose `plank:` section is `plank_yaml` (indented by
/// two spaces by the caller).
pub async fn setup(hint: &str, plank_yaml: &str) -> Setup {
    let cluster = ControlPlane::shared().await;
    let ns = cluster.test_namespace(hint).await;
    let client = cluster.client();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("config.yaml");
    let config = format!(
        "prowjob_namespace: {ns}\npod_namespace: {ns}\nplank:\n  job_url_template: 'https://prow.example.com/view/{{{{.Spec.Job}}}}/{{{{.Status.BuildID}}}}'\n{plank_yaml}",
        ns = ns.name()
    );
    std::fs::write(&path, config).expect("write config");
    let loaded = prow_config::load(&prow_config::LoadOptions {
        config_path: path,
        job_config_path: None,
        plugin_config_path: None,
    })
    .expect("load config");
    assert!(!loaded.has_errors(), "{:?}", loaded.problems);
    let settings = Arc::new(Settings::new(&loaded.config.prow).expect("settings"));
    Setup {
        jobs: Api::namespaced(client.clone(), ns.name()),
        pods: Api::namespaced(client.clone(), ns.name()),
        client,
        ns,
        settings,
        _dir: dir,
    }
}

impl Setup {
    /// Starts plank (leading, Events on).
    pub fn start_plank(&self) -> RunningPlank {
        self.start_replica(true)
    }

    /// Starts a plank replica that leads or not.
    pub fn start_replica(&self, leading: bool) -> RunningPlank {
        let metrics = Metrics::default();
        let shutdown = CancellationToken::new();
        let (leading_tx, leading) = watch::channel(leading);
        let (events, _task) = EventSink::start(
            self.client.clone(),
            "plank-test".into(),
            metrics.events_dropped.clone(),
            shutdown.clone(),
        );
        let (_settings_tx, settings) = watch::channel(self.settings.clone());
        let options = PlankOptions {
            client: self.client.clone(),
            clusters: BuildClusters::from_clients(BTreeMap::from([(
                "default".to_owned(),
                self.client.clone(),
            )])),
            settings,
            leading,
            metrics: metrics.clone(),
            events,
            workers: 16,
            decoration: Default::default(),
        };
        let stop = shutdown.clone();
        let task = tokio::spawn(async move {
            let _keep = _settings_tx;
            run_plank(options, stop).await;
        });
        RunningPlank {
            metrics,
            shutdown,
            task,
            leading: leading_tx,
        }
    }

    /// Creates a triggered ProwJob as hook or horologium do (create, then status).
    pub async fn create_job(&self, name: &str, spec: ProwJobSpec, annotations: &[(&str, &str)]) {
        let annotations: BTreeMap<String, String> = annotations
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let job = ProwJob::from_spec(
            name,
            spec,
            &BTreeMap::new(),
            &annotations,
            Time(jiff::Timestamp::now()),
            ProwJobState::Triggered,
        );
        self.jobs
            .create(&PostParams::default(), &job)
            .await
            .unwrap_or_else(|e| panic!("create {name}: {e}"));
        let status = serde_json::json!({
            "apiVersion": "prow.k8s.io/v1", "kind": "ProwJob",
            "metadata": {"name": name}, "status": job.status,
        });
        self.jobs
            .patch_status(
                name,
                &PatchParams::apply("test-trigger"),
                &Patch::Apply(status),
            )
            .await
            .unwrap_or_else(|e| panic!("status of {name}: {e}"));
    }

    pub async fn job(&self, name: &str) -> ProwJob {
        self.jobs
            .get(name)
            .await
            .unwrap_or_else(|e| panic!("get {name}: {e}"))
    }

    /// Polls (every 100 ms, for at most `limit`) until `done` holds for the job.
    pub async fn wait_job(
        &self,
        name: &str,
        what: &str,
        limit: Duration,
        done: impl Fn(&ProwJob) -> bool,
    ) -> ProwJob {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            if let Some(job) = self.jobs.get_opt(name).await.expect("get job")
                && done(&job)
            {
                return job;
            }
            if tokio::time::Instant::now() > deadline {
                let job = self.jobs.get_opt(name).await.expect("get job");
                panic!(
                    "job {name}: gave up waiting until {what}; status: {:?}",
                    job.and_then(|j| j.status)
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn wait_complete(&self, name: &str) -> ProwJob {
        self.wait_job(
            name,
            "complete",
            Duration::from_secs(120),
            ProwJob::is_complete,
        )
        .await
    }

    pub async fn all_jobs(&self) -> Vec<ProwJob> {
        self.jobs
            .list(&ListParams::default())
            .await
            .expect("list jobs")
            .items
    }

    pub async fn all_pods(&self) -> Vec<Pod> {
        self.pods
            .list(&ListParams::default())
            .await
            .expect("list pods")
            .items
    }

    /// Reasons of the Events about the ProwJob `name`.
    pub async fn event_reasons(&self, name: &str) -> Vec<String> {
        let api: Api<k8s_openapi::api::events::v1::Event> =
            Api::namespaced(self.client.clone(), self.ns.name());
        api.list(&ListParams::default())
            .await
            .expect("list events")
            .items
            .into_iter()
            .filter(|event| event.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some(name))
            .filter_map(|event| event.reason)
            .collect()
    }
}

/// A periodic running `script` in `sh -c`.
pub fn periodic(job: &str, script: &str) -> ProwJobSpec {
    let mut spec = ProwJobSpec::new(ProwJobType::Periodic, job);
    spec.agent = Some(ProwJobAgent::Kubernetes);
    spec.pod_spec = Some(
        serde_json::from_value(serde_json::json!({
            "containers": [{"name": "main", "image": "busybox", "command": ["sh", "-c", script]}],
            "terminationGracePeriodSeconds": 1,
        }))
        .expect("pod spec"),
    );
    spec
}

/// A presubmit of `org/repo` PR `number` at `sha` running `script`.
pub fn presubmit(job: &str, number: u64, sha: &str, script: &str) -> ProwJobSpec {
    let mut spec = periodic(job, script);
    spec.job_type = ProwJobType::Presubmit;
    spec.context = job.into();
    spec.report = true;
    spec.refs = Some(Refs {
        org: "org".into(),
        repo: "repo".into(),
        base_ref: "main".into(),
        base_sha: "base".into(),
        pulls: vec![Pull {
            number,
            sha: sha.into(),
            author: "alice".into(),
            ..Pull::default()
        }],
        ..Refs::default()
    });
    spec
}

pub fn state(job: &ProwJob) -> Option<ProwJobState> {
    job.state()
}

pub fn description(job: &ProwJob) -> String {
    job.status
        .as_ref()
        .map(|s| s.description.clone())
        .unwrap_or_default()
}

pub fn pod_names(pods: &[Pod]) -> Vec<String> {
    let mut names: Vec<String> = pods.iter().map(|p| p.name_any()).collect();
    names.sort();
    names
}
