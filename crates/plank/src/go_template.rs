//! The subset of Go's `text/template` that Prow configs use in `plank.job_url_template`
//! (and `report_templates`): text, `{{.Field.Path}}`, `{{if}}`/`{{else if}}`/`{{else}}`/
//! `{{end}}`, `{{with}}` (with `{{else}}`), trim markers `{{-`/`-}}`, string, integer and
//! boolean literals, parentheses, and the functions `eq`, `ne`, `and`, `or`, `not`, `index`
//! and `len`, evaluated over a JSON value whose keys are Go's field names.
//!
//! Everything else (`range`, variables, pipes `|`, `define`/`template`/`block`, other
//! functions) is rejected at parse time with [`TemplateError::Unsupported`], so a config
//! that needs more fails loudly instead of rendering a wrong URL.

use serde_json::Value;

/// Why a template could not be parsed or executed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// The template text is malformed.
    #[error("template syntax: {0}")]
    Syntax(String),
    /// The template uses Go template features prow-rs does not implement.
    #[error("template feature not supported by prow-rs: {0}")]
    Unsupported(String),
    /// Executing the template failed (nil pointer, missing field, index out of range, ...).
    #[error("template execution: {0}")]
    Execute(String),
}

/// A parsed template.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    nodes: Vec<Node>,
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Text(String),
    Output(Expr),
    If {
        cond: Expr,
        then: Vec<Node>,
        otherwise: Vec<Node>,
    },
    With {
        value: Expr,
        then: Vec<Node>,
        otherwise: Vec<Node>,
    },
}

#[derive(Debug, Clone, PartialEq)]
enum Expr {
    /// `.` followed by zero or more field names.
    Field(Vec<String>),
    Literal(Value),
    Call(Func, Vec<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Func {
    Eq,
    Ne,
    And,
    Or,
    Not,
    Index,
    Len,
}

impl Func {
    fn from_name(name: &str) -> Option<Func> {
        Some(match name {
            "eq" => Func::Eq,
            "ne" => Func::Ne,
            "and" => Func::And,
            "or" => Func::Or,
            "not" => Func::Not,
            "index" => Func::Index,
            "len" => Func::Len,
            _ => return None,
        })
    }
}

/// One `{{ ... }}` action or a run of text, after trim markers were applied.
#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Text(String),
    Action(String),
}

fn split_pieces(source: &str) -> Result<Vec<Piece>, TemplateError> {
    let mut pieces = Vec::new();
    let mut rest = source;
    let mut trim_next_text = false;
    while let Some(start) = rest.find("{{") {
        let mut text = &rest[..start];
        if trim_next_text {
            text = text.trim_start();
        }
        let after_open = &rest[start + 2..];
        let (trim_left, body_start) = match after_open.strip_prefix("- ") {
            Some(body) => (true, body),
            None => (false, after_open),
        };
        if trim_left {
            text = text.trim_end();
        }
        if !text.is_empty() {
            pieces.push(Piece::Text(text.to_owned()));
        }
        let end = find_action_end(body_start)
            .ok_or_else(|| TemplateError::Syntax("unclosed action: missing }}".into()))?;
        let mut body = &body_start[..end];
        trim_next_text = false;
        if let Some(stripped) = body.strip_suffix(" -") {
            body = stripped;
            trim_next_text = true;
        }
        let body = body.trim();
        if !body.starts_with("/*") {
            pieces.push(Piece::Action(body.to_owned()));
        }
        rest = &body_start[end + 2..];
    }
    let text = if trim_next_text {
        rest.trim_start()
    } else {
        rest
    };
    if !text.is_empty() {
        pieces.push(Piece::Text(text.to_owned()));
    }
    Ok(pieces)
}

/// The position of the `}}` closing an action, skipping string literals.
fn find_action_end(body: &str) -> Option<usize> {
    let bytes = body.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'`' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'`' {
                    i += 1;
                }
            }
            b'}' if bytes.get(i + 1) == Some(&b'}') => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Field(Vec<String>),
    Ident(String),
    Str(String),
    Int(i64),
    Open,
    Close,
    Pipe,
}

