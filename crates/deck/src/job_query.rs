//! The filters and page of the job list, read from the URL query (`?type=presubmit&repo=org/repo
//! &pull=12&author=alice&job=unit*&state=failure&page=2&per_page=50`). Every filter is
//! optional and they combine (all must match).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use prow_api::{ProwJobState, ProwJobType};

use crate::job_record::JobRecord;

/// Rows per page unless `per_page` says otherwise.
pub const DEFAULT_PER_PAGE: usize = 100;
/// The largest page served.
pub const MAX_PER_PAGE: usize = 1000;

/// A parsed job-list query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobQuery {
    /// `type`: presubmit, postsubmit, periodic or batch.
    pub job_type: Option<ProwJobType>,
    /// `repo`: `org/repo`, or `org` for every repo of the org.
    pub repo: Option<String>,
    /// `pull`: a PR number (any pull of a batch).
    pub pull: Option<u64>,
    /// `author`: a PR author login (case-insensitive).
    pub author: Option<String>,
    /// `job`: the job name; `*` and `?` make it a glob over the whole name, otherwise it
    /// matches any job whose name contains it.
    pub job: Option<String>,
    /// `state`.
    pub state: Option<ProwJobState>,
    /// `page`, 1-based.
    pub page: usize,
    /// `per_page`, at most [`MAX_PER_PAGE`].
    pub per_page: usize,
}

impl Default for JobQuery {
    fn default() -> Self {
        JobQuery {
            job_type: None,
            repo: None,
            pull: None,
            author: None,
            job: None,
            state: None,
            page: 1,
            per_page: DEFAULT_PER_PAGE,
        }
    }
}

/// A query value that is not valid.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid value {value:?} for {key}")]
pub struct InvalidQuery {
    /// The query key.
    pub key: &'static str,
    /// The rejected value.
    pub value: String,
}

impl JobQuery {
    /// Parses the query parameters (unknown keys are ignored, empty values mean no filter).
    ///
    /// # Errors
    /// A type, state, pull, page or per_page that does not parse.
    pub fn from_params(params: &BTreeMap<String, String>) -> Result<Self, InvalidQuery> {
        let value = |key: &str| params.get(key).map(|v| v.trim()).filter(|v| !v.is_empty());
        let parse = |key: &'static str| -> Result<Option<usize>, InvalidQuery> {
            value(key)
                .map(|v| {
                    v.parse::<usize>().map_err(|_| InvalidQuery {
                        key,
                        value: v.to_string(),
                    })
                })
                .transpose()
        };
        let invalid = |key: &'static str, v: &str| InvalidQuery {
            key,
            value: v.to_string(),
        };
        Ok(JobQuery {
            job_type: value("type")
                .map(|v| v.parse().map_err(|_| invalid("type", v)))
                .transpose()?,
            repo: value("repo").map(str::to_string),
            pull: value("pull")
                .map(|v| v.parse().map_err(|_| invalid("pull", v)))
                .transpose()?,
            author: value("author").map(str::to_string),
            job: value("job").map(str::to_string),
            state: value("state")
                .map(|v| v.parse().map_err(|_| invalid("state", v)))
                .transpose()?,
            page: parse("page")?.unwrap_or(1).max(1),
            per_page: parse("per_page")?
                .unwrap_or(DEFAULT_PER_PAGE)
                .clamp(1, MAX_PER_PAGE),
        })
    }

    /// Whether `record` passes every filter.
    pub fn matches(&self, record: &JobRecord) -> bool {
        if self.job_type.is_some_and(|t| t != record.job_type) {
            return false;
        }
        if self.state.is_some_and(|s| s != record.state) {
            return false;
        }
        if let Some(repo) = &self.repo {
            let ok = match repo.split_once('/') {
                Some((org, name)) => record.org == org && record.repo == name,
                None => record.org == *repo,
            };
            if !ok {
                return false;
            }
        }
        if let Some(pull) = self.pull
            && !record.pulls.iter().any(|p| p.number == pull)
        {
            return false;
        }
        if let Some(author) = &self.author
            && !record
                .pulls
                .iter()
                .any(|p| p.author.eq_ignore_ascii_case(author))
        {
            return false;
        }
        if let Some(job) = &self.job
            && !job_name_matches(job, &record.job)
        {
            return false;
        }
        true
    }

    /// The query string of these filters (without page), for links; empty without filters.
    pub fn filter_query(&self) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if let Some(t) = self.job_type {
            pairs.push(("type", t.as_str().into()));
        }
        if let Some(r) = &self.repo {
            pairs.push(("repo", r.clone()));
        }
        if let Some(p) = self.pull {
            pairs.push(("pull", p.to_string()));
        }
        if let Some(a) = &self.author {
            pairs.push(("author", a.clone()));
        }
        if let Some(j) = &self.job {
            pairs.push(("job", j.clone()));
        }
        if let Some(s) = self.state {
            pairs.push(("state", s.as_str().into()));
        }
        if self.per_page != DEFAULT_PER_PAGE {
            pairs.push(("per_page", self.per_page.to_string()));
        }
        let mut out = String::new();
        for (i, (key, value)) in pairs.iter().enumerate() {
            if i > 0 {
                out.push('&');
            }
            let _ = write!(out, "{key}={}", encode_query_value(value));
        }
        out
    }

    /// The query string of these filters at `page`.
    pub fn page_query(&self, page: usize) -> String {
        let filters = self.filter_query();
        if filters.is_empty() {
            format!("page={page}")
        } else {
            format!("{filters}&page={page}")
        }
    }
}

