//! The comment side of trigger: which text of a comment counts, which commands it holds
//! (`/test`, `/retest`, `/ok-to-test`, ...) and the `/test ?` help message — Prow's
//! `pkg/pjutil/help.go`, `filter.go` regexes and `plugins.FormatResponseRaw`.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use prow_config::Presubmit;
use regex::Regex;

fn regex(pattern: &str) -> Regex {
    Regex::new(pattern).expect("static regex")
}

/// `/test all`.
pub static TEST_ALL_RE: LazyLock<Regex> = LazyLock::new(|| regex(r"(?m)^/test all,?($|\s.*)"));
/// `/retest`.
pub static RETEST_RE: LazyLock<Regex> = LazyLock::new(|| regex(r"(?m)^/retest\s*$"));
/// `/retest-required`.
pub static RETEST_REQUIRED_RE: LazyLock<Regex> =
    LazyLock::new(|| regex(r"(?m)^/retest-required\s*$"));
/// `/ok-to-test`.
pub static OK_TO_TEST_RE: LazyLock<Regex> = LazyLock::new(|| regex(r"(?m)^/ok-to-test\s*$"));
/// `/ok-to-test cancel`.
pub static OK_TO_TEST_CANCEL_RE: LazyLock<Regex> =
    LazyLock::new(|| regex(r"(?m)^/ok-to-test cancel\s*$"));
static TEST_HELP_RE: LazyLock<Regex> = LazyLock::new(|| regex(r"(?m)^/test[ \t]*\?\s*$"));
static EMPTY_TEST_RE: LazyLock<Regex> = LazyLock::new(|| regex(r"(?m)^/test\s*$"));
static RETEST_WITH_TARGET_RE: LazyLock<Regex> = LazyLock::new(|| regex(r"(?m)^/retest[ \t]+\S+"));
static TEST_WITH_ANY_TARGET_RE: LazyLock<Regex> = LazyLock::new(|| regex(r"(?m)^/test[ \t]+\S+"));

const TEST_WITHOUT_TARGET_NOTE: &str = "The `/test` command needs one or more targets.\n";
const RETEST_WITH_TARGET_NOTE: &str = "The `/retest` command does not accept any targets.\n";
const TARGET_NOT_FOUND_NOTE: &str = "The specified target(s) for `/test` were not found.\n";
const NO_TEST_ALL_JOBS_NOTE: &str = "No jobs can be run with `/test all`.\n";

/// Prow's `plugins.AboutThisBotWithoutCommands`.
pub const ABOUT_THIS_BOT: &str = "Instructions for interacting with me using PR comments are \
available [here](https://git.k8s.io/community/contributors/guide/pull-requests.md).  If you \
have questions or suggestions related to my behavior, please file an issue against the \
[kubernetes-sigs/prow](https://github.com/kubernetes-sigs/prow/issues/new?title=Prow%20issue:) \
repository.";

/// Prow's `markdown.DropCodeBlock` pattern: a fence (```` ``` ```` or `~~~`) at the start of a
/// line up to the nearest closing fence alone on its line; an unclosed block stays.
static CODE_BLOCK_RE: LazyLock<Regex> =
    LazyLock::new(|| regex("(?msU)^```.*(\n```\n|\n```$)|(?msU)^~~~.*(\n~~~\n|\n~~~$)"));

/// Prow's `markdown.DropCodeBlock`: the comment without its fenced code blocks.
pub fn drop_code_blocks(body: &str) -> String {
    CODE_BLOCK_RE.replace_all(body, "").into_owned()
}

