//! serde deserialization from a [`Node`], with `encoding/json` typing rules, field paths and
//! marks in errors, and collection of unknown (ignored) fields.
//!
//! Unknown fields are found where serde reports them: a `Deserialize` impl that does not know a
//! key reads its value as `serde::de::IgnoredAny`, which calls `deserialize_ignored_any` on the
//! value's deserializer (what `serde_ignored` hooks too). That deserializer knows its full path
//! and the mark of its key, so the report needs no second walk.

use std::borrow::Cow;
use std::fmt;

use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, IntoDeserializer, MapAccess, SeqAccess,
    VariantAccess, Visitor,
};

use super::node::{Node, NodeValue, Scalar};
use super::resolve::{Resolved, integral_float, json_key};
use super::{Mark, UnknownField, YamlError};

/// Deserializes `T` from `node`. Fields that `T` ignores are pushed to `unknown` (path and key
/// mark) and deserialization continues.
///
/// Typing follows sigs.k8s.io/yaml + `encoding/json`, as Prow reads its files: a string field
/// given a plain number or boolean takes its JSON spelling (`value: 15000` → `"15000"`,
/// `value: yes` → `"true"`), other mismatches are errors. Struct fields match
/// case-insensitively when no field has the exact name, as in `encoding/json`.
///
/// Keys that a `#[serde(flatten)]` field leaves untaken are dropped by serde itself without a
/// call to the deserializer, so they cannot be reported (serde_ignored has the same blind spot):
/// write embedded Go structs out instead of flattening them where typos matter.
///
/// # Errors
/// A type mismatch (`expected a boolean, found string `yes``), a missing required field, an
/// unknown enum variant...: the first one, with the path and mark of the offending node.
pub fn from_node<'de, T: de::Deserialize<'de>>(
    node: &'de Node,
    unknown: &mut Vec<UnknownField>,
) -> Result<T, YamlError> {
    from_node_at(node, "", unknown)
}

/// Like [`from_node`], with `path_prefix` prepended to every reported path, so that errors inside
/// a sub-node read like `presubmits.org/repo[3].spec...`.
///
/// # Errors
/// As [`from_node`].
pub fn from_node_at<'de, T: de::Deserialize<'de>>(
    node: &'de Node,
    path_prefix: &str,
    unknown: &mut Vec<UnknownField>,
) -> Result<T, YamlError> {
    let path = Path::Root(path_prefix);
    T::deserialize(NodeDeserializer {
        node,
        path: &path,
        key_mark: None,
        unknown,
    })
}

impl de::Error for YamlError {
    fn custom<M: fmt::Display>(msg: M) -> Self {
        YamlError::new(msg.to_string())
    }
}

/// The path of the node being deserialized, as a chain on the stack (rendered only on demand).
#[derive(Clone, Copy)]
enum Path<'a> {
    Root(&'a str),
    Key(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Root(prefix) => f.write_str(prefix),
            Path::Key(parent, key) => {
                parent.fmt(f)?;
                if !matches!(parent, Path::Root("")) {
                    f.write_str(".")?;
                }
                f.write_str(key)
            }
            Path::Index(parent, index) => {
                parent.fmt(f)?;
                write!(f, "[{index}]")
            }
        }
    }
}

/// Fills in path and mark of an error that does not have them yet (the innermost node wins).
fn locate(mut err: YamlError, path: &Path<'_>, mark: Mark) -> YamlError {
    if err.mark.is_none() {
        err.mark = Some(mark);
        err.path = path.to_string();
    }
    err
}

struct NodeDeserializer<'de, 'a> {
    node: &'de Node,
    path: &'a Path<'a>,
    /// Mark of the key when this node is a mapping value.
    key_mark: Option<Mark>,
    unknown: &'a mut Vec<UnknownField>,
}

/// What a scalar looks like in an error message: `integer `123``, `null`.
fn describe_scalar(scalar: &Scalar, resolved: &Resolved<'_>) -> String {
    match resolved {
        Resolved::Null => "null".to_string(),
        other => format!("{} `{}`", other.kind(), scalar.text),
    }
}

