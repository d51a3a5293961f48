//! `/`: the job list — filter form (a plain GET form, so filters live in the URL), the rows of
//! one page, and the pager. deck.js refreshes the rows from the JSON API.

use std::fmt::Write as _;

use prow_api::{ProwJobState, ProwJobType};

use crate::html::{escape, format_duration, link, short_sha, state_badge, time_element};
use crate::job_cache::{JobPage, Snapshot};
use crate::job_links::JobLinks;
use crate::job_query::JobQuery;
use crate::job_record::JobRecord;
use crate::pages::layout::{PageContext, document};

/// The whole list page.
pub fn render(
    context: &PageContext,
    snapshot: &Snapshot,
    query: &JobQuery,
    page: &JobPage,
) -> String {
    let mut body = String::new();
    body.push_str("<h1>Jobs</h1>");
    body.push_str(&filter_form(snapshot, query));
    let _ = write!(
        body,
        "<p class=\"summary\" id=\"summary\" aria-live=\"polite\">{} of {} jobs match · page {} of {}</p>",
        page.total,
        snapshot.len(),
        page.page,
        page.pages()
    );
    let api = format!("/api/v1/jobs?{}", query.page_query(page.page));
    let _ = write!(
        body,
        "<div class=\"table-wrap\"><table class=\"jobs\"><thead><tr>\
<th scope=\"col\">State</th><th scope=\"col\">Job</th><th scope=\"col\">Repository</th>\
<th scope=\"col\">Pull request</th><th scope=\"col\">Commit</th><th scope=\"col\">Started</th>\
<th scope=\"col\">Duration</th><th scope=\"col\">Links</th></tr></thead>\
<tbody id=\"job-rows\" data-refresh=\"{}\">",
        escape(&api)
    );
    for job in &page.jobs {
        body.push_str(&row(context, &job.record));
    }
    if page.jobs.is_empty() {
        body.push_str(
            "<tr><td colspan=\"8\" class=\"empty\">No job matches these filters.</td></tr>",
        );
    }
    body.push_str("</tbody></table></div>");
    body.push_str(&pager(query, page));
    document(context, "Jobs", &body)
}

/// One table row.
pub fn row(context: &PageContext, record: &JobRecord) -> String {
    let links = JobLinks::of(record, &context.code_host);
    let mut out = String::with_capacity(1024);
    let _ = write!(
        out,
        "<tr class=\"row-{}\"><td>{}</td><td><a href=\"{}\">{}</a><div class=\"sub\">{}</div></td>",
        record.state.as_str(),
        state_badge(record.state),
        escape(&links.job_page),
        escape(&record.job),
        record.job_type.as_str()
    );
    let repo = record.org_repo();
    let _ = write!(
        out,
        "<td>{}<div class=\"sub\">{}</div></td>",
        link(&links.repo, &repo),
        escape(&record.base_ref)
    );
    out.push_str("<td>");
    for (i, pull) in record.pulls.iter().enumerate() {
        if i > 0 {
            out.push_str("<br>");
        }
        let url = if i == 0 {
            links.pull.clone()
        } else {
            pull.link.clone()
        };
        out.push_str(&link(&url, &format!("#{}", pull.number)));
        if !pull.title.is_empty() {
            let _ = write!(out, " <span class=\"title\">{}</span>", escape(&pull.title));
        }
        if !pull.author.is_empty() {
            let _ = write!(
                out,
                " <span class=\"sub\">by {}</span>",
                escape(&pull.author)
            );
        }
    }
    out.push_str("</td>");
    let sha = record.head_sha();
    let _ = write!(
        out,
        "<td class=\"mono\">{}</td>",
        link(&links.commit, short_sha(sha))
    );
    out.push_str("<td>");
    if let Some(started) = record.start_or_created() {
        out.push_str(&time_element(started, context.now));
    }
    out.push_str("</td><td>");
    if let Some(duration) = record.duration(context.now) {
        out.push_str(&format_duration(duration));
    }
    let _ = write!(
        out,
        "</td><td class=\"links\"><a href=\"{}\">log</a> <a href=\"{}\">history</a></td></tr>",
        escape(&links.log),
        escape(&links.history)
    );
    out
}

fn filter_form(snapshot: &Snapshot, query: &JobQuery) -> String {
    let mut out = String::from(
        "<form class=\"filters\" method=\"get\" action=\"/\" role=\"search\" aria-label=\"Filter jobs\">",
    );
    let types: Vec<&str> = ProwJobType::ALL.iter().map(|t| t.as_str()).collect();
    out.push_str(&select(
        "type",
        "Type",
        &types,
        query.job_type.map(|t| t.as_str()),
    ));
    let states: Vec<&str> = ProwJobState::ALL.iter().map(|s| s.as_str()).collect();
    out.push_str(&select(
        "state",
        "State",
        &states,
        query.state.map(|s| s.as_str()),
    ));
    out.push_str(&text_input(
        "repo",
        "Repository",
        query.repo.as_deref(),
        Some("repos"),
    ));
    out.push_str(&text_input(
        "job",
        "Job",
        query.job.as_deref(),
        Some("job-names"),
    ));
    out.push_str(&text_input(
        "author",
        "Author",
        query.author.as_deref(),
        None,
    ));
    let pull = query.pull.map(|p| p.to_string());
    out.push_str(&text_input("pull", "PR", pull.as_deref(), None));
    out.push_str("<div class=\"buttons\"><button type=\"submit\">Filter</button> <a href=\"/\">Clear</a></div>");
    out.push_str(&datalist("repos", snapshot.repos()));
    out.push_str(&datalist("job-names", snapshot.job_names()));
    out.push_str("</form>");
    out
}

fn select(name: &str, label: &str, options: &[&str], selected: Option<&str>) -> String {
    let mut out = format!("<label>{label} <select name=\"{name}\"><option value=\"\">all</option>");
    for option in options {
        let mark = if Some(*option) == selected {
            " selected"
        } else {
            ""
        };
        let _ = write!(out, "<option{mark}>{option}</option>");
    }
    out.push_str("</select></label>");
    out
}

fn text_input(name: &str, label: &str, value: Option<&str>, list: Option<&str>) -> String {
    let list = list.map(|l| format!(" list=\"{l}\"")).unwrap_or_default();
    format!(
        "<label>{label} <input name=\"{name}\" value=\"{}\"{list} autocomplete=\"off\"></label>",
        escape(value.unwrap_or_default())
    )
}

fn datalist(id: &str, values: &[String]) -> String {
    let mut out = format!("<datalist id=\"{id}\">");
    for value in values.iter().take(2000) {
        let _ = write!(out, "<option value=\"{}\">", escape(value));
    }
    out.push_str("</datalist>");
    out
}

fn pager(query: &JobQuery, page: &JobPage) -> String {
    let mut out = String::from("<nav class=\"pager\" aria-label=\"Pages\">");
    if page.page > 1 {
        let _ = write!(
            out,
            "<a rel=\"prev\" href=\"/?{}\">← Newer</a>",
            escape(&query.page_query(page.page - 1))
        );
    }
    if page.page < page.pages() {
        let _ = write!(
            out,
            "<a rel=\"next\" href=\"/?{}\">Older →</a>",
            escape(&query.page_query(page.page + 1))
        );
    }
    out.push_str("</nav>");
    out
}
