//! `pull_request` events (Prow's `trigger/pull-request.go`).

use std::collections::BTreeMap;

use prow_config::{Presubmit, TestAllFilter};
use prow_github::types::PullRequest;
use prow_github::webhook::events::{PullRequestAction, PullRequestEvent};

use super::comment_commands::ABOUT_THIS_BOT;
use super::job_selection::{candidates, decide};
use super::trust::{
    LGTM, NEEDS_OK_TO_TEST, OK_TO_TEST, has_label, is_bot, trusted_pull_request, trusted_user,
};
use super::{TriggerContext, TriggerError, github_err};

/// Prow's comment on a draft PR opened by a trusted author.
pub const DRAFT_MESSAGE: &str = "Skipping CI for Draft Pull Request.\nIf you want CI signal for \
your change, please convert it to an actual PR.\nYou can still manually trigger a test run with \
`/test all`";

/// `org` and `repo` of the PR's base repository (the event's repository as a fallback).
fn org_repo(event: &PullRequestEvent) -> (String, String) {
    match &event.pull_request.base.repo {
        Some(base) if !base.name.is_empty() && !base.owner.login.is_empty() => {
            (base.owner.login.clone(), base.name.clone())
        }
        _ => (
            event.repository.owner.login.clone(),
            event.repository.name.clone(),
        ),
    }
}

