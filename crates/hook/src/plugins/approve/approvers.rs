//! Who approved what (Prow's `approve/approvers`): the OWNERS files a change needs, the
//! approvals given, which OWNERS files are still unapproved, and whom to suggest.

use std::collections::{BTreeMap, BTreeSet};

use crate::owners::RepoOwners;
use crate::owners::repo_owners::parent_dir;

/// One approval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approval {
    /// Login as written by GitHub (case kept).
    pub login: String,
    /// `Approved`, `LGTM` or `Author self-approved`.
    pub how: String,
    /// Link to where it happened.
    pub reference: String,
    /// `/approve no-issue`.
    pub no_issue: bool,
}

impl Approval {
    /// Prow's `Approval.String`: a link titled with how the approval was given.
    pub fn link(&self) -> String {
        format!(
            "*<a href=\"{}\" title=\"{}\">{}</a>*",
            self.reference, self.how, self.login
        )
    }
}

/// Directory → logins.
pub type OwnersMap = BTreeMap<String, BTreeSet<String>>;

/// One changed file resolved against OWNERS.
#[derive(Debug, Clone)]
struct ResolvedFile {
    /// Directory of the closest OWNERS file with approvers for it.
    owners_dir: String,
    /// Everyone who may approve it.
    approvers: BTreeSet<String>,
    /// Its closest approvers.
    leaf_approvers: BTreeSet<String>,
}

/// The OWNERS side of a change: changed files resolved against the repository's OWNERS
/// (once, at construction: the approval rules ask the same questions many times).
#[derive(Debug, Clone)]
pub struct ChangeOwners<'a> {
    files: Vec<String>,
    resolved: Vec<ResolvedFile>,
    owners_set: BTreeSet<String>,
    repo: &'a RepoOwners,
    seed: u64,
}

impl<'a> ChangeOwners<'a> {
    /// The change of `files` in `repo`; `seed` (the PR number) makes suggestions stable.
    pub fn new(files: Vec<String>, repo: &'a RepoOwners, seed: u64) -> Self {
        let resolved: Vec<ResolvedFile> = files
            .iter()
            .map(|file| ResolvedFile {
                owners_dir: repo.find_approver_owners_for_file(file),
                approvers: repo.approvers(file).set(),
                leaf_approvers: repo.leaf_approvers(file),
            })
            .collect();
        let mut change = ChangeOwners {
            files,
            resolved,
            owners_set: BTreeSet::new(),
            repo,
            seed,
        };
        change.owners_set = change.compute_owners_set();
        change
    }

    /// The resolved OWNERS of the repository.
    pub fn repo_owners(&self) -> &RepoOwners {
        self.repo
    }

    /// The changed files.
    pub fn files(&self) -> &[String] {
        &self.files
    }

    /// The OWNERS directories whose approval the change needs (Prow's `GetOwnersSet`):
    /// the closest approver directory of each file, without subdirectories of another
    /// member unless `no_parent_owners` cuts them off.
    pub fn owners_set(&self) -> BTreeSet<String> {
        self.owners_set.clone()
    }

    fn compute_owners_set(&self) -> BTreeSet<String> {
        let mut owners = BTreeSet::new();
        for (file, resolved) in self.files.iter().zip(&self.resolved) {
            let owners_dir = &resolved.owners_dir;
            let grandparent = parent_dir(parent_dir(file));
            if grandparent.contains(owners_dir.as_str())
                && self.repo.is_auto_approve_unowned_subfolders(owners_dir)
            {
                continue;
            }
            owners.insert(owners_dir.clone());
        }
        self.remove_subdirs(&mut owners);
        owners
    }

    fn remove_subdirs(&self, dirs: &mut BTreeSet<String>) {
        for dir in dirs.clone() {
            let mut path = dir.as_str();
            while !self.repo.is_no_parent_owners(path) && !path.is_empty() {
                path = parent_dir(path);
                if dirs.contains(path) {
                    dirs.remove(&dir);
                    break;
                }
            }
        }
    }

    fn approvers_by_owners(&self, leaf: bool) -> OwnersMap {
        let mut map = OwnersMap::new();
        for resolved in &self.resolved {
            let approvers = if leaf {
                &resolved.leaf_approvers
            } else {
                &resolved.approvers
            };
            map.entry(resolved.owners_dir.clone())
                .or_default()
                .extend(approvers.iter().cloned());
        }
        map.retain(|dir, _| self.owners_set.contains(dir));
        map
    }

    /// OWNERS directory → everyone who may approve it (Prow's `GetApprovers`).
    pub fn approvers(&self) -> OwnersMap {
        self.approvers_by_owners(false)
    }

