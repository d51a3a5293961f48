//! Starting deck in-process: [`serve`] loads the configuration, starts the ProwJob watch (or
//! takes a fixed set of ProwJobs), binds the HTTP server and, optionally, the admin server,
//! and returns a [`RunningDeck`] with the bound addresses.

use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use kube::Client;
use prometheus_client::registry::Registry;
use prow_api::ProwJob;
use prow_config::{LoadOptions, ReloadOutcome, Reloader};
use prow_kube::admin::AdminServer;
use prow_kube::metrics::HttpMetrics;
use prow_kube::readiness::ReadinessGates;
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::command_help::PluginHelpSource;
use crate::error::Error;
use crate::job_cache::JobCache;
use crate::metrics::Metrics;
use crate::prowjob_watch::watch_prowjobs;
use crate::run_storage::{Storage, StorageOptions};
use crate::server::{DeckState, Settings, router};
use crate::visibility::Visibility;
use prow_kube::build_clusters::BuildClusters;

/// How often the configuration files are checked for changes.
pub const CONFIG_CHECK_INTERVAL: Duration = Duration::from_secs(5);

/// Where deck's ProwJobs come from.
#[derive(Clone)]
pub enum JobSource {
    /// A watch on the API server, in `namespace` (default: the config's `prowjob_namespace`).
    Kube {
        /// Client of the cluster holding the ProwJobs.
        client: Client,
        /// Overrides `prowjob_namespace`.
        namespace: Option<String>,
    },
    /// A fixed set (examples, benchmarks, tests without a cluster).
    Fixed(Vec<ProwJob>),
}

impl std::fmt::Debug for JobSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JobSource::Kube { namespace, .. } => f
                .debug_struct("Kube")
                .field("namespace", namespace)
                .finish_non_exhaustive(),
            JobSource::Fixed(jobs) => f.debug_tuple("Fixed").field(&jobs.len()).finish(),
        }
    }
}

/// How to run deck.
#[derive(Debug)]
pub struct Options {
    /// Address of the web server (port 0 picks a free port).
    pub listen: SocketAddr,
    /// Address of the admin server (`/healthz`, `/readyz`, `/metrics`); `None`: not served.
    pub admin: Option<SocketAddr>,
    /// Prow's config files (`config.yaml`, job config); `None`: Prow's defaults.
    pub config: Option<LoadOptions>,
    /// The ProwJobs.
    pub jobs: JobSource,
    /// Clients of the build clusters (Pods, live logs); `None`: with [`JobSource::Kube`] its
    /// client serves the `default` cluster, otherwise Pods are not shown.
    pub build_clusters: Option<BuildClusters>,
    /// Object storage credentials.
    pub storage: StorageOptions,
    /// hook's `/plugin-help` URL for the command help page.
    pub hook_url: Option<String>,
}

impl Options {
    /// Serve `jobs` on `127.0.0.1:0` with default settings and no admin server.
    pub fn local(jobs: JobSource) -> Self {
        Options {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            admin: None,
            config: None,
            jobs,
            build_clusters: None,
            storage: StorageOptions::default(),
            hook_url: None,
        }
    }
}

/// A deck started by [`serve`]; stops when [`RunningDeck::stop`] is called or dropped.
#[derive(Debug)]
pub struct RunningDeck {
    addr: SocketAddr,
    admin_addr: Option<SocketAddr>,
    cache: JobCache,
    readiness: ReadinessGates,
    shutdown: CancellationToken,
    tasks: JoinSet<()>,
}

impl RunningDeck {
    /// The web server's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<addr>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The admin server's address, when started.
    pub fn admin_addr(&self) -> Option<SocketAddr> {
        self.admin_addr
    }

    /// The cache deck serves from.
    pub fn cache(&self) -> &JobCache {
        &self.cache
    }

    /// Whether the first ProwJob list has arrived.
    pub fn is_ready(&self) -> bool {
        self.readiness.is_ready()
    }

    /// Waits until ready, at most `timeout`; returns whether it became ready.
    pub async fn wait_ready(&self, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        while !self.is_ready() {
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        true
    }

    /// The token that stops this deck.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// Stops serving (in-flight requests finish) and waits for every task.
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        while self.tasks.join_next().await.is_some() {}
    }

    /// Runs until the shutdown token is cancelled.
    pub async fn wait(mut self) {
        while self.tasks.join_next().await.is_some() {}
    }
}

