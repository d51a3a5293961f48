//! Command-line flags, with Prow's names where Prow has one.

use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgAction, Parser};
use prow_config::LoadOptions;
use prow_github::{ClientConfig, GitHubFlags, ThrottleConfig};
use prow_kube::admin::AdminArgs;
use prow_kube::client::ClientArgs;
use prow_kube::leader::LeaderElectionArgs;
use prow_kube::telemetry::LogArgs;

use crate::enablement::Enablement;

/// Prow's branchprotector default: 300 GitHub requests per hour.
pub const DEFAULT_TOKENS_PER_HOUR: u32 = 300;
/// Prow's branchprotector default burst.
pub const DEFAULT_BURST: u32 = 100;

/// Applies the `branch-protection` section of Prow's config.yaml to GitHub.
///
/// Runs one pass and exits (for a Kubernetes CronJob), or with `--interval` runs a pass every
/// interval while it holds the `branch-protector` Lease.
#[derive(Debug, Parser)]
#[command(name = "branch-protector", version)]
pub struct Cli {
    /// Path to Prow's config.yaml.
    #[arg(long, env = "CONFIG_PATH")]
    pub config_path: PathBuf,
    /// Path to the job-config directory (presubmits give required contexts).
    #[arg(long, env = "JOB_CONFIG_PATH")]
    pub job_config_path: Option<PathBuf>,
    /// Print the planned changes as a diff and write nothing (`--dry-run` or `--dry-run=true`).
    #[arg(long, env = "DRY_RUN", action = ArgAction::Set, num_args = 0..=1,
          default_value = "false", default_missing_value = "true")]
    pub dry_run: bool,
    /// Run a pass every interval (Go duration, e.g. `30m`), leader-elected; unset: run once.
    #[arg(long, value_parser = parse_interval)]
    pub interval: Option<Duration>,
    /// Manage `restrictions.apps` (Prow's `--enable-apps-restrictions`).
    #[arg(long)]
    pub enable_apps_restrictions: bool,
    /// GitHub requests allowed per hour (overrides --github-hourly-tokens; default 300, as
    /// Prow's branchprotector).
    #[arg(long, env = "TOKENS_PER_HOUR")]
    pub tokens_per_hour: Option<u32>,
    /// GitHub connection.
    #[command(flatten)]
    pub github: GitHubFlags,
    /// Orgs and repositories to act on.
    #[command(flatten)]
    pub enablement: Enablement,
    /// Logging.
    #[command(flatten)]
    pub log: LogArgs,
    /// Admin server (loop mode).
    #[command(flatten)]
    pub admin: AdminArgs,
    /// Kubernetes client (loop mode, for the Lease).
    #[command(flatten)]
    pub client: ClientArgs,
    /// Leader election (loop mode).
    #[command(flatten)]
    pub leader: LeaderElectionArgs,
}

fn parse_interval(text: &str) -> Result<Duration, String> {
    match prow_config::parse_duration(text) {
        Ok(d) if d.is_zero() => Err("the interval must be positive".into()),
        Ok(d) => Ok(d),
        Err(e) => Err(e.to_string()),
    }
}

impl Cli {
    /// What to load.
    pub fn load_options(&self) -> LoadOptions {
        LoadOptions {
            config_path: self.config_path.clone(),
            job_config_path: self.job_config_path.clone(),
            plugin_config_path: None,
        }
    }

    /// The GitHub client settings: the GitHub flags, throttled to the token budget.
    pub fn github_client_config(&self) -> ClientConfig {
        let hourly_tokens = self
            .tokens_per_hour
            .or((self.github.github_hourly_tokens > 0).then_some(self.github.github_hourly_tokens))
            .unwrap_or(DEFAULT_TOKENS_PER_HOUR);
        let burst = match self.github.github_allowed_burst {
            0 => DEFAULT_BURST.min(hourly_tokens),
            burst => burst,
        };
        ClientConfig {
            throttle: Some(ThrottleConfig {
                hourly_tokens,
                burst: burst.max(1),
            }),
            ..self.github.client_config()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(
            [
                "branch-protector",
                "--config-path",
                "/etc/config/config.yaml",
            ]
            .iter()
            .chain(args),
        )
    }

    #[test]
    fn dry_run_forms() {
        for (args, want) in [
            (&[][..], false),
            (&["--dry-run"][..], true),
            (&["--dry-run=true"][..], true),
            (&["--dry-run=false"][..], false),
        ] {
            assert_eq!(parse(args).expect("parses").dry_run, want, "{args:?}");
        }
    }

    #[test]
    fn interval_is_a_go_duration() {
        let cli = parse(&["--interval", "30m"]).expect("parses");
        assert_eq!(cli.interval, Some(Duration::from_secs(1800)));
        assert!(parse(&["--interval", "0s"]).is_err());
        assert!(parse(&["--interval", "often"]).is_err());
        assert_eq!(parse(&[]).expect("parses").interval, None);
    }

    #[test]
    fn token_budget() {
        let throttle = |args: &[&str]| parse(args).expect("parses").github_client_config().throttle;
        assert_eq!(
            throttle(&[]),
            Some(ThrottleConfig {
                hourly_tokens: 300,
                burst: 100
            })
        );
        assert_eq!(
            throttle(&[
                "--github-hourly-tokens",
                "1000",
                "--github-allowed-burst",
                "50"
            ]),
            Some(ThrottleConfig {
                hourly_tokens: 1000,
                burst: 50
            })
        );
        assert_eq!(
            throttle(&["--github-hourly-tokens", "1000", "--tokens-per-hour", "60"]),
            Some(ThrottleConfig {
                hourly_tokens: 60,
                burst: 60
            })
        );
    }
}
