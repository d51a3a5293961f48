//! Routes of one run: the job page, log chunks, the live log, artifacts, the ProwJob JSON and
//! Prow's `/view/...` links.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};

use crate::error::Error;
use crate::job_record::CachedJob;
use crate::log_render::{CHUNK_BYTES, render_chunk};
use crate::pages::job_view;
use crate::pages::layout::document;
use crate::run_pod::{follow_log, read_pod};
use crate::run_view::{BUILD_LOG, load_view};
use crate::server::DeckState;

/// Largest artifact served (Prow's `deck.spyglass.size_limit` default).
pub const ARTIFACT_LIMIT: u64 = 100_000_000;

fn find(state: &DeckState, name: &str) -> Result<Arc<CachedJob>, Error> {
    state
        .cache
        .get(name)
        .ok_or_else(|| Error::NotFound(format!("ProwJob {name}")))
}

fn prowjob(job: &CachedJob) -> Result<prow_api::ProwJob, Error> {
    job.prowjob()
        .ok_or_else(|| Error::NotFound(format!("ProwJob {}", job.record.name)))
}

/// `GET /job/{name}`.
pub async fn job_page(
    State(state): State<DeckState>,
    Path(name): Path<String>,
) -> Result<Response, Error> {
    let job = find(&state, &name)?;
    let pj = prowjob(&job)?;
    let view = load_view(&state.storage, state.clusters.as_ref(), &job.record, &pj).await;
    let context = state.page_context();
    Ok(crate::server::html(job_view::render(
        &context,
        &job.record,
        &view,
    )))
}

/// `GET /api/v1/jobs/{name}`: the ProwJob (managedFields stripped).
pub async fn prowjob_json(
    State(state): State<DeckState>,
    Path(name): Path<String>,
) -> Result<Response, Error> {
    let job = find(&state, &name)?;
    Ok(crate::server::json(job.json.to_vec()))
}

/// `GET /job/{name}/log?offset=&line=[&format=html]`: the next lines of the archived build
/// log, as JSON (`html`, `next_offset`, `next_line`, `eof`, `total_bytes`) or as a page.
pub async fn log_chunk(
    State(state): State<DeckState>,
    Path(name): Path<String>,
    Query(params): Query<BTreeMap<String, String>>,
) -> Result<Response, Error> {
    let number = |key: &'static str, default: u64| -> Result<u64, Error> {
        params.get(key).map_or(Ok(default), |v| {
            v.parse().map_err(|_| {
                Error::InvalidQuery(crate::job_query::InvalidQuery {
                    key,
                    value: v.clone(),
                })
            })
        })
    };
    let offset = number("offset", 0)?;
    let line = number("line", 1)?.max(1);
    let job = find(&state, &name)?;
    let dir = state
        .storage
        .run_dir(&prowjob(&job)?)?
        .ok_or_else(|| Error::NotFound(format!("build log of {name}")))?;
    let size = dir
        .size(BUILD_LOG)
        .await?
        .ok_or_else(|| Error::NotFound(format!("build log of {name}")))?;
    let start = offset.min(size);
    let bytes = dir
        .read_range(BUILD_LOG, start..(start + CHUNK_BYTES).min(size))
        .await?;
    let chunk = render_chunk(&bytes, start, size, line);
    if params.get("format").map(String::as_str) == Some("html") {
        let mut body = format!(
            "<h1>Build log of {}</h1><div class=\"log mono\">{}</div>",
            crate::html::escape(&job.record.job),
            chunk.html
        );
        if !chunk.eof {
            body.push_str(&format!(
                "<p><a href=\"?offset={}&amp;line={}&amp;format=html\">Next lines</a></p>",
                chunk.next_offset, chunk.next_line
            ));
        }
        return Ok(crate::server::html(document(
            &state.page_context(),
            "Build log",
            &body,
        )));
    }
    Ok(crate::server::json(
        serde_json::to_vec(&chunk).unwrap_or_default(),
    ))
}

