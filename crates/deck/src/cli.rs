//! deck's flags (Prow's names where Prow has them) and its wiring.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use prometheus_client::registry::Registry;
use prow_config::LoadOptions;
use prow_kube::admin::AdminArgs;
use prow_kube::build_clusters::BuildClusterArgs;
use prow_kube::client::ClientArgs;
use prow_kube::shutdown::shutdown_on_signals;
use prow_kube::telemetry::{LogArgs, init_tracing};

use crate::app::{JobSource, Options, serve_with};
use crate::run_storage::StorageOptions;

/// Serves the read-only status page and JSON API of ProwJobs.
#[derive(Debug, clap::Parser)]
#[command(name = "deck", version)]
pub struct Cli {
    /// Path to Prow's config.yaml.
    #[arg(long, env = "CONFIG_PATH")]
    pub config_path: PathBuf,
    /// Path to the job config directory (or a single file).
    #[arg(long, env = "JOB_CONFIG_PATH")]
    pub job_config_path: Option<PathBuf>,
    /// Port of the web server.
    #[arg(long, env = "DECK_PORT", default_value_t = 8080)]
    pub port: u16,
    /// Address the web server listens on.
    #[arg(long, env = "DECK_BIND_ADDRESS", default_value_t = IpAddr::V4(Ipv4Addr::UNSPECIFIED))]
    pub bind_address: IpAddr,
    /// hook's plugin help endpoint, for the command help page.
    #[arg(long, env = "HOOK_URL", default_value = "http://hook:8888/plugin-help")]
    pub hook_url: String,
    /// GCS service account key file for reading job artifacts.
    #[arg(long, env = "GCS_CREDENTIALS_FILE")]
    pub gcs_credentials_file: Option<PathBuf>,
    /// Prow's S3 credentials file for reading job artifacts.
    #[arg(long, env = "S3_CREDENTIALS_FILE")]
    pub s3_credentials_file: Option<PathBuf>,
    /// Kubernetes client flags (the cluster holding the ProwJobs).
    #[command(flatten)]
    pub client: ClientArgs,
    /// Build cluster flags (Pods and live logs on the job page).
    #[command(flatten)]
    pub build_clusters: BuildClusterArgs,
    /// Logging flags.
    #[command(flatten)]
    pub log: LogArgs,
    /// Admin server flags.
    #[command(flatten)]
    pub admin: AdminArgs,
}

/// Runs deck until SIGTERM/SIGINT.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    init_tracing(&cli.log)?;
    let shutdown = shutdown_on_signals()?;
    let client = cli.client.client().await?;
    let clusters = cli
        .build_clusters
        .load(client.clone(), cli.client.rate_limit())
        .await?;
    let options = Options {
        listen: SocketAddr::new(cli.bind_address, cli.port),
        admin: Some(cli.admin.addr()),
        config: Some(LoadOptions {
            config_path: cli.config_path.clone(),
            job_config_path: cli.job_config_path.clone(),
            plugin_config_path: None,
        }),
        jobs: JobSource::Kube {
            client,
            namespace: None,
        },
        build_clusters: Some(clusters),
        storage: StorageOptions {
            gcs_credentials_file: cli.gcs_credentials_file.clone(),
            s3_credentials_file: cli.s3_credentials_file.clone(),
        },
        hook_url: Some(cli.hook_url.clone()).filter(|u| !u.is_empty()),
    };
    let deck = serve_with(options, Registry::with_prefix("deck"), shutdown).await?;
    deck.wait().await;
    Ok(())
}