impl Drop for RunningDeck {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Starts deck as `options` say.
///
/// # Errors
/// The configuration does not load, or an address cannot be bound.
pub async fn serve(options: Options) -> Result<RunningDeck, Error> {
    serve_with(
        options,
        Registry::with_prefix("deck"),
        CancellationToken::new(),
    )
    .await
}

/// [`serve`] with the process's metrics `registry` and its `shutdown` token.
///
/// # Errors
/// The configuration does not load, or an address cannot be bound.
pub async fn serve_with(
    options: Options,
    mut registry: Registry,
    shutdown: CancellationToken,
) -> Result<RunningDeck, Error> {
    // reqwest (object storage, hook) is built without a TLS provider: use ring
    let _ = rustls::crypto::ring::default_provider().install_default();
    let reloader = options.config.map(Reloader::for_component).transpose()?;
    let loaded = reloader.as_ref().map(Reloader::current);
    let prow = loaded
        .as_ref()
        .map(|l| l.config.prow.clone())
        .unwrap_or_default();
    let cache = JobCache::new(Visibility::from_config(&prow));
    let settings = Arc::new(RwLock::new(Settings::from_config(&prow)));
    let readiness = ReadinessGates::new();
    let ready = readiness.gate("prowjobs");
    let mut tasks = JoinSet::new();

    let mut clusters = options.build_clusters;
    match options.jobs {
        JobSource::Kube { client, namespace } => {
            if clusters.is_none() {
                let default = prow_api::DEFAULT_CLUSTER_ALIAS.to_string();
                clusters = Some(BuildClusters::from_clients(
                    [(default, client.clone())].into(),
                ));
            }
            let namespace = namespace.unwrap_or_else(|| prow.prowjob_namespace.clone());
            let (cache, stop) = (cache.clone(), shutdown.clone());
            tasks
                .spawn(async move { watch_prowjobs(client, &namespace, cache, ready, stop).await });
        }
        JobSource::Fixed(jobs) => {
            cache.replace_all(jobs.into_iter().map(crate::job_record::CachedJob::new));
            ready.set_ready();
        }
    }
    if let Some(reloader) = reloader {
        let (cache, settings, stop) = (cache.clone(), settings.clone(), shutdown.clone());
        tasks.spawn(follow_config(reloader, cache, settings, stop));
    }

    let http = HttpMetrics::register(&mut registry);
    let gauges = Metrics::register(&mut registry);
    {
        let (cache, stop) = (cache.clone(), shutdown.clone());
        tasks.spawn(async move {
            loop {
                gauges.observe(&cache);
                tokio::select! {
                    () = stop.cancelled() => return,
                    () = tokio::time::sleep(Duration::from_secs(5)) => {}
                }
            }
        });
    }
    let state = DeckState {
        cache: cache.clone(),
        settings,
        storage: Arc::new(Storage::new(options.storage)),
        clusters,
        plugin_help: options
            .hook_url
            .map(|url| Arc::new(PluginHelpSource::new(url))),
    };
    let app = http.instrument(router(state));
    let listener = TcpListener::bind(options.listen)
        .await
        .map_err(|source| Error::Bind {
            addr: options.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(Error::Serve)?;
    let stop = shutdown.clone();
    tasks.spawn(async move {
        tracing::info!(%addr, "deck listening");
        if let Err(error) = axum::serve(listener, app)
            .with_graceful_shutdown(stop.cancelled_owned())
            .await
        {
            tracing::error!(%error, "deck server failed");
        }
    });

    let mut admin_addr = None;
    if let Some(admin) = options.admin {
        let bound = AdminServer::new(registry, readiness.clone())
            .bind(admin)
            .await?;
        admin_addr = Some(bound.local_addr()?);
        let stop = shutdown.clone();
        tasks.spawn(async move {
            if let Err(error) = bound.serve(stop).await {
                tracing::error!(%error, "admin server failed");
            }
        });
    }

    Ok(RunningDeck {
        addr,
        admin_addr,
        cache,
        readiness,
        shutdown,
        tasks,
    })
}

async fn follow_config(
    mut reloader: Reloader,
    cache: JobCache,
    settings: Arc<RwLock<Settings>>,
    shutdown: CancellationToken,
) {
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(CONFIG_CHECK_INTERVAL) => {}
        }
        match reloader.reload_if_changed() {
            ReloadOutcome::Unchanged => {}
            ReloadOutcome::Reloaded(loaded) => {
                let prow = &loaded.config.prow;
                cache.set_visibility(Visibility::from_config(prow));
                *settings.write().unwrap_or_else(|p| p.into_inner()) = Settings::from_config(prow);
                tracing::info!("configuration reloaded");
            }
            ReloadOutcome::Failed(error) => {
                tracing::error!(%error, "configuration reload failed; keeping the last good one");
            }
            ReloadOutcome::Rejected(problems) => {
                for problem in problems {
                    tracing::error!(%problem, "configuration reload rejected; keeping the last good one");
                }
            }
        }
    }
}
