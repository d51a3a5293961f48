//! The OWNERS resolver (Prow's `repoowners.RepoOwners`), a pure function of a file map
//! (path → text) so it is unit-tested without GitHub.
//!
//! Directories are written as Prow does: no leading or trailing `/`, the root is `""`.

use std::collections::{BTreeMap, BTreeSet};

use regex::Regex;

use super::file_format::{DirOptions, OwnersFile, RepoAliases, norm_login, parse_aliases};
use super::layered::LayeredLogins;

/// The names of the OWNERS files of a repository (`owners.filenames` in plugins.yaml).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OwnersFilenames {
    /// The OWNERS file name (default `OWNERS`).
    pub owners: String,
    /// The aliases file at the repository root (default `OWNERS_ALIASES`).
    pub owners_aliases: String,
}

impl Default for OwnersFilenames {
    fn default() -> Self {
        OwnersFilenames {
            owners: "OWNERS".into(),
            owners_aliases: "OWNERS_ALIASES".into(),
        }
    }
}

impl OwnersFilenames {
    /// Prow's `OwnersFilenames(org, repo)`: the `org/repo` entry, else the `org` entry, else
    /// the defaults; empty names fall back to the defaults.
    pub fn for_repo(config: &prow_config::Owners, org: &str, repo: &str) -> Self {
        let defaults = Self::default();
        let found = config
            .filenames
            .get(&format!("{org}/{repo}"))
            .or_else(|| config.filenames.get(org));
        match found {
            None => defaults,
            Some(names) => OwnersFilenames {
                owners: if names.owners.is_empty() {
                    defaults.owners
                } else {
                    names.owners.clone()
                },
                owners_aliases: if names.owners_aliases.is_empty() {
                    defaults.owners_aliases
                } else {
                    names.owners_aliases.clone()
                },
            },
        }
    }

    /// The path of the OWNERS file of directory `dir`.
    pub fn owners_path(&self, dir: &str) -> String {
        if dir.is_empty() {
            self.owners.clone()
        } else {
            format!("{dir}/{}", self.owners)
        }
    }
}

/// Go's `filepath.Dir` with Prow's `canonicalize`: `a/b/c` → `a/b`, `c` → `""`.
pub fn parent_dir(path: &str) -> &str {
    let trimmed = path.trim_end_matches('/');
    match trimmed.rfind('/') {
        Some(i) => &trimmed[..i],
        None => "",
    }
}

/// Every directory from `path`'s own directory up to the root (`""` last).
pub fn ancestor_dirs(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut dir = parent_dir(path);
    loop {
        out.push(dir.to_string());
        if dir.is_empty() {
            return out;
        }
        dir = parent_dir(dir);
    }
}

/// `path` relative to directory `dir` (Go's `filepath.Rel` for a path inside `dir`).
fn relative_to(dir: &str, path: &str) -> String {
    if dir.is_empty() {
        return path.to_string();
    }
    if dir == path {
        return ".".into();
    }
    path.strip_prefix(dir)
        .and_then(|rest| rest.strip_prefix('/'))
        .unwrap_or(path)
        .to_string()
}

/// One list of an OWNERS file: which files it covers (`None` = all) and who is in it.
#[derive(Debug, Clone)]
struct Rule {
    pattern: Option<Regex>,
    logins: BTreeSet<String>,
}

impl Rule {
    fn covers(&self, relative: &str) -> bool {
        self.pattern.as_ref().is_none_or(|re| re.is_match(relative))
    }
}

type RulesByDir = BTreeMap<String, Vec<Rule>>;

/// A problem met while reading the OWNERS files (the file is skipped, as Prow does).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnersProblem {
    /// The file.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

/// The resolved OWNERS of a repository at one commit.
#[derive(Debug, Clone, Default)]
pub struct RepoOwners {
    aliases: RepoAliases,
    approvers: RulesByDir,
    reviewers: RulesByDir,
    required_reviewers: RulesByDir,
    labels: RulesByDir,
    options: BTreeMap<String, DirOptions>,
    filenames: OwnersFilenames,
    problems: Vec<OwnersProblem>,
}

