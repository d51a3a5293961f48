//! What [`DecorationOptions`] change in a decorated Pod (everything else is Prow's, see
//! `prow_parity_tests`).

use prow_api::k8s_openapi::api::core::v1::{Container, PodSpec};

use super::*;

fn job(decoration: serde_json::Value) -> ProwJob {
    serde_json::from_value(serde_json::json!({
        "apiVersion": "prow.k8s.io/v1",
        "kind": "ProwJob",
        "metadata": {"name": "options-test"},
        "spec": {
            "type": "periodic",
            "job": "ci-widgets",
            "extra_refs": [{"org": "acme", "repo": "widgets", "base_ref": "main"}],
            "decoration_config": decoration,
            "pod_spec": {"containers": [{"image": "alpine", "command": ["make", "test"]}]},
        },
        "status": {"state": "pending", "build_id": "7"},
    }))
    .expect("ProwJob")
}

fn decoration() -> serde_json::Value {
    serde_json::json!({
        "timeout": "10m",
        "grace_period": "15s",
        "utility_images": {"clonerefs": "c", "initupload": "i", "entrypoint": "e", "sidecar": "s"},
        "gcs_configuration": {"bucket": "gs://logs", "path_strategy": "explicit"},
        "gcs_credentials_secret": "gcs",
    })
}

fn spec_of(options: &DecorationOptions) -> PodSpec {
    prowjob_to_pod(&job(decoration()), options)
        .expect("decorates")
        .spec
        .expect("spec")
}

fn all_containers(spec: &PodSpec) -> Vec<&Container> {
    spec.init_containers
        .iter()
        .flatten()
        .chain(spec.containers.iter())
        .collect()
}

fn env<'a>(container: &'a Container, name: &str) -> Option<&'a str> {
    container
        .env
        .iter()
        .flatten()
        .find(|var| var.name == name)
        .and_then(|var| var.value.as_deref())
}

#[test]
fn utility_program_runs_each_role_and_leaves_the_rest_as_prow() {
    let program = "/opt/prow-rs/bin/prow-utils";
    let plain = spec_of(&DecorationOptions::default());
    let local = spec_of(&DecorationOptions {
        utility_program: Some(program.to_owned()),
        ..DecorationOptions::default()
    });
    let cases = [
        ("clonerefs", Some(vec![program, "clonerefs"])),
        ("initupload", Some(vec![program, "initupload"])),
        ("place-entrypoint", Some(vec![program, "entrypoint"])),
        ("sidecar", Some(vec![program, "sidecar"])),
        ("test", Some(vec!["/tools/entrypoint"])),
    ];
    for (name, want) in cases {
        let find = |spec: &PodSpec| -> Container {
            all_containers(spec)
                .into_iter()
                .find(|c| c.name == name)
                .cloned()
                .unwrap_or_else(|| panic!("{name}"))
        };
        let (mut plain_container, local_container) = (find(&plain), find(&local));
        let want: Option<Vec<String>> = want.map(|v| v.into_iter().map(str::to_owned).collect());
        assert_eq!(local_container.command, want, "{name}");
        assert_eq!(local_container.image, plain_container.image, "{name}");
        if name == "place-entrypoint" {
            // The copy's destination is an option the node rewrites like any mount path.
            assert_eq!(
                env(&local_container, "ENTRYPOINT_OPTIONS"),
                Some(
                    r#"{"timeout":0,"grace_period":0,"copy_mode_only":true,"copy_dst":"/tools/entrypoint","args":[],"process_log":"","marker_file":"","metadata_file":""}"#
                ),
            );
            assert_eq!(plain_container.env, None);
            plain_container.env = local_container.env.clone();
        }
        plain_container.command = local_container.command.clone();
        assert_eq!(
            plain_container, local_container,
            "{name}: only the command differs"
        );
    }
    assert_eq!(plain.volumes, local.volumes);
}

#[test]
fn local_output_dir_copies_instead_of_uploading() {
    let spec = spec_of(&DecorationOptions {
        local_output_dir: Some("/var/prow/output".to_owned()),
        ..DecorationOptions::default()
    });
    let volumes = spec.volumes.clone().unwrap_or_default();
    let output = volumes
        .iter()
        .find(|volume| volume.name == "output")
        .expect("output volume");
    assert_eq!(
        output.host_path.as_ref().map(|host| host.path.as_str()),
        Some("/var/prow/output")
    );
    assert!(
        volumes
            .iter()
            .all(|volume| volume.name != "gcs-credentials"),
        "no credentials in local mode"
    );
    for name in ["initupload", "sidecar"] {
        let container = all_containers(&spec)
            .into_iter()
            .find(|c| c.name == name)
            .expect("utility container");
        let mounts: Vec<&str> = container
            .volume_mounts
            .iter()
            .flatten()
            .map(|mount| mount.mount_path.as_str())
            .collect();
        assert!(mounts.contains(&"/output"), "{name}: {mounts:?}");
        let options = env(
            container,
            if name == "sidecar" {
                "SIDECAR_OPTIONS"
            } else {
                "INITUPLOAD_OPTIONS"
            },
        )
        .expect("options");
        assert!(
            options.contains(r#""local_output_dir":"/output""#),
            "{name}: {options}"
        );
        assert!(
            !options.contains("gcs_credentials_file"),
            "{name}: {options}"
        );
    }
}

#[test]
fn decorate_pod_spec_requires_a_decoration_config() {
    let mut undecorated = job(serde_json::Value::Null);
    undecorated.spec.decoration_config = None;
    let mut spec = undecorated.spec.pod_spec.clone().expect("pod spec");
    assert!(matches!(
        decorate_pod_spec(&mut spec, &undecorated, &DecorationOptions::default()),
        Err(DecorateError::NotDecorated { .. })
    ));
    undecorated.spec.pod_spec = None;
    assert!(matches!(
        prowjob_to_pod(&undecorated, &DecorationOptions::default()),
        Err(DecorateError::MissingPodSpec { .. })
    ));
}

#[test]
fn presubmit_without_a_pull_request_is_an_error_not_a_panic() {
    let mut presubmit = job(decoration());
    presubmit.spec.job_type = prow_api::ProwJobType::Presubmit;
    presubmit.spec.refs = presubmit.spec.extra_refs.first().cloned();
    assert!(matches!(
        prowjob_to_pod(&presubmit, &DecorationOptions::default()),
        Err(DecorateError::JobEnv(_))
    ));
}
