//! `load` over small fixture instances: a valid one (defaults, presets, decoration, matching,
//! specs) and a broken one where every mistake must be reported at its file and line.

use std::path::{Path, PathBuf};
use std::time::Duration;

use prow_config::{LoadOptions, Loaded, Problem, Severity, load};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn load_fixture(name: &str) -> Loaded {
    let dir = fixture(name);
    load(&LoadOptions {
        config_path: dir.join("config.yaml"),
        job_config_path: Some(dir.join("jobs")),
        plugin_config_path: Some(dir.join("plugins.yaml")),
    })
    .expect("fixture loads")
}

#[test]
fn valid_instance_loads_without_problems() {
    let loaded = load_fixture("valid");
    let problems: Vec<String> = loaded.problems.iter().map(Problem::to_string).collect();
    assert!(problems.is_empty(), "unexpected problems: {problems:#?}");
    let config = &loaded.config;
    assert_eq!(
        (
            config.presubmit_count(),
            config.postsubmit_count(),
            config.periodic_count()
        ),
        (3, 1, 2)
    );
}

#[test]
fn plugins_load_in_both_forms() {
    let plugins = load_fixture("valid").plugins.expect("plugins.yaml given");
    assert_eq!(
        plugins.plugins_for("org", "repo"),
        ["trigger", "lgtm", "hold"]
    );
    assert!(plugins.plugins_for("org", "legacy").is_empty());
    let trigger = plugins.trigger_for("org", "repo");
    assert!(trigger.only_org_members);
    assert_eq!(trigger.trusted_apps, ["dependabot"]);
    assert_eq!(
        plugins.config_updater.maps["config/prow/config.yaml"].name,
        "config"
    );
}

#[test]
fn defaults_are_prows() {
    let config = load_fixture("valid").config;
    let prow = &config.prow;
    assert_eq!(prow.prowjob_namespace, "prow");
    assert_eq!(
        prow.plank.pod_pending_timeout.0,
        Duration::from_secs(15 * 60)
    );
    assert_eq!(
        prow.plank.pod_running_timeout.0,
        Duration::from_secs(48 * 3600)
    );
    assert_eq!(
        prow.plank.pod_unscheduled_timeout.0,
        Duration::from_secs(5 * 60)
    );
    assert_eq!(prow.sinker.resync_period.0, Duration::from_secs(3600));
    assert_eq!(
        prow.sinker.max_prowjob_age.0,
        Duration::from_secs(7 * 24 * 3600)
    );
    assert_eq!(prow.sinker.max_pod_age.0, Duration::from_secs(12 * 3600));
    assert_eq!(
        prow.sinker.terminated_pod_ttl.map(|d| d.0),
        Some(Duration::from_secs(12 * 3600)),
        "terminated_pod_ttl defaults to max_pod_age"
    );
    assert_eq!(prow.horologium.tick_interval.0, Duration::from_secs(60));

    let unit = config
        .jobs
        .presubmit("org/repo", "pull-repo-unit")
        .expect("job");
    assert_eq!(unit.reporter.context, "pull-repo-unit");
    assert_eq!(unit.rerun_command, "/test pull-repo-unit");
    assert_eq!(unit.trigger, r"(?m)^/test( | .* )pull-repo-unit,?($|\s.*)");
    assert_eq!(unit.base.agent, "kubernetes");
    assert_eq!(unit.base.cluster, "default");
    assert_eq!(unit.base.namespace.as_deref(), Some("test-pods"));
}

#[test]
fn presets_merge_by_label() {
    let config = load_fixture("valid").config;
    let unit = config
        .jobs
        .presubmit("org/repo", "pull-repo-unit")
        .expect("job");
    let spec = unit.base.spec.as_ref().expect("spec").get();
    let env: Vec<&str> = spec.containers[0]
        .env
        .iter()
        .flatten()
        .map(|e| e.name.as_str())
        .collect();
    assert_eq!(env, ["CREDS"]);
    let volumes: Vec<&str> = spec
        .volumes
        .iter()
        .flatten()
        .map(|v| v.name.as_str())
        .collect();
    assert_eq!(volumes, ["creds"]);
    let docs = config
        .jobs
        .presubmit("org/repo", "pull-repo-docs")
        .expect("job");
    assert!(
        docs.base.spec.as_ref().expect("spec").get().containers[0]
            .env
            .is_none()
    );
}

