//! Positioned YAML: parsing with line/column, anchors and merge keys, and serde deserialization that reports unknown fields.
//!
//! Prow reads its files with `sigs.k8s.io/yaml`: go-yaml v2 (YAML 1.1 scalar resolution) converted
//! to JSON, then `encoding/json`. This module reproduces that pipeline on a tree of [`Node`]s that
//! remember where they came from, so every problem can be reported as `file:line:col: path: message`.
//!
//! - [`parse`] turns text into a [`Parsed`] tree (anchors, aliases and merge keys resolved).
//! - [`from_node`] / [`from_node_at`] deserialize any `serde::Deserialize` type from a node, collecting
//!   the fields the type ignores as [`UnknownField`]s.
//! - [`Shape`] checks a whole `config.yaml` / `plugins.yaml` against Prow's documented field reference.

mod de;
mod load;
mod node;
mod resolve;
mod shape;
#[cfg(test)]
mod tests;

pub use de::{from_node, from_node_at};
pub use load::{Parsed, parse};
pub use node::{Node, NodeValue, Scalar, ScalarStyle};
pub use resolve::Resolved;
pub use shape::Shape;

use std::fmt;

/// 1-based line and column of a node in its source file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Mark {
    /// Line, starting at 1.
    pub line: u32,
    /// Column (in characters), starting at 1.
    pub col: u32,
}

impl fmt::Display for Mark {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// A field that the target type does not know (it was ignored during deserialization), or that a
/// [`Shape`] does not list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownField {
    /// Full field path, e.g. `presubmits.org/repo[3].spec.containers[0].imagePullPolicyy`.
    pub path: String,
    /// Position of the offending key.
    pub mark: Mark,
}

/// A parse or type error: message, the field path where it happened (may be empty) and the
/// position of the offending node (best effort: nearest known node).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct YamlError {
    /// What went wrong.
    pub message: String,
    /// Field path of the offending node; empty for the document root or a syntax error.
    pub path: String,
    /// Position of the offending node, when known.
    pub mark: Option<Mark>,
}

impl YamlError {
    /// An error with a message only; position and path are filled in by the deserializer.
    pub fn new(message: impl Into<String>) -> Self {
        YamlError {
            message: message.into(),
            path: String::new(),
            mark: None,
        }
    }

    /// An error at a known position.
    pub fn at(message: impl Into<String>, path: impl Into<String>, mark: Mark) -> Self {
        YamlError {
            message: message.into(),
            path: path.into(),
            mark: Some(mark),
        }
    }
}

impl fmt::Display for YamlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(mark) = self.mark {
            write!(f, "{mark}: ")?;
        }
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        f.write_str(&self.message)
    }
}
