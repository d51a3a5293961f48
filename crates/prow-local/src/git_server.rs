//! A static file server for git's "dumb" HTTP protocol: `GET /<org>/<repo>.git/...` serves
//! the files of the bare repositories under a root directory (prepared with
//! `git update-server-info`). Read-only; paths outside the root are refused.

use std::path::{Component, Path, PathBuf};

use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// Serves `root` on `listener` until the task is dropped.
pub async fn serve(listener: tokio::net::TcpListener, root: PathBuf) -> std::io::Result<()> {
    let app = axum::Router::new()
        .route("/{*path}", axum::routing::get(file))
        .with_state(root);
    axum::serve(listener, app).await
}

async fn file(State(root): State<PathBuf>, UrlPath(path): UrlPath<String>) -> Response {
    let Some(relative) = safe_relative(&path) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match tokio::fs::read(root.join(relative)).await {
        Ok(bytes) => bytes.into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

/// `path` as a relative path with only normal components (no `..`, no root).
fn safe_relative(path: &str) -> Option<&Path> {
    let path = Path::new(path);
    path.components()
        .all(|c| matches!(c, Component::Normal(_)))
        .then_some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_below_the_root_are_served() {
        assert!(safe_relative("prow-rs-demo/hello.git/info/refs").is_some());
        for bad in ["../etc/passwd", "a/../../b", "/etc/passwd"] {
            assert!(safe_relative(bad).is_none(), "{bad}");
        }
    }
}