#[test]
fn decoration_defaults_merge_matching_entries_in_order() {
    let config = load_fixture("valid").config;
    let unit = config
        .jobs
        .presubmit("org/repo", "pull-repo-unit")
        .expect("job");
    let dc = unit
        .base
        .utility_config
        .decoration_config
        .as_ref()
        .expect("decorated");
    assert_eq!(dc["timeout"], "2h");
    assert_eq!(dc["gcs_configuration"]["bucket"], "gs://logs-bucket");
    let special = config
        .jobs
        .postsubmit("org/special", "post-special-push")
        .expect("job");
    let dc = special
        .base
        .utility_config
        .decoration_config
        .as_ref()
        .expect("decorated");
    assert_eq!(
        dc["timeout"], "4h",
        "the org/special entry overrides the global one"
    );
    assert_eq!(dc["gcs_configuration"]["bucket"], "gs://special-bucket");
    assert_eq!(
        dc["gcs_configuration"]["path_strategy"], "explicit",
        "nested fields merge"
    );
    assert_eq!(
        dc["utility_images"]["sidecar"],
        "registry.example/sidecar:v1"
    );
}

#[test]
fn matching_follows_prow() {
    let config = load_fixture("valid").config;
    let jobs = config.jobs.presubmits_for("org/repo");
    let docs = &jobs[1];
    assert!(docs.should_run("main", &["docs/index.md".into()], false, false));
    assert!(!docs.should_run("main", &["src/main.go".into()], false, false));
    assert!(!docs.should_run("release-1.0", &["docs/index.md".into()], false, false));
    let e2e = &jobs[2];
    assert!(e2e.trigger_matches("/test e2e"));
    assert!(!e2e.trigger_matches("/test unit"));
    assert!(!e2e.should_run("main", &["README.md".into()], false, false));
    assert!(e2e.should_run(
        "main",
        &["README.md".into(), "main.go".into()],
        false,
        false
    ));

    let selected = |body: &str| -> Vec<String> {
        let filter = prow_config::presubmit_filter(false, Default::default, body);
        prow_config::filter_presubmits(&filter, &["docs/a.md".into()], "main", jobs)
            .into_iter()
            .map(|p| p.base.name.clone())
            .collect()
    };
    assert_eq!(selected("/test pull-repo-unit"), ["pull-repo-unit"]);
    assert_eq!(selected("/test all"), ["pull-repo-unit", "pull-repo-docs"]);
    assert_eq!(selected("/test e2e"), ["pull-repo-e2e"]);
    assert!(selected("looks good").is_empty());
}

#[test]
fn periodics_get_their_interval_and_are_indexed() {
    let config = load_fixture("valid").config;
    let periodic = config
        .jobs
        .periodic("ci-config-periodic")
        .expect("periodic from config.yaml");
    assert_eq!(periodic.interval_duration, Some(Duration::from_secs(3600)));
    assert_eq!(
        config.jobs.periodics_with_extra_ref("org", "repo").count(),
        1
    );
}

#[test]
fn specs_carry_prows_fields_and_labels() {
    let config = load_fixture("valid").config;
    let job = config
        .jobs
        .postsubmit("org/special", "post-special-push")
        .expect("job");
    let refs = prow_api::Refs {
        org: "org".into(),
        repo: "special".into(),
        base_ref: "main".into(),
        base_sha: "abc123".into(),
        ..Default::default()
    };
    let spec = prow_config::postsubmit_spec(job, refs).expect("spec");
    assert_eq!(spec.job, "post-special-push");
    assert_eq!(spec.job_type, prow_api::ProwJobType::Postsubmit);
    assert!(spec.report);
    assert_eq!(spec.context, "post-special-push");
    assert_eq!(spec.namespace, "test-pods");
    let main = spec.refs.as_ref().expect("refs");
    assert_eq!(main.path_alias, "example.com/special");
    assert_eq!(
        spec.decoration_config
            .as_ref()
            .and_then(|d| d.timeout)
            .map(|t| t.as_nanos()),
        Some(4 * 3600 * 1_000_000_000)
    );
    let (labels, _) = prow_config::prowjob_labels(&spec, &job.base);
    assert_eq!(
        labels.get("prow.k8s.io/job").map(String::as_str),
        Some("post-special-push")
    );
    assert_eq!(
        labels.get("prow.k8s.io/refs.repo").map(String::as_str),
        Some("special")
    );

    let unit = config
        .jobs
        .presubmit("org/repo", "pull-repo-unit")
        .expect("job");
    let spec = prow_config::presubmit_spec(unit, prow_api::Refs::default()).expect("spec");
    assert_eq!(spec.rerun_command, "/test pull-repo-unit");
    let periodic = config.jobs.periodic("ci-repo-nightly").expect("job");
    let spec = prow_config::periodic_spec(periodic).expect("spec");
    assert_eq!(spec.extra_refs.len(), 1);
    assert!(spec.refs.is_none());
}

