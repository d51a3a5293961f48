//! YAML 1.1 scalar resolution as go-yaml v2 (`resolve.go`) does it, and the JSON key conversion
//! of sigs.k8s.io/yaml.

use std::borrow::Cow;

use super::node::{Scalar, ScalarStyle};

/// The typed value of a scalar.
#[derive(Clone, Debug, PartialEq)]
pub enum Resolved<'a> {
    /// `null`, `~`, empty.
    Null,
    /// `true`, `yes`, `on`, `y`, ... (YAML 1.1).
    Bool(bool),
    /// An integer that fits in `i64`.
    Int(i64),
    /// A positive integer above `i64::MAX`.
    Uint(u64),
    /// A float (`1.5`, `1e3`, `.inf`, `.nan`).
    Float(f64),
    /// Anything else, and every quoted scalar.
    Str(Cow<'a, str>),
}

impl Resolved<'_> {
    /// The name of the YAML type, for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Resolved::Null => "null",
            Resolved::Bool(_) => "boolean",
            Resolved::Int(_) | Resolved::Uint(_) => "integer",
            Resolved::Float(_) => "float",
            Resolved::Str(_) => "string",
        }
    }

    /// `integer `123``, `null`, ... for error messages.
    pub fn describe(&self) -> String {
        match self {
            Resolved::Null => "null".to_string(),
            Resolved::Bool(b) => format!("boolean `{b}`"),
            Resolved::Int(i) => format!("integer `{i}`"),
            Resolved::Uint(u) => format!("integer `{u}`"),
            Resolved::Float(f) => format!("float `{f}`"),
            Resolved::Str(s) => format!("string `{s}`"),
        }
    }

    /// The JSON value Go's `json.Marshal` would write for this value.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match self {
            Resolved::Null => Value::Null,
            Resolved::Bool(b) => Value::Bool(*b),
            Resolved::Int(i) => Value::from(*i),
            Resolved::Uint(u) => Value::from(*u),
            Resolved::Float(f) => match integral_float(*f) {
                Some(i) => Value::from(i),
                None => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
            },
            Resolved::Str(s) => Value::String(s.to_string()),
        }
    }
}

/// A float Go's `json.Marshal` writes without fraction or exponent (`1e3` → `1000`) and that fits
/// an `i64`, so that it reads back as an integer.
pub(crate) fn integral_float(f: f64) -> Option<i64> {
    // i64::MAX as f64 rounds up to 2^63, so the upper bound is exclusive.
    if f.is_finite()
        && f.fract() == 0.0
        && f.abs() < 1e21
        && f >= -(2f64.powi(63))
        && f < 2f64.powi(63)
    {
        Some(f as i64)
    } else {
        None
    }
}

const CORE_TAG_PREFIX: &str = "!!";

/// Resolves a scalar as go-yaml v2 does when decoding into `interface{}`.
pub(crate) fn resolve(scalar: &Scalar) -> Result<Resolved<'_>, String> {
    let text = scalar.text.as_str();
    match scalar.tag.as_deref() {
        None => Ok(match scalar.style {
            ScalarStyle::Plain => resolve_plain(text),
            ScalarStyle::Quoted => Resolved::Str(Cow::Borrowed(text)),
        }),
        Some(tag) => resolve_tagged(tag, text),
    }
}

fn resolve_tagged<'a>(tag: &str, text: &'a str) -> Result<Resolved<'a>, String> {
    let Some(core) = tag.strip_prefix(CORE_TAG_PREFIX) else {
        // Local and non-specific tags are not resolvable: go-yaml keeps the text.
        return Ok(Resolved::Str(Cow::Borrowed(text)));
    };
    let resolved = match core {
        "str" | "binary" | "timestamp" => return Ok(Resolved::Str(Cow::Borrowed(text))),
        "null" | "bool" | "int" | "float" => resolve_plain(text),
        _ => return Ok(Resolved::Str(Cow::Borrowed(text))),
    };
    let fits = match (core, &resolved) {
        ("null", Resolved::Null) | ("bool", Resolved::Bool(_)) | ("float", Resolved::Float(_)) => {
            true
        }
        ("int", Resolved::Int(_) | Resolved::Uint(_)) => true,
        ("float", Resolved::Int(i)) => return Ok(Resolved::Float(*i as f64)),
        ("float", Resolved::Uint(u)) => return Ok(Resolved::Float(*u as f64)),
        _ => false,
    };
    if fits {
        Ok(resolved)
    } else {
        Err(format!(
            "cannot decode {} `{text}` as a {tag}",
            resolved.kind()
        ))
    }
}

