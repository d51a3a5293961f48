//! The JSON API: `/api/v1/jobs` (filtered, paginated list) and `/api/v1/jobs/{name}` (one
//! run), and Prow's `/prowjobs.js` (`{"items":[ProwJob...]}`, with `omit=` and `var=`).

use std::io::Write as _;

use jiff::Timestamp;
use serde::Serialize;

use crate::job_cache::{JobPage, Snapshot};
use crate::job_links::JobLinks;
use crate::job_record::{CachedJob, JobRecord};

/// One run in the JSON API.
#[derive(Debug, Serialize)]
pub struct ApiJob<'a> {
    /// The run.
    #[serde(flatten)]
    pub record: &'a JobRecord,
    /// Seconds from start to completion (or to now while running).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_seconds: Option<i64>,
    /// Links to deck pages and the code host.
    pub links: JobLinks,
}

impl<'a> ApiJob<'a> {
    /// The API form of `record`.
    pub fn of(record: &'a JobRecord, code_host: &str, now: Timestamp) -> Self {
        ApiJob {
            record,
            duration_seconds: record.duration(now).map(|d| d.as_secs()),
            links: JobLinks::of(record, code_host),
        }
    }
}

/// The answer of `/api/v1/jobs`.
#[derive(Debug, Serialize)]
pub struct ApiJobPage<'a> {
    /// Jobs matching the filters, on all pages.
    pub total: usize,
    /// This page (1-based).
    pub page: usize,
    /// Rows per page.
    pub per_page: usize,
    /// Number of pages.
    pub pages: usize,
    /// Visible jobs without filters.
    pub unfiltered: usize,
    /// The snapshot generation (changes whenever the list changes).
    pub generation: u64,
    /// The rows, newest first.
    pub items: Vec<ApiJob<'a>>,
}

/// Serialises `page` as the `/api/v1/jobs` answer.
pub fn job_page_json(
    snapshot: &Snapshot,
    page: &JobPage,
    code_host: &str,
    now: Timestamp,
) -> Vec<u8> {
    let answer = ApiJobPage {
        total: page.total,
        page: page.page,
        per_page: page.per_page,
        pages: page.pages(),
        unfiltered: snapshot.len(),
        generation: snapshot.generation(),
        items: page
            .jobs
            .iter()
            .map(|j| ApiJob::of(&j.record, code_host, now))
            .collect(),
    };
    serde_json::to_vec(&answer).unwrap_or_default()
}

/// Fields `/prowjobs.js?omit=` can drop (Prow's names).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Omit {
    /// `metadata.annotations`.
    pub annotations: bool,
    /// `metadata.labels`.
    pub labels: bool,
    /// `spec.decoration_config`.
    pub decoration_config: bool,
    /// `spec.pod_spec`.
    pub pod_spec: bool,
}

impl Omit {
    /// Parses `annotations,labels,decoration_config,pod_spec` (unknown names are ignored,
    /// as Prow does).
    pub fn parse(list: &str) -> Self {
        let mut omit = Omit::default();
        for name in list.split(',').map(str::trim) {
            match name {
                "annotations" => omit.annotations = true,
                "labels" => omit.labels = true,
                "decoration_config" => omit.decoration_config = true,
                "pod_spec" => omit.pod_spec = true,
                _ => {}
            }
        }
        omit
    }

    fn any(self) -> bool {
        self.annotations || self.labels || self.decoration_config || self.pod_spec
    }

    fn apply(self, job: &CachedJob, out: &mut Vec<u8>) {
        if !self.any() {
            out.extend_from_slice(&job.json);
            return;
        }
        let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(&job.json) else {
            out.extend_from_slice(&job.json);
            return;
        };
        if let Some(metadata) = value.get_mut("metadata").and_then(|m| m.as_object_mut()) {
            if self.annotations {
                metadata.remove("annotations");
            }
            if self.labels {
                metadata.remove("labels");
            }
        }
        if let Some(spec) = value.get_mut("spec").and_then(|s| s.as_object_mut()) {
            if self.decoration_config {
                spec.remove("decoration_config");
            }
            if self.pod_spec {
                spec.remove("pod_spec");
            }
        }
        let _ = serde_json::to_writer(&mut *out, &value);
    }
}

/// `/prowjobs.js`: every visible ProwJob as `{"items":[...]}`, newest first; with `var` set
/// (Prow's `?var=allBuilds`) as `var allBuilds = {...};`.
pub fn prowjobs_js(snapshot: &Snapshot, omit: Omit, var: Option<&str>) -> Vec<u8> {
    let mut out = Vec::with_capacity(snapshot.len() * 1024 + 32);
    if let Some(var) = var {
        let _ = write!(out, "var {var} = ");
    }
    out.extend_from_slice(b"{\"items\":[");
    for (i, job) in snapshot.jobs().iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        omit.apply(job, &mut out);
    }
    out.extend_from_slice(b"]}");
    if var.is_some() {
        out.extend_from_slice(b";");
    }
    out
}

/// A JavaScript identifier for `?var=` (anything else is refused).
pub fn valid_js_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job_cache::JobCache;
    use crate::visibility::Visibility;
    use prow_api::{ProwJob, ProwJobSpec, ProwJobType};
    use std::collections::BTreeMap;

    fn cache() -> JobCache {
        let mut spec = ProwJobSpec::new(ProwJobType::Periodic, "ci-a");
        spec.pod_spec = Some(Default::default());
        let mut job = ProwJob::new("a", spec);
        job.metadata.labels = Some(BTreeMap::from([("l".to_string(), "v".to_string())]));
        job.metadata.annotations = Some(BTreeMap::from([("a".to_string(), "v".to_string())]));
        JobCache::with_jobs(Visibility::default(), [job])
    }

    #[test]
    fn prowjobs_js_has_prows_shape_and_omits_fields() {
        let snapshot = cache().snapshot();
        let cases: &[(&str, &[&str], &[&str])] = &[
            ("", &["labels", "annotations", "pod_spec"], &[]),
            ("labels,pod_spec", &["annotations"], &["labels", "pod_spec"]),
            (
                "annotations,labels,decoration_config,pod_spec,bogus",
                &[],
                &["labels", "annotations", "pod_spec"],
            ),
        ];
        for (omit, present, absent) in cases {
            let bytes = prowjobs_js(&snapshot, Omit::parse(omit), None);
            let value: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
            let item = &value["items"][0];
            assert_eq!(item["spec"]["job"], "ci-a", "{omit}");
            let text = item.to_string();
            for key in *present {
                assert!(
                    text.contains(&format!("\"{key}\"")),
                    "{omit}: {key} in {text}"
                );
            }
            for key in *absent {
                assert!(
                    !text.contains(&format!("\"{key}\"")),
                    "{omit}: no {key} in {text}"
                );
            }
        }
        let js = String::from_utf8(prowjobs_js(&snapshot, Omit::default(), Some("allBuilds")))
            .expect("utf8");
        assert!(
            js.starts_with("var allBuilds = {\"items\":[") && js.ends_with("]};"),
            "{js}"
        );
    }

    #[test]
    fn js_identifiers() {
        for (name, ok) in [
            ("allBuilds", true),
            ("_x1", true),
            ("1x", false),
            ("a;alert(1)", false),
            ("", false),
        ] {
            assert_eq!(valid_js_identifier(name), ok, "{name}");
        }
    }
}
