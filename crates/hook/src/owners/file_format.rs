//! The OWNERS and OWNERS_ALIASES file formats (Prow's `repoowners.SimpleConfig`,
//! `FullConfig` and `ParseAliasesConfig`).
//!
//! An OWNERS file is either *simple* (`approvers`, `reviewers`, `required_reviewers`,
//! `labels` and `options` at the top level) or *full* (`options` plus `filters`: a map of
//! regular expression → the same four lists, applied to the files of the directory tree whose
//! path relative to the OWNERS file's directory matches). As Prow, a file is read as simple
//! first; when that fails or yields nothing, as full. Unknown keys are ignored (Prow's
//! non-strict `yaml.Unmarshal`).

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use serde_json::Value;

use super::OwnersError;

/// Per-directory options of an OWNERS file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct DirOptions {
    /// Approvers and reviewers of parent directories do not apply below this directory.
    pub no_parent_owners: bool,
    /// Changes to subdirectories without OWNERS of their own need no approval.
    pub auto_approve_unowned_subfolders: bool,
}

/// The people and labels of an OWNERS file (or of one of its filters).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct OwnersEntry {
    /// Who may `/approve`.
    pub approvers: Vec<String>,
    /// Who is asked to review.
    pub reviewers: Vec<String>,
    /// Who is always asked to review.
    pub required_reviewers: Vec<String>,
    /// Labels for PRs touching these files.
    pub labels: Vec<String>,
}

