//! The one summary comment per pull request that lists the failed jobs (Prow's
//! `ReportComment`, `parseIssueComments`, `createEntry`, `createComment`): its table rows are
//! read back from the bot's previous comment, updated with the jobs being reported, and the
//! comment is edited, created or deleted accordingly. Pure functions.
//!
//! One difference from Prow, on purpose: Prow deletes its comment and posts a new one when a
//! new failure arrives; here the comment is edited in place (one comment per PR, one write).

use prow_api::{ProwJob, ProwJobState, ProwJobType, labels};

/// The marker Prow puts at the end of its report comments (`CommentTag`).
pub const COMMENT_TAG: &str = "<!-- test report -->";

/// Prow's `plugins.AboutThisBot`.
pub const ABOUT_THIS_BOT: &str = "Instructions for interacting with me using PR comments are \
available [here](https://git.k8s.io/community/contributors/guide/pull-requests.md).  If you \
have questions or suggestions related to my behavior, please file an issue against the \
[kubernetes-sigs/prow](https://github.com/kubernetes-sigs/prow/issues/new?title=Prow%20issue:) \
repository. I understand the commands that are listed [here](https://go.k8s.io/bot-commands).";

/// What the comment needs to know about one finished job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobResult {
    /// The status context (the table's key).
    pub context: String,
    /// The job's state.
    pub state: ProwJobState,
    /// The PR head SHA the job tested.
    pub sha: String,
    /// Link to the job's results.
    pub url: String,
    /// `true`/`false` for presubmits with the `prow.k8s.io/is-optional` label, else
    /// `unknown` (Prow's `createEntry`).
    pub required: String,
    /// The comment that reruns the job.
    pub rerun_command: String,
    /// The PR author, mentioned at the top of the comment.
    pub author: String,
}

impl JobResult {
    /// The fields of `job` the comment shows; `None` unless the job tests exactly one PR.
    pub fn of(job: &ProwJob) -> Option<JobResult> {
        let refs = job.spec.refs.as_ref()?;
        let [pull] = refs.pulls.as_slice() else {
            return None;
        };
        let status = job.status.as_ref()?;
        let mut required = "unknown".to_string();
        if job.spec.job_type == ProwJobType::Presubmit
            && let Some(optional) = job
                .metadata
                .labels
                .as_ref()
                .and_then(|labels| labels.get(labels::IS_OPTIONAL))
                .and_then(|value| parse_go_bool(value))
        {
            required = (!optional).to_string();
        }
        Some(JobResult {
            context: job.spec.context.clone(),
            state: status.state,
            sha: pull.sha.clone(),
            url: status.url.clone(),
            required,
            rerun_command: job.spec.rerun_command.clone(),
            author: pull.author.clone(),
        })
    }

    /// The job's table row (Prow's `createEntry`).
    pub fn entry(&self) -> String {
        [
            self.context.clone(),
            self.sha.clone(),
            format!("[link]({})", self.url),
            self.required.clone(),
            format!("`{}`", self.rerun_command),
        ]
        .join(" | ")
    }
}

/// Go's `strconv.ParseBool`.
fn parse_go_bool(value: &str) -> Option<bool> {
    match value {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

/// An existing PR comment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExistingComment {
    /// Comment id.
    pub id: u64,
    /// Author login.
    pub login: String,
    /// Text.
    pub body: String,
}

/// What to write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CommentWrite {
    /// Post a new comment with this text.
    Create(String),
    /// Replace the text of comment `id`.
    Edit {
        /// The comment to edit.
        id: u64,
        /// The new text.
        body: String,
    },
}

/// The changes to make to the PR's comments.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CommentPlan {
    /// Comments to delete (older duplicates, or the report once nothing fails).
    pub delete: Vec<u64>,
    /// The comment to create or edit, if any.
    pub write: Option<CommentWrite>,
}

/// Whether `login` is the bot `bot` (a GitHub App's comments are authored by `<slug>[bot]`,
/// which may be named with or without the suffix).
pub fn is_bot(login: &str, bot: &str) -> bool {
    let strip = |name: &str| name.strip_suffix("[bot]").unwrap_or(name).to_string();
    !login.is_empty() && strip(login) == strip(bot)
}

