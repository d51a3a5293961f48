//! Running one Pod on this node as local processes, the way a kubelet would with
//! `restartPolicy: Never`: init containers one after another, then all containers at once,
//! status written through `pods/status` at every change, SIGTERM/SIGKILL on deletion or when
//! `activeDeadlineSeconds` passes, and the Pod removed (grace period 0) after a deletion.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{ConfigMap, Container, Pod, Secret};
use kube::Api;
use kube::api::{DeleteParams, Patch, PatchParams, Preconditions};
use tokio::sync::{Mutex, mpsc, watch};

use super::container_env::{self, ConfigError};
use super::log_server::ContainerLogHandle;
use super::pod_status::{ContainerPhase, PodRun};
use super::{AgentContext, FAULT_OOM_KILL, fault_of};
use crate::control_plane::supervised::{SpawnSpec, Supervised};

/// Seconds between SIGTERM and SIGKILL for processes left behind by a finished container.
const LEFTOVER_GRACE_SECONDS: u64 = 2;

/// Which list a container is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Init,
    Main,
}

/// What a container task reports.
#[derive(Debug)]
enum ContainerEvent {
    Started(Kind, usize, Timestamp),
    Finished(Kind, usize, ContainerPhase),
}

/// Requests the worker gets from the sync loop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PodRequest {
    /// Keep running.
    Run,
    /// The Pod has a deletionTimestamp: stop its containers within this grace period, then
    /// remove the Pod from the API.
    Delete(Duration),
    /// The Pod is gone from the API (or the agent stops): kill everything now.
    Abort,
}

/// A Pod's directories on this machine.
struct PodDirs {
    root: PathBuf,
    volumes: HashMap<String, PathBuf>,
}

/// Runs the Pod to completion (or until deleted/aborted).
pub async fn run_pod(ctx: Arc<AgentContext>, pod: Pod, mut requests: watch::Receiver<PodRequest>) {
    let name = pod.metadata.name.clone().unwrap_or_default();
    let namespace = pod.metadata.namespace.clone().unwrap_or_default();
    let api: Api<Pod> = Api::namespaced(ctx.client.clone(), &namespace);
    let spec = pod.spec.clone().unwrap_or_default();
    let names = |containers: &[Container]| -> Vec<(String, String)> {
        containers
            .iter()
            .map(|c| (c.name.clone(), c.image.clone().unwrap_or_default()))
            .collect()
    };
    let init_containers = spec.init_containers.clone().unwrap_or_default();
    let containers = spec.containers.clone();
    let mut run = PodRun::new(
        Timestamp::now(),
        &names(&init_containers),
        &names(&containers),
    );

    let dirs = match prepare_dirs(&ctx, &pod).await {
        Ok(dirs) => dirs,
        Err(message) => {
            run.failure = Some(("VolumeSetupFailed".into(), message));
            write_status(&api, &name, &mut run).await;
            return;
        }
    };
    write_status(&api, &name, &mut run).await;

    let deadline = spec
        .active_deadline_seconds
        .and_then(|s| u64::try_from(s).ok())
        .map(|s| tokio::time::Instant::now() + Duration::from_secs(s));
    let (events_tx, mut events) = mpsc::channel::<ContainerEvent>(64);
    let (kill_tx, kill_rx) = watch::channel::<Option<Duration>>(None);
    let launch = |kind: Kind, index: usize, container: &Container| {
        let task = ContainerTask {
            ctx: ctx.clone(),
            pod: pod.clone(),
            container: container.clone(),
            kind,
            index,
            dirs_root: dirs.root.clone(),
            volumes: dirs.volumes.clone(),
            events: events_tx.clone(),
            kill: kill_rx.clone(),
        };
        tokio::spawn(task.run());
    };

    let mut running = 0usize;
    let mut next_init = 0usize;
    let mut deleting: Option<Duration> = None;
    let mut aborted = false;
    if init_containers.is_empty() {
        for (i, c) in containers.iter().enumerate() {
            launch(Kind::Main, i, c);
            running += 1;
        }
    } else {
        launch(Kind::Init, 0, &init_containers[0]);
        running += 1;
        next_init = 1;
    }

    loop {
        let stopping = deleting.is_some() || aborted || run.failure.is_some();
        if running == 0 && (stopping || run.is_finished()) {
            break;
        }
        tokio::select! {
            event = events.recv() => {
                let Some(event) = event else { break };
                match event {
                    ContainerEvent::Started(kind, i, at) => {
                        set_phase(&mut run, kind, i, ContainerPhase::Running { started_at: at });
                    }
                    ContainerEvent::Finished(kind, i, phase) => {
                        running -= 1;
                        let succeeded = matches!(phase, ContainerPhase::Terminated { exit_code: 0, .. });
                        set_phase(&mut run, kind, i, phase);
                        let stopping = deleting.is_some() || aborted || run.failure.is_some();
                        if kind == Kind::Init && succeeded && !stopping {
                            if let Some(next) = init_containers.get(next_init) {
                                launch(Kind::Init, next_init, next);
                                next_init += 1;
                                running += 1;
                            } else {
                                for (i, c) in containers.iter().enumerate() {
                                    launch(Kind::Main, i, c);
                                    running += 1;
                                }
                            }
                        }
                    }
                }
            }
            changed = requests.changed() => {
                let request = if changed.is_ok() { *requests.borrow_and_update() } else { PodRequest::Abort };
                match request {
                    PodRequest::Run => {}
                    PodRequest::Delete(grace) => {
                        deleting = Some(grace);
                        let _ = kill_tx.send(Some(grace));
                    }
                    PodRequest::Abort => {
                        aborted = true;
                        let _ = kill_tx.send(Some(Duration::ZERO));
                    }
                }
            }
            () = sleep_until(deadline), if run.failure.is_none() && deleting.is_none() => {
                run.failure = Some((
                    "DeadlineExceeded".into(),
                    format!("Pod was active on the node longer than the specified deadline ({}s)",
                        spec.active_deadline_seconds.unwrap_or_default()),
                ));
                let grace = spec.termination_grace_period_seconds.and_then(|s| u64::try_from(s).ok()).unwrap_or(30);
                let _ = kill_tx.send(Some(Duration::from_secs(grace)));
            }
        }
        if !aborted {
            write_status(&api, &name, &mut run).await;
        }
    }
    drop(events_tx);

    if deleting.is_some() && !aborted {
        let params = DeleteParams {
            grace_period_seconds: Some(0),
            preconditions: pod.metadata.uid.clone().map(|uid| Preconditions {
                uid: Some(uid),
                resource_version: None,
            }),
            ..DeleteParams::default()
        };
        if let Err(e) = api.delete(&name, &params).await {
            tracing::debug!(error = %e, pod = %name, %namespace, "removing deleted pod");
        }
    }
}

