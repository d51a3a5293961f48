//! `local-cluster`: a real local Kubernetes control plane (etcd + kube-apiserver with the
//! prow-rs CRDs installed) plus the prow-testkit node agent, which schedules Pods and runs
//! their containers as local processes. Prints one line containing `ready` when usable;
//! stops cleanly (children killed, temporary files removed) on SIGINT or SIGTERM.
//!
//! ```text
//! cargo run -p prow-testkit --bin local-cluster -- --kubeconfig-out /tmp/prow.kubeconfig
//! ```

use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;
use prow_testkit::control_plane::{ControlPlane, tools};
use tokio::signal::unix::{SignalKind, signal};

/// Run a local Kubernetes control plane and node agent until interrupted.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Where to write the admin kubeconfig (it references certificate files in a temporary
    /// directory that exists while this program runs; the file is removed on exit).
    #[arg(long, env = "PROW_RS_KUBECONFIG_OUT")]
    kubeconfig_out: PathBuf,
    /// Directory holding `etcd` and `kube-apiserver`; when unset, `hack/build-tools.sh`
    /// builds them (minutes, once) and prints it.
    #[arg(long, env = "PROW_RS_TOOLS_DIR")]
    tools_dir: Option<PathBuf>,
    /// Directory of CRD manifests to install (`*.yaml`).
    #[arg(long, default_value_os_t = tools::repo_root().join("crds"))]
    crds_dir: PathBuf,
    /// Name of the Node the node agent registers.
    #[arg(long, default_value = "local-node")]
    node_name: String,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // kube's client logs every non-2xx answer as an error, which is all of the API server's
    // `/readyz` answers while it starts; RUST_LOG overrides this default.
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
                tracing_subscriber::EnvFilter::new("info,kube_client::client::builder=off")
            }),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let mut interrupt = signal(SignalKind::interrupt()).context("installing the SIGINT handler")?;
    let mut terminate =
        signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;

    let tools_dir = match &args.tools_dir {
        Some(dir) => dir.clone(),
        None => tools::find_tools_dir()
            .await
            .context("finding kube-apiserver and etcd")?,
    };
    let cluster = ControlPlane::start_with_tools(&tools_dir, &args.crds_dir)
        .await
        .context("starting the control plane")?
        .with_node_agent(&args.node_name)
        .await
        .context("starting the node agent")?;
    std::fs::copy(cluster.kubeconfig_path(), &args.kubeconfig_out)
        .with_context(|| format!("writing {}", args.kubeconfig_out.display()))?;

    let memory: Vec<String> = cluster
        .memory_usage_kib()
        .into_iter()
        .map(|(name, kib)| match kib {
            Some(kib) => format!("{name}_rss_mib={}", kib / 1024),
            None => format!("{name}_rss_mib=unknown"),
        })
        .collect();
    println!(
        "local-cluster ready: kubeconfig={} server={} work_dir={} node={} startup_ms={} {}",
        args.kubeconfig_out.display(),
        cluster.server_url(),
        cluster.work_dir().display(),
        args.node_name,
        cluster.startup_duration().as_millis(),
        memory.join(" ")
    );

    tokio::select! {
        _ = interrupt.recv() => tracing::info!("SIGINT: stopping"),
        _ = terminate.recv() => tracing::info!("SIGTERM: stopping"),
    }
    cluster.stop().await;
    if let Err(e) = std::fs::remove_file(&args.kubeconfig_out) {
        tracing::warn!(error = %e, path = %args.kubeconfig_out.display(), "removing the kubeconfig");
    }
    println!("local-cluster stopped");
    Ok(())
}
