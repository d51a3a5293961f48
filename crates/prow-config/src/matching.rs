//! Which jobs run: branch filters, file-change filters, comment triggers and the `/test`,
//! `/retest`, `/test all` selection of Prow's `pkg/pjutil/filter.go`.
//!
//! Regexes follow Go RE2 semantics as far as Rust's `regex` crate shares them (same syntax, no
//! backreferences or lookaround in either). Known differences: Rust's `\d`, `\s`, `\w` and `\b`
//! are Unicode-aware where Go's are ASCII-only; for the ASCII branch names, paths and comment
//! commands Prow matches, the results are the same.

use std::collections::HashSet;
use std::sync::{Arc, LazyLock};

use regex::Regex;

use crate::jobs::{Brancher, Postsubmit, Presubmit, RegexpChangeMatcher};

/// Prow's default trigger for a job name: `(?m)^/test( | .* )<name>,?($|\s.*)`.
pub fn default_trigger_for(name: &str) -> String {
    format!(r"(?m)^/test( | .* ){name},?($|\s.*)")
}

/// Prow's default rerun command for a job name: `/test <name>`.
pub fn default_rerun_command_for(name: &str) -> String {
    format!("/test {name}")
}

impl Brancher {
    /// True when neither `branches` nor `skip_branches` is set.
    pub fn runs_against_all_branches(&self) -> bool {
        self.branches.is_empty() && self.skip_branches.is_empty()
    }

    /// Whether a job with this filter runs against `branch`: `skip_branches` wins over
    /// `branches`; patterns match anywhere in the name unless anchored (as in Prow).
    pub fn should_run(&self, branch: &str) -> bool {
        if self.runs_against_all_branches() {
            return true;
        }
        if !self.skip_branches.is_empty()
            && matches(self.re_skip.as_ref(), &self.skip_branches, branch)
        {
            return false;
        }
        self.branches.is_empty() || matches(self.re.as_ref(), &self.branches, branch)
    }

    /// Whether two filters could both select some branch (Prow's `Brancher.Intersects`).
    pub fn intersects(&self, other: &Brancher) -> bool {
        if self.runs_against_all_branches() || other.runs_against_all_branches() {
            return true;
        }
        if !self.branches.is_empty() {
            if !other.branches.is_empty() {
                let mine: HashSet<&str> = self.branches.iter().map(String::as_str).collect();
                return other.branches.iter().any(|b| mine.contains(b.as_str()));
            }
            return self.branches.iter().any(|b| other.should_run(b));
        }
        if other.branches.is_empty() {
            return true;
        }
        other.intersects(self)
    }
}

/// Matches `input` against a compiled regex, or compiles the joined patterns when the brancher
/// was built by hand rather than loaded (falls back to "no match" for an invalid pattern).
fn matches(compiled: Option<&Arc<Regex>>, patterns: &[String], input: &str) -> bool {
    match compiled {
        Some(re) => re.is_match(input),
        None => Regex::new(&patterns.join("|")).is_ok_and(|re| re.is_match(input)),
    }
}

impl RegexpChangeMatcher {
    /// True when `run_if_changed` or `skip_if_only_changed` is set.
    pub fn could_run(&self) -> bool {
        !self.run_if_changed.is_empty() || !self.skip_if_only_changed.is_empty()
    }

    /// Prow's `RunsAgainstChanges`: any file matching `run_if_changed`, or any file NOT matching
    /// `skip_if_only_changed`.
    pub fn runs_against_changes(&self, changed_files: &[String]) -> bool {
        let pattern = if self.run_if_changed.is_empty() {
            &self.skip_if_only_changed
        } else {
            &self.run_if_changed
        };
        let owned;
        let re = match &self.re_changes {
            Some(re) => re.as_ref(),
            None => match Regex::new(pattern) {
                Ok(re) => {
                    owned = re;
                    &owned
                }
                Err(_) => return false,
            },
        };
        changed_files.iter().any(|file| {
            if !self.run_if_changed.is_empty() {
                re.is_match(file)
            } else {
                !self.skip_if_only_changed.is_empty() && !re.is_match(file)
            }
        })
    }

