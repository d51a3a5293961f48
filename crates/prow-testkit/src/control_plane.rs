//! A real local Kubernetes control plane for tests: `etcd` and `kube-apiserver` (built from
//! the versions pinned in `hack/tools/go.mod` by `hack/build-tools.sh`) on loopback ports,
//! with generated certificates, the repository's CRDs installed, and an admin client.
//!
//! - [`ControlPlane::start`] starts a private control plane (no node agent).
//! - [`ControlPlane::shared`] starts one control plane per test process, on its own runtime
//!   so every `#[tokio::test]` can use it, together with a [`NodeAgent`] named
//!   [`SHARED_NODE_NAME`] that schedules and runs Pods.
//! - [`ControlPlane::test_namespace`] creates a unique namespace for one test.
//!
//! Children run under a watchdog (see `supervised`): they are killed and the temporary
//! directory is removed when the control plane is dropped and also when the test process
//! exits or panics without dropping it. Failing to find, build or start the control plane
//! is an error (and a panic in [`ControlPlane::shared`]), never a silent skip.

mod crds;
mod error;
mod kubeconfig;
pub mod pki;
pub(crate) mod supervised;
pub mod tools;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Namespace;
use kube::Api;
use kube::api::{DeleteParams, PostParams};
use tokio::sync::OnceCell;

pub use self::error::{Error, Result};
use self::pki::{CertAndKey, CertificateAuthority, ServiceAccountKeys, Usage};
pub use self::supervised::process_is_running;
use self::supervised::{SpawnSpec, Supervised};
use crate::node_agent::{NodeAgent, NodeAgentOptions};

/// The node name of the node agent started by [`ControlPlane::shared`].
pub const SHARED_NODE_NAME: &str = "prow-testkit-node";

/// How long the API server may take to become ready.
const READY_TIMEOUT: Duration = Duration::from_secs(90);

/// A running etcd + kube-apiserver pair. Dropping it stops both and removes its files.
pub struct ControlPlane {
    config: kube::Config,
    server_url: String,
    kubeconfig_path: PathBuf,
    ca: CertificateAuthority,
    startup: Duration,
    runtime: tokio::runtime::Handle,
    node_agent: Option<NodeAgent>,
    apiserver: Supervised,
    etcd: Supervised,
    _janitor: tokio::process::Child,
    dir: tempfile::TempDir,
}

/// A namespace created for one test; deleted (best effort) when dropped. Without a
/// controller-manager the namespace then stays `Terminating`, which is harmless.
pub struct TestNamespace {
    name: String,
    config: kube::Config,
    runtime: tokio::runtime::Handle,
}

impl std::fmt::Debug for TestNamespace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestNamespace")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for ControlPlane {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ControlPlane")
            .field("server_url", &self.server_url)
            .field("kubeconfig_path", &self.kubeconfig_path)
            .field("node_agent", &self.node_agent)
            .finish_non_exhaustive()
    }
}

impl TestNamespace {
    /// The namespace's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for TestNamespace {
    fn drop(&mut self) {
        let config = self.config.clone();
        let name = self.name.clone();
        // A client made inside the task: the test's runtime (and anything bound to it) may
        // be gone by the time this runs.
        self.runtime.spawn(async move {
            let Ok(client) = kube::Client::try_from(config) else {
                return;
            };
            let api: Api<Namespace> = Api::all(client);
            if let Err(e) = api.delete(&name, &DeleteParams::default()).await {
                tracing::debug!(namespace = %name, error = %e, "deleting test namespace");
            }
        });
    }
}

static SHARED_RUNTIME: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
static SHARED: OnceCell<ControlPlane> = OnceCell::const_new();

impl ControlPlane {
    /// Finds (or builds) the binaries, then starts etcd and kube-apiserver, installs the
    /// CRDs from the repository's `crds/` and returns once the API server is ready.
    pub async fn start() -> Result<Self> {
        let tools = tools::find_tools_dir().await?;
        Self::start_with_tools(&tools, &tools::repo_root().join("crds")).await
    }