/// Percent-encodes a query value (everything but unreserved characters).
pub fn encode_query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(byte as char);
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// Whether job `name` matches `pattern`: a glob over the whole name when the pattern holds
/// `*` or `?`, a substring otherwise.
pub fn job_name_matches(pattern: &str, name: &str) -> bool {
    if pattern.contains(['*', '?']) {
        glob_matches(pattern, name)
    } else {
        name.contains(pattern)
    }
}

/// Glob matching with `*` (any run of characters) and `?` (one character), as Prow's badge
/// selector (Go's `filepath.Match` without character classes; job names hold no `/`).
pub fn glob_matches(pattern: &str, name: &str) -> bool {
    if pattern.is_ascii() && name.is_ascii() {
        // job names are ASCII: match bytes without allocating
        return glob_matches_units(pattern.as_bytes(), name.as_bytes(), b'*', b'?');
    }
    let pattern: Vec<char> = pattern.chars().collect();
    let name: Vec<char> = name.chars().collect();
    glob_matches_units(&pattern, &name, '*', '?')
}

fn glob_matches_units<T: PartialEq + Copy>(pattern: &[T], name: &[T], star: T, one: T) -> bool {
    let (mut p, mut n) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;
    while n < name.len() {
        match pattern.get(p) {
            Some(c) if *c == star => {
                backtrack = Some((p, n));
                p += 1;
            }
            Some(c) if *c == one || *c == name[n] => {
                p += 1;
                n += 1;
            }
            _ => match backtrack {
                Some((bp, bn)) => {
                    p = bp + 1;
                    n = bn + 1;
                    backtrack = Some((bp, bn + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|c| *c == star)
}

#[cfg(test)]
mod tests {
    use super::*;
    use prow_api::{ProwJob, ProwJobSpec, ProwJobStatus, Pull, Refs};

    fn params(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn record(
        job_type: ProwJobType,
        job: &str,
        org_repo: &str,
        pulls: &[(u64, &str)],
        state: ProwJobState,
    ) -> JobRecord {
        let mut spec = ProwJobSpec::new(job_type, job);
        if let Some((org, repo)) = org_repo.split_once('/') {
            spec.refs = Some(Refs {
                org: org.into(),
                repo: repo.into(),
                pulls: pulls
                    .iter()
                    .map(|(n, a)| Pull {
                        number: *n,
                        author: (*a).into(),
                        ..Pull::default()
                    })
                    .collect(),
                ..Refs::default()
            });
        }
        let mut job = ProwJob::new("x", spec);
        job.status = Some(ProwJobStatus::new(state));
        JobRecord::of(&job)
    }

    #[test]
    fn globs_match_as_go_filepath_match() {
        let cases = [
            ("ci-*", "ci-unit", true),
            ("ci-*", "pull-unit", false),
            ("*-unit", "pull-k-unit", true),
            ("pull-?-unit", "pull-k-unit", true),
            ("pull-?-unit", "pull-kk-unit", false),
            ("*", "", true),
            ("a*b*c", "axxbyyc", true),
            ("a*b*c", "axxbyy", false),
            ("exact", "exact", true),
            ("exact", "exactly", false),
            ("ü*", "über", true),
            ("?ber", "über", true),
        ];
        for (pattern, name, expected) in cases {
            assert_eq!(glob_matches(pattern, name), expected, "{pattern} vs {name}");
        }
        assert!(job_name_matches("unit", "pull-unit-test"), "substring");
        assert!(
            !job_name_matches("unit*", "pull-unit-test"),
            "glob is anchored"
        );
    }

    #[test]
    fn filters_combine() {
        let pre = record(
            ProwJobType::Presubmit,
            "pull-unit",
            "k/infra",
            &[(12, "Alice")],
            ProwJobState::Failure,
        );
        let post = record(
            ProwJobType::Postsubmit,
            "post-unit",
            "k/infra",
            &[],
            ProwJobState::Success,
        );
        let periodic = record(
            ProwJobType::Periodic,
            "ci-e2e",
            "",
            &[],
            ProwJobState::Pending,
        );
        let batch = record(
            ProwJobType::Batch,
            "pull-unit",
            "k/other",
            &[(12, "bob"), (13, "carol")],
            ProwJobState::Success,
        );
        let all = [&pre, &post, &periodic, &batch];
        // (query pairs, matching records in order)
        type Case<'a> = (&'a [(&'a str, &'a str)], &'a [&'a JobRecord]);
        let cases: &[Case] = &[
            (&[], &all),
            (&[("type", "presubmit")], &[&pre]),
            (&[("repo", "k/infra")], &[&pre, &post]),
            (&[("repo", "k")], &[&pre, &post, &batch]),
            (&[("pull", "12")], &[&pre, &batch]),
            (&[("pull", "13"), ("author", "carol")], &[&batch]),
            (&[("author", "alice")], &[&pre]),
            (&[("job", "unit")], &[&pre, &post, &batch]),
            (&[("job", "pull-*")], &[&pre, &batch]),
            (&[("state", "success")], &[&post, &batch]),
            (&[("state", "success"), ("repo", "k/infra")], &[&post]),
            (&[("type", "periodic"), ("state", "pending")], &[&periodic]),
            (&[("type", ""), ("job", " ")], &all),
        ];
        for (pairs, expected) in cases {
            let query = JobQuery::from_params(&params(pairs)).expect("valid query");
            let got: Vec<&JobRecord> = all.iter().copied().filter(|r| query.matches(r)).collect();
            assert_eq!(got, *expected, "{pairs:?}");
        }
    }

    #[test]
    fn invalid_values_are_rejected_and_pages_clamped() {
        for (key, value) in [
            ("type", "nightly"),
            ("state", "done"),
            ("pull", "abc"),
            ("page", "-1"),
            ("per_page", "x"),
        ] {
            let err = JobQuery::from_params(&params(&[(key, value)])).expect_err(key);
            assert_eq!(err.key, key);
        }
        let query =
            JobQuery::from_params(&params(&[("page", "0"), ("per_page", "100000")])).expect("ok");
        assert_eq!((query.page, query.per_page), (1, MAX_PER_PAGE));
    }

    #[test]
    fn query_strings_round_trip() {
        let original = params(&[
            ("type", "presubmit"),
            ("repo", "k/infra"),
            ("author", "a b&c"),
            ("job", "pull-*"),
            ("per_page", "20"),
        ]);
        let query = JobQuery::from_params(&original).expect("ok");
        assert_eq!(
            query.page_query(3),
            "type=presubmit&repo=k%2Finfra&author=a%20b%26c&job=pull-%2A&per_page=20&page=3"
        );
        assert_eq!(JobQuery::default().page_query(2), "page=2");
    }
}
