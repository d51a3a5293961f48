//! Which presubmits run for a PR event or comment (Prow's `pjutil.FilterPresubmits` and
//! `PresubmitFilter`), with the PR's changed files fetched at most once per event and only when
//! a job's `run_if_changed` / `skip_if_only_changed` has to decide.

use std::collections::HashSet;

use prow_config::{
    AggregateFilter, CommandFilter, Filter, FilterOutcome, Presubmit, RetestFilter, TestAllFilter,
};
use prow_github::types::{CombinedStatus, StatusState};

use super::comment_commands::{
    AvailableJobs, OK_TO_TEST_RE, RETEST_RE, RETEST_REQUIRED_RE, TEST_ALL_RE,
};

/// `(failed, all)` contexts of a combined status (Prow's `getContexts`).
pub fn contexts_of(status: &CombinedStatus) -> (HashSet<String>, HashSet<String>) {
    let mut failed = HashSet::new();
    let mut all = HashSet::new();
    for s in &status.statuses {
        all.insert(s.context.clone());
        if matches!(s.state, StatusState::Failure | StatusState::Error) {
            failed.insert(s.context.clone());
        }
    }
    (failed, all)
}

/// Whether the comment needs the combined status (it holds `/retest` or `/retest-required`).
pub fn needs_contexts(text: &str) -> bool {
    RETEST_RE.is_match(text) || RETEST_REQUIRED_RE.is_match(text)
}

/// Prow's `PresubmitFilter` for a comment: its own triggers, then `/retest`, then
/// `/retest-required`, then `/test all` (or `/ok-to-test` when honoured). `status` must be
/// given when [`needs_contexts`] says so.
pub fn comment_filter<'a>(
    honor_ok_to_test: bool,
    status: Option<&CombinedStatus>,
    text: &'a str,
) -> AggregateFilter<'a> {
    let mut filters: Vec<Box<dyn Filter + 'a>> = vec![Box::new(CommandFilter { body: text })];
    let (failed, all) = status.map(contexts_of).unwrap_or_default();
    if RETEST_RE.is_match(text) {
        filters.push(Box::new(RetestFilter {
            failed_contexts: failed.clone(),
            all_contexts: all.clone(),
            required_only: false,
        }));
    }
    if RETEST_REQUIRED_RE.is_match(text) {
        filters.push(Box::new(RetestFilter {
            failed_contexts: failed,
            all_contexts: all,
            required_only: true,
        }));
    }
    if (honor_ok_to_test && OK_TO_TEST_RE.is_match(text)) || TEST_ALL_RE.is_match(text) {
        filters.push(Box::new(TestAllFilter));
    }
    AggregateFilter { filters }
}