/// Plain scalar resolution (go-yaml v2 `resolve("", in)`).
pub(crate) fn resolve_plain(text: &str) -> Resolved<'_> {
    let Some(&first) = text.as_bytes().first() else {
        return Resolved::Null;
    };
    match first {
        b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~' => {
            resolve_word(text).unwrap_or(Resolved::Str(Cow::Borrowed(text)))
        }
        b'.' => match text {
            ".nan" | ".NaN" | ".NAN" => Resolved::Float(f64::NAN),
            ".inf" | ".Inf" | ".INF" => Resolved::Float(f64::INFINITY),
            _ => match parse_go_float(text) {
                Some(f) => Resolved::Float(f),
                None => Resolved::Str(Cow::Borrowed(text)),
            },
        },
        b'+' | b'-' | b'0'..=b'9' => resolve_number(text),
        _ => Resolved::Str(Cow::Borrowed(text)),
    }
}

fn resolve_word(text: &str) -> Option<Resolved<'_>> {
    Some(match text {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            Resolved::Bool(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            Resolved::Bool(false)
        }
        "~" | "null" | "Null" | "NULL" => Resolved::Null,
        _ => return None,
    })
}

fn resolve_number(text: &str) -> Resolved<'_> {
    match text {
        "+.inf" | "+.Inf" | "+.INF" => return Resolved::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => return Resolved::Float(f64::NEG_INFINITY),
        _ => {}
    }
    let plain: Cow<'_, str> = if text.contains('_') {
        Cow::Owned(text.replace('_', ""))
    } else {
        Cow::Borrowed(text)
    };
    if let Some(n) = parse_go_int(&plain) {
        return match i64::try_from(n) {
            Ok(i) => Resolved::Int(i),
            Err(_) => match u64::try_from(n) {
                Ok(u) if !plain.starts_with('+') && !plain.starts_with('-') => Resolved::Uint(u),
                _ => float_or_str(text, &plain),
            },
        };
    }
    float_or_str(text, &plain)
}

fn float_or_str<'a>(text: &'a str, plain: &str) -> Resolved<'a> {
    if is_yaml_style_float(plain)
        && let Some(f) = parse_go_float(plain)
    {
        return Resolved::Float(f);
    }
    Resolved::Str(Cow::Borrowed(text))
}

/// `strconv.ParseInt(s, 0, 64)` / `ParseUint` with base prefixes (`0x`, `0o`, `0b`, leading `0`
/// for octal), widened to i128 so the caller can tell i64 from u64.
fn parse_go_int(s: &str) -> Option<i128> {
    let (negative, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let (radix, digits) =
        if let Some(rest) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
            (16, rest)
        } else if let Some(rest) = body.strip_prefix("0o").or_else(|| body.strip_prefix("0O")) {
            (8, rest)
        } else if let Some(rest) = body.strip_prefix("0b").or_else(|| body.strip_prefix("0B")) {
            (2, rest)
        } else if body.len() > 1 && body.starts_with('0') {
            (8, &body[1..])
        } else {
            (10, body)
        };
    if digits.is_empty() || !digits.bytes().all(|b| (b as char).is_digit(radix)) {
        return None;
    }
    let magnitude = u64::from_str_radix(digits, radix).ok()?;
    let value = i128::from(magnitude);
    if negative {
        let v = -value;
        (v >= i128::from(i64::MIN)).then_some(v)
    } else {
        Some(value)
    }
}

