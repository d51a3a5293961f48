//! `prowctl checkconfig` as an admin runs it: the repository's own example configuration is
//! clean even under `--strict`, a broken job file fails with `file:line:col`, and usage errors
//! exit with 2.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn prowctl(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_prowctl"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run prowctl")
}

#[test]
fn the_example_configuration_passes_strict_checkconfig() {
    let out = prowctl(
        &[
            "checkconfig",
            "--strict",
            "--config-path",
            "config/config.yaml",
            "--job-config-path",
            "jobs",
            "--plugin-config",
            "config/plugins.yaml",
            "--output",
            "json",
        ],
        &repo_root(),
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    assert_eq!(report["errors"], serde_json::json!([]), "{report:#}");
    assert_eq!(report["warnings"], serde_json::json!([]), "{report:#}");
    assert_eq!(report["presubmits"], 3);
    assert_eq!(report["postsubmits"], 1);
    assert_eq!(report["periodics"], 2);
    assert!(out.status.success());
}

#[test]
fn a_typo_fails_with_file_line_and_column() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("config.yaml"), "prowjob_namespace: prow\n").expect("write");
    std::fs::create_dir(dir.path().join("jobs")).expect("mkdir");
    std::fs::write(
        dir.path().join("jobs/app.yaml"),
        "presubmits:\n  org/app:\n  - name: unit\n    always_run: true\n    spec:\n      containers:\n      - image: alpine\n        imagePullPolicyy: Always\n",
    )
    .expect("write");
    let out = prowctl(
        &[
            "checkconfig",
            "--config-path",
            "config.yaml",
            "--job-config-path",
            "jobs",
        ],
        dir.path(),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let line = stdout
        .lines()
        .find(|l| l.contains("imagePullPolicyy"))
        .unwrap_or_else(|| panic!("no line names the typo:\n{stdout}"));
    assert!(line.starts_with("jobs/app.yaml:8:9: error: "), "{line}");
}

#[test]
fn usage_errors_exit_with_2() {
    let out = prowctl(&["checkconfig", "--output", "xml"], &repo_root());
    assert_eq!(out.status.code(), Some(2));
    let out = prowctl(&["checkconfig"], &repo_root());
    assert_eq!(out.status.code(), Some(2), "--config-path is required");
}
