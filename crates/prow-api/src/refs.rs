//! The code under test: `Refs` and `Pull` (Prow's `pkg/apis/prowjobs/v1/types.go`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::embedded_schema::{non_negative_int32, non_negative_int64};

fn is_false(value: &bool) -> bool {
    !*value
}

fn is_zero(value: &u32) -> bool {
    *value == 0
}

/// A pull request at a particular point in time (`Pull`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Pull {
    /// Number of the pull request (or Gerrit change).
    #[serde(default)]
    #[schemars(schema_with = "non_negative_int64")]
    pub number: u64,
    /// Login of the pull request's author.
    #[serde(default)]
    pub author: String,
    /// Head commit SHA of the pull request.
    #[serde(default)]
    pub sha: String,
    /// Title of the pull request.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub title: String,
    /// Git ref that can be checked out for the change, e.g. `pull/123/head` on GitHub or
    /// `refs/changes/00/123/1` on Gerrit.
    #[serde(default, rename = "ref", skip_serializing_if = "String::is_empty")]
    pub git_ref: String,
    /// Git branch name of the proposed change.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub head_ref: String,
    /// Link to the pull request.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub link: String,
    /// Link to the commit identified by the SHA.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub commit_link: String,
    /// Link to the author of the pull request.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub author_link: String,
}

/// A repository to clone and the commits to check out (`Refs`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Refs {
    /// Organization (or Gerrit host), e.g. `kubernetes`.
    pub org: String,
    /// Repository, e.g. `test-infra`.
    pub repo: String,
    /// Link to the repository's source.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub repo_link: String,
    /// Base branch, e.g. `main`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub base_ref: String,
    /// Commit SHA of the base branch.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub base_sha: String,
    /// Link to the base commit.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub base_link: String,
    /// Pull requests to merge onto the base (one for a presubmit, several for a batch).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pulls: Vec<Pull>,
    /// Location under `<root-dir>/src` to clone into instead of `github.com/org/repo`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub path_alias: String,
    /// Use the clone of this repository as the job's working directory.
    #[serde(default, skip_serializing_if = "is_false")]
    pub workdir: bool,
    /// URI to clone from; defaults to `https://github.com/org/repo.git`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub clone_uri: String,
    /// Do not clone submodules.
    #[serde(default, skip_serializing_if = "is_false")]
    pub skip_submodules: bool,
    /// Depth of the clone; 0 clones the full history.
    #[serde(default, skip_serializing_if = "is_zero")]
    #[schemars(schema_with = "non_negative_int32")]
    pub clone_depth: u32,
    /// Skip the `git fetch <remote>` call (the fetch of the base ref still happens).
    #[serde(default, skip_serializing_if = "is_false")]
    pub skip_fetch_head: bool,
    /// Clone with `--filter=blob:none`; unset means the decoration config decides.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blobless_fetch: Option<bool>,
    /// Limit the working tree to these paths (`git sparse-checkout set` patterns: file
    /// names, directories, gitignore-style globs); clonerefs then fetches with depth 1 and
    /// `--filter=blob:none`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sparse_checkout_files: Vec<String>,
    /// This extra ref is auxiliary: it is cloned but never treated as the job's main
    /// repository (e.g. for the revision recorded in `started.json`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub auxiliary: bool,
}

impl Refs {
    /// `org/repo`, or just `org` when the repository is empty (Prow's `OrgRepoString`).
    pub fn org_repo(&self) -> String {
        if self.repo.is_empty() {
            self.org.clone()
        } else {
            format!("{}/{}", self.org, self.repo)
        }
    }
}

/// The refs as one string, exactly as Prow's `Refs.String()` writes them for `PULL_REFS`:
/// `base_ref:base_sha` (or just `base_ref` without a SHA), then `number:sha` for every pull,
/// with `:ref` appended when the pull has a git ref; joined by commas.
/// Example: `main:abc123,1:def456,2:0a1b2c`.
pub fn pull_refs(refs: &Refs) -> String {
    let mut parts = Vec::with_capacity(1 + refs.pulls.len());
    if refs.base_sha.is_empty() {
        parts.push(refs.base_ref.clone());
    } else {
        parts.push(format!("{}:{}", refs.base_ref, refs.base_sha));
    }
    for pull in &refs.pulls {
        let mut part = format!("{}:{}", pull.number, pull.sha);
        if !pull.git_ref.is_empty() {
            part.push(':');
            part.push_str(&pull.git_ref);
        }
        parts.push(part);
    }
    parts.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pull(number: u64, sha: &str, git_ref: &str) -> Pull {
        Pull {
            number,
            sha: sha.to_owned(),
            git_ref: git_ref.to_owned(),
            ..Pull::default()
        }
    }

    // Cases from Prow's TestRefs (pkg/apis/prowjobs/v1/types_test.go) and the
    // PULL_REFS values in pkg/pod-utils/downwardapi/jobspec_test.go.
    #[test]
    fn pull_refs_matches_prow() {
        let cases = [
            ("only base", "master", "deadbeef", vec![], "master:deadbeef"),
            ("base without sha", "master", "", vec![], "master"),
            (
                "one pull",
                "base-ref",
                "base-sha",
                vec![pull(1, "pull-sha", "")],
                "base-ref:base-sha,1:pull-sha",
            ),
            (
                "batch",
                "base-ref",
                "base-sha",
                vec![pull(1, "pull-sha", ""), pull(2, "second-pull-sha", "")],
                "base-ref:base-sha,1:pull-sha,2:second-pull-sha",
            ),
            (
                "gerrit ref",
                "master",
                "deadbeef",
                vec![pull(123, "abcd1234", "refs/changes/00/123/1")],
                "master:deadbeef,123:abcd1234:refs/changes/00/123/1",
            ),
        ];
        for (name, base_ref, base_sha, pulls, want) in cases {
            let refs = Refs {
                org: "org".into(),
                repo: "repo".into(),
                base_ref: base_ref.into(),
                base_sha: base_sha.into(),
                pulls,
                ..Refs::default()
            };
            assert_eq!(pull_refs(&refs), want, "{name}");
        }
    }

    #[test]
    fn org_repo() {
        let mut refs = Refs {
            org: "kubernetes".into(),
            repo: "test-infra".into(),
            ..Refs::default()
        };
        assert_eq!(refs.org_repo(), "kubernetes/test-infra");
        refs.repo.clear();
        assert_eq!(refs.org_repo(), "kubernetes");
    }

    #[test]
    fn pull_always_writes_number_author_and_sha() {
        let json = serde_json::to_string(&Pull::default()).expect("serialize");
        assert_eq!(json, r#"{"number":0,"author":"","sha":""}"#);
    }
}
