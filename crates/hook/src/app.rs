//! The `hook` binary: flags (Prow's names) and wiring.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use prometheus_client::registry::Registry;
use prow_config::LoadOptions;
use prow_github::webhook::HmacSecrets;
use prow_github::{DryRunGitHub, GitHub, GitHubFlags};
use prow_kube::admin::{AdminArgs, AdminServer};
use prow_kube::client::ClientArgs;
use prow_kube::metrics::HttpMetrics;
use prow_kube::readiness::ReadinessGates;
use prow_kube::shutdown::{TaskGroup, shutdown_on_signals};
use prow_kube::telemetry::{LogArgs, init_tracing};

use crate::config_watch::{ConfigWatch, log_refused};
use crate::dispatch::Dispatcher;
use crate::external_plugins::{DEFAULT_FORWARD_TIMEOUT, ExternalForwarder};
use crate::hmac_watch::SharedHmac;
use crate::metrics::HookMetrics;
use crate::plugin::Services;
use crate::plugins::cat::{self, Cat, CatConfig};
use crate::plugins::config_updater::ConfigUpdater;
use crate::plugins::config_updater::metrics::ConfigMapSizes;
use crate::plugins::trigger::Trigger;
use crate::registry::PluginRegistry;
use crate::server::{self, HookOptions};

/// hook: receives GitHub webhooks on `POST /hook`, runs the plugins enabled in plugins.yaml
/// for the event's repository, and creates ProwJobs. Admin endpoints (`/metrics`,
/// `/healthz`, `/readyz`) are on the admin port.
#[derive(Debug, clap::Parser)]
#[command(name = "hook", version)]
pub struct HookArgs {
    /// Port to listen on for webhooks.
    #[arg(long, env = "HOOK_PORT", default_value_t = 8888)]
    pub port: u16,
    /// Address to listen on for webhooks.
    #[arg(long, env = "HOOK_BIND_ADDRESS", default_value_t = IpAddr::V4(Ipv4Addr::UNSPECIFIED))]
    pub bind_address: IpAddr,
    /// Path to config.yaml.
    #[arg(long, env = "CONFIG_PATH", default_value = "/etc/config/config.yaml")]
    pub config_path: PathBuf,
    /// Path to the job-config directory (or one file).
    #[arg(long, env = "JOB_CONFIG_PATH")]
    pub job_config_path: Option<PathBuf>,
    /// Path to plugins.yaml.
    #[arg(
        long,
        env = "PLUGIN_CONFIG",
        default_value = "/etc/plugins/plugins.yaml"
    )]
    pub plugin_config: PathBuf,
    /// Path to the webhook HMAC secret file (Prow's format: one token, or `org/repo:` lists).
    #[arg(long, env = "HMAC_SECRET_FILE", default_value = "/etc/webhook/hmac")]
    pub hmac_secret_file: PathBuf,
    /// Dry run: log GitHub writes instead of making them and write nothing to Kubernetes.
    /// On by default, as in Prow: deployments pass `--dry-run=false`.
    #[arg(
        long,
        env = "DRY_RUN",
        default_value_t = true,
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true",
        action = clap::ArgAction::Set
    )]
    pub dry_run: bool,
    /// On shutdown, how long queued and running events may take to finish (Go duration).
    #[arg(long, env = "GRACE_PERIOD", default_value = "180s", value_parser = parse_grace)]
    pub grace_period: Duration,
    /// Seconds between checks of the config files for changes.
    #[arg(long, env = "CONFIG_POLL_SECONDS", default_value_t = 3)]
    pub config_poll_seconds: u64,
    /// Time one plugin may take for one event, in seconds.
    #[arg(long, env = "PLUGIN_TIMEOUT_SECONDS", default_value_t = 120)]
    pub plugin_timeout_seconds: u64,
    /// Events handled at the same time.
    #[arg(long, env = "MAX_CONCURRENT_EVENTS", default_value_t = 64)]
    pub max_concurrent_events: usize,
    /// The cat API endpoint of the cat plugin (Prow's thecatapi.com search URL).
    #[arg(long, env = "CAT_API_ENDPOINT", default_value = cat::DEFAULT_ENDPOINT)]
    pub cat_api_endpoint: String,
    /// GitHub connection.
    #[command(flatten)]
    pub github: GitHubFlags,
    /// Kubernetes connection.
    #[command(flatten)]
    pub kube: ClientArgs,
    /// Admin server.
    #[command(flatten)]
    pub admin: AdminArgs,
    /// Logging.
    #[command(flatten)]
    pub log: LogArgs,
}