    /// `(determined, should_run)`: whether the change filter decides at all, and if so whether
    /// the job runs for these changed files.
    pub fn should_run(&self, changed_files: &[String]) -> (bool, bool) {
        if self.could_run() {
            (true, self.runs_against_changes(changed_files))
        } else {
            (false, false)
        }
    }
}

/// Comment-command regexes of Prow's `pjutil`.
static TEST_ALL_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?m)^/test all,?($|\s.*)").expect("static regex"));
static RETEST_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?m)^/retest\s*$").expect("static regex"));
static RETEST_REQUIRED_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?m)^/retest-required\s*$").expect("static regex"));
static OK_TO_TEST_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?m)^/ok-to-test\s*$").expect("static regex"));

impl Presubmit {
    /// The compiled trigger (compiled on first use; `None` if the trigger is empty or invalid,
    /// which loading reports).
    pub fn trigger_regex(&self) -> Option<&Arc<Regex>> {
        self.trigger_re
            .get_or_init(|| {
                if self.trigger.is_empty() {
                    None
                } else {
                    Regex::new(&self.trigger).ok().map(Arc::new)
                }
            })
            .as_ref()
    }

    /// Whether a comment body triggers this job (Prow's `TriggerMatches`).
    pub fn trigger_matches(&self, body: &str) -> bool {
        !self.trigger.is_empty() && self.trigger_regex().is_some_and(|re| re.is_match(body))
    }

    /// Whether the job runs against `branch` at all.
    pub fn could_run(&self, branch: &str) -> bool {
        self.brancher.should_run(branch)
    }

    /// Prow's `Presubmit.ShouldRun`: the branch must match; then `always_run` or `forced` run
    /// it; otherwise the change filter decides, or `defaults` when it cannot.
    pub fn should_run(
        &self,
        branch: &str,
        changed_files: &[String],
        forced: bool,
        defaults: bool,
    ) -> bool {
        if !self.could_run(branch) {
            return false;
        }
        if self.always_run || forced {
            return true;
        }
        let (determined, should_run) = self.change_matcher.should_run(changed_files);
        (determined && should_run) || defaults
    }

    /// Runs only when a human asks for it (`/test <name>`).
    pub fn needs_explicit_trigger(&self) -> bool {
        !self.always_run && !self.change_matcher.could_run()
    }

    /// May or may not run on a given PR.
    pub fn triggers_conditionally(&self) -> bool {
        self.needs_explicit_trigger() || self.change_matcher.could_run()
    }

    /// The context is required for merging.
    pub fn context_required(&self) -> bool {
        !self.optional && !self.reporter.skip_report
    }
}

impl Postsubmit {
    /// Whether the job runs against `branch` at all.
    pub fn could_run(&self, branch: &str) -> bool {
        self.brancher.should_run(branch)
    }

    /// Prow's `Postsubmit.ShouldRun`: branch filter, then the change filter, then `always_run`
    /// (which defaults to true).
    pub fn should_run(&self, branch: &str, changed_files: &[String]) -> bool {
        if !self.could_run(branch) {
            return false;
        }
        let (determined, should_run) = self.change_matcher.should_run(changed_files);
        if determined {
            return should_run;
        }
        self.always_run.unwrap_or(true)
    }
}

/// What a filter says about one presubmit (Prow's `pjutil.Filter` result).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FilterOutcome {
    /// The filter selects the job (it is then checked with [`Presubmit::should_run`]).
    pub should_run: bool,
    /// Run regardless of the change filter.
    pub forced: bool,
    /// Run when the change filter cannot decide.
    pub defaults: bool,
}

/// Selects presubmits for a comment or event (Prow's `pjutil.Filter`).
pub trait Filter {
    /// The filter's verdict for one job.
    fn check(&self, presubmit: &Presubmit) -> FilterOutcome;
}

/// Jobs whose trigger matches the comment body, forced (Prow's `CommandFilter`).
#[derive(Clone, Debug)]
pub struct CommandFilter<'a> {
    /// The comment body.
    pub body: &'a str,
}

