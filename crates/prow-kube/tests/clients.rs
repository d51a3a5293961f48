//! Clients and build clusters against the real local control plane.

use k8s_openapi::api::core::v1::Namespace;
use kube::Api;
use kube::api::ListParams;
use prow_kube::build_clusters::BuildClusterArgs;
use prow_kube::client::ClientArgs;
use prow_kube::rate_limit::RateLimit;
use prow_testkit::control_plane::ControlPlane;

#[tokio::test]
async fn kubeconfig_client_talks_to_the_api_server() {
    let control_plane = ControlPlane::shared().await;
    let namespace = control_plane.test_namespace("client").await;
    let client = ClientArgs::for_kubeconfig(control_plane.kubeconfig_path())
        .client()
        .await
        .expect("client");
    let api: Api<Namespace> = Api::all(client);
    let names: Vec<String> = api
        .list(&ListParams::default())
        .await
        .expect("list namespaces")
        .items
        .into_iter()
        .filter_map(|n| n.metadata.name)
        .collect();
    assert!(names.iter().any(|n| n == namespace.name()), "{names:?}");
}

#[tokio::test]
async fn an_unknown_context_is_an_error_naming_it() {
    let control_plane = ControlPlane::shared().await;
    let args = ClientArgs {
        context: Some("no-such-context".into()),
        ..ClientArgs::for_kubeconfig(control_plane.kubeconfig_path())
    };
    let err = args
        .client()
        .await
        .err()
        .expect("unknown context is an error");
    assert_eq!(err.variant_name(), "LoadKubeconfigContext");
    assert!(err.to_string().contains("no-such-context"), "{err}");
}

#[tokio::test]
async fn build_cluster_aliases_are_context_names_and_default_is_the_own_cluster() {
    let control_plane = ControlPlane::shared().await;
    let namespace = control_plane.test_namespace("build-cluster").await;
    // the "own" cluster here is one the tests cannot reach: only "default" may use it
    let unreachable = prow_kube::client::client_from_config(
        kube::Config::new("http://127.0.0.1:9".parse().expect("uri")),
        RateLimit::DEFAULT,
    )
    .expect("client");
    let args = BuildClusterArgs {
        kubeconfigs: vec![control_plane.kubeconfig_path().to_path_buf()],
        ..BuildClusterArgs::default()
    };
    let clusters = args
        .load(unreachable, RateLimit::DEFAULT)
        .await
        .expect("load");
    assert_eq!(
        clusters.aliases().collect::<Vec<_>>(),
        ["default", "prow-testkit"]
    );

    let build = clusters.get("prow-testkit").expect("context alias");
    let api: Api<Namespace> = Api::all(build.clone());
    let found = api.get_opt(namespace.name()).await.expect("get namespace");
    assert!(
        found.is_some(),
        "the build cluster client reaches the control plane"
    );

    let default: Api<Namespace> = Api::all(clusters.get("default").expect("default").clone());
    assert!(
        default.get_opt(namespace.name()).await.is_err(),
        "default is the own cluster"
    );

    let err = clusters.get("build01").err().expect("unknown alias");
    assert!(err.to_string().contains("default, prow-testkit"), "{err}");
}