fn parse_grace(text: &str) -> Result<Duration, String> {
    prow_config::parse_duration(text).map_err(|e| e.to_string())
}

/// The built-in plugins: `trigger`, `config-updater` (recording ConfigMap sizes in
/// `configmap_sizes`), `cat` and the review plugins ([`register_review_plugins`]).
pub fn builtin_plugins(args: &HookArgs, configmap_sizes: ConfigMapSizes) -> PluginRegistry {
    let cat_config = CatConfig::from_plugins_file(&args.plugin_config).unwrap_or_else(|e| {
        tracing::warn!(error = %e, "cat: no configuration");
        CatConfig::default()
    });
    let mut registry = PluginRegistry::new();
    registry.register(Arc::new(Trigger));
    registry.register(Arc::new(ConfigUpdater::new().with_metrics(configmap_sizes)));
    registry.register(Arc::new(Cat::new(
        args.cat_api_endpoint.clone(),
        cat_config,
    )));
    for plugin in crate::owners::owners_plugins() {
        registry.register(plugin);
    }
    register_review_plugins(&mut registry);
    registry
}

/// The review plugins of issue 9 without their own state: hold, wip, label, assign, size,
/// lifecycle, help, retitle, skip and prow-rs's labeler.
pub fn register_review_plugins(registry: &mut PluginRegistry) {
    use crate::plugins::{
        assign::Assign, help::HelpPlugin, hold::Hold, label::LabelPlugin, labeler::Labeler,
        lifecycle::Lifecycle, retitle::RetitlePlugin, size::SizePlugin, skip::Skip, wip::Wip,
    };
    registry.register(Arc::new(Hold));
    registry.register(Arc::new(Wip));
    registry.register(Arc::new(LabelPlugin::default()));
    registry.register(Arc::new(Assign));
    registry.register(Arc::new(SizePlugin));
    registry.register(Arc::new(Lifecycle));
    registry.register(Arc::new(HelpPlugin));
    registry.register(Arc::new(RetitlePlugin));
    registry.register(Arc::new(Skip));
    registry.register(Arc::new(Labeler));
}

