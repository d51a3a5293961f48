//! Several merges writing the same ConfigMap at once (hook handles deliveries concurrently):
//! no writer's keys are lost, whether the ConfigMap is being created or already exists.

use std::collections::BTreeMap;

use hook::plugins::config_updater::config_map::write_config_map;
use hook::plugins::config_updater::plan::{ConfigMapId, KeyUpdate};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::Api;
use prow_testkit::control_plane::ControlPlane;

const WRITERS: usize = 4;

async fn write_concurrently(client: &kube::Client, id: &ConfigMapId, round: &str) {
    let mut writers = tokio::task::JoinSet::new();
    for i in 0..WRITERS {
        let client = client.clone();
        let id = id.clone();
        let file = format!("config/jobs/{round}-{i}.yaml");
        let contents = BTreeMap::from([(file.clone(), format!("# {round} {i}\n").into_bytes())]);
        let updates = [KeyUpdate {
            key: format!("{round}-{i}.yaml"),
            filename: Some(file),
            gzip: false,
        }];
        let sha = format!("sha-{round}-{i}");
        writers.spawn(async move {
            write_config_map(client, &id, &updates, &contents, &sha, false)
                .await
                .map(|_| ())
        });
    }
    while let Some(joined) = writers.join_next().await {
        joined
            .expect("writer task")
            .expect("every writer succeeds, retrying on conflicts");
    }
}

#[tokio::test]
async fn concurrent_writers_keep_every_key() {
    let cluster = ControlPlane::shared().await;
    let namespace = cluster.test_namespace("cu-concurrent").await;
    let client = cluster.client();
    let id = ConfigMapId {
        cluster: "default".into(),
        namespace: namespace.name().into(),
        name: "job-config".into(),
    };
    write_concurrently(&client, &id, "create").await;
    write_concurrently(&client, &id, "update").await;

    let cm = Api::<ConfigMap>::namespaced(client, namespace.name())
        .get("job-config")
        .await
        .expect("job-config exists");
    let data = cm.data.expect("data");
    for round in ["create", "update"] {
        for i in 0..WRITERS {
            assert_eq!(
                data.get(&format!("{round}-{i}.yaml")).map(String::as_str),
                Some(format!("# {round} {i}\n").as_str()),
                "{round}-{i}.yaml kept"
            );
        }
    }
    assert!(
        data["VERSION"].starts_with("sha-update-"),
        "{}",
        data["VERSION"]
    );
}