impl<'de, 'a> NodeDeserializer<'de, 'a> {
    fn resolved(&self, scalar: &'de Scalar) -> Result<Resolved<'de>, YamlError> {
        scalar
            .resolve()
            .map_err(|msg| YamlError::at(msg, self.path.to_string(), self.node.mark))
    }

    /// `expected <what>, found <this node>`, located at this node.
    fn mismatch(&self, expected: &str) -> YamlError {
        let found = match &self.node.value {
            NodeValue::Scalar(s) => match s.resolve() {
                Ok(r) => describe_scalar(s, &r),
                Err(_) => format!("`{}`", s.text),
            },
            NodeValue::Seq(_) => "a sequence".to_string(),
            NodeValue::Map(_) => "a mapping".to_string(),
        };
        YamlError::at(
            format!("expected {expected}, found {found}"),
            self.path.to_string(),
            self.node.mark,
        )
    }

    fn seq_access(self, items: &'de [Node]) -> NodeSeqAccess<'de, 'a> {
        NodeSeqAccess {
            items: items.iter(),
            index: 0,
            path: self.path,
            unknown: self.unknown,
        }
    }

    fn map_access(
        self,
        entries: &'de [(Node, Node)],
        fields: Option<&'static [&'static str]>,
    ) -> NodeMapAccess<'de, 'a> {
        NodeMapAccess {
            entries: entries.iter(),
            fields,
            value: None,
            key: Cow::Borrowed(""),
            key_mark: Mark::default(),
            path: self.path,
            unknown: self.unknown,
        }
    }

    fn deserialize_integer<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, YamlError> {
        let (path, mark) = (self.path, self.node.mark);
        let result = match &self.node.value {
            NodeValue::Scalar(s) => match self.resolved(s)? {
                Resolved::Int(i) => visitor.visit_i64(i),
                Resolved::Uint(u) => visitor.visit_u64(u),
                Resolved::Float(f) => match integral_float(f) {
                    Some(i) => visitor.visit_i64(i),
                    None => Err(self.mismatch("an integer")),
                },
                Resolved::Null => visitor.visit_i64(0),
                _ => Err(self.mismatch("an integer")),
            },
            _ => Err(self.mismatch("an integer")),
        };
        result.map_err(|e| locate(e, path, mark))
    }

    fn deserialize_float<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, YamlError> {
        let (path, mark) = (self.path, self.node.mark);
        let result = match &self.node.value {
            NodeValue::Scalar(s) => match self.resolved(s)? {
                Resolved::Int(i) => visitor.visit_i64(i),
                Resolved::Uint(u) => visitor.visit_u64(u),
                Resolved::Float(f) => visitor.visit_f64(f),
                Resolved::Null => visitor.visit_f64(0.0),
                _ => Err(self.mismatch("a number")),
            },
            _ => Err(self.mismatch("a number")),
        };
        result.map_err(|e| locate(e, path, mark))
    }
}

macro_rules! integer_methods {
    ($($method:ident)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, YamlError> {
                self.deserialize_integer(visitor)
            }
        )*
    };
}

