//! OpenAPI schemas for large embedded Kubernetes and Tekton types.
//!
//! Prow's ProwJob embeds a full `PodSpec` (and Affinity, Tolerations, ResourceRequirements,
//! a Tekton `PipelineRunSpec`). Spelling those out in the CRD would make it hundreds of
//! kilobytes, so, like Prow's `+kubebuilder:validation:Schemaless` fields, they are declared
//! as objects whose content the API server keeps unchanged
//! (`x-kubernetes-preserve-unknown-fields`). The Rust side still uses the typed
//! `k8s-openapi` structs.
//!
//! It also holds integer schemas in the formats the API server knows.

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

/// A non-negative 32-bit integer. schemars writes `format: uint32` for `u32`, a format the
/// API server does not know (it warns on every apply); this says the same in its terms.
pub(crate) fn non_negative_int32(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "integer",
        "format": "int32",
        "minimum": 0,
    })
}

/// A non-negative 64-bit integer (instead of schemars' `format: uint64`).
pub(crate) fn non_negative_int64(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "integer",
        "format": "int64",
        "minimum": 0,
    })
}
