//! `config.yaml`: the parts of Prow's `ProwConfig` that prow-rs uses, with Prow's defaults.
//! Every other documented section is accepted (checked against Prow's field reference by the
//! shape checker) but not typed here.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::duration::GoDuration;
use crate::job_config::JobConfig;
use crate::jobs::RerunAuthConfig;

const MINUTE: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3600);

/// The loaded configuration: `config.yaml` settings plus every job.
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// The `config.yaml` settings.
    pub prow: ProwConfig,
    /// Presets and jobs from `config.yaml` and the job-config directory.
    pub jobs: JobConfig,
}

impl Config {
    /// Number of presubmits across all repositories.
    pub fn presubmit_count(&self) -> usize {
        self.jobs.presubmits.values().map(Vec::len).sum()
    }

    /// Number of postsubmits across all repositories.
    pub fn postsubmit_count(&self) -> usize {
        self.jobs.postsubmits.values().map(Vec::len).sum()
    }

    /// Number of periodics.
    pub fn periodic_count(&self) -> usize {
        self.jobs.periodics.len()
    }
}

/// The settings of `config.yaml` that prow-rs reads (Prow's `ProwConfig`).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default)]
pub struct ProwConfig {
    /// Namespace of ProwJobs (default `default`).
    pub prowjob_namespace: String,
    /// Namespace of test pods (default `default`).
    pub pod_namespace: String,
    /// Settings of plank, the pod controller.
    pub plank: Plank,
    /// Settings of sinker, the garbage collector.
    pub sinker: Sinker,
    /// Settings of horologium, the periodic scheduler.
    pub horologium: Horologium,
    /// Settings of deck, the web UI.
    pub deck: Deck,
    /// Branch protection policy.
    #[serde(rename = "branch-protection")]
    pub branch_protection: BranchProtection,
    /// In-repo configuration (`.prow.yaml`); prow-rs does not load in-repo jobs yet.
    pub in_repo_config: InRepoConfig,
    /// GitHub status reporting.
    pub github_reporter: GitHubReporter,
    /// GitHub options.
    pub github: GitHubOptions,
    /// Timeout for jobs without their own `decoration_config.timeout` (default 24h).
    pub default_job_timeout: Option<GoDuration>,
    /// Log level of the components (default `info`).
    pub log_level: String,
    /// Link shown in status descriptions on errors.
    pub status_error_link: String,
    /// Build clusters that must not be scheduled to.
    pub disabled_clusters: Vec<String>,
    /// ProwJob defaults (tenant id, ResultStore) with repo/cluster filters; later matching
    /// entries override earlier ones.
    pub prowjob_default_entries: Vec<DefaultDecorationConfigEntry>,
}

impl Default for ProwConfig {
    fn default() -> Self {
        ProwConfig {
            prowjob_namespace: "default".into(),
            pod_namespace: "default".into(),
            plank: Plank::default(),
            sinker: Sinker::default(),
            horologium: Horologium::default(),
            deck: Deck::default(),
            branch_protection: BranchProtection::default(),
            in_repo_config: InRepoConfig::default(),
            github_reporter: GitHubReporter::default(),
            github: GitHubOptions::default(),
            default_job_timeout: None,
            log_level: "info".into(),
            status_error_link: "https://github.com/kubernetes/test-infra/issues".into(),
            disabled_clusters: Vec::new(),
            prowjob_default_entries: Vec::new(),
        }
    }
}

impl ProwConfig {
    /// Fills what Prow's `parseProwConfig` defaults when a value is given empty.
    pub(crate) fn apply_defaults(&mut self) {
        if self.prowjob_namespace.is_empty() {
            self.prowjob_namespace = "default".into();
        }
        if self.pod_namespace.is_empty() {
            self.pod_namespace = "default".into();
        }
        if self.log_level.is_empty() {
            self.log_level = "info".into();
        }
        if self.default_job_timeout.is_none() {
            self.default_job_timeout = Some(GoDuration(24 * HOUR));
        }
        if self.github.link_url.is_empty() {
            self.github.link_url = "https://github.com".into();
        }
        if self.sinker.terminated_pod_ttl.is_none() {
            self.sinker.terminated_pod_ttl = Some(self.sinker.max_pod_age);
        }
        if self.deck.spyglass.size_limit == 0 {
            self.deck.spyglass.size_limit = 100_000_000;
        }
        if self.github_reporter.job_types_to_report.is_empty() {
            self.github_reporter.job_types_to_report =
                vec!["presubmit".into(), "postsubmit".into()];
        }
        if !self.plank.report_template.is_empty() && self.plank.report_templates.is_empty() {
            let template = self.plank.report_template.clone();
            self.plank.report_templates.insert("*".into(), template);
        }
    }
}