impl RepoOwners {
    /// Resolves the OWNERS files in `files` (path → text; other paths are ignored). Files
    /// that cannot be parsed and invalid filter patterns are skipped and listed in
    /// [`RepoOwners::problems`], as Prow logs and skips them.
    pub fn from_files(files: &BTreeMap<String, String>, filenames: &OwnersFilenames) -> Self {
        let mut owners = RepoOwners {
            filenames: filenames.clone(),
            ..RepoOwners::default()
        };
        if let Some(text) = files.get(&filenames.owners_aliases) {
            match parse_aliases(&filenames.owners_aliases, text) {
                Ok(aliases) => owners.aliases = aliases,
                Err(e) => owners.problems.push(OwnersProblem {
                    path: filenames.owners_aliases.clone(),
                    message: e.to_string(),
                }),
            }
        }
        for (path, text) in files {
            let name = path.rsplit('/').next().unwrap_or(path);
            if name != filenames.owners {
                continue;
            }
            let dir = parent_dir(path).to_string();
            let file = match OwnersFile::parse(path, text) {
                Ok(file) => file,
                Err(e) => {
                    owners.problems.push(OwnersProblem {
                        path: path.clone(),
                        message: e.to_string(),
                    });
                    continue;
                }
            };
            for (pattern, entry) in file.entries() {
                let pattern = match pattern.map(Regex::new).transpose() {
                    Ok(pattern) => pattern,
                    Err(e) => {
                        owners.problems.push(OwnersProblem {
                            path: path.clone(),
                            message: format!("invalid regexp {:?}: {e}", pattern.unwrap_or("")),
                        });
                        continue;
                    }
                };
                owners.add_rule(&dir, &pattern, &entry.approvers, Role::Approvers);
                owners.add_rule(&dir, &pattern, &entry.reviewers, Role::Reviewers);
                owners.add_rule(
                    &dir,
                    &pattern,
                    &entry.required_reviewers,
                    Role::RequiredReviewers,
                );
                if !entry.labels.is_empty() {
                    owners.labels.entry(dir.clone()).or_default().push(Rule {
                        pattern: pattern.clone(),
                        logins: entry.labels.iter().cloned().collect(),
                    });
                }
            }
            let options = file.options();
            if options != DirOptions::default() {
                owners.options.insert(dir, options);
            }
        }
        owners
    }

    fn add_rule(&mut self, dir: &str, pattern: &Option<Regex>, logins: &[String], role: Role) {
        if logins.is_empty() {
            return;
        }
        let expanded = self.expand_aliases(logins.iter().map(|l| norm_login(l)).collect());
        let map = match role {
            Role::Approvers => &mut self.approvers,
            Role::Reviewers => &mut self.reviewers,
            Role::RequiredReviewers => &mut self.required_reviewers,
        };
        map.entry(dir.to_string()).or_default().push(Rule {
            pattern: pattern.clone(),
            logins: expanded,
        });
    }

