//! The kubelet's `containerLogs` endpoint over HTTPS, so `pods/log` through the API server
//! reaches the node agent: `GET /containerLogs/{namespace}/{pod}/{container}` with
//! `follow`, `tailLines`, `timestamps`, `limitBytes` and `previous`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde::Deserialize;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;
use tokio_util::sync::CancellationToken;

use super::container_log::{self, RenderOptions};
use crate::control_plane::pki::CertAndKey;
use crate::control_plane::{Error, Result};

/// Where one container's log is and whether the container has ended.
#[derive(Clone, Debug)]
pub struct ContainerLogHandle {
    /// The CRI-format log file.
    pub path: PathBuf,
    /// Becomes `true` when the container ended and its output is fully written.
    pub finished: watch::Receiver<bool>,
}

/// `(namespace, pod, container)` → log, for every container this agent started.
#[derive(Debug, Default)]
pub struct LogRegistry {
    containers: Mutex<HashMap<(String, String, String), ContainerLogHandle>>,
}

impl LogRegistry {
    /// Registers (or replaces) a container's log.
    pub fn register(
        &self,
        namespace: &str,
        pod: &str,
        container: &str,
        handle: ContainerLogHandle,
    ) {
        if let Ok(mut map) = self.containers.lock() {
            map.insert(
                (namespace.to_owned(), pod.to_owned(), container.to_owned()),
                handle,
            );
        }
    }

    fn get(&self, namespace: &str, pod: &str, container: &str) -> Option<ContainerLogHandle> {
        let map = self.containers.lock().ok()?;
        map.get(&(namespace.to_owned(), pod.to_owned(), container.to_owned()))
            .cloned()
    }
}

/// The query parameters the API server forwards.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct LogQuery {
    follow: Option<String>,
    tail_lines: Option<i64>,
    timestamps: Option<String>,
    limit_bytes: Option<i64>,
    previous: Option<String>,
}

fn flag(value: &Option<String>) -> bool {
    value.as_deref().is_some_and(|v| v == "true" || v == "1")
}

/// Binds `127.0.0.1:0` and serves the log endpoint over TLS until `cancel` fires.
pub async fn serve(
    registry: Arc<LogRegistry>,
    cert: &CertAndKey,
    cancel: CancellationToken,
) -> Result<SocketAddr> {
    crate::crypto::install_ring_provider();
    let certs = CertificateDer::pem_slice_iter(cert.cert_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Error::Tls(rustls::Error::General(e.to_string())))?;
    let key = PrivateKeyDer::from_pem_slice(cert.key_pem.as_bytes())
        .map_err(|e| Error::Tls(rustls::Error::General(e.to_string())))?;
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_no_client_auth()
    .with_single_cert(certs, key)?;
    let acceptor = TlsAcceptor::from(Arc::new(config));

    let tcp = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(Error::io("127.0.0.1:0"))?;
    let local_addr = tcp.local_addr().map_err(Error::io("127.0.0.1:0"))?;
    let (connections, incoming) = mpsc::channel(64);
    tokio::spawn(accept_tls(tcp, acceptor, connections, cancel.clone()));

    let app = Router::new()
        .route(
            "/containerLogs/{namespace}/{pod}/{container}",
            get(container_logs),
        )
        .route("/healthz", get(|| async { "ok" }))
        .with_state(registry);
    let listener = TlsListener {
        incoming,
        local_addr,
    };
    tokio::spawn(async move {
        tokio::select! {
            result = axum::serve(listener, app) => {
                if let Err(e) = result {
                    tracing::warn!(error = %e, "node agent log server stopped");
                }
            }
            () = cancel.cancelled() => {}
        }
    });
    Ok(local_addr)
}