fn tokenize(action: &str) -> Result<Vec<Token>, TemplateError> {
    let chars: Vec<char> = action.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    while i < chars.len() {
        let c = chars[i];
        match c {
            c if c.is_whitespace() => i += 1,
            '(' => {
                tokens.push(Token::Open);
                i += 1;
            }
            ')' => {
                tokens.push(Token::Close);
                i += 1;
            }
            '|' => {
                tokens.push(Token::Pipe);
                i += 1;
            }
            '.' => {
                let mut path = Vec::new();
                while i < chars.len() && chars[i] == '.' {
                    i += 1;
                    let start = i;
                    while i < chars.len() && is_ident(chars[i]) {
                        i += 1;
                    }
                    if i > start {
                        path.push(chars[start..i].iter().collect());
                    } else if !path.is_empty() {
                        return Err(TemplateError::Syntax(format!(
                            "empty field name in {action:?}"
                        )));
                    }
                }
                tokens.push(Token::Field(path));
            }
            '$' => {
                return Err(TemplateError::Unsupported(format!(
                    "variables ({action:?})"
                )));
            }
            '"' => {
                let mut text = String::new();
                i += 1;
                loop {
                    let Some(&c) = chars.get(i) else {
                        return Err(TemplateError::Syntax(format!(
                            "unterminated string in {action:?}"
                        )));
                    };
                    i += 1;
                    match c {
                        '"' => break,
                        '\\' => {
                            let escaped = chars.get(i).copied().unwrap_or('\\');
                            i += 1;
                            text.push(match escaped {
                                'n' => '\n',
                                't' => '\t',
                                other => other,
                            });
                        }
                        other => text.push(other),
                    }
                }
                tokens.push(Token::Str(text));
            }
            '`' => {
                let start = i + 1;
                let end = chars[start..]
                    .iter()
                    .position(|&c| c == '`')
                    .ok_or_else(|| {
                        TemplateError::Syntax(format!("unterminated raw string in {action:?}"))
                    })?;
                tokens.push(Token::Str(chars[start..start + end].iter().collect()));
                i = start + end + 1;
            }
            c if c.is_ascii_digit() || c == '-' => {
                let start = i;
                i += 1;
                while i < chars.len() && chars[i].is_ascii_digit() {
                    i += 1;
                }
                let text: String = chars[start..i].iter().collect();
                let number = text
                    .parse::<i64>()
                    .map_err(|_| TemplateError::Unsupported(format!("number literal {text:?}")))?;
                tokens.push(Token::Int(number));
            }
            c if is_ident(c) => {
                let start = i;
                while i < chars.len() && is_ident(chars[i]) {
                    i += 1;
                }
                tokens.push(Token::Ident(chars[start..i].iter().collect()));
            }
            other => {
                return Err(TemplateError::Syntax(format!(
                    "unexpected character {other:?} in {action:?}"
                )));
            }
        }
    }
    Ok(tokens)
}

struct ExprParser {
    tokens: Vec<Token>,
    pos: usize,
}

impl ExprParser {
    fn parse_pipeline(action: &str) -> Result<Expr, TemplateError> {
        let tokens = tokenize(action)?;
        if tokens.is_empty() {
            return Err(TemplateError::Syntax("missing value in action".into()));
        }
        let mut parser = ExprParser { tokens, pos: 0 };
        let expr = parser.command()?;
        if let Some(token) = parser.tokens.get(parser.pos) {
            return Err(TemplateError::Syntax(format!(
                "unexpected {token:?} in {action:?}"
            )));
        }
        Ok(expr)
    }

