//! The YAML layer against the real Prow configuration corpus (`shared/corpus/prow-configs`):
//! every file parses, `to_json` agrees with a second YAML implementation, and the documented-field
//! shape check of every Prow instance's `config.yaml` / `plugins.yaml` reports exactly the known,
//! genuine mistakes.

use std::path::{Path, PathBuf};

use prow_config::yaml::{Shape, parse};
use serde_json::Value;

/// The corpus directory: `$PROW_CORPUS_DIR`, else `shared/corpus/prow-configs` beside the checkout.
fn corpus_dir() -> PathBuf {
    let dir = match std::env::var_os("PROW_CORPUS_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/prow-configs"),
    };
    assert!(
        dir.join("SOURCES.md").is_file(),
        "the Prow config corpus is missing: expected {} (set PROW_CORPUS_DIR to its location)",
        dir.display()
    );
    dir
}

/// Every `*.yaml` / `*.yml` file below `dir`, sorted.
fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
        for entry in entries {
            let path = entry
                .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
                .path();
            if path.is_dir() {
                pending.push(path);
            } else if matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("yaml" | "yml")
            ) {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn relative(path: &Path, corpus: &Path) -> String {
    path.strip_prefix(corpus)
        .unwrap_or(path)
        .display()
        .to_string()
}

#[test]
fn every_corpus_file_parses() {
    let corpus = corpus_dir();
    let files = yaml_files(&corpus);
    assert!(
        files.len() > 1000,
        "expected the whole corpus, found {} files",
        files.len()
    );
    let mut failures = Vec::new();
    let mut duplicates = Vec::new();
    let mut bytes = 0;
    for file in &files {
        let text = read(file);
        bytes += text.len();
        match parse(&text) {
            Ok(parsed) => {
                for (path, mark) in parsed.duplicate_keys {
                    duplicates.push(format!("{}:{mark}: {path}", relative(file, &corpus)));
                }
            }
            Err(e) => failures.push(format!("{}:{e}", relative(file, &corpus))),
        }
    }
    println!(
        "parsed {} files, {bytes} bytes; duplicate keys: {}",
        files.len(),
        duplicates.len()
    );
    for d in &duplicates {
        println!("duplicate key: {d}");
    }
    assert!(
        failures.is_empty(),
        "files that do not parse:\n{}",
        failures.join("\n")
    );
    // Every one is a real mistake: the first value is silently lost.
    assert_eq!(
        duplicates,
        [
            // The job sets `decoration_config: {timeout: 4h}` and, two lines later, again with
            // `timeout: 3h0m0s`: the 4h timeout never applies.
            "knative/infra/prow/jobs/custom/peribolos.yaml:219:3: periodics[0].decoration_config",
            "knative/infra/prow/jobs/custom/peribolos.yaml:270:3: periodics[1].decoration_config",
            // `kyma-project/test-infra` is listed twice (same content) under external_plugins.
            "kyma-project/test-infra/prow/plugins.yaml:80:3: external_plugins.kyma-project/test-infra",
        ]
    );
}

/// Compares our JSON with serde-saphyr's (an independent YAML implementation with YAML 1.1
/// booleans, legacy octal and merge keys enabled). Returns the paths where they disagree.
fn json_differences(ours: &Value, theirs: &Value, path: &str, out: &mut Vec<String>) {
    match (ours, theirs) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, va) in a {
                match b.get(k) {
                    Some(vb) => json_differences(va, vb, &format!("{path}.{k}"), out),
                    None => out.push(format!("{path}.{k}: only ours")),
                }
            }
            for k in b.keys().filter(|k| !a.contains_key(*k)) {
                out.push(format!("{path}.{k}: only theirs"));
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (va, vb)) in a.iter().zip(b).enumerate() {
                json_differences(va, vb, &format!("{path}[{i}]"), out);
            }
        }
        // Go writes an integral float64 as an integer; compare numbers by value.
        (Value::Number(a), Value::Number(b)) if a.as_f64() == b.as_f64() => {}
        (a, b) if a == b => {}
        (a, b) => out.push(format!("{path}: ours {a} theirs {b}")),
    }
}

#[test]
fn to_json_agrees_with_a_second_yaml_implementation() {
    let corpus = corpus_dir();
    let options = serde_saphyr::options! {
        legacy_octal_numbers: true,
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::LastWins,
        budget: None,
    };
    let mut compared = 0;
    let mut differences = Vec::new();
    for file in yaml_files(&corpus) {
        let text = read(&file);
        let ours = parse(&text)
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()))
            .root
            .to_json();
        let theirs: Value = match serde_saphyr::from_str_with_options(&text, options.clone()) {
            Ok(v) => v,
            Err(e) => {
                differences.push(format!(
                    "{}: serde-saphyr fails: {e}",
                    relative(&file, &corpus)
                ));
                continue;
            }
        };
        compared += 1;
        let mut diffs = Vec::new();
        json_differences(&ours, &theirs, "", &mut diffs);
        differences.extend(
            diffs
                .into_iter()
                .map(|d| format!("{}: {d}", relative(&file, &corpus))),
        );
    }
    println!("compared {compared} files");
    for d in &differences {
        println!("{d}");
    }
    assert!(differences.is_empty(), "{} differences", differences.len());
}

