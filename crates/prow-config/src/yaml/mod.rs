//! Positioned YAML: parsing with line/column, anchors and merge keys, and serde deserialization that reports unknown fields.
