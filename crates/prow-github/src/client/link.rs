//! Parsing GitHub's `Link` pagination header.

/// The URL of the `rel="next"` entry of a `Link` header, if any.
///
/// GitHub formats it as `<url>; rel="next", <url>; rel="last"`; entries may come in any order
/// and parameters other than `rel` are ignored.
pub fn next_page_url(link_header: &str) -> Option<&str> {
    link_header.split(',').find_map(|entry| {
        let (target, params) = entry.trim().split_once(';')?;
        let url = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        let is_next = params.split(';').any(|param| {
            let Some((name, value)) = param.trim().split_once('=') else {
                return false;
            };
            name.trim() == "rel"
                && value
                    .trim()
                    .trim_matches('"')
                    .split_ascii_whitespace()
                    .any(|rel| rel == "next")
        });
        is_next.then_some(url)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_next_link() {
        let cases: &[(&str, Option<&str>)] = &[
            (
                r#"<https://api.github.com/repositories/1/pulls/2/files?per_page=30&page=2>; rel="next", <https://api.github.com/repositories/1/pulls/2/files?per_page=30&page=3>; rel="last""#,
                Some("https://api.github.com/repositories/1/pulls/2/files?per_page=30&page=2"),
            ),
            (
                r#"<https://x/y?page=1>; rel="prev", <https://x/y?page=3>; rel="next", <https://x/y?page=1>; rel="first""#,
                Some("https://x/y?page=3"),
            ),
            (
                r#"<https://x/y?page=1>; rel="prev", <https://x/y?page=1>; rel="first""#,
                None,
            ),
            (
                r#"<https://x/y?page=2>;rel=next"#,
                Some("https://x/y?page=2"),
            ),
            (
                r#"<https://x/y?page=2>; title="n"; rel="next last""#,
                Some("https://x/y?page=2"),
            ),
            (r#"<https://x/y?page=2>; rel="nextish""#, None),
            ("", None),
            ("garbage", None),
        ];
        for (header, want) in cases {
            assert_eq!(next_page_url(header), *want, "header {header:?}");
        }
    }
}
