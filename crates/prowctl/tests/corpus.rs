//! Every Prow instance of the compatibility corpus (`../shared/corpus/prow-configs`) loads
//! through `prowctl checkconfig` with the job counts that `SOURCES.md` states, and with no
//! error except the real mistakes listed (and explained) in `corpus-known-mistakes.txt`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// The real mistakes of the corpus, one `<instance> <file>:<line>:<col>: <message>` a line.
const KNOWN_MISTAKES: &str = include_str!("corpus-known-mistakes.txt");

/// One row of the "Prow instances" table in SOURCES.md.
#[derive(Debug)]
struct Instance {
    name: String,
    config_path: String,
    job_config_path: Option<String>,
    plugin_config: String,
    presubmits: u64,
    postsubmits: u64,
    periodics: u64,
}

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

/// Reads the "Prow instances" table: `| instance | --config-path | --job-config-path |
/// --plugin-config | presubmits | postsubmits | periodics |`.
fn instances(corpus: &Path) -> Vec<Instance> {
    let sources = std::fs::read_to_string(corpus.join("SOURCES.md")).expect("read SOURCES.md");
    let table = sources
        .split("## Prow instances")
        .nth(1)
        .expect("SOURCES.md has a 'Prow instances' section");
    let rows: Vec<Instance> = table
        .lines()
        .filter(|line| line.starts_with('|'))
        .map(|line| {
            line.trim_matches('|')
                .split('|')
                .map(str::trim)
                .collect::<Vec<_>>()
        })
        .filter(|cells| cells.len() == 7 && cells[4].chars().all(|c| c.is_ascii_digit()))
        .map(|cells| Instance {
            name: cells[0].to_string(),
            config_path: cells[1].to_string(),
            job_config_path: (cells[2] != "(none)").then(|| cells[2].to_string()),
            plugin_config: cells[3].to_string(),
            presubmits: cells[4].parse().expect("presubmit count"),
            postsubmits: cells[5].parse().expect("postsubmit count"),
            periodics: cells[6].parse().expect("periodic count"),
        })
        .collect();
    assert!(
        rows.len() >= 8,
        "expected at least 8 instances, found {rows:?}"
    );
    rows
}

fn checkconfig(corpus: &Path, instance: &Instance) -> Value {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_prowctl"));
    cmd.current_dir(corpus)
        .args(["checkconfig", "--output", "json", "--config-path"])
        .arg(&instance.config_path)
        .arg("--plugin-config")
        .arg(&instance.plugin_config);
    if let Some(jobs) = &instance.job_config_path {
        cmd.arg("--job-config-path").arg(jobs);
    }
    let out = cmd.output().expect("run prowctl");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{}: prowctl printed no JSON ({e}); stderr:\n{}",
            instance.name,
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let has_errors = report["errors"].as_array().is_some_and(|e| !e.is_empty());
    assert_eq!(
        out.status.code(),
        Some(i32::from(has_errors)),
        "{}: exit status must be 1 exactly when there are errors",
        instance.name
    );
    report
}

#[test]
fn every_corpus_instance_loads_with_the_documented_job_counts() {
    let corpus = corpus_dir();
    let mut reported = BTreeSet::new();
    for instance in instances(&corpus) {
        let report = checkconfig(&corpus, &instance);
        let counts = (
            report["presubmits"].as_u64(),
            report["postsubmits"].as_u64(),
            report["periodics"].as_u64(),
        );
        assert_eq!(
            counts,
            (
                Some(instance.presubmits),
                Some(instance.postsubmits),
                Some(instance.periodics)
            ),
            "{}: job counts (presubmits, postsubmits, periodics)",
            instance.name
        );
        for error in report["errors"].as_array().into_iter().flatten() {
            reported.insert(format!(
                "{} {}:{}:{}: {}",
                instance.name,
                error["file"].as_str().unwrap_or_default(),
                error["line"],
                error["column"],
                error["message"].as_str().unwrap_or_default()
            ));
        }
    }
    let known: BTreeSet<String> = KNOWN_MISTAKES
        .lines()
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(str::to_string)
        .collect();
    let unexpected: Vec<_> = reported.difference(&known).collect();
    let missing: Vec<_> = known.difference(&reported).collect();
    assert!(
        unexpected.is_empty() && missing.is_empty(),
        "unexpected errors in the corpus:\n{unexpected:#?}\nknown mistakes no longer reported:\n{missing:#?}"
    );
}
