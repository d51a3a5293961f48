//! `/job/{name}`: one run — refs with links, timing, state, description, its Pod, the build
//! log (archived: first chunk rendered here, the rest loaded on demand; running: followed
//! live) with line links and a search box, `started.json`, `finished.json` and artifacts.

use std::fmt::Write as _;

use crate::html::{escape, format_duration, link, short_sha, state_badge, time_element};
use crate::job_links::{JobLinks, encode_path_segment};
use crate::job_record::JobRecord;
use crate::log_render::LogChunk;
use crate::pages::layout::{PageContext, document};
use crate::run_pod::PodSummary;
use crate::run_storage::RunFile;

/// What the job page shows besides the ProwJob.
#[derive(Debug, Default)]
pub struct JobView {
    /// The Pod, when deck can read build clusters and it still exists.
    pub pod: Option<PodSummary>,
    /// Why the Pod could not be read.
    pub pod_error: Option<String>,
    /// Where the run's files live in storage.
    pub storage_location: Option<String>,
    /// Why storage could not be read.
    pub storage_error: Option<String>,
    /// `started.json`.
    pub started: Option<serde_json::Value>,
    /// `finished.json`.
    pub finished: Option<serde_json::Value>,
    /// Every file of the run.
    pub files: Vec<RunFile>,
    /// The first chunk of the archived `build-log.txt`.
    pub log: Option<LogChunk>,
    /// The log is read live from the Pod.
    pub live: bool,
}

/// The whole page.
pub fn render(context: &PageContext, record: &JobRecord, view: &JobView) -> String {
    let links = JobLinks::of(record, &context.code_host);
    let mut body = String::new();
    let _ = write!(
        body,
        "<h1>{} <span class=\"sub\">{}</span></h1><p>{}",
        escape(&record.job),
        escape(&record.build_id),
        state_badge(record.state)
    );
    if !record.description.is_empty() {
        let _ = write!(body, " — {}", escape(&record.description));
    }
    body.push_str("</p>");
    let _ = write!(
        body,
        "<p class=\"links\"><a href=\"#log\">Build log</a> <a href=\"{}\">Job history</a>",
        escape(&links.history)
    );
    if !links.pr_history.is_empty() {
        let _ = write!(
            body,
            " <a href=\"{}\">PR history</a>",
            escape(&links.pr_history)
        );
    }
    let _ = write!(
        body,
        " <a href=\"/api/v1/jobs/{}\">ProwJob JSON</a></p>",
        encode_path_segment(&record.name)
    );

    body.push_str(
        "<section aria-labelledby=\"run-h\"><h2 id=\"run-h\">Run</h2><dl class=\"facts\">",
    );
    fact(&mut body, "ProwJob", &escape(&record.name));
    fact(&mut body, "Type", record.job_type.as_str());
    if !record.org.is_empty() {
        fact(
            &mut body,
            "Repository",
            &link(&links.repo, &record.org_repo()),
        );
    }
    if !record.base_ref.is_empty() {
        let base_link =
            if record.base_link.is_empty() && !links.repo.is_empty() && !record.base_sha.is_empty()
            {
                format!("{}/commit/{}", links.repo, record.base_sha)
            } else {
                record.base_link.clone()
            };
        let base = format!(
            "{} at <span class=\"mono\">{}</span>",
            escape(&record.base_ref),
            link(&base_link, short_sha(&record.base_sha))
        );
        fact(&mut body, "Base", &base);
    }
    for (i, pull) in record.pulls.iter().enumerate() {
        let url = if i == 0 {
            links.pull.clone()
        } else {
            pull.link.clone()
        };
        let mut text = link(&url, &format!("#{}", pull.number));
        if !pull.title.is_empty() {
            let _ = write!(text, " {}", escape(&pull.title));
        }
        let author_url = if i == 0 {
            links.author.clone()
        } else {
            pull.author_link.clone()
        };
        let _ = write!(
            text,
            " by {} at <span class=\"mono\">{}</span>",
            link(&author_url, &pull.author),
            link(
                if i == 0 {
                    &links.commit
                } else {
                    &pull.commit_link
                },
                short_sha(&pull.sha)
            )
        );
        fact(&mut body, "Pull request", &text);
    }
    for (label, time) in [
        ("Created", record.created),
        ("Started", record.started),
        ("Pod running", record.pending),
        ("Finished", record.completed),
    ] {
        if let Some(time) = time {
            let absolute = time.strftime("%Y-%m-%d %H:%M:%S UTC").to_string();
            fact(
                &mut body,
                label,
                &format!("{absolute} ({})", time_element(time, context.now)),
            );
        }
    }
    if let Some(duration) = record.duration(context.now) {
        let running = if record.completed.is_none() {
            " (running)"
        } else {
            ""
        };
        fact(
            &mut body,
            "Duration",
            &format!("{}{running}", format_duration(duration)),
        );
    }
    fact(&mut body, "Cluster", &escape(&record.cluster));
    if !record.context.is_empty() {
        fact(&mut body, "Context", &escape(&record.context));
    }
    if !record.url.is_empty() {
        fact(&mut body, "Status link", &link(&record.url, &record.url));
    }
    if let Some(location) = &view.storage_location {
        fact(
            &mut body,
            "Storage",
            &format!("<span class=\"mono\">{}</span>", escape(location)),
        );
    }
    body.push_str("</dl></section>");

    body.push_str(&pod_section(record, view));
    body.push_str(&log_section(record, view));
    body.push_str(&metadata_section(record, view));
    document(
        context,
        &format!("{} {}", record.job, record.build_id),
        &body,
    )
}