    /// A command: a function call with arguments, or a single operand. Stops at `)`.
    fn command(&mut self) -> Result<Expr, TemplateError> {
        if let Some(Token::Ident(name)) = self.tokens.get(self.pos).cloned() {
            match name.as_str() {
                "true" | "false" | "nil" => {}
                _ => {
                    let func = Func::from_name(&name)
                        .ok_or_else(|| TemplateError::Unsupported(format!("function {name:?}")))?;
                    self.pos += 1;
                    let mut args = Vec::new();
                    while let Some(token) = self.tokens.get(self.pos) {
                        if *token == Token::Close {
                            break;
                        }
                        args.push(self.operand()?);
                    }
                    return Ok(Expr::Call(func, args));
                }
            }
        }
        let operand = self.operand()?;
        match self.tokens.get(self.pos) {
            None | Some(Token::Close) => Ok(operand),
            Some(Token::Pipe) => Err(TemplateError::Unsupported("pipelines with |".into())),
            Some(token) => Err(TemplateError::Syntax(format!(
                "unexpected {token:?} after a value that is not a function"
            ))),
        }
    }

    fn operand(&mut self) -> Result<Expr, TemplateError> {
        let token = self
            .tokens
            .get(self.pos)
            .cloned()
            .ok_or_else(|| TemplateError::Syntax("missing operand".into()))?;
        self.pos += 1;
        match token {
            Token::Field(path) => Ok(Expr::Field(path)),
            Token::Str(text) => Ok(Expr::Literal(Value::String(text))),
            Token::Int(number) => Ok(Expr::Literal(Value::from(number))),
            Token::Ident(name) if name == "true" => Ok(Expr::Literal(Value::Bool(true))),
            Token::Ident(name) if name == "false" => Ok(Expr::Literal(Value::Bool(false))),
            Token::Ident(name) if name == "nil" => Ok(Expr::Literal(Value::Null)),
            Token::Ident(name) => Err(TemplateError::Syntax(format!(
                "function {name:?} used as an argument needs parentheses"
            ))),
            Token::Open => {
                let inner = self.command()?;
                if self.tokens.get(self.pos) != Some(&Token::Close) {
                    return Err(TemplateError::Syntax("unclosed parenthesis".into()));
                }
                self.pos += 1;
                if let Some(Token::Field(_)) = self.tokens.get(self.pos) {
                    return Err(TemplateError::Unsupported(
                        "field access on a parenthesized value".into(),
                    ));
                }
                Ok(inner)
            }
            Token::Close => Err(TemplateError::Syntax("unexpected )".into())),
            Token::Pipe => Err(TemplateError::Unsupported("pipelines with |".into())),
        }
    }
}

/// How a block ended while parsing.
enum BlockEnd {
    End,
    Else,
    ElseIf(Expr),
    Eof,
}

struct NodeParser {
    pieces: Vec<Piece>,
    pos: usize,
}

impl NodeParser {
    fn block(&mut self) -> Result<(Vec<Node>, BlockEnd), TemplateError> {
        let mut nodes = Vec::new();
        while let Some(piece) = self.pieces.get(self.pos).cloned() {
            self.pos += 1;
            let action = match piece {
                Piece::Text(text) => {
                    nodes.push(Node::Text(text));
                    continue;
                }
                Piece::Action(action) => action,
            };
            let (keyword, rest) = match action.split_once(char::is_whitespace) {
                Some((keyword, rest)) => (keyword, rest.trim()),
                None => (action.as_str(), ""),
            };
            match keyword {
                "end" => return Ok((nodes, BlockEnd::End)),
                "else" if rest.is_empty() => return Ok((nodes, BlockEnd::Else)),
                "else" => {
                    let Some(cond) = rest.strip_prefix("if ") else {
                        return Err(TemplateError::Unsupported(format!("{{{{{action}}}}}")));
                    };
                    return Ok((nodes, BlockEnd::ElseIf(ExprParser::parse_pipeline(cond)?)));
                }
                "if" => {
                    let cond = ExprParser::parse_pipeline(rest)?;
                    nodes.push(self.if_chain(cond)?);
                }
                "with" => {
                    let value = ExprParser::parse_pipeline(rest)?;
                    let (then, end) = self.block()?;
                    let otherwise = match end {
                        BlockEnd::End => Vec::new(),
                        BlockEnd::Else => self.expect_end()?,
                        BlockEnd::ElseIf(_) => {
                            return Err(TemplateError::Unsupported("else if inside with".into()));
                        }
                        BlockEnd::Eof => {
                            return Err(TemplateError::Syntax("with without end".into()));
                        }
                    };
                    nodes.push(Node::With {
                        value,
                        then,
                        otherwise,
                    });
                }
                "range" | "define" | "template" | "block" | "break" | "continue" => {
                    return Err(TemplateError::Unsupported(format!("{keyword} actions")));
                }
                _ => nodes.push(Node::Output(ExprParser::parse_pipeline(&action)?)),
            }
        }
        Ok((nodes, BlockEnd::Eof))
    }

