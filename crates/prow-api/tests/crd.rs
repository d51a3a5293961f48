//! The committed `crds/prowjob.yaml` must equal the generated CRD, and the CRD must be one a
//! structural-schema API server accepts.

use std::path::PathBuf;

use serde_json::Value;

fn committed_crd_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../crds/prowjob.yaml")
}

#[test]
fn committed_crd_is_current() {
    let generated = prow_api::try_crd_yaml().expect("CRD serializes");
    let path = committed_crd_path();
    if std::env::var_os("UPDATE_CRDS").is_some() {
        std::fs::write(&path, &generated).expect("write crds/prowjob.yaml");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "crds/prowjob.yaml is out of date with the prow-api types.\n\
         Regenerate it with: UPDATE_CRDS=1 cargo test -p prow-api --test crd"
    );
}

fn schema() -> Value {
    let crd = serde_json::to_value(prow_api::crd()).expect("CRD to JSON");
    crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"].clone()
}

/// Walks every schema node, calling `check(path, node)`.
fn walk(path: &str, node: &Value, check: &mut dyn FnMut(&str, &Value)) {
    check(path, node);
    if let Some(properties) = node.get("properties").and_then(Value::as_object) {
        for (name, child) in properties {
            walk(&format!("{path}.{name}"), child, check);
        }
    }
    if let Some(items) = node.get("items") {
        walk(&format!("{path}[]"), items, check);
    }
    if let Some(additional) = node.get("additionalProperties").filter(|v| v.is_object()) {
        walk(&format!("{path}{{}}"), additional, check);
    }
}

#[test]
fn schema_is_structural() {
    let schema = schema();
    let mut problems = Vec::new();
    walk("", &schema, &mut |path, node| {
        for forbidden in [
            "$ref",
            "oneOf",
            "anyOf",
            "allOf",
            "$schema",
            "definitions",
            "$defs",
        ] {
            if node.get(forbidden).is_some() {
                problems.push(format!("{path}: has {forbidden}"));
            }
        }
        let int_or_string = node.get("x-kubernetes-int-or-string") == Some(&Value::Bool(true));
        if node.get("type").is_none() && !int_or_string {
            problems.push(format!("{path}: no type"));
        }
        // Formats the API server knows; any other one draws a warning on every apply.
        const KNOWN_FORMATS: [&str; 7] = [
            "int32",
            "int64",
            "float",
            "double",
            "byte",
            "date",
            "date-time",
        ];
        if let Some(format) = node.get("format").and_then(Value::as_str)
            && !KNOWN_FORMATS.contains(&format)
        {
            problems.push(format!(
                "{path}: format {format:?} unknown to the API server"
            ));
        }
        if node.get("additionalProperties").is_some() && node.get("properties").is_some() {
            problems.push(format!("{path}: both properties and additionalProperties"));
        }
    });
    assert!(
        problems.is_empty(),
        "non-structural schema:\n{}",
        problems.join("\n")
    );
}

#[test]
fn crd_names_columns_and_annotation_are_prows() {
    let crd = serde_json::to_value(prow_api::crd()).expect("CRD to JSON");
    assert_eq!(crd["metadata"]["name"], "prowjobs.prow.k8s.io");
    assert_eq!(
        crd["metadata"]["annotations"]["api-approved.kubernetes.io"],
        "https://github.com/kubernetes/enhancements/pull/1111"
    );
    let spec = &crd["spec"];
    assert_eq!(spec["group"], "prow.k8s.io");
    assert_eq!(spec["scope"], "Namespaced");
    assert_eq!(spec["names"]["kind"], "ProwJob");
    assert_eq!(spec["names"]["plural"], "prowjobs");
    assert_eq!(spec["names"]["shortNames"], serde_json::json!(["pj"]));
    let version = &spec["versions"][0];
    assert_eq!(version["name"], "v1");
    assert_eq!(version["subresources"]["status"], serde_json::json!({}));
    let columns: Vec<(String, String)> = version["additionalPrinterColumns"]
        .as_array()
        .expect("printer columns")
        .iter()
        .filter(|column| column.get("priority").is_none())
        .map(|column| {
            (
                column["name"].as_str().unwrap_or_default().to_owned(),
                column["jsonPath"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let expected = [
        ("Job", ".spec.job"),
        ("Type", ".spec.type"),
        ("State", ".status.state"),
        ("Age", ".metadata.creationTimestamp"),
    ];
    assert_eq!(
        columns,
        expected
            .map(|(name, path)| (name.to_owned(), path.to_owned()))
            .to_vec()
    );
}

#[test]
fn schema_keeps_prow_field_names_and_enums() {
    let schema = schema();
    let spec = &schema["properties"]["spec"];
    for field in [
        "type",
        "agent",
        "cluster",
        "namespace",
        "job",
        "refs",
        "extra_refs",
        "report",
        "context",
        "rerun_command",
        "max_concurrency",
        "error_on_eviction",
        "pod_spec",
        "jenkins_spec",
        "pipeline_run_spec",
        "tekton_pipeline_run_spec",
        "decoration_config",
        "reporter_config",
        "rerun_auth_config",
        "hidden",
        "prowjob_defaults",
        "job_queue_name",
    ] {
        assert!(
            spec["properties"].get(field).is_some(),
            "spec.{field} missing"
        );
        assert!(
            spec["properties"][field].get("description").is_some(),
            "spec.{field} has no description"
        );
    }
    assert_eq!(
        spec["properties"]["type"]["enum"],
        serde_json::json!(["presubmit", "postsubmit", "periodic", "batch"])
    );
    assert_eq!(
        schema["properties"]["status"]["properties"]["state"]["enum"],
        serde_json::json!([
            "scheduling",
            "triggered",
            "pending",
            "success",
            "failure",
            "aborted",
            "error"
        ])
    );
    let pod_spec = &spec["properties"]["pod_spec"];
    assert_eq!(pod_spec["type"], "object");
    assert_eq!(pod_spec["x-kubernetes-preserve-unknown-fields"], true);
    assert!(
        pod_spec.get("properties").is_none(),
        "pod_spec must stay schemaless"
    );
    // Prow's rule: a job in a final state other than aborted has a completion time.
    let status = &schema["properties"]["status"];
    assert_eq!(
        status["x-kubernetes-validations"][0]["rule"],
        "!(self.state in ['success', 'failure', 'error']) || has(self.completionTime)"
    );
    assert_eq!(status["required"], serde_json::json!(["state"]));
    let timeout = &spec["properties"]["decoration_config"]["properties"]["timeout"];
    assert_eq!(timeout["type"], "string");
}

#[test]
fn every_property_has_a_description() {
    let schema = schema();
    let mut missing = Vec::new();
    walk("", &schema["properties"]["spec"], &mut |path, node| {
        if !path.is_empty()
            && !path.ends_with("[]")
            && !path.ends_with("{}")
            && node.get("description").is_none()
        {
            missing.push(path.to_owned());
        }
    });
    assert!(
        missing.is_empty(),
        "fields without description:\n{}",
        missing.join("\n")
    );
}
