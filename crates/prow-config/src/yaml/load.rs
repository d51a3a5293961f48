//! Building the [`Node`] tree from saphyr-parser events: anchors, aliases, merge keys, duplicate
//! keys and the one-document rule.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use saphyr_parser::{Event, Parser, ScanError, Span, StrInput, Tag};

use super::node::{Node, NodeValue, Scalar, ScalarStyle};
use super::{Mark, YamlError};

/// A parsed file.
#[derive(Clone, Debug)]
pub struct Parsed {
    /// The document's root; a null scalar for an empty file.
    pub root: Node,
    /// Keys that appear more than once in one mapping (the last one is kept): the path of the
    /// repeated key and the mark of each repetition after the first.
    pub duplicate_keys: Vec<(String, Mark)>,
}

/// Parses one YAML file.
///
/// Anchors, aliases and merge keys (`<<: *a`, `<<: [*a, *b]`; earlier sources win, explicit
/// keys beat merged ones) are resolved, so callers never see them. An empty file (or one with
/// only comments) is a null document; more than one non-empty document is an error.
///
/// # Errors
/// A syntax error, an unknown alias, an invalid merge, a non-scalar mapping key, or a second
/// document.
pub fn parse(text: &str) -> Result<Parsed, YamlError> {
    let mut attempt = parse_strict(text);
    let mut repaired: Option<String> = None;
    // Each repair fixes one quoted scalar; stop when an error repeats (no progress).
    for _ in 0..MAX_QUOTED_SCALAR_REPAIRS {
        match &attempt {
            Err(e) if e.message == UNDER_INDENTED_QUOTED_SCALAR => {
                let source = repaired.as_deref().unwrap_or(text);
                let Some(fixed) = e.mark.and_then(|m| indent_quoted_scalar(source, m)) else {
                    break;
                };
                attempt = parse_strict(&fixed);
                repaired = Some(fixed);
            }
            _ => break,
        }
    }
    attempt
}

/// saphyr-parser's message for a quoted scalar whose continuation line is indented less than
/// the enclosing block. libyaml (go-yaml) accepts such scalars, and Prow configs contain them.
const UNDER_INDENTED_QUOTED_SCALAR: &str = "invalid indentation in quoted scalar";

/// How many under-indented quoted scalars one file may have.
const MAX_QUOTED_SCALAR_REPAIRS: usize = 64;

/// Re-indents the continuation lines of the quoted scalar that opens at `mark` to the column of
/// its opening quote. The scalar's value does not change (leading white space of continuation
/// lines is folded away) and no line moves, so every mark stays valid. `None` when `mark` does
/// not point at an opening quote or every line is already indented enough.
fn indent_quoted_scalar(text: &str, mark: Mark) -> Option<String> {
    let line_start = text
        .split_inclusive('\n')
        .take(mark.line.checked_sub(1)? as usize)
        .map(str::len)
        .sum::<usize>();
    let quote_col = (mark.col as usize).checked_sub(1)?;
    let quote_at = line_start
        + text[line_start..]
            .char_indices()
            .nth(quote_col)
            .map(|(i, _)| i)?;
    let quote = text[quote_at..].chars().next()?;
    if quote != '"' && quote != '\'' {
        return None;
    }
    let mut out = String::with_capacity(text.len() + 64);
    out.push_str(&text[..=quote_at]);
    let mut rest = text[quote_at + 1..].char_indices().peekable();
    let body = &text[quote_at + 1..];
    let mut changed = false;
    let mut copied = 0;
    while let Some((i, c)) = rest.next() {
        match c {
            '\\' if quote == '"' => {
                rest.next();
            }
            '\'' if quote == '\'' => {
                if rest.peek().map(|&(_, n)| n) == Some('\'') {
                    rest.next();
                } else {
                    out.push_str(&body[copied..]);
                    return changed.then_some(out);
                }
            }
            '"' if quote == '"' => {
                out.push_str(&body[copied..]);
                return changed.then_some(out);
            }
            '\n' => {
                let next_line = &body[i + 1..];
                let indent = next_line.len() - next_line.trim_start_matches(' ').len();
                if indent < quote_col && !next_line.trim_start_matches(' ').starts_with('\n') {
                    out.push_str(&body[copied..=i]);
                    out.extend(std::iter::repeat_n(' ', quote_col - indent));
                    copied = i + 1;
                    changed = true;
                }
            }
            _ => {}
        }
    }
    None
}

fn parse_strict(text: &str) -> Result<Parsed, YamlError> {
    let mut loader = Loader {
        parser: Parser::new_from_str(text),
        anchors: HashMap::new(),
        duplicate_keys: Vec::new(),
        path: String::new(),
    };
    let root = loader.load_stream()?;
    Ok(Parsed {
        root,
        duplicate_keys: loader.duplicate_keys,
    })
}