    /// Replaces alias names in `logins` with their members (Prow's `ExpandAliases`).
    pub fn expand_aliases(&self, logins: BTreeSet<String>) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for login in logins {
            match self.aliases.get(&norm_login(&login)) {
                Some(members) => out.extend(members.iter().cloned()),
                None => {
                    out.insert(login);
                }
            }
        }
        out
    }

    /// The aliases of OWNERS_ALIASES.
    pub fn aliases(&self) -> &RepoAliases {
        &self.aliases
    }

    /// The file names in use.
    pub fn filenames(&self) -> &OwnersFilenames {
        &self.filenames
    }

    /// Files that were skipped and why.
    pub fn problems(&self) -> &[OwnersProblem] {
        &self.problems
    }

    /// Prow's `findOwnersForFile`: the deepest directory (not the root) whose OWNERS has a
    /// non-empty list covering `path`; `""` otherwise.
    fn find_owners_dir(path: &str, rules: &RulesByDir) -> String {
        let mut dir = path.trim_end_matches('/');
        while !dir.is_empty() {
            let relative = relative_to(dir, path);
            if let Some(dir_rules) = rules.get(dir)
                && dir_rules
                    .iter()
                    .any(|rule| rule.covers(&relative) && !rule.logins.is_empty())
            {
                return dir.to_string();
            }
            dir = parent_dir(dir);
        }
        String::new()
    }

    /// The directory of the OWNERS file closest to `path` with approvers for it.
    pub fn find_approver_owners_for_file(&self, path: &str) -> String {
        Self::find_owners_dir(path, &self.approvers)
    }

    /// The directory of the OWNERS file closest to `path` with reviewers for it.
    pub fn find_reviewers_owners_for_file(&self, path: &str) -> String {
        Self::find_owners_dir(path, &self.reviewers)
    }

    /// Prow's `entriesForFile`: the people of `rules` covering `path`, layer 0 closest; up
    /// to the root, or to a `no_parent_owners` directory once someone was found, or (with
    /// `leaf_only`) to the first directory that has someone.
    fn entries_for_file(&self, path: &str, rules: &RulesByDir, leaf_only: bool) -> LayeredLogins {
        let mut out = LayeredLogins::new();
        let mut dir = path.trim_end_matches('/').to_string();
        let mut layer = 0;
        loop {
            let relative = relative_to(&dir, path);
            for rule in rules.get(&dir).into_iter().flatten() {
                if rule.covers(&relative) {
                    out.insert(layer, rule.logins.iter().cloned());
                }
            }
            if leaf_only && !out.is_empty() {
                break;
            }
            if dir.is_empty() {
                break;
            }
            if self.is_no_parent_owners(&dir) && !out.is_empty() {
                break;
            }
            dir = parent_dir(&dir).to_string();
            layer += 1;
        }
        out
    }

    /// Everyone who may approve `path` (its directory's approvers and the parents').
    pub fn approvers(&self, path: &str) -> LayeredLogins {
        self.entries_for_file(path, &self.approvers, false)
    }

    /// The closest approvers of `path`.
    pub fn leaf_approvers(&self, path: &str) -> BTreeSet<String> {
        self.entries_for_file(path, &self.approvers, true).set()
    }

    /// Every reviewer of `path`.
    pub fn reviewers(&self, path: &str) -> LayeredLogins {
        self.entries_for_file(path, &self.reviewers, false)
    }

    /// The closest reviewers of `path`.
    pub fn leaf_reviewers(&self, path: &str) -> BTreeSet<String> {
        self.entries_for_file(path, &self.reviewers, true).set()
    }

    /// Every required reviewer of `path`.
    pub fn required_reviewers(&self, path: &str) -> BTreeSet<String> {
        self.entries_for_file(path, &self.required_reviewers, false)
            .set()
    }

    /// The labels OWNERS files attach to `path`.
    pub fn labels_for_file(&self, path: &str) -> BTreeSet<String> {
        self.entries_for_file(path, &self.labels, false).set()
    }

    /// The root directory's approvers.
    pub fn top_level_approvers(&self) -> BTreeSet<String> {
        self.entries_for_file("", &self.approvers, true).set()
    }

    /// Whether the OWNERS file of `dir` sets `no_parent_owners`.
    pub fn is_no_parent_owners(&self, dir: &str) -> bool {
        self.options.get(dir).is_some_and(|o| o.no_parent_owners)
    }

    /// Whether the OWNERS file of `dir` sets `auto_approve_unowned_subfolders`.
    pub fn is_auto_approve_unowned_subfolders(&self, dir: &str) -> bool {
        self.options
            .get(dir)
            .is_some_and(|o| o.auto_approve_unowned_subfolders)
    }
}

#[derive(Clone, Copy)]
enum Role {
    Approvers,
    Reviewers,
    RequiredReviewers,
}
