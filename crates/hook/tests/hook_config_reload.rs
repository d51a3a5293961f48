//! Config reload: a change on disk is picked up, a bad change keeps the last good config and
//! is counted, unknown fields never make hook refuse a configuration.

use std::path::Path;
use std::time::Duration;

use hook::config_watch::ConfigWatch;
use hook::metrics::HookMetrics;
use prow_config::LoadOptions;
use tokio_util::sync::CancellationToken;

fn write(path: &Path, text: &str) {
    // Write a new file and rename it over the old one, as a ConfigMap update swaps files.
    let staged = path.with_extension("staged");
    std::fs::write(&staged, text).expect("write");
    std::fs::rename(&staged, path).expect("rename");
}

fn enabled(watch: &ConfigWatch) -> Vec<String> {
    watch
        .current()
        .plugins
        .as_ref()
        .map(|p| {
            p.plugins_for("o", "r")
                .iter()
                .map(|s| s.to_string())
                .collect()
        })
        .unwrap_or_default()
}

async fn wait_until(what: &str, check: impl Fn() -> bool) {
    for _ in 0..600 {
        if check() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("gave up waiting: {what}");
}

#[tokio::test]
async fn reload_applies_good_changes_and_keeps_the_last_good_config() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config_path = dir.path().join("config.yaml");
    let plugins_path = dir.path().join("plugins.yaml");
    write(&config_path, "prowjob_namespace: default\n");
    write(&plugins_path, "plugins:\n  o/r: [cat]\n");
    let watch = ConfigWatch::load(LoadOptions {
        config_path: config_path.clone(),
        job_config_path: None,
        plugin_config_path: Some(plugins_path.clone()),
    })
    .expect("loads");
    assert_eq!(enabled(&watch), ["cat"]);

    let metrics = HookMetrics::default();
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(watch.clone().watch(
        Duration::from_millis(20),
        metrics.clone(),
        shutdown.clone(),
        |_| {},
    ));

    // A YAML syntax error: refused, counted, the old config stays.
    write(&plugins_path, "plugins:\n  o/r: [cat\n");
    wait_until("syntax error counted", || {
        metrics.config_reload_failures.get() == 1
    })
    .await;
    assert_eq!(enabled(&watch), ["cat"]);

    // A type error (a plugin list that is a number): refused too.
    write(
        &config_path,
        "prowjob_namespace: default\nplank:\n  max_concurrency: many\n",
    );
    wait_until("type error counted", || {
        metrics.config_reload_failures.get() == 2
    })
    .await;
    assert_eq!(enabled(&watch), ["cat"]);

    // Good again, with an unknown field: applied (Prow ignores unknown fields).
    write(
        &config_path,
        "prowjob_namespace: default\nnot_a_prow_field: 1\n",
    );
    write(&plugins_path, "plugins:\n  o/r: [cat, trigger]\n");
    wait_until("reload applied", || enabled(&watch) == ["cat", "trigger"]).await;
    assert!(metrics.config_reloads.get() >= 1);
    assert_eq!(metrics.config_reload_failures.get(), 2);
    assert!(
        watch
            .current()
            .problems
            .iter()
            .any(|p| p.message.contains("not_a_prow_field")),
        "the unknown field is kept as a problem: {:?}",
        watch.current().problems
    );

    shutdown.cancel();
    task.await.expect("task").expect("watch");
}

#[test]
fn start_refuses_a_broken_config_but_not_unknown_fields() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config_path = dir.path().join("config.yaml");
    let options = LoadOptions {
        config_path: config_path.clone(),
        job_config_path: None,
        plugin_config_path: None,
    };
    write(
        &config_path,
        "prowjob_namespace: default\nunknown_top_level: true\n",
    );
    assert!(ConfigWatch::load(options.clone()).is_ok());
    write(&config_path, "prowjob_namespace: [default\n");
    assert!(ConfigWatch::load(options).is_err());
}
