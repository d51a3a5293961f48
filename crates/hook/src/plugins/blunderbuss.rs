//! The `blunderbuss` plugin (Prow's `blunderbuss`): when a PR is opened (or marked ready for
//! review), requests reviews from the reviewers OWNERS files name for the changed files:
//! one from each OWNERS file first, then more of the closest reviewers, then any reviewer,
//! until `request_count` (and at most `max_request_count`) are found; approvers fill the gap
//! unless `exclude_approvers`; `required_reviewers` are always added. `/auto-cc` asks again.
//! PRs whose body has `/cc` are left to the assign plugin; `ignore_drafts`, `ignore_authors`
//! as Prow.
//!
//! Not as Prow: `use_status_availability` (a GraphQL query per candidate) is not done, every
//! candidate counts as available; `wait_for_status` is not implemented (PRs are then left
//! alone, as Prow leaves them to the status handler); candidates are drawn by a fixed
//! function of the PR number instead of Go's random source.

use std::collections::BTreeSet;
use std::sync::{Arc, LazyLock};

use async_trait::async_trait;
use prow_config::Blunderbuss as BlunderbussConfig;
use prow_config::Loaded;
use prow_github::types::PullRequest;
use prow_github::webhook::Event;
use prow_github::webhook::events::PullRequestAction;
use regex::Regex;

use crate::owners::plugin_config;
use crate::owners::{LayeredLogins, OwnersFilenames, OwnersLoader, RepoOwners, norm_login};
use crate::plugin::{CommandHelp, Delivery, Plugin, PluginError, PluginHelp, Services};
use crate::plugins::lgtm::pr_comment::pr_comment;

static AUTO_CC: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?mi)^/auto-cc\s*$").unwrap_or_else(|e| unreachable!("{e}")));
/// Prow's `assign.CCRegexp`.
static CC: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?mi)^/(un)?cc(( +@?[-/\w]+?)*)\s*$").unwrap_or_else(|e| unreachable!("{e}"))
});

/// Prow's `defaultBlunderbussReviewerCount`: reviewers requested when `request_count` is
/// not set.
pub const DEFAULT_REQUEST_COUNT: i64 = 2;

/// A deterministic picker (xorshift), seeded per PR so a redelivery picks the same people.
#[derive(Debug, Clone)]
pub struct Picker(u64);

impl Picker {
    /// A picker for PR `number`.
    pub fn new(number: u64) -> Self {
        Picker(number.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// An index below `n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n.max(1) as u64) as usize
    }
}

/// Which OWNERS lists blunderbuss draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// `reviewers`.
    Reviewers,
    /// `approvers` (Prow's `fallbackReviewersClient`).
    Approvers,
}

fn owners_dir(owners: &RepoOwners, source: Source, file: &str) -> String {
    match source {
        Source::Reviewers => owners.find_reviewers_owners_for_file(file),
        Source::Approvers => owners.find_approver_owners_for_file(file),
    }
}

fn leaf(owners: &RepoOwners, source: Source, file: &str) -> BTreeSet<String> {
    match source {
        Source::Reviewers => owners.leaf_reviewers(file),
        Source::Approvers => owners.leaf_approvers(file),
    }
}

fn all(owners: &RepoOwners, source: Source, file: &str) -> LayeredLogins {
    match source {
        Source::Reviewers => owners.reviewers(file),
        Source::Approvers => owners.approvers(file),
    }
}

/// Prow's `getReviewers`: (reviewers, required reviewers) for `files` by `author`.
pub fn select_reviewers(
    owners: &RepoOwners,
    source: Source,
    author: &str,
    files: &[String],
    min_reviewers: usize,
    picker: &mut Picker,
) -> (Vec<String>, Vec<String>) {
    let author_set: BTreeSet<String> = [norm_login(author)].into();
    let mut reviewers = LayeredLogins::new();
    let mut required = BTreeSet::new();
    if min_reviewers == 0 {
        return (Vec::new(), Vec::new());
    }
    let mut leaf_reviewers = LayeredLogins::new();
    let mut seen = BTreeSet::new();
    for file in files {
        if !seen.insert(owners_dir(owners, source, file)) {
            continue;
        }
        required.extend(owners.required_reviewers(file));
        let mut unused = LayeredLogins::new();
        unused.insert(0, leaf(owners, source, file));
        let mut unused = unused.difference(&reviewers.set()).difference(&author_set);
        if unused.is_empty() {
            continue;
        }
        leaf_reviewers.insert(0, unused.set());
        if let Some(r) = unused.pop_from_lowest(|n| picker.below(n)) {
            reviewers.insert(0, [r]);
        }
    }
    let mut unused_leaves = leaf_reviewers.difference(&reviewers.set());
    while reviewers.len() < min_reviewers {
        match unused_leaves.pop_from_lowest(|n| picker.below(n)) {
            Some(r) => reviewers.insert(1, [r]),
            None => break,
        }
    }
    for file in files {
        if reviewers.len() >= min_reviewers {
            break;
        }
        let mut file_reviewers = all(owners, source, file).difference(&author_set);
        while reviewers.len() < min_reviewers {
            match file_reviewers.pop_from_lowest(|n| picker.below(n)) {
                Some(r) => reviewers.insert(2, [r]),
                None => break,
            }
        }
    }
    (reviewers.list(), required.into_iter().collect())
}