/// go-yaml v2's `yamlStyleFloat`: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn is_yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// `strconv.ParseFloat(s, 64)` for the decimal forms go-yaml can reach (no hex floats, no `inf`
/// words: those never get here).
fn parse_go_float(s: &str) -> Option<f64> {
    let body = s.trim_start_matches(['+', '-']);
    if body.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return None;
    }
    s.parse::<f64>().ok()
}

/// The JSON object key sigs.k8s.io/yaml makes of a mapping key.
pub(crate) fn json_key(scalar: &Scalar) -> Cow<'_, str> {
    match resolve(scalar) {
        Ok(Resolved::Str(s)) => s,
        Ok(Resolved::Bool(b)) => Cow::Borrowed(if b { "true" } else { "false" }),
        Ok(Resolved::Int(i)) => Cow::Owned(i.to_string()),
        Ok(Resolved::Uint(u)) => Cow::Owned(u.to_string()),
        Ok(Resolved::Float(f)) => Cow::Owned(format_go_float32(f)),
        // sigs.k8s.io/yaml rejects null keys; keep the text so the key can still be reported.
        Ok(Resolved::Null) | Err(_) => Cow::Borrowed(scalar.text.as_str()),
    }
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 32)` with go-yaml's spellings of infinities and NaN.
pub(crate) fn format_go_float32(f: f64) -> String {
    if f.is_nan() {
        return ".nan".to_string();
    }
    if f.is_infinite() {
        return if f > 0.0 { ".inf" } else { "-.inf" }.to_string();
    }
    let single = f as f32;
    if single == 0.0 {
        return if single.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    // Rust's `{:e}` prints the shortest round-trip digits, e.g. `-1.5e7`.
    let sci = format!("{:e}", single.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let sign = if single < 0.0 { "-" } else { "" };
    if !(-4..6).contains(&exp) {
        let (head, tail) = digits.split_at(1);
        let dot = if tail.is_empty() { "" } else { "." };
        let exp_sign = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{head}{dot}{tail}e{exp_sign}{:02}", exp.abs());
    }
    let dp = exp + 1;
    let nd = digits.len() as i32;
    if dp <= 0 {
        format!("{sign}0.{}{digits}", "0".repeat((-dp) as usize))
    } else if dp >= nd {
        format!("{sign}{digits}{}", "0".repeat((dp - nd) as usize))
    } else {
        let (int, frac) = digits.split_at(dp as usize);
        format!("{sign}{int}.{frac}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(text: &str) -> Resolved<'_> {
        resolve_plain(text)
    }

    #[test]
    fn plain_scalars_resolve_like_go_yaml_v2() {
        let s = |t: &'static str| Resolved::Str(Cow::Borrowed(t));
        let cases: Vec<(&str, Resolved<'_>)> = vec![
            ("", Resolved::Null),
            ("~", Resolved::Null),
            ("null", Resolved::Null),
            ("Null", Resolved::Null),
            ("NULL", Resolved::Null),
            ("nULL", s("nULL")),
            ("true", Resolved::Bool(true)),
            ("True", Resolved::Bool(true)),
            ("TRUE", Resolved::Bool(true)),
            ("yes", Resolved::Bool(true)),
            ("Yes", Resolved::Bool(true)),
            ("on", Resolved::Bool(true)),
            ("ON", Resolved::Bool(true)),
            ("y", Resolved::Bool(true)),
            ("n", Resolved::Bool(false)),
            ("no", Resolved::Bool(false)),
            ("off", Resolved::Bool(false)),
            ("False", Resolved::Bool(false)),
            ("tRUE", s("tRUE")),
            ("0", Resolved::Int(0)),
            ("123", Resolved::Int(123)),
            ("-123", Resolved::Int(-123)),
            ("+7", Resolved::Int(7)),
            ("1_000", Resolved::Int(1000)),
            ("0x1F", Resolved::Int(31)),
            ("0o17", Resolved::Int(15)),
            ("017", Resolved::Int(15)),
            ("0b101", Resolved::Int(5)),
            ("-0x10", Resolved::Int(-16)),
            ("08", Resolved::Float(8.0)),
            ("9223372036854775807", Resolved::Int(i64::MAX)),
            (
                "9223372036854775808",
                Resolved::Uint(9_223_372_036_854_775_808),
            ),
            (
                "18446744073709551616",
                Resolved::Float(18_446_744_073_709_551_616.0),
            ),
            ("1.5", Resolved::Float(1.5)),
            (".5", Resolved::Float(0.5)),
            ("1e3", Resolved::Float(1000.0)),
            ("-1.5E-2", Resolved::Float(-0.015)),
            ("1.", Resolved::Float(1.0)),
            (".inf", Resolved::Float(f64::INFINITY)),
            ("-.Inf", Resolved::Float(f64::NEG_INFINITY)),
            ("+.INF", Resolved::Float(f64::INFINITY)),
            ("1.2.3", s("1.2.3")),
            ("2024-01-02", s("2024-01-02")),
            ("1h30m", s("1h30m")),
            ("-", s("-")),
            (".", s(".")),
            ("0x", s("0x")),
            ("v1.2", s("v1.2")),
            ("inf", s("inf")),
            ("nan", s("nan")),
            ("<<", s("<<")),
            ("12:30", s("12:30")),
        ];
        for (text, want) in cases {
            assert_eq!(plain(text), want, "resolving {text:?}");
        }
        assert!(matches!(plain(".NaN"), Resolved::Float(f) if f.is_nan()));
    }

    #[test]
    fn tags_and_quotes_override_resolution() {
        let scalar = |text: &str, style, tag: Option<&str>| Scalar {
            text: text.to_string(),
            style,
            tag: tag.map(str::to_string),
        };
        let cases = vec![
            (
                scalar("123", ScalarStyle::Quoted, None),
                Ok(Resolved::Str("123".into())),
            ),
            (
                scalar("yes", ScalarStyle::Quoted, None),
                Ok(Resolved::Str("yes".into())),
            ),
            (
                scalar("123", ScalarStyle::Plain, Some("!!str")),
                Ok(Resolved::Str("123".into())),
            ),
            (
                scalar("123", ScalarStyle::Quoted, Some("!!int")),
                Ok(Resolved::Int(123)),
            ),
            (
                scalar("3", ScalarStyle::Plain, Some("!!float")),
                Ok(Resolved::Float(3.0)),
            ),
            (
                scalar("yes", ScalarStyle::Plain, Some("!!bool")),
                Ok(Resolved::Bool(true)),
            ),
            (
                scalar("", ScalarStyle::Plain, Some("!!null")),
                Ok(Resolved::Null),
            ),
            (
                scalar("123", ScalarStyle::Plain, Some("!custom")),
                Ok(Resolved::Str("123".into())),
            ),
            (
                scalar("abc", ScalarStyle::Plain, Some("!!int")),
                Err("cannot decode string `abc` as a !!int".to_string()),
            ),
        ];
        for (scalar, want) in cases {
            assert_eq!(resolve(&scalar), want, "resolving {scalar:?}");
        }
    }

    #[test]
    fn keys_become_strings_like_sigs_k8s_yaml() {
        let key = |text: &str| {
            json_key(&Scalar {
                text: text.to_string(),
                style: ScalarStyle::Plain,
                tag: None,
            })
            .into_owned()
        };
        let cases = [
            ("name", "name"),
            ("1", "1"),
            ("0x10", "16"),
            ("yes", "true"),
            ("off", "false"),
            ("1.0", "1"),
            ("1.5", "1.5"),
            ("0.1", "0.1"),
            ("1e6", "1e+06"),
            ("123456", "123456"),
            ("0.00001", "1e-05"),
            ("0.0001", "0.0001"),
            ("-2.5", "-2.5"),
            (".inf", ".inf"),
        ];
        for (text, want) in cases {
            assert_eq!(key(text), want, "key {text:?}");
        }
    }
}
