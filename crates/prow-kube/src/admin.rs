//! The admin HTTP server: `/metrics` (Prometheus), `/healthz` (alive) and `/readyz` (ready
//! only after every readiness gate has flipped; also served as `/healthz/ready`, Prow's
//! readiness path, so Prow's probe definitions keep working), on its own port.
//!
//! Default port 8081 on all interfaces: Prow serves health on 8081 and metrics on 9090;
//! prow-rs serves both on the admin port so one probe/scrape target covers a component.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use prometheus_client::registry::Registry;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::metrics::{HttpMetrics, OPENMETRICS_CONTENT_TYPE, encode_registry};
use crate::readiness::ReadinessGates;
use crate::{Error, Result};

/// The default admin port (Prow's health port).
pub const DEFAULT_ADMIN_PORT: u16 = 8081;

/// Admin server flags; flatten into a component's clap parser with `#[command(flatten)]`.
#[derive(Debug, Clone, clap::Args)]
pub struct AdminArgs {
    /// Port of the admin server (`/metrics`, `/healthz`, `/readyz`).
    #[arg(long, env = "ADMIN_PORT", default_value_t = DEFAULT_ADMIN_PORT)]
    pub admin_port: u16,

    /// Address the admin server listens on.
    #[arg(long, env = "ADMIN_BIND_ADDRESS", default_value_t = IpAddr::V4(Ipv4Addr::UNSPECIFIED))]
    pub admin_bind_address: IpAddr,
}

impl Default for AdminArgs {
    fn default() -> Self {
        AdminArgs {
            admin_port: DEFAULT_ADMIN_PORT,
            admin_bind_address: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        }
    }
}

impl AdminArgs {
    /// The socket address to listen on.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::new(self.admin_bind_address, self.admin_port)
    }
}

#[derive(Clone)]
struct AdminState {
    registry: Arc<Registry>,
    readiness: ReadinessGates,
}

/// The admin server of one process, holding its one metrics registry.
pub struct AdminServer {
    router: Router,
}

impl std::fmt::Debug for AdminServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminServer").finish_non_exhaustive()
    }
}

impl AdminServer {
    /// An admin server over the process's `registry` (every metric registered already; the
    /// admin routes' own HTTP metrics are added under the `admin` prefix) and its readiness
    /// gates.
    pub fn new(mut registry: Registry, readiness: ReadinessGates) -> Self {
        let http = HttpMetrics::register(registry.sub_registry_with_prefix("admin"));
        let state = AdminState {
            registry: Arc::new(registry),
            readiness,
        };
        let router = Router::new()
            .route("/metrics", get(metrics))
            .route("/healthz", get(healthz))
            .route("/readyz", get(readyz))
            .route("/healthz/ready", get(readyz))
            .with_state(state);
        AdminServer {
            router: http.instrument(router),
        }
    }

    /// The routes, for serving elsewhere or testing with `oneshot`.
    pub fn router(&self) -> Router {
        self.router.clone()
    }

    /// Binds `addr` (port 0 picks a free port; see [`BoundAdminServer::local_addr`]).
    pub async fn bind(self, addr: SocketAddr) -> Result<BoundAdminServer> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| Error::BindAdmin { addr, source })?;
        Ok(BoundAdminServer {
            listener,
            router: self.router,
        })
    }
}

/// An admin server bound to its port, ready to serve.
#[derive(Debug)]
pub struct BoundAdminServer {
    listener: TcpListener,
    router: Router,
}

impl BoundAdminServer {
    /// The address actually bound.
    pub fn local_addr(&self) -> Result<SocketAddr> {
        self.listener.local_addr().map_err(Error::ServeAdmin)
    }

    /// Serves until `shutdown` is cancelled, then finishes in-flight requests.
    pub async fn serve(self, shutdown: CancellationToken) -> Result<()> {
        if let Ok(addr) = self.listener.local_addr() {
            tracing::info!(%addr, "admin server listening");
        }
        axum::serve(self.listener, self.router)
            .with_graceful_shutdown(shutdown.cancelled_owned())
            .await
            .map_err(Error::ServeAdmin)
    }
}

async fn healthz() -> &'static str {
    "ok\n"
}

async fn readyz(State(state): State<AdminState>) -> Response {
    let pending = state.readiness.pending();
    if pending.is_empty() {
        (StatusCode::OK, "ok\n").into_response()
    } else {
        let body = format!("not ready: waiting for {}\n", pending.join(", "));
        (StatusCode::SERVICE_UNAVAILABLE, body).into_response()
    }
}

async fn metrics(State(state): State<AdminState>) -> Response {
    match encode_registry(&state.registry) {
        Ok(text) => ([(header::CONTENT_TYPE, OPENMETRICS_CONTENT_TYPE)], text).into_response(),
        Err(error) => {
            tracing::error!(%error, "encoding metrics");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "encoding metrics failed\n",
            )
                .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::{Body, to_bytes};
    use axum::http::Request;
    use tower::ServiceExt;

    async fn get_text(router: &Router, path: &str) -> (StatusCode, String) {
        let request = Request::builder()
            .uri(path)
            .body(Body::empty())
            .expect("request");
        let response = router.clone().oneshot(request).await.expect("response");
        let status = response.status();
        let body = to_bytes(response.into_body(), 1 << 20).await.expect("body");
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    #[tokio::test]
    async fn readyz_names_pending_gates_until_all_flip() {
        let gates = ReadinessGates::new();
        let prowjobs = gates.gate("prowjobs");
        let pods = gates.gate("pods");
        let router = AdminServer::new(Registry::with_prefix("plank"), gates).router();

        let (status, body) = get_text(&router, "/readyz").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(body.contains("prowjobs, pods"), "{body}");

        prowjobs.set_ready();
        let (status, body) = get_text(&router, "/readyz").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(
            !body.contains("prowjobs") && body.contains("pods"),
            "{body}"
        );

        assert_eq!(
            get_text(&router, "/healthz/ready").await.0,
            StatusCode::SERVICE_UNAVAILABLE,
            "Prow's readiness path agrees with /readyz"
        );
        pods.set_ready();
        assert_eq!(get_text(&router, "/readyz").await.0, StatusCode::OK);
        assert_eq!(get_text(&router, "/healthz/ready").await.0, StatusCode::OK);
        assert_eq!(get_text(&router, "/healthz").await.0, StatusCode::OK);
    }

    #[tokio::test]
    async fn metrics_include_component_metrics_and_admin_route_counts() {
        let mut registry = Registry::with_prefix("sinker");
        let deleted = prometheus_client::metrics::counter::Counter::<u64>::default();
        registry.register("pods_deleted", "Pods deleted", deleted.clone());
        deleted.inc_by(3);
        let router = AdminServer::new(registry, ReadinessGates::new()).router();
        get_text(&router, "/healthz").await;
        let (status, text) = get_text(&router, "/metrics").await;
        assert_eq!(status, StatusCode::OK);
        assert!(text.contains("sinker_pods_deleted_total 3"), "{text}");
        assert!(
            text.contains(
                r#"sinker_admin_http_requests_total{route="/healthz",method="GET",status="200"} 1"#
            ),
            "{text}"
        );
    }
}