/// Prow's `handle`: the logins to request for `files` of a PR by `author`.
pub fn reviewers_to_request(
    owners: &RepoOwners,
    config: &BlunderbussConfig,
    author: &str,
    files: &[String],
    number: u64,
) -> Vec<String> {
    let mut picker = Picker::new(number);
    let count = config.request_count.unwrap_or(DEFAULT_REQUEST_COUNT);
    let count = usize::try_from(count).unwrap_or(0);
    let (mut reviewers, required) =
        select_reviewers(owners, Source::Reviewers, author, files, count, &mut picker);
    if reviewers.len() < count && !config.exclude_approvers {
        let (approvers, _) =
            select_reviewers(owners, Source::Approvers, author, files, count, &mut picker);
        for approver in approvers {
            if !reviewers.contains(&approver) {
                reviewers.push(approver);
            }
        }
    }
    let max = config.max_request_count.unwrap_or(0);
    if max > 0 && reviewers.len() > max as usize {
        reviewers.truncate(max as usize);
    }
    reviewers.extend(required);
    reviewers
}

/// The `blunderbuss` plugin.
#[derive(Debug, Clone)]
pub struct Blunderbuss {
    owners: Arc<OwnersLoader>,
}

impl Blunderbuss {
    /// A blunderbuss plugin reading OWNERS through `owners`.
    pub fn new(owners: Arc<OwnersLoader>) -> Self {
        Blunderbuss { owners }
    }

    async fn request(
        &self,
        services: &Services,
        config: &Loaded,
        org: &str,
        repo: &str,
        pr: &PullRequest,
    ) -> Result<(), PluginError> {
        let github = services.github.as_ref();
        let fail = |what: &str, e: &dyn std::fmt::Display| {
            PluginError::new(format!(
                "blunderbuss {org}/{repo}#{}: {what}: {e}",
                pr.number
            ))
        };
        let files: Vec<String> = github
            .list_pull_request_files(org, repo, pr.number)
            .await
            .map_err(|e| fail("list files", &e))?
            .into_iter()
            .map(|f| f.filename)
            .collect();
        let filenames = OwnersFilenames::for_repo(&plugin_config(config).owners, org, repo);
        let base = if pr.base.sha.is_empty() {
            &pr.base.git_ref
        } else {
            &pr.base.sha
        };
        let owners = self
            .owners
            .load(github, org, repo, base, &filenames, &files)
            .await
            .map_err(|e| fail("load OWNERS", &e))?;
        let reviewers = reviewers_to_request(
            &owners,
            &plugin_config(config).blunderbuss,
            &pr.user.login,
            &files,
            pr.number,
        );
        if reviewers.is_empty() {
            return Ok(());
        }
        tracing::info!(?reviewers, "blunderbuss: requesting reviews");
        github
            .request_reviewers(org, repo, pr.number, &reviewers)
            .await
            .map(|_| ())
            .map_err(|e| fail("request reviewers", &e))
    }
}

