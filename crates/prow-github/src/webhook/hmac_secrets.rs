//! The webhook HMAC secret file in Prow's format (`--hmac-secret-file`).
//!
//! Either a YAML mapping from `org/repo`, `org` or `*` to a list of tokens —
//!
//! ```yaml
//! kubernetes/test-infra:
//!   - value: repo-secret
//!     created_at: 2024-01-02T15:04:05Z
//! kubernetes:
//!   - value: old-org-secret
//!     created_at: 2023-01-01T00:00:00Z
//!   - value: new-org-secret
//!     created_at: 2024-06-01T00:00:00Z
//! "*":
//!   - value: global-secret
//!     created_at: 2023-01-01T00:00:00Z
//! ```
//!
//! — where the most specific entry wins (`org/repo` over `org` over `*`) and every token of
//! that entry is accepted (rotation without downtime); or a plain single token (the whole file,
//! trimmed), accepted for every repository. Unlike Prow, a file that *is* a YAML mapping but
//! not in this format is an error naming the file, not silently used as one long token.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::secret::Secret;

/// One token of an entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HmacToken {
    value: String,
    #[serde(default)]
    #[allow(dead_code)]
    created_at: Option<String>,
}

/// Parsed HMAC secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HmacSecrets {
    /// One token for everything.
    Single(Vec<Secret>),
    /// Tokens per `org/repo`, `org` or `*`.
    Scoped(HashMap<String, Vec<Secret>>),
}

impl HmacSecrets {
    /// Reads and parses the secret file; errors name the file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::ReadHmacSecret {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text).map_err(|message| Error::ParseHmacSecret {
            path: path.to_path_buf(),
            message,
        })
    }

    /// Parses the file content; the error says what is wrong.
    pub fn parse(text: &str) -> std::result::Result<Self, String> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err("the file is empty".into());
        }
        let is_mapping = matches!(
            serde_saphyr::from_str::<serde_json::Value>(trimmed),
            Ok(serde_json::Value::Object(_))
        );
        if !is_mapping {
            return Ok(Self::Single(vec![Secret::new(trimmed)]));
        }
        let entries: HashMap<String, Vec<HmacToken>> = serde_saphyr::from_str(trimmed)
            .map_err(|e| format!("not in the `org/repo: [{{value, created_at}}]` format: {e}"))?;
        let mut scoped = HashMap::with_capacity(entries.len());
        for (scope, tokens) in entries {
            if tokens.is_empty() {
                return Err(format!("entry {scope:?} has no tokens"));
            }
            if let Some(position) = tokens.iter().position(|t| t.value.trim().is_empty()) {
                return Err(format!(
                    "entry {scope:?} token {position} has an empty value"
                ));
            }
            let secrets = tokens.into_iter().map(|t| Secret::new(t.value)).collect();
            scoped.insert(scope, secrets);
        }
        Ok(Self::Scoped(scoped))
    }

    /// The tokens valid for events of `org_repo` (`org/repo`, or just `org` for org-level
    /// events): the repo's entry, else the org's, else `*`'s; empty when none applies.
    pub fn secrets_for(&self, org_repo: &str) -> &[Secret] {
        match self {
            Self::Single(secrets) => secrets,
            Self::Scoped(scoped) => {
                let org = org_repo.split('/').next().unwrap_or(org_repo);
                [org_repo, org, "*"]
                    .iter()
                    .find_map(|key| scoped.get(*key))
                    .map(Vec::as_slice)
                    .unwrap_or(&[])
            }
        }
    }
}

/// The `org/repo` (or `org` for org-level events) a webhook body is about — what Prow selects
/// the secret by. Parses only `repository.full_name` and `organization.login`.
pub fn org_repo_of(body: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct Named {
        #[serde(default)]
        full_name: String,
        #[serde(default)]
        login: String,
    }
    #[derive(Deserialize)]
    struct Scope {
        repository: Option<Named>,
        organization: Option<Named>,
    }
    let scope: Scope = serde_json::from_slice(body).ok()?;
    scope
        .repository
        .map(|r| r.full_name)
        .filter(|name| !name.is_empty())
        .or_else(|| {
            scope
                .organization
                .map(|o| o.login)
                .filter(|l| !l.is_empty())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROW_FORMAT: &str = r#"
kubernetes/test-infra:
  - value: repo-secret
    created_at: 2024-01-02T15:04:05Z
kubernetes:
  - value: old-org-secret
    created_at: 2023-01-01T00:00:00Z
  - value: new-org-secret
    created_at: 2024-06-01T00:00:00Z
"*":
  - value: global-secret
    created_at: 2023-01-01T00:00:00Z
"#;

    fn values(secrets: &[Secret]) -> Vec<&str> {
        secrets.iter().map(Secret::expose).collect()
    }

    #[test]
    fn most_specific_entry_wins() {
        let secrets = HmacSecrets::parse(PROW_FORMAT).expect("parses");
        let cases: &[(&str, &[&str])] = &[
            ("kubernetes/test-infra", &["repo-secret"]),
            (
                "kubernetes/kubernetes",
                &["old-org-secret", "new-org-secret"],
            ),
            ("kubernetes", &["old-org-secret", "new-org-secret"]),
            ("other/repo", &["global-secret"]),
            ("", &["global-secret"]),
        ];
        for (org_repo, want) in cases {
            assert_eq!(values(secrets.secrets_for(org_repo)), *want, "{org_repo}");
        }
    }

    #[test]
    fn no_matching_entry_means_no_secrets() {
        let secrets = HmacSecrets::parse("org:\n  - value: a\n").expect("parses");
        assert!(secrets.secrets_for("other/repo").is_empty());
        assert_eq!(values(secrets.secrets_for("org/x")), ["a"]);
    }

    #[test]
    fn plain_token_files() {
        let cases = [
            ("abcdef0123456789\n", "abcdef0123456789"),
            ("  spaced-token  \n\n", "spaced-token"),
            ("- not: a mapping\n", "- not: a mapping"),
        ];
        for (text, want) in cases {
            let secrets = HmacSecrets::parse(text).expect(text);
            assert_eq!(values(secrets.secrets_for("any/repo")), [want], "{text:?}");
        }
    }

    #[test]
    fn malformed_files_are_errors() {
        let cases = [
            ("", "empty"),
            ("\n  \n", "empty"),
            ("org:\n  - valu: typo\n", "format"),
            ("org: just-a-string\n", "format"),
            ("org: []\n", "no tokens"),
            ("org:\n  - value: ''\n", "empty value"),
        ];
        for (text, want) in cases {
            let err = HmacSecrets::parse(text).expect_err(text);
            assert!(err.contains(want), "{text:?}: {err}");
        }
    }

    #[test]
    fn load_errors_name_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("hmac-secret.yaml");
        std::fs::write(&path, "org: []\n").expect("write");
        let err = HmacSecrets::load(&path).expect_err("invalid");
        assert!(err.to_string().contains("hmac-secret.yaml"), "{err}");
        let err = HmacSecrets::load(&dir.path().join("absent")).expect_err("missing");
        assert!(err.to_string().contains("absent"), "{err}");
    }

    #[test]
    fn org_repo_from_bodies() {
        let cases: &[(&[u8], Option<&str>)] = &[
            (
                br#"{"repository":{"full_name":"o/r"},"organization":{"login":"o"}}"#,
                Some("o/r"),
            ),
            (br#"{"organization":{"login":"o"}}"#, Some("o")),
            (br#"{"zen":"hi"}"#, None),
            (b"not json", None),
        ];
        for (body, want) in cases {
            assert_eq!(org_repo_of(body).as_deref(), *want);
        }
    }
}
