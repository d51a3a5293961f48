//! `/job-history/{job}` (runs of one job: a pass/fail strip and a table with durations) and
//! `/pr-history?org=&repo=&pr=` (every run for a PR, grouped by commit). Both read the cache;
//! a job or PR without visible runs is a 404.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::response::Response;

use crate::error::Error;
use crate::html::{escape, format_duration, link, short_sha, state_badge, time_element};
use crate::job_links::JobLinks;
use crate::job_record::{CachedJob, JobRecord};
use crate::pages::layout::{PageContext, document};
use crate::server::{DeckState, html};

/// Runs shown on one history page.
pub const HISTORY_PAGE: usize = 200;

fn strip(context: &PageContext, runs: &[&JobRecord]) -> String {
    let mut out = String::from("<div class=\"strip\" aria-label=\"Runs, newest first\">");
    for run in runs {
        let links = JobLinks::of(run, &context.code_host);
        let duration = run
            .duration(context.now)
            .map(format_duration)
            .unwrap_or_default();
        let label = format!("{} {} {}", run.state.as_str(), run.build_id, duration);
        let _ = write!(
            out,
            "<a class=\"s-{}\" href=\"{}\" title=\"{}\" aria-label=\"{}\"></a>",
            run.state.as_str(),
            escape(&links.job_page),
            escape(&label),
            escape(&label)
        );
    }
    out.push_str("</div>");
    out
}

fn runs_table(context: &PageContext, runs: &[&JobRecord], show_job: bool) -> String {
    let mut out =
        String::from("<div class=\"table-wrap\"><table><thead><tr><th scope=\"col\">State</th>");
    if show_job {
        out.push_str("<th scope=\"col\">Job</th>");
    }
    out.push_str("<th scope=\"col\">Build</th><th scope=\"col\">Started</th><th scope=\"col\">Duration</th><th scope=\"col\">Pull request</th><th scope=\"col\">Commit</th></tr></thead><tbody>");
    for run in runs {
        let links = JobLinks::of(run, &context.code_host);
        let _ = write!(out, "<tr><td>{}</td>", state_badge(run.state));
        if show_job {
            let _ = write!(
                out,
                "<td><a href=\"{}\">{}</a></td>",
                escape(&links.history),
                escape(&run.job)
            );
        }
        let build = if run.build_id.is_empty() {
            run.name.as_str()
        } else {
            run.build_id.as_str()
        };
        let _ = write!(
            out,
            "<td><a href=\"{}\">{}</a></td><td>",
            escape(&links.job_page),
            escape(build)
        );
        if let Some(started) = run.start_or_created() {
            out.push_str(&time_element(started, context.now));
        }
        out.push_str("</td><td>");
        if let Some(d) = run.duration(context.now) {
            out.push_str(&format_duration(d));
        }
        out.push_str("</td><td>");
        if let Some(p) = run.pulls.first() {
            out.push_str(&link(&links.pull, &format!("#{}", p.number)));
        }
        let _ = write!(
            out,
            "</td><td class=\"mono\">{}</td></tr>",
            link(&links.commit, short_sha(run.head_sha()))
        );
    }
    out.push_str("</tbody></table></div>");
    out
}

