//! JSON written exactly as Go's `encoding/json` writes it, so option variables are
//! byte-identical to those of Prow's decorator.

use serde::Serialize;

use super::error::DecorateError;

/// `value` as compact JSON with Go's HTML-safe escaping of `<`, `>`, `&`, U+2028 and U+2029
/// (these characters only occur inside JSON strings, so replacing them everywhere is exact).
pub(crate) fn encode_like_go<T: Serialize>(
    variable: &'static str,
    value: &T,
) -> Result<String, DecorateError> {
    let json = serde_json::to_string(value)
        .map_err(|source| DecorateError::EncodeOptions { variable, source })?;
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_html_characters_like_go() {
        let cases = [
            ("plain", r#""plain""#),
            ("a<b>&c", r#""a\u003cb\u003e\u0026c""#),
            ("line\u{2028}sep\u{2029}", r#""line\u2028sep\u2029""#),
        ];
        for (input, want) in cases {
            assert_eq!(encode_like_go("TEST", &input).expect("encodes"), want);
        }
    }
}
