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

/// What an allow-listed field holds.
#[derive(Clone, Copy)]
enum Extra {
    /// A number or string.
    Scalar,
    /// Anything (`json.RawMessage`, `interface{}`).
    Opaque,
    /// A struct whose fields follow in the list.
    Struct,
    /// A shape written in the documented-YAML style, for a value the reference renders as
    /// `null` (a nil slice or pointer) although its Go type is known.
    Documented(&'static str),
}

/// Fields Prow accepts that `prow-config-documented.yaml` leaves out. Prow's generator drops
/// plain integer fields tagged `omitempty` (their example value is zero), `json.RawMessage`
/// fields, and everything outside `ProwConfig`. Each entry: the parent struct's path (`.`
/// separated, `[]` for a list element, `*` for any map key, `""` for the root), the field, what
/// it holds; the comment names the Go field (kubernetes-sigs/prow `pkg/config`).
const UNDOCUMENTED_PROW_CONFIG_FIELDS: &[(&str, &str, Extra)] = &[
    // JobConfig.DecorateAllJobs bool `json:"decorate_all_jobs,omitempty"` (config.go; JobConfig
    // is inlined into Config beside ProwConfig, and the reference covers ProwConfig only).
    ("", "decorate_all_jobs", Extra::Scalar),
    // JobConfig.ProwIgnored *json.RawMessage `json:"prow_ignored,omitempty"`: free-form by design.
    ("", "prow_ignored", Extra::Opaque),
    // Spyglass.SizeLimit int64 `json:"size_limit,omitempty"`.
    ("deck.spyglass", "size_limit", Extra::Scalar),
    // LensConfig.Config json.RawMessage `json:"config,omitempty"`: lens-specific.
    ("deck.spyglass.lenses[].lens", "config", Extra::Opaque),
    // Controller.MaxConcurrency / MaxGoroutines int `json:",omitempty"`; Controller is inlined
    // into Plank and JenkinsOperator.
    ("plank", "max_concurrency", Extra::Scalar),
    ("plank", "max_goroutines", Extra::Scalar),
    ("jenkins_operators[]", "max_concurrency", Extra::Scalar),
    ("jenkins_operators[]", "max_goroutines", Extra::Scalar),
];

/// As [`UNDOCUMENTED_PROW_CONFIG_FIELDS`], for `plugins.yaml` (kubernetes-sigs/prow
/// `pkg/plugins/config.go`).
const UNDOCUMENTED_PLUGIN_CONFIG_FIELDS: &[(&str, &str, Extra)] = &[
    // Configuration.Size Size `json:"size,omitempty"`; Size{S, M, L, Xl, Xxl int} `json:"s"`...
    ("", "size", Extra::Struct),
    ("size", "s", Extra::Scalar),
    ("size", "m", Extra::Scalar),
    ("size", "l", Extra::Scalar),
    ("size", "xl", Extra::Scalar),
    ("size", "xxl", Extra::Scalar),
    // Blunderbuss.MaxReviewerCount int `json:"max_request_count,omitempty"`.
    ("blunderbuss", "max_request_count", Extra::Scalar),
    // ProjectOrgConfig.MaintainerTeamID int `json:"org_maintainers_team_id,omitempty"`.
    (
        "project_config.project_org_configs.*",
        "org_maintainers_team_id",
        Extra::Scalar,
    ),
    // ProjectRepoConfig.MaintainerTeamID int `json:"repo_maintainers_team_id,omitempty"`.
    (
        "project_config.project_org_configs.*.project_repo_configs.*",
        "repo_maintainers_team_id",
        Extra::Scalar,
    ),
    // Milestone.MaintainersID int `json:"maintainers_id,omitempty"`.
    ("repo_milestone.*", "maintainers_id", Extra::Scalar),
    // Configuration.ExternalPlugins map[string][]ExternalPlugin, rendered as `"": null`;
    // ExternalPlugin{Name `json:"name"`, Endpoint `json:"endpoint,omitempty"`,
    // Events []string `json:"events,omitempty"`}.
    (
        "external_plugins",
        "*",
        Extra::Documented("- {name: ' ', endpoint: ' ', events: ['']}"),
    ),
];

/// Keys of `plugins.yaml` that are prow-rs's own (Prow has no such plugin), in the same form.
const PROW_RS_PLUGIN_CONFIG_FIELDS: &[(&str, &str, Extra)] = &[
    // The path labeler (hook's `labeler` plugin, docs/hook-review-plugins.md):
    // `labeler: {<org or org/repo>: [{label, paths: [glob]}]}`.
    (
        "",
        "labeler",
        Extra::Documented("\"\":\n  - label: ' '\n    paths:\n      - ''\n"),
    ),
];

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
            let mut shape =
                Shape::embedded(PLUGIN_CONFIG_DOCUMENTED, UNDOCUMENTED_PLUGIN_CONFIG_FIELDS);
            for (parent, field, kind) in PROW_RS_PLUGIN_CONFIG_FIELDS {
                shape.add_field(parent, field, *kind);
            }
            shape
        })
    }

    fn embedded(text: &str, extra: &[(&str, &str, Extra)]) -> Shape {
        // The embedded references are checked by the unit tests; an unparsable one would be a
        // build defect, and an empty shape (everything opaque) is the safe fallback.
        let mut shape = match parse(text) {
            Ok(parsed) => Shape::from_documented(&parsed.root),
            Err(_) => ANY.clone(),
        };
        for (parent, field, kind) in extra {
            shape.add_field(parent, field, *kind);
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

    /// Adds the field `name` to the struct at the dotted `parent` path (`""` for the root).
    fn add_field(&mut self, parent: &str, name: &str, extra: Extra) {
        let mut shape = self;
        for segment in parent.split('.').filter(|s| !s.is_empty()) {
            let (name, list_depth) = split_list_suffix(segment);
            let mut next = match shape.child_mut(name) {
                Some(child) => child,
                None => return,
            };
            for _ in 0..list_depth {
                next = match next.child_mut("[]") {
                    Some(item) => item,
                    None => return,
                };
            }
            shape = next;
        }
        let kind = match extra {
            Extra::Scalar => Kind::Leaf,
            Extra::Opaque => Kind::Any,
            Extra::Struct => Kind::Struct {
                fields: BTreeMap::new(),
                other: None,
            },
            Extra::Documented(text) => match parse(text) {
                Ok(parsed) => Shape::from_documented(&parsed.root).kind,
                Err(_) => Kind::Any,
            },
        };
        match &mut shape.kind {
            // `*`: the value shape of a map with arbitrary keys.
            Kind::Struct {
                other: Some(other), ..
            } if name == "*" => **other = Shape { kind },
            Kind::Struct { fields, .. } => {
                fields.entry(name.to_string()).or_insert(Shape { kind });
            }
            _ => {}
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::Mark;

    fn shape(documented: &str) -> Shape {
        Shape::from_documented(&parse(documented).expect("documented parses").root)
    }

    #[test]
    fn documented_yaml_reads_as_a_shape() {
        let documented = "\
name: ' '
count: 0
labels:
    \"\": \"\"
repos:
    \"\":
        branches:
            - name: ' '
        free: {}
opaque: null
";
        let s = shape(documented);
        let cases: &[(&[&str], bool)] = &[
            (&["name"], true),
            (&["labels", "anything"], true),
            (&["repos", "org/repo", "branches[]", "name"], true),
            (&["repos", "org/repo", "branches", "[]", "name"], true),
            (&["repos", "org/repo", "branches[]", "nmae"], false),
            (&["repos", "org/repo", "free", "x", "y"], true),
            (&["opaque", "deep", "er"], true),
            (&["nmae"], false),
            (&["name", "below_a_scalar"], false),
        ];
        for (path, known) in cases {
            assert_eq!(s.knows(path), *known, "{path:?}");
        }
        assert!(s.at(&["opaque"]).is_some_and(Shape::is_opaque));
    }

    #[test]
    fn unknown_fields_report_path_and_key_mark() {
        let s = shape("a: ' '\nlist:\n    - x: 0\nmap:\n    \"\":\n        y: ' '\n");
        let config = "\
a: 1
b: 2
list:
- x: 1
  z: 2
map:
  k:
    y: 1
    w: 2
skipped:
  anything: 1
";
        let root = parse(config).expect("parses").root;
        let found = s.unknown_fields(&root, &["skipped"]);
        let found: Vec<(String, Mark)> = found.into_iter().map(|u| (u.path, u.mark)).collect();
        assert_eq!(
            found,
            vec![
                ("b".to_string(), Mark { line: 2, col: 1 }),
                ("list[0].z".to_string(), Mark { line: 5, col: 3 }),
                ("map.k.w".to_string(), Mark { line: 9, col: 5 }),
            ]
        );
    }

    #[test]
    fn embedded_references_parse_and_every_allow_listed_field_lands() {
        for (text, shape, extra) in [
            (
                PROW_CONFIG_DOCUMENTED,
                Shape::prow_config(),
                UNDOCUMENTED_PROW_CONFIG_FIELDS,
            ),
            (
                PLUGIN_CONFIG_DOCUMENTED,
                Shape::plugin_config(),
                UNDOCUMENTED_PLUGIN_CONFIG_FIELDS,
            ),
        ] {
            assert!(parse(text).is_ok());
            assert!(!shape.is_opaque());
            for (parent, field, _) in extra {
                let mut path: Vec<&str> = parent.split('.').filter(|s| !s.is_empty()).collect();
                path.push(field);
                let path: Vec<&str> = path
                    .into_iter()
                    .map(|s| if s == "*" { "any-key" } else { s })
                    .collect();
                assert!(
                    shape.knows(&path),
                    "allow-listed {parent}.{field} is not reachable"
                );
            }
        }
        let prow = Shape::prow_config();
        assert!(prow.knows(&[
            "plank",
            "default_decoration_config_entries[]",
            "config",
            "gcs_configuration",
            "bucket"
        ]));
        assert!(!prow.knows(&[
            "plank",
            "default_decoration_config_entries[]",
            "config",
            "gcs_configuration",
            "buckett"
        ]));
        assert!(Shape::plugin_config().knows(&["size", "xxl"]));
        assert!(!Shape::plugin_config().knows(&["size", "xxxl"]));
        let plugins = Shape::plugin_config();
        assert!(plugins.knows(&["external_plugins", "org/repo", "[]", "events[]"]));
        assert!(!plugins.knows(&["external_plugins", "org/repo", "[]", "event"]));
        // A list element path on a field that is not a list.
        assert!(!prow.knows(&["plank[]"]));
    }

    #[test]
    fn prow_rs_labeler_key_is_checked_like_prows_keys() {
        let plugins = Shape::plugin_config();
        assert!(plugins.knows(&["labeler", "org/repo", "[]", "label"]));
        assert!(plugins.knows(&["labeler", "org", "[]", "paths[]"]));
        assert!(!plugins.knows(&["labeler", "org/repo", "[]", "path"]));
        let config = "labeler:\n  o/r:\n  - label: area/docs\n    paths: [docs/**]\n    glob: x\n";
        let root = parse(config).expect("parses").root;
        let found: Vec<String> = plugins
            .unknown_fields(&root, &[])
            .into_iter()
            .map(|u| u.path)
            .collect();
        assert_eq!(found, ["labeler.o/r[0].glob"]);
    }
}
