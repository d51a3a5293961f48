//! The label and command review plugins read the kubernetes instance of the Prow config corpus
//! (`../shared/corpus/prow-configs/kubernetes/test-infra`, its real `config.yaml` and
//! `plugins.yaml`): every one of them the kubernetes org enables is known to hook under the
//! same name, and their sections (`label`, `size`, `help`) read as Prow reads them.

use std::path::{Path, PathBuf};

use hook::app::register_review_plugins;
use hook::plugins::label::restricted_labels_for;
use hook::plugins::size::Thresholds;
use hook::registry::PluginRegistry;
use prow_config::LoadOptions;

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

#[test]
fn kubernetes_instance_sections_read_as_prow() {
    let root = corpus_dir().join("kubernetes/test-infra/config/prow");
    let loaded = prow_config::load(&LoadOptions {
        config_path: root.join("config.yaml"),
        job_config_path: None,
        plugin_config_path: Some(root.join("plugins.yaml")),
    })
    .expect("the kubernetes instance loads");
    let plugins = loaded.plugins.as_ref().expect("plugins.yaml");

    let mut registry = PluginRegistry::new();
    register_review_plugins(&mut registry);
    let ours = registry.names();
    let enabled: Vec<&str> = plugins
        .plugins_for("kubernetes", "kubernetes")
        .into_iter()
        .filter(|name| ours.contains(name))
        .collect();
    for name in [
        "assign",
        "help",
        "hold",
        "label",
        "lifecycle",
        "retitle",
        "size",
        "skip",
        "wip",
    ] {
        assert!(
            enabled.contains(&name),
            "{name} is enabled and known: {enabled:?}"
        );
    }

    let restricted = restricted_labels_for(&plugins.label, "kubernetes", "kubernetes");
    let cve = &restricted["official-cve-feed"];
    assert_eq!(cve.allowed_teams, ["security-response-committee"]);
    assert!(cve.allowed_users.iter().any(|u| u == "pushkarj"), "{cve:?}");
    assert!(
        restricted_labels_for(&plugins.label, "kubernetes", "website").is_empty(),
        "kubernetes/kubernetes entries stay with that repository"
    );
    assert!(
        plugins
            .label
            .additional_labels
            .iter()
            .any(|l| l == "tide/merge-method-squash")
    );

    assert_eq!(
        Thresholds::from_config(&plugins.size),
        Thresholds::from_config(&prow_config::Size::default()),
        "the instance writes Prow's defaults out"
    );
    assert_eq!(
        plugins.help.help_guidelines_url,
        "https://www.kubernetes.dev/docs/guide/help-wanted/"
    );
    assert!(!plugins.help.help_guidelines_summary.is_empty());
}