/// `GET /job-history/{job}?page=`.
pub async fn job_history(
    State(state): State<DeckState>,
    Path(job): Path<String>,
    Query(params): Query<BTreeMap<String, String>>,
) -> Result<Response, Error> {
    let page: usize = params
        .get("page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(1)
        .max(1);
    let snapshot = state.cache.snapshot();
    let all: Vec<&Arc<CachedJob>> = snapshot
        .jobs()
        .iter()
        .filter(|j| j.record.job == job)
        .collect();
    if all.is_empty() {
        return Err(Error::NotFound(format!("job {job}")));
    }
    let context = state.page_context();
    let runs: Vec<&JobRecord> = all
        .iter()
        .skip((page - 1) * HISTORY_PAGE)
        .take(HISTORY_PAGE)
        .map(|j| &j.record)
        .collect();
    let finished: Vec<&&JobRecord> = runs.iter().filter(|r| r.state.is_complete()).collect();
    let passed = finished
        .iter()
        .filter(|r| r.state == prow_api::ProwJobState::Success)
        .count();
    let mut body = format!("<h1>History of {}</h1>", escape(&job));
    let _ = write!(
        body,
        "<p class=\"summary\">{} runs in all · on this page {} of {} finished runs passed</p>",
        all.len(),
        passed,
        finished.len()
    );
    body.push_str(&strip(&context, &runs));
    body.push_str(&runs_table(&context, &runs, false));
    let pages = all.len().div_ceil(HISTORY_PAGE);
    body.push_str("<nav class=\"pager\" aria-label=\"Pages\">");
    if page > 1 {
        let _ = write!(
            body,
            "<a rel=\"prev\" href=\"?page={}\">← Newer</a>",
            page - 1
        );
    }
    if page < pages {
        let _ = write!(
            body,
            "<a rel=\"next\" href=\"?page={}\">Older →</a>",
            page + 1
        );
    }
    body.push_str("</nav>");
    Ok(html(document(
        &context,
        &format!("History of {job}"),
        &body,
    )))
}

/// `GET /pr-history?org=&repo=&pr=`.
pub async fn pr_history(
    State(state): State<DeckState>,
    Query(params): Query<BTreeMap<String, String>>,
) -> Result<Response, Error> {
    let org = params.get("org").ok_or(Error::MissingParameter("org"))?;
    let repo = params.get("repo").ok_or(Error::MissingParameter("repo"))?;
    let pr: u64 = params
        .get("pr")
        .ok_or(Error::MissingParameter("pr"))?
        .parse()
        .map_err(|_| {
            Error::InvalidQuery(crate::job_query::InvalidQuery {
                key: "pr",
                value: params.get("pr").cloned().unwrap_or_default(),
            })
        })?;
    let snapshot = state.cache.snapshot();
    let runs: Vec<&JobRecord> = snapshot
        .jobs()
        .iter()
        .map(|j| &j.record)
        .filter(|r| r.org == *org && r.repo == *repo && r.pulls.iter().any(|p| p.number == pr))
        .collect();
    if runs.is_empty() {
        return Err(Error::NotFound(format!("runs of {org}/{repo}#{pr}")));
    }
    let context = state.page_context();
    // commits in the order of their newest run; runs of a batch count for its PR's commit
    let mut order: Vec<String> = Vec::new();
    let mut by_commit: BTreeMap<String, Vec<&JobRecord>> = BTreeMap::new();
    for run in &runs {
        let sha = run
            .pulls
            .iter()
            .find(|p| p.number == pr)
            .map(|p| p.sha.clone())
            .unwrap_or_default();
        if !by_commit.contains_key(&sha) {
            order.push(sha.clone());
        }
        by_commit.entry(sha).or_default().push(run);
    }
    let first = runs[0];
    let links = JobLinks::of(first, &context.code_host);
    let title = first
        .pulls
        .iter()
        .find(|p| p.number == pr)
        .map(|p| p.title.clone())
        .unwrap_or_default();
    let mut body = format!(
        "<h1>{}/{} {} <span class=\"sub\">{}</span></h1>",
        escape(org),
        escape(repo),
        link(&links.pull, &format!("#{pr}")),
        escape(&title)
    );
    let _ = write!(
        body,
        "<p class=\"summary\">{} runs on {} commits</p>",
        runs.len(),
        order.len()
    );
    for sha in &order {
        let commit_runs = &by_commit[sha];
        let commit_link = JobLinks::of(commit_runs[0], &context.code_host).commit;
        let _ = write!(
            body,
            "<section><h2>Commit <span class=\"mono\">{}</span></h2>",
            link(&commit_link, short_sha(sha))
        );
        body.push_str(&strip(&context, commit_runs));
        body.push_str(&runs_table(&context, commit_runs, true));
        body.push_str("</section>");
    }
    Ok(html(document(
        &context,
        &format!("{org}/{repo}#{pr}"),
        &body,
    )))
}