fn fact(out: &mut String, label: &str, html: &str) {
    let _ = write!(out, "<dt>{label}</dt><dd>{html}</dd>");
}

fn pod_section(record: &JobRecord, view: &JobView) -> String {
    let mut out = String::from("<section aria-labelledby=\"pod-h\"><h2 id=\"pod-h\">Pod</h2>");
    match (&view.pod, &view.pod_error) {
        (Some(pod), _) => {
            out.push_str("<dl class=\"facts\">");
            fact(
                &mut out,
                "Name",
                &format!("<span class=\"mono\">{}</span>", escape(&pod.name)),
            );
            fact(&mut out, "Namespace", &escape(&pod.namespace));
            fact(&mut out, "Cluster", &escape(&pod.cluster));
            fact(&mut out, "Node", &escape(&pod.node));
            fact(&mut out, "Phase", &escape(&pod.phase));
            if !pod.reason.is_empty() {
                fact(&mut out, "Reason", &escape(&pod.reason));
            }
            out.push_str("</dl>");
            if !pod.containers.is_empty() {
                out.push_str("<div class=\"table-wrap\"><table><thead><tr><th scope=\"col\">Container</th><th scope=\"col\">State</th><th scope=\"col\">Exit code</th><th scope=\"col\">Reason</th><th scope=\"col\">Restarts</th></tr></thead><tbody>");
                for c in &pod.containers {
                    let _ = write!(
                        out,
                        "<tr><td class=\"mono\">{}{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                        escape(&c.name),
                        if c.init {
                            " <span class=\"sub\">(init)</span>"
                        } else {
                            ""
                        },
                        escape(&c.state),
                        c.exit_code.map(|e| e.to_string()).unwrap_or_default(),
                        escape(&c.reason),
                        c.restarts
                    );
                }
                out.push_str("</tbody></table></div>");
            }
        }
        (None, Some(error)) => {
            let _ = write!(
                out,
                "<p class=\"sub\">The Pod could not be read: {}</p>",
                escape(error)
            );
        }
        (None, None) => {
            let name = if record.pod_name.is_empty() {
                &record.name
            } else {
                &record.pod_name
            };
            let _ = write!(
                out,
                "<p class=\"sub\">Pod <span class=\"mono\">{}</span> in cluster {} is gone or not created yet.</p>",
                escape(name),
                escape(&record.cluster)
            );
        }
    }
    out.push_str("</section>");
    out
}

