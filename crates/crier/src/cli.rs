//! crier's flags (Prow's names) and its wiring.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use prometheus_client::registry::Registry;
use prow_api::ProwJobAgent;
use prow_config::{LoadOptions, Reloader};
use prow_github::{DryRunGitHub, GitHub, GitHubFlags};
use prow_kube::admin::AdminArgs;
use prow_kube::client::ClientArgs;
use prow_kube::component::start_leader_elected;
use prow_kube::leader::LeaderElectionArgs;
use prow_kube::shutdown::shutdown_on_signals;
use prow_kube::telemetry::{LogArgs, init_tracing};

use crate::controller::{ReporterOptions, run_reporter};
use crate::metrics::Metrics;
use crate::selection::Enablement;
use crate::settings_watch::SettingsWatch;

/// Reports ProwJob results to GitHub: a commit status (or check run) per job state, and one
/// summary comment per pull request listing the failed jobs.
#[derive(Debug, clap::Parser)]
#[command(name = "crier", version)]
pub struct Cli {
    /// Path to Prow's config.yaml (`prowjob_namespace`, `github_reporter`).
    #[arg(long, env = "CONFIG_PATH")]
    pub config_path: PathBuf,
    /// Path to the job config; accepted for compatibility with Prow's crier and not read
    /// (crier needs no job definitions).
    #[arg(long, env = "JOB_CONFIG_PATH")]
    pub job_config_path: Option<PathBuf>,
    /// Number of ProwJobs reported to GitHub at the same time. Prow's default (0) disables
    /// the GitHub reporter; crier has no other reporter, so 0 is refused.
    #[arg(long, env = "GITHUB_WORKERS", default_value_t = 1)]
    pub github_workers: u16,
    /// Report these orgs or org/repos with GitHub check runs instead of commit statuses
    /// (repeatable; a prow-rs extension).
    #[arg(long = "check-runs-repo", value_name = "ORG[/REPO]")]
    pub check_runs_repos: Vec<String>,
    /// Only report jobs of this agent (`kubernetes`, `jenkins`, `tekton-pipeline`); empty:
    /// every agent.
    #[arg(long, env = "REPORT_AGENT", default_value = "")]
    pub report_agent: String,
    /// Log GitHub writes instead of making them, and record nothing in the ProwJobs.
    #[arg(long, env = "DRY_RUN", action = clap::ArgAction::Set, num_args = 0..=1,
          default_value = "false", default_missing_value = "true")]
    pub dry_run: bool,
    /// Only handle these orgs (repeatable; with --github-enabled-repo: the union).
    #[arg(long = "github-enabled-org", value_name = "ORG")]
    pub github_enabled_orgs: Vec<String>,
    /// Only handle these repos (repeatable, `org/repo`).
    #[arg(long = "github-enabled-repo", value_name = "ORG/REPO")]
    pub github_enabled_repos: Vec<String>,
    /// Never handle these orgs (repeatable).
    #[arg(long = "github-disabled-org", value_name = "ORG")]
    pub github_disabled_orgs: Vec<String>,
    /// Never handle these repos (repeatable, `org/repo`).
    #[arg(long = "github-disabled-repo", value_name = "ORG/REPO")]
    pub github_disabled_repos: Vec<String>,
    /// Workers of Prow's other reporters (`--slack-workers`, `--gerrit-workers`, ...);
    /// accepted so Prow's manifests start, but those reporters do not exist here: a value
    /// above 0 is logged as a warning.
    #[command(flatten)]
    pub other_reporters: OtherReporterFlags,
    /// GitHub flags.
    #[command(flatten)]
    pub github: GitHubFlags,
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

/// Prow's crier flags for reporters prow-rs does not have.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct OtherReporterFlags {
    /// Not implemented (Prow's Slack reporter).
    #[arg(long, default_value_t = 0, hide = true)]
    pub slack_workers: u32,
    /// Not implemented (Prow's Gerrit reporter).
    #[arg(long, default_value_t = 0, hide = true)]
    pub gerrit_workers: u32,
    /// Not implemented (Prow's Pub/Sub reporter).
    #[arg(long, default_value_t = 0, hide = true)]
    pub pubsub_workers: u32,
    /// Not implemented (Prow's GCS reporter).
    #[arg(long, default_value_t = 0, hide = true)]
    pub blob_storage_workers: u32,
    /// Not implemented (Prow's Kubernetes GCS reporter).
    #[arg(long, default_value_t = 0, hide = true)]
    pub kubernetes_blob_storage_workers: u32,
    /// Not implemented (Prow's ResultStore reporter).
    #[arg(long, default_value_t = 0, hide = true)]
    pub resultstore_workers: u32,
}

impl OtherReporterFlags {
    /// The flags given a value above 0, by name.
    pub fn enabled(&self) -> Vec<&'static str> {
        [
            ("--slack-workers", self.slack_workers),
            ("--gerrit-workers", self.gerrit_workers),
            ("--pubsub-workers", self.pubsub_workers),
            ("--blob-storage-workers", self.blob_storage_workers),
            (
                "--kubernetes-blob-storage-workers",
                self.kubernetes_blob_storage_workers,
            ),
            ("--resultstore-workers", self.resultstore_workers),
        ]
        .into_iter()
        .filter(|(_, workers)| *workers > 0)
        .map(|(flag, _)| flag)
        .collect()
    }
}