/// Deepest nesting accepted, so hostile input cannot overflow the stack.
const MAX_DEPTH: usize = 512;

struct Loader<'a> {
    parser: Parser<'a, StrInput<'a>>,
    anchors: HashMap<usize, Node>,
    duplicate_keys: Vec<(String, Mark)>,
    /// Path of the node being loaded, for duplicate-key reports.
    path: String,
}

fn mark_of(span: &Span) -> Mark {
    Mark {
        line: u32::try_from(span.start.line()).unwrap_or(u32::MAX),
        col: u32::try_from(span.start.col() + 1).unwrap_or(u32::MAX),
    }
}

fn scan_error(err: &ScanError) -> YamlError {
    let m = err.marker();
    YamlError {
        message: err.info().to_string(),
        path: String::new(),
        mark: Some(Mark {
            line: u32::try_from(m.line()).unwrap_or(u32::MAX),
            col: u32::try_from(m.col() + 1).unwrap_or(u32::MAX),
        }),
    }
}

fn tag_text(tag: &Tag) -> String {
    if tag.is_yaml_core_schema() {
        format!("!!{}", tag.suffix)
    } else if tag.handle == "!" {
        format!("!{}", tag.suffix)
    } else {
        format!("{}{}", tag.handle, tag.suffix)
    }
}

fn is_empty_document(node: &Node) -> bool {
    matches!(&node.value, NodeValue::Scalar(s) if s.text.is_empty() && s.tag.is_none() && s.style == ScalarStyle::Plain)
}

fn is_merge_key(node: &Node) -> bool {
    matches!(&node.value, NodeValue::Scalar(s)
        if s.text == "<<" && (s.tag.as_deref() == Some("!!merge") || (s.tag.is_none() && s.style == ScalarStyle::Plain)))
}

impl<'a> Loader<'a> {
    fn next_event(&mut self) -> Result<(Event<'a>, Span), YamlError> {
        match self.parser.next_event() {
            Some(Ok(ev)) => Ok(ev),
            Some(Err(e)) => Err(scan_error(&e)),
            None => Err(YamlError::new("unexpected end of the YAML stream")),
        }
    }

    fn load_stream(&mut self) -> Result<Node, YamlError> {
        let mut root: Option<Node> = None;
        loop {
            let (event, span) = self.next_event()?;
            match event {
                Event::StreamStart | Event::DocumentEnd | Event::Nothing => {}
                Event::StreamEnd => break,
                Event::DocumentStart(_) => {
                    let (event, span) = self.next_event()?;
                    self.anchors.clear();
                    let node = self.load_node(event, span, 0)?;
                    if is_empty_document(&node) {
                        continue;
                    }
                    if root.is_some() {
                        return Err(YamlError::at(
                            "more than one YAML document in one file (a second non-empty document starts here)",
                            "",
                            node.mark,
                        ));
                    }
                    root = Some(node);
                }
                other => {
                    return Err(YamlError::at(
                        format!("unexpected YAML event {other:?}"),
                        "",
                        mark_of(&span),
                    ));
                }
            }
        }
        Ok(root.unwrap_or_else(|| Node::null(Mark { line: 1, col: 1 })))
    }

    fn load_node(&mut self, event: Event<'a>, span: Span, depth: usize) -> Result<Node, YamlError> {
        let mark = mark_of(&span);
        if depth > MAX_DEPTH {
            return Err(YamlError::at(
                format!("YAML nested deeper than {MAX_DEPTH} levels"),
                self.path.clone(),
                mark,
            ));
        }
        let (node, anchor) = match event {
            Event::Scalar(text, style, anchor, tag) => {
                let style = match style {
                    saphyr_parser::ScalarStyle::Plain => ScalarStyle::Plain,
                    _ => ScalarStyle::Quoted,
                };
                let scalar = Scalar {
                    text: text.into_owned(),
                    style,
                    tag: tag.as_deref().map(tag_text),
                };
                (
                    Node {
                        mark,
                        value: NodeValue::Scalar(scalar),
                    },
                    anchor,
                )
            }
            Event::Alias(id) => {
                // The alias's own position is where a misplaced alias shows; what it expands
                // to keeps the positions of the anchored definition.
                let mut node = self.anchors.get(&id).cloned().ok_or_else(|| {
                    YamlError::at("alias to an unknown anchor", self.path.clone(), mark)
                })?;
                node.mark = mark;
                return Ok(node);
            }
            Event::SequenceStart(anchor, _tag) => (self.load_seq(mark, depth)?, anchor),
            Event::MappingStart(anchor, _tag) => (self.load_map(mark, depth)?, anchor),
            other => {
                return Err(YamlError::at(
                    format!("unexpected YAML event {other:?}"),
                    self.path.clone(),
                    mark,
                ));
            }
        };
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        Ok(node)
    }