/// The jobs a filter picks on `branch` before changed files are known, with the filter's
/// verdict, and whether any of them needs the changed files to decide.
pub fn candidates<'p>(
    filter: &dyn Filter,
    branch: &str,
    presubmits: &'p [Presubmit],
) -> (Vec<(&'p Presubmit, FilterOutcome)>, bool) {
    let picked: Vec<_> = presubmits
        .iter()
        .filter_map(|p| {
            let outcome = filter.check(p);
            (outcome.should_run && p.could_run(branch)).then_some((p, outcome))
        })
        .collect();
    let needs_files = picked
        .iter()
        .any(|(p, outcome)| !p.always_run && !outcome.forced && p.change_matcher.could_run());
    (picked, needs_files)
}

/// Prow's `FilterPresubmits` over [`candidates`], once the changed files are known (empty
/// when no candidate needed them).
pub fn decide<'p>(
    picked: &[(&'p Presubmit, FilterOutcome)],
    branch: &str,
    changed_files: &[String],
) -> Vec<&'p Presubmit> {
    picked
        .iter()
        .filter(|(p, outcome)| {
            p.should_run(branch, changed_files, outcome.forced, outcome.defaults)
        })
        .map(|(p, _)| *p)
        .collect()
}

/// Whether [`available_jobs`] needs the changed files.
pub fn available_jobs_need_files(branch: &str, presubmits: &[Presubmit]) -> bool {
    candidates(&TestAllFilter, branch, presubmits).1
}

/// Prow's `AvailablePresubmits`: what `/test all` runs, and every job's rerun command split
/// into optional and required.
pub fn available_jobs(
    branch: &str,
    presubmits: &[Presubmit],
    changed_files: &[String],
) -> AvailableJobs {
    let (picked, _) = candidates(&TestAllFilter, branch, presubmits);
    let mut jobs = AvailableJobs {
        test_all: decide(&picked, branch, changed_files)
            .into_iter()
            .map(|p| p.base.name.clone())
            .collect(),
        ..AvailableJobs::default()
    };
    for p in presubmits {
        let forced = p.trigger_matches(&p.rerun_command);
        if forced && p.should_run(branch, changed_files, true, true) {
            let target = if p.optional {
                &mut jobs.optional_commands
            } else {
                &mut jobs.required_commands
            };
            target.insert(p.rerun_command.clone());
        }
    }
    jobs
}

#[cfg(test)]
mod tests {
    use prow_github::types::Status;

    use super::*;

    /// Jobs as a config file would declare them, loaded through `prow_config::load`.
    fn jobs() -> (tempfile::TempDir, Vec<Presubmit>) {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = dir.path().join("config.yaml");
        std::fs::write(
            &config,
            r#"
presubmits:
  o/r:
  - name: unit
    always_run: true
    spec: {containers: [{image: alpine}]}
  - name: docs
    run_if_changed: '^docs/'
    spec: {containers: [{image: alpine}]}
  - name: code
    skip_if_only_changed: '\.md$'
    spec: {containers: [{image: alpine}]}
  - name: manual
    optional: true
    spec: {containers: [{image: alpine}]}
  - name: release-only
    always_run: true
    branches: [release-1.0]
    spec: {containers: [{image: alpine}]}
"#,
        )
        .expect("write config");
        let loaded = prow_config::load(&prow_config::LoadOptions {
            config_path: config,
            job_config_path: None,
            plugin_config_path: None,
        })
        .expect("config loads");
        let presubmits = loaded.config.jobs.presubmits_for("o/r").to_vec();
        (dir, presubmits)
    }

    fn names(selected: &[&Presubmit]) -> Vec<String> {
        let mut names: Vec<String> = selected.iter().map(|p| p.base.name.clone()).collect();
        names.sort();
        names
    }

    fn select(
        filter: &dyn Filter,
        branch: &str,
        files: &[&str],
        jobs: &[Presubmit],
    ) -> (Vec<String>, bool) {
        let files: Vec<String> = files.iter().map(|s| s.to_string()).collect();
        let (picked, needs_files) = candidates(filter, branch, jobs);
        (names(&decide(&picked, branch, &files)), needs_files)
    }

    #[test]
    fn test_all_by_branch_and_changed_files() {
        let (_dir, jobs) = jobs();
        let cases: &[(&str, &[&str], &[&str])] = &[
            ("main", &["docs/a.md"], &["docs", "unit"]),
            ("main", &["main.go"], &["code", "unit"]),
            ("main", &["docs/a.md", "x.go"], &["code", "docs", "unit"]),
            ("main", &["README.md"], &["unit"]),
            ("release-1.0", &["README.md"], &["release-only", "unit"]),
        ];
        for (branch, files, want) in cases {
            let (got, needs_files) = select(&TestAllFilter, branch, files, &jobs);
            assert_eq!(got, *want, "{branch} {files:?}");
            assert!(needs_files);
        }
    }

    #[test]
    fn comment_selection() {
        let (_dir, jobs) = jobs();
        let status = CombinedStatus {
            state: StatusState::Failure,
            sha: "h".into(),
            statuses: vec![
                Status {
                    state: StatusState::Failure,
                    context: "unit".into(),
                    description: None,
                    target_url: None,
                },
                Status {
                    state: StatusState::Success,
                    context: "code".into(),
                    description: None,
                    target_url: None,
                },
                Status {
                    state: StatusState::Error,
                    context: "manual".into(),
                    description: None,
                    target_url: None,
                },
            ],
        };
        // (comment, changed files, expected jobs, needs changed files)
        let cases: &[(&str, &[&str], &[&str], bool)] = &[
            ("/test manual", &["x.go"], &["manual"], false),
            ("/test docs", &["x.go"], &["docs"], false),
            ("/test all", &["x.go"], &["code", "unit"], true),
            ("/ok-to-test", &["docs/x"], &["code", "docs", "unit"], true),
            // failed unit and manual; docs is missing and its files changed.
            ("/retest", &["docs/x"], &["docs", "manual", "unit"], true),
            ("/retest-required", &["x.go"], &["unit"], true),
            ("/test nope", &["x.go"], &[], false),
            ("/lgtm", &["x.go"], &[], false),
        ];
        for (text, files, want, want_needs) in cases {
            let filter = comment_filter(true, Some(&status), text);
            let (got, needs) = select(&filter, "main", files, &jobs);
            assert_eq!(got, *want, "{text}");
            assert_eq!(needs, *want_needs, "{text}");
        }
        let ignored = comment_filter(false, Some(&status), "/ok-to-test");
        assert!(select(&ignored, "main", &["x.go"], &jobs).0.is_empty());
    }

    #[test]
    fn available_jobs_for_help() {
        let (_dir, jobs) = jobs();
        let available = available_jobs("main", &jobs, &["x.go".to_string()]);
        let set = |names: &[&str]| names.iter().map(|s| s.to_string()).collect();
        assert_eq!(available.test_all, set(&["code", "unit"]));
        assert_eq!(available.optional_commands, set(&["/test manual"]));
        assert_eq!(
            available.required_commands,
            set(&["/test code", "/test docs", "/test unit"])
        );
    }
}