/// Plans the summary comment for `jobs` (finished jobs of one PR; all of its jobs when
/// `must_create`, Prow's `summary_comment_repos` mode, where an "all passed" comment is posted
/// unless a job was aborted) given the PR's `comments` and the bot's login.
pub fn plan_comment(
    jobs: &[JobResult],
    comments: &[ExistingComment],
    bot: &str,
    must_create: bool,
) -> CommentPlan {
    let Some(first) = jobs.first() else {
        return CommentPlan::default();
    };
    let mut delete = Vec::new();
    let mut latest: Option<&ExistingComment> = None;
    let mut old_entries: Vec<String> = Vec::new();
    for comment in comments {
        if !is_bot(&comment.login, bot) || !comment.body.contains(COMMENT_TAG) {
            continue;
        }
        if let Some(previous) = latest {
            delete.push(previous.id);
        }
        latest = Some(comment);
        old_entries.extend(table_rows(&comment.body));
    }
    // Keep the newest row per context, and none for a context being reported now.
    let mut entries: Vec<String> = Vec::new();
    for (i, entry) in old_entries.iter().enumerate() {
        let key = entry_context(entry);
        let newer = old_entries[i + 1..]
            .iter()
            .any(|later| entry_context(later) == key);
        let reported = jobs.iter().any(|job| job.context == key);
        if !newer && !reported {
            entries.push(entry.clone());
        }
    }
    entries.extend(
        jobs.iter()
            .filter(|job| job.state == ProwJobState::Failure)
            .map(JobResult::entry),
    );
    if entries.is_empty()
        && let Some(comment) = latest.take()
    {
        delete.push(comment.id);
    }
    let aborted = jobs.iter().any(|job| job.state == ProwJobState::Aborted);
    let write = if !entries.is_empty() || (must_create && !aborted) {
        let body = render_comment(&first.author, &entries);
        match latest {
            Some(comment) if comment.body == body => None,
            Some(comment) => Some(CommentWrite::Edit {
                id: comment.id,
                body,
            }),
            None => Some(CommentWrite::Create(body)),
        }
    } else {
        None
    };
    CommentPlan { delete, write }
}

/// The jobs of `job`'s PR that the summary comment covers (Prow's `pjsToReport`): every
/// ProwJob with the same org, repo and pull labels, the newest run of each job name among those
/// with `report` set; none while any of them is still running.
pub fn summary_jobs(all: &[std::sync::Arc<ProwJob>], job: &ProwJob) -> Vec<ProwJob> {
    let label = |pj: &ProwJob, key: &str| {
        pj.metadata
            .labels
            .as_ref()
            .and_then(|labels| labels.get(key))
            .cloned()
    };
    let keys = [labels::REFS_ORG, labels::REFS_REPO, labels::REFS_PULL];
    let wanted: Vec<Option<String>> = keys.iter().map(|key| label(job, key)).collect();
    let mut latest: std::collections::BTreeMap<&str, &ProwJob> = std::collections::BTreeMap::new();
    for candidate in all {
        let same_pull = keys
            .iter()
            .zip(&wanted)
            .all(|(key, want)| label(candidate, key) == *want);
        if !same_pull {
            continue;
        }
        if !candidate.is_complete() {
            return Vec::new();
        }
        if !candidate.spec.report {
            continue;
        }
        let created = |pj: &ProwJob| pj.metadata.creation_timestamp.as_ref().map(|t| t.0);
        let newer = latest
            .get(candidate.spec.job.as_str())
            .is_none_or(|existing| created(candidate) > created(existing));
        if newer {
            latest.insert(candidate.spec.job.as_str(), candidate);
        }
    }
    latest.into_values().cloned().collect()
}