    /// Like [`ControlPlane::start`] with explicit binary and CRD directories.
    pub async fn start_with_tools(tools: &Path, crds_dir: &Path) -> Result<Self> {
        crate::crypto::install_ring_provider();
        let started = Instant::now();
        let dir = tempfile::Builder::new()
            .prefix("prow-testkit-")
            .tempdir()
            .map_err(Error::io(std::env::temp_dir()))?;
        let root = dir.path().to_path_buf();
        for sub in ["pki", "etcd", "logs", "apiserver"] {
            std::fs::create_dir_all(root.join(sub)).map_err(Error::io(root.join(sub)))?;
        }
        // Removes the directory once this process is gone, even if Drop never runs.
        let janitor = spawn_janitor(&root)?;

        let pki = write_pki(&root.join("pki"))?;
        let (etcd, etcd_url) = start_etcd(tools, &root).await?;
        let (apiserver, server_url, config, client) =
            start_apiserver(tools, &root, &etcd_url).await?;
        let kubeconfig_path = root.join("kubeconfig");
        crds::install_crds(&client, crds_dir).await?;

        let startup = started.elapsed();
        tracing::info!(?startup, %server_url, "control plane ready");
        Ok(Self {
            config,
            server_url,
            kubeconfig_path,
            ca: pki.ca,
            startup,
            runtime: tokio::runtime::Handle::current(),
            node_agent: None,
            apiserver,
            etcd,
            _janitor: janitor,
            dir,
        })
    }

    /// Starts a [`NodeAgent`] against this control plane (its log server certificate is
    /// signed by this control plane's CA) and keeps it running as long as the control plane.
    pub async fn with_node_agent(mut self, node_name: &str) -> Result<Self> {
        let work_dir = self.dir.path().join("node").join(node_name);
        let agent = self.start_node_agent(node_name, &work_dir).await?;
        self.node_agent = Some(agent);
        Ok(self)
    }

    /// Starts a separate [`NodeAgent`] for this control plane; the caller owns it.
    pub async fn start_node_agent(&self, node_name: &str, work_dir: &Path) -> Result<NodeAgent> {
        let serving = self.node_serving_cert()?;
        NodeAgent::start(
            kubeconfig::client(&self.config)?,
            NodeAgentOptions::new(node_name, work_dir, serving),
        )
        .await
    }

    /// A serving certificate for a node agent's log server on 127.0.0.1, signed by the CA
    /// the API server trusts for kubelets.
    pub fn node_serving_cert(&self) -> Result<CertAndKey> {
        self.ca
            .sign("prow-testkit-node", None, Usage::LoopbackServer)
    }

