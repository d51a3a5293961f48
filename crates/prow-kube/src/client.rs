//! The Kubernetes client of the cluster a component runs in (the "infrastructure" cluster,
//! where ProwJobs, Leases and ConfigMaps live).

use std::path::{Path, PathBuf};

use kube::client::ClientBuilder;
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};

use crate::rate_limit::{RateLimit, RateLimitLayer};
use crate::{Error, Result};

/// Command-line flags selecting the Kubernetes cluster a component talks to; flatten into a
/// component's clap parser with `#[command(flatten)]`.
///
/// With `--kubeconfig` (or `KUBECONFIG`) the given file is used, at `--context` or its
/// current context; without it the in-cluster service account is used.
#[derive(Debug, Clone, clap::Args)]
pub struct ClientArgs {
    /// Path to a kubeconfig file. Unset: use the in-cluster service account.
    #[arg(long, env = "KUBECONFIG", value_name = "PATH")]
    pub kubeconfig: Option<PathBuf>,

    /// Kubeconfig context to use (default: the file's current context).
    #[arg(long, value_name = "NAME", requires = "kubeconfig")]
    pub context: Option<String>,

    /// Client-side limit of Kubernetes API requests per second (0 disables the limit).
    #[arg(long, env = "KUBE_API_QPS", default_value_t = RateLimit::DEFAULT.qps)]
    pub kube_api_qps: f64,

    /// Kubernetes API requests allowed in a burst above --kube-api-qps.
    #[arg(long, env = "KUBE_API_BURST", default_value_t = RateLimit::DEFAULT.burst)]
    pub kube_api_burst: u32,
}

impl Default for ClientArgs {
    fn default() -> Self {
        ClientArgs {
            kubeconfig: None,
            context: None,
            kube_api_qps: RateLimit::DEFAULT.qps,
            kube_api_burst: RateLimit::DEFAULT.burst,
        }
    }
}

impl ClientArgs {
    /// A client for the given kubeconfig file (at its current context).
    pub fn for_kubeconfig(path: impl Into<PathBuf>) -> Self {
        ClientArgs {
            kubeconfig: Some(path.into()),
            ..ClientArgs::default()
        }
    }

    /// The rate limit these flags ask for.
    pub fn rate_limit(&self) -> RateLimit {
        RateLimit {
            qps: self.kube_api_qps,
            burst: self.kube_api_burst,
        }
    }

    /// The client configuration these flags select (no network access).
    pub async fn config(&self) -> Result<Config> {
        match &self.kubeconfig {
            Some(path) => config_from_kubeconfig(path, self.context.clone()).await,
            None => Config::incluster().map_err(Error::LoadInClusterConfig),
        }
    }

    /// A rate-limited client for the cluster these flags select.
    pub async fn client(&self) -> Result<Client> {
        client_from_config(self.config().await?, self.rate_limit())
    }
}

/// Reads `path` and builds a configuration for `context` (`None`: its current context).
pub async fn config_from_kubeconfig(path: &Path, context: Option<String>) -> Result<Config> {
    let kubeconfig = read_kubeconfig(path)?;
    config_from_parsed_kubeconfig(path, kubeconfig, context).await
}

/// Reads and parses a kubeconfig file.
pub fn read_kubeconfig(path: &Path) -> Result<Kubeconfig> {
    Kubeconfig::read_from(path).map_err(|source| Error::ReadKubeconfig {
        path: path.to_path_buf(),
        source,
    })
}

pub(crate) async fn config_from_parsed_kubeconfig(
    path: &Path,
    kubeconfig: Kubeconfig,
    context: Option<String>,
) -> Result<Config> {
    let options = KubeConfigOptions {
        context: context.clone(),
        ..KubeConfigOptions::default()
    };
    Config::from_custom_kubeconfig(kubeconfig, &options)
        .await
        .map_err(|source| Error::LoadKubeconfigContext {
            path: path.to_path_buf(),
            context,
            source,
        })
}

/// Builds a client from `config` with the [`RateLimitLayer`] in its stack.
pub fn client_from_config(config: Config, limit: RateLimit) -> Result<Client> {
    let builder = ClientBuilder::try_from(config).map_err(Error::BuildClient)?;
    Ok(builder.with_layer(&RateLimitLayer::new(limit)).build())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        client: ClientArgs,
    }

    #[test]
    fn flags_parse_with_defaults() {
        // (argv, kubeconfig, context, qps, burst)
        type Case<'a> = (&'a [&'a str], Option<&'a str>, Option<&'a str>, f64, u32);
        let cases: &[Case] = &[
            (&["x", "--kubeconfig", "/k"], Some("/k"), None, 20.0, 30),
            (
                &[
                    "x",
                    "--kubeconfig=/k",
                    "--context",
                    "kind",
                    "--kube-api-qps",
                    "0",
                ],
                Some("/k"),
                Some("kind"),
                0.0,
                30,
            ),
            (&["x", "--kube-api-burst", "7"], None, None, 20.0, 7),
        ];
        for (argv, kubeconfig, context, qps, burst) in cases {
            let cli = Cli::try_parse_from(*argv).unwrap_or_else(|e| panic!("{argv:?}: {e}"));
            // KUBECONFIG from the environment may fill in the path; only check explicit ones
            if kubeconfig.is_some() {
                assert_eq!(cli.client.kubeconfig.as_deref(), kubeconfig.map(Path::new));
            }
            assert_eq!(cli.client.context.as_deref(), *context, "{argv:?}");
            assert_eq!(
                cli.client.rate_limit(),
                RateLimit {
                    qps: *qps,
                    burst: *burst
                }
            );
        }
    }

    #[test]
    fn missing_kubeconfig_file_is_a_read_error() {
        let err = read_kubeconfig(Path::new("/nonexistent/kubeconfig"))
            .expect_err("a missing file cannot be read");
        assert_eq!(err.variant_name(), "ReadKubeconfig");
        assert!(err.to_string().contains("/nonexistent/kubeconfig"), "{err}");
    }
}
