//! The Helm chart `charts/prow-rs`: `helm lint` passes; `helm template` output (default
//! values and a variant with a GitHub App, build clusters, storage credentials and no TLS)
//! is accepted by a real kube-apiserver (server-side apply, dry run, strict field
//! validation: unknown or misspelt fields fail); `helm install` into the local control plane
//! creates every object; the chart's CRD is the generated one in `crds/`.

use std::process::{Command, Output};

use deploy_checks::{helm_binary, manifest_objects, repo_root};
use kube::api::{DynamicObject, Patch, PatchParams};
use kube::core::GroupVersionKind;
use kube::discovery::{Discovery, Scope};
use kube::{Api, ResourceExt};
use prow_testkit::control_plane::ControlPlane;
use serde_json::Value;

const CHART: &str = "charts/prow-rs";

/// Values of the second variant.
const VARIANT: &[&str] = &[
    "github.app.id=12345",
    "github.app.privateKeySecret=github-app-key",
    "buildClustersSecret=build-clusters",
    "storage.gcsCredentialsSecret=gcs-credentials",
    "storage.s3CredentialsSecret=s3-credentials",
    "ingress.tls.secretName=",
    "hook.replicas=3",
    "branchProtector.enabled=false",
];

struct Helm {
    binary: std::path::PathBuf,
    home: tempfile::TempDir,
}

impl Helm {
    fn new() -> Helm {
        Helm {
            binary: helm_binary().expect("helm (hack/build-tools.sh helm)"),
            home: tempfile::tempdir().expect("helm home"),
        }
    }