    /// OWNERS directory → its closest approvers (Prow's `GetLeafApprovers`).
    pub fn leaf_approvers(&self) -> OwnersMap {
        self.approvers_by_owners(true)
    }

    /// Login → the OWNERS directories they may approve.
    pub fn reverse_map(map: &OwnersMap) -> OwnersMap {
        let mut reverse = OwnersMap::new();
        for (dir, logins) in map {
            for login in logins {
                reverse
                    .entry(login.clone())
                    .or_default()
                    .insert(dir.clone());
            }
        }
        reverse
    }

    /// Every closest approver, shuffled deterministically by the seed.
    pub fn shuffled_approvers(&self) -> Vec<String> {
        let mut all: Vec<String> = self
            .leaf_approvers()
            .into_values()
            .flatten()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut state = self.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        for i in (1..all.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let j = (state % (i as u64 + 1)) as usize;
            all.swap(i, j);
        }
        all
    }

    /// The OWNERS directories still unapproved if only `approvers` (lower case) had approved.
    fn unapproved_with(&self, approvers: &BTreeSet<String>) -> BTreeSet<String> {
        let mut unapproved = BTreeSet::new();
        for resolved in &self.resolved {
            if !self.owners_set.contains(&resolved.owners_dir) {
                continue;
            }
            if !resolved
                .approvers
                .iter()
                .any(|c| approvers.contains(&c.to_lowercase()))
            {
                unapproved.insert(resolved.owners_dir.clone());
            }
        }
        unapproved
    }

    /// Prow's `GetSuggestedApprovers`: greedily picks the approver covering most of what is
    /// left until everything is covered or nobody helps.
    fn suggested_approvers(&self, reverse: &OwnersMap, potential: &[String]) -> BTreeSet<String> {
        let mut chosen = BTreeSet::new();
        loop {
            let unapproved = self.unapproved_with(&chosen);
            if !self.files.is_empty() && unapproved.is_empty() {
                return chosen;
            }
            let mut best = None;
            let mut max_covered = 0;
            for approver in potential {
                let can = reverse.get(approver).cloned().unwrap_or_default();
                if can.intersection(&unapproved).count() > max_covered && !chosen.contains(approver)
                {
                    // Prow compares with the size of the whole set here; kept as is.
                    max_covered = can.len();
                    best = Some(approver.clone());
                }
            }
            match best {
                Some(approver) => {
                    chosen.insert(approver);
                }
                None => return chosen,
            }
        }
    }

    /// Prow's `KeepCoveringApprovers`: the suggested approvers that still cover something
    /// `known` approvers leave unapproved.
    fn keep_covering_approvers(
        &self,
        reverse: &OwnersMap,
        known: &BTreeSet<String>,
        potential: &[String],
    ) -> BTreeSet<String> {
        let unapproved = self.unapproved_with(known);
        self.suggested_approvers(reverse, potential)
            .into_iter()
            .filter(|s| {
                reverse
                    .get(s)
                    .is_some_and(|dirs| dirs.intersection(&unapproved).next().is_some())
            })
            .collect()
    }
}

/// The approval state of a change (Prow's `approvers.Approvers`).
#[derive(Debug, Clone)]
pub struct Approvers<'a> {
    owners: ChangeOwners<'a>,
    approvals: BTreeMap<String, Approval>,
    assignees: BTreeSet<String>,
    /// The issue the PR body links (0 = none).
    pub associated_issue: u64,
    /// `issue_required`.
    pub require_issue: bool,
    /// A human added `approved` by hand.
    pub manually_approved: bool,
}

impl<'a> Approvers<'a> {
    /// No approvals yet.
    pub fn new(owners: ChangeOwners<'a>) -> Self {
        Approvers {
            owners,
            approvals: BTreeMap::new(),
            assignees: BTreeSet::new(),
            associated_issue: 0,
            require_issue: false,
            manually_approved: false,
        }
    }