/// Settings of plank (Prow's `Plank` with its embedded `Controller`).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default)]
pub struct Plank {
    /// Go template of a job's URL.
    pub job_url_template: String,
    /// Job URL prefix per `org`, `org/repo` or `*`.
    pub job_url_prefix_config: BTreeMap<String, String>,
    /// Deprecated single job URL prefix.
    pub job_url_prefix: String,
    /// Go template of the PR comment per `org`, `org/repo` or `*`.
    pub report_templates: BTreeMap<String, String>,
    /// Deprecated single report template (becomes `report_templates["*"]`).
    pub report_template: String,
    /// Maximum number of jobs started concurrently, 0 for no limit.
    pub max_concurrency: i64,
    /// Maximum number of worker goroutines (unused by prow-rs).
    pub max_goroutines: i64,
    /// How long a pod may stay pending (default 10m).
    pub pod_pending_timeout: GoDuration,
    /// How long a pod may run (default 48h).
    pub pod_running_timeout: GoDuration,
    /// How long a pod may stay unscheduled (default 5m).
    pub pod_unscheduled_timeout: GoDuration,
    /// How often a pod lost to eviction or node loss is re-created (default 3).
    pub max_revivals: i64,
    /// Maximum concurrency per job queue name.
    pub job_queue_capacities: BTreeMap<String, i64>,
    /// Decoration defaults with repo/cluster filters; later matching entries override earlier.
    pub default_decoration_config_entries: Vec<DefaultDecorationConfigEntry>,
    /// Deprecated map form of decoration defaults (`org`, `org/repo` or `*` → config).
    pub default_decoration_configs: BTreeMap<String, Value>,
    /// Where build cluster status is published.
    pub build_cluster_status_file: String,
}

impl Default for Plank {
    fn default() -> Self {
        Plank {
            job_url_template: String::new(),
            job_url_prefix_config: BTreeMap::new(),
            job_url_prefix: String::new(),
            report_templates: BTreeMap::new(),
            report_template: String::new(),
            max_concurrency: 0,
            max_goroutines: 20,
            pod_pending_timeout: GoDuration(10 * MINUTE),
            pod_running_timeout: GoDuration(48 * HOUR),
            pod_unscheduled_timeout: GoDuration(5 * MINUTE),
            max_revivals: 3,
            job_queue_capacities: BTreeMap::new(),
            default_decoration_config_entries: Vec::new(),
            default_decoration_configs: BTreeMap::new(),
            build_cluster_status_file: String::new(),
        }
    }
}

impl Plank {
    /// The job URL prefix for `org/repo` (most specific key of `job_url_prefix_config` wins,
    /// then `*`, then the deprecated `job_url_prefix`).
    pub fn job_url_prefix_for(&self, org: &str, repo: &str) -> &str {
        let full = format!("{org}/{repo}");
        [full.as_str(), org, "*"]
            .iter()
            .find_map(|key| self.job_url_prefix_config.get(*key))
            .map_or(self.job_url_prefix.as_str(), String::as_str)
    }

    /// The report template for `org/repo` (`org/repo`, then `org`, then `*`).
    pub fn report_template_for(&self, org: &str, repo: &str) -> Option<&str> {
        let full = format!("{org}/{repo}");
        [full.as_str(), org, "*"]
            .iter()
            .find_map(|key| self.report_templates.get(*key))
            .map(String::as_str)
    }

    /// Every decoration-defaults entry, the deprecated map form first (`*`, then orgs and
    /// repos in key order), as Prow's `FinalizeDefaultDecorationConfigs` orders them.
    pub fn decoration_entries(&self) -> Vec<DefaultDecorationConfigEntry> {
        let mut entries = Vec::new();
        if let Some(config) = self.default_decoration_configs.get("*") {
            entries.push(DefaultDecorationConfigEntry {
                repo: String::new(),
                cluster: String::new(),
                config: Some(config.clone()),
            });
        }
        for (key, config) in &self.default_decoration_configs {
            if key != "*" {
                entries.push(DefaultDecorationConfigEntry {
                    repo: key.clone(),
                    cluster: String::new(),
                    config: Some(config.clone()),
                });
            }
        }
        entries.extend(self.default_decoration_config_entries.iter().cloned());
        entries
    }
}

