//! Horologium's flags (Prow's names) and its wiring.

use std::path::PathBuf;

use prometheus_client::registry::Registry;
use prow_config::{LoadOptions, Reloader};
use prow_kube::admin::AdminArgs;
use prow_kube::client::ClientArgs;
use prow_kube::component::start_leader_elected;
use prow_kube::leader::LeaderElectionArgs;
use prow_kube::shutdown::shutdown_on_signals;
use prow_kube::telemetry::{LogArgs, init_tracing};

use crate::controller::run_periodics;
use crate::metrics::Metrics;

/// Starts periodic ProwJobs on their `interval`, `cron` or `minimum_interval`.
#[derive(Debug, clap::Parser)]
#[command(name = "horologium", version)]
pub struct Cli {
    /// Path to Prow's config.yaml.
    #[arg(long, env = "CONFIG_PATH")]
    pub config_path: PathBuf,
    /// Path to the job config directory (or a single file).
    #[arg(long, env = "JOB_CONFIG_PATH")]
    pub job_config_path: Option<PathBuf>,
    /// Log the runs that would start instead of creating ProwJobs.
    #[arg(long, env = "DRY_RUN", action = clap::ArgAction::Set, num_args = 0..=1,
          default_value = "false", default_missing_value = "true")]
    pub dry_run: bool,
    /// Kubernetes client flags.
    #[command(flatten)]
    pub client: ClientArgs,
    /// Logging flags.
    #[command(flatten)]
    pub log: LogArgs,
    /// Admin server flags.
    #[command(flatten)]
    pub admin: AdminArgs,
    /// Leader election flags.
    #[command(flatten)]
    pub leader: LeaderElectionArgs,
}

/// Runs horologium until SIGTERM/SIGINT.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    init_tracing(&cli.log)?;
    let shutdown = shutdown_on_signals()?;
    let reloader = Reloader::for_component(LoadOptions {
        config_path: cli.config_path.clone(),
        job_config_path: cli.job_config_path.clone(),
        plugin_config_path: None,
    })?;
    let client = cli.client.client().await?;
    let mut registry = Registry::with_prefix("horologium");
    let metrics = Metrics::register(&mut registry);
    let (mut tasks, leading) = start_leader_elected(
        client.clone(),
        "horologium",
        registry,
        &cli.leader,
        &cli.admin,
        &shutdown,
    )
    .await?;
    let stop = shutdown.clone();
    let dry_run = cli.dry_run;
    tasks.spawn("periodics", async move {
        run_periodics(client, reloader, leading, metrics, dry_run, stop).await;
        Ok::<_, std::convert::Infallible>(())
    });
    tasks.join().await?;
    Ok(())
}