    fn if_chain(&mut self, cond: Expr) -> Result<Node, TemplateError> {
        let (then, end) = self.block()?;
        let otherwise = match end {
            BlockEnd::End => Vec::new(),
            BlockEnd::Else => self.expect_end()?,
            BlockEnd::ElseIf(next) => vec![self.if_chain(next)?],
            BlockEnd::Eof => return Err(TemplateError::Syntax("if without end".into())),
        };
        Ok(Node::If {
            cond,
            then,
            otherwise,
        })
    }

    fn expect_end(&mut self) -> Result<Vec<Node>, TemplateError> {
        match self.block()? {
            (nodes, BlockEnd::End) => Ok(nodes),
            _ => Err(TemplateError::Syntax("else without end".into())),
        }
    }
}

impl Template {
    /// Parses `source`.
    pub fn parse(source: &str) -> Result<Template, TemplateError> {
        let mut parser = NodeParser {
            pieces: split_pieces(source)?,
            pos: 0,
        };
        match parser.block()? {
            (nodes, BlockEnd::Eof) => Ok(Template { nodes }),
            (_, BlockEnd::End) => Err(TemplateError::Syntax("unexpected {{end}}".into())),
            (_, _) => Err(TemplateError::Syntax("unexpected {{else}}".into())),
        }
    }

    /// Executes the template with `data` as `.`.
    pub fn execute(&self, data: &Value) -> Result<String, TemplateError> {
        let mut out = String::new();
        render(&self.nodes, data, &mut out)?;
        Ok(out)
    }
}

fn render(nodes: &[Node], dot: &Value, out: &mut String) -> Result<(), TemplateError> {
    for node in nodes {
        match node {
            Node::Text(text) => out.push_str(text),
            Node::Output(expr) => print_value(&eval(expr, dot)?, out)?,
            Node::If {
                cond,
                then,
                otherwise,
            } => {
                if truthy(&eval(cond, dot)?) {
                    render(then, dot, out)?;
                } else {
                    render(otherwise, dot, out)?;
                }
            }
            Node::With {
                value,
                then,
                otherwise,
            } => {
                let value = eval(value, dot)?;
                if truthy(&value) {
                    render(then, &value, out)?;
                } else {
                    render(otherwise, dot, out)?;
                }
            }
        }
    }
    Ok(())
}

fn print_value(value: &Value, out: &mut String) -> Result<(), TemplateError> {
    match value {
        Value::String(text) => out.push_str(text),
        Value::Number(number) => out.push_str(&number.to_string()),
        Value::Bool(flag) => out.push_str(if *flag { "true" } else { "false" }),
        Value::Null => out.push_str("<nil>"),
        Value::Array(_) | Value::Object(_) => {
            return Err(TemplateError::Unsupported(
                "printing a list or an object".into(),
            ));
        }
    }
    Ok(())
}

/// Go's truth: false, 0, nil and empty strings, lists and maps are false; structs are true.
fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(flag) => *flag,
        Value::Number(number) => number.as_f64().is_some_and(|n| n != 0.0),
        Value::String(text) => !text.is_empty(),
        Value::Array(items) => !items.is_empty(),
        Value::Object(_) => true,
    }
}

