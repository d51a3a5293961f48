//! A local node agent: a kubelet (and scheduler) stand-in that runs Pods as local processes.
//!
//! [`NodeAgent::start`] registers a Ready Node (capacity, InternalIP 127.0.0.1, the log
//! server port as the kubelet endpoint) and keeps its Ready condition and Lease fresh; binds
//! every unbound Pod that uses the default scheduler to that Node (it replaces the
//! scheduler); and runs the Pods bound to it:
//!
//! - init containers one after another, then all containers at once, each as a process:
//!   `command` + `args` (only `args` when there is no `command`, since images are never
//!   pulled and their entrypoint is unknown; with neither, or an env reference that cannot
//!   be resolved, the container terminates with reason `CreateContainerConfigError`, exit
//!   code 128, instead of waiting forever as on a kubelet). A program that is not found
//!   exits 127 (the shell's code) with reason `Error`;
//! - environment: `PATH` of the agent, `HOME` in a per-pod directory, `HOSTNAME`, then
//!   `envFrom` and `env` (values with `$(VAR)` expansion, downward-API `fieldRef`,
//!   `secretKeyRef`, `configMapKeyRef` read through the API);
//! - volumes: `emptyDir` (and unknown types) are per-pod directories shared by the Pod's
//!   containers, `configMap`/`secret` volumes are directories with a file per key, `hostPath`
//!   is the host path. Processes see the real filesystem, so each mount's directory is passed
//!   as `PROW_TESTKIT_MOUNT_<VOLUME>` and every mount path in `command`, `args`, `env` values
//!   and `workingDir` is rewritten to the directory (whole paths only). A path built at run
//!   time (`cd /; cat shared/x`) is not rewritten: that is the limit of running processes
//!   without mount namespaces;
//! - `workingDir` (rewritten as above, else created under the pod's `rootfs/`), or a
//!   per-container scratch directory;
//! - stdout and stderr go to a CRI-format log file served on the kubelet `containerLogs`
//!   endpoint over HTTPS, so `pods/log` through the API server works, with `follow`;
//! - status through `pods/status` at every change: phase, conditions, container statuses with
//!   exit codes and reasons, start time, pod and host IP 127.0.0.1;
//! - `restartPolicy` is always treated as `Never` (no restarts);
//! - a deletionTimestamp sends SIGTERM to each container's process group, SIGKILL after the
//!   grace period, then the Pod is deleted with grace period 0; `activeDeadlineSeconds` fails
//!   the Pod with reason `DeadlineExceeded` and stops its containers.
//!
//! Not modelled: images, probes (a running container is Ready), resource limits (nothing is
//! enforced; OOM only by fault), `nodeSelector`/affinity/taints (every Pod fits), restarts,
//! `sinceSeconds`/`sinceTime` on logs, authentication of the API server by the log server,
//! processes that escape their process group (`setsid`) on deletion.
//!
//! Faults are injected with the annotation [`FAULT_ANNOTATION`]: see the `FAULT_*` constants.

mod binder;
mod container_env;
mod container_log;
mod log_server;
mod node_registration;
mod pod_status;
mod pod_sync;
mod pod_worker;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::control_plane::Result;
use crate::control_plane::pki::CertAndKey;
use log_server::LogRegistry;

/// The Pod annotation that injects a fault.
pub const FAULT_ANNOTATION: &str = "prow-testkit.dev/fault";
/// The agent never binds the Pod: it stays unscheduled (`Pending`, no node).
pub const FAULT_NEVER_BIND: &str = "never-bind";
/// The agent binds the Pod but never starts it: it stays `Pending` with no status.
pub const FAULT_STAY_PENDING: &str = "stay-pending";
/// Init containers run; every main container is reported terminated with reason
/// `OOMKilled` and exit code 137 without running; the Pod ends `Failed`.
pub const FAULT_OOM_KILL: &str = "oom-kill";
/// The agent deletes the Pod from the API (grace period 0) without running it.
pub const FAULT_VANISH: &str = "vanish";

/// The fault annotation's value, if any.
pub fn fault_of(pod: &Pod) -> Option<&str> {
    pod.metadata
        .annotations
        .as_ref()?
        .get(FAULT_ANNOTATION)
        .map(String::as_str)
}