/// One entry of `plank.default_decoration_config_entries` (or, with a `ProwJobDefault` as
/// `config`, of `prowjob_default_entries`).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct DefaultDecorationConfigEntry {
    /// `org` or `org/repo` the entry applies to; empty or `*` for all.
    pub repo: String,
    /// Build cluster the entry applies to; empty or `*` for all.
    pub cluster: String,
    /// The decoration settings (Prow's `DecorationConfig` as JSON).
    pub config: Option<Value>,
}

impl DefaultDecorationConfigEntry {
    /// Whether the entry applies to a job of `repo` (`org/repo`, or empty for a periodic
    /// without extra_refs) running on `cluster` (Prow's `DefaultDecorationConfigEntry.matches`).
    pub fn matches(&self, repo: &str, cluster: &str) -> bool {
        let repo_matches = self.repo.is_empty()
            || self.repo == "*"
            || self.repo == repo
            || repo
                .split_once('/')
                .is_some_and(|(org, _)| org == self.repo);
        let cluster_matches =
            self.cluster.is_empty() || self.cluster == "*" || self.cluster == cluster;
        repo_matches && cluster_matches
    }
}

/// Settings of sinker (Prow's `Sinker`).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default)]
pub struct Sinker {
    /// How often sinker runs (default 1h).
    pub resync_period: GoDuration,
    /// Age after which a finished ProwJob is deleted (default 7 days).
    pub max_prowjob_age: GoDuration,
    /// Age after which a pod is deleted (default 24h).
    pub max_pod_age: GoDuration,
    /// How long a terminated pod is kept (default: `max_pod_age`).
    pub terminated_pod_ttl: Option<GoDuration>,
    /// Build clusters sinker leaves alone.
    pub exclude_clusters: Vec<String>,
}

impl Default for Sinker {
    fn default() -> Self {
        Sinker {
            resync_period: GoDuration(HOUR),
            max_prowjob_age: GoDuration(7 * 24 * HOUR),
            max_pod_age: GoDuration(24 * HOUR),
            terminated_pod_ttl: None,
            exclude_clusters: Vec::new(),
        }
    }
}

/// Settings of horologium (Prow's `Horologium`).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default)]
pub struct Horologium {
    /// How often periodics are checked (default 1m).
    pub tick_interval: GoDuration,
}

impl Default for Horologium {
    fn default() -> Self {
        Horologium {
            tick_interval: GoDuration(MINUTE),
        }
    }
}

/// Settings of deck that prow-rs uses (Prow's `Deck`).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct Deck {
    /// Artifact viewer settings.
    pub spyglass: Spyglass,
    /// Repositories (`org` or `org/repo`) whose jobs are hidden.
    pub hidden_repos: Vec<String>,
    /// Who may rerun jobs, per `org`, `org/repo` or `*`.
    pub rerun_auth_configs: BTreeMap<String, RerunAuthConfig>,
    /// Rerun permissions with repo/cluster filters.
    pub default_rerun_auth_configs: Vec<DefaultRerunAuthConfigEntry>,
    /// How often deck refreshes Tide's status.
    pub tide_update_period: Option<GoDuration>,
    /// Skip the check that jobs upload to known buckets.
    pub skip_storage_path_validation: Option<bool>,
    /// Further buckets jobs may upload to.
    pub additional_allowed_buckets: Vec<String>,
}

/// One entry of `deck.default_rerun_auth_configs`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct DefaultRerunAuthConfigEntry {
    /// `org` or `org/repo`; empty or `*` for all.
    pub repo: String,
    /// Build cluster; empty or `*` for all.
    pub cluster: String,
    /// The permissions.
    pub rerun_auth_configs: Option<RerunAuthConfig>,
}

/// Spyglass (artifact viewer) settings.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct Spyglass {
    /// Largest artifact shown, in bytes (default 100 MB).
    pub size_limit: i64,
    /// Link prefix of the storage browser.
    pub gcs_browser_prefix: String,
    /// Storage browser link prefix per `org`, `org/repo` or `*`.
    pub gcs_browser_prefixes: BTreeMap<String, String>,
    /// Announcement shown on every page.
    pub announcement: String,
}

/// A branch protection policy (Prow's `Policy`, embedded at every level).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct Policy {
    /// Leave the branch alone.
    pub unmanaged: Option<bool>,
    /// Protect the branch.
    pub protect: Option<bool>,
    /// Required status checks.
    pub required_status_checks: Option<ContextPolicy>,
    /// Apply to admins too.
    pub enforce_admins: Option<bool>,
    /// Who may push.
    pub restrictions: Option<Restrictions>,
    /// Review requirements.
    pub required_pull_request_reviews: Option<ReviewPolicy>,
    /// Require a linear history.
    pub required_linear_history: Option<bool>,
    /// Allow force pushes.
    pub allow_force_pushes: Option<bool>,
    /// Allow deleting the branch.
    pub allow_deletions: Option<bool>,
    /// Require the jobs that only run when asked.
    pub require_manually_triggered_jobs: Option<bool>,
    /// Require signed commits.
    pub require_signed_commits: Option<bool>,
    /// Branch regexes to leave out.
    pub exclude: Vec<String>,
    /// Branch regexes to include.
    pub include: Vec<String>,
}