/// (file suffix, line, message fragment) of every expected error in the broken fixture.
const EXPECTED_ERRORS: &[(&str, u32, &str)] = &[
    (
        "a/unknown-field.yaml",
        5,
        "presubmits.org/repo[0].alwyas_run: unknown field",
    ),
    (
        "a/unknown-field.yaml",
        13,
        "presubmits.org/repo[1].decoration_config.timout: unknown field",
    ),
    (
        "a/unknown-field.yaml",
        18,
        "presubmits.org/repo[1].spec.containers[0].imagePullPolicyy: unknown field",
    ),
    ("a/regexes.yaml", 3, "branches: invalid regex"),
    (
        "a/regexes.yaml",
        8,
        "run_if_changed and skip_if_only_changed are mutually exclusive",
    ),
    (
        "a/regexes.yaml",
        14,
        "trigger and rerun_command must be set together",
    ),
    ("a/duplicates.yaml", 7, "duplicated presubmit job pull-dup"),
    ("a/periodics.yaml", 2, "cron: invalid cron string"),
    (
        "a/periodics.yaml",
        7,
        "one of cron, interval or minimum_interval must be set",
    ),
    (
        "a/periodics.yaml",
        7,
        "job_queue_name: \"missing-queue\" is not defined",
    ),
    (
        "b/same.yaml",
        1,
        "duplicated basename \"same.yaml\": also used by",
    ),
    (
        "a/periodics.yaml",
        16,
        "periodics[2].decoration_config.timeout: ",
    ),
    ("plugins.yaml", 4, "trigers: unknown field"),
    ("plugins.yaml", 7, "size.s: "),
];

