//! Cloning refs with the git CLI as Prow's `pkg/pod-utils/clone` does, and the clone records
//! it writes.

pub mod format;
pub mod git;
pub mod record;

use prow_api::Refs;
use prow_api::job_env::DEFAULT_SOURCE_HOST;
use prow_api::storage_path::join_path;

pub use format::format_record;
pub use git::{CloneSettings, FETCH_RETRIES, clone_refs};
pub use record::{CloneCommand, CloneRecord};

/// Where `refs` are cloned under `base_dir` (Prow's `PathForRefs`):
/// `<base_dir>/src/<path_alias>`, else the repo link without its scheme, else
/// `<base_dir>/src/github.com/<org>/<repo>`.
pub fn path_for_refs(base_dir: &str, refs: &Refs) -> String {
    let clone_path = if !refs.path_alias.is_empty() {
        refs.path_alias.clone()
    } else if !refs.repo_link.is_empty() {
        refs.repo_link
            .rsplit("://")
            .next()
            .unwrap_or(&refs.repo_link)
            .to_owned()
    } else {
        format!("{DEFAULT_SOURCE_HOST}/{}/{}", refs.org, refs.repo)
    };
    join_path(&[base_dir, "src", &clone_path])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clone_paths_match_prow() {
        let cases = [
            ("default", "", "", "/go/src/github.com/org/repo"),
            (
                "alias",
                "k8s.io/test-infra",
                "",
                "/go/src/k8s.io/test-infra",
            ),
            (
                "repo link",
                "",
                "https://gerrit.host/a/b",
                "/go/src/gerrit.host/a/b",
            ),
            (
                "alias wins",
                "x/y",
                "https://gerrit.host/a/b",
                "/go/src/x/y",
            ),
        ];
        for (name, alias, link, want) in cases {
            let refs = Refs {
                org: "org".into(),
                repo: "repo".into(),
                path_alias: alias.into(),
                repo_link: link.into(),
                ..Refs::default()
            };
            assert_eq!(path_for_refs("/go", &refs), want, "{name}");
        }
    }
}
