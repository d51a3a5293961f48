//! ProwJobs (and the JOB_SPEC / Refs they carry) written by Prow deserialize and serialize
//! back without losing or changing a field. Fixtures and their provenance: tests/fixtures/README.md.

use std::path::PathBuf;

use prow_api::{JobSpec, ProwJob, ProwJobState, ProwJobType, Refs};
use serde::de::DeserializeOwned;
use serde_json::Value;

fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn yaml_fixture(name: &str) -> Value {
    serde_yaml_ng::from_str(&fixture(name)).unwrap_or_else(|e| panic!("{name}: YAML: {e}"))
}

/// Go writes a zero `metav1.Time` as `null` (e.g. `creationTimestamp: null` from
/// `yaml.Marshal` of a new object); `null` and absent mean the same to every Kubernetes
/// client, and the typed side omits unset fields. Only these nulls are removed from the
/// input before comparing.
fn without_nulls(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, without_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(without_nulls).collect()),
        other => other,
    }
}

/// The field paths the types skip while deserializing `input`. kube's derived `ProwJob`
/// skips the top-level `apiVersion` and `kind` on purpose (it writes its own constants back,
/// which the value comparison checks), so those two are not reported.
fn ignored_fields<T: DeserializeOwned>(name: &str, input: &Value) -> (T, Vec<String>) {
    let mut ignored = Vec::new();
    let value: T = serde_ignored::deserialize(input.clone(), |path| {
        let path = path.to_string();
        if path != "apiVersion" && path != "kind" {
            ignored.push(path);
        }
    })
    .unwrap_or_else(|e| panic!("{name}: deserialize: {e}"));
    (value, ignored)
}

/// Deserializes `input`, failing on any field the types would ignore, and returns the value.
fn deserialize_strictly<T: DeserializeOwned>(name: &str, input: &Value) -> T {
    let (value, ignored) = ignored_fields::<T>(name, input);
    assert!(
        ignored.is_empty(),
        "{name}: fields dropped by the types: {ignored:?}"
    );
    value
}

fn assert_round_trip<T: DeserializeOwned + serde::Serialize>(name: &str, input: Value) -> T {
    let input = without_nulls(input);
    let typed: T = deserialize_strictly(name, &input);
    let output = serde_json::to_value(&typed).unwrap_or_else(|e| panic!("{name}: serialize: {e}"));
    assert_eq!(
        output,
        input,
        "{name}: round trip changed the object\n--- got ---\n{}\n--- want ---\n{}",
        serde_json::to_string_pretty(&output).unwrap_or_default(),
        serde_json::to_string_pretty(&input).unwrap_or_default(),
    );
    typed
}

#[test]
fn triggered_periodic_round_trips() {
    let job: ProwJob = assert_round_trip(
        "periodic-triggered-preflight.yaml",
        yaml_fixture("periodic-triggered-preflight.yaml"),
    );
    assert_eq!(job.spec.job_type, ProwJobType::Periodic);
    assert_eq!(job.state(), Some(ProwJobState::Triggered));
    assert!(!job.is_complete());
    assert_eq!(job.cluster_alias(), "build02");
    let decoration = job
        .spec
        .decoration_config
        .as_ref()
        .expect("decoration_config");
    assert_eq!(
        decoration.timeout.map(|d| d.as_nanos()),
        Some(4 * 3600 * 1_000_000_000)
    );
}

#[test]
fn completed_periodic_with_reporter_config_round_trips() {
    let job: ProwJob = assert_round_trip(
        "periodic-failure-release-nightly.yaml",
        yaml_fixture("periodic-failure-release-nightly.yaml"),
    );
    let status = job.status.as_ref().expect("status");
    assert_eq!(status.state, ProwJobState::Failure);
    assert!(job.is_complete());
    assert_eq!(
        status.prev_report_states.get("gcsreporter"),
        Some(&ProwJobState::Failure)
    );
    let slack = job
        .spec
        .reporter_config
        .as_ref()
        .and_then(|config| config.slack.as_ref())
        .expect("slack reporter config");
    assert_eq!(
        slack.job_states_to_report,
        Some(vec![ProwJobState::Failure, ProwJobState::Error])
    );
    assert_eq!(
        job.spec.main_refs().map(Refs::org_repo).as_deref(),
        Some("openshift/release")
    );
    // The status URL Prow wrote is what job_url computes from the spec (deck on
    // prow.ci.openshift.org, `/view/` prefix, storage provider appended).
    let gcs = job
        .spec
        .decoration_config
        .as_ref()
        .and_then(|config| config.gcs_configuration.as_ref())
        .expect("gcs_configuration");
    let url = prow_api::storage_path::job_url(
        "https://prow.ci.openshift.org/view/",
        false,
        gcs,
        &JobSpec::for_prowjob(&job),
    )
    .expect("job url");
    assert_eq!(url, status.url);
}

#[test]
fn horologium_periodic_from_cluster_round_trips() {
    let job: ProwJob = assert_round_trip(
        "periodic-horologium-echo-test.yaml",
        yaml_fixture("periodic-horologium-echo-test.yaml"),
    );
    assert!(job.status.is_none());
    let decoration = job
        .spec
        .decoration_config
        .as_ref()
        .expect("decoration_config");
    assert_eq!(
        decoration.grace_period.map(|d| d.to_string()).as_deref(),
        Some("10s")
    );
}

#[test]
fn job_spec_env_value_round_trips_byte_for_byte() {
    let text = fixture("job-spec-presubmit-kie-cloud-operator.json");
    let input: Value = serde_json::from_str(&text).expect("JSON");
    let spec: JobSpec = assert_round_trip("job-spec-presubmit-kie-cloud-operator.json", input);
    assert_eq!(spec.to_json().expect("JOB_SPEC"), text.trim_end());
    let env = prow_api::env_for_spec(&spec).expect("env");
    let get = |name: &str| env.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
    assert_eq!(get("PULL_NUMBER"), Some("344"));
    assert_eq!(
        get("PULL_REFS"),
        Some(
            "master:6c7e0915536125ba931b9df30c349c008f142a8b,344:253a9f2c35747295c0a35df3afa5b599de9f1e6f"
        )
    );
    assert_eq!(get("SRC_HOST"), Some("github.com"));
    assert_eq!(get("SRC_BASE"), Some("kiegroup/kie-cloud-operator"));
}

#[test]
fn presubmit_refs_round_trip() {
    let input: Value =
        serde_json::from_str(&fixture("refs-presubmit-deck-job-history.json")).expect("JSON");
    let refs: Refs = assert_round_trip("refs-presubmit-deck-job-history.json", input);
    assert_eq!(refs.pulls[0].head_ref, "edpm_logging");
    assert_eq!(
        prow_api::pull_refs(&refs),
        "main:fefd236c551a4ce7a2bd5a582bb6b3b23a86b3b0,444:da139a175eaabe4052899b1beda10798d34d62c8"
    );
}

#[test]
fn unknown_fields_are_detected() {
    let mut input = without_nulls(yaml_fixture("periodic-horologium-echo-test.yaml"));
    input["spec"]["not_a_prow_field"] = Value::Bool(true);
    // Unknown fields are tolerated on read, as Go does, but they are visible.
    let (_, ignored) = ignored_fields::<ProwJob>("unknown field", &input);
    assert_eq!(ignored, ["spec.not_a_prow_field"]);
}
