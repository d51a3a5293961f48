//! The kubernetes instance of the Prow config corpus (`../shared/corpus/prow-configs`), read
//! through `load`: settings land in the typed config (including flattened branch-protection
//! policies) and jobs get Prow's defaults. Job counts per instance are checked by prowctl's
//! corpus test.

use std::path::{Path, PathBuf};
use std::time::Duration;

use prow_config::{LoadOptions, Loaded, load};

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

fn kubernetes() -> Loaded {
    let root = corpus_dir().join("kubernetes/test-infra/config");
    load(&LoadOptions {
        config_path: root.join("prow/config.yaml"),
        job_config_path: Some(root.join("jobs")),
        plugin_config_path: Some(root.join("prow/plugins.yaml")),
    })
    .expect("the kubernetes instance loads")
}

#[test]
fn kubernetes_settings_are_typed() {
    let loaded = kubernetes();
    let prow = &loaded.config.prow;
    assert_eq!(
        prow.plank.pod_pending_timeout.0,
        Duration::from_secs(15 * 60)
    );
    assert_eq!(
        prow.plank.job_queue_capacities.get("k8sio-image-promo"),
        Some(&1)
    );
    assert_eq!(
        prow.plank.job_url_prefix_for("kubernetes", "kubernetes"),
        "https://prow.k8s.io/view/"
    );
    assert!(!prow.plank.default_decoration_config_entries.is_empty());
    let bp = &prow.branch_protection;
    assert_eq!(bp.allow_disabled_policies, Some(true));
    let org = &bp.orgs["kubernetes"];
    assert_eq!(org.policy.protect, Some(true), "flattened org policy");
    assert!(org.policy.exclude.iter().any(|e| e == "^revert-"));
    let api = &org.repos["api"];
    let teams = api
        .policy
        .restrictions
        .as_ref()
        .and_then(|r| r.teams.clone());
    assert_eq!(teams, Some(vec!["stage-bots".to_string()]));
    let plugins = loaded.plugins.as_ref().expect("plugins");
    assert!(
        plugins
            .plugins_for("kubernetes", "kubernetes")
            .contains(&"trigger")
    );
}

#[test]
fn kubernetes_jobs_are_defaulted_and_matchable() {
    let loaded = kubernetes();
    let jobs = &loaded.config.jobs;
    let presubmits = jobs.presubmits_for("kubernetes/kubernetes");
    assert!(presubmits.len() > 100, "{}", presubmits.len());
    for job in presubmits {
        assert!(!job.reporter.context.is_empty(), "{}", job.base.name);
        assert!(!job.rerun_command.is_empty(), "{}", job.base.name);
        assert_eq!(job.base.agent, "kubernetes", "{}", job.base.name);
        assert!(
            job.trigger_matches(&job.rerun_command),
            "{}: rerun command {:?} must match its trigger",
            job.base.name,
            job.rerun_command
        );
        if job.base.utility_config.decorate == Some(true) {
            let dc = job
                .base
                .utility_config
                .decoration_config
                .as_ref()
                .expect("merged");
            assert!(dc.get("utility_images").is_some(), "{}", job.base.name);
            prow_config::presubmit_spec(job, prow_api::Refs::default()).expect("spec converts");
        }
    }
    for periodic in &jobs.periodics {
        assert!(
            !periodic.cron.is_empty()
                || periodic.interval_duration.is_some()
                || periodic.minimum_interval_duration.is_some(),
            "{}",
            periodic.base.name
        );
        prow_config::periodic_spec(periodic).expect("spec converts");
    }
}
