//! The options Prow's decorator writes parse, validate and re-encode byte for byte.

use prow_utils::options::{
    CloneRefsOptions, EntrypointOptions, EnvOptions, InitUploadOptions, SidecarOptions,
};

fn fixture() -> serde_json::Value {
    let text = include_str!("fixtures/prow_decorated_pod_options.json");
    serde_json::from_str(text).expect("fixture is JSON")
}

fn roundtrip<T: EnvOptions>(fixture: &serde_json::Value) -> T {
    let json = fixture[T::ENV_VAR]
        .as_str()
        .expect("fixture has the variable");
    let options = T::from_json(json).expect("parses");
    options.validate().expect("valid");
    assert_eq!(options.encode().expect("encodes"), json, "{}", T::ENV_VAR);
    options
}

#[test]
fn prow_written_options_roundtrip_byte_for_byte() {
    let fixture = fixture();
    let clone: CloneRefsOptions = roundtrip(&fixture);
    assert_eq!(clone.git_refs[0].path_alias, "somewhere/else");
    let init: InitUploadOptions = roundtrip(&fixture);
    assert_eq!(init.log, "/logs/clone.json");
    let entry: EntrypointOptions = roundtrip(&fixture);
    assert_eq!(entry.timeout.as_secs(), 7200);
    assert_eq!(entry.grace_period.as_secs(), 10);
    let sidecar: SidecarOptions = roundtrip(&fixture);
    assert_eq!(sidecar.all_entries().len(), 1);
    assert_eq!(
        sidecar.gcs_options.storage_client.gcs_credentials_file,
        "/secrets/gcs/service-account.json"
    );
}

#[test]
fn invalid_options_are_rejected_with_prows_reasons() {
    let cases: [(&str, &str); 4] = [
        (
            r#"{"timeout":1,"grace_period":1,"args":[],"process_log":"a","marker_file":"b","metadata_file":""}"#,
            "no process to wrap",
        ),
        (
            r#"{"timeout":1,"grace_period":1,"args":["x"],"process_log":"","marker_file":"b","metadata_file":""}"#,
            "no log file",
        ),
        (
            r#"{"timeout":1,"grace_period":1,"args":["x"],"always_zero":true,"propagate_error_code":true,"process_log":"a","marker_file":"b","metadata_file":""}"#,
            "cannot propagate",
        ),
        (
            r#"{"timeout":"1m","grace_period":"5s","args":["x"],"process_log":"a","marker_file":"","metadata_file":""}"#,
            "no marker file",
        ),
    ];
    for (json, want) in cases {
        let options = EntrypointOptions::from_json(json).expect("parses");
        let error = options.validate().expect_err(want).to_string();
        assert!(error.contains(want), "{error} should contain {want}");
    }
    let sidecar = SidecarOptions::from_json(
        r#"{"gcs_options":{"bucket":"b","path_strategy":"single","dry_run":false},"entries":[{"args":["x"],"process_log":"a","marker_file":"b","metadata_file":""}]}"#,
    )
    .expect("parses");
    let error = sidecar
        .validate()
        .expect_err("single needs defaults")
        .to_string();
    assert!(error.contains("default org and repo"), "{error}");
}