impl Filter for CommandFilter<'_> {
    fn check(&self, presubmit: &Presubmit) -> FilterOutcome {
        let matched = presubmit.trigger_matches(self.body);
        FilterOutcome {
            should_run: matched,
            forced: matched,
            defaults: true,
        }
    }
}

/// Every job that does not need an explicit trigger (Prow's `TestAllFilter`, for `/test all`
/// and `/ok-to-test`).
#[derive(Clone, Copy, Debug, Default)]
pub struct TestAllFilter;

impl Filter for TestAllFilter {
    fn check(&self, presubmit: &Presubmit) -> FilterOutcome {
        FilterOutcome {
            should_run: !presubmit.needs_explicit_trigger(),
            forced: false,
            defaults: false,
        }
    }
}

/// Prow's `RetestFilter` (and, with `required_only`, `RetestRequiredFilter`): jobs whose
/// context failed (run by default), plus jobs `/test all` would run that have not reported yet.
#[derive(Clone, Debug, Default)]
pub struct RetestFilter {
    /// Contexts currently failed (`failure` or `error`) on the PR head.
    pub failed_contexts: HashSet<String>,
    /// Every context currently reported on the PR head.
    pub all_contexts: HashSet<String>,
    /// Only required (non-optional) jobs (`/retest-required`).
    pub required_only: bool,
}

impl Filter for RetestFilter {
    fn check(&self, presubmit: &Presubmit) -> FilterOutcome {
        if self.required_only && presubmit.optional {
            return FilterOutcome::default();
        }
        let context = presubmit.reporter.context.as_str();
        let failed = self.failed_contexts.contains(context);
        let missing = !presubmit.needs_explicit_trigger() && !self.all_contexts.contains(context);
        FilterOutcome {
            should_run: failed || missing,
            forced: false,
            defaults: failed,
        }
    }
}

/// The first filter that selects a job decides (Prow's `AggregateFilter`).
pub struct AggregateFilter<'a> {
    /// Filters, most specific first.
    pub filters: Vec<Box<dyn Filter + 'a>>,
}

impl Filter for AggregateFilter<'_> {
    fn check(&self, presubmit: &Presubmit) -> FilterOutcome {
        self.filters
            .iter()
            .map(|f| f.check(presubmit))
            .find(|outcome| outcome.should_run)
            .unwrap_or_default()
    }
}

/// Builds the filter for a PR comment as Prow's `PresubmitFilter` does: the comment's own
/// triggers, then `/retest` (failed and missing contexts, from `contexts`), then `/test all` or
/// (when `honor_ok_to_test`) `/ok-to-test`.
pub fn presubmit_filter<'a>(
    honor_ok_to_test: bool,
    contexts: impl FnOnce() -> (HashSet<String>, HashSet<String>),
    body: &'a str,
) -> AggregateFilter<'a> {
    let mut filters: Vec<Box<dyn Filter + 'a>> = vec![Box::new(CommandFilter { body })];
    let retest = RETEST_RE.is_match(body);
    let retest_required = RETEST_REQUIRED_RE.is_match(body);
    if retest || retest_required {
        let (failed_contexts, all_contexts) = contexts();
        filters.push(Box::new(RetestFilter {
            failed_contexts,
            all_contexts,
            required_only: !retest,
        }));
    }
    if (honor_ok_to_test && OK_TO_TEST_RE.is_match(body)) || TEST_ALL_RE.is_match(body) {
        filters.push(Box::new(TestAllFilter));
    }
    AggregateFilter { filters }
}

