//! The frame around every page: head, navigation, announcement.

use jiff::Timestamp;

use crate::html::escape;

/// What every page needs to render.
#[derive(Clone, Debug)]
pub struct PageContext {
    /// The time pages are rendered at (relative times, running durations).
    pub now: Timestamp,
    /// `github.link_url`, for links to PRs and commits.
    pub code_host: String,
    /// `deck.spyglass.announcement`, shown on every page when set.
    pub announcement: String,
}

/// A complete HTML document titled `title` around `body`.
pub fn document(context: &PageContext, title: &str, body: &str) -> String {
    let announcement = if context.announcement.is_empty() {
        String::new()
    } else {
        format!(
            "<p class=\"announcement\" role=\"status\">{}</p>",
            escape(&context.announcement)
        )
    };
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{title} · Prow</title>\
<link rel=\"stylesheet\" href=\"/static/deck.css\">\
<link rel=\"icon\" href=\"/static/favicon.svg\" type=\"image/svg+xml\">\
<script src=\"/static/deck.js\" defer></script></head>\
<body><a class=\"skip\" href=\"#main\">Skip to content</a>\
<header class=\"top\"><nav aria-label=\"Main\"><a class=\"brand\" href=\"/\">Prow</a>\
<a href=\"/\">Jobs</a><a href=\"/command-help\">Command help</a></nav></header>\
{announcement}<main id=\"main\">{body}</main></body></html>\n",
        title = escape(title),
    )
}
