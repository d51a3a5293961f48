//! deck's own CSS, JavaScript and icon, compiled into the binary (no CDN, no build step).

use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::error::Error;

/// The stylesheet.
pub const DECK_CSS: &str = include_str!("../static/deck.css");
/// The script (refresh, relative times, log viewer).
pub const DECK_JS: &str = include_str!("../static/deck.js");
/// The icon.
pub const FAVICON_SVG: &str = include_str!("../static/favicon.svg");

/// The content type and body of a static file.
pub fn lookup(name: &str) -> Option<(&'static str, &'static str)> {
    match name {
        "deck.css" => Some(("text/css; charset=utf-8", DECK_CSS)),
        "deck.js" => Some(("application/javascript; charset=utf-8", DECK_JS)),
        "favicon.svg" => Some(("image/svg+xml", FAVICON_SVG)),
        _ => None,
    }
}

/// `GET /static/{file}`.
pub async fn serve(Path(file): Path<String>) -> Result<Response, Error> {
    let (content_type, body) =
        lookup(&file).ok_or_else(|| Error::NotFound(format!("/static/{file}")))?;
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        body,
    )
        .into_response())
}