/// Required status checks.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct ContextPolicy {
    /// Contexts that must pass (presubmit contexts are added automatically).
    pub contexts: Vec<String>,
    /// The branch must be up to date before merging.
    pub strict: Option<bool>,
}

/// Push restrictions.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct Restrictions {
    /// Apps that may push.
    pub apps: Option<Vec<String>>,
    /// Users that may push.
    pub users: Option<Vec<String>>,
    /// Teams that may push.
    pub teams: Option<Vec<String>>,
}

/// Review requirements.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct ReviewPolicy {
    /// Who may dismiss reviews.
    pub dismissal_restrictions: Option<DismissalRestrictions>,
    /// Dismiss approvals on new pushes.
    pub dismiss_stale_reviews: Option<bool>,
    /// Require code owner review.
    pub require_code_owner_reviews: Option<bool>,
    /// Number of approvals required.
    pub required_approving_review_count: Option<i64>,
    /// Who may bypass the review requirements.
    pub bypass_pull_request_allowances: Option<DismissalRestrictions>,
}

/// Users and teams (review dismissal or bypass lists).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct DismissalRestrictions {
    /// Users.
    pub users: Option<Vec<String>>,
    /// Teams.
    pub teams: Option<Vec<String>>,
}

/// `branch-protection` (Prow's `BranchProtection`): a policy at the top, per org, per repo and
/// per branch; lower levels override higher ones.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct BranchProtection {
    /// The top-level policy.
    #[serde(flatten)]
    pub policy: Policy,
    /// Allow policies that disable protection.
    pub allow_disabled_policies: Option<bool>,
    /// Allow job-generated policies that disable protection.
    pub allow_disabled_job_policies: Option<bool>,
    /// Protect every repository that has presubmits.
    #[serde(rename = "protect-tested-repos")]
    pub protect_tested_repos: Option<bool>,
    /// Protect repositories whose presubmits are all optional.
    pub protect_repos_with_optional_jobs: Option<bool>,
    /// Per-organization policies.
    pub orgs: BTreeMap<String, OrgPolicy>,
}

/// Policy of one organization.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct OrgPolicy {
    /// The org-level policy.
    #[serde(flatten)]
    pub policy: Policy,
    /// Per-repository policies.
    pub repos: BTreeMap<String, RepoPolicy>,
}

/// Policy of one repository.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct RepoPolicy {
    /// The repo-level policy.
    #[serde(flatten)]
    pub policy: Policy,
    /// Per-branch policies.
    pub branches: BTreeMap<String, BranchPolicy>,
}

/// Policy of one branch.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct BranchPolicy {
    /// The branch-level policy.
    #[serde(flatten)]
    pub policy: Policy,
}

/// `in_repo_config` (Prow's `InRepoConfig`).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct InRepoConfig {
    /// Whether in-repo config is enabled, per `org`, `org/repo` or `*`.
    pub enabled: BTreeMap<String, bool>,
    /// Build clusters in-repo jobs may use, per `org`, `org/repo` or `*`.
    pub allowed_clusters: BTreeMap<String, Vec<String>>,
}

impl InRepoConfig {
    /// Whether in-repo config is enabled for `org/repo` (`org/repo`, then `org`, then `*`).
    pub fn enabled_for(&self, org_repo: &str) -> bool {
        let org = org_repo.split_once('/').map_or(org_repo, |(org, _)| org);
        [org_repo, org, "*"]
            .iter()
            .find_map(|key| self.enabled.get(*key))
            .copied()
            .unwrap_or(false)
    }
}

/// `github_reporter` (Prow's `GitHubReporter`).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct GitHubReporter {
    /// Job types reported to GitHub (default presubmit and postsubmit).
    pub job_types_to_report: Vec<String>,
    /// Repositories that get no PR comment.
    pub no_comment_repos: Vec<String>,
    /// Repositories that get one summary comment.
    pub summary_comment_repos: Vec<String>,
}

/// `github` (Prow's `GitHubOptions`).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct GitHubOptions {
    /// Base URL of links to GitHub (default `https://github.com`).
    pub link_url: String,
}
