//! Reporter and rerun settings carried by a ProwJob (`ReporterConfig`, `RerunAuthConfig` in
//! Prow's `pkg/apis/prowjobs/v1/types.go`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ProwJobState;

fn is_false(value: &bool) -> bool {
    !*value
}

/// Go's `omitempty` on a slice omits both nil and empty; reading keeps the difference.
fn is_none_or_empty(value: &Option<Vec<ProwJobState>>) -> bool {
    value.as_ref().is_none_or(Vec::is_empty)
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
    /// Job states that are reported. An empty list (`[]`) means report nothing, which Prow
    /// keeps apart from unset.
    #[serde(default, skip_serializing_if = "is_none_or_empty")]
    pub job_states_to_report: Option<Vec<ProwJobState>>,
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
    /// Job states that are reported. An empty list (`[]`) means report nothing, which Prow
    /// keeps apart from unset.
    #[serde(default, skip_serializing_if = "is_none_or_empty")]
    pub job_states_to_report: Option<Vec<ProwJobState>>,
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

impl SlackReporterConfig {
    /// Prow's `setReportDefault`: when `report` is unset, it becomes `false` if
    /// `job_states_to_report` was given as an empty list and `true` otherwise.
    pub fn apply_report_default(&mut self) {
        if self.report.is_none() {
            let empty_list = self
                .job_states_to_report
                .as_ref()
                .is_some_and(Vec::is_empty);
            self.report = Some(!empty_list);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_default_follows_prow() {
        let cases = [
            ("unset list", None, None, Some(true)),
            ("empty list", Some(vec![]), None, Some(false)),
            (
                "non-empty list",
                Some(vec![ProwJobState::Failure]),
                None,
                Some(true),
            ),
            (
                "explicit false wins",
                Some(vec![ProwJobState::Failure]),
                Some(false),
                Some(false),
            ),
            ("explicit true wins", Some(vec![]), Some(true), Some(true)),
        ];
        for (name, states, report, want) in cases {
            let mut config = SlackReporterConfig {
                job_states_to_report: states,
                report,
                ..SlackReporterConfig::default()
            };
            config.apply_report_default();
            assert_eq!(config.report, want, "{name}");
        }
    }

    #[test]
    fn empty_state_list_is_kept_apart_from_unset_when_reading() {
        let empty: SlackReporterConfig =
            serde_json::from_str(r#"{"job_states_to_report":[]}"#).expect("empty list");
        let unset: SlackReporterConfig = serde_json::from_str("{}").expect("unset");
        assert_eq!(empty.job_states_to_report, Some(vec![]));
        assert_eq!(unset.job_states_to_report, None);
        // Both are written as Prow writes them: omitted.
        assert_eq!(serde_json::to_string(&empty).expect("serialize"), "{}");
    }
}