/// The text of a comment that commands are read from: fenced code blocks are dropped as
/// Prow does, and so are quoted lines (`> ...`), so quoting someone's `/test all` or showing it
/// in a code block starts nothing.
pub fn command_text(body: &str) -> String {
    drop_code_blocks(body)
        .split('\n')
        .filter(|line| !line.trim_start().starts_with('>'))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Whether the comment concerns trigger at all (Prow's `commentMatchesTrigger`): a known
/// command, a `/test` that may need a help answer, or a job's own trigger.
pub fn comment_matches_trigger(text: &str, presubmits: &[Presubmit]) -> bool {
    RETEST_RE.is_match(text)
        || RETEST_REQUIRED_RE.is_match(text)
        || OK_TO_TEST_RE.is_match(text)
        || OK_TO_TEST_CANCEL_RE.is_match(text)
        || TEST_ALL_RE.is_match(text)
        || may_need_help_comment(text)
        || presubmits.iter().any(|p| p.trigger_matches(text))
}

/// Prow's `MayNeedHelpComment`.
pub fn may_need_help_comment(text: &str) -> bool {
    EMPTY_TEST_RE.is_match(text)
        || RETEST_WITH_TARGET_RE.is_match(text)
        || TEST_WITH_ANY_TARGET_RE.is_match(text)
        || TEST_HELP_RE.is_match(text)
}

/// Prow's `ShouldRespondWithHelp`: `Some(note)` when the comment gets the job list as an
/// answer (`note` says why; empty for `/test ?`), given how many jobs it selected.
pub fn help_note(text: &str, selected: usize) -> Option<&'static str> {
    if TEST_HELP_RE.is_match(text) {
        Some("")
    } else if EMPTY_TEST_RE.is_match(text) {
        Some(TEST_WITHOUT_TARGET_NOTE)
    } else if RETEST_WITH_TARGET_RE.is_match(text) {
        Some(RETEST_WITH_TARGET_NOTE)
    } else if selected == 0 && TEST_ALL_RE.is_match(text) {
        Some(NO_TEST_ALL_JOBS_NOTE)
    } else if selected == 0 && TEST_WITH_ANY_TARGET_RE.is_match(text) {
        Some(TARGET_NOT_FOUND_NOTE)
    } else {
        None
    }
}

/// The jobs a PR may run, for the help message (Prow's `AvailablePresubmits`).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct AvailableJobs {
    /// Names of the jobs `/test all` runs.
    pub test_all: BTreeSet<String>,
    /// Rerun commands of optional jobs.
    pub optional_commands: BTreeSet<String>,
    /// Rerun commands of required jobs.
    pub required_commands: BTreeSet<String>,
}

/// Prow's `HelpMessage`.
pub fn help_message(
    org: &str,
    repo: &str,
    branch: &str,
    note: &str,
    jobs: &AvailableJobs,
) -> String {
    let total = jobs.test_all.len() + jobs.optional_commands.len() + jobs.required_commands.len();
    if total == 0 {
        return format!("No presubmit jobs available for {org}/{repo}@{branch}");
    }
    let list = |names: &BTreeSet<String>| -> String {
        names.iter().map(|name| format!("\n* `{name}`")).collect()
    };
    let mut resp = note.to_string();
    if !jobs.required_commands.is_empty() {
        resp.push_str(&format!(
            "The following commands are available to trigger required jobs:{}\n\n",
            list(&jobs.required_commands)
        ));
    }
    if !jobs.optional_commands.is_empty() {
        resp.push_str(&format!(
            "The following commands are available to trigger optional jobs:{}\n\n",
            list(&jobs.optional_commands)
        ));
    }
    if jobs.test_all.len() == jobs.optional_commands.len() + jobs.required_commands.len() {
        resp.push_str("Use `/test all` to run all jobs.\n");
    } else if !jobs.test_all.is_empty() {
        resp.push_str(&format!(
            "Use `/test all` to run the following jobs that were automatically triggered:{}\n\n",
            list(&jobs.test_all)
        ));
    }
    resp
}

/// Whether a comment is a trigger help message (Prow's `IsHelpComment`).
pub fn is_help_comment(body: &str) -> bool {
    (body.contains("The following commands are available to trigger")
        || body.contains("No presubmit jobs available for"))
        && body.contains("In response to [this]")
}