impl Cli {
    /// The GitHub enablement the flags give.
    pub fn enablement(&self) -> Enablement {
        Enablement {
            enabled_orgs: self.github_enabled_orgs.clone(),
            enabled_repos: self.github_enabled_repos.clone(),
            disabled_orgs: self.github_disabled_orgs.clone(),
            disabled_repos: self.github_disabled_repos.clone(),
        }
    }
}

/// Parses `--report-agent`: empty means every agent.
pub fn parse_report_agent(value: &str) -> anyhow::Result<Option<ProwJobAgent>> {
    if value.is_empty() {
        return Ok(None);
    }
    let agent: ProwJobAgent = serde_json::from_value(serde_json::Value::String(value.into()))
        .with_context(|| format!("--report-agent {value:?} is not a ProwJob agent"))?;
    Ok(Some(agent))
}

/// Runs crier until SIGTERM/SIGINT.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    init_tracing(&cli.log)?;
    if cli.github_workers == 0 {
        anyhow::bail!("crier needs at least one report worker: pass --github-workers=N with N > 0");
    }
    let report_agent = parse_report_agent(&cli.report_agent)?;
    let enablement = cli.enablement();
    enablement.validate().map_err(anyhow::Error::msg)?;
    for flag in cli.other_reporters.enabled() {
        tracing::warn!(
            flag,
            "Prow reporter not implemented by prow-rs crier; nothing is reported for it"
        );
    }
    let shutdown = shutdown_on_signals()?;
    // crier reads config.yaml only; loading the jobs would cost memory for nothing
    let reloader = Reloader::for_component(LoadOptions {
        config_path: cli.config_path.clone(),
        job_config_path: None,
        plugin_config_path: None,
    })?;
    let namespace = reloader.current().config.prow.prowjob_namespace.clone();
    let settings = SettingsWatch::new(
        &reloader,
        cli.check_runs_repos.clone(),
        report_agent,
        enablement,
    );
    let client_github = cli.github.build_client()?;
    let github: Arc<dyn GitHub> = if cli.dry_run {
        Arc::new(DryRunGitHub::new(client_github))
    } else {
        Arc::new(client_github)
    };
    let client = cli.client.client().await?;
    let mut registry = Registry::with_prefix("crier");
    let metrics = Metrics::register(&mut registry);
    let (mut tasks, leading) = start_leader_elected(
        client.clone(),
        "crier",
        registry,
        &cli.leader,
        &cli.admin,
        &shutdown,
    )
    .await?;
    let stop = shutdown.clone();
    tasks.spawn("config-reload", {
        let settings = settings.clone();
        let stop = shutdown.clone();
        async move {
            settings.run(reloader, stop).await;
            Ok::<_, std::convert::Infallible>(())
        }
    });
    let options = ReporterOptions {
        namespace,
        workers: cli.github_workers,
        dry_run: cli.dry_run,
    };
    tasks.spawn("reporter", async move {
        run_reporter(client, github, settings, leading, metrics, options, stop).await;
        Ok::<_, std::convert::Infallible>(())
    });
    tasks.join().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[test]
    fn flags_as_prow() {
        let cli = Cli::try_parse_from([
            "crier",
            "--config-path",
            "/etc/config/config.yaml",
            "--job-config-path",
            "/etc/job-config",
            "--github-workers",
            "4",
            "--github-token-path",
            "/etc/github/oauth",
            "--github-endpoint",
            "http://ghproxy",
            "--check-runs-repo",
            "org/repo",
            "--check-runs-repo",
            "other-org",
            "--report-agent",
            "kubernetes",
            "--dry-run",
            "--slack-workers=1",
            "--blob-storage-workers",
            "2",
            "--github-enabled-org",
            "kubernetes",
            "--github-disabled-repo",
            "kubernetes/old",
        ])
        .expect("parses");
        assert_eq!(
            cli.other_reporters.enabled(),
            ["--slack-workers", "--blob-storage-workers"]
        );
        assert_eq!(cli.github_workers, 4);
        assert_eq!(cli.check_runs_repos, ["org/repo", "other-org"]);
        assert!(cli.dry_run);
        assert_eq!(cli.github.github_endpoint, "http://ghproxy");
        assert_eq!(
            parse_report_agent(&cli.report_agent).expect("agent"),
            Some(ProwJobAgent::Kubernetes)
        );
        assert_eq!(parse_report_agent("").expect("empty"), None);
        let enablement = cli.enablement();
        assert!(enablement.allows("kubernetes", "test-infra"));
        assert!(!enablement.allows("kubernetes", "old"));
        assert!(!enablement.allows("other", "repo"));
        assert!(parse_report_agent("bogus").is_err());
    }
}
