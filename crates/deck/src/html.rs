//! Building blocks of server-rendered HTML: escaping (every string from a ProwJob, a PR or a
//! log goes through [`escape`]), times, durations and the look of each state.

use std::fmt::Write as _;

use jiff::{SignedDuration, Timestamp};
use prow_api::ProwJobState;

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    push_escaped(&mut out, text);
    out
}

/// Appends `text` escaped to `out`.
pub fn push_escaped(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// A link target taken from a ProwJob: only `http(s)://` URLs and same-site paths are kept
/// (a `javascript:` link from a PR is dropped).
pub fn safe_url(url: &str) -> Option<&str> {
    let lower = url.trim_start().to_ascii_lowercase();
    let ok = lower.starts_with("https://")
        || lower.starts_with("http://")
        || (lower.starts_with('/') && !lower.starts_with("//"));
    ok.then_some(url)
}

/// `<a href="url">text</a>` when `url` is safe, else the escaped text.
pub fn link(url: &str, text: &str) -> String {
    match safe_url(url) {
        Some(url) if !url.is_empty() => format!("<a href=\"{}\">{}</a>", escape(url), escape(text)),
        _ => escape(text),
    }
}

/// A duration as `1h2m`, `3m4s` or `5s`.
pub fn format_duration(duration: SignedDuration) -> String {
    let secs = duration.as_secs().max(0);
    let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
    match (h, m) {
        (0, 0) => format!("{s}s"),
        (0, _) => format!("{m}m{s}s"),
        _ => format!("{h}h{m}m"),
    }
}

/// How long ago `then` was, as `5s ago`, `3m ago`, `2h ago`, `4d ago`.
pub fn relative_time(then: Timestamp, now: Timestamp) -> String {
    let secs = now.duration_since(then).as_secs();
    if secs < 0 {
        return "just now".to_string();
    }
    match secs {
        0..60 => format!("{secs}s ago"),
        60..3600 => format!("{}m ago", secs / 60),
        3600..86_400 => format!("{}h ago", secs / 3600),
        _ => format!("{}d ago", secs / 86_400),
    }
}

/// `<time>` with the absolute UTC time as its title and datetime, showing the relative time
/// (deck.js keeps it current).
pub fn time_element(then: Timestamp, now: Timestamp) -> String {
    let absolute = then.strftime("%Y-%m-%d %H:%M:%S UTC").to_string();
    let mut out = String::new();
    let _ = write!(
        out,
        "<time datetime=\"{}\" title=\"{absolute}\">{}</time>",
        then,
        relative_time(then, now)
    );
    out
}

/// The icon of a state (also readable as text by screen readers through its label).
pub fn state_icon(state: ProwJobState) -> &'static str {
    match state {
        ProwJobState::Success => "✔",
        ProwJobState::Failure => "✖",
        ProwJobState::Pending => "●",
        ProwJobState::Triggered | ProwJobState::Scheduling => "○",
        ProwJobState::Aborted => "⊘",
        ProwJobState::Error => "⚠",
    }
}

/// `<span class="state state-x" ...>icon label</span>`.
pub fn state_badge(state: ProwJobState) -> String {
    format!(
        "<span class=\"state state-{s}\"><span aria-hidden=\"true\">{}</span> {s}</span>",
        state_icon(state),
        s = state.as_str()
    )
}

/// The first 7 characters of a commit SHA.
pub fn short_sha(sha: &str) -> &str {
    sha.get(..7).unwrap_or(sha)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        let cases = [
            (
                "<script>alert(1)</script>",
                "&lt;script&gt;alert(1)&lt;/script&gt;",
            ),
            ("a & b", "a &amp; b"),
            ("\"x\" 'y'", "&quot;x&quot; &#39;y&#39;"),
            ("plain ünïcode", "plain ünïcode"),
        ];
        for (input, expected) in cases {
            assert_eq!(escape(input), expected);
        }
    }

    #[test]
    fn only_web_links_are_kept() {
        let cases = [
            ("https://github.com/k/infra/pull/1", true),
            ("http://x", true),
            ("/job/abc", true),
            ("javascript:alert(1)", false),
            (" JavaScript:alert(1)", false),
            ("//evil.example/x", false),
            ("data:text/html,x", false),
        ];
        for (url, kept) in cases {
            assert_eq!(safe_url(url).is_some(), kept, "{url}");
        }
        assert_eq!(link("javascript:x", "<b>"), "&lt;b&gt;");
        assert_eq!(
            link("https://x/?a=1&b=2", "t"),
            "<a href=\"https://x/?a=1&amp;b=2\">t</a>"
        );
    }

    #[test]
    fn durations_and_relative_times() {
        let cases = [
            (0, "0s"),
            (59, "59s"),
            (61, "1m1s"),
            (3600, "1h0m"),
            (7322, "2h2m"),
        ];
        for (secs, expected) in cases {
            assert_eq!(format_duration(SignedDuration::from_secs(secs)), expected);
        }
        let now = Timestamp::from_second(1_000_000).expect("time");
        let cases = [
            (5, "5s ago"),
            (120, "2m ago"),
            (7200, "2h ago"),
            (3 * 86_400, "3d ago"),
            (-5, "just now"),
        ];
        for (ago, expected) in cases {
            let then = Timestamp::from_second(1_000_000 - ago).expect("time");
            assert_eq!(relative_time(then, now), expected);
        }
    }
}