/// Prow's `plugins.FormatResponseRaw`: `@login: reply`, with the comment quoted in a
/// `<details>` block.
pub fn format_response(body: &str, url: &str, login: &str, reply: &str) -> String {
    let quoted: Vec<String> = body.split('\n').map(|l| format!(">{l}")).collect();
    let reason = format!("In response to [this]({url}):\n\n{}\n", quoted.join("\n"));
    format!("@{login}: {reply}\n\n<details>\n\n{reason}\n\n{ABOUT_THIS_BOT}\n</details>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_blocks_are_dropped_as_prow_does() {
        // Prow's `pkg/markdown/code_block_test.go` cases.
        let stay = "should stay\nthis one should stay as well\nand this one too\n";
        let block = "```\nshould be filtered out\nthis one should be filtered out as well\n```\n";
        let with_language = "```shell\nshould be filtered out\n```\n";
        let tilde = block.replace("```", "~~~");
        let cases: Vec<(String, String)> = vec![
            ("should stay".into(), "should stay".into()),
            (stay.into(), stay.into()),
            ("```\nshould be filtered out\n```".into(), "".into()),
            (block.into(), "".into()),
            (tilde.clone(), "".into()),
            (format!("{stay}{block}{stay}"), format!("{stay}{stay}")),
            (block.repeat(3) + &block[..block.len() - 1], "".into()),
            (
                format!("should stay\n{block}{with_language}{stay}{tilde}{stay}{with_language}"),
                format!("should stay\n{stay}{stay}"),
            ),
            // Not a block: text after the closing fence, or no closing fence.
            (
                "```\nthis one is here to stay\n``` extra text".into(),
                "```\nthis one is here to stay\n``` extra text".into(),
            ),
            (
                "```\nthis one is here to stay".into(),
                "```\nthis one is here to stay".into(),
            ),
        ];
        for (body, want) in cases {
            assert_eq!(drop_code_blocks(&body), want, "{body:?}");
        }
    }

    #[test]
    fn command_text_drops_code_blocks_and_quotes() {
        let cases = [
            ("/test all", "/test all"),
            ("```\n/test all\n```\n/retest", "/retest"),
            ("~~~sh\n/retest\n~~~", ""),
            ("> /test all\nthanks", "thanks"),
            ("hello\n/retest\n", "hello\n/retest\n"),
        ];
        for (body, want) in cases {
            assert_eq!(command_text(body), want, "{body:?}");
        }
    }

    #[test]
    fn comment_commands_match() {
        let cases: &[(&str, bool)] = &[
            ("/retest", true),
            ("/retest-required", true),
            ("/ok-to-test", true),
            ("/ok-to-test cancel", true),
            ("/test all", true),
            ("/test ?", true),
            ("/test", true),
            ("/test foo", true),
            ("please /retest", false),
            ("/lgtm", false),
            ("/testing", false),
        ];
        for (text, want) in cases {
            assert_eq!(comment_matches_trigger(text, &[]), *want, "{text}");
        }
    }

    #[test]
    fn help_notes() {
        let cases: &[(&str, usize, Option<&str>)] = &[
            ("/test ?", 3, Some("")),
            ("/test", 0, Some(TEST_WITHOUT_TARGET_NOTE)),
            ("/retest foo", 0, Some(RETEST_WITH_TARGET_NOTE)),
            ("/test all", 0, Some(NO_TEST_ALL_JOBS_NOTE)),
            ("/test all", 2, None),
            ("/test nope", 0, Some(TARGET_NOT_FOUND_NOTE)),
            ("/test unit", 1, None),
            ("/retest", 0, None),
        ];
        for (text, selected, want) in cases {
            assert_eq!(help_note(text, *selected), *want, "{text}");
        }
    }

    #[test]
    fn help_message_lists_jobs() {
        let set = |names: &[&str]| names.iter().map(|s| s.to_string()).collect();
        let jobs = AvailableJobs {
            test_all: set(&["unit"]),
            optional_commands: set(&["/test lint"]),
            required_commands: set(&["/test unit"]),
        };
        let message = help_message("o", "r", "main", "", &jobs);
        assert_eq!(
            message,
            "The following commands are available to trigger required jobs:\n* `/test unit`\n\n\
             The following commands are available to trigger optional jobs:\n* `/test lint`\n\n\
             Use `/test all` to run the following jobs that were automatically triggered:\n* `unit`\n\n"
        );
        assert_eq!(
            help_message("o", "r", "main", "", &AvailableJobs::default()),
            "No presubmit jobs available for o/r@main"
        );
        let all = AvailableJobs {
            test_all: set(&["unit"]),
            required_commands: set(&["/test unit"]),
            ..AvailableJobs::default()
        };
        assert!(
            help_message("o", "r", "main", "note\n", &all)
                .ends_with("Use `/test all` to run all jobs.\n")
        );
    }

    #[test]
    fn responses_quote_the_comment() {
        let response = format_response("/test ?\nplease", "https://x/1", "alice", "help");
        assert!(response.starts_with("@alice: help\n\n<details>\n\nIn response to [this](https://x/1):\n\n>/test ?\n>please\n"));
        assert!(response.ends_with("</details>"));
        let help = format_response(
            "/test ?",
            "u",
            "a",
            &help_message("o", "r", "m", "", &AvailableJobs::default()),
        );
        assert!(is_help_comment(&help));
        assert!(!is_help_comment(
            "The following commands are available to trigger"
        ));
    }
}
