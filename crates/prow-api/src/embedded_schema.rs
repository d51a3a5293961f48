//! OpenAPI schemas for large embedded Kubernetes and Tekton types.
//!
//! Prow's ProwJob embeds a full `PodSpec` (and Affinity, Tolerations, ResourceRequirements,
//! a Tekton `PipelineRunSpec`). Spelling those out in the CRD would make it hundreds of
//! kilobytes, so, like Prow's `+kubebuilder:validation:Schemaless` fields, they are declared
//! as objects whose content the API server keeps unchanged
//! (`x-kubernetes-preserve-unknown-fields`). The Rust side still uses the typed
//! `k8s-openapi` structs.

use schemars::{Schema, SchemaGenerator, json_schema};

/// `type: object` whose fields the API server stores without pruning.
pub(crate) fn preserved_object(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "object",
        "x-kubernetes-preserve-unknown-fields": true,
    })
}

/// `type: array` of objects whose fields the API server stores without pruning.
pub(crate) fn preserved_object_list(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "array",
        "items": {
            "type": "object",
            "x-kubernetes-preserve-unknown-fields": true,
        },
    })
}