fn eval(expr: &Expr, dot: &Value) -> Result<Value, TemplateError> {
    match expr {
        Expr::Literal(value) => Ok(value.clone()),
        Expr::Field(path) => {
            let mut current = dot;
            for (depth, name) in path.iter().enumerate() {
                current = match current {
                    Value::Object(fields) => fields.get(name).ok_or_else(|| {
                        TemplateError::Execute(format!(
                            "can't evaluate field {name} (.{})",
                            path[..=depth].join(".")
                        ))
                    })?,
                    Value::Null => {
                        return Err(TemplateError::Execute(format!(
                            "nil pointer evaluating .{}",
                            path[..=depth].join(".")
                        )));
                    }
                    _ => {
                        return Err(TemplateError::Execute(format!(
                            "can't evaluate field {name} in a non-struct value (.{})",
                            path[..=depth].join(".")
                        )));
                    }
                };
            }
            Ok(current.clone())
        }
        Expr::Call(func, args) => call(*func, args, dot),
    }
}

fn call(func: Func, args: &[Expr], dot: &Value) -> Result<Value, TemplateError> {
    let arity = |min: usize| {
        if args.len() < min {
            Err(TemplateError::Execute(format!(
                "{func:?} needs at least {min} arguments"
            )))
        } else {
            Ok(())
        }
    };
    match func {
        Func::Eq | Func::Ne => {
            arity(2)?;
            let first = eval(&args[0], dot)?;
            let mut equal = false;
            for arg in &args[1..] {
                let other = eval(arg, dot)?;
                if !comparable(&first, &other) {
                    return Err(TemplateError::Execute(format!(
                        "incompatible types for comparison: {first} and {other}"
                    )));
                }
                equal |= first == other;
            }
            if func == Func::Ne {
                if args.len() != 2 {
                    return Err(TemplateError::Execute("ne takes two arguments".into()));
                }
                equal = !equal;
            }
            Ok(Value::Bool(equal))
        }
        Func::And | Func::Or => {
            arity(1)?;
            let mut last = Value::Null;
            for arg in args {
                last = eval(arg, dot)?;
                let stop = if func == Func::And {
                    !truthy(&last)
                } else {
                    truthy(&last)
                };
                if stop {
                    break;
                }
            }
            Ok(last)
        }
        Func::Not => {
            if args.len() != 1 {
                return Err(TemplateError::Execute("not takes one argument".into()));
            }
            Ok(Value::Bool(!truthy(&eval(&args[0], dot)?)))
        }
        Func::Len => {
            if args.len() != 1 {
                return Err(TemplateError::Execute("len takes one argument".into()));
            }
            match eval(&args[0], dot)? {
                Value::String(text) => Ok(Value::from(text.len())),
                Value::Array(items) => Ok(Value::from(items.len())),
                Value::Object(fields) => Ok(Value::from(fields.len())),
                other => Err(TemplateError::Execute(format!("len of {other}"))),
            }
        }
        Func::Index => {
            arity(1)?;
            let mut current = eval(&args[0], dot)?;
            for arg in &args[1..] {
                let key = eval(arg, dot)?;
                current = match (&current, &key) {
                    (Value::Array(items), Value::Number(n)) => {
                        let index = n.as_u64().and_then(|i| usize::try_from(i).ok());
                        match index.and_then(|i| items.get(i)) {
                            Some(item) => item.clone(),
                            None => {
                                return Err(TemplateError::Execute(format!(
                                    "error calling index: index out of range: {n}"
                                )));
                            }
                        }
                    }
                    (Value::Object(fields), Value::String(name)) => {
                        fields.get(name).cloned().unwrap_or(Value::Null)
                    }
                    (Value::Null, _) => {
                        return Err(TemplateError::Execute(
                            "error calling index: index of untyped nil".into(),
                        ));
                    }
                    (value, key) => {
                        return Err(TemplateError::Execute(format!(
                            "error calling index: cannot index {value} with {key}"
                        )));
                    }
                };
            }
            Ok(current)
        }
    }
}

