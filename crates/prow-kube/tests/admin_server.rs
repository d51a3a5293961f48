//! The admin server over real sockets, with a readiness gate flipped by a real watch's first
//! list against the local control plane.

use std::net::SocketAddr;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::Api;
use kube::runtime::watcher;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::registry::Registry;
use prow_kube::admin::AdminServer;
use prow_kube::client::ClientArgs;
use prow_kube::readiness::{ReadinessGates, ready_after_first_list};
use prow_kube::shutdown::TaskGroup;
use prow_testkit::control_plane::ControlPlane;
use tokio_util::sync::CancellationToken;

/// A failure bound only: outcomes are awaited, never timed.
const BOUND: Duration = Duration::from_secs(60);

async fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    let response = reqwest::get(format!("http://{addr}{path}"))
        .await
        .unwrap_or_else(|e| panic!("GET {path}: {e}"));
    let status = response.status().as_u16();
    (status, response.text().await.expect("body"))
}

#[tokio::test]
async fn healthz_readyz_and_metrics_over_http() {
    let control_plane = ControlPlane::shared().await;
    let namespace = control_plane.test_namespace("admin").await;
    let client = ClientArgs::for_kubeconfig(control_plane.kubeconfig_path())
        .client()
        .await
        .expect("client");

    let mut registry = Registry::with_prefix("horologium");
    let triggered = Counter::<u64>::default();
    registry.register(
        "periodics_triggered",
        "Periodic jobs triggered",
        triggered.clone(),
    );
    let gates = ReadinessGates::new();
    let configmaps = gates.gate("configmaps");

    let token = CancellationToken::new();
    let server = AdminServer::new(registry, gates.clone())
        .bind(([127, 0, 0, 1], 0).into())
        .await
        .expect("bind");
    let addr = server.local_addr().expect("addr");
    let mut group = TaskGroup::new(token.clone());
    group.spawn("admin", server.serve(group.token()));

    assert_eq!(get(addr, "/healthz").await.0, 200);
    let (status, body) = get(addr, "/readyz").await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("configmaps"), "{body}");

    // the gate flips when the watch has listed everything once
    let api: Api<ConfigMap> = Api::namespaced(client, namespace.name());
    let watch_token = group.token();
    group.spawn("configmap-watch", async move {
        let events = ready_after_first_list(watcher(api, watcher::Config::default()), configmaps);
        let mut events = std::pin::pin!(events.take_until(watch_token.cancelled_owned()));
        while let Some(event) = events.next().await {
            event.map_err(|e| e.to_string())?;
        }
        Ok::<_, String>(())
    });
    tokio::time::timeout(BOUND, async {
        while get(addr, "/readyz").await.0 != 200 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("ready after the first list");

    triggered.inc_by(2);
    let (status, text) = get(addr, "/metrics").await;
    assert_eq!(status, 200);
    assert!(
        text.contains("horologium_periodics_triggered_total 2"),
        "{text}"
    );
    // the admin routes are counted by route and status (how often /readyz was polled varies)
    for status in ["503", "200"] {
        let series = format!(
            r#"horologium_admin_http_requests_total{{route="/readyz",method="GET",status="{status}"}}"#
        );
        assert!(text.contains(&series), "{series} missing from:\n{text}");
    }

    token.cancel();
    tokio::time::timeout(BOUND, group.join())
        .await
        .expect("drains")
        .expect("every task stops cleanly");
}