    /// One control plane (with a node agent named [`SHARED_NODE_NAME`]) per test process.
    ///
    /// # Panics
    /// When the control plane cannot be found, built or started: tests never silently skip.
    pub async fn shared() -> &'static ControlPlane {
        crate::crypto::install_ring_provider();
        SHARED
            .get_or_init(|| async {
                let runtime = SHARED_RUNTIME.get_or_init(|| {
                    tokio::runtime::Builder::new_multi_thread()
                        .worker_threads(2)
                        .thread_name("prow-testkit-cluster")
                        .enable_all()
                        .build()
                        .unwrap_or_else(|e| {
                            panic!("cannot build the shared control plane runtime: {e}")
                        })
                });
                let started = runtime
                    .spawn(async {
                        ControlPlane::start()
                            .await?
                            .with_node_agent(SHARED_NODE_NAME)
                            .await
                    })
                    .await;
                match started {
                    Ok(Ok(control_plane)) => control_plane,
                    Ok(Err(e)) => panic!(
                        "cannot start the local Kubernetes control plane (CI={}): {e}",
                        std::env::var("CI").unwrap_or_default()
                    ),
                    Err(e) => panic!("starting the local Kubernetes control plane panicked: {e}"),
                }
            })
            .await
    }

    /// Creates a namespace named `<hint>-<random suffix>` (hint sanitised to a DNS label).
    pub async fn test_namespace(&self, name_hint: &str) -> TestNamespace {
        let name = namespace_name(name_hint, rand::random::<u32>());
        let api: Api<Namespace> = Api::all(self.client());
        let namespace: Namespace = serde_json::from_value(serde_json::json!({
            "metadata": { "name": name, "labels": { "prow-testkit.dev/test-namespace": "true" } }
        }))
        .unwrap_or_default();
        // A busy API server (many test binaries start at once in CI) can drop a connection:
        // retry a few times; AlreadyExists means an earlier attempt went through.
        let mut attempt = 0;
        loop {
            attempt += 1;
            match api.create(&PostParams::default(), &namespace).await {
                Ok(_) => break,
                Err(kube::Error::Api(status)) if status.code == 409 => break,
                Err(e) if attempt < 5 => {
                    tracing::warn!(namespace = %name, error = %e, attempt, "creating the test namespace failed; retrying");
                    tokio::time::sleep(std::time::Duration::from_millis(200 * attempt)).await;
                }
                Err(e) => {
                    panic!("cannot create test namespace {name} after {attempt} attempts: {e}")
                }
            }
        }
        TestNamespace {
            name,
            config: self.config.clone(),
            runtime: self.runtime.clone(),
        }
    }

    /// A new admin (`system:masters`) client with its own connection pool.
    ///
    /// Call it from the runtime that uses it (each `#[tokio::test]` has its own runtime,
    /// and a connection opened on one runtime dies with it), and inside a Tokio runtime.
    ///
    /// # Panics
    /// Outside a Tokio runtime, or if the kubeconfig this control plane wrote is unusable.
    pub fn client(&self) -> kube::Client {
        kubeconfig::client(&self.config)
            .unwrap_or_else(|e| panic!("client for the local control plane: {e}"))
    }

    /// A client configuration for another user (certificate CN `user`, O `group`), signed
    /// by this control plane's CA: with RBAC on, it may do only what Roles grant it.
    pub async fn user_config(&self, user: &str, group: Option<&str>) -> Result<kube::Config> {
        let pki = self.dir.path().join("pki");
        let file = format!("user-{}", namespace_name(user, rand::random::<u32>()));
        let leaf = self.ca.sign(user, group, Usage::Client)?;
        for (ext, content) in [("crt", &leaf.cert_pem), ("key", &leaf.key_pem)] {
            let path = pki.join(format!("{file}.{ext}"));
            std::fs::write(&path, content).map_err(Error::io(path))?;
        }
        let path = pki.join(format!("{file}.kubeconfig"));
        kubeconfig::write(&path, &self.server_url, &pki, &file)?;
        kubeconfig::config(&path).await
    }

    /// The admin client configuration (build a `kube::Client` from it on your runtime).
    pub fn config(&self) -> &kube::Config {
        &self.config
    }

    /// The admin kubeconfig (it references certificate files next to it).
    pub fn kubeconfig_path(&self) -> &Path {
        &self.kubeconfig_path
    }

    /// `https://127.0.0.1:<port>`.
    pub fn server_url(&self) -> &str {
        &self.server_url
    }

    /// The node agent started with [`ControlPlane::with_node_agent`], if any.
    pub fn node_agent(&self) -> Option<&NodeAgent> {
        self.node_agent.as_ref()
    }

    /// How long [`ControlPlane::start`] took after the binaries were found.
    pub fn startup_duration(&self) -> Duration {
        self.startup
    }

    /// The CA certificate (PEM) that signed the API server's and node agent's certificates.
    pub fn ca_cert_pem(&self) -> &str {
        self.ca.cert_pem()
    }

    /// The resident set size in KiB of etcd and kube-apiserver, as `(name, KiB)`.
    pub fn memory_usage_kib(&self) -> Vec<(&'static str, Option<u64>)> {
        vec![
            ("etcd", self.etcd.program_rss_kib()),
            ("kube-apiserver", self.apiserver.program_rss_kib()),
        ]
    }

    /// Stops gracefully: the node agent (killing its Pods' processes), then kube-apiserver
    /// and etcd (SIGTERM, SIGKILL after 5 s), then removes the temporary directory.
    pub async fn stop(mut self) {
        if let Some(agent) = self.node_agent.take() {
            agent.shutdown().await;
        }
        self.apiserver.stop(Duration::from_secs(5)).await;
        self.etcd.stop(Duration::from_secs(5)).await;
    }

    /// The directory holding the certificates, etcd data and logs (`logs/*.log`).
    pub fn work_dir(&self) -> &Path {
        self.dir.path()
    }
}

/// How often a start is retried when a port picked as free was taken in the meantime.
const PORT_ATTEMPTS: usize = 3;

fn port_was_taken(error: &Error) -> bool {
    matches!(error, Error::NotReady { log_tail, .. } if log_tail.contains("address already in use"))
}

