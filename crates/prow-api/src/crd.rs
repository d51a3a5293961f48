//! The ProwJob CustomResourceDefinition, generated from the Rust types.

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::CustomResourceExt;

use crate::{Error, ProwJob};

/// The ProwJob CRD (`prowjobs.prow.k8s.io`) as kube derives it from [`ProwJob`].
pub fn crd() -> CustomResourceDefinition {
    ProwJob::crd()
}

/// The CRD as YAML, exactly as committed in `crds/prowjob.yaml`.
pub fn try_crd_yaml() -> Result<String, Error> {
    serde_yaml_ng::to_string(&crd()).map_err(|source| Error::SerializeYaml {
        what: "the ProwJob CRD",
        source,
    })
}

/// The CRD as YAML, exactly as committed in `crds/prowjob.yaml`.
///
/// # Panics
/// Never in practice: serializing a `CustomResourceDefinition` to YAML cannot fail. Use
/// [`try_crd_yaml`] to get the error instead.
pub fn crd_yaml() -> String {
    match try_crd_yaml() {
        Ok(yaml) => yaml,
        Err(error) => panic!("{error}"),
    }
}