/// How to run a node agent.
#[derive(Clone, Debug)]
pub struct NodeAgentOptions {
    /// The Node name.
    pub node_name: String,
    /// Where Pod directories (volumes, logs, scratch) are created.
    pub work_dir: PathBuf,
    /// The log server's certificate (SAN 127.0.0.1), signed by a CA the API server trusts
    /// through `--kubelet-certificate-authority`.
    pub serving_cert: CertAndKey,
    /// CPU capacity reported on the Node.
    pub cpu: String,
    /// Memory capacity reported on the Node.
    pub memory: String,
    /// Pod capacity reported on the Node.
    pub max_pods: u32,
    /// How often the Node status and Lease are renewed.
    pub heartbeat_interval: Duration,
    /// When the agent started (the Ready condition's transition time).
    pub started_at: jiff::Timestamp,
}

impl NodeAgentOptions {
    /// Defaults: 8 CPUs, 16Gi, 110 pods, heartbeat every 10 s.
    pub fn new(node_name: &str, work_dir: &Path, serving_cert: CertAndKey) -> Self {
        Self {
            node_name: node_name.to_owned(),
            work_dir: work_dir.to_path_buf(),
            serving_cert,
            cpu: "8".into(),
            memory: "16Gi".into(),
            max_pods: 110,
            heartbeat_interval: node_registration::DEFAULT_HEARTBEAT,
            started_at: jiff::Timestamp::now(),
        }
    }
}

/// What the agent's tasks share.
pub(crate) struct AgentContext {
    pub(crate) client: kube::Client,
    pub(crate) node_name: String,
    pub(crate) work_dir: PathBuf,
    pub(crate) logs: Arc<LogRegistry>,
    pub(crate) path_env: String,
    pub(crate) cancel: CancellationToken,
}

/// A running node agent. Dropping it stops its loops and kills every process it started
/// (its Node object stays).
#[derive(Debug)]
pub struct NodeAgent {
    node_name: String,
    log_port: u16,
    cancel: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
}

impl NodeAgent {
    /// Starts the log server, registers the Node and starts the binder, the sync loop and
    /// the heartbeat.
    pub async fn start(client: kube::Client, options: NodeAgentOptions) -> Result<NodeAgent> {
        std::fs::create_dir_all(&options.work_dir)
            .map_err(crate::control_plane::Error::io(&options.work_dir))?;
        let cancel = CancellationToken::new();
        let logs = Arc::new(LogRegistry::default());
        let address =
            log_server::serve(logs.clone(), &options.serving_cert, cancel.clone()).await?;
        node_registration::register(&client, &options, address.port()).await?;
        let ctx = Arc::new(AgentContext {
            client: client.clone(),
            node_name: options.node_name.clone(),
            work_dir: options.work_dir.clone(),
            logs,
            path_env: std::env::var("PATH")
                .unwrap_or_else(|_| "/usr/local/bin:/usr/bin:/bin".into()),
            cancel: cancel.clone(),
        });
        let tasks = vec![
            tokio::spawn(binder::bind_loop(
                client.clone(),
                options.node_name.clone(),
                cancel.clone(),
            )),
            tokio::spawn(pod_sync::sync_loop(ctx)),
            tokio::spawn(node_registration::heartbeat_loop(
                client,
                options.clone(),
                address.port(),
                cancel.clone(),
            )),
        ];
        Ok(NodeAgent {
            node_name: options.node_name,
            log_port: address.port(),
            cancel,
            tasks,
        })
    }

    /// The Node name.
    pub fn node_name(&self) -> &str {
        &self.node_name
    }

    /// The port of the HTTPS log server on 127.0.0.1.
    pub fn log_port(&self) -> u16 {
        self.log_port
    }

    /// Stops the agent and waits (up to a few seconds) until its Pods' processes are killed.
    pub async fn shutdown(mut self) {
        self.cancel.cancel();
        for task in self.tasks.drain(..) {
            let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
        }
    }
}

impl Drop for NodeAgent {
    fn drop(&mut self) {
        // The sync loop aborts its workers on cancel; their processes die with the
        // `Supervised` handles (and, at process exit, through the watchdog pipe).
        self.cancel.cancel();
    }
}