async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

fn set_phase(run: &mut PodRun, kind: Kind, index: usize, phase: ContainerPhase) {
    let list = match kind {
        Kind::Init => &mut run.init_containers,
        Kind::Main => &mut run.containers,
    };
    if let Some(container) = list.get_mut(index) {
        container.phase = phase;
    }
}

async fn write_status(api: &Api<Pod>, name: &str, run: &mut PodRun) {
    run.touch_conditions(Timestamp::now());
    let patch = serde_json::json!({ "status": run.status() });
    if let Err(e) = api
        .patch_status(name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
    {
        tracing::debug!(error = %e, pod = %name, "writing pod status");
    }
}

/// Creates the Pod's directory and one directory per volume: `emptyDir` (and any volume
/// type not listed below) is an empty directory, `configMap`/`secret` volumes hold one file
/// per key, and `hostPath` is the host path itself.
async fn prepare_dirs(ctx: &AgentContext, pod: &Pod) -> Result<PodDirs, String> {
    let meta = &pod.metadata;
    let root = ctx.work_dir.join("pods").join(format!(
        "{}_{}_{}",
        meta.namespace.as_deref().unwrap_or_default(),
        meta.name.as_deref().unwrap_or_default(),
        meta.uid.as_deref().unwrap_or_default()
    ));
    let mkdir = |path: &Path| {
        std::fs::create_dir_all(path).map_err(|e| format!("creating {}: {e}", path.display()))
    };
    for sub in ["logs", "home", "containers", "volumes"] {
        mkdir(&root.join(sub))?;
    }
    let namespace = meta.namespace.clone().unwrap_or_default();
    let mut volumes = HashMap::new();
    for volume in pod.spec.iter().flat_map(|s| s.volumes.iter().flatten()) {
        if let Some(host) = &volume.host_path {
            volumes.insert(volume.name.clone(), PathBuf::from(&host.path));
            continue;
        }
        let dir = root.join("volumes").join(&volume.name);
        mkdir(&dir)?;
        let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
        if let Some(source) = &volume.config_map {
            let api: Api<ConfigMap> = Api::namespaced(ctx.client.clone(), &namespace);
            match api.get_opt(&source.name).await {
                Ok(Some(cm)) => {
                    files.extend(
                        cm.data
                            .unwrap_or_default()
                            .into_iter()
                            .map(|(k, v)| (k, v.into_bytes())),
                    );
                    files.extend(
                        cm.binary_data
                            .unwrap_or_default()
                            .into_iter()
                            .map(|(k, v)| (k, v.0)),
                    );
                }
                Ok(None) if source.optional.unwrap_or(false) => {}
                Ok(None) => return Err(format!("configmap {:?} not found", source.name)),
                Err(e) => return Err(format!("reading configmap {:?}: {e}", source.name)),
            }
        }
        if let Some(source) = &volume.secret {
            let secret_name = source.secret_name.clone().unwrap_or_default();
            let api: Api<Secret> = Api::namespaced(ctx.client.clone(), &namespace);
            match api.get_opt(&secret_name).await {
                Ok(Some(secret)) => {
                    files.extend(
                        secret
                            .data
                            .unwrap_or_default()
                            .into_iter()
                            .map(|(k, v)| (k, v.0)),
                    );
                    files.extend(
                        secret
                            .string_data
                            .unwrap_or_default()
                            .into_iter()
                            .map(|(k, v)| (k, v.into_bytes())),
                    );
                }
                Ok(None) if source.optional.unwrap_or(false) => {}
                Ok(None) => return Err(format!("secret {secret_name:?} not found")),
                Err(e) => return Err(format!("reading secret {secret_name:?}: {e}")),
            }
        }
        for (key, bytes) in files {
            let path = dir.join(&key);
            std::fs::write(&path, bytes).map_err(|e| format!("writing {}: {e}", path.display()))?;
        }
        volumes.insert(volume.name.clone(), dir);
    }
    Ok(PodDirs { root, volumes })
}

/// One container's process, from start to exit.
struct ContainerTask {
    ctx: Arc<AgentContext>,
    pod: Pod,
    container: Container,
    kind: Kind,
    index: usize,
    dirs_root: PathBuf,
    volumes: HashMap<String, PathBuf>,
    events: mpsc::Sender<ContainerEvent>,
    kill: watch::Receiver<Option<Duration>>,
}

impl ContainerTask {
    async fn run(mut self) {
        let phase = if self.kill.borrow().is_some() {
            // The Pod is being stopped: this container never starts.
            ContainerPhase::Terminated {
                exit_code: 137,
                reason: "ContainerStatusUnknown".into(),
                message: Some("the pod was stopped before the container started".into()),
                started_at: None,
                finished_at: Timestamp::now(),
            }
        } else {
            self.start_and_wait().await
        };
        let _ = self
            .events
            .send(ContainerEvent::Finished(self.kind, self.index, phase))
            .await;
    }

    async fn start_and_wait(&mut self) -> ContainerPhase {
        let namespace = self.pod.metadata.namespace.clone().unwrap_or_default();
        let pod_name = self.pod.metadata.name.clone().unwrap_or_default();
        let log_path = self
            .dirs_root
            .join("logs")
            .join(format!("{}.log", self.container.name));
        let (finished_tx, finished_rx) = watch::channel(false);
        self.ctx.logs.register(
            &namespace,
            &pod_name,
            &self.container.name,
            ContainerLogHandle {
                path: log_path.clone(),
                finished: finished_rx,
            },
        );
        let started_at = Timestamp::now();
        let fail = |reason: &str, message: String| ContainerPhase::Terminated {
            exit_code: 128,
            reason: reason.into(),
            message: Some(message),
            started_at: None,
            finished_at: Timestamp::now(),
        };

        if self.kind == Kind::Main && fault_of(&self.pod) == Some(FAULT_OOM_KILL) {
            let _ = self
                .events
                .send(ContainerEvent::Started(self.kind, self.index, started_at))
                .await;
            let _ = finished_tx.send(true);
            return ContainerPhase::Terminated {
                exit_code: 137,
                reason: "OOMKilled".into(),
                message: None,
                started_at: Some(started_at),
                finished_at: Timestamp::now(),
            };
        }

        let spec = match self.spawn_spec().await {
            Ok(spec) => spec,
            Err(ConfigError(message)) => {
                let _ = finished_tx.send(true);
                return fail("CreateContainerConfigError", message);
            }
        };
        let log_file = match std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
        {
            Ok(file) => Arc::new(Mutex::new(file)),
            Err(e) => {
                let _ = finished_tx.send(true);
                return fail("StartError", format!("opening {}: {e}", log_path.display()));
            }
        };
        let mut process = match Supervised::spawn(&spec) {
            Ok(process) => process,
            Err(e) => {
                let _ = finished_tx.send(true);
                return fail("StartError", e.to_string());
            }
        };
        let mut copies = Vec::new();
        if let Some(stdout) = process.take_stdout() {
            copies.push(tokio::spawn(super::container_log::copy_output(
                stdout,
                "stdout",
                log_file.clone(),
            )));
        }
        if let Some(stderr) = process.take_stderr() {
            copies.push(tokio::spawn(super::container_log::copy_output(
                stderr,
                "stderr",
                log_file.clone(),
            )));
        }
        let _ = self
            .events
            .send(ContainerEvent::Started(self.kind, self.index, started_at))
            .await;

        let status = loop {
            let grace = *self.kill.borrow_and_update();
            if let Some(grace) = grace {
                break process.stop(grace).await;
            }
            tokio::select! {
                status = process.wait() => break status.ok(),
                changed = self.kill.changed() => {
                    if changed.is_err() {
                        break process.stop(Duration::ZERO).await;
                    }
                }
            }
        };
        // Anything the container left running gets SIGTERM, then SIGKILL; its output pipes
        // close then, which ends the log copies.
        process.release();
        for copy in copies {
            let _ =
                tokio::time::timeout(Duration::from_secs(LEFTOVER_GRACE_SECONDS + 3), copy).await;
        }
        let _ = finished_tx.send(true);
        let finished_at = Timestamp::now();
        let exit_code = match status {
            Some(status) => status
                .code()
                .or_else(|| std::os::unix::process::ExitStatusExt::signal(&status).map(|s| 128 + s))
                .unwrap_or(255),
            None => 255,
        };
        ContainerPhase::exited(exit_code, started_at, finished_at)
    }

    /// The command line, environment and working directory of the container's process.
    async fn spawn_spec(&self) -> Result<SpawnSpec, ConfigError> {
        let c = &self.container;
        let mounts: Vec<(String, String)> = c
            .volume_mounts
            .iter()
            .flatten()
            .filter_map(|m| {
                let dir = self.volumes.get(&m.name)?;
                let dir = match &m.sub_path {
                    Some(sub) if !sub.is_empty() => dir.join(sub),
                    _ => dir.clone(),
                };
                let _ = std::fs::create_dir_all(&dir);
                Some((m.mount_path.clone(), dir.display().to_string()))
            })
            .collect();
        let vars = container_env::resolve_env(
            &self.ctx.client,
            &self.pod,
            c,
            &self.ctx.node_name,
            &mounts,
        )
        .await?;
        let mut argv: Vec<String> = c.command.clone().unwrap_or_default();
        argv.extend(c.args.clone().unwrap_or_default());
        if argv.is_empty() {
            return Err(ConfigError(format!(
                "container {} has no command or args: the node agent runs processes, not images",
                c.name
            )));
        }
        let argv: Vec<String> = argv
            .iter()
            .map(|arg| {
                container_env::substitute_mounts(&container_env::expand_vars(arg, &vars), &mounts)
            })
            .collect();

        let mut env: BTreeMap<String, String> = BTreeMap::new();
        env.insert("PATH".into(), self.ctx.path_env.clone());
        env.insert(
            "HOME".into(),
            self.dirs_root.join("home").display().to_string(),
        );
        env.insert(
            "HOSTNAME".into(),
            self.pod.metadata.name.clone().unwrap_or_default(),
        );
        for m in c.volume_mounts.iter().flatten() {
            if let Some((_, dir)) = mounts.iter().find(|(path, _)| *path == m.mount_path) {
                env.insert(container_env::mount_env_name(&m.name), dir.clone());
            }
        }
        env.extend(vars);

        let current_dir = match c.working_dir.as_deref().filter(|d| !d.is_empty()) {
            Some(dir) => {
                let substituted = PathBuf::from(container_env::substitute_mounts(dir, &mounts));
                if substituted.is_dir() {
                    substituted
                } else {
                    let inside = self
                        .dirs_root
                        .join("rootfs")
                        .join(dir.trim_start_matches('/'));
                    std::fs::create_dir_all(&inside).map_err(|e| {
                        ConfigError(format!("creating working dir {}: {e}", inside.display()))
                    })?;
                    inside
                }
            }
            None => {
                let scratch = self.dirs_root.join("containers").join(&c.name);
                std::fs::create_dir_all(&scratch)
                    .map_err(|e| ConfigError(format!("creating {}: {e}", scratch.display())))?;
                scratch
            }
        };
        let mut argv = argv.into_iter();
        Ok(SpawnSpec {
            program: argv.next().unwrap_or_default().into(),
            args: argv.map(Into::into).collect(),
            env: Some(env.into_iter().map(|(k, v)| (k.into(), v.into())).collect()),
            current_dir: Some(current_dir),
            log_file: None,
            grace_seconds: LEFTOVER_GRACE_SECONDS,
        })
    }
}
