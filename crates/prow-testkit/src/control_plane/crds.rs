//! Installing the repository's CRDs (`crds/*.yaml`) and waiting until they are served.

use std::path::{Path, PathBuf};
use std::time::Duration;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::Api;
use kube::api::{Patch, PatchParams};

use super::error::{Error, Result};

/// Reads every `*.yaml` file in `dir` (sorted by name), each holding one or more CRDs.
pub fn read_crds(dir: &Path) -> Result<Vec<(PathBuf, CustomResourceDefinition)>> {
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(Error::io(dir)(e)),
    };
    files.sort();
    let mut crds = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).map_err(Error::io(&path))?;
        let docs: Vec<Option<CustomResourceDefinition>> = serde_saphyr::from_multiple(&text)
            .map_err(|e| Error::ParseCrd {
                path: path.clone(),
                message: e.to_string(),
            })?;
        crds.extend(docs.into_iter().flatten().map(|crd| (path.clone(), crd)));
    }
    Ok(crds)
}

/// Server-side applies each CRD and waits until all are Established.
pub async fn install_crds(client: &kube::Client, dir: &Path) -> Result<Vec<String>> {
    let api: Api<CustomResourceDefinition> = Api::all(client.clone());
    let mut names = Vec::new();
    for (path, mut crd) in read_crds(dir)? {
        let name = crd.metadata.name.clone().ok_or_else(|| Error::ParseCrd {
            path: path.clone(),
            message: "a CRD has no metadata.name".into(),
        })?;
        crd.metadata.managed_fields = None;
        crd.metadata.resource_version = None;
        crd.status = None;
        api.patch(
            &name,
            &PatchParams::apply("prow-testkit").force(),
            &Patch::Apply(&crd),
        )
        .await
        .map_err(Error::kube("apply CRD"))?;
        names.push(name);
    }
    for name in &names {
        wait_established(&api, name).await?;
    }
    Ok(names)
}

async fn wait_established(api: &Api<CustomResourceDefinition>, name: &str) -> Result<()> {
    for _ in 0..300 {
        let crd = api.get(name).await.map_err(Error::kube("get CRD"))?;
        let established = crd
            .status
            .and_then(|status| status.conditions)
            .unwrap_or_default()
            .iter()
            .any(|c| c.type_ == "Established" && c.status == "True");
        if established && served_by_discovery(api, &crd.spec).await {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(Error::CrdNotEstablished(name.to_owned()))
}

/// Whether every served version of the CRD answers a list request (Established can come a
/// moment before the REST endpoint does).
async fn served_by_discovery(
    api: &Api<CustomResourceDefinition>,
    spec: &k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinitionSpec,
) -> bool {
    let client = api.clone().into_client();
    for version in spec.versions.iter().filter(|v| v.served) {
        let path = format!(
            "/apis/{}/{}/{}?limit=1",
            spec.group, version.name, spec.names.plural
        );
        let Ok(request) = http::Request::get(path).body(Vec::new()) else {
            return false;
        };
        if client.request_text(request).await.is_err() {
            return false;
        }
    }
    true
}