#[async_trait]
impl Plugin for Blunderbuss {
    fn name(&self) -> &'static str {
        "blunderbuss"
    }

    fn help(&self, config: &Loaded, _org_repo: Option<&str>) -> PluginHelp {
        let count = plugin_config(config)
            .blunderbuss
            .request_count
            .unwrap_or(DEFAULT_REQUEST_COUNT);
        PluginHelp {
            description: "The blunderbuss plugin automatically requests reviews from reviewers when a new PR is created. The reviewers are selected based on the reviewers specified in the OWNERS files that apply to the files modified by the PR.".into(),
            config: Some(format!(
                "Blunderbuss is currently configured to request reviews from {count} reviewer{}.",
                if count > 1 { "s" } else { "" }
            )),
            commands: vec![CommandHelp {
                usage: "/auto-cc".into(),
                description: "Manually request reviews from reviewers for a PR. Useful if OWNERS file were updated since the PR was opened.".into(),
                who_can_use: "Anyone".into(),
                examples: vec!["/auto-cc".into()],
            }],
        }
    }

    async fn handle(
        &self,
        services: &Services,
        delivery: &Delivery<'_>,
    ) -> Result<(), PluginError> {
        let config = delivery.config.as_ref();
        let settings = &plugin_config(config).blunderbuss;
        match delivery.event {
            Event::PullRequest(e) => {
                let pr = &e.pull_request;
                if !matches!(
                    e.action,
                    PullRequestAction::Opened | PullRequestAction::ReadyForReview
                ) || CC.is_match(pr.body.as_deref().unwrap_or_default())
                    || settings.wait_for_status.is_some()
                    || (pr.draft && settings.ignore_drafts)
                    || settings.ignore_authors.contains(&pr.user.login)
                {
                    return Ok(());
                }
                let (org, repo) = (&e.repository.owner.login, &e.repository.name);
                self.request(services, config, org, repo, pr).await
            }
            event => {
                let Some(c) = pr_comment(event) else {
                    return Ok(());
                };
                if !c.is_pr || c.issue_state == "closed" || !AUTO_CC.is_match(c.body) {
                    return Ok(());
                }
                let pr = services
                    .github
                    .get_pull_request(c.org, c.repo, c.number)
                    .await
                    .map_err(|e| PluginError::new(format!("blunderbuss: get the PR: {e}")))?;
                self.request(services, config, c.org, c.repo, &pr).await
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::owners::OwnersFilenames;

    fn owners() -> RepoOwners {
        let files: BTreeMap<String, String> = [
            (
                "OWNERS",
                "approvers: [root-a]\nreviewers: [root-r1, root-r2]\n",
            ),
            (
                "pkg/OWNERS",
                "approvers: [pkg-a]\nreviewers: [pkg-r, author]\nrequired_reviewers: [sec]\n",
            ),
            ("docs/OWNERS", "approvers: [docs-a]\n"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        RepoOwners::from_files(&files, &OwnersFilenames::default())
    }

    fn config(count: Option<i64>, max: Option<i64>, exclude_approvers: bool) -> BlunderbussConfig {
        BlunderbussConfig {
            request_count: count,
            max_request_count: max,
            exclude_approvers,
            ..BlunderbussConfig::default()
        }
    }

    #[test]
    fn reviewer_selection_table() {
        let owners = owners();
        let files = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        // (files, config, must contain, size)
        let cases = [
            // One per OWNERS file; the author is never asked; required reviewers added.
            (
                files(&["pkg/a.go"]),
                config(Some(1), None, false),
                vec!["pkg-r", "sec"],
                2,
            ),
            // Default count 2: the leaf reviewer, then a parent reviewer.
            (
                files(&["pkg/a.go"]),
                config(None, None, false),
                vec!["pkg-r", "sec"],
                3,
            ),
            // docs has no reviewers: root reviewers, then approvers fill in (as Prow, every
            // approver drawn for the full count is added, so there may be more).
            (
                files(&["docs/x.md"]),
                config(Some(3), None, false),
                vec!["root-r1", "root-r2", "docs-a", "root-a"],
                4,
            ),
            (
                files(&["docs/x.md"]),
                config(Some(3), None, true),
                vec!["root-r1", "root-r2"],
                2,
            ),
            // max_request_count caps the drawn reviewers, not the required ones.
            (
                files(&["pkg/a.go", "x.go"]),
                config(Some(3), Some(1), false),
                vec!["sec"],
                2,
            ),
            (files(&["x.go"]), config(Some(0), None, false), vec![], 0),
        ];
        for (files, config, must, size) in cases {
            let got = reviewers_to_request(&owners, &config, "author", &files, 7);
            for login in &must {
                assert!(
                    got.iter().any(|g| g == login),
                    "{files:?} {config:?}: {got:?}"
                );
            }
            assert!(!got.iter().any(|g| g == "author"), "{got:?}");
            assert_eq!(got.len(), size, "{files:?} {config:?}: {got:?}");
            assert_eq!(
                got,
                reviewers_to_request(&owners, &config, "author", &files, 7),
                "the same PR draws the same people"
            );
        }
    }
}
