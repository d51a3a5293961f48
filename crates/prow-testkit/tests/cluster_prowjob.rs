//! ProwJobs through the real API server started by the harness, with the CRD from `crds/`.

use kube::Api;
use kube::api::{DynamicObject, PostParams};
use prow_api::{ProwJob, ProwJobSpec, ProwJobType};
use prow_testkit::control_plane::ControlPlane;

#[tokio::test]
async fn a_prowjob_round_trips_through_the_api_server() {
    let cluster = ControlPlane::shared().await;
    let ns = cluster.test_namespace("prowjob-roundtrip").await;
    let api: Api<ProwJob> = Api::namespaced(cluster.client(), ns.name());
    let mut spec = ProwJobSpec::new(ProwJobType::Periodic, "ci-nightly");
    spec.max_concurrency = 2;
    spec.context = "ci/nightly".into();
    let job = ProwJob::new("nightly-1", spec.clone());

    api.create(&PostParams::default(), &job)
        .await
        .expect("create ProwJob");
    let read = api.get("nightly-1").await.expect("get ProwJob");

    assert_eq!(read.spec, spec);
    assert!(read.metadata.uid.is_some(), "the API server assigned a uid");
}

#[tokio::test]
async fn objects_violating_the_crd_schema_are_rejected_with_422() {
    let cluster = ControlPlane::shared().await;
    let ns = cluster.test_namespace("prowjob-schema").await;
    let gvk = kube::api::GroupVersionKind::gvk("prow.k8s.io", "v1", "ProwJob");
    let resource = kube::api::ApiResource::from_gvk(&gvk);
    let api: Api<DynamicObject> = Api::namespaced_with(cluster.client(), ns.name(), &resource);
    let cases = [
        (
            "string max_concurrency",
            serde_json::json!({"type": "periodic", "job": "j", "max_concurrency": "abc"}),
        ),
        ("spec is a string", serde_json::json!("not an object")),
        (
            "negative max_concurrency",
            serde_json::json!({"type": "periodic", "job": "j", "max_concurrency": -1}),
        ),
        (
            "unknown job type",
            serde_json::json!({"type": "sometimes", "job": "j"}),
        ),
    ];
    for (i, (name, spec)) in cases.into_iter().enumerate() {
        let object: DynamicObject = serde_json::from_value(serde_json::json!({
            "apiVersion": "prow.k8s.io/v1",
            "kind": "ProwJob",
            "metadata": { "name": format!("bad-{i}") },
            "spec": spec,
        }))
        .expect("dynamic object");
        match api.create(&PostParams::default(), &object).await {
            Err(kube::Error::Api(status)) => assert_eq!(status.code, 422, "{name}: {status:?}"),
            other => panic!("{name}: expected a 422 rejection, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn rbac_is_enforced_for_users_other_than_the_admin() {
    use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
    let cluster = ControlPlane::shared().await;
    let ns = cluster.test_namespace("prowjob-rbac").await;
    let config = cluster
        .user_config("prow-reader", None)
        .await
        .expect("user config");
    let reader: Api<ProwJob> =
        Api::namespaced(kube::Client::try_from(config).expect("client"), ns.name());

    match reader.list(&Default::default()).await {
        Err(kube::Error::Api(status)) => assert_eq!(status.code, 403, "{status:?}"),
        other => panic!("expected 403 before any Role, got {other:?}"),
    }

    let admin = cluster.client();
    let role: Role = serde_json::from_value(serde_json::json!({
        "metadata": { "name": "prowjob-reader" },
        "rules": [{ "apiGroups": ["prow.k8s.io"], "resources": ["prowjobs"], "verbs": ["get", "list"] }],
    }))
    .expect("role");
    Api::<Role>::namespaced(admin.clone(), ns.name())
        .create(&PostParams::default(), &role)
        .await
        .expect("create role");
    let binding: RoleBinding = serde_json::from_value(serde_json::json!({
        "metadata": { "name": "prowjob-reader" },
        "roleRef": { "apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "prowjob-reader" },
        "subjects": [{ "apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "prow-reader" }],
    }))
    .expect("binding");
    Api::<RoleBinding>::namespaced(admin, ns.name())
        .create(&PostParams::default(), &binding)
        .await
        .expect("create binding");

    let mut allowed = false;
    for _ in 0..50 {
        if reader.list(&Default::default()).await.is_ok() {
            allowed = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(allowed, "the bound Role lets the user list ProwJobs");
    let job = ProwJob::new("denied", ProwJobSpec::new(ProwJobType::Periodic, "j"));
    match reader.create(&PostParams::default(), &job).await {
        Err(kube::Error::Api(status)) => assert_eq!(status.code, 403, "{status:?}"),
        other => panic!("expected 403 for create, got {other:?}"),
    }
}
