//! Pods run by the node agent against the real API server: phases, exit codes, logs through
//! `pods/log` (plain and follow), init containers with a shared emptyDir, the downward API,
//! deletion killing the process, and `activeDeadlineSeconds`.

use std::time::Duration;

use futures::{AsyncBufReadExt, TryStreamExt};
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::{DeleteParams, LogParams, PostParams};
use prow_testkit::control_plane::{ControlPlane, process_is_running};

fn pod(name: &str, spec: serde_json::Value) -> Pod {
    serde_json::from_value(serde_json::json!({
        "metadata": { "name": name },
        "spec": spec,
    }))
    .expect("pod")
}

fn sh(name: &str, script: &str) -> serde_json::Value {
    serde_json::json!({ "name": name, "image": "busybox", "command": ["sh", "-c", script] })
}

async fn wait_for(api: &Api<Pod>, name: &str, what: &str, done: impl Fn(&Pod) -> bool) -> Pod {
    for _ in 0..600 {
        if let Some(pod) = api.get_opt(name).await.expect("get pod")
            && done(&pod)
        {
            return pod;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("pod {name}: gave up waiting until {what}");
}

fn phase(pod: &Pod) -> &str {
    pod.status
        .as_ref()
        .and_then(|s| s.phase.as_deref())
        .unwrap_or("")
}

fn finished(pod: &Pod) -> bool {
    matches!(phase(pod), "Succeeded" | "Failed")
}

fn exit_code(pod: &Pod, container: &str, init: bool) -> Option<i32> {
    let status = pod.status.as_ref()?;
    let statuses = if init {
        status.init_container_statuses.as_ref()?
    } else {
        status.container_statuses.as_ref()?
    };
    let status = statuses.iter().find(|s| s.name == container)?;
    Some(status.state.as_ref()?.terminated.as_ref()?.exit_code)
}

#[tokio::test]
async fn a_failing_pod_reports_its_exit_code_and_logs() {
    let cluster = ControlPlane::shared().await;
    let ns = cluster.test_namespace("pod-exit-code").await;
    let api: Api<Pod> = Api::namespaced(cluster.client(), ns.name());
    let mut main = sh("main", "echo hello; exit 3");
    // Requests make the pod Burstable: the status the agent writes must keep that.
    main["resources"] = serde_json::json!({ "requests": { "cpu": "100m", "memory": "64Mi" } });
    let spec = serde_json::json!({ "restartPolicy": "Never", "containers": [main] });
    api.create(&PostParams::default(), &pod("exit3", spec))
        .await
        .expect("create");

    let done = wait_for(&api, "exit3", "finished", finished).await;

    assert_eq!(phase(&done), "Failed");
    assert_eq!(exit_code(&done, "main", false), Some(3));
    let status = done.status.clone().unwrap_or_default();
    assert_eq!(status.pod_ip.as_deref(), Some("127.0.0.1"));
    assert!(status.start_time.is_some());
    assert_eq!(status.qos_class.as_deref(), Some("Burstable"));
    let reason = status.container_statuses.unwrap_or_default()[0]
        .state
        .clone()
        .and_then(|s| s.terminated)
        .and_then(|t| t.reason);
    assert_eq!(reason.as_deref(), Some("Error"));
    let logs = api
        .logs("exit3", &LogParams::default())
        .await
        .expect("pods/log");
    assert_eq!(logs, "hello\n");
}

#[tokio::test]
async fn a_follow_log_stream_yields_every_line_and_ends() {
    let cluster = ControlPlane::shared().await;
    let ns = cluster.test_namespace("pod-follow").await;
    let api: Api<Pod> = Api::namespaced(cluster.client(), ns.name());
    let script = "for i in 1 2 3 4 5; do echo line $i; sleep 0.4; done";
    let spec = serde_json::json!({ "restartPolicy": "Never", "containers": [sh("main", script)] });
    api.create(&PostParams::default(), &pod("follow", spec))
        .await
        .expect("create");
    wait_for(&api, "follow", "running", |p| {
        phase(p) == "Running" || finished(p)
    })
    .await;

    let params = LogParams {
        follow: true,
        ..LogParams::default()
    };
    let stream = api.log_stream("follow", &params).await.expect("log stream");
    let lines: Vec<String> =
        tokio::time::timeout(Duration::from_secs(60), stream.lines().try_collect())
            .await
            .expect("the stream ends when the container ends")
            .expect("read lines");

    assert_eq!(lines, ["line 1", "line 2", "line 3", "line 4", "line 5"]);
    let done = wait_for(&api, "follow", "finished", finished).await;
    assert_eq!(phase(&done), "Succeeded");
}

#[tokio::test]
async fn init_containers_run_first_and_share_an_empty_dir() {
    let cluster = ControlPlane::shared().await;
    let ns = cluster.test_namespace("pod-init").await;
    let api: Api<Pod> = Api::namespaced(cluster.client(), ns.name());
    let mount = serde_json::json!([{ "name": "shared", "mountPath": "/shared" }]);
    let mut init = sh("prepare", "echo prepared > /shared/marker");
    init["volumeMounts"] = mount.clone();
    let mut main = sh(
        "main",
        "cat /shared/marker; echo \"pod=$POD_NAME ns=$POD_NS app=$APP\"",
    );
    main["volumeMounts"] = mount;
    main["env"] = serde_json::json!([
        { "name": "POD_NAME", "valueFrom": { "fieldRef": { "fieldPath": "metadata.name" } } },
        { "name": "POD_NS", "valueFrom": { "fieldRef": { "fieldPath": "metadata.namespace" } } },
        { "name": "APP", "valueFrom": { "fieldRef": { "fieldPath": "metadata.labels['app']" } } },
    ]);
    let mut object = pod(
        "init",
        serde_json::json!({
            "restartPolicy": "Never",
            "initContainers": [init],
            "containers": [main],
            "volumes": [{ "name": "shared", "emptyDir": {} }],
        }),
    );
    object.metadata.labels = Some([("app".to_owned(), "web".to_owned())].into());
    api.create(&PostParams::default(), &object)
        .await
        .expect("create");

    let done = wait_for(&api, "init", "finished", finished).await;

    assert_eq!(phase(&done), "Succeeded", "{:?}", done.status);
    assert_eq!(exit_code(&done, "prepare", true), Some(0));
    let logs = api
        .logs(
            "init",
            &LogParams {
                container: Some("main".into()),
                ..LogParams::default()
            },
        )
        .await
        .expect("logs");
    assert_eq!(
        logs,
        format!("prepared\npod=init ns={} app=web\n", ns.name())
    );
}

#[tokio::test]
async fn deleting_a_running_pod_kills_its_process_and_removes_it() {
    let cluster = ControlPlane::shared().await;
    let ns = cluster.test_namespace("pod-delete").await;
    let api: Api<Pod> = Api::namespaced(cluster.client(), ns.name());
    let spec = serde_json::json!({
        "restartPolicy": "Never",
        "terminationGracePeriodSeconds": 5,
        // `$$` is Kubernetes' escape for `$`, so the shell sees `echo $$` (its pid).
        "containers": [sh("main", "echo $$$$; exec sleep 600")],
    });
    api.create(&PostParams::default(), &pod("sleeper", spec))
        .await
        .expect("create");
    wait_for(&api, "sleeper", "running", |p| phase(p) == "Running").await;
    let mut pid = None;
    for _ in 0..100 {
        let logs = api
            .logs("sleeper", &LogParams::default())
            .await
            .unwrap_or_default();
        pid = logs.trim().parse::<u32>().ok();
        if pid.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let pid = pid.expect("the container logged its pid");
    assert!(process_is_running(pid), "the container process {pid} runs");

    api.delete("sleeper", &DeleteParams::default())
        .await
        .expect("delete");

    let mut gone = false;
    for _ in 0..300 {
        if api.get_opt("sleeper").await.expect("get").is_none() {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(gone, "the agent removed the deleted pod");
    assert!(!process_is_running(pid), "process {pid} was killed");
}

#[tokio::test]
async fn active_deadline_seconds_fails_the_pod() {
    let cluster = ControlPlane::shared().await;
    let ns = cluster.test_namespace("pod-deadline").await;
    let api: Api<Pod> = Api::namespaced(cluster.client(), ns.name());
    let spec = serde_json::json!({
        "restartPolicy": "Never",
        "activeDeadlineSeconds": 1,
        "terminationGracePeriodSeconds": 1,
        "containers": [sh("main", "sleep 600")],
    });
    api.create(&PostParams::default(), &pod("slow", spec))
        .await
        .expect("create");

    let done = wait_for(&api, "slow", "finished", finished).await;

    assert_eq!(phase(&done), "Failed");
    assert_eq!(
        done.status.and_then(|s| s.reason).as_deref(),
        Some("DeadlineExceeded")
    );
}

#[tokio::test]
async fn secrets_and_config_maps_reach_env_and_volumes() {
    use k8s_openapi::api::core::v1::{ConfigMap, Secret};
    let cluster = ControlPlane::shared().await;
    let ns = cluster.test_namespace("pod-secret-env").await;
    let client = cluster.client();
    let secret: Secret = serde_json::from_value(serde_json::json!({
        "metadata": { "name": "creds" },
        "stringData": { "token": "s3cret" },
    }))
    .expect("secret");
    Api::<Secret>::namespaced(client.clone(), ns.name())
        .create(&PostParams::default(), &secret)
        .await
        .expect("create secret");
    let config_map: ConfigMap = serde_json::from_value(serde_json::json!({
        "metadata": { "name": "settings" },
        "data": { "greeting": "hi", "file.txt": "from a volume" },
    }))
    .expect("configmap");
    Api::<ConfigMap>::namespaced(client.clone(), ns.name())
        .create(&PostParams::default(), &config_map)
        .await
        .expect("create configmap");
    let api: Api<Pod> = Api::namespaced(client, ns.name());
    let mut main = sh(
        "main",
        "echo \"$TOKEN $GREETING $(MESSAGE)\"; cat /etc/settings/file.txt",
    );
    main["env"] = serde_json::json!([
        { "name": "TOKEN", "valueFrom": { "secretKeyRef": { "name": "creds", "key": "token" } } },
        { "name": "GREETING", "valueFrom": { "configMapKeyRef": { "name": "settings", "key": "greeting" } } },
        { "name": "MESSAGE", "value": "$(GREETING) there" },
    ]);
    main["volumeMounts"] =
        serde_json::json!([{ "name": "settings", "mountPath": "/etc/settings" }]);
    let spec = serde_json::json!({
        "restartPolicy": "Never",
        "containers": [main],
        "volumes": [{ "name": "settings", "configMap": { "name": "settings" } }],
    });
    api.create(&PostParams::default(), &pod("configured", spec))
        .await
        .expect("create");

    let done = wait_for(&api, "configured", "finished", finished).await;

    assert_eq!(phase(&done), "Succeeded", "{:?}", done.status);
    let logs = api
        .logs("configured", &LogParams::default())
        .await
        .expect("logs");
    // The file has no trailing newline, and neither has the log.
    assert_eq!(logs, "s3cret hi hi there\nfrom a volume");
}

#[tokio::test]
async fn log_parameters_tail_lines_and_timestamps_are_honoured() {
    let cluster = ControlPlane::shared().await;
    let ns = cluster.test_namespace("pod-log-params").await;
    let api: Api<Pod> = Api::namespaced(cluster.client(), ns.name());
    let spec = serde_json::json!({ "restartPolicy": "Never", "containers": [sh("main", "echo a; echo b; echo c")] });
    api.create(&PostParams::default(), &pod("lines", spec))
        .await
        .expect("create");
    wait_for(&api, "lines", "finished", finished).await;

    let tail = LogParams {
        tail_lines: Some(2),
        ..LogParams::default()
    };
    assert_eq!(api.logs("lines", &tail).await.expect("tail"), "b\nc\n");
    let stamped = LogParams {
        timestamps: true,
        ..LogParams::default()
    };
    let logs = api.logs("lines", &stamped).await.expect("timestamps");
    let lines: Vec<&str> = logs.lines().collect();
    assert_eq!(lines.len(), 3, "{logs}");
    for (line, want) in lines.iter().zip(["a", "b", "c"]) {
        let (timestamp, text) = line.split_once(' ').expect("timestamp prefix");
        assert_eq!(text, want);
        assert!(timestamp.parse::<jiff::Timestamp>().is_ok(), "{timestamp}");
    }
}

#[tokio::test]
async fn args_alone_run_and_a_container_without_either_fails_to_configure() {
    let cluster = ControlPlane::shared().await;
    let ns = cluster.test_namespace("pod-no-command").await;
    let api: Api<Pod> = Api::namespaced(cluster.client(), ns.name());
    let spec = serde_json::json!({
        "restartPolicy": "Never",
        "containers": [
            { "name": "args-only", "image": "busybox", "args": ["sh", "-c", "echo args-only"] },
            { "name": "image-only", "image": "busybox" },
        ],
    });
    api.create(&PostParams::default(), &pod("no-command", spec))
        .await
        .expect("create");

    let done = wait_for(&api, "no-command", "finished", finished).await;

    assert_eq!(phase(&done), "Failed");
    assert_eq!(exit_code(&done, "args-only", false), Some(0));
    let statuses = done
        .status
        .and_then(|s| s.container_statuses)
        .unwrap_or_default();
    let image_only = statuses
        .iter()
        .find(|s| s.name == "image-only")
        .expect("status");
    let reason = image_only
        .state
        .clone()
        .and_then(|s| s.terminated)
        .and_then(|t| t.reason);
    assert_eq!(reason.as_deref(), Some("CreateContainerConfigError"));
    let logs = api
        .logs(
            "no-command",
            &LogParams {
                container: Some("args-only".into()),
                ..LogParams::default()
            },
        )
        .await
        .expect("logs");
    assert_eq!(logs, "args-only\n");
}
