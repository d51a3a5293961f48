//! Who trigger trusts (Prow's `TrustedUser` and `TrustedPullRequest`): the bot itself, members
//! of the repository's org, collaborators (unless `only_org_members`), `trusted_apps`, members
//! of `trusted_org`; and a PR is trusted when its author is, or when it has `ok-to-test`.

use prow_config::Trigger as TriggerConfig;
use prow_github::GitHub;
use prow_github::types::Label;

/// `ok-to-test`: a trusted user vouched for the PR.
pub const OK_TO_TEST: &str = "ok-to-test";
/// `needs-ok-to-test`: the PR waits for a trusted user's `/ok-to-test`.
pub const NEEDS_OK_TO_TEST: &str = "needs-ok-to-test";
/// `lgtm`: an untrusted PR with `lgtm` is tested once.
pub const LGTM: &str = "lgtm";

/// Whether `user` is the bot (`bot` or `bot[bot]` for a GitHub App), case-insensitively.
pub fn is_bot(bot_login: &str, user: &str) -> bool {
    let strip = |login: &str| {
        login
            .strip_suffix("[bot]")
            .unwrap_or(login)
            .to_ascii_lowercase()
    };
    !bot_login.is_empty() && strip(bot_login) == strip(user)
}

/// Whether `user` is one of the `trusted_apps` (app logins end in `[bot]`).
pub fn is_trusted_app(trusted_apps: &[String], user: &str) -> bool {
    let name = user.strip_suffix("[bot]").unwrap_or(user);
    trusted_apps.iter().any(|app| app == name)
}

/// Whether a label list has `name`.
pub fn has_label(labels: &[Label], name: &str) -> bool {
    labels.iter().any(|l| l.name == name)
}

/// Prow's `TrustedUser`, with the same order of checks (cheapest, most cached first).
///
/// # Errors
/// A GitHub call failed.
pub async fn trusted_user(
    github: &dyn GitHub,
    config: &TriggerConfig,
    bot_login: &str,
    user: &str,
    org: &str,
    repo: &str,
) -> prow_github::Result<bool> {
    if is_bot(bot_login, user) {
        return Ok(true);
    }
    if github.is_org_member(org, user).await? {
        return Ok(true);
    }
    if !config.only_org_members && github.is_collaborator(org, repo, user).await? {
        return Ok(true);
    }
    if is_trusted_app(&config.trusted_apps, user) {
        return Ok(true);
    }
    if config.trusted_org.is_empty() || config.trusted_org == org {
        return Ok(false);
    }
    github.is_org_member(&config.trusted_org, user).await
}

/// Prow's `TrustedPullRequest`: the author is trusted, or the PR has `ok-to-test`. Returns
/// the labels when it had to fetch them.
///
/// # Errors
/// A GitHub call failed.
pub async fn trusted_pull_request(
    github: &dyn GitHub,
    config: &TriggerConfig,
    bot_login: &str,
    author: &str,
    org: &str,
    repo: &str,
    number: u64,
) -> prow_github::Result<(Option<Vec<Label>>, bool)> {
    if trusted_user(github, config, bot_login, author, org, repo).await? {
        return Ok((None, true));
    }
    let labels = github.list_issue_labels(org, repo, number).await?;
    let trusted = has_label(&labels, OK_TO_TEST);
    Ok((Some(labels), trusted))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bot_identity() {
        let cases = [
            ("k8s-ci-robot", "k8s-ci-robot", true),
            ("k8s-ci-robot", "K8S-CI-Robot", true),
            ("my-app[bot]", "my-app[bot]", true),
            ("my-app[bot]", "my-app", true),
            ("my-app", "my-app[bot]", true),
            ("k8s-ci-robot", "alice", false),
            ("", "", false),
        ];
        for (bot, user, want) in cases {
            assert_eq!(is_bot(bot, user), want, "{bot} vs {user}");
        }
    }

    #[test]
    fn trusted_apps() {
        let apps = vec!["dependabot".to_string(), "renovate".to_string()];
        let cases = [
            ("dependabot[bot]", true),
            ("dependabot", true),
            ("renovate[bot]", true),
            ("evil-dependabot[bot]", false),
            ("alice", false),
        ];
        for (user, want) in cases {
            assert_eq!(is_trusted_app(&apps, user), want, "{user}");
        }
    }
}