/// Handles one `pull_request` event.
///
/// # Errors
/// A GitHub call or a ProwJob write failed.
pub async fn handle(
    ctx: &TriggerContext<'_>,
    event: &PullRequestEvent,
) -> Result<(), TriggerError> {
    let (org, repo) = org_repo(event);
    let presubmits = ctx
        .loaded
        .config
        .jobs
        .presubmits_for(&format!("{org}/{repo}"));
    if presubmits.is_empty() {
        return Ok(());
    }
    let pr = &event.pull_request;
    let author = pr.user.login.as_str();
    match event.action {
        PullRequestAction::Opened => {
            let trusted = trusted_user(
                ctx.github,
                &ctx.settings,
                ctx.bot_login,
                author,
                &org,
                &repo,
            )
            .await
            .map_err(github_err("check trust"))?;
            if trusted {
                if pr.draft {
                    tracing::info!(org, repo, pr = pr.number, "skipping all jobs for draft PR");
                    ctx.github
                        .create_issue_comment(&org, &repo, pr.number, DRAFT_MESSAGE)
                        .await
                        .map_err(github_err("comment on draft PR"))?;
                    return Ok(());
                }
                build_all_but_drafts(ctx, &org, &repo, pr, presubmits).await
            } else {
                welcome(ctx, &org, &repo, pr).await
            }
        }
        PullRequestAction::Reopened | PullRequestAction::ReadyForReview => {
            build_all_if_trusted(ctx, &org, &repo, pr, presubmits).await
        }
        PullRequestAction::Edited => {
            let base_changed = event.previous_base_ref().is_some_and(|r| !r.is_empty())
                || event
                    .changes
                    .as_ref()
                    .and_then(|c| c.pointer("/base/sha/from"))
                    .and_then(|v| v.as_str())
                    .is_some_and(|s| !s.is_empty());
            if base_changed {
                build_all_if_trusted(ctx, &org, &repo, pr, presubmits).await
            } else {
                Ok(())
            }
        }
        PullRequestAction::Synchronize => {
            let mut errors = Vec::new();
            if let Err(e) = ctx
                .writer
                .abort_pull_request_jobs(&org, &repo, pr.number)
                .await
            {
                errors.push(e.into());
            }
            if let Err(e) = build_all_if_trusted(ctx, &org, &repo, pr, presubmits).await {
                errors.push(e);
            }
            TriggerError::aggregate(errors)
        }
        PullRequestAction::Labeled => {
            let label = event.label.as_ref().map(|l| l.name.as_str()).unwrap_or("");
            if label == LGTM {
                let (_, trusted) = trusted_pull_request(
                    ctx.github,
                    &ctx.settings,
                    ctx.bot_login,
                    author,
                    &org,
                    &repo,
                    pr.number,
                )
                .await
                .map_err(github_err("check trust"))?;
                if !trusted {
                    tracing::info!(
                        org,
                        repo,
                        pr = pr.number,
                        "starting jobs for untrusted PR with lgtm"
                    );
                    return build_all_but_drafts(ctx, &org, &repo, pr, presubmits).await;
                }
            }
            if label == OK_TO_TEST {
                // When the bot adds the label for an `/ok-to-test` comment, the comment's
                // event starts the jobs.
                if is_bot(ctx.bot_login, &event.sender.login) {
                    return Ok(());
                }
                return build_all_but_drafts(ctx, &org, &repo, pr, presubmits).await;
            }
            Ok(())
        }
        PullRequestAction::Closed | PullRequestAction::ConvertedToDraft => {
            ctx.writer
                .abort_pull_request_jobs(&org, &repo, pr.number)
                .await?;
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Prow's `buildAllIfTrusted`: for a trusted PR, drop `needs-ok-to-test` and start the jobs.
async fn build_all_if_trusted(
    ctx: &TriggerContext<'_>,
    org: &str,
    repo: &str,
    pr: &PullRequest,
    presubmits: &[Presubmit],
) -> Result<(), TriggerError> {
    let (labels, trusted) = trusted_pull_request(
        ctx.github,
        &ctx.settings,
        ctx.bot_login,
        &pr.user.login,
        org,
        repo,
        pr.number,
    )
    .await
    .map_err(github_err("check trust"))?;
    if !trusted {
        return Ok(());
    }
    if labels.is_some_and(|l| has_label(&l, NEEDS_OK_TO_TEST)) {
        ctx.github
            .remove_label(org, repo, pr.number, NEEDS_OK_TO_TEST)
            .await
            .map_err(github_err("remove label"))?;
    }
    build_all_but_drafts(ctx, org, repo, pr, presubmits).await
}

/// Prow's `buildAllButDrafts`: every job `/test all` would run, unless the PR is a draft.
async fn build_all_but_drafts(
    ctx: &TriggerContext<'_>,
    org: &str,
    repo: &str,
    pr: &PullRequest,
    presubmits: &[Presubmit],
) -> Result<(), TriggerError> {
    if pr.draft {
        tracing::info!(org, repo, pr = pr.number, "skipping all jobs for draft PR");
        return Ok(());
    }
    let branch = pr.base.git_ref.as_str();
    let (picked, needs_files) = candidates(&TestAllFilter, branch, presubmits);
    if picked.is_empty() {
        return Ok(());
    }
    let files = if needs_files {
        changed_files(ctx, org, repo, pr.number).await?
    } else {
        Vec::new()
    };
    let jobs = decide(&picked, branch, &files);
    if jobs.is_empty() {
        return Ok(());
    }
    let base_sha = ctx.base_sha(org, repo, branch).await?;
    ctx.run_requested(org, repo, pr, &base_sha, &jobs, &BTreeMap::new())
        .await?;
    Ok(())
}

/// The files a PR changes.
pub(super) async fn changed_files(
    ctx: &TriggerContext<'_>,
    org: &str,
    repo: &str,
    number: u64,
) -> Result<Vec<String>, TriggerError> {
    let files = ctx
        .github
        .list_pull_request_files(org, repo, number)
        .await
        .map_err(github_err("list pull request files"))?;
    Ok(files.into_iter().map(|f| f.filename).collect())
}

/// Percent-encodes `org/repo` as Go's `url.QueryEscape` does.
fn query_escape(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            b' ' => "+".to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// Prow's welcome message for a PR from an untrusted author.
pub fn welcome_message(
    settings: &prow_config::Trigger,
    org: &str,
    repo: &str,
    author: &str,
) -> String {
    let encoded_repo = query_escape(&format!("{org}/{repo}"));
    if settings.ignore_ok_to_test {
        return format!(
            "Hi @{author}. Thanks for your PR.\n\nPRs from untrusted users cannot be marked as \
             trusted with `/ok-to-test` in this repo meaning untrusted PR authors can never \
             trigger tests themselves. Collaborators can still trigger tests on the PR using \
             `/test all`.\n\nI understand the commands that are listed \
             [here](https://go.k8s.io/bot-commands?repo={encoded_repo}).\n\n<details>\n\n\
             {ABOUT_THIS_BOT}\n</details>\n"
        );
    }
    let more = if !settings.trusted_org.is_empty() && settings.trusted_org != org {
        format!(
            "or [{0}](https://github.com/orgs/{0}/people) ",
            settings.trusted_org
        )
    } else {
        String::new()
    };
    let join_org_url = if settings.join_org_url.is_empty() {
        format!("https://github.com/orgs/{org}/people")
    } else {
        settings.join_org_url.clone()
    };
    format!(
        "Hi @{author}. Thanks for your PR.\n\nI'm waiting for a \
         [{org}](https://github.com/orgs/{org}/people) {more}member to verify that this patch is \
         reasonable to test. If it is, they should reply with `/ok-to-test` on its own line. \
         Until that is done, I will not automatically test new commits in this PR, but the usual \
         testing commands by org members will still work. Regular contributors should [join the \
         org]({join_org_url}) to skip this step.\n\nOnce the patch is verified, the new status \
         will be reflected by the `{OK_TO_TEST}` label.\n\nI understand the commands that are \
         listed [here](https://go.k8s.io/bot-commands?repo={encoded_repo}).\n\n<details>\n\n\
         {ABOUT_THIS_BOT}\n</details>\n"
    )
}

/// Prow's `welcomeMsg`: `needs-ok-to-test` (unless `ok-to-test` is already there or
/// `/ok-to-test` is ignored) and the welcome comment.
async fn welcome(
    ctx: &TriggerContext<'_>,
    org: &str,
    repo: &str,
    pr: &PullRequest,
) -> Result<(), TriggerError> {
    let mut errors = Vec::new();
    if !ctx.settings.ignore_ok_to_test {
        match ctx.github.list_issue_labels(org, repo, pr.number).await {
            Ok(labels) if !has_label(&labels, OK_TO_TEST) => {
                if let Err(e) = ctx
                    .github
                    .add_labels(org, repo, pr.number, &[NEEDS_OK_TO_TEST.to_string()])
                    .await
                {
                    errors.push(github_err("add label")(e));
                }
            }
            Ok(_) => {}
            Err(e) => errors.push(github_err("list labels")(e)),
        }
    }
    let message = welcome_message(&ctx.settings, org, repo, &pr.user.login);
    if let Err(e) = ctx
        .github
        .create_issue_comment(org, repo, pr.number, &message)
        .await
    {
        errors.push(github_err("welcome comment")(e));
    }
    TriggerError::aggregate(errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn welcome_messages() {
        let mut settings = prow_config::Trigger::default();
        let plain = welcome_message(&settings, "kubernetes", "test-infra", "newbie");
        assert!(plain.starts_with("Hi @newbie. Thanks for your PR.\n\nI'm waiting for a [kubernetes](https://github.com/orgs/kubernetes/people) member to verify"), "{plain}");
        assert!(plain.contains("[join the org](https://github.com/orgs/kubernetes/people)"));
        assert!(plain.contains("https://go.k8s.io/bot-commands?repo=kubernetes%2Ftest-infra"));
        assert!(plain.contains("reflected by the `ok-to-test` label"));

        settings.trusted_org = "kubernetes-sigs".into();
        settings.join_org_url = "https://example.com/join".into();
        let more = welcome_message(&settings, "kubernetes", "test-infra", "newbie");
        assert!(more.contains("[kubernetes](https://github.com/orgs/kubernetes/people) or [kubernetes-sigs](https://github.com/orgs/kubernetes-sigs/people) member"), "{more}");
        assert!(more.contains("[join the org](https://example.com/join)"));

        settings.ignore_ok_to_test = true;
        let ignored = welcome_message(&settings, "kubernetes", "test-infra", "newbie");
        assert!(ignored.contains("cannot be marked as trusted with `/ok-to-test`"));
        assert!(!ignored.contains("waiting for"));
    }

    #[test]
    fn query_escaping() {
        assert_eq!(query_escape("o/r"), "o%2Fr");
        assert_eq!(query_escape("a b.c-d_e~"), "a+b.c-d_e~");
    }
}