    /// The OWNERS side.
    pub fn owners(&self) -> &ChangeOwners<'a> {
        &self.owners
    }

    fn add(&mut self, login: &str, how: &str, reference: &str, no_issue: bool) {
        let key = login.to_lowercase();
        // Keep an earlier `no-issue` approval over a later plain one.
        if self.approvals.get(&key).is_some_and(|a| a.no_issue) && !no_issue {
            return;
        }
        self.approvals.insert(
            key,
            Approval {
                login: login.to_string(),
                how: how.to_string(),
                reference: reference.to_string(),
                no_issue,
            },
        );
    }

    /// `/approve`.
    pub fn add_approver(&mut self, login: &str, reference: &str, no_issue: bool) {
        self.add(login, "Approved", reference, no_issue);
    }

    /// `/lgtm` with `lgtm_acts_as_approve`.
    pub fn add_lgtmer(&mut self, login: &str, reference: &str, no_issue: bool) {
        self.add(login, "LGTM", reference, no_issue);
    }

    /// The author's implicit or explicit approval.
    pub fn add_author_self_approver(&mut self, login: &str, reference: &str, no_issue: bool) {
        self.add(login, "Author self-approved", reference, no_issue);
    }

    /// `/approve cancel`, `/remove-approve`.
    pub fn remove_approver(&mut self, login: &str) {
        self.approvals.remove(&login.to_lowercase());
    }

    /// Adds assignees (suggestions prefer them).
    pub fn add_assignees<'s>(&mut self, logins: impl IntoIterator<Item = &'s str>) {
        self.assignees
            .extend(logins.into_iter().map(str::to_lowercase));
    }

    /// Lower-cased logins of everyone who approved.
    pub fn current_approvers(&self) -> BTreeSet<String> {
        self.approvals.keys().cloned().collect()
    }

    /// Approvals, by lower-cased login.
    pub fn approvals(&self) -> Vec<&Approval> {
        self.approvals.values().collect()
    }

    /// `no-issue` approvals by people who can approve some file.
    pub fn no_issue_approvals(&self) -> Vec<&Approval> {
        let reverse = ChangeOwners::reverse_map(&self.owners.approvers());
        self.approvals
            .iter()
            .filter(|(login, a)| a.no_issue && reverse.get(*login).is_some_and(|d| !d.is_empty()))
            .map(|(_, a)| a)
            .collect()
    }

    /// OWNERS directories that still need an approval.
    pub fn unapproved_files(&self) -> BTreeSet<String> {
        self.owners.unapproved_with(&self.current_approvers())
    }

    /// Every needed OWNERS directory has an approval (a change of no files is not approved).
    pub fn are_files_approved(&self) -> bool {
        !self.owners.files.is_empty() && self.unapproved_files().is_empty()
    }

    /// Files approved and the issue requirement met.
    pub fn requirements_met(&self) -> bool {
        self.are_files_approved()
            && (!self.require_issue
                || self.associated_issue != 0
                || !self.no_issue_approvals().is_empty())
    }

    /// Requirements met, or approved by hand.
    pub fn is_approved(&self) -> bool {
        self.requirements_met() || self.manually_approved
    }

    /// OWNERS directory → who of its approvers approved (case as GitHub wrote it).
    pub fn files_approvers(&self) -> OwnersMap {
        self.owners
            .approvers()
            .into_iter()
            .map(|(dir, potential)| {
                let approved = self
                    .approvals
                    .iter()
                    .filter(|(key, _)| potential.contains(*key))
                    .map(|(_, a)| a.login.clone())
                    .collect();
                (dir, approved)
            })
            .collect()
    }

    /// Prow's `GetCCs`: the approvers to suggest, preferring current assignees.
    pub fn ccs(&self) -> Vec<String> {
        let randomized = self.owners.shuffled_approvers();
        let current = self.current_approvers();
        let approvers_and_assignees: BTreeSet<String> =
            current.union(&self.assignees).cloned().collect();
        let leaf_reverse = ChangeOwners::reverse_map(&self.owners.leaf_approvers());
        let suggested = self.owners.keep_covering_approvers(
            &leaf_reverse,
            &approvers_and_assignees,
            &randomized,
        );
        let approvers_and_suggested: BTreeSet<String> =
            current.union(&suggested).cloned().collect();
        let everyone: Vec<String> = approvers_and_suggested
            .union(&self.assignees)
            .cloned()
            .collect();
        let full_reverse = ChangeOwners::reverse_map(&self.owners.approvers());
        let keep_assignees =
            self.owners
                .keep_covering_approvers(&full_reverse, &approvers_and_suggested, &everyone);
        suggested.union(&keep_assignees).cloned().collect()
    }

    /// Suggested approvers already assigned.
    pub fn assigned_ccs(&self) -> Vec<String> {
        self.ccs()
            .into_iter()
            .filter(|c| self.assignees.contains(c))
            .collect()
    }

    /// Suggested approvers not assigned yet.
    pub fn suggested_ccs(&self) -> Vec<String> {
        self.ccs()
            .into_iter()
            .filter(|c| !self.assignees.contains(c))
            .collect()
    }
}
