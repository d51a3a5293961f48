//! Query-string parsing and GitHub's pagination (`per_page`, `page`, `Link` header).

/// Page size when the client does not ask for one.
pub const DEFAULT_PER_PAGE: usize = 30;
/// Largest page size GitHub honours.
pub const MAX_PER_PAGE: usize = 100;

/// The page a list request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// 1-based page number.
    pub page: usize,
    /// Items per page (1..=100).
    pub per_page: usize,
}

impl PageRequest {
    /// Reads `page` and `per_page` from a raw query string the way GitHub does: missing or
    /// unparsable values take the defaults, `per_page` is capped at 100, page 0 is page 1.
    pub fn from_query(query: Option<&str>) -> Self {
        let number = |name: &str| query_param(query, name).and_then(|v| v.parse::<usize>().ok());
        let per_page = number("per_page")
            .map(|n| n.clamp(1, MAX_PER_PAGE))
            .unwrap_or(DEFAULT_PER_PAGE);
        let page = number("page").unwrap_or(1).max(1);
        Self { page, per_page }
    }

    /// Number of the last page for `total` items (at least 1).
    pub fn last_page(&self, total: usize) -> usize {
        total.div_ceil(self.per_page).max(1)
    }

    /// The slice of `items` on this page.
    pub fn slice<'a, T>(&self, items: &'a [T]) -> &'a [T] {
        let start = (self.page - 1)
            .saturating_mul(self.per_page)
            .min(items.len());
        let end = start.saturating_add(self.per_page).min(items.len());
        &items[start..end]
    }
}

/// Builds GitHub's `Link` header for page `page` of `last`, or `None` when everything fits
/// on one page. `base` is `scheme://host/path`; `query` the request's raw query. Relations
/// come in GitHub's order (`prev`, `next`, `last`, `first`); every URL keeps the request's
/// other parameters in order and ends with `page=N`.
pub fn link_header(base: &str, query: Option<&str>, page: usize, last: usize) -> Option<String> {
    if page <= 1 && last <= 1 {
        return None;
    }
    let kept: Vec<&str> = query
        .unwrap_or("")
        .split('&')
        .filter(|pair| !pair.is_empty() && pair.split('=').next() != Some("page"))
        .collect();
    let url = |n: usize| {
        let mut q = kept.clone();
        let page_pair = format!("page={n}");
        q.push(&page_pair);
        format!("<{base}?{}>", q.join("&"))
    };
    let mut parts = Vec::new();
    if page > 1 {
        parts.push(format!("{}; rel=\"prev\"", url(page - 1)));
    }
    if page < last {
        parts.push(format!("{}; rel=\"next\"", url(page + 1)));
        parts.push(format!("{}; rel=\"last\"", url(last)));
    }
    if page > 1 {
        parts.push(format!("{}; rel=\"first\"", url(1)));
    }
    Some(parts.join(", "))
}

/// The decoded value of query parameter `name`, if present.
pub fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    query?.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (percent_decode(key) == name).then(|| percent_decode(value))
    })
}

/// Decodes `%XX` escapes (a literal `+` is kept). Invalid escapes are kept verbatim.
pub fn percent_decode(input: &str) -> String {
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let (high, low) = (hex_value(bytes[i + 1]), hex_value(bytes[i + 2]));
            if let (Some(high), Some(low)) = (high, low) {
                out.push(high * 16 + low);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_value(byte: u8) -> Option<u8> {
    char::from(byte)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_request_defaults_and_caps() {
        let cases = [
            (None, 1, 30),
            (Some("per_page=100&page=2"), 2, 100),
            (Some("per_page=500"), 1, 100),
            (Some("per_page=0&page=0"), 1, 1),
            (Some("per_page=abc&page=x"), 1, 30),
            (Some("state=open&page=3"), 3, 30),
        ];
        for (query, page, per_page) in cases {
            assert_eq!(
                PageRequest::from_query(query),
                PageRequest { page, per_page },
                "{query:?}"
            );
        }
    }

    #[test]
    fn slices_and_last_page() {
        let items: Vec<u32> = (1..=65).collect();
        let third = PageRequest {
            page: 3,
            per_page: 30,
        };
        assert_eq!(third.slice(&items), &[61, 62, 63, 64, 65]);
        assert_eq!(third.last_page(items.len()), 3);
        assert_eq!(
            PageRequest {
                page: 9,
                per_page: 30
            }
            .slice(&items),
            &[] as &[u32]
        );
        assert_eq!(third.last_page(0), 1);
    }

    #[test]
    fn link_header_matches_github_format() {
        let base = "http://h/repos/o/r/pulls/1/files";
        let cases = [
            (
                Some("per_page=30"),
                1,
                3,
                Some(concat!(
                    "<http://h/repos/o/r/pulls/1/files?per_page=30&page=2>; rel=\"next\", ",
                    "<http://h/repos/o/r/pulls/1/files?per_page=30&page=3>; rel=\"last\""
                )),
            ),
            (
                Some("per_page=30&page=2"),
                2,
                3,
                Some(concat!(
                    "<http://h/repos/o/r/pulls/1/files?per_page=30&page=1>; rel=\"prev\", ",
                    "<http://h/repos/o/r/pulls/1/files?per_page=30&page=3>; rel=\"next\", ",
                    "<http://h/repos/o/r/pulls/1/files?per_page=30&page=3>; rel=\"last\", ",
                    "<http://h/repos/o/r/pulls/1/files?per_page=30&page=1>; rel=\"first\""
                )),
            ),
            (
                Some("page=3&per_page=30"),
                3,
                3,
                Some(concat!(
                    "<http://h/repos/o/r/pulls/1/files?per_page=30&page=2>; rel=\"prev\", ",
                    "<http://h/repos/o/r/pulls/1/files?per_page=30&page=1>; rel=\"first\""
                )),
            ),
            (
                None,
                1,
                2,
                Some(concat!(
                    "<http://h/repos/o/r/pulls/1/files?page=2>; rel=\"next\", ",
                    "<http://h/repos/o/r/pulls/1/files?page=2>; rel=\"last\""
                )),
            ),
            (None, 1, 1, None),
        ];
        for (query, page, last, want) in cases {
            assert_eq!(
                link_header(base, query, page, last).as_deref(),
                want,
                "{query:?}"
            );
        }
    }

    #[test]
    fn query_param_and_percent_decode() {
        assert_eq!(
            query_param(Some("ref=feature%2Fx&a=1"), "ref").as_deref(),
            Some("feature/x")
        );
        assert_eq!(query_param(Some("a=1"), "ref"), None);
        assert_eq!(percent_decode("do-not-merge%2Fhold"), "do-not-merge/hold");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("a%zzb"), "a%zzb");
    }
}