impl<'de> Deserializer<'de> for NodeDeserializer<'de, '_> {
    type Error = YamlError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, YamlError> {
        let (path, mark) = (self.path, self.node.mark);
        let result = match &self.node.value {
            NodeValue::Scalar(s) => match self.resolved(s)? {
                Resolved::Null => visitor.visit_unit(),
                Resolved::Bool(b) => visitor.visit_bool(b),
                Resolved::Int(i) => visitor.visit_i64(i),
                Resolved::Uint(u) => visitor.visit_u64(u),
                Resolved::Float(f) => match integral_float(f) {
                    Some(i) => visitor.visit_i64(i),
                    None => visitor.visit_f64(f),
                },
                Resolved::Str(Cow::Borrowed(text)) => visitor.visit_borrowed_str(text),
                Resolved::Str(Cow::Owned(text)) => visitor.visit_string(text),
            },
            NodeValue::Seq(items) => visitor.visit_seq(self.seq_access(items)),
            NodeValue::Map(entries) => visitor.visit_map(self.map_access(entries, None)),
        };
        result.map_err(|e| locate(e, path, mark))
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, YamlError> {
        let (path, mark) = (self.path, self.node.mark);
        let result = match &self.node.value {
            NodeValue::Scalar(s) => match self.resolved(s)? {
                Resolved::Bool(b) => visitor.visit_bool(b),
                Resolved::Null => visitor.visit_bool(false),
                _ => Err(self.mismatch("a boolean")),
            },
            _ => Err(self.mismatch("a boolean")),
        };
        result.map_err(|e| locate(e, path, mark))
    }

    integer_methods!(deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 deserialize_i128
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_u128);

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, YamlError> {
        self.deserialize_float(visitor)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, YamlError> {
        self.deserialize_float(visitor)
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, YamlError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, YamlError> {
        let (path, mark) = (self.path, self.node.mark);
        let result = match &self.node.value {
            NodeValue::Scalar(s) => match self.resolved(s)? {
                Resolved::Str(Cow::Borrowed(text)) => visitor.visit_borrowed_str(text),
                Resolved::Str(Cow::Owned(text)) => visitor.visit_string(text),
                // encoding/json leaves a string field untouched for `null`.
                Resolved::Null => visitor.visit_borrowed_str(""),
                // sigs.k8s.io/yaml turns a plain number or boolean into a string when the
                // target is a string (`value: 15000` → "15000", `yes` → "true").
                Resolved::Bool(_) | Resolved::Int(_) | Resolved::Uint(_) | Resolved::Float(_) => {
                    match json_key(s) {
                        Cow::Borrowed(text) => visitor.visit_borrowed_str(text),
                        Cow::Owned(text) => visitor.visit_string(text),
                    }
                }
            },
            _ => Err(self.mismatch("a string")),
        };
        result.map_err(|e| locate(e, path, mark))
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, YamlError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, YamlError> {
        let (path, mark) = (self.path, self.node.mark);
        let result = match &self.node.value {
            NodeValue::Scalar(s) => match self.resolved(s)? {
                Resolved::Str(_) => visitor.visit_borrowed_bytes(s.text.as_bytes()),
                Resolved::Null => visitor.visit_borrowed_bytes(&[]),
                _ => Err(self.mismatch("a string")),
            },
            NodeValue::Seq(items) => visitor.visit_seq(self.seq_access(items)),
            NodeValue::Map(_) => Err(self.mismatch("a string")),
        };
        result.map_err(|e| locate(e, path, mark))
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, YamlError> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, YamlError> {
        let (path, mark) = (self.path, self.node.mark);
        let result = if self.node.is_null() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        };
        result.map_err(|e| locate(e, path, mark))
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, YamlError> {
        let (path, mark) = (self.path, self.node.mark);
        let result = if self.node.is_null() {
            visitor.visit_unit()
        } else {
            Err(self.mismatch("null"))
        };
        result.map_err(|e| locate(e, path, mark))
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, YamlError> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, YamlError> {
        let (path, mark) = (self.path, self.node.mark);
        visitor
            .visit_newtype_struct(self)
            .map_err(|e| locate(e, path, mark))
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, YamlError> {
        let (path, mark) = (self.path, self.node.mark);
        let result = match &self.node.value {
            NodeValue::Seq(items) => visitor.visit_seq(self.seq_access(items)),
            NodeValue::Scalar(_) if self.node.is_null() => visitor.visit_seq(self.seq_access(&[])),
            _ => Err(self.mismatch("a sequence")),
        };
        result.map_err(|e| locate(e, path, mark))
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, YamlError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, YamlError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, YamlError> {
        let (path, mark) = (self.path, self.node.mark);
        let result = match &self.node.value {
            NodeValue::Map(entries) => visitor.visit_map(self.map_access(entries, None)),
            NodeValue::Scalar(_) if self.node.is_null() => {
                visitor.visit_map(self.map_access(&[], None))
            }
            _ => Err(self.mismatch("a mapping")),
        };
        result.map_err(|e| locate(e, path, mark))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, YamlError> {
        let (path, mark) = (self.path, self.node.mark);
        let result = match &self.node.value {
            NodeValue::Map(entries) => visitor.visit_map(self.map_access(entries, Some(fields))),
            NodeValue::Scalar(_) if self.node.is_null() => {
                visitor.visit_map(self.map_access(&[], None))
            }
            _ => Err(self.mismatch("a mapping")),
        };
        result.map_err(|e| locate(e, path, mark))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, YamlError> {
        let (path, mark) = (self.path, self.node.mark);
        let result = match &self.node.value {
            NodeValue::Scalar(s) => match self.resolved(s)? {
                Resolved::Str(Cow::Borrowed(text)) => visitor.visit_enum(ScalarVariant {
                    name: text,
                    node: self,
                }),
                _ => Err(self.mismatch("a string")),
            },
            NodeValue::Map(entries) if entries.len() == 1 => {
                let (key, value) = &entries[0];
                visitor.visit_enum(MapVariant {
                    key: key.key_text().unwrap_or_default(),
                    key_mark: key.mark,
                    value,
                    path: self.path,
                    unknown: self.unknown,
                })
            }
            _ => Err(self.mismatch("a string or a mapping with a single key")),
        };
        result.map_err(|e| locate(e, path, mark))
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, YamlError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, YamlError> {
        if let Some(key_mark) = self.key_mark {
            self.unknown.push(UnknownField {
                path: self.path.to_string(),
                mark: key_mark,
            });
        }
        visitor.visit_unit()
    }
}

struct NodeSeqAccess<'de, 'a> {
    items: std::slice::Iter<'de, Node>,
    index: usize,
    path: &'a Path<'a>,
    unknown: &'a mut Vec<UnknownField>,
}

impl<'de> SeqAccess<'de> for NodeSeqAccess<'de, '_> {
    type Error = YamlError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, YamlError> {
        let Some(node) = self.items.next() else {
            return Ok(None);
        };
        let path = Path::Index(self.path, self.index);
        self.index += 1;
        seed.deserialize(NodeDeserializer {
            node,
            path: &path,
            key_mark: None,
            unknown: self.unknown,
        })
        .map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct NodeMapAccess<'de, 'a> {
    entries: std::slice::Iter<'de, (Node, Node)>,
    /// The target struct's field names, when it is a struct: `encoding/json` matches a key to a
    /// field case-insensitively when no field has exactly that name.
    fields: Option<&'static [&'static str]>,
    value: Option<&'de Node>,
    key: Cow<'de, str>,
    key_mark: Mark,
    path: &'a Path<'a>,
    unknown: &'a mut Vec<UnknownField>,
}

impl<'de> MapAccess<'de> for NodeMapAccess<'de, '_> {
    type Error = YamlError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, YamlError> {
        let Some((key, value)) = self.entries.next() else {
            return Ok(None);
        };
        self.key = match &key.value {
            NodeValue::Scalar(s) => json_key(s),
            _ => Cow::Borrowed(""),
        };
        if let Some(fields) = self.fields
            && !fields.contains(&self.key.as_ref())
            && let Some(field) = fields.iter().find(|f| f.eq_ignore_ascii_case(&self.key))
        {
            self.key = Cow::Borrowed(field);
        }
        self.key_mark = key.mark;
        self.value = Some(value);
        let path = Path::Key(self.path, &self.key);
        seed.deserialize(KeyDeserializer { key: &self.key })
            .map(Some)
            .map_err(|e| locate(e, &path, key.mark))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, YamlError> {
        let node = self
            .value
            .take()
            .ok_or_else(|| YamlError::new("value requested before its key"))?;
        let path = Path::Key(self.path, &self.key);
        seed.deserialize(NodeDeserializer {
            node,
            path: &path,
            key_mark: Some(self.key_mark),
            unknown: self.unknown,
        })
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

/// A mapping key: always a string (sigs.k8s.io/yaml turns every key into a JSON object key).
struct KeyDeserializer<'de, 'k> {
    key: &'k Cow<'de, str>,
}

impl<'de> KeyDeserializer<'de, '_> {
    fn parse<T: std::str::FromStr>(&self, what: &str) -> Result<T, YamlError> {
        self.key.parse().map_err(|_| {
            YamlError::new(format!("expected {what} as the key, found `{}`", self.key))
        })
    }
}

macro_rules! key_number_methods {
    ($($method:ident => $ty:ty, $visit:ident;)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, YamlError> {
                visitor.$visit(self.parse::<$ty>("a number")?)
            }
        )*
    };
}

impl<'de> Deserializer<'de> for KeyDeserializer<'de, '_> {
    type Error = YamlError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, YamlError> {
        match self.key {
            Cow::Borrowed(text) => visitor.visit_borrowed_str(text),
            Cow::Owned(text) => visitor.visit_str(text),
        }
    }

    key_number_methods! {
        deserialize_i8 => i8, visit_i8;
        deserialize_i16 => i16, visit_i16;
        deserialize_i32 => i32, visit_i32;
        deserialize_i64 => i64, visit_i64;
        deserialize_u8 => u8, visit_u8;
        deserialize_u16 => u16, visit_u16;
        deserialize_u32 => u32, visit_u32;
        deserialize_u64 => u64, visit_u64;
        deserialize_f32 => f32, visit_f32;
        deserialize_f64 => f64, visit_f64;
        deserialize_bool => bool, visit_bool;
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, YamlError> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, YamlError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, YamlError> {
        match self.key {
            Cow::Borrowed(text) => {
                visitor.visit_enum(de::value::BorrowedStrDeserializer::<YamlError>::new(text))
            }
            Cow::Owned(text) => visitor.visit_enum(text.as_str().into_deserializer()),
        }
    }

    serde::forward_to_deserialize_any! {
        i128 u128 char str string bytes byte_buf unit unit_struct seq tuple
        tuple_struct map struct identifier ignored_any
    }
}

/// An enum written as a plain string: a unit variant.
struct ScalarVariant<'de, 'a> {
    name: &'de str,
    node: NodeDeserializer<'de, 'a>,
}

impl<'de, 'a> EnumAccess<'de> for ScalarVariant<'de, 'a> {
    type Error = YamlError;
    type Variant = NodeDeserializer<'de, 'a>;

    fn variant_seed<S: DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<(S::Value, Self::Variant), YamlError> {
        let value = seed.deserialize(de::value::BorrowedStrDeserializer::<YamlError>::new(
            self.name,
        ))?;
        Ok((value, self.node))
    }
}

/// The variant data of an enum written as a plain string: only a unit variant fits.
impl<'de> VariantAccess<'de> for NodeDeserializer<'de, '_> {
    type Error = YamlError;

    fn unit_variant(self) -> Result<(), YamlError> {
        Ok(())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(
        self,
        _seed: T,
    ) -> Result<T::Value, YamlError> {
        Err(self.mismatch("a mapping `{variant: value}`"))
    }

    fn tuple_variant<V: Visitor<'de>>(
        self,
        _len: usize,
        _visitor: V,
    ) -> Result<V::Value, YamlError> {
        Err(self.mismatch("a mapping `{variant: [...]}`"))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, YamlError> {
        Err(self.mismatch("a mapping `{variant: {...}}`"))
    }
}

/// An enum written as a single-key mapping `{variant: value}`.
struct MapVariant<'de, 'a> {
    key: Cow<'de, str>,
    key_mark: Mark,
    value: &'de Node,
    path: &'a Path<'a>,
    unknown: &'a mut Vec<UnknownField>,
}

impl<'de, 'a> EnumAccess<'de> for MapVariant<'de, 'a> {
    type Error = YamlError;
    type Variant = MapVariantData<'de, 'a>;

    fn variant_seed<S: DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<(S::Value, Self::Variant), YamlError> {
        let variant = {
            let path = Path::Key(self.path, &self.key);
            seed.deserialize(KeyDeserializer { key: &self.key })
                .map_err(|e| locate(e, &path, self.key_mark))?
        };
        Ok((
            variant,
            MapVariantData {
                key: self.key,
                key_mark: self.key_mark,
                value: self.value,
                path: self.path,
                unknown: self.unknown,
            },
        ))
    }
}

/// The value of a `{variant: value}` enum.
struct MapVariantData<'de, 'a> {
    key: Cow<'de, str>,
    key_mark: Mark,
    value: &'de Node,
    path: &'a Path<'a>,
    unknown: &'a mut Vec<UnknownField>,
}

impl<'de> MapVariantData<'de, '_> {
    fn with_value<R>(
        self,
        f: impl FnOnce(NodeDeserializer<'de, '_>) -> Result<R, YamlError>,
    ) -> Result<R, YamlError> {
        let path = Path::Key(self.path, &self.key);
        f(NodeDeserializer {
            node: self.value,
            path: &path,
            key_mark: Some(self.key_mark),
            unknown: self.unknown,
        })
    }
}

impl<'de> VariantAccess<'de> for MapVariantData<'de, '_> {
    type Error = YamlError;

    fn unit_variant(self) -> Result<(), YamlError> {
        self.with_value(|value| de::Deserialize::deserialize(value))
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, YamlError> {
        self.with_value(|value| seed.deserialize(value))
    }

    fn tuple_variant<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, YamlError> {
        self.with_value(|value| value.deserialize_seq(visitor))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, YamlError> {
        self.with_value(|value| value.deserialize_map(visitor))
    }
}
