//! plank's flags (Prow's names where Prow has them) and its wiring.

use prow_utils::decorate::DecorationOptions;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use prometheus_client::registry::Registry;
use prow_config::{LoadOptions, ReloadOutcome, Reloader};
use prow_kube::admin::AdminArgs;
use prow_kube::build_clusters::BuildClusterArgs;
use prow_kube::client::ClientArgs;
use prow_kube::component::start_leader_elected;
use prow_kube::leader::LeaderElectionArgs;
use prow_kube::rate_limit::RateLimit;
use prow_kube::shutdown::shutdown_on_signals;
use prow_kube::telemetry::{LogArgs, init_tracing};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::api_requests::counted_client;
use crate::controller::{PlankOptions, Settings, run_plank};
use crate::events::EventSink;
use crate::metrics::Metrics;

/// Runs ProwJobs (agent kubernetes) as Pods in the build clusters and writes their
/// outcome to the ProwJob status.
#[derive(Debug, clap::Parser)]
#[command(name = "plank", version)]
pub struct Cli {
    /// Path to Prow's config.yaml.
    #[arg(long, env = "CONFIG_PATH")]
    pub config_path: PathBuf,
    /// Path to the job config directory (or a single file).
    #[arg(long, env = "JOB_CONFIG_PATH")]
    pub job_config_path: Option<PathBuf>,
    /// ProwJob reconciles running at once.
    #[arg(long, env = "PLANK_WORKERS", default_value_t = 64)]
    pub workers: u16,
    /// Requests per second of the separate client that publishes Events (0: no limit).
    #[arg(long, env = "PLANK_EVENTS_QPS", default_value_t = 5.0)]
    pub events_qps: f64,
    /// Burst of the Events client.
    #[arg(long, env = "PLANK_EVENTS_BURST", default_value_t = 10)]
    pub events_burst: u32,
    /// Run the pod utilities of decorated jobs as `<PATH> <role>` (the `prow-utils` binary)
    /// instead of through their images' entrypoints: for a single-machine install, where
    /// containers run as host processes (`prow-local`). Unset: Prow's Pods exactly.
    #[arg(long, env = "PLANK_UTILITY_PROGRAM", value_name = "PATH")]
    pub utility_program: Option<PathBuf>,
    /// Do not publish Kubernetes Events.
    #[arg(long, env = "PLANK_NO_EVENTS")]
    pub no_events: bool,
    /// Kubernetes client flags (default rate limit: 20 requests/s, bursts of 30).
    #[command(flatten)]
    pub client: ClientArgs,
    /// Build cluster flags.
    #[command(flatten)]
    pub build_clusters: BuildClusterArgs,
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

/// Runs plank until SIGTERM/SIGINT.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    init_tracing(&cli.log)?;
    let shutdown = shutdown_on_signals()?;
    let reloader = Reloader::for_component(LoadOptions {
        config_path: cli.config_path.clone(),
        job_config_path: cli.job_config_path.clone(),
        plugin_config_path: None,
    })?;
    let settings = Settings::new(&reloader.current().config.prow)?;
    let (settings_tx, settings_rx) = watch::channel(Arc::new(settings));

    let mut registry = Registry::with_prefix("plank");
    let metrics = Metrics::register(&mut registry);
    let config = cli.client.config().await?;
    let client = counted_client(
        config.clone(),
        cli.client.rate_limit(),
        metrics.api_requests.clone(),
    )?;
    let clusters = cli
        .build_clusters
        .load(client.clone(), cli.client.rate_limit())
        .await?;
    let (mut tasks, leading) = start_leader_elected(
        client.clone(),
        "plank",
        registry,
        &cli.leader,
        &cli.admin,
        &shutdown,
    )
    .await?;
    let events = if cli.no_events {
        EventSink::disabled()
    } else {
        let events_client = counted_client(
            config,
            RateLimit {
                qps: cli.events_qps,
                burst: cli.events_burst,
            },
            metrics.api_requests.clone(),
        )?;
        let (sink, task) = EventSink::start(
            events_client,
            cli.leader.identity(),
            metrics.events_dropped.clone(),
            shutdown.clone(),
        );
        tasks.spawn("events", async move {
            let _ = task.await;
            Ok::<_, std::convert::Infallible>(())
        });
        sink
    };
    let stop = shutdown.clone();
    tasks.spawn("config-reload", async move {
        reload_settings(reloader, settings_tx, stop).await;
        Ok::<_, std::convert::Infallible>(())
    });
    let options = PlankOptions {
        client,
        clusters,
        settings: settings_rx,
        leading,
        metrics,
        events,
        workers: cli.workers,
        decoration: DecorationOptions {
            utility_program: cli
                .utility_program
                .as_ref()
                .map(|path| path.display().to_string()),
            local_output_dir: None,
        },
    };
    let stop = shutdown.clone();
    tasks.spawn("controller", async move {
        run_plank(options, stop).await;
        Ok::<_, std::convert::Infallible>(())
    });
    tasks.join().await?;
    Ok(())
}

/// Re-reads the config files every 10 s; a bad reload keeps the last good settings.
/// Namespaces and build clusters are read once at start.
async fn reload_settings(
    mut reloader: Reloader,
    settings: watch::Sender<Arc<Settings>>,
    shutdown: CancellationToken,
) {
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(Duration::from_secs(10)) => {}
        }
        match reloader.reload_if_changed() {
            ReloadOutcome::Unchanged => {}
            ReloadOutcome::Reloaded(loaded) => match Settings::new(&loaded.config.prow) {
                Ok(new) => {
                    settings.send_replace(Arc::new(new));
                    tracing::info!("config reloaded");
                }
                Err(error) => {
                    tracing::error!(%error, "config reload rejected; keeping the last good config")
                }
            },
            ReloadOutcome::Failed(error) => {
                tracing::error!(%error, "config reload failed; keeping the last good config")
            }
            ReloadOutcome::Rejected(problems) => {
                for problem in problems {
                    tracing::error!(%problem, "config reload rejected; keeping the last good config");
                }
            }
        }
    }
}
