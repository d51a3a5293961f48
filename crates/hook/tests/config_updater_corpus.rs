//! config-updater's plan for a realistic PR against kubernetes/test-infra, with that
//! instance's real `plugins.yaml` from the Prow config corpus (`../shared/corpus/prow-configs`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hook::plugins::config_updater::glob::Glob;
use hook::plugins::config_updater::plan::{self, KeyUpdate};
use prow_config::{LoadOptions, load};
use prow_github::types::PullRequestFile;

fn corpus_dir() -> PathBuf {
    let dir = std::env::var_os("PROW_CORPUS_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/prow-configs"),
        PathBuf::from,
    );
    assert!(
        dir.join("SOURCES.md").is_file(),
        "the Prow config corpus is missing at {} (set PROW_CORPUS_DIR)",
        dir.display()
    );
    dir
}

fn file(filename: &str, status: &str) -> PullRequestFile {
    serde_json::from_value(serde_json::json!({"filename": filename, "status": status}))
        .expect("a PullRequestFile")
}

fn set(key: &str, filename: &str, gzip: bool) -> KeyUpdate {
    KeyUpdate {
        key: key.into(),
        filename: Some(filename.into()),
        gzip,
    }
}

#[test]
fn kubernetes_test_infra_pr_plan() {
    let root = corpus_dir().join("kubernetes/test-infra/config");
    let loaded = load(&LoadOptions {
        config_path: root.join("prow/config.yaml"),
        job_config_path: None,
        plugin_config_path: Some(root.join("prow/plugins.yaml")),
    })
    .expect("the kubernetes instance loads");
    let updater = &loaded
        .plugins
        .as_ref()
        .expect("plugins.yaml")
        .config_updater;
    let maps = plan::resolve_maps(updater);
    let globs: Vec<_> = maps.iter().map(|m| Glob::new(&m.pattern).ok()).collect();
    assert!(
        globs.iter().all(Option::is_some),
        "every corpus pattern compiles"
    );

    let changes = [
        file("config/prow/config.yaml", "modified"),
        file(
            "config/jobs/kubernetes/sig-node/node-kubelet.yaml",
            "modified",
        ),
        file("config/jobs/kubernetes/sig-node/old.yml", "removed"),
        file("config/jobs/README.md", "modified"),
        file("label_sync/labels.yaml", "modified"),
        file("label_sync/labels.md", "modified"),
        file("experiment/test-configmap.txt", "added"),
    ];
    let got: BTreeMap<String, Vec<KeyUpdate>> = plan::plan_updates(
        &maps,
        &globs,
        updater.gzip,
        &changes,
        &loaded.config.prow.prowjob_namespace,
        "kubernetes/test-infra",
    )
    .into_iter()
    .map(|(id, updates)| {
        (
            format!("{}/{}/{}", id.cluster, id.namespace, id.name),
            updates,
        )
    })
    .collect();

    let labels = vec![set("labels.yaml", "label_sync/labels.yaml", false)];
    assert_eq!(
        got,
        BTreeMap::from([
            (
                "k8s-infra-prow-build-trusted/test-pods/label-config".to_string(),
                labels.clone()
            ),
            (
                "test-infra-trusted/default/config".to_string(),
                vec![set("config.yaml", "config/prow/config.yaml", false)]
            ),
            (
                "test-infra-trusted/default/job-config".to_string(),
                vec![
                    set(
                        "node-kubelet.yaml",
                        "config/jobs/kubernetes/sig-node/node-kubelet.yaml",
                        true
                    ),
                    KeyUpdate {
                        key: "old.yml".into(),
                        filename: None,
                        gzip: false
                    },
                ]
            ),
            (
                "test-infra-trusted/test-pods/label-config".to_string(),
                labels
            ),
            (
                "test-infra-trusted/default/test-configmap".to_string(),
                vec![set(
                    "test-configmap.txt",
                    "experiment/test-configmap.txt",
                    true
                )]
            ),
        ])
    );
}