fn log_section(record: &JobRecord, view: &JobView) -> String {
    let name = encode_path_segment(&record.name);
    let mut out = String::from("<section aria-labelledby=\"log\"><h2 id=\"log\">Build log</h2>");
    let has_log = view.live || view.log.is_some();
    if has_log {
        out.push_str(
            "<div class=\"log-tools\"><label for=\"log-search\">Search</label>\
<input id=\"log-search\" type=\"search\" placeholder=\"text in loaded lines\" autocomplete=\"off\">\
<button type=\"button\" id=\"log-search-next\" class=\"secondary\">Next match</button>\
<span id=\"log-search-status\" class=\"log-status\" aria-live=\"polite\"></span></div>",
        );
    }
    if view.live {
        let _ = write!(
            out,
            "<p id=\"log-status\" class=\"log-status\" aria-live=\"polite\">The job is running: its log is read live from the Pod (needs JavaScript).</p>\
<div class=\"log mono\" id=\"log-lines\" data-live=\"/job/{name}/live-log\"></div>"
        );
    } else if let Some(chunk) = &view.log {
        let status = if chunk.eof {
            format!("End of log · {} lines", chunk.next_line - 1)
        } else {
            format!(
                "Showing {} lines · {} bytes in all",
                chunk.next_line - 1,
                chunk.total_bytes
            )
        };
        let _ = write!(
            out,
            "<p id=\"log-status\" class=\"log-status\" aria-live=\"polite\">{status} · <a href=\"/job/{name}/artifact/build-log.txt\">raw</a></p>\
<div class=\"log mono\" id=\"log-lines\" data-src=\"/job/{name}/log\" data-line=\"{}\"{}>{}</div>",
            chunk.next_line,
            if chunk.eof {
                String::new()
            } else {
                format!(" data-next=\"{}\"", chunk.next_offset)
            },
            chunk.html
        );
        if !chunk.eof {
            let _ = write!(
                out,
                "<p><button type=\"button\" id=\"log-more\">Load more lines</button> \
<a href=\"/job/{name}/log?offset={}&amp;line={}&amp;format=html\">next lines without JavaScript</a></p>",
                chunk.next_offset, chunk.next_line
            );
        }
    } else if let Some(error) = &view.storage_error {
        let _ = write!(
            out,
            "<p class=\"sub\">The build log could not be read: {}</p>",
            escape(error)
        );
    } else {
        out.push_str("<p class=\"sub\">No build log yet.</p>");
    }
    out.push_str("</section>");
    out
}

fn metadata_section(record: &JobRecord, view: &JobView) -> String {
    let name = encode_path_segment(&record.name);
    let mut out = String::new();
    for (title, id, value) in [
        ("started.json", "started-h", &view.started),
        ("finished.json", "finished-h", &view.finished),
    ] {
        if let Some(value) = value {
            let _ = write!(
                out,
                "<section aria-labelledby=\"{id}\"><h2 id=\"{id}\">{title}</h2><dl class=\"facts\">"
            );
            if let Some(map) = value.as_object() {
                for (key, value) in map {
                    let text = match value {
                        serde_json::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    let _ = write!(
                        out,
                        "<dt>{}</dt><dd class=\"mono\">{}</dd>",
                        escape(key),
                        escape(&text)
                    );
                }
            }
            out.push_str("</dl></section>");
        }
    }
    if !view.files.is_empty() {
        out.push_str("<section aria-labelledby=\"artifacts-h\"><h2 id=\"artifacts-h\">Artifacts</h2><ul class=\"artifacts\">");
        for file in &view.files {
            let path: Vec<String> = file.name.split('/').map(encode_path_segment).collect();
            let _ = write!(
                out,
                "<li><a href=\"/job/{name}/artifact/{}\">{}</a> <span class=\"sub\">{}</span></li>",
                path.join("/"),
                escape(&file.name),
                human_size(file.size)
            );
        }
        out.push_str("</ul></section>");
    }
    out
}

/// `12 B`, `3.4 KiB`, `5.6 MiB`.
pub fn human_size(bytes: u64) -> String {
    const KIB: f64 = 1024.0;
    let b = bytes as f64;
    if b < KIB {
        format!("{bytes} B")
    } else if b < KIB * KIB {
        format!("{:.1} KiB", b / KIB)
    } else if b < KIB * KIB * KIB {
        format!("{:.1} MiB", b / KIB / KIB)
    } else {
        format!("{:.1} GiB", b / KIB / KIB / KIB)
    }
}
