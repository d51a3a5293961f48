//! Reporter and rerun settings carried by a ProwJob (`ReporterConfig`, `RerunAuthConfig` in
//! Prow's `pkg/apis/prowjobs/v1/types.go`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ProwJobState;

fn is_false(value: &bool) -> bool {
    !*value
}

/// Reporter-specific settings (`ReporterConfig`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ReporterConfig {
    /// Slack reporting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slack: Option<SlackReporterConfig>,
    /// DingTalk reporting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dingtalk: Option<DingTalkReporterConfig>,
}

/// Slack reporting for one job (`SlackReporterConfig`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SlackReporterConfig {
    /// Slack workspace host.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub host: String,
    /// Channel to report to.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub channel: String,
    /// Job states that are reported.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub job_states_to_report: Vec<ProwJobState>,
    /// Go template of the message.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub report_template: String,
    /// Whether to report at all; distinguishes `job_states_to_report: []` from unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<bool>,
}

/// DingTalk reporting for one job (`DingTalkReporterConfig`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DingTalkReporterConfig {
    /// DingTalk robot token.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub token: String,
    /// Job states that are reported.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub job_states_to_report: Vec<ProwJobState>,
    /// Go template of the message.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub report_template: String,
    /// Whether to report at all; distinguishes `job_states_to_report: []` from unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<bool>,
}

/// Who may rerun the job (`RerunAuthConfig`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RerunAuthConfig {
    /// Anyone may rerun the job.
    #[serde(default, skip_serializing_if = "is_false")]
    pub allow_anyone: bool,
    /// IDs of GitHub teams whose members may rerun the job.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub github_team_ids: Vec<i64>,
    /// Slugs and orgs of GitHub teams whose members may rerun the job.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub github_team_slugs: Vec<GitHubTeamSlug>,
    /// GitHub logins that may rerun the job.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub github_users: Vec<String>,
    /// GitHub organizations whose members may rerun the job.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub github_orgs: Vec<String>,
}

/// A GitHub team named by org and slug (`GitHubTeamSlug`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct GitHubTeamSlug {
    /// Team slug (the hyphenated team name).
    pub slug: String,
    /// Organization the team belongs to.
    pub org: String,
}
