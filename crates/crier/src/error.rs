//! The error type of crier.

/// What can go wrong while reporting a ProwJob.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading the ProwJob before reporting it failed.
    #[error("get ProwJob {name}: {source}")]
    GetProwJob {
        /// The ProwJob name.
        name: String,
        /// The API error.
        #[source]
        source: kube::Error,
    },
    /// Recording the reported state in `status.prev_report_states` failed.
    #[error("record reported state of ProwJob {name}: {source}")]
    RecordReportState {
        /// The ProwJob name.
        name: String,
        /// The API error.
        #[source]
        source: kube::Error,
    },
    /// Recording the reported state kept conflicting with other writers.
    #[error("record reported state of ProwJob {name}: still conflicting after {attempts} attempts")]
    RecordReportStateConflict {
        /// The ProwJob name.
        name: String,
        /// Attempts made.
        attempts: u32,
    },
    /// Creating the commit status failed.
    #[error("create status {context} on {org}/{repo}@{sha}: {source}")]
    CreateStatus {
        /// Organization.
        org: String,
        /// Repository.
        repo: String,
        /// Commit.
        sha: String,
        /// Status context.
        context: String,
        /// The GitHub error.
        #[source]
        source: prow_github::Error,
    },
    /// Creating the check run failed.
    #[error("create check run {context} on {org}/{repo}@{sha}: {source}")]
    CreateCheckRun {
        /// Organization.
        org: String,
        /// Repository.
        repo: String,
        /// Commit.
        sha: String,
        /// Check run name (the context).
        context: String,
        /// The GitHub error.
        #[source]
        source: prow_github::Error,
    },
    /// Finding out the bot's own login failed.
    #[error("get the bot's GitHub user: {0}")]
    GetBotUser(#[source] prow_github::Error),
    /// Listing the PR's comments failed.
    #[error("list comments of {org}/{repo}#{number}: {source}")]
    ListComments {
        /// Organization.
        org: String,
        /// Repository.
        repo: String,
        /// PR number.
        number: u64,
        /// The GitHub error.
        #[source]
        source: prow_github::Error,
    },
    /// Creating, editing or deleting the summary comment failed.
    #[error("{operation} summary comment on {org}/{repo}#{number}: {source}")]
    WriteComment {
        /// `create`, `edit` or `delete`.
        operation: &'static str,
        /// Organization.
        org: String,
        /// Repository.
        repo: String,
        /// PR number.
        number: u64,
        /// The GitHub error.
        #[source]
        source: prow_github::Error,
    },
}

impl Error {
    /// The variant name, for metric labels.
    pub fn variant_name(&self) -> &'static str {
        match self {
            Error::GetProwJob { .. } => "GetProwJob",
            Error::RecordReportState { .. } => "RecordReportState",
            Error::RecordReportStateConflict { .. } => "RecordReportStateConflict",
            Error::CreateStatus { .. } => "CreateStatus",
            Error::CreateCheckRun { .. } => "CreateCheckRun",
            Error::GetBotUser(_) => "GetBotUser",
            Error::ListComments { .. } => "ListComments",
            Error::WriteComment { .. } => "WriteComment",
        }
    }
}