/// Runs hook until SIGTERM/SIGINT, then drains queued events and exits.
///
/// # Errors
/// When start-up fails (flags, files, clients, ports) or a task fails.
pub async fn run(args: HookArgs) -> anyhow::Result<()> {
    init_tracing(&args.log).context("init tracing")?;
    let shutdown = shutdown_on_signals().context("install signal handlers")?;
    let options = LoadOptions {
        config_path: args.config_path.clone(),
        job_config_path: args.job_config_path.clone(),
        plugin_config_path: Some(args.plugin_config.clone()),
    };
    let config = ConfigWatch::load(options).map_err(|refused| {
        log_refused(&refused);
        anyhow::anyhow!("{refused}")
    })?;
    let secrets = HmacSecrets::load(&args.hmac_secret_file).context("load HMAC secrets")?;
    let client = args.github.build_client().context("GitHub client")?;
    let github: Arc<dyn GitHub> = if args.dry_run {
        Arc::new(DryRunGitHub::new(client))
    } else {
        Arc::new(client)
    };
    let bot_login = github.get_user().await.context("GitHub: who am I")?.login;
    let kube = args.kube.client().await.context("Kubernetes client")?;
    let services = Services {
        github,
        kube,
        bot_login,
        dry_run: args.dry_run,
    };

    let mut registry = Registry::default();
    let hook_registry = registry.sub_registry_with_prefix("hook");
    let metrics = HookMetrics::register(hook_registry);
    let http = HttpMetrics::register(hook_registry);
    // Prow's unprefixed name: prow_configmap_size_bytes.
    let configmap_sizes = ConfigMapSizes::default();
    configmap_sizes.register(&mut registry);
    let plugins = Arc::new(builtin_plugins(&args, configmap_sizes));
    plugins.report_unknown_in(&config.current());
    let dispatcher = Arc::new(
        Dispatcher::new(
            Arc::clone(&plugins),
            services,
            metrics.clone(),
            Duration::from_secs(args.plugin_timeout_seconds),
        )
        .with_external_plugins(
            ExternalForwarder::new(DEFAULT_FORWARD_TIMEOUT).context("external plugin client")?,
        ),
    );
    let hook_options = HookOptions {
        max_concurrent_events: args.max_concurrent_events,
        ..HookOptions::default()
    };
    let secrets = SharedHmac::from(secrets);
    let (router, workers) = server::build(
        secrets.clone(),
        config.clone(),
        Arc::clone(&plugins),
        dispatcher,
        metrics.clone(),
        hook_options,
    );
    let addr = SocketAddr::new(args.bind_address, args.port);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("bind {addr}"))?;
    let readiness = ReadinessGates::new();
    let gate = readiness.gate("hook");
    gate.set_ready();
    let stopping = shutdown.clone();
    tokio::spawn(async move {
        // Not ready once shutting down, so load balancers stop sending deliveries.
        stopping.cancelled().await;
        gate.set_not_ready();
    });
    let admin = AdminServer::new(registry, readiness)
        .bind(args.admin.addr())
        .await?;

    let mut tasks = TaskGroup::new(shutdown.clone());
    tasks.spawn("admin", admin.serve(shutdown.clone()));
    tasks.spawn(
        "hook",
        server::serve(listener, http.instrument(router), shutdown.clone()),
    );
    tasks.spawn(
        "events",
        workers.run_with_grace(shutdown.clone(), args.grace_period),
    );
    tasks.spawn(
        "hmac-reload",
        secrets.watch(
            args.hmac_secret_file.clone(),
            Duration::from_secs(10),
            shutdown.clone(),
        ),
    );
    let poll = Duration::from_secs(args.config_poll_seconds.max(1));
    let reported = Arc::clone(&plugins);
    tasks.spawn(
        "config-reload",
        config.watch(poll, metrics, shutdown, move |loaded| {
            reported.report_unknown_in(loaded)
        }),
    );
    tasks.join().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn parse(args: &[&str]) -> Result<HookArgs, String> {
        let base = ["hook", "--github-token-path", "/etc/github/oauth"];
        HookArgs::try_parse_from(base.iter().chain(args)).map_err(|e| e.to_string())
    }

    #[test]
    fn flags_as_prow() {
        let defaults = parse(&[]).expect("parses");
        assert_eq!(defaults.port, 8888);
        assert!(
            defaults.dry_run,
            "Prow's hook is dry-run unless told otherwise"
        );
        assert_eq!(defaults.grace_period, Duration::from_secs(180));
        assert_eq!(
            defaults.config_path,
            PathBuf::from("/etc/config/config.yaml")
        );
        assert_eq!(
            defaults.plugin_config,
            PathBuf::from("/etc/plugins/plugins.yaml")
        );
        assert_eq!(
            defaults.hmac_secret_file,
            PathBuf::from("/etc/webhook/hmac")
        );

        let cases: &[(&[&str], bool)] = &[
            (&["--dry-run"], true),
            (&["--dry-run=true"], true),
            (&["--dry-run=false"], false),
        ];
        for (args, want) in cases {
            assert_eq!(parse(args).expect("parses").dry_run, *want, "{args:?}");
        }
        let custom = parse(&["--grace-period", "1m30s", "--port", "9999"]).expect("parses");
        assert_eq!(custom.grace_period, Duration::from_secs(90));
        assert_eq!(custom.port, 9999);
        assert!(parse(&["--grace-period", "soon"]).is_err());
    }
}
