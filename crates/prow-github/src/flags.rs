//! Command-line flags every GitHub-using binary shares, with Prow's names
//! (`--github-endpoint`, `--github-token-path`, `--github-app-id`,
//! `--github-app-private-key-path`). Flatten [`GitHubFlags`] into a binary's clap struct.

use std::path::PathBuf;
use std::time::Duration;

use crate::client::{
    ClientConfig, Credentials, DEFAULT_ENDPOINT, GitHubClient, RetryPolicy, ThrottleConfig,
};
use crate::error::{Error, Result};

/// GitHub connection flags.
#[derive(Debug, Clone, PartialEq, clap::Args)]
pub struct GitHubFlags {
    /// GitHub API base URL; for GitHub Enterprise use `https://<host>/api/v3`.
    #[arg(long, env = "GITHUB_ENDPOINT", default_value = DEFAULT_ENDPOINT)]
    pub github_endpoint: String,
    /// File holding a GitHub personal access token (re-read when it changes).
    #[arg(long, env = "GITHUB_TOKEN_PATH", conflicts_with = "github_app_id")]
    pub github_token_path: Option<PathBuf>,
    /// GitHub App id, to authenticate as an App (with --github-app-private-key-path).
    #[arg(long, env = "GITHUB_APP_ID", requires = "github_app_private_key_path")]
    pub github_app_id: Option<String>,
    /// PEM private key file of the GitHub App.
    #[arg(long, env = "GITHUB_APP_PRIVATE_KEY_PATH", requires = "github_app_id")]
    pub github_app_private_key_path: Option<PathBuf>,
    /// Timeout of one GitHub request attempt, in seconds.
    #[arg(long, env = "GITHUB_REQUEST_TIMEOUT_SECONDS", default_value_t = 30)]
    pub github_request_timeout_seconds: u64,
    /// Longest wait for a GitHub rate limit to reset before a call fails, in seconds.
    #[arg(
        long,
        env = "GITHUB_MAX_RATE_LIMIT_WAIT_SECONDS",
        default_value_t = 900
    )]
    pub github_max_rate_limit_wait_seconds: u64,
    /// If above zero, throttle this client to this many requests per hour on average.
    #[arg(long, env = "GITHUB_HOURLY_TOKENS", default_value_t = 0)]
    pub github_hourly_tokens: u32,
    /// Requests allowed back to back when throttling (with --github-hourly-tokens).
    #[arg(long, env = "GITHUB_ALLOWED_BURST", default_value_t = 0)]
    pub github_allowed_burst: u32,
}

impl GitHubFlags {
    /// The credentials the flags name.
    pub fn credentials(&self) -> Result<Credentials> {
        match (
            &self.github_token_path,
            &self.github_app_id,
            &self.github_app_private_key_path,
        ) {
            (Some(path), None, None) => Ok(Credentials::TokenFile(path.clone())),
            (None, Some(app_id), Some(key)) => Ok(Credentials::App {
                app_id: app_id.clone(),
                private_key_path: key.clone(),
            }),
            _ => Err(Error::MissingCredentials),
        }
    }

    /// The client settings the flags name (other settings at their defaults).
    pub fn client_config(&self) -> ClientConfig {
        let defaults = ClientConfig::default();
        ClientConfig {
            endpoint: self.github_endpoint.clone(),
            request_timeout: Duration::from_secs(self.github_request_timeout_seconds),
            retry: RetryPolicy {
                max_rate_limit_wait: Duration::from_secs(self.github_max_rate_limit_wait_seconds),
                ..defaults.retry
            },
            throttle: (self.github_hourly_tokens > 0).then(|| ThrottleConfig {
                hourly_tokens: self.github_hourly_tokens,
                burst: self.github_allowed_burst.max(1),
            }),
            ..defaults
        }
    }

    /// Builds the client; fails at startup on a missing token file, bad key or endpoint.
    pub fn build_client(&self) -> Result<GitHubClient> {
        GitHubClient::new(self.client_config(), self.credentials()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use std::path::Path;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        github: GitHubFlags,
    }

    fn parse(args: &[&str]) -> std::result::Result<GitHubFlags, String> {
        Cli::try_parse_from(std::iter::once("bin").chain(args.iter().copied()))
            .map(|cli| cli.github)
            .map_err(|e| e.kind().to_string())
    }

    #[test]
    fn credentials_from_flags() {
        let token = parse(&["--github-token-path", "/etc/github/oauth"]).expect("parses");
        assert_eq!(token.github_endpoint, "https://api.github.com");
        assert!(matches!(
            token.credentials(),
            Ok(Credentials::TokenFile(p)) if p == Path::new("/etc/github/oauth")
        ));

        let app = parse(&[
            "--github-app-id",
            "123",
            "--github-app-private-key-path",
            "/etc/github/key.pem",
            "--github-endpoint",
            "https://ghe.example.com/api/v3",
        ])
        .expect("parses");
        assert!(matches!(
            app.credentials(),
            Ok(Credentials::App { app_id, .. }) if app_id == "123"
        ));
        assert_eq!(
            app.client_config().endpoint,
            "https://ghe.example.com/api/v3"
        );

        let none = parse(&[]).expect("parses");
        assert!(matches!(none.credentials(), Err(Error::MissingCredentials)));
    }

    #[test]
    fn contradictory_flags_are_rejected() {
        assert!(
            parse(&["--github-app-id", "1"]).is_err(),
            "app id needs a key"
        );
        assert!(
            parse(&[
                "--github-token-path",
                "/t",
                "--github-app-id",
                "1",
                "--github-app-private-key-path",
                "/k"
            ])
            .is_err(),
            "token and app are exclusive"
        );
    }

    #[test]
    fn timeouts_from_flags() {
        let flags = parse(&[
            "--github-token-path",
            "/t",
            "--github-request-timeout-seconds",
            "5",
            "--github-max-rate-limit-wait-seconds",
            "60",
        ])
        .expect("parses");
        let config = flags.client_config();
        assert_eq!(config.request_timeout, Duration::from_secs(5));
        assert_eq!(config.retry.max_rate_limit_wait, Duration::from_secs(60));
        assert_eq!(config.throttle, None);

        let throttled = parse(&[
            "--github-token-path",
            "/t",
            "--github-hourly-tokens",
            "3000",
            "--github-allowed-burst",
            "100",
        ])
        .expect("parses");
        assert_eq!(
            throttled.client_config().throttle,
            Some(ThrottleConfig {
                hourly_tokens: 3000,
                burst: 100
            })
        );
    }
}
