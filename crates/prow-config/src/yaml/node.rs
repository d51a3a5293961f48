//! The positioned YAML tree.

use super::Mark;
use super::resolve::{Resolved, json_key, resolve};

/// How a scalar was written. Only plain scalars go through YAML 1.1 type resolution.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ScalarStyle {
    /// Unquoted (`foo`, `123`, `yes`).
    Plain,
    /// Single- or double-quoted, literal (`|`) or folded (`>`): always a string unless tagged.
    Quoted,
}

/// A scalar as written in the source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scalar {
    /// The scalar's content after unescaping and folding.
    pub text: String,
    /// Plain or quoted.
    pub style: ScalarStyle,
    /// Explicit tag, if any: `!!str`, `!!int`, ... for core tags, `!foo` for local ones.
    pub tag: Option<String>,
}

impl Scalar {
    /// The value go-yaml v2 resolves this scalar to (YAML 1.1 rules for plain scalars).
    ///
    /// # Errors
    /// A scalar whose explicit tag does not match its content (`!!int abc`).
    pub fn resolve(&self) -> Result<Resolved<'_>, String> {
        resolve(self)
    }
}

/// A node: a value and where it starts.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// Position of the node's first character.
    pub mark: Mark,
    /// The value.
    pub value: NodeValue,
}

/// A node's value. Aliases and merge keys are already resolved.
#[derive(Clone, Debug, PartialEq)]
pub enum NodeValue {
    /// A scalar.
    Scalar(Scalar),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in source order (duplicate keys already collapsed: the last one wins).
    Map(Vec<(Node, Node)>),
}

impl Node {
    /// A plain null scalar at `mark` (an empty document).
    pub(crate) fn null(mark: Mark) -> Node {
        Node {
            mark,
            value: NodeValue::Scalar(Scalar {
                text: String::new(),
                style: ScalarStyle::Plain,
                tag: None,
            }),
        }
    }

    /// Looks up `key` in a mapping: a key whose text, or whose JSON key (what `encoding/json`
    /// matches: `y:` is the key `"true"`), equals `key`.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(_, v)| v)
    }

    /// Like [`Node::get`], returning both the key node and the value node.
    pub fn entry(&self, key: &str) -> Option<(&Node, &Node)> {
        match &self.value {
            NodeValue::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(key) || k.key_text().as_deref() == Some(key))
                .map(|(k, v)| (k, v)),
            _ => None,
        }
    }

    /// The scalar, if this node is one.
    pub fn as_scalar(&self) -> Option<&Scalar> {
        match &self.value {
            NodeValue::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// The scalar's text, if this node is a scalar.
    pub fn as_str(&self) -> Option<&str> {
        self.as_scalar().map(|s| s.text.as_str())
    }

    /// The entries, if this node is a mapping.
    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.value {
            NodeValue::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// The items, if this node is a sequence.
    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            NodeValue::Seq(items) => Some(items),
            _ => None,
        }
    }

    /// True for a null scalar: plain `null`, `~`, empty, or `!!null`.
    pub fn is_null(&self) -> bool {
        matches!(&self.value, NodeValue::Scalar(s) if matches!(s.resolve(), Ok(Resolved::Null)))
    }

    /// The JSON object key this node becomes when used as a mapping key (sigs.k8s.io/yaml turns
    /// `1:` into `"1"`, `yes:` into `"true"`). `None` for a sequence or mapping used as a key.
    pub fn key_text(&self) -> Option<std::borrow::Cow<'_, str>> {
        self.as_scalar().map(json_key)
    }

    /// The JSON value sigs.k8s.io/yaml produces for this node (`YAMLToJSON`).
    ///
    /// Integral floats become integers (Go's `json.Marshal` writes `1e3` as `1000`); NaN and
    /// infinities, which Go cannot encode as JSON, become `null`.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match &self.value {
            NodeValue::Scalar(s) => match s.resolve() {
                Ok(resolved) => resolved.to_json(),
                Err(_) => Value::String(s.text.clone()),
            },
            NodeValue::Seq(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            NodeValue::Map(entries) => {
                let mut map = serde_json::Map::new();
                for (k, v) in entries {
                    let key = k.key_text().map(|k| k.into_owned()).unwrap_or_default();
                    map.insert(key, v.to_json());
                }
                Value::Object(map)
            }
        }
    }

    /// A short description of the node's type for error messages (`a mapping`, `integer `3``).
    pub fn describe(&self) -> String {
        match &self.value {
            NodeValue::Seq(_) => "a sequence".to_string(),
            NodeValue::Map(_) => "a mapping".to_string(),
            NodeValue::Scalar(s) => match s.resolve() {
                Ok(r) => r.describe(),
                Err(_) => format!("`{}`", s.text),
            },
        }
    }
}