/// Starts etcd on free loopback ports and waits until it is healthy; returns its client URL.
async fn start_etcd(tools: &Path, root: &Path) -> Result<(Supervised, String)> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        if attempt > 1 {
            // A failed attempt may have initialised the data dir with its own peer URL.
            let data = root.join("etcd");
            std::fs::remove_dir_all(&data).map_err(Error::io(&data))?;
            std::fs::create_dir_all(&data).map_err(Error::io(&data))?;
        }
        let etcd_client_port = free_port()?;
        let etcd_peer_port = free_port()?;
        let etcd_url = format!("http://127.0.0.1:{etcd_client_port}");
        let etcd_peer_url = format!("http://127.0.0.1:{etcd_peer_port}");
        let mut etcd = Supervised::spawn(&SpawnSpec {
            program: tools.join("etcd").into(),
            args: [
                "--name=default".to_owned(),
                format!("--data-dir={}", root.join("etcd").display()),
                format!("--listen-client-urls={etcd_url}"),
                format!("--advertise-client-urls={etcd_url}"),
                format!("--listen-peer-urls={etcd_peer_url}"),
                format!("--initial-advertise-peer-urls={etcd_peer_url}"),
                format!("--initial-cluster=default={etcd_peer_url}"),
                "--unsafe-no-fsync=true".to_owned(),
                "--quota-backend-bytes=536870912".to_owned(),
                "--log-level=warn".to_owned(),
            ]
            .map(Into::into)
            .into(),
            log_file: Some(root.join("logs/etcd.log")),
            grace_seconds: 2,
            ..SpawnSpec::default()
        })?;
        match wait_etcd_healthy(&mut etcd, &etcd_url, &root.join("logs/etcd.log")).await {
            Ok(()) => return Ok((etcd, etcd_url)),
            Err(e) if attempt < PORT_ATTEMPTS && port_was_taken(&e) => {
                tracing::info!(error = %e, "retrying etcd on other ports");
            }
            Err(e) => return Err(e),
        }
    }
}

/// Starts kube-apiserver on a free loopback port, writes the admin kubeconfig and waits until
/// `/readyz` answers; returns the process, its URL, the admin config and a client.
async fn start_apiserver(
    tools: &Path,
    root: &Path,
    etcd_url: &str,
) -> Result<(Supervised, String, kube::Config, kube::Client)> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let secure_port = free_port()?;
        let p = |name: &str| root.join("pki").join(name).display().to_string();
        let mut apiserver = Supervised::spawn(&SpawnSpec {
            program: tools.join("kube-apiserver").into(),
            args: [
                format!("--etcd-servers={etcd_url}"),
                format!("--secure-port={secure_port}"),
                "--bind-address=127.0.0.1".to_owned(),
                "--advertise-address=127.0.0.1".to_owned(),
                format!("--cert-dir={}", root.join("apiserver").display()),
                format!("--tls-cert-file={}", p("apiserver.crt")),
                format!("--tls-private-key-file={}", p("apiserver.key")),
                format!("--client-ca-file={}", p("ca.crt")),
                "--authorization-mode=RBAC".to_owned(),
                "--service-account-issuer=https://kubernetes.default.svc".to_owned(),
                format!("--service-account-key-file={}", p("sa.pub")),
                format!("--service-account-signing-key-file={}", p("sa.key")),
                "--service-cluster-ip-range=10.0.0.0/24".to_owned(),
                "--disable-admission-plugins=ServiceAccount".to_owned(),
                "--allow-privileged=true".to_owned(),
                format!("--kubelet-certificate-authority={}", p("ca.crt")),
                format!("--kubelet-client-certificate={}", p("kubelet-client.crt")),
                format!("--kubelet-client-key={}", p("kubelet-client.key")),
                "--kubelet-preferred-address-types=InternalIP".to_owned(),
                "--endpoint-reconciler-type=none".to_owned(),
                "--enable-priority-and-fairness=false".to_owned(),
                "--profiling=false".to_owned(),
                "--v=1".to_owned(),
            ]
            .map(Into::into)
            .into(),
            log_file: Some(root.join("logs/kube-apiserver.log")),
            grace_seconds: 2,
            ..SpawnSpec::default()
        })?;

        let server_url = format!("https://127.0.0.1:{secure_port}");
        let kubeconfig_path = root.join("kubeconfig");
        kubeconfig::write(&kubeconfig_path, &server_url, &root.join("pki"), "admin")?;
        let config = kubeconfig::config(&kubeconfig_path).await?;
        let client = kubeconfig::client(&config)?;
        let log = root.join("logs/kube-apiserver.log");
        match wait_apiserver_ready(&client, &mut apiserver, &log).await {
            Ok(()) => return Ok((apiserver, server_url, config, client)),
            Err(e) if attempt < PORT_ATTEMPTS && port_was_taken(&e) => {
                tracing::info!(error = %e, "retrying kube-apiserver on another port");
            }
            Err(e) => return Err(e),
        }
    }
}

/// The generated PKI that the control plane keeps (the CA signs more certificates later).
struct WrittenPki {
    ca: CertificateAuthority,
}

