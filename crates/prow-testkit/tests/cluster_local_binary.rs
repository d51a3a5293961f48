//! The `local-cluster` binary: it becomes ready with a working kubeconfig, stops cleanly on
//! SIGINT, and when it is killed outright (no destructor runs) the watchdog still kills
//! etcd, kube-apiserver and the Pod processes and removes the temporary directory.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use k8s_openapi::api::core::v1::Node;
use kube::Api;
use kube::config::{KubeConfigOptions, Kubeconfig};
use rustix::process::{Pid, Signal, kill_process};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

struct Started {
    child: Child,
    kubeconfig: PathBuf,
    work_dir: PathBuf,
    _dir: tempfile::TempDir,
}

async fn start_local_cluster() -> Started {
    let dir = tempfile::tempdir().expect("tempdir");
    let kubeconfig = dir.path().join("kubeconfig");
    let mut child = Command::new(env!("CARGO_BIN_EXE_local-cluster"))
        .arg("--kubeconfig-out")
        .arg(&kubeconfig)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn local-cluster");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let ready = tokio::time::timeout(Duration::from_secs(900), async {
        while let Some(line) = lines.next_line().await.expect("read stdout") {
            if line.contains("ready") {
                return line;
            }
        }
        panic!("local-cluster exited before it was ready");
    })
    .await
    .expect("local-cluster became ready");
    let work_dir = ready
        .split_whitespace()
        .find_map(|field| field.strip_prefix("work_dir="))
        .map(PathBuf::from)
        .expect("the ready line names the work dir");
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Started {
        child,
        kubeconfig,
        work_dir,
        _dir: dir,
    }
}

/// Processes whose command line mentions `dir` (etcd and kube-apiserver carry their data and
/// certificate paths in their arguments).
fn processes_using(dir: &Path) -> Vec<u32> {
    let needle = dir.display().to_string();
    std::fs::read_dir("/proc")
        .expect("/proc")
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|cmdline| String::from_utf8_lossy(&cmdline).contains(&needle))
        })
        .filter(|pid| prow_testkit::control_plane::process_is_running(*pid))
        .collect()
}

async fn wait_until_cleaned_up(work_dir: &Path) {
    for _ in 0..200 {
        if processes_using(work_dir).is_empty() && !work_dir.exists() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "left behind: processes {:?}, directory exists: {}",
        processes_using(work_dir),
        work_dir.exists()
    );
}

#[tokio::test]
async fn sigint_stops_cleanly_and_sigkill_still_cleans_up() {
    // A clean stop.
    let mut started = start_local_cluster().await;
    let kubeconfig = Kubeconfig::read_from(&started.kubeconfig).expect("kubeconfig");
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .expect("config");
    let client = kube::Client::try_from(config).expect("client");
    let node = Api::<Node>::all(client)
        .get("local-node")
        .await
        .expect("the node agent's Node");
    assert!(
        node.status
            .and_then(|s| s.conditions)
            .unwrap_or_default()
            .iter()
            .any(|c| c.type_ == "Ready" && c.status == "True")
    );
    assert!(
        !processes_using(&started.work_dir).is_empty(),
        "etcd and kube-apiserver run"
    );
    let pid = Pid::from_raw(
        started
            .child
            .id()
            .and_then(|id| i32::try_from(id).ok())
            .expect("pid"),
    )
    .expect("pid");
    kill_process(pid, Signal::INT).expect("SIGINT");
    let status = tokio::time::timeout(Duration::from_secs(60), started.child.wait())
        .await
        .expect("exits after SIGINT")
        .expect("wait");
    assert!(status.success(), "{status}");
    assert!(
        !started.kubeconfig.exists(),
        "the kubeconfig is removed on exit"
    );
    wait_until_cleaned_up(&started.work_dir).await;

    // Killed without any chance to clean up: the watchdogs and the janitor do it.
    let mut started = start_local_cluster().await;
    assert!(
        !processes_using(&started.work_dir).is_empty(),
        "etcd and kube-apiserver run"
    );
    started.child.start_kill().expect("SIGKILL");
    started.child.wait().await.expect("wait");
    wait_until_cleaned_up(&started.work_dir).await;
}