/// Go's `eq` compares basic values of the same kind.
fn comparable(a: &Value, b: &Value) -> bool {
    matches!(
        (a, b),
        (Value::String(_), Value::String(_))
            | (Value::Number(_), Value::Number(_))
            | (Value::Bool(_), Value::Bool(_))
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn render_with(template: &str, data: &Value) -> Result<String, TemplateError> {
        Template::parse(template)?.execute(data)
    }

    #[test]
    fn renders_the_supported_subset() {
        let data = json!({
            "Spec": {"Type": "presubmit", "Job": "pull-x", "Refs": {"Org": "o", "Repo": "r",
                "Pulls": [{"Number": 42}, {"Number": 7}]}, "Empty": "", "Zero": 0},
            "Status": {"BuildID": "123"},
        });
        let cases = [
            ("plain", "plain"),
            ("{{.Spec.Job}}/{{.Status.BuildID}}", "pull-x/123"),
            (
                "{{if eq .Spec.Type \"presubmit\"}}pr{{else}}ci{{end}}",
                "pr",
            ),
            (
                "{{if eq .Spec.Type \"batch\"}}b{{else if eq .Spec.Type \"presubmit\"}}p{{else}}x{{end}}",
                "p",
            ),
            ("{{with index .Spec.Refs.Pulls 1}}{{.Number}}{{end}}", "7"),
            ("{{with .Spec.Empty}}yes{{else}}no{{end}}", "no"),
            (
                "{{if or (eq .Spec.Type \"batch\") (eq .Spec.Type \"presubmit\")}}y{{end}}",
                "y",
            ),
            ("{{if and .Spec.Refs .Spec.Zero}}y{{else}}n{{end}}", "n"),
            ("{{if not .Spec.Empty}}empty{{end}}", "empty"),
            (
                "{{if ne .Spec.Refs.Org \"kubernetes\"}}/{{.Spec.Refs.Org}}_{{.Spec.Refs.Repo}}{{end}}",
                "/o_r",
            ),
            ("a {{- \" b \" -}} c", "a b c"),
            ("{{len .Spec.Refs.Pulls}}", "2"),
            ("{{eq .Spec.Type \"periodic\" \"presubmit\"}}", "true"),
            ("{{/* comment */}}x", "x"),
            ("{{`raw`}}", "raw"),
        ];
        for (template, want) in cases {
            assert_eq!(
                render_with(template, &data).as_deref(),
                Ok(want),
                "{template}"
            );
        }
    }

    #[test]
    fn rejects_what_it_does_not_implement_and_reports_execution_errors() {
        let data = json!({"Spec": {"Refs": null, "Pulls": []}});
        let unsupported = [
            "{{range .Spec.Pulls}}x{{end}}",
            "{{.Spec | printf \"%s\"}}",
            "{{printf \"%s\" .Spec}}",
            "{{$x := .Spec}}",
            "{{template \"x\"}}",
        ];
        for template in unsupported {
            assert!(
                matches!(
                    Template::parse(template),
                    Err(TemplateError::Unsupported(_))
                ),
                "{template}: {:?}",
                Template::parse(template)
            );
        }
        let syntax = ["{{if .Spec}}x", "{{end}}", "{{.Spec", "{{else}}"];
        for template in syntax {
            assert!(
                matches!(Template::parse(template), Err(TemplateError::Syntax(_))),
                "{template}"
            );
        }
        let failing = [
            (
                "{{.Spec.Refs.Org}}",
                "nil pointer evaluating .Spec.Refs.Org",
            ),
            ("{{.Spec.Nope}}", "can't evaluate field Nope"),
            ("{{index .Spec.Pulls 0}}", "index out of range: 0"),
            ("{{index .Spec.Refs.Pulls 0}}", "nil pointer"),
            ("{{eq .Spec.Refs \"x\"}}", "incompatible types"),
        ];
        for (template, want) in failing {
            let err = render_with(template, &data).expect_err(template);
            assert!(err.to_string().contains(want), "{template}: {err}");
        }
    }
}