#[test]
fn broken_instance_reports_every_mistake_at_its_line() {
    let loaded = load_fixture("broken");
    let errors: Vec<&Problem> = loaded
        .problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .collect();
    for (file, line, fragment) in EXPECTED_ERRORS {
        let found = errors
            .iter()
            .any(|p| p.file.ends_with(file) && p.line == *line && p.message.contains(fragment));
        assert!(
            found,
            "missing error {file}:{line}: {fragment}\nall problems:\n{}",
            errors
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    assert_eq!(
        errors.len(),
        EXPECTED_ERRORS.len(),
        "unexpected extra errors: {errors:#?}"
    );
}

#[test]
fn problems_are_sorted_and_displayed_with_position() {
    let loaded = load_fixture("broken");
    let keys: Vec<_> = loaded
        .problems
        .iter()
        .map(|p| (p.file.clone(), p.line, p.col))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    let first = loaded.problems.first().expect("problems");
    let shown = first.to_string();
    assert!(
        shown.starts_with(&format!(
            "{}:{}:{}: ",
            first.file.display(),
            first.line,
            first.col
        )),
        "{shown}"
    );
}

#[test]
fn unreadable_config_and_syntax_errors_stop_loading() {
    let missing = load(&LoadOptions {
        config_path: fixture("does-not-exist.yaml"),
        ..Default::default()
    });
    assert!(matches!(missing, Err(prow_config::LoadError::Read { .. })));

    let dir = std::env::temp_dir().join(format!("prow-config-syntax-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let bad = dir.join("config.yaml");
    std::fs::write(&bad, "plank:\n  job_url_template: [unclosed\n").expect("write");
    let err = load(&LoadOptions {
        config_path: bad.clone(),
        ..Default::default()
    })
    .expect_err("syntax error");
    let _ = std::fs::remove_dir_all(&dir);
    match err {
        prow_config::LoadError::Syntax { file, line, .. } => {
            assert_eq!(file, bad);
            assert!(line >= 2, "line {line}");
        }
        other => panic!("expected a syntax error, got {other}"),
    }
}

/// A scratch directory removed on drop.
struct ScratchDir(PathBuf);

impl ScratchDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("prow-config-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create scratch dir");
        ScratchDir(dir)
    }

    fn write(&self, rel: &str, text: &str) -> PathBuf {
        let path = self.0.join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, text).expect("write");
        path
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const PERIODIC: &str = "periodics:\n  - name: NAME\n    interval: 1h\n    spec:\n      containers:\n        - image: alpine\n          command: [\"true\"]\n";

#[test]
fn configmap_mounts_load_through_symlinks_without_double_counting() {
    // A Kubernetes ConfigMap volume: `..<timestamp>/` holds the files, `..data` links to it and
    // each key is a symlink through `..data`. Prow reads the key symlinks and skips `..*`.
    let scratch = ScratchDir::new("configmap");
    let config = scratch.write("config.yaml", "");
    scratch.write(
        "jobs/..2026_11_26/a.yaml",
        &PERIODIC.replace("NAME", "ci-a"),
    );
    scratch.write("jobs/..2026_11_26/b.yml", &PERIODIC.replace("NAME", "ci-b"));
    scratch.write("elsewhere/c.yaml", &PERIODIC.replace("NAME", "ci-c"));
    let jobs = scratch.0.join("jobs");
    std::os::unix::fs::symlink("..2026_11_26", jobs.join("..data")).expect("symlink");
    std::os::unix::fs::symlink("..data/a.yaml", jobs.join("a.yaml")).expect("symlink");
    std::os::unix::fs::symlink("..data/b.yml", jobs.join("b.yml")).expect("symlink");
    // A symlinked directory is not followed (Go's filepath.Walk does not follow it either).
    std::os::unix::fs::symlink(scratch.0.join("elsewhere"), jobs.join("linked-dir"))
        .expect("symlink");
    let loaded = load(&LoadOptions {
        config_path: config,
        job_config_path: Some(jobs),
        plugin_config_path: None,
    })
    .expect("loads");
    assert!(loaded.problems.is_empty(), "{:#?}", loaded.problems);
    let mut names: Vec<&str> = loaded
        .config
        .jobs
        .periodics
        .iter()
        .map(|p| p.base.name.as_str())
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["ci-a", "ci-b"]);
}

#[test]
fn decorate_all_jobs_decorates_jobs_that_do_not_opt_out() {
    let scratch = ScratchDir::new("decorate-all");
    let config = scratch.write(
        "config.yaml",
        "decorate_all_jobs: true\nplank:\n  default_decoration_config_entries:\n    - config:\n        timeout: 1h\n        utility_images: {clonerefs: c, initupload: i, entrypoint: e, sidecar: s}\n        gcs_configuration: {bucket: b, path_strategy: explicit}\n",
    );
    let opt_out = PERIODIC.replace("NAME", "ci-plain").replace(
        "    interval: 1h\n",
        "    interval: 1h\n    decorate: false\n",
    );
    scratch.write(
        "jobs/a.yaml",
        &format!(
            "{}{}",
            PERIODIC.replace("NAME", "ci-decorated"),
            &opt_out["periodics:\n".len()..]
        ),
    );
    let loaded = load(&LoadOptions {
        config_path: config,
        job_config_path: Some(scratch.0.join("jobs")),
        plugin_config_path: None,
    })
    .expect("loads");
    assert!(loaded.problems.is_empty(), "{:#?}", loaded.problems);
    let decorated = loaded.config.jobs.periodic("ci-decorated").expect("job");
    assert_eq!(decorated.base.utility_config.decorate, Some(true));
    assert_eq!(
        decorated
            .base
            .utility_config
            .decoration_config
            .as_ref()
            .map(|d| d["timeout"].clone()),
        Some(serde_json::json!("1h"))
    );
    let plain = loaded.config.jobs.periodic("ci-plain").expect("job");
    assert_eq!(plain.base.utility_config.decorate, Some(false));
    assert!(plain.base.utility_config.decoration_config.is_none());

    // Looking a periodic up by name stays right after the list is edited.
    let mut jobs = loaded.config.jobs.clone();
    let first = jobs.periodics.remove(0).base.name;
    assert!(jobs.periodic(&first).is_none(), "{first} was removed");
    for name in ["ci-decorated", "ci-plain"]
        .into_iter()
        .filter(|n| *n != first)
    {
        assert_eq!(
            jobs.periodic(name).map(|p| p.base.name.as_str()),
            Some(name)
        );
    }
}

#[test]
fn decoration_without_defaults_is_an_error() {
    let scratch = ScratchDir::new("no-defaults");
    let config = scratch.write(
        "config.yaml",
        &PERIODIC.replace("NAME", "ci-x").replace(
            "    interval: 1h\n",
            "    interval: 1h\n    decorate: true\n",
        ),
    );
    let loaded = load(&LoadOptions {
        config_path: config,
        ..Default::default()
    })
    .expect("loads");
    let messages: Vec<&str> = loaded.problems.iter().map(|p| p.message.as_str()).collect();
    assert!(
        messages
            .iter()
            .any(|m| m.contains("no default decoration config")),
        "{messages:#?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("utility image config is not specified")),
        "{messages:#?}"
    );
}

#[test]
fn reloader_keeps_the_last_good_config() {
    let scratch = ScratchDir::new("reload");
    let config = scratch.write("config.yaml", "");
    scratch.write("jobs/a.yaml", &PERIODIC.replace("NAME", "ci-a"));
    let mut reloader = prow_config::Reloader::new(LoadOptions {
        config_path: config,
        job_config_path: Some(scratch.0.join("jobs")),
        plugin_config_path: None,
    })
    .expect("first load");
    assert_eq!(reloader.current().config.periodic_count(), 1);
    assert!(matches!(
        reloader.reload_if_changed(),
        prow_config::ReloadOutcome::Unchanged
    ));

    scratch.write("jobs/b.yaml", &PERIODIC.replace("NAME", "ci-b"));
    match reloader.reload_if_changed() {
        prow_config::ReloadOutcome::Reloaded(loaded) => {
            assert_eq!(loaded.config.periodic_count(), 2)
        }
        other => panic!("expected a reload, got {other:?}"),
    }

    scratch.write(
        "jobs/b.yaml",
        &PERIODIC
            .replace("NAME", "ci-b")
            .replace("interval: 1h", "interval: 1 hour"),
    );
    match reloader.reload_if_changed() {
        prow_config::ReloadOutcome::Rejected(problems) => {
            assert!(
                problems
                    .iter()
                    .any(|p| p.file.ends_with("b.yaml") && p.message.contains("interval")),
                "{problems:#?}"
            );
        }
        other => panic!("expected a rejection, got {other:?}"),
    }
    assert_eq!(
        reloader.current().config.periodic_count(),
        2,
        "the last good config stays"
    );

    scratch.write("jobs/b.yaml", "periodics: [unclosed\n");
    assert!(matches!(
        reloader.reload_if_changed(),
        prow_config::ReloadOutcome::Failed(_)
    ));
    assert_eq!(reloader.current().config.periodic_count(), 2);

    // Unknown fields fail checkconfig but not a running component: Prow ignores them.
    scratch.write(
        "jobs/b.yaml",
        &PERIODIC
            .replace("NAME", "ci-c")
            .replace("interval: 1h", "interval: 1h\n    intervall: 2h"),
    );
    match reloader.reload_if_changed() {
        prow_config::ReloadOutcome::Reloaded(loaded) => {
            assert!(loaded.config.jobs.periodic("ci-c").is_some());
            let unknown: Vec<_> = loaded.problems.iter().filter(|p| p.is_error()).collect();
            assert_eq!(unknown.len(), 1, "{unknown:#?}");
            assert_eq!(unknown[0].kind, prow_config::ProblemKind::UnknownField);
            assert!(
                unknown[0]
                    .message
                    .starts_with("periodics[0].intervall: unknown field")
            );
        }
        other => panic!("expected a reload, got {other:?}"),
    }
}

#[test]
fn a_type_error_in_one_section_keeps_the_other_settings() {
    let scratch = ScratchDir::new("type-error");
    let config = scratch.write(
        "config.yaml",
        "pod_namespace: pods\nplank:\n  max_revivals: three\nsinker:\n  resync_period: 2h\nhorologium:\n  tick_interval: soon\n",
    );
    let loaded = load(&LoadOptions {
        config_path: config,
        ..Default::default()
    })
    .expect("loads");
    let errors: Vec<(u32, &str)> = loaded
        .problems
        .iter()
        .filter(|p| p.is_error())
        .map(|p| (p.line, p.message.as_str()))
        .collect();
    assert_eq!(errors.len(), 2, "{errors:#?}");
    assert!(
        errors[0].0 == 3 && errors[0].1.starts_with("plank.max_revivals: "),
        "{errors:#?}"
    );
    assert!(
        errors[1].0 == 7 && errors[1].1.starts_with("horologium.tick_interval: "),
        "{errors:#?}"
    );
    let prow = &loaded.config.prow;
    assert_eq!(prow.pod_namespace, "pods");
    assert_eq!(prow.sinker.resync_period.0, Duration::from_secs(7200));
    assert_eq!(
        prow.plank.max_revivals, 3,
        "the bad section falls back to Prow's default"
    );
}

#[test]
fn components_start_with_unknown_fields_but_not_with_other_errors() {
    let scratch = ScratchDir::new("for-component");
    let config = scratch.write("config.yaml", "plank:\n  max_revivalz: 3\n");
    let options = LoadOptions {
        config_path: config.clone(),
        ..LoadOptions::default()
    };
    let reloader = prow_config::Reloader::for_component(options.clone()).expect("starts");
    assert_eq!(reloader.current().problems.len(), 1);
    assert_eq!(
        reloader.current().problems[0].kind,
        prow_config::ProblemKind::UnknownField
    );

    scratch.write("config.yaml", "plank:\n  max_revivals: three\n");
    match prow_config::Reloader::for_component(options) {
        Err(prow_config::StartError::Invalid(problems)) => {
            assert_eq!(problems.len(), 1, "{problems:#?}");
            assert!(problems[0].file.ends_with("config.yaml"));
            assert_eq!(problems[0].line, 2);
        }
        other => panic!("expected a refusal, got {:?}", other.map(|_| ())),
    }
}

#[test]
fn jobs_without_their_own_decoration_share_one_merged_copy() {
    let scratch = ScratchDir::new("shared-decoration");
    let config = scratch.write(
        "config.yaml",
        "decorate_all_jobs: true\nplank:\n  default_decoration_config_entries:\n    - config:\n        timeout: 1h\n        utility_images: {clonerefs: c, initupload: i, entrypoint: e, sidecar: s}\n        gcs_configuration: {bucket: b, path_strategy: explicit}\n",
    );
    let own = PERIODIC.replace("NAME", "ci-own").replace(
        "    interval: 1h\n",
        "    interval: 1h\n    decoration_config:\n      timeout: 3h\n",
    );
    scratch.write(
        "jobs/a.yaml",
        &format!(
            "{}{}{}",
            PERIODIC.replace("NAME", "ci-a"),
            &PERIODIC.replace("NAME", "ci-b")["periodics:\n".len()..],
            &own["periodics:\n".len()..]
        ),
    );
    let loaded = load(&LoadOptions {
        config_path: config,
        job_config_path: Some(scratch.0.join("jobs")),
        plugin_config_path: None,
    })
    .expect("loads");
    assert!(loaded.problems.is_empty(), "{:#?}", loaded.problems);
    let decoration = |name: &str| {
        loaded
            .config
            .jobs
            .periodic(name)
            .and_then(|j| j.base.utility_config.decoration_config.clone())
            .expect("decorated")
    };
    let (a, b, own) = (decoration("ci-a"), decoration("ci-b"), decoration("ci-own"));
    assert!(std::sync::Arc::ptr_eq(&a, &b), "one shared copy");
    assert_eq!(a["timeout"], "1h");
    assert_eq!(own["timeout"], "3h");
    assert_eq!(own["gcs_configuration"]["bucket"], "b");
}