    fn run(&self, args: &[&str]) -> Output {
        let home = self.home.path();
        let output = Command::new(&self.binary)
            .args(args)
            .current_dir(repo_root())
            .env("HELM_CACHE_HOME", home.join("cache"))
            .env("HELM_CONFIG_HOME", home.join("config"))
            .env("HELM_DATA_HOME", home.join("data"))
            .output()
            .expect("helm runs");
        assert!(
            output.status.success(),
            "helm {}: {}{}",
            args.join(" "),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        output
    }
}

fn sets(values: &[&str]) -> Vec<String> {
    values
        .iter()
        .flat_map(|v| ["--set".to_string(), (*v).to_string()])
        .collect()
}

#[test]
fn the_chart_crd_is_the_generated_one() {
    let root = repo_root();
    let chart =
        std::fs::read_to_string(root.join(CHART).join("crds/prowjob.yaml")).expect("chart CRD");
    let generated =
        std::fs::read_to_string(root.join("crds/prowjob.yaml")).expect("crds/prowjob.yaml");
    assert!(
        chart == generated,
        "charts/prow-rs/crds/prowjob.yaml differs from crds/prowjob.yaml: copy it over"
    );
}

/// Server-side applies every object as a dry run with strict field validation.
async fn validate(client: &kube::Client, discovery: &Discovery, objects: &[Value]) {
    let params = PatchParams::apply("deploy-checks")
        .dry_run()
        .validation_strict();
    for object in objects {
        let kind = object["kind"].as_str().unwrap_or_default();
        if kind == "CustomResourceDefinition" {
            continue;
        }
        let (group, version) = match object["apiVersion"]
            .as_str()
            .unwrap_or_default()
            .split_once('/')
        {
            Some((group, version)) => (group.to_string(), version.to_string()),
            None => (
                String::new(),
                object["apiVersion"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            ),
        };
        let gvk = GroupVersionKind::gvk(&group, &version, kind);
        let (resource, capabilities) = discovery
            .resolve_gvk(&gvk)
            .unwrap_or_else(|| panic!("the API server serves no {gvk:?}"));
        let name = object["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let api: Api<DynamicObject> = match capabilities.scope {
            Scope::Cluster => Api::all_with(client.clone(), &resource),
            Scope::Namespaced => Api::namespaced_with(
                client.clone(),
                object["metadata"]["namespace"].as_str().unwrap_or_else(|| {
                    panic!("{kind} {name} has no namespace (the chart must set it)")
                }),
                &resource,
            ),
        };
        let typed: DynamicObject = serde_json::from_value(object.clone()).expect("object");
        if let Err(e) = api.patch(&name, &params, &Patch::Apply(&typed)).await {
            panic!("{kind} {name} refused by the API server: {e}");
        }
    }
}

#[tokio::test]
async fn the_chart_lints_validates_and_installs() {
    let helm = Helm::new();
    helm.run(&["lint", CHART, "--strict"]);
    let variant = sets(VARIANT);
    let variant: Vec<&str> = variant.iter().map(String::as_str).collect();
    helm.run(&[&["lint", CHART, "--strict"], variant.as_slice()].concat());

    let control_plane = ControlPlane::shared().await;
    let namespace = control_plane.test_namespace("chart").await;
    let pods = control_plane.test_namespace("chart-pods").await;
    let client = control_plane.client();
    let discovery = Discovery::new(client.clone())
        .run()
        .await
        .expect("discovery");
    let pod_namespace = format!("podNamespace={}", pods.name());
    let kubeconfig = control_plane.kubeconfig_path().display().to_string();

    for values in [vec![], variant.clone()] {
        let args = [
            &[
                "template",
                "prow",
                CHART,
                "--namespace",
                namespace.name(),
                "--include-crds",
                "--set",
                &pod_namespace,
            ][..],
            values.as_slice(),
        ]
        .concat();
        let rendered = helm.run(&args);
        let objects =
            manifest_objects(&String::from_utf8_lossy(&rendered.stdout)).expect("rendered YAML");
        let kinds: std::collections::BTreeSet<&str> =
            objects.iter().filter_map(|o| o["kind"].as_str()).collect();
        for expected in [
            "Deployment",
            "Service",
            "Ingress",
            "Role",
            "RoleBinding",
            "ServiceAccount",
            "PodDisruptionBudget",
            "ConfigMap",
            "CustomResourceDefinition",
        ] {
            assert!(kinds.contains(expected), "{expected} rendered: {kinds:?}");
        }
        validate(&client, &discovery, &objects).await;
    }

    // Install for real (the CRD exists already: the control plane installed crds/).
    let install = helm.run(&[
        "install",
        "prow",
        CHART,
        "--namespace",
        namespace.name(),
        "--kubeconfig",
        &kubeconfig,
        "--set",
        &pod_namespace,
        "--set",
        "createPodNamespace=false",
        "--skip-crds",
    ]);
    assert!(String::from_utf8_lossy(&install.stdout).contains("STATUS: deployed"));
    let manifest = helm.run(&[
        "get",
        "manifest",
        "prow",
        "--namespace",
        namespace.name(),
        "--kubeconfig",
        &kubeconfig,
    ]);
    let objects = manifest_objects(&String::from_utf8_lossy(&manifest.stdout)).expect("manifest");
    assert!(objects.len() > 20, "{} objects installed", objects.len());
    for object in &objects {
        let kind = object["kind"].as_str().unwrap_or_default();
        let name = object["metadata"]["name"].as_str().unwrap_or_default();
        let (group, version) = match object["apiVersion"]
            .as_str()
            .unwrap_or_default()
            .split_once('/')
        {
            Some((g, v)) => (g.to_string(), v.to_string()),
            None => (
                String::new(),
                object["apiVersion"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            ),
        };
        let (resource, capabilities) = discovery
            .resolve_gvk(&GroupVersionKind::gvk(&group, &version, kind))
            .expect("served kind");
        let api: Api<DynamicObject> = match capabilities.scope {
            Scope::Cluster => Api::all_with(client.clone(), &resource),
            Scope::Namespaced => Api::namespaced_with(
                client.clone(),
                object["metadata"]["namespace"]
                    .as_str()
                    .unwrap_or(namespace.name()),
                &resource,
            ),
        };
        let found = api
            .get(name)
            .await
            .unwrap_or_else(|e| panic!("{kind} {name} installed: {e}"));
        assert_eq!(found.name_any(), name);
    }
    helm.run(&[
        "uninstall",
        "prow",
        "--namespace",
        namespace.name(),
        "--kubeconfig",
        &kubeconfig,
    ]);
}