/// Writes the CA, the certificates and keys the API server, the admin and the node agent
/// use, and the service-account key pair.
fn write_pki(dir: &Path) -> Result<WrittenPki> {
    let ca = CertificateAuthority::generate("prow-testkit-ca")?;
    let write = |name: &str, content: &str| {
        let path = dir.join(name);
        std::fs::write(&path, content).map_err(Error::io(path))
    };
    write("ca.crt", ca.cert_pem())?;
    let leaves = [
        (
            "apiserver",
            ca.sign("kube-apiserver", None, Usage::LoopbackServer)?,
        ),
        (
            "admin",
            ca.sign("prow-testkit-admin", Some("system:masters"), Usage::Client)?,
        ),
        (
            "kubelet-client",
            ca.sign(
                "kube-apiserver-kubelet-client",
                Some("system:masters"),
                Usage::Client,
            )?,
        ),
    ];
    for (name, leaf) in leaves {
        write(&format!("{name}.crt"), &leaf.cert_pem)?;
        write(&format!("{name}.key"), &leaf.key_pem)?;
    }
    let sa = ServiceAccountKeys::generate()?;
    write("sa.key", &sa.private_key_pem)?;
    write("sa.pub", &sa.public_key_pem)?;
    Ok(WrittenPki { ca })
}

/// Starts `sh` that waits for EOF on its stdin (a pipe only this process writes), then
/// removes `dir`: the directory goes away even when this process dies without dropping.
fn spawn_janitor(dir: &Path) -> Result<tokio::process::Child> {
    tokio::process::Command::new("sh")
        .arg("-c")
        .arg("cat >/dev/null; sleep 3; rm -rf \"$0\"")
        .arg(dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .process_group(0)
        .spawn()
        .map_err(|source| Error::Spawn {
            name: "sh (janitor)".into(),
            source,
        })
}

/// A free TCP port on 127.0.0.1 (free when asked; another process could take it first).
fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(Error::io("127.0.0.1:0"))?;
    let port = listener
        .local_addr()
        .map_err(Error::io("127.0.0.1:0"))?
        .port();
    Ok(port)
}

/// `<hint>-<suffix>`: lowercase alphanumerics and `-`, at most 63 characters.
fn namespace_name(hint: &str, suffix: u32) -> String {
    let mut cleaned: String = hint
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    cleaned.truncate(50);
    let cleaned = cleaned.trim_matches('-');
    let cleaned = if cleaned.is_empty() { "test" } else { cleaned };
    format!("{cleaned}-{suffix:08x}")
}

fn log_tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}

fn exited(name: &str, child: &mut Supervised, log: &Path) -> Result<()> {
    match child.try_wait() {
        Ok(Some(status)) => Err(Error::NotReady {
            name: name.to_owned(),
            reason: format!("exited with {status}"),
            log_tail: log_tail(log),
        }),
        _ => Ok(()),
    }
}

async fn wait_etcd_healthy(etcd: &mut Supervised, url: &str, log: &Path) -> Result<()> {
    let http = reqwest::Client::new();
    let deadline = Instant::now() + READY_TIMEOUT;
    loop {
        exited("etcd", etcd, log)?;
        if let Ok(response) = http.get(format!("{url}/health")).send().await
            && response.status().is_success()
        {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(Error::NotReady {
                name: "etcd".into(),
                reason: format!("{url}/health not healthy after {READY_TIMEOUT:?}"),
                log_tail: log_tail(log),
            });
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn wait_apiserver_ready(
    client: &kube::Client,
    apiserver: &mut Supervised,
    log: &Path,
) -> Result<()> {
    let deadline = Instant::now() + READY_TIMEOUT;
    loop {
        exited("kube-apiserver", apiserver, log)?;
        let request = http::Request::get("/readyz")
            .body(Vec::new())
            .map_err(|e| Error::Kubeconfig(e.to_string()))?;
        let last_error = match client.request_text(request).await {
            Ok(_) => return Ok(()),
            Err(e) => e.to_string(),
        };
        if Instant::now() > deadline {
            return Err(Error::NotReady {
                name: "kube-apiserver".into(),
                reason: format!("/readyz not ready after {READY_TIMEOUT:?}: {last_error}"),
                log_tail: log_tail(log),
            });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespace_names_are_dns_labels() {
        let cases = [
            ("cluster_pods::logs", 1, "cluster-pods--logs-00000001"),
            ("UPPER", 255, "upper-000000ff"),
            ("--", 2, "test-00000002"),
            (&"x".repeat(80), 3, &format!("{}-00000003", "x".repeat(50))),
        ];
        for (hint, suffix, want) in cases {
            let name = namespace_name(hint, suffix);
            assert_eq!(name, want, "{hint}");
            assert!(name.len() <= 63);
        }
    }
}