    fn load_seq(&mut self, mark: Mark, depth: usize) -> Result<Node, YamlError> {
        let mut items = Vec::new();
        loop {
            let (event, span) = self.next_event()?;
            if matches!(event, Event::SequenceEnd) {
                break;
            }
            let len = self.path.len();
            // Writing to a String cannot fail.
            let _ = write!(self.path, "[{}]", items.len());
            let item = self.load_node(event, span, depth + 1);
            self.path.truncate(len);
            items.push(item?);
        }
        Ok(Node {
            mark,
            value: NodeValue::Seq(items),
        })
    }

    fn load_map(&mut self, mark: Mark, depth: usize) -> Result<Node, YamlError> {
        let mut entries: Vec<(Node, Node)> = Vec::new();
        // Index of each key's JSON text in `entries`, built once the mapping grows.
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut merges: Vec<Node> = Vec::new();
        let mut merge_at: Option<usize> = None;
        loop {
            let (event, span) = self.next_event()?;
            if matches!(event, Event::MappingEnd) {
                break;
            }
            let key = self.load_node(event, span, depth + 1)?;
            let (value_event, value_span) = self.next_event()?;
            if is_merge_key(&key) {
                let value = self.load_node(value_event, value_span, depth + 1)?;
                merge_at.get_or_insert(entries.len());
                merges.push(value);
                continue;
            }
            let Some(key_text) = key.key_text() else {
                return Err(YamlError::at(
                    "a mapping key must be a scalar",
                    self.path.clone(),
                    key.mark,
                ));
            };
            let len = self.path.len();
            if !self.path.is_empty() {
                self.path.push('.');
            }
            self.path.push_str(&key_text);
            let value = self.load_node(value_event, value_span, depth + 1);
            let existing = find_key(&entries, &index, &key_text);
            if existing.is_some() {
                self.duplicate_keys.push((self.path.clone(), key.mark));
            }
            self.path.truncate(len);
            let value = value?;
            // Only a big mapping keeps an owned copy of its key texts.
            let indexed_text = (entries.len() >= LINEAR_SCAN_LIMIT && existing.is_none())
                .then(|| key_text.into_owned());
            match existing {
                Some(i) => entries[i] = (key, value),
                None => {
                    entries.push((key, value));
                    if let Some(text) = indexed_text {
                        if index.is_empty() {
                            for (i, (k, _)) in entries.iter().enumerate() {
                                let text = k.key_text().unwrap_or_default().into_owned();
                                index.insert(text, i);
                            }
                        } else {
                            index.insert(text, entries.len() - 1);
                        }
                    }
                }
            }
        }
        if let Some(at) = merge_at {
            let merged = self.merged_entries(&entries, merges)?;
            entries.splice(at..at, merged);
        }
        Ok(Node {
            mark,
            value: NodeValue::Map(entries),
        })
    }

    /// The entries that merge keys contribute: sources in order (earlier wins), skipping keys the
    /// mapping sets explicitly.
    fn merged_entries(
        &self,
        explicit: &[(Node, Node)],
        merges: Vec<Node>,
    ) -> Result<Vec<(Node, Node)>, YamlError> {
        let mut seen: HashSet<String> = explicit
            .iter()
            .filter_map(|(k, _)| k.key_text().map(Cow::into_owned))
            .collect();
        let mut merged = Vec::new();
        let mut sources = Vec::new();
        for value in merges {
            match value.value {
                NodeValue::Map(entries) => sources.push(entries),
                NodeValue::Seq(items) => {
                    for item in items {
                        match item.value {
                            NodeValue::Map(entries) => sources.push(entries),
                            _ => return Err(merge_error(&self.path, item.mark)),
                        }
                    }
                }
                NodeValue::Scalar(_) => return Err(merge_error(&self.path, value.mark)),
            }
        }
        for source in sources {
            for (k, v) in source {
                let text = k.key_text().unwrap_or_default().into_owned();
                if seen.insert(text) {
                    merged.push((k, v));
                }
            }
        }
        Ok(merged)
    }
}

/// Mappings up to this size are searched linearly for duplicate keys.
const LINEAR_SCAN_LIMIT: usize = 16;

fn find_key(entries: &[(Node, Node)], index: &HashMap<String, usize>, key: &str) -> Option<usize> {
    if entries.len() > LINEAR_SCAN_LIMIT {
        index.get(key).copied()
    } else {
        entries
            .iter()
            .position(|(k, _)| k.key_text().as_deref() == Some(key))
    }
}

fn merge_error(path: &str, mark: Mark) -> YamlError {
    YamlError::at(
        "map merge (`<<`) requires a mapping or a sequence of mappings as its value",
        path,
        mark,
    )
}