/// The rows of the failed-jobs table of a report comment: trimmed lines after a line starting
/// with `---`, up to the next empty line.
fn table_rows(body: &str) -> Vec<String> {
    let mut rows = Vec::new();
    let mut tracking = false;
    for line in body.split('\n') {
        let line = line.trim();
        if line.starts_with("---") {
            tracking = true;
        } else if line.is_empty() {
            tracking = false;
        } else if tracking {
            rows.push(line.to_string());
        }
    }
    rows
}

fn entry_context(entry: &str) -> &str {
    entry.split(" | ").next().unwrap_or(entry)
}

/// The comment text (Prow's `createComment`, without `plank.report_templates`).
pub fn render_comment(author: &str, entries: &[String]) -> String {
    let plural = if entries.len() > 1 { "s" } else { "" };
    let mut lines: Vec<String> = if entries.is_empty() {
        vec![format!("@{author}: all tests **passed!**"), String::new()]
    } else {
        vec![
            format!(
                "@{author}: The following test{plural} **failed**, say `/retest` to rerun all failed tests or `/retest-required` to rerun all mandatory failed tests:"
            ),
            String::new(),
            "Test name | Commit | Details | Required | Rerun command".to_string(),
            "--- | --- | --- | --- | ---".to_string(),
        ]
    };
    lines.extend(entries.iter().cloned());
    lines.extend(
        [
            "",
            "<details>",
            "",
            ABOUT_THIS_BOT,
            "</details>",
            COMMENT_TAG,
        ]
        .map(str::to_string),
    );
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(context: &str, state: ProwJobState, sha: &str) -> JobResult {
        JobResult {
            context: context.into(),
            state,
            sha: sha.into(),
            url: format!("https://prow.example.com/{context}"),
            required: "true".into(),
            rerun_command: format!("/test {context}"),
            author: "carol".into(),
        }
    }

    fn bot_comment(id: u64, body: String) -> ExistingComment {
        ExistingComment {
            id,
            login: "prow-rs-bot".into(),
            body,
        }
    }

    #[test]
    fn renders_prow_format() {
        let unit = result("unit", ProwJobState::Failure, "abc");
        let body = render_comment("carol", &[unit.entry()]);
        let want_start = "@carol: The following test **failed**, say `/retest` to rerun all failed tests or `/retest-required` to rerun all mandatory failed tests:\n\nTest name | Commit | Details | Required | Rerun command\n--- | --- | --- | --- | ---\nunit | abc | [link](https://prow.example.com/unit) | true | `/test unit`\n\n<details>\n\n";
        assert!(body.starts_with(want_start), "{body}");
        assert!(body.ends_with("</details>\n<!-- test report -->"));
        let two = render_comment("carol", &["a".into(), "b".into()]);
        assert!(two.contains("following tests **failed**"));
        assert!(
            render_comment("carol", &[])
                .starts_with("@carol: all tests **passed!**\n\n\n<details>")
        );
    }

    #[test]
    fn reads_rows_back() {
        let body = render_comment(
            "carol",
            &[
                result("unit", ProwJobState::Failure, "abc").entry(),
                result("lint", ProwJobState::Failure, "abc").entry(),
            ],
        );
        let rows = table_rows(&body);
        assert_eq!(rows.len(), 2);
        assert_eq!(entry_context(&rows[1]), "lint");
    }

    #[test]
    fn plans_create_edit_delete() {
        let unit_failed = result("unit", ProwJobState::Failure, "abc");
        let lint_failed = result("lint", ProwJobState::Failure, "abc");
        let unit_passed = result("unit", ProwJobState::Success, "abc");
        let lint_passed = result("lint", ProwJobState::Success, "abc");
        let one = render_comment("carol", &[unit_failed.entry()]);
        let two = render_comment("carol", &[unit_failed.entry(), lint_failed.entry()]);
        let lint_only = render_comment("carol", &[lint_failed.entry()]);
        let human = ExistingComment {
            id: 1,
            login: "carol".into(),
            body: format!("quoting {COMMENT_TAG}"),
        };
        let cases: Vec<(&str, Vec<JobResult>, Vec<ExistingComment>, CommentPlan)> = vec![
            (
                "first failure creates",
                vec![unit_failed.clone()],
                vec![human.clone()],
                CommentPlan {
                    delete: vec![],
                    write: Some(CommentWrite::Create(one.clone())),
                },
            ),
            (
                "second failure edits in place",
                vec![lint_failed.clone()],
                vec![bot_comment(7, one.clone())],
                CommentPlan {
                    delete: vec![],
                    write: Some(CommentWrite::Edit {
                        id: 7,
                        body: two.clone(),
                    }),
                },
            ),
            (
                "same failure again writes nothing",
                vec![unit_failed.clone()],
                vec![bot_comment(7, one.clone())],
                CommentPlan::default(),
            ),
            (
                "a rerun passing drops its row",
                vec![unit_passed.clone()],
                vec![bot_comment(7, two.clone())],
                CommentPlan {
                    delete: vec![],
                    write: Some(CommentWrite::Edit {
                        id: 7,
                        body: lint_only.clone(),
                    }),
                },
            ),
            (
                "everything passing deletes",
                vec![lint_passed.clone()],
                vec![bot_comment(7, lint_only.clone())],
                CommentPlan {
                    delete: vec![7],
                    write: None,
                },
            ),
            (
                "older duplicates are deleted",
                vec![unit_failed.clone()],
                vec![
                    bot_comment(3, lint_only.clone()),
                    bot_comment(7, one.clone()),
                ],
                CommentPlan {
                    delete: vec![3],
                    write: Some(CommentWrite::Edit {
                        id: 7,
                        body: render_comment("carol", &[lint_failed.entry(), unit_failed.entry()]),
                    }),
                },
            ),
            (
                "nothing failed and no comment: nothing",
                vec![unit_passed.clone()],
                vec![human],
                CommentPlan::default(),
            ),
        ];
        for (name, jobs, comments, want) in cases {
            assert_eq!(
                plan_comment(&jobs, &comments, "prow-rs-bot", false),
                want,
                "{name}"
            );
        }
    }

    #[test]
    fn summary_mode_posts_all_passed_unless_aborted() {
        let passed = result("unit", ProwJobState::Success, "abc");
        let aborted = result("lint", ProwJobState::Aborted, "abc");
        let plan = plan_comment(std::slice::from_ref(&passed), &[], "prow-rs-bot", true);
        assert_eq!(
            plan.write,
            Some(CommentWrite::Create(render_comment("carol", &[])))
        );
        let plan = plan_comment(&[passed, aborted], &[], "prow-rs-bot", true);
        assert_eq!(plan, CommentPlan::default());
    }

    #[test]
    fn bots_are_recognised_with_or_without_the_app_suffix() {
        assert!(is_bot("prow-rs-app[bot]", "prow-rs-app[bot]"));
        assert!(is_bot("prow-rs-app[bot]", "prow-rs-app"));
        assert!(is_bot("prow-rs-bot", "prow-rs-bot"));
        assert!(!is_bot("carol", "prow-rs-bot"));
        assert!(!is_bot("", ""));
    }

    #[test]
    fn required_column_follows_the_optional_label() {
        use prow_api::{ProwJobSpec, ProwJobStatus, Pull, Refs};
        let mut job = ProwJob::new(
            "x",
            ProwJobSpec {
                refs: Some(Refs {
                    pulls: vec![Pull {
                        number: 1,
                        sha: "abc".into(),
                        author: "carol".into(),
                        ..Pull::default()
                    }],
                    ..Refs::default()
                }),
                ..ProwJobSpec::new(ProwJobType::Presubmit, "unit")
            },
        );
        job.status = Some(ProwJobStatus::new(ProwJobState::Failure));
        let cases = [
            (None, "unknown"),
            (Some("true"), "false"),
            (Some("false"), "true"),
            (Some("maybe"), "unknown"),
        ];
        for (label, want) in cases {
            job.metadata.labels =
                label.map(|value| [(labels::IS_OPTIONAL.to_string(), value.to_string())].into());
            assert_eq!(
                JobResult::of(&job).map(|r| r.required),
                Some(want.to_string()),
                "{label:?}"
            );
        }
    }
}
