//! How much time decoration adds to a trivial job on the local control plane and node agent:
//! the same one-line test as an undecorated Pod, as a decorated periodic (initupload,
//! place-entrypoint, entrypoint, sidecar, upload to a `file://` bucket) and as a decorated
//! periodic that also clones a repository served by `git daemon`. Each Pod is created and
//! timed until it is `Succeeded`; the times are printed (run with `--nocapture`), never
//! asserted — what is asserted is that every run succeeds and uploads `finished.json`.

use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use prow_api::k8s_openapi::api::core::v1::Pod;
use prow_api::kube::Api;
use prow_api::kube::api::PostParams;
use prow_api::{ProwJob, ProwJobSpec, ProwJobState, ProwJobStatus, ProwJobType};
use prow_testkit::control_plane::ControlPlane;
use prow_utils::decorate::{DecorationOptions, prowjob_to_pod};
use serde_json::json;

const PROW_UTILS: &str = env!("CARGO_BIN_EXE_prow-utils");
const RUNS: usize = 5;

async fn control_plane() -> &'static ControlPlane {
    let _ = rustls::crypto::ring::default_provider().install_default();
    ControlPlane::shared().await
}

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "dev")
        .env("GIT_AUTHOR_EMAIL", "dev@example.com")
        .env("GIT_COMMITTER_NAME", "dev")
        .env("GIT_COMMITTER_EMAIL", "dev@example.com")
        .status()
        .expect("git runs");
    assert!(status.success(), "git {args:?}");
}

/// `git daemon` serving a one-commit repository `widgets.git`; killed when dropped.
struct GitDaemon {
    child: std::process::Child,
    uri: String,
}

impl Drop for GitDaemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn git_daemon(root: &Path) -> GitDaemon {
    let repo = root.join("served/widgets.git");
    std::fs::create_dir_all(&repo).expect("mkdir");
    git(&repo, &["init", "-q", "-b", "main"]);
    std::fs::write(repo.join("README"), "widgets\n").expect("write");
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "initial"]);
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("free port")
        .port();
    let child = Command::new("git")
        .args([
            "daemon",
            "--export-all",
            "--reuseaddr",
            "--listen=127.0.0.1",
            &format!("--port={port}"),
            &format!("--base-path={}", root.join("served").display()),
        ])
        .spawn()
        .expect("git daemon starts");
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    GitDaemon {
        child,
        uri: format!("git://127.0.0.1:{port}/widgets.git"),
    }
}

/// A periodic running `echo hi`, decorated when `bucket` is given, cloning `clone_uri` when
/// given.
fn trivial_job(name: &str, bucket: Option<&str>, clone_uri: Option<&str>) -> ProwJob {
    let mut spec = ProwJobSpec::new(ProwJobType::Periodic, "ci-trivial");
    spec.pod_spec = Some(
        serde_json::from_value(json!({
            "containers": [{"image": "alpine:3", "command": ["echo", "hi"]}],
        }))
        .expect("pod spec"),
    );
    if let Some(bucket) = bucket {
        spec.decoration_config = Some(
            serde_json::from_value(json!({
                "timeout": "2m",
                "grace_period": "5s",
                "utility_images": {
                    "clonerefs": "prow-utils", "initupload": "prow-utils",
                    "entrypoint": "prow-utils", "sidecar": "prow-utils",
                },
                "gcs_configuration": {"bucket": bucket, "path_strategy": "explicit"},
            }))
            .expect("decoration config"),
        );
    }
    if let Some(uri) = clone_uri {
        spec.extra_refs = vec![
            serde_json::from_value(json!({
                "org": "acme", "repo": "widgets", "base_ref": "main", "clone_uri": uri,
            }))
            .expect("refs"),
        ];
    }
    let mut job = ProwJob::new(name, spec);
    job.status = Some(ProwJobStatus {
        build_id: name.rsplit('-').next().unwrap_or("1").to_owned(),
        ..ProwJobStatus::new(ProwJobState::Pending)
    });
    job
}

/// Creates the Pod and returns the time until it is `Succeeded` (polling every 20 ms).
async fn time_to_success(pods: &Api<Pod>, pod: &Pod) -> Duration {
    let name = pod.metadata.name.clone().expect("name");
    let start = Instant::now();
    pods.create(&PostParams::default(), pod)
        .await
        .expect("pod created");
    loop {
        let phase = pods
            .get(&name)
            .await
            .expect("pod")
            .status
            .and_then(|status| status.phase)
            .unwrap_or_default();
        match phase.as_str() {
            "Succeeded" => return start.elapsed(),
            "Failed" => panic!("pod {name} failed"),
            _ if start.elapsed() > Duration::from_secs(120) => {
                panic!("pod {name} did not finish in 120 s")
            }
            _ => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
}

fn summary(label: &str, times: &mut [Duration]) -> Duration {
    times.sort();
    let median = times[times.len() / 2];
    eprintln!(
        "{label:<28} median {:>5} ms  min {:>5} ms  max {:>5} ms  (n={})",
        median.as_millis(),
        times[0].as_millis(),
        times[times.len() - 1].as_millis(),
        times.len()
    );
    median
}

#[tokio::test]
async fn decoration_overhead_on_a_trivial_job() {
    let control_plane = control_plane().await;
    let namespace = control_plane.test_namespace("decoration-overhead").await;
    let pods: Api<Pod> = Api::namespaced(control_plane.client(), namespace.name());
    let root = tempfile::tempdir().expect("tempdir");
    let store = root.path().join("store");
    let bucket = format!("file://{}", store.display());
    let daemon = git_daemon(root.path()).await;
    let options = DecorationOptions {
        utility_program: Some(PROW_UTILS.to_owned()),
        ..DecorationOptions::default()
    };

    let (mut plain, mut decorated, mut cloning) = (Vec::new(), Vec::new(), Vec::new());
    // Interleaved, so drift in machine load affects the three kinds alike.
    for run in 1..=RUNS {
        let job = trivial_job(&format!("plain-{run}"), None, None);
        let pod = prowjob_to_pod(&job, &options).expect("pod");
        plain.push(time_to_success(&pods, &pod).await);

        let job = trivial_job(&format!("decorated-{run}"), Some(&bucket), None);
        let pod = prowjob_to_pod(&job, &options).expect("pod");
        decorated.push(time_to_success(&pods, &pod).await);
        let finished = store.join(format!("logs/ci-trivial/{run}/finished.json"));
        assert!(finished.exists(), "{} uploaded", finished.display());

        let job = trivial_job(
            &format!("cloning-{}", run + 100),
            Some(&bucket),
            Some(&daemon.uri),
        );
        let pod = prowjob_to_pod(&job, &options).expect("pod");
        cloning.push(time_to_success(&pods, &pod).await);
        let records = store.join(format!("logs/ci-trivial/{}/clone-records.json", run + 100));
        assert!(records.exists(), "{} uploaded", records.display());
    }
    eprintln!("create → Succeeded on the local node agent:");
    let plain = summary("undecorated", &mut plain);
    let decorated_median = summary("decorated", &mut decorated);
    let cloning_median = summary("decorated + clonerefs", &mut cloning);
    eprintln!(
        "decoration adds {} ms (median), {} ms with a clone",
        decorated_median.saturating_sub(plain).as_millis(),
        cloning_median.saturating_sub(plain).as_millis()
    );
}