/// Prow's `FilterPresubmits`: the jobs a filter selects that should run on `branch` with
/// these changed files.
pub fn filter_presubmits<'p>(
    filter: &dyn Filter,
    changed_files: &[String],
    branch: &str,
    presubmits: &'p [Presubmit],
) -> Vec<&'p Presubmit> {
    presubmits
        .iter()
        .filter(|p| {
            let outcome = filter.check(p);
            outcome.should_run
                && p.should_run(branch, changed_files, outcome.forced, outcome.defaults)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::Reporter;

    fn brancher(branches: &[&str], skip: &[&str]) -> Brancher {
        Brancher {
            branches: branches.iter().map(|s| s.to_string()).collect(),
            skip_branches: skip.iter().map(|s| s.to_string()).collect(),
            ..Brancher::default()
        }
    }

    fn files(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn brancher_should_run() {
        // (branches, skip_branches, branch, expected) — Prow's `Brancher.ShouldRun` cases.
        let cases: &[(&[&str], &[&str], &str, bool)] = &[
            (&[], &[], "main", true),
            (&["master"], &[], "master", true),
            (&["master"], &[], "release-1.0", false),
            (&[], &["master"], "master", false),
            (&[], &["master"], "release-1.0", true),
            (&["release-.*"], &["release-1.5"], "release-1.5", false),
            (&["release-.*"], &["release-1.5"], "release-1.6", true),
            (&["^main$", "^release-"], &[], "release-2", true),
            // Prow does not anchor: `master` also matches `master-old`.
            (&["master"], &[], "master-old", true),
            (&["^master$"], &[], "master-old", false),
        ];
        for (branches, skip, branch, expected) in cases {
            assert_eq!(
                brancher(branches, skip).should_run(branch),
                *expected,
                "branches {branches:?} skip {skip:?} branch {branch}"
            );
        }
    }

    #[test]
    fn brancher_intersects() {
        /// (branches, skip_branches) of both filters, and whether they intersect.
        type Case<'a> = (
            &'a [&'a str],
            &'a [&'a str],
            &'a [&'a str],
            &'a [&'a str],
            bool,
        );
        let cases: &[Case<'_>] = &[
            (&[], &[], &["master"], &[], true),
            (&["master"], &[], &["master"], &[], true),
            (&["master"], &[], &["release"], &[], false),
            (&["master"], &[], &[], &["master"], false),
            (&["master"], &[], &[], &["release"], true),
            (&[], &["master"], &[], &["release"], true),
            // Branch lists are compared as strings, as in Prow.
            (&["release-.*"], &[], &["release-1.5"], &[], false),
        ];
        for (b1, s1, b2, s2, expected) in cases {
            let (a, b) = (brancher(b1, s1), brancher(b2, s2));
            assert_eq!(
                a.intersects(&b),
                *expected,
                "{b1:?}/{s1:?} vs {b2:?}/{s2:?}"
            );
            assert_eq!(
                b.intersects(&a),
                *expected,
                "{b2:?}/{s2:?} vs {b1:?}/{s1:?}"
            );
        }
    }

    #[test]
    fn change_matcher_should_run() {
        // (run_if_changed, skip_if_only_changed, changed files, (determined, should_run))
        type Case<'a> = (&'a str, &'a str, &'a [&'a str], (bool, bool));
        let cases: &[Case<'_>] = &[
            ("", "", &["a.go"], (false, false)),
            ("^docs/", "", &["docs/a.md"], (true, true)),
            ("^docs/", "", &["src/a.go"], (true, false)),
            ("^docs/", "", &["src/a.go", "docs/b.md"], (true, true)),
            ("^docs/", "", &[], (true, false)),
            ("", r"\.md$", &["a.md"], (true, false)),
            ("", r"\.md$", &["a.md", "b.go"], (true, true)),
            ("", r"\.md$", &[], (true, false)),
        ];
        for (run, skip, changed, expected) in cases {
            let matcher = RegexpChangeMatcher {
                run_if_changed: run.to_string(),
                skip_if_only_changed: skip.to_string(),
                re_changes: None,
            };
            assert_eq!(
                matcher.should_run(&files(changed)),
                *expected,
                "{run:?} {skip:?} {changed:?}"
            );
        }
    }

    fn presubmit(name: &str, always_run: bool, run_if_changed: &str, optional: bool) -> Presubmit {
        let mut p = Presubmit {
            always_run,
            optional,
            trigger: default_trigger_for(name),
            rerun_command: default_rerun_command_for(name),
            reporter: Reporter {
                context: name.to_string(),
                skip_report: false,
            },
            ..Presubmit::default()
        };
        p.base.name = name.to_string();
        p.change_matcher.run_if_changed = run_if_changed.to_string();
        p
    }

    #[test]
    fn presubmit_should_run() {
        let always = presubmit("a", true, "", false);
        let conditional = presubmit("c", false, "^src/", false);
        let manual = presubmit("m", false, "", false);
        // (job, changed, forced, defaults, expected)
        let cases: &[(&Presubmit, &[&str], bool, bool, bool)] = &[
            (&always, &[], false, false, true),
            (&conditional, &["src/x"], false, false, true),
            (&conditional, &["doc/x"], false, false, false),
            (&conditional, &["doc/x"], true, false, true),
            (&conditional, &["doc/x"], false, true, true),
            (&manual, &[], false, false, false),
            (&manual, &[], false, true, true),
        ];
        for (i, (job, changed, forced, defaults, expected)) in cases.iter().enumerate() {
            assert_eq!(
                job.should_run("main", &files(changed), *forced, *defaults),
                *expected,
                "case {i}"
            );
        }
        let mut branch_limited = presubmit("b", true, "", false);
        branch_limited.brancher.branches = vec!["^main$".into()];
        assert!(!branch_limited.should_run("dev", &[], true, true));
    }

    #[test]
    fn default_trigger_matches_prow_comments() {
        let job = presubmit("pull-test-infra-unit", false, "", false);
        for (body, expected) in [
            ("/test pull-test-infra-unit", true),
            ("/test pull-test-infra-unit,", true),
            ("/test foo pull-test-infra-unit bar", true),
            ("lgtm\n/test pull-test-infra-unit\nthanks", true),
            ("/test pull-test-infra-unit-extra", false),
            ("please /test pull-test-infra-unit", false),
            ("/test all", false),
        ] {
            assert_eq!(job.trigger_matches(body), expected, "{body:?}");
        }
    }

    #[test]
    fn postsubmit_should_run() {
        let mut job = Postsubmit::default();
        assert!(job.should_run("main", &[]), "always_run defaults to true");
        job.always_run = Some(false);
        assert!(!job.should_run("main", &[]));
        job.change_matcher.run_if_changed = "^src/".into();
        assert!(
            job.should_run("main", &files(&["src/a"])),
            "the change filter decides first"
        );
        assert!(!job.should_run("main", &files(&["doc/a"])));
        job.brancher.skip_branches = vec!["main".into()];
        assert!(!job.should_run("main", &files(&["src/a"])));
    }

    #[test]
    fn comment_filters_select_as_prow() {
        let jobs = vec![
            presubmit("always", true, "", false),
            presubmit("conditional", false, "^src/", false),
            presubmit("manual", false, "", false),
            presubmit("optional-always", true, "", true),
        ];
        let changed = files(&["src/main.go"]);
        let failed: HashSet<String> = ["manual".to_string()].into();
        let all: HashSet<String> = ["manual".to_string(), "always".to_string()].into();
        let run = |body: &str| -> Vec<&str> {
            let filter = presubmit_filter(false, || (failed.clone(), all.clone()), body);
            filter_presubmits(&filter, &changed, "main", &jobs)
                .into_iter()
                .map(|p| p.base.name.as_str())
                .collect()
        };
        assert_eq!(
            run("/test all"),
            ["always", "conditional", "optional-always"]
        );
        assert_eq!(run("/test manual"), ["manual"]);
        // Failed contexts, plus contexts that never reported of jobs that need no explicit
        // trigger; `/retest-required` leaves out optional jobs.
        assert_eq!(run("/retest"), ["conditional", "manual", "optional-always"]);
        assert_eq!(run("/retest-required"), ["conditional", "manual"]);
        assert_eq!(
            run("/ok-to-test"),
            Vec::<&str>::new(),
            "ok-to-test is honoured only when asked"
        );
        let filter = presubmit_filter(true, Default::default, "/ok-to-test");
        assert_eq!(filter_presubmits(&filter, &changed, "main", &jobs).len(), 3);
        assert!(run("nice change").is_empty());
    }
}
