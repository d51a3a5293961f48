//! Decorated Pods compared with the Pods Prow's own `decorate.ProwJobToPod` built for real
//! jobs of the config corpus (`testdata/prow_decorated_pods.json`; how it was made:
//! `testdata/README.md`).

use serde_json::Value;

use super::*;

struct Case {
    source: String,
    prowjob: ProwJob,
    prow_pod: Value,
}

fn cases(text: &str) -> Vec<Case> {
    let entries: Vec<Value> = serde_json::from_str(text).expect("fixture is JSON");
    entries
        .into_iter()
        .map(|entry| Case {
            source: entry["source"].as_str().expect("source").to_owned(),
            prowjob: serde_json::from_value(entry["prowjob"].clone()).expect("ProwJob parses"),
            prow_pod: entry["pod"].clone(),
        })
        .collect()
}

/// How environment values holding JSON (`JOB_SPEC`, `*_OPTIONS`) are compared.
#[derive(Clone, Copy, PartialEq)]
enum JsonEnv {
    /// Byte for byte, including Go's field order and escaping.
    Bytes,
    /// As JSON values: same fields and values, in any order. Used where the option types of
    /// the pod utilities order a field differently from Go (the sidecar's censoring options
    /// write `minimum_secret_length` before `include_directories`), which does not change
    /// what any reader parses.
    Parsed,
}

/// Drops what Go writes for zero values that k8s-openapi leaves out (`resources: {}`,
/// `creationTimestamp: null`, `status: {}`); with [`JsonEnv::Parsed`], parses JSON env values.
fn normalize(mut pod: Value, json_env: JsonEnv) -> Value {
    if let Some(metadata) = pod.get_mut("metadata").and_then(Value::as_object_mut) {
        metadata.remove("creationTimestamp");
    }
    if let Some(object) = pod.as_object_mut() {
        object.remove("status");
    }
    for list in ["containers", "initContainers"] {
        if let Some(containers) = pod["spec"][list].as_array_mut() {
            for container in containers {
                if json_env == JsonEnv::Parsed
                    && let Some(env) = container["env"].as_array_mut()
                {
                    for var in env {
                        let parsed = var["value"]
                            .as_str()
                            .filter(|value| value.starts_with('{'))
                            .and_then(|value| serde_json::from_str::<Value>(value).ok());
                        if let Some(parsed) = parsed {
                            var["value"] = parsed;
                        }
                    }
                }
                if container["resources"] == serde_json::json!({}) {
                    container
                        .as_object_mut()
                        .expect("container is an object")
                        .remove("resources");
                }
            }
        }
    }
    pod
}

/// The path and values of the first difference between two JSON values.
fn first_difference(ours: &Value, prow: &Value, path: &str) -> Option<String> {
    match (ours, prow) {
        (Value::Object(a), Value::Object(b)) => {
            let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            keys.into_iter().find_map(|key| {
                let null = Value::Null;
                first_difference(
                    a.get(key).unwrap_or(&null),
                    b.get(key).unwrap_or(&null),
                    &format!("{path}.{key}"),
                )
            })
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => a
            .iter()
            .zip(b)
            .enumerate()
            .find_map(|(i, (a, b))| first_difference(a, b, &format!("{path}[{i}]"))),
        _ if ours == prow => None,
        _ => Some(format!("{path}: ours {ours}, Prow's {prow}")),
    }
}

fn assert_same_pod(source: &str, ours: Value, prow: Value, json_env: JsonEnv) {
    let (ours, prow) = (normalize(ours, json_env), normalize(prow, json_env));
    assert_eq!(ours["metadata"], prow["metadata"], "{source}: metadata");
    for list in ["initContainers", "containers"] {
        let ours_list = ours["spec"][list].as_array().cloned().unwrap_or_default();
        let prow_list = prow["spec"][list].as_array().cloned().unwrap_or_default();
        let names = |list: &[Value]| -> Vec<String> {
            list.iter().map(|c| c["name"].to_string()).collect()
        };
        assert_eq!(names(&ours_list), names(&prow_list), "{source}: {list}");
        for (ours_container, prow_container) in ours_list.iter().zip(&prow_list) {
            let difference = first_difference(ours_container, prow_container, list);
            assert_eq!(difference, None, "{source}");
        }
    }
    assert_eq!(ours["spec"], prow["spec"], "{source}: spec");
}

fn assert_pods_equal_prows(cases: Vec<Case>, json_env: JsonEnv) {
    for case in cases {
        let pod = prowjob_to_pod(&case.prowjob, &DecorationOptions::default())
            .unwrap_or_else(|e| panic!("{}: {e}", case.source));
        let ours = serde_json::to_value(&pod).expect("pod serializes");
        assert_same_pod(&case.source, ours, case.prow_pod, json_env);
    }
}

#[test]
fn decorated_pods_equal_prows_for_corpus_jobs() {
    let cases = cases(include_str!("testdata/prow_decorated_pods.json"));
    assert_eq!(cases.len(), 5, "fixture has the corpus jobs");
    assert_pods_equal_prows(cases, JsonEnv::Bytes);
}

#[test]
fn pods_equal_prows_for_every_decoration_option() {
    let cases = cases(include_str!("testdata/prow_edge_case_pods.json"));
    assert_eq!(cases.len(), 7, "fixture has the edge cases");
    assert_pods_equal_prows(cases, JsonEnv::Parsed);
}
