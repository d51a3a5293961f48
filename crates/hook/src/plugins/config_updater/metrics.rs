//! Prow's `prow_configmap_size_bytes` gauge: the size of every ConfigMap config-updater wrote,
//! so the alert Prow ships (`ConfigMapFullInOneWeek`: a ConfigMap nearing the 1 MiB limit)
//! works unchanged.

use k8s_openapi::api::core::v1::ConfigMap;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

/// The metric name, as Prow's.
pub const CONFIGMAP_SIZE_METRIC: &str = "prow_configmap_size_bytes";

/// Labels of [`CONFIGMAP_SIZE_METRIC`], as Prow's.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ConfigMapLabels {
    /// ConfigMap name.
    pub name: String,
    /// ConfigMap namespace.
    pub namespace: String,
}

/// Sizes of the ConfigMaps written, by name and namespace. Cheap to clone (shared values).
#[derive(Clone, Debug, Default)]
pub struct ConfigMapSizes {
    sizes: Family<ConfigMapLabels, Gauge>,
}

impl ConfigMapSizes {
    /// Registers the gauge as `prow_configmap_size_bytes` in `registry`. Prow's name is kept
    /// only in a registry without a prefix (a `Registry::with_prefix("hook")` would publish
    /// `hook_prow_configmap_size_bytes`).
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            CONFIGMAP_SIZE_METRIC,
            "Size of data fields in ConfigMaps updated automatically by Prow in bytes.",
            self.sizes.clone(),
        );
    }

    /// Records the size of `config_map` as written: the bytes of every `data` and
    /// `binaryData` value.
    pub fn record(&self, config_map: &ConfigMap) {
        let labels = ConfigMapLabels {
            name: config_map.metadata.name.clone().unwrap_or_default(),
            namespace: config_map.metadata.namespace.clone().unwrap_or_default(),
        };
        self.sizes.get_or_create(&labels).set(data_size(config_map));
    }

    /// The recorded size of `namespace/name`, if any.
    pub fn get(&self, namespace: &str, name: &str) -> Option<i64> {
        let labels = ConfigMapLabels {
            name: name.to_string(),
            namespace: namespace.to_string(),
        };
        self.sizes.get(&labels).map(|gauge| gauge.get())
    }
}

/// The bytes of every `data` and `binaryData` value (keys not counted), as Prow measures.
pub fn data_size(config_map: &ConfigMap) -> i64 {
    let text: usize = config_map.data.iter().flatten().map(|(_, v)| v.len()).sum();
    let binary: usize = config_map
        .binary_data
        .iter()
        .flatten()
        .map(|(_, v)| v.0.len())
        .sum();
    i64::try_from(text + binary).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use k8s_openapi::ByteString;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
    use prometheus_client::encoding::text::encode;

    use super::*;

    #[test]
    fn size_is_exposed_under_prows_name_and_labels() {
        let sizes = ConfigMapSizes::default();
        let mut registry = Registry::default();
        sizes.register(&mut registry);
        sizes.record(&ConfigMap {
            metadata: ObjectMeta {
                name: Some("job-config".into()),
                namespace: Some("prow".into()),
                ..ObjectMeta::default()
            },
            data: Some(BTreeMap::from([
                ("VERSION".to_string(), "abc".to_string()),
                ("a.yaml".to_string(), "12345".to_string()),
            ])),
            binary_data: Some(BTreeMap::from([(
                "b.yaml".to_string(),
                ByteString(vec![0; 10]),
            )])),
            ..ConfigMap::default()
        });
        let mut text = String::new();
        encode(&mut text, &registry).expect("encodes");
        assert!(
            text.contains("prow_configmap_size_bytes{name=\"job-config\",namespace=\"prow\"} 18\n"),
            "{text}"
        );
        assert_eq!(sizes.get("prow", "job-config"), Some(18));
        assert_eq!(sizes.get("prow", "other"), None);
    }
}