async fn accept_tls(
    tcp: tokio::net::TcpListener,
    acceptor: TlsAcceptor,
    connections: mpsc::Sender<(TlsStream<TcpStream>, SocketAddr)>,
    cancel: CancellationToken,
) {
    loop {
        let accepted = tokio::select! {
            accepted = tcp.accept() => accepted,
            () = cancel.cancelled() => return,
        };
        let Ok((stream, peer)) = accepted else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let acceptor = acceptor.clone();
        let connections = connections.clone();
        tokio::spawn(async move {
            match acceptor.accept(stream).await {
                Ok(tls) => {
                    let _ = connections.send((tls, peer)).await;
                }
                Err(e) => tracing::debug!(error = %e, %peer, "TLS handshake failed"),
            }
        });
    }
}

/// An axum listener fed by the TLS handshake tasks.
struct TlsListener {
    incoming: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local_addr: SocketAddr,
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.incoming.recv().await {
            Some(connection) => connection,
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local_addr)
    }
}

async fn container_logs(
    State(registry): State<Arc<LogRegistry>>,
    Path((namespace, pod, container)): Path<(String, String, String)>,
    Query(query): Query<LogQuery>,
) -> Response {
    let Some(handle) = registry.get(&namespace, &pod, &container) else {
        return (
            StatusCode::BAD_REQUEST,
            format!(
                "container \"{container}\" in pod \"{pod}\" is waiting to start: ContainerCreating"
            ),
        )
            .into_response();
    };
    if flag(&query.previous) {
        return (
            StatusCode::BAD_REQUEST,
            format!("previous terminated container \"{container}\" in pod \"{pod}\" not found"),
        )
            .into_response();
    }
    let options = RenderOptions {
        timestamps: flag(&query.timestamps),
    };
    let limit = query.limit_bytes.and_then(|n| usize::try_from(n).ok());
    let (mut entries, offset) = container_log::read_entries(&handle.path).await;
    if let Some(n) = query.tail_lines.and_then(|n| usize::try_from(n).ok()) {
        entries = container_log::tail(entries, n);
    }
    let mut at_line_start = true;
    let mut first = container_log::render(&entries, options, &mut at_line_start);
    if let Some(limit) = limit {
        first.truncate(limit);
    }
    if !flag(&query.follow) || limit.is_some_and(|l| first.len() >= l) {
        return first.into_response();
    }
    let follow = FollowState {
        handle,
        offset,
        options,
        at_line_start,
        remaining: limit.map(|l| l - first.len()),
        first: Some(first),
    };
    let stream = futures::stream::unfold(follow, |mut state| async move {
        state
            .next_chunk()
            .await
            .map(|chunk| (Ok::<_, std::io::Error>(chunk), state))
    });
    Body::from_stream(stream).into_response()
}

struct FollowState {
    handle: ContainerLogHandle,
    offset: usize,
    options: RenderOptions,
    at_line_start: bool,
    remaining: Option<usize>,
    first: Option<Vec<u8>>,
}

impl FollowState {
    /// The next non-empty chunk, or `None` once the container ended and all is sent.
    async fn next_chunk(&mut self) -> Option<Vec<u8>> {
        if let Some(first) = self.first.take()
            && !first.is_empty()
        {
            return Some(first);
        }
        loop {
            if self.remaining == Some(0) {
                return None;
            }
            let finished = *self.handle.finished.borrow();
            let bytes = tokio::fs::read(&self.handle.path).await.unwrap_or_default();
            let (entries, used) =
                container_log::parse_complete(bytes.get(self.offset..).unwrap_or_default());
            self.offset += used;
            let mut chunk = container_log::render(&entries, self.options, &mut self.at_line_start);
            if let Some(remaining) = &mut self.remaining {
                chunk.truncate(*remaining);
                *remaining -= chunk.len();
            }
            if !chunk.is_empty() {
                return Some(chunk);
            }
            if finished {
                return None;
            }
            let mut finished_rx = self.handle.finished.clone();
            let _ = tokio::time::timeout(Duration::from_millis(100), finished_rx.changed()).await;
        }
    }
}
