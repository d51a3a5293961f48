//! The documented-field shape check: which keys Prow knows in `config.yaml` and `plugins.yaml`,
//! read from Prow's generated field references (`prow-config-documented.yaml`,
//! `plugin-config-documented.yaml`, copied into `documented/`).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use super::node::{Node, NodeValue};
use super::{UnknownField, parse};

/// Prow's generated reference of every `config.yaml` field (kubernetes-sigs/prow, Apache-2.0).
const PROW_CONFIG_DOCUMENTED: &str = include_str!("../../documented/prow-config-documented.yaml");
/// Prow's generated reference of every `plugins.yaml` field (kubernetes-sigs/prow, Apache-2.0).
const PLUGIN_CONFIG_DOCUMENTED: &str =
    include_str!("../../documented/plugin-config-documented.yaml");

/// A tree of known fields.
#[derive(Clone, Debug, PartialEq)]
pub struct Shape {
    kind: Kind,
}

#[derive(Clone, Debug, PartialEq)]
enum Kind {
    /// Opaque: anything is accepted below (documented as `null`, `{}` or `[]`).
    Any,
    /// A scalar.
    Leaf,
    /// A struct: known field names; `other` is the shape of every other key when the struct is
    /// documented as a map with arbitrary keys (`"": ...`).
    Struct {
        fields: BTreeMap<String, Shape>,
        other: Option<Box<Shape>>,
    },
    /// A list of one shape.
    List(Box<Shape>),
}

/// The shape that accepts anything, returned by [`Shape::at`] below an opaque field.
static ANY: Shape = Shape { kind: Kind::Any };

/// Fields Prow accepts that its documented references leave out. Each entry: dotted path of the
/// struct (`[]` for a list element, `*` for any map key), field name, and the Go type it comes from.
const UNDOCUMENTED_PROW_CONFIG_FIELDS: &[(&str, &str)] = &[];

/// As [`UNDOCUMENTED_PROW_CONFIG_FIELDS`], for `plugins.yaml`.
const UNDOCUMENTED_PLUGIN_CONFIG_FIELDS: &[(&str, &str)] = &[];