/// `GET /job/{name}/live-log`: the Pod's log, followed while the job runs.
pub async fn live_log(
    State(state): State<DeckState>,
    Path(name): Path<String>,
) -> Result<Response, Error> {
    let job = find(&state, &name)?;
    let clusters = state
        .clusters
        .as_ref()
        .ok_or_else(|| Error::NotFound("build clusters".to_string()))?;
    let pod = read_pod(clusters, &job.record)
        .await?
        .ok_or_else(|| Error::NotFound(format!("Pod of {name}")))?;
    let stream = follow_log(clusters, &job.record, &pod).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}

/// Whether an artifact path is safe to look up (no `..`, `.` or empty segments).
pub fn valid_artifact_path(path: &str) -> bool {
    !path.is_empty()
        && path
            .split('/')
            .all(|s| !s.is_empty() && s != "." && s != "..")
}

fn content_type(path: &str) -> (&'static str, bool) {
    let ext = path
        .rsplit_once('.')
        .map_or("", |(_, e)| e)
        .to_ascii_lowercase();
    match ext.as_str() {
        "txt" | "log" | "json" | "xml" | "yaml" | "yml" | "md" | "csv" | "html" | "htm" | "" => {
            ("text/plain; charset=utf-8", false)
        }
        "svg" | "png" | "jpg" | "jpeg" | "gif" => ("application/octet-stream", true),
        _ => ("application/octet-stream", true),
    }
}

/// `GET /job/{name}/artifact/{*path}`: one stored file, as text (or as a download).
pub async fn artifact(
    State(state): State<DeckState>,
    Path((name, path)): Path<(String, String)>,
) -> Result<Response, Error> {
    if !valid_artifact_path(&path) {
        return Err(Error::NotFound(path));
    }
    let job = find(&state, &name)?;
    let dir = state
        .storage
        .run_dir(&prowjob(&job)?)?
        .ok_or_else(|| Error::NotFound(path.clone()))?;
    let size = dir
        .size(&path)
        .await?
        .ok_or_else(|| Error::NotFound(path.clone()))?;
    if size > ARTIFACT_LIMIT {
        return Err(Error::NotFound(format!(
            "{path} is larger than {ARTIFACT_LIMIT} bytes"
        )));
    }
    let bytes = dir.read_range(&path, 0..size).await?;
    let (content_type, download) = content_type(&path);
    let mut response = ([(header::CONTENT_TYPE, content_type)], bytes).into_response();
    if download {
        let file = path
            .rsplit('/')
            .next()
            .unwrap_or("artifact")
            .replace('"', "");
        if let Ok(value) = format!("attachment; filename=\"{file}\"").parse() {
            response
                .headers_mut()
                .insert(header::CONTENT_DISPOSITION, value);
        }
    }
    Ok(response)
}

/// `GET /view/{*path}`: Prow's job links (`/view/gs/<bucket>/logs/<job>/<build>`) redirect
/// to the job page of that run.
pub async fn view_redirect(
    State(state): State<DeckState>,
    Path(path): Path<String>,
) -> Result<Response, Error> {
    let mut segments = path.trim_end_matches('/').rsplit('/');
    let (Some(build), Some(job)) = (segments.next(), segments.next()) else {
        return Err(Error::NotFound(path));
    };
    let snapshot = state.cache.snapshot();
    let found = snapshot
        .jobs()
        .iter()
        .find(|j| j.record.job == job && j.record.build_id == build)
        .ok_or_else(|| Error::NotFound(path.clone()))?;
    let target = format!(
        "/job/{}",
        crate::job_links::encode_path_segment(&found.record.name)
    );
    Ok(Redirect::to(&target).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn artifact_paths_cannot_escape_the_run() {
        for (path, ok) in [
            ("build-log.txt", true),
            ("artifacts/junit.xml", true),
            ("../other/build-log.txt", false),
            ("artifacts/../../x", false),
            ("a//b", false),
            ("./a", false),
            ("", false),
        ] {
            assert_eq!(valid_artifact_path(path), ok, "{path}");
        }
        assert_eq!(
            content_type("artifacts/index.html"),
            ("text/plain; charset=utf-8", false)
        );
        assert!(content_type("bin/app.tar.gz").1, "binary files download");
    }
}