impl OwnersEntry {
    /// Prow's `SimpleConfig.Empty`: no approvers, reviewers, required reviewers or labels.
    pub fn is_empty(&self) -> bool {
        self.approvers.is_empty()
            && self.reviewers.is_empty()
            && self.required_reviewers.is_empty()
            && self.labels.is_empty()
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct SimpleFile {
    options: DirOptions,
    #[serde(flatten)]
    entry: OwnersEntry,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct FullFile {
    options: DirOptions,
    filters: BTreeMap<String, OwnersEntry>,
}

/// A parsed OWNERS file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OwnersFile {
    /// Top-level lists that apply to every file below the directory.
    Simple {
        /// Options.
        options: DirOptions,
        /// The lists.
        entry: OwnersEntry,
    },
    /// Lists per regular expression over paths relative to the directory.
    Full {
        /// Options.
        options: DirOptions,
        /// Pattern → lists (`.*` applies to every file).
        filters: BTreeMap<String, OwnersEntry>,
    },
}

impl OwnersFile {
    /// Parses an OWNERS file as Prow does: simple first, full when simple fails or is empty.
    ///
    /// # Errors
    /// [`OwnersError::Parse`] when the text is neither (`path` names the file in the message).
    pub fn parse(path: &str, text: &str) -> Result<Self, OwnersError> {
        if text.trim().is_empty() {
            return Ok(OwnersFile::Simple {
                options: DirOptions::default(),
                entry: OwnersEntry::default(),
            });
        }
        let simple: Result<SimpleFile, _> = serde_saphyr::from_str(text);
        if let Ok(simple) = simple
            && !simple.entry.is_empty()
        {
            return Ok(OwnersFile::Simple {
                options: simple.options,
                entry: simple.entry,
            });
        }
        let full: FullFile = serde_saphyr::from_str(text).map_err(|e| OwnersError::Parse {
            path: path.to_string(),
            message: e.to_string(),
        })?;
        Ok(OwnersFile::Full {
            options: full.options,
            filters: full.filters,
        })
    }

    /// The options of the file.
    pub fn options(&self) -> DirOptions {
        match self {
            OwnersFile::Simple { options, .. } | OwnersFile::Full { options, .. } => *options,
        }
    }

    /// Every entry with its pattern (`None` = every file), as Prow applies them.
    pub fn entries(&self) -> Vec<(Option<&str>, &OwnersEntry)> {
        match self {
            OwnersFile::Simple { entry, .. } => vec![(None, entry)],
            OwnersFile::Full { filters, .. } => filters
                .iter()
                .map(|(pattern, entry)| {
                    let pattern = (pattern != ".*").then_some(pattern.as_str());
                    (pattern, entry)
                })
                .collect(),
        }
    }
}

/// Prow's `github.NormLogin`: lower case, without a leading `@`.
pub fn norm_login(login: &str) -> String {
    let lower = login.trim().to_lowercase();
    lower.strip_prefix('@').unwrap_or(&lower).to_string()
}

/// Alias name → members, names and members normalized with [`norm_login`].
pub type RepoAliases = BTreeMap<String, BTreeSet<String>>;

/// Parses an OWNERS_ALIASES file (Prow's `ParseAliasesConfig`): `aliases:` maps a name to a
/// list of logins; a flow mapping's keys and an empty value are accepted; a plain string is
/// an error.
///
/// # Errors
/// [`OwnersError::Parse`] for invalid YAML or an alias that is not a list.
pub fn parse_aliases(path: &str, text: &str) -> Result<RepoAliases, OwnersError> {
    let parse_error = |message: String| OwnersError::Parse {
        path: path.to_string(),
        message,
    };
    let mut out = RepoAliases::new();
    if text.trim().is_empty() {
        return Ok(out);
    }
    let document: Value = serde_saphyr::from_str(text).map_err(|e| parse_error(e.to_string()))?;
    let aliases = match document.get("aliases") {
        None | Some(Value::Null) => return Ok(out),
        Some(Value::Object(map)) => map,
        Some(_) => return Err(parse_error("`aliases` must be a map".into())),
    };
    for (alias, members) in aliases {
        let members: BTreeSet<String> = match members {
            Value::Array(items) => items
                .iter()
                .map(|item| match item {
                    Value::String(login) => Ok(norm_login(login)),
                    other => Err(parse_error(format!(
                        "unexpected type for alias group member: {other}"
                    ))),
                })
                .collect::<Result<_, _>>()?,
            Value::String(_) => {
                return Err(parse_error(format!(
                    "alias group '{alias}' must contain a list of members"
                )));
            }
            Value::Object(map) => map.keys().map(|k| norm_login(k)).collect(),
            Value::Null => BTreeSet::new(),
            other => {
                return Err(parse_error(format!(
                    "unexpected type for alias group: {other}"
                )));
            }
        };
        out.insert(norm_login(alias), members);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simple_and_full_files() {
        let simple = OwnersFile::parse(
            "OWNERS",
            "approvers: [Alice, '@bob']\nreviewers:\n- carol\noptions:\n  no_parent_owners: true\n",
        )
        .expect("simple");
        assert_eq!(
            simple,
            OwnersFile::Simple {
                options: DirOptions {
                    no_parent_owners: true,
                    auto_approve_unowned_subfolders: false
                },
                entry: OwnersEntry {
                    approvers: vec!["Alice".into(), "@bob".into()],
                    reviewers: vec!["carol".into()],
                    ..OwnersEntry::default()
                }
            }
        );
        let full = OwnersFile::parse(
            "OWNERS",
            "filters:\n  '.*':\n    approvers: [alice]\n  '\\.go$':\n    reviewers: [gopher]\n",
        )
        .expect("full");
        let entries = full.entries();
        assert_eq!(entries.len(), 2);
        assert!(
            entries
                .iter()
                .any(|(p, e)| p.is_none() && e.approvers == ["alice"])
        );
        assert!(
            entries
                .iter()
                .any(|(p, e)| *p == Some("\\.go$") && e.reviewers == ["gopher"])
        );
        assert!(OwnersFile::parse("a/OWNERS", "approvers: [unclosed\n").is_err());
        assert!(OwnersFile::parse("a/OWNERS", "filters: 3\n").is_err());
    }

    /// Expected aliases: name → members; `Err` = the file is refused.
    type WantAliases = Result<&'static [(&'static str, &'static [&'static str])], ()>;

    #[test]
    fn alias_forms_as_prow() {
        let cases: [(&str, WantAliases); 6] = [
            (
                "aliases:\n  Sig-Node: [Alice, '@Bob']\n",
                Ok(&[("sig-node", &["alice", "bob"])]),
            ),
            ("aliases:\n  flow: {x, y}\n", Ok(&[("flow", &["x", "y"])])),
            ("aliases:\n  empty:\n", Ok(&[("empty", &[])])),
            ("aliases:\n  bad: alice\n", Err(())),
            ("aliases:\n  bad: [1]\n", Err(())),
            ("", Ok(&[])),
        ];
        for (text, want) in cases {
            let got = parse_aliases("OWNERS_ALIASES", text);
            match want {
                Err(()) => assert!(got.is_err(), "{text:?} should fail"),
                Ok(want) => {
                    let want: RepoAliases = want
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.iter().map(|s| s.to_string()).collect()))
                        .collect();
                    assert_eq!(got.expect("parses"), want, "{text:?}");
                }
            }
        }
    }
}