/// One Prow deployment of the corpus (SOURCES.md, "Prow instances").
struct Instance {
    name: &'static str,
    config: &'static str,
    plugins: &'static str,
}

const INSTANCES: &[Instance] = &[
    Instance {
        name: "kubernetes",
        config: "kubernetes/test-infra/config/prow/config.yaml",
        plugins: "kubernetes/test-infra/config/prow/plugins.yaml",
    },
    Instance {
        name: "istio-gcp",
        config: "istio/test-infra/prow/gcp/config.yaml",
        plugins: "istio/test-infra/prow/gcp/plugins.yaml",
    },
    Instance {
        name: "istio-aws",
        config: "istio/test-infra/prow/aws/config.yaml",
        plugins: "istio/test-infra/prow/aws/plugins.yaml",
    },
    Instance {
        name: "oss",
        config: "GoogleCloudPlatform/oss-test-infra/prow/oss/config.yaml",
        plugins: "GoogleCloudPlatform/oss-test-infra/prow/oss/plugins.yaml",
    },
    Instance {
        name: "knative",
        config: "knative/infra/prow/config.yaml",
        plugins: "knative/infra/prow/plugins.yaml",
    },
    Instance {
        name: "kyma",
        config: "kyma-project/test-infra/prow/config.yaml",
        plugins: "kyma-project/test-infra/prow/plugins.yaml",
    },
    Instance {
        name: "kubeflow",
        config: "kubeflow/testing/aws/User/clusters/optional-test-infra-prow/namespaces/prow/configmap/config.yaml",
        plugins: "kubeflow/testing/aws/User/clusters/optional-test-infra-prow/namespaces/prow/configmap/plugins.yaml",
    },
    Instance {
        name: "prow-integration",
        config: "kubernetes-sigs/prow/test/integration/config/prow/config.yaml",
        plugins: "kubernetes-sigs/prow/test/integration/config/prow/plugins.yaml",
    },
];

/// Job and preset keys of `config.yaml`: checked by the typed job structs, not by the shape.
const JOB_KEYS: &[&str] = &["presubmits", "postsubmits", "periodics", "presets"];

/// The genuine mistakes the shape check finds: (instance, file, path). There are none: every key
/// the documented references leave out was checked against Prow's Go types and is in the
/// allow-list of `Shape` (spyglass `size_limit` and lens `config`, plank `max_concurrency`,
/// top-level `decorate_all_jobs`, the `size` plugin, blunderbuss `max_request_count`, project
/// and milestone team ids). The corpus's real mistakes are duplicate keys (see
/// `every_corpus_file_parses`) and job-level typos, which the typed job structs report.
const EXPECTED_UNKNOWN: &[(&str, &str, &str)] = &[];

#[test]
fn shape_check_reports_only_genuine_mistakes() {
    let corpus = corpus_dir();
    let mut found = Vec::new();
    for instance in INSTANCES {
        for (file, shape, skip) in [
            (instance.config, Shape::prow_config(), JOB_KEYS),
            (instance.plugins, Shape::plugin_config(), &[][..]),
        ] {
            let text = read(&corpus.join(file));
            let root = parse(&text).unwrap_or_else(|e| panic!("{file}: {e}")).root;
            for unknown in shape.unknown_fields(&root, skip) {
                println!(
                    "{}: {file}:{}: {}",
                    instance.name, unknown.mark, unknown.path
                );
                found.push((instance.name.to_string(), file.to_string(), unknown.path));
            }
        }
    }
    let expected: Vec<(String, String, String)> = EXPECTED_UNKNOWN
        .iter()
        .map(|(i, f, p)| (i.to_string(), f.to_string(), p.to_string()))
        .collect();
    assert_eq!(found, expected);
}

#[test]
fn shape_check_catches_typos_planted_in_a_real_config() {
    let corpus = corpus_dir();
    let cases = [
        (
            "kubernetes/test-infra/config/prow/config.yaml",
            Shape::prow_config(),
            "  sync_period: 2m",
            "  sync_periodd: 2m",
            "tide.sync_periodd",
        ),
        (
            "kubernetes/test-infra/config/prow/config.yaml",
            Shape::prow_config(),
            "        path_strategy: \"legacy\"",
            "        path_strategyy: \"legacy\"",
            "plank.default_decoration_config_entries[0].config.gcs_configuration.path_strategyy",
        ),
        (
            "kubernetes/test-infra/config/prow/plugins.yaml",
            Shape::plugin_config(),
            "  store_tree_hash: true",
            "  store_tree_hashh: true",
            "lgtm[1].store_tree_hashh",
        ),
    ];
    for (file, shape, original, typo, path) in cases {
        let text = read(&corpus.join(file));
        let line = text
            .lines()
            .position(|l| l == original)
            .unwrap_or_else(|| panic!("{file}: no line {original:?}"))
            + 1;
        let planted = text.replacen(original, typo, 1);
        let root = parse(&planted)
            .unwrap_or_else(|e| panic!("{file}: {e}"))
            .root;
        let found: Vec<(String, u32)> = shape
            .unknown_fields(&root, JOB_KEYS)
            .into_iter()
            .map(|u| (u.path, u.mark.line))
            .collect();
        assert_eq!(found, vec![(path.to_string(), line as u32)], "{file}");
    }
}