impl Shape {
    /// The shape of `config.yaml`, from Prow's `prow-config-documented.yaml` (built once).
    pub fn prow_config() -> &'static Shape {
        static SHAPE: OnceLock<Shape> = OnceLock::new();
        SHAPE.get_or_init(|| {
            Shape::embedded(PROW_CONFIG_DOCUMENTED, UNDOCUMENTED_PROW_CONFIG_FIELDS)
        })
    }

    /// The shape of `plugins.yaml`, from Prow's `plugin-config-documented.yaml` (built once).
    pub fn plugin_config() -> &'static Shape {
        static SHAPE: OnceLock<Shape> = OnceLock::new();
        SHAPE.get_or_init(|| {
            Shape::embedded(PLUGIN_CONFIG_DOCUMENTED, UNDOCUMENTED_PLUGIN_CONFIG_FIELDS)
        })
    }

    fn embedded(text: &str, extra: &[(&str, &str)]) -> Shape {
        // The embedded references are checked by the unit tests; an unparsable one would be a
        // build defect, and an empty shape (everything opaque) is the safe fallback.
        let mut shape = match parse(text) {
            Ok(parsed) => Shape::from_documented(&parsed.root),
            Err(_) => ANY.clone(),
        };
        for (parent, field) in extra {
            shape.add_field(parent, field);
        }
        shape
    }

    /// Reads a documented-YAML rendering: a mapping with the single key `""` is a map with
    /// arbitrary keys, a one-element sequence a list, a scalar a leaf, and `null`, `{}` or `[]`
    /// an opaque value that accepts anything.
    pub fn from_documented(node: &Node) -> Shape {
        let kind = match &node.value {
            NodeValue::Scalar(_) if node.is_null() => Kind::Any,
            NodeValue::Scalar(_) => Kind::Leaf,
            NodeValue::Seq(items) => match items.first() {
                Some(item) => Kind::List(Box::new(Shape::from_documented(item))),
                None => Kind::Any,
            },
            NodeValue::Map(entries) if entries.is_empty() => Kind::Any,
            NodeValue::Map(entries) => {
                let mut fields = BTreeMap::new();
                let mut other = None;
                for (key, value) in entries {
                    let name = key.key_text().unwrap_or_default();
                    let shape = Shape::from_documented(value);
                    if name.is_empty() {
                        other = Some(Box::new(shape));
                    } else {
                        fields.insert(name.into_owned(), shape);
                    }
                }
                Kind::Struct { fields, other }
            }
        };
        Shape { kind }
    }

    /// Adds an opaque field `name` to the struct at the dotted `parent` path (`""` for the root).
    fn add_field(&mut self, parent: &str, name: &str) {
        let mut shape = self;
        for segment in parent.split('.').filter(|s| !s.is_empty()) {
            shape = match shape.child_mut(segment) {
                Some(child) => child,
                None => return,
            };
        }
        if let Kind::Struct { fields, .. } = &mut shape.kind {
            fields
                .entry(name.to_string())
                .or_insert_with(|| ANY.clone());
        }
    }

    fn child_mut(&mut self, segment: &str) -> Option<&mut Shape> {
        match &mut self.kind {
            Kind::List(item) if segment == "[]" => Some(item),
            Kind::Struct {
                other: Some(other), ..
            } if segment == "*" => Some(other),
            Kind::Struct { fields, .. } => fields.get_mut(segment),
            _ => None,
        }
    }

    /// True for the shape that accepts anything.
    pub fn is_opaque(&self) -> bool {
        matches!(self.kind, Kind::Any)
    }

    /// Every key in `node` that the shape does not know, with its path and the key's mark. Keys
    /// of the root mapping listed in `skip_top_level` are neither reported nor descended into.
    pub fn unknown_fields(&self, node: &Node, skip_top_level: &[&str]) -> Vec<UnknownField> {
        let mut found = Vec::new();
        let mut path = String::new();
        self.walk(node, skip_top_level, &mut path, &mut found);
        found
    }

    fn walk(&self, node: &Node, skip: &[&str], path: &mut String, found: &mut Vec<UnknownField>) {
        match (&self.kind, &node.value) {
            (Kind::Struct { fields, other }, NodeValue::Map(entries)) => {
                for (key, value) in entries {
                    let name = key.key_text().unwrap_or_default();
                    if path.is_empty() && skip.contains(&name.as_ref()) {
                        continue;
                    }
                    let len = path.len();
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(&name);
                    match fields.get(name.as_ref()).or(other.as_deref()) {
                        Some(shape) => shape.walk(value, &[], path, found),
                        None => found.push(UnknownField {
                            path: path.clone(),
                            mark: key.mark,
                        }),
                    }
                    path.truncate(len);
                }
            }
            (Kind::List(item), NodeValue::Seq(items)) => {
                for (i, value) in items.iter().enumerate() {
                    let len = path.len();
                    path.push_str(&format!("[{i}]"));
                    item.walk(value, &[], path, found);
                    path.truncate(len);
                }
            }
            // Opaque, scalar, or a value of the wrong kind: type errors are the typed
            // deserializer's to report, not unknown fields.
            _ => {}
        }
    }

    /// True if the shape knows `path` (field names; `[]` or a `name[]` suffix for a list element;
    /// any key below a map with arbitrary keys; anything below an opaque field).
    pub fn knows(&self, path: &[&str]) -> bool {
        self.at(path).is_some()
    }

    /// The sub-shape at `path` (same syntax as [`Shape::knows`]), e.g.
    /// `["plank", "default_decoration_config_entries[]", "config"]`, reusable to check a job's
    /// `decoration_config`.
    pub fn at(&self, path: &[&str]) -> Option<&Shape> {
        let mut shape = self;
        for segment in path {
            let (name, list_depth) = split_list_suffix(segment);
            if !name.is_empty() {
                shape = shape.field(name)?;
            }
            for _ in 0..list_depth {
                shape = match &shape.kind {
                    Kind::List(item) => item,
                    Kind::Any => &ANY,
                    _ => return None,
                };
            }
        }
        Some(shape)
    }

    fn field(&self, name: &str) -> Option<&Shape> {
        match &self.kind {
            Kind::Any => Some(&ANY),
            Kind::Struct { fields, other } => fields.get(name).or(other.as_deref()),
            _ => None,
        }
    }
}

/// `name[][]` → (`name`, 2); `[]` → (``, 1).
fn split_list_suffix(segment: &str) -> (&str, usize) {
    let mut name = segment;
    let mut depth = 0;
    while let Some(rest) = name.strip_suffix("[]") {
        name = rest;
        depth += 1;
    }
    (name, depth)
}
