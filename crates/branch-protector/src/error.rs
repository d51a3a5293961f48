//! The errors of branch-protector, one variant per failed operation or policy mistake.

/// What can go wrong protecting branches.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A branch listed under `branches:` sets neither `protect` nor `unmanaged: true`.
    #[error("branch {branch}: defined branch policies must set protect or unmanaged=true")]
    BranchPolicyIncomplete {
        /// The branch.
        branch: String,
    },
    /// `protect: false` on a branch that required presubmits report to.
    #[error("branch {branch}: required prow jobs require branch protection")]
    JobsRequireProtection {
        /// The branch.
        branch: String,
    },
    /// `protect: false` together with other settings, without `allow_disabled_policies`.
    #[error("branch {branch}: defines a policy, which requires protect: true")]
    DisabledPolicyDefinesSettings {
        /// The branch.
        branch: String,
    },
    /// Apps restrictions are configured but `--enable-apps-restrictions` is off.
    #[error(
        "branch {branch}: apps restrictions are configured but --enable-apps-restrictions is not set"
    )]
    AppsRestrictionsDisabled {
        /// The branch.
        branch: String,
    },
    /// An `include` or `exclude` pattern does not compile.
    #[error("invalid branch regex {pattern:?}: {source}")]
    BranchRegex {
        /// The joined pattern.
        pattern: String,
        /// The regex error.
        source: regex::Error,
    },
    /// A presubmit key is not `org/repo`.
    #[error("bad presubmit repo {0:?}")]
    BadPresubmitRepo(String),
    /// Listing the repositories of an org with `protect` set failed.
    #[error("list org repos: {0}")]
    ListOrgRepos(#[source] prow_github::Error),
    /// Reading the repository failed.
    #[error("get repo: {0}")]
    GetRepo(#[source] prow_github::Error),
    /// Listing branches failed.
    #[error("list branches: {0}")]
    ListBranches(#[source] prow_github::Error),
    /// Reading the current protection failed.
    #[error("get branch protection: {0}")]
    GetProtection(#[source] prow_github::Error),
    /// Writing a protection failed.
    #[error("update branch protection: {0}")]
    UpdateProtection(#[source] prow_github::Error),
    /// Removing a protection failed.
    #[error("remove branch protection: {0}")]
    RemoveProtection(#[source] prow_github::Error),
}

impl Error {
    /// The variant name, used as the `error` metric label.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::BranchPolicyIncomplete { .. } => "BranchPolicyIncomplete",
            Error::JobsRequireProtection { .. } => "JobsRequireProtection",
            Error::DisabledPolicyDefinesSettings { .. } => "DisabledPolicyDefinesSettings",
            Error::AppsRestrictionsDisabled { .. } => "AppsRestrictionsDisabled",
            Error::BranchRegex { .. } => "BranchRegex",
            Error::BadPresubmitRepo(_) => "BadPresubmitRepo",
            Error::ListOrgRepos(_) => "ListOrgRepos",
            Error::GetRepo(_) => "GetRepo",
            Error::ListBranches(_) => "ListBranches",
            Error::GetProtection(_) => "GetProtection",
            Error::UpdateProtection(_) => "UpdateProtection",
            Error::RemoveProtection(_) => "RemoveProtection",
        }
    }
}
