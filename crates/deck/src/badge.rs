//! `/badge.svg?jobs=<globs>`: Prow's build badge — the latest run of every job matching the
//! comma-separated globs; `passing` when none of them failed, `failing <jobs>` otherwise,
//! `no results` when nothing matches.

use std::collections::HashSet;

use prow_api::ProwJobState;

use crate::html::escape;
use crate::job_cache::Snapshot;
use crate::job_query::glob_matches;
use crate::job_record::JobRecord;

/// The latest run of each job matching `selector` (snapshot order is newest first).
pub fn pick_latest<'a>(snapshot: &'a Snapshot, selector: &str) -> Vec<&'a JobRecord> {
    let patterns: Vec<&str> = selector.split(',').collect();
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for job in snapshot.jobs() {
        let record = &job.record;
        if seen.contains(record.job.as_str()) {
            continue;
        }
        if patterns.iter().any(|p| glob_matches(p, &record.job)) {
            seen.insert(record.job.as_str());
            out.push(record);
        }
    }
    out
}

/// The status text and colour of the badge for `latest`.
pub fn badge_status(latest: &[&JobRecord]) -> (String, &'static str) {
    if latest.is_empty() {
        return ("no results".to_string(), "darkgrey");
    }
    let mut failed: Vec<&str> = latest
        .iter()
        .filter(|r| r.state == ProwJobState::Failure)
        .map(|r| r.job.as_str())
        .collect();
    failed.sort_unstable();
    if failed.is_empty() {
        return ("passing".to_string(), "#4c1");
    }
    if failed.len() > 3 {
        failed.truncate(3);
        failed.push("...");
    }
    (format!("failing {}", failed.join(", ")), "#e05d44")
}

/// The SVG of a `[subject | status]` badge (Prow's layout: 6 px per character).
pub fn render_svg(subject: &str, status: &str, color: &str) -> String {
    let right_start = 13 + 6 * subject.chars().count();
    let right_width = 13 + 6 * status.chars().count();
    let width = right_start + right_width;
    let x_left = right_start as f64 * 0.5;
    let x_right = right_start as f64 + (right_width as f64 - 2.0) * 0.5;
    let (subject, status, color) = (escape(subject), escape(status), escape(color));
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"20\">\n\
<linearGradient id=\"a\" x2=\"0\" y2=\"100%\">\n  <stop offset=\"0\" stop-color=\"#bbb\" stop-opacity=\".1\"/>\n  <stop offset=\"1\" stop-opacity=\".1\"/>\n</linearGradient>\n\
<rect rx=\"3\" width=\"100%\" height=\"20\" fill=\"#555\"/>\n\
<g fill=\"{color}\">\n  <rect rx=\"3\" x=\"{right_start}\" width=\"{right_width}\" height=\"20\"/>\n  <path d=\"M{right_start} 0h4v20h-4z\"/>\n</g>\n\
<rect rx=\"3\" width=\"100%\" height=\"20\" fill=\"url(#a)\"/>\n\
<g fill=\"#fff\" text-anchor=\"middle\" font-family=\"DejaVu Sans,Verdana,Geneva,sans-serif\" font-size=\"11\">\n\
<g fill=\"#010101\" opacity=\".3\">\n<text x=\"{x_left}\" y=\"15\">{subject}</text>\n<text x=\"{x_right}\" y=\"15\">{status}</text>\n</g>\n\
<text x=\"{x_left}\" y=\"14\">{subject}</text>\n<text x=\"{x_right}\" y=\"14\">{status}</text>\n</g>\n</svg>"
    )
}

/// The badge for `selector` over `snapshot`.
pub fn badge(snapshot: &Snapshot, selector: &str) -> String {
    let (status, color) = badge_status(&pick_latest(snapshot, selector));
    render_svg("build", &status, color)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job_cache::JobCache;
    use crate::visibility::Visibility;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
    use prow_api::{ProwJob, ProwJobSpec, ProwJobStatus, ProwJobType};

    fn run(name: &str, job: &str, secs: i64, state: ProwJobState) -> ProwJob {
        let mut pj = ProwJob::new(name, ProwJobSpec::new(ProwJobType::Periodic, job));
        let mut status = ProwJobStatus::new(state);
        status.start_time = Some(Time(
            jiff::Timestamp::from_second(1_700_000_000 + secs).expect("t"),
        ));
        pj.status = Some(status);
        pj
    }

    #[test]
    fn latest_run_per_job_decides() {
        use ProwJobState::*;
        let cache = JobCache::with_jobs(
            Visibility::default(),
            [
                run("1", "ci-a", 1, Failure),
                run("2", "ci-a", 2, Success),
                run("3", "ci-b", 3, Failure),
                run("4", "ci-c", 1, Failure),
                run("5", "ci-d", 1, Failure),
                run("6", "ci-e", 1, Failure),
                run("7", "other", 9, Pending),
            ],
        );
        let snapshot = cache.snapshot();
        let cases = [
            ("ci-a", "passing", "#4c1"),
            ("ci-a,ci-b", "failing ci-b", "#e05d44"),
            ("ci-*", "failing ci-b, ci-c, ci-d, ...", "#e05d44"),
            ("other", "passing", "#4c1"),
            ("nothing*", "no results", "darkgrey"),
        ];
        for (selector, status, color) in cases {
            let (got_status, got_color) = badge_status(&pick_latest(&snapshot, selector));
            assert_eq!(
                (got_status.as_str(), got_color),
                (status, color),
                "{selector}"
            );
        }
        let svg = badge(&snapshot, "ci-a,ci-b");
        assert!(
            svg.contains(">failing ci-b</text>") && svg.contains("fill=\"#e05d44\""),
            "{svg}"
        );
    }
}
