//! Validation as Prow's `validateJobConfig`, `validateJobBase`, `validatePresubmits`,
//! `validateTriggering`... Every failure is a problem at the job's position. Regexes are
//! compiled once per distinct pattern.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, LazyLock};

use k8s_openapi::api::core::v1::PodSpec;
use regex::Regex;
use serde_json::Value;

use crate::config::Config;
use crate::cron::validate_cron;
use crate::duration::parse_duration;
use crate::finalize::KUBERNETES_AGENT;
use crate::jobs::{Brancher, JobBase, Periodic, Postsubmit, Presubmit, RegexpChangeMatcher};
use crate::matching::default_trigger_for;
use crate::problem::Problem;

static JOB_NAME_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Za-z0-9-._]+$").expect("static regex"));
static LABEL_NAME_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$").expect("static regex")
});
static DNS_SUBDOMAIN_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
        .expect("static regex")
});

/// Labels Prow's decoration sets itself (`decorate.Labels()`); jobs may set the `refs.*` ones.
const RESERVED_LABELS: &[&str] = &[
    "created-by-prow",
    "prow.k8s.io/type",
    "prow.k8s.io/id",
    "prow.k8s.io/build-id",
];
/// Container names of the pod utilities.
const POD_UTILITY_CONTAINERS: &[&str] = &["clonerefs", "initupload", "place-entrypoint", "sidecar"];
/// Volume names the decoration adds (`decorate.VolumeMounts()`).
const DECORATION_VOLUMES: &[&str] = &["logs", "tools", "code", "gcs-credentials"];
/// Volume mounts the decoration adds to the test container.
const TEST_CONTAINER_MOUNTS: &[&str] = &["logs", "tools", "code"];
/// Mount paths the decoration uses on the test container.
const TEST_CONTAINER_MOUNT_PATHS: &[&str] = &["/logs", "/tools", "/home/prow/go"];

/// Prow's `downwardapi.EnvForType`.
fn reserved_env(job_type: JobType) -> &'static [&'static str] {
    const PERIODIC: &[&str] = &[
        "JOB_NAME",
        "JOB_SPEC",
        "JOB_TYPE",
        "PROW_JOB_ID",
        "BUILD_ID",
        "BUILD_NUMBER",
    ];
    const POSTSUBMIT: &[&str] = &[
        "JOB_NAME",
        "JOB_SPEC",
        "JOB_TYPE",
        "PROW_JOB_ID",
        "BUILD_ID",
        "BUILD_NUMBER",
        "REPO_OWNER",
        "REPO_NAME",
        "PULL_BASE_REF",
        "PULL_BASE_SHA",
        "PULL_REFS",
    ];
    const PRESUBMIT: &[&str] = &[
        "JOB_NAME",
        "JOB_SPEC",
        "JOB_TYPE",
        "PROW_JOB_ID",
        "BUILD_ID",
        "BUILD_NUMBER",
        "REPO_OWNER",
        "REPO_NAME",
        "PULL_BASE_REF",
        "PULL_BASE_SHA",
        "PULL_REFS",
        "PULL_NUMBER",
        "PULL_PULL_SHA",
        "PULL_HEAD_REF",
        "PULL_TITLE",
    ];
    match job_type {
        JobType::Presubmit => PRESUBMIT,
        JobType::Postsubmit => POSTSUBMIT,
        JobType::Periodic => PERIODIC,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum JobType {
    Presubmit,
    Postsubmit,
    Periodic,
}

/// Compiled regexes by pattern: identical patterns (e.g. `branches: [main]`) compile once.
#[derive(Default)]
struct RegexCache {
    compiled: HashMap<String, Result<Arc<Regex>, String>>,
}

impl RegexCache {
    fn get(&mut self, pattern: &str) -> Result<Arc<Regex>, String> {
        if let Some(hit) = self.compiled.get(pattern) {
            return hit.clone();
        }
        let result = Regex::new(pattern).map(Arc::new).map_err(|e| {
            e.to_string()
                .lines()
                .last()
                .unwrap_or_default()
                .trim()
                .to_string()
        });
        self.compiled.insert(pattern.to_string(), result.clone());
        result
    }
}

/// Collects a job's problems, each prefixed with the job's path and name.
struct JobReport<'a> {
    base: &'a JobBase,
    problems: &'a mut Vec<Problem>,
}

impl JobReport<'_> {
    fn error(&mut self, message: impl std::fmt::Display) {
        let b = self.base;
        self.problems.push(Problem::error(
            &b.source.file,
            b.source.mark,
            format!("{} (job {}): {message}", b.source.path, b.name),
        ));
    }

    fn warning(&mut self, message: impl std::fmt::Display) {
        let b = self.base;
        self.problems.push(Problem::warning(
            &b.source.file,
            b.source.mark,
            format!("{} (job {}): {message}", b.source.path, b.name),
        ));
    }
}

pub(crate) fn validate(config: &mut Config, problems: &mut Vec<Problem>) {
    let mut cache = RegexCache::default();
    let pod_namespace = config.prow.pod_namespace.clone();
    let queues = &config.prow.plank.job_queue_capacities;
    for (repo, jobs) in &mut config.jobs.presubmits {
        for job in jobs.iter_mut() {
            compile_presubmit(job, &mut cache, problems);
        }
        validate_repo_jobs(repo, jobs, &pod_namespace, queues, problems);
    }
    for (repo, jobs) in &mut config.jobs.postsubmits {
        for job in jobs.iter_mut() {
            let mut report = JobReport {
                base: &job.base,
                problems,
            };
            compile_brancher(&mut job.brancher, &mut cache, &mut report);
            compile_changes(&mut job.change_matcher, &mut cache, &mut report);
        }
        validate_repo_jobs(repo, jobs, &pod_namespace, queues, problems);
    }
    validate_periodics(&mut config.jobs.periodics, &pod_namespace, queues, problems);
}

fn compile_presubmit(job: &mut Presubmit, cache: &mut RegexCache, problems: &mut Vec<Problem>) {
    let mut report = JobReport {
        base: &job.base,
        problems,
    };
    // The default trigger is valid and matches the default rerun command by construction; it is
    // compiled on first use instead of here (thousands of distinct patterns).
    let is_default =
        job.trigger == default_trigger_for(&job.base.name) && JOB_NAME_RE.is_match(&job.base.name);
    if !job.trigger.is_empty() && !is_default {
        match cache.get(&job.trigger) {
            Ok(re) => {
                if !job.rerun_command.is_empty() && !re.is_match(&job.rerun_command) {
                    report.error(format!(
                        "rerun_command {:?} does not match trigger {:?}",
                        job.rerun_command, job.trigger
                    ));
                }
                let _ = job.trigger_re.set(Some(re));
            }
            Err(e) => report.error(format!("trigger: invalid regex {:?}: {e}", job.trigger)),
        }
    }
    compile_brancher(&mut job.brancher, cache, &mut report);
    compile_changes(&mut job.change_matcher, cache, &mut report);
}

fn compile_brancher(brancher: &mut Brancher, cache: &mut RegexCache, report: &mut JobReport<'_>) {
    if !brancher.branches.is_empty() {
        match cache.get(&brancher.branches.join("|")) {
            Ok(re) => brancher.re = Some(re),
            Err(e) => report.error(format!("branches: invalid regex: {e}")),
        }
    }
    if !brancher.skip_branches.is_empty() {
        match cache.get(&brancher.skip_branches.join("|")) {
            Ok(re) => brancher.re_skip = Some(re),
            Err(e) => report.error(format!("skip_branches: invalid regex: {e}")),
        }
    }
}

fn compile_changes(
    matcher: &mut RegexpChangeMatcher,
    cache: &mut RegexCache,
    report: &mut JobReport<'_>,
) {
    if !matcher.run_if_changed.is_empty() && !matcher.skip_if_only_changed.is_empty() {
        report.error("run_if_changed and skip_if_only_changed are mutually exclusive");
    }
    for (field, pattern) in [
        ("run_if_changed", &matcher.run_if_changed),
        ("skip_if_only_changed", &matcher.skip_if_only_changed),
    ] {
        if pattern.is_empty() {
            continue;
        }
        match cache.get(pattern) {
            Ok(re) => {
                if matcher.re_changes.is_none() {
                    matcher.re_changes = Some(re);
                }
            }
            Err(e) => report.error(format!("{field}: invalid regex {pattern:?}: {e}")),
        }
    }
}

/// What presubmits and postsubmits share for validation: a name and a context that must be
/// unique among the repo's jobs that can run on the same branches.
trait RepoJob {
    const TYPE: JobType;
    fn base(&self) -> &JobBase;
    fn brancher(&self) -> &Brancher;
    fn context(&self) -> &str;
    /// The checks only this kind of job has.
    fn validate_own_fields(&self, report: &mut JobReport<'_>);
}

impl RepoJob for Presubmit {
    const TYPE: JobType = JobType::Presubmit;
    fn base(&self) -> &JobBase {
        &self.base
    }
    fn brancher(&self) -> &Brancher {
        &self.brancher
    }
    fn context(&self) -> &str {
        &self.reporter.context
    }
    fn validate_own_fields(&self, report: &mut JobReport<'_>) {
        if self.always_run && !self.change_matcher.run_if_changed.is_empty() {
            report.error("always_run and run_if_changed are mutually exclusive");
        }
        if self.always_run && !self.change_matcher.skip_if_only_changed.is_empty() {
            report.error("always_run and skip_if_only_changed are mutually exclusive");
        }
        if self.trigger.is_empty() != self.rerun_command.is_empty() {
            report.error("trigger and rerun_command must be set together");
        }
        if self.jenkins_spec.is_some() {
            report.warning("jenkins_spec: Jenkins jobs are not implemented by prow-rs");
        }
    }
}

impl RepoJob for Postsubmit {
    const TYPE: JobType = JobType::Postsubmit;
    fn base(&self) -> &JobBase {
        &self.base
    }
    fn brancher(&self) -> &Brancher {
        &self.brancher
    }
    fn context(&self) -> &str {
        &self.reporter.context
    }
    fn validate_own_fields(&self, report: &mut JobReport<'_>) {
        if self.always_run == Some(true) && self.change_matcher.could_run() {
            report.error(
                "always_run: true and run_if_changed/skip_if_only_changed are mutually exclusive",
            );
        }
        if self.jenkins_spec.is_some() {
            report.warning("jenkins_spec: Jenkins jobs are not implemented by prow-rs");
        }
    }
}

fn validate_repo_jobs<J: RepoJob>(
    repo: &str,
    jobs: &[J],
    pod_namespace: &str,
    queues: &BTreeMap<String, i64>,
    problems: &mut Vec<Problem>,
) {
    let kind = match J::TYPE {
        JobType::Presubmit => "presubmit",
        JobType::Postsubmit => "postsubmit",
        JobType::Periodic => "periodic",
    };
    let names = index_by(jobs.iter().map(|j| j.base().name.as_str()));
    let contexts = index_by(jobs.iter().map(RepoJob::context));
    for (i, job) in jobs.iter().enumerate() {
        let base = job.base();
        let mut report = JobReport { base, problems };
        for &other in &names[base.name.as_str()] {
            if other < i && jobs[other].brancher().intersects(job.brancher()) {
                report.error(format!("duplicated {kind} job {} for {repo}", base.name));
                break;
            }
        }
        for &other in &contexts[job.context()] {
            let o = &jobs[other];
            if o.base().name != base.name && o.brancher().intersects(job.brancher()) {
                report.error(format!(
                    "jobs {} and {} report to the same GitHub context {:?}",
                    o.base().name,
                    base.name,
                    job.context()
                ));
            }
        }
        validate_job_base(base, J::TYPE, pod_namespace, queues, &mut report);
        validate_refs(repo, base, &mut report);
        job.validate_own_fields(&mut report);
    }
}

fn validate_periodics(
    jobs: &mut [Periodic],
    pod_namespace: &str,
    queues: &BTreeMap<String, i64>,
    problems: &mut Vec<Problem>,
) {
    let mut seen = HashSet::new();
    for job in jobs.iter_mut() {
        let mut report = JobReport {
            base: &job.base,
            problems,
        };
        if !seen.insert(job.base.name.clone()) {
            report.error(format!("duplicated periodic job {}", job.base.name));
        }
        validate_job_base(
            &job.base,
            JobType::Periodic,
            pod_namespace,
            queues,
            &mut report,
        );
        let set = [
            !job.cron.is_empty(),
            !job.interval.is_empty(),
            !job.minimum_interval.is_empty(),
        ];
        match set.iter().filter(|s| **s).count() {
            0 => report.error("one of cron, interval or minimum_interval must be set"),
            1 => {}
            _ => report.error("cron, interval and minimum_interval are mutually exclusive"),
        }
        if !job.cron.is_empty()
            && let Err(e) = validate_cron(&job.cron)
        {
            report.error(format!("cron: invalid cron string {:?}: {e}", job.cron));
        }
        if !job.interval.is_empty() {
            match parse_duration(&job.interval) {
                Ok(d) => job.interval_duration = Some(d),
                Err(e) => report.error(format!("interval: {e}")),
            }
        }
        if !job.minimum_interval.is_empty() {
            match parse_duration(&job.minimum_interval) {
                Ok(d) => job.minimum_interval_duration = Some(d),
                Err(e) => report.error(format!("minimum_interval: {e}")),
            }
        }
        if let Some(retry) = &job.retry
            && !retry.interval.is_empty()
            && let Err(e) = parse_duration(&retry.interval)
        {
            report.error(format!("retry.interval: {e}"));
        }
    }
}

/// Positions of each key, for uniqueness checks without comparing every pair.
fn index_by<'a>(keys: impl Iterator<Item = &'a str>) -> HashMap<&'a str, Vec<usize>> {
    let mut index: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, key) in keys.enumerate() {
        index.entry(key).or_default().push(i);
    }
    index
}

/// Prow's `ValidateRefs`: the job's repo and extra_refs are all distinct.
fn validate_refs(repo: &str, base: &JobBase, report: &mut JobReport<'_>) {
    let mut seen = HashSet::from([repo.to_string()]);
    for r in &base.utility_config.extra_refs {
        let key = format!("{}/{}", r.org, r.repo);
        if !seen.insert(key.clone()) {
            report.error(format!("extra_refs: {key} is specified more than once"));
        }
    }
}

/// Prow's `validateJobBase`.
fn validate_job_base(
    base: &JobBase,
    job_type: JobType,
    pod_namespace: &str,
    queues: &BTreeMap<String, i64>,
    report: &mut JobReport<'_>,
) {
    if !JOB_NAME_RE.is_match(&base.name) {
        report.error(format!("name: must match regex {:?}", JOB_NAME_RE.as_str()));
    }
    if base.max_concurrency < 0 {
        report.error(format!(
            "max_concurrency: {} must be a non-negative number",
            base.max_concurrency
        ));
    }
    if !base.job_queue_name.is_empty() && !queues.contains_key(&base.job_queue_name) {
        report.error(format!(
            "job_queue_name: {:?} is not defined in plank.job_queue_capacities",
            base.job_queue_name
        ));
    }
    validate_agent(base, pod_namespace, report);
    if let Some(spec) = &base.spec {
        let decorated = base.utility_config.decoration_config.is_some();
        validate_pod_spec(job_type, &spec.get(), decorated, report);
    }
    for (key, value) in &base.labels {
        if RESERVED_LABELS.contains(&key.as_str()) {
            report.error(format!("labels: label {key} is reserved for decoration"));
        }
        if let Err(e) = qualified_name(key) {
            report.error(format!("labels: invalid label {key}: {e}"));
        }
        if value.len() > 63 || (!value.is_empty() && !LABEL_NAME_RE.is_match(value)) {
            report.error(format!(
                "labels: label {key} has invalid value {value:?}: at most 63 characters, alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric"
            ));
        }
    }
    for key in base.annotations.keys() {
        if let Err(e) = qualified_name(key) {
            report.error(format!("annotations: invalid annotation key {key:?}: {e}"));
        }
    }
    if let Some(slack) = base.reporter_config.as_ref().and_then(|r| r.slack.as_ref()) {
        let _ = slack;
        report.warning("reporter_config.slack: Slack reporting is not implemented by prow-rs");
    }
    let Some(spec) = &base.spec else { return };
    let spec = spec.get();
    if spec.containers.is_empty() {
        return;
    }
    if let Some(auth) = &base.rerun_auth_config
        && auth.allow_anyone
        && (!auth.github_users.is_empty()
            || !auth.github_team_ids.is_empty()
            || !auth.github_team_slugs.is_empty())
    {
        report.error("rerun_auth_config: allow_anyone is set to true and permitted users or groups are specified");
    }
    if let Some(decoration) = &base.utility_config.decoration_config {
        if let Err(e) = validate_decoration_config(decoration) {
            report.error(format!("decoration_config: invalid decoration config: {e}"));
        }
        for container in &spec.containers {
            let has_command = container
                .command
                .iter()
                .flatten()
                .chain(container.args.iter().flatten())
                .next()
                .is_some_and(|first| !first.is_empty());
            if !has_command {
                report.error(format!(
                    "spec.containers ({}): decorated job containers must specify command and/or args",
                    container.name
                ));
            }
        }
    }
}

/// Prow's `validateAgent`; agents prow-rs cannot run are warnings.
fn validate_agent(base: &JobBase, pod_namespace: &str, report: &mut JobReport<'_>) {
    let agent = base.agent.as_str();
    match agent {
        KUBERNETES_AGENT => {
            if base.spec.is_none() {
                report.error("spec: kubernetes jobs require a spec");
            }
        }
        "jenkins" | "tekton-pipeline" => {
            report.warning(format!(
                "agent: {agent} is not implemented by prow-rs; the job will not run"
            ));
            if base.spec.is_some() {
                report.error(format!(
                    "spec: job specs require agent: kubernetes (found {agent:?})"
                ));
            }
            if base.utility_config.decoration_config.is_some()
                && base.utility_config.decorate == Some(true)
            {
                report.error(format!(
                    "decoration requires agent: kubernetes (found {agent:?})"
                ));
            }
            if base.error_on_eviction {
                report.error(format!(
                    "error_on_eviction only applies to agent: kubernetes (found {agent:?})"
                ));
            }
        }
        _ => report.warning(format!("agent: {agent} is unknown and cannot be validated")),
    }
    if base.pipeline_run_spec.is_some() || base.tekton_pipeline_run_spec.is_some() {
        if agent != "tekton-pipeline" {
            report.error(format!(
                "pipeline_run_spec: requires agent: tekton-pipeline (found {agent:?})"
            ));
        }
        report.warning("pipeline_run_spec: Tekton pipelines are not implemented by prow-rs");
    }
    if let Some(ns) = &base.namespace
        && ns != pod_namespace
        && agent != "tekton-pipeline"
    {
        report.error(format!(
            "namespace: customization requires agent: tekton-pipeline (found {agent:?}); pods run in pod_namespace {pod_namespace:?}"
        ));
    }
}

/// Prow's `validatePodSpec`.
fn validate_pod_spec(
    job_type: JobType,
    spec: &PodSpec,
    decorated: bool,
    report: &mut JobReport<'_>,
) {
    if spec.init_containers.as_ref().is_some_and(|c| !c.is_empty()) {
        report.error("spec.initContainers: pod spec may not use init containers");
    }
    let n = spec.containers.len();
    if n == 0 {
        report.error("spec.containers: pod spec must specify at least 1 container, found: 0");
        return;
    }
    if n > 1 && !decorated {
        report.error(format!("spec.containers: pod utility decoration must be enabled to use multiple containers: {n}"));
        return;
    }
    if n > 1 {
        let mut names = HashSet::new();
        for c in &spec.containers {
            if c.name.is_empty() {
                report.error("spec.containers: all containers must have names when defining multiple containers");
            }
            if !names.insert(c.name.as_str()) {
                report.error(format!(
                    "spec.containers: container named {:?} is defined more than once",
                    c.name
                ));
            }
            if POD_UTILITY_CONTAINERS.contains(&c.name.as_str()) {
                report.error(format!(
                    "spec.containers: container name {} is reserved for decoration",
                    c.name
                ));
            }
        }
    }
    let reserved = reserved_env(job_type);
    for (i, c) in spec.containers.iter().enumerate() {
        let mut names = HashSet::new();
        for env in c.env.iter().flatten() {
            if !names.insert(env.name.as_str()) {
                report.error(format!(
                    "spec.containers[{i}].env: env var named {:?} is defined more than once",
                    env.name
                ));
            }
            if reserved.contains(&env.name.as_str()) {
                report.error(format!(
                    "spec.containers[{i}].env: env {} is reserved",
                    env.name
                ));
            }
        }
    }
    let mut volumes = HashSet::new();
    for v in spec.volumes.iter().flatten() {
        if !volumes.insert(v.name.as_str()) {
            report.error(format!(
                "spec.volumes: volume named {:?} is defined more than once",
                v.name
            ));
        }
        if decorated && DECORATION_VOLUMES.contains(&v.name.as_str()) {
            report.error(format!(
                "spec.volumes: volume {} is reserved for decoration",
                v.name
            ));
        }
    }
    for (i, c) in spec.containers.iter().enumerate() {
        for m in c.volume_mounts.iter().flatten() {
            if !volumes.contains(m.name.as_str()) && !DECORATION_VOLUMES.contains(&m.name.as_str())
            {
                report.error(format!(
                    "spec.containers[{i}].volumeMounts: volumeMount named {:?} is undefined",
                    m.name
                ));
            }
            if decorated && TEST_CONTAINER_MOUNTS.contains(&m.name.as_str()) {
                report.error(format!("spec.containers[{i}].volumeMounts: volumeMount name {} is reserved for decoration", m.name));
            }
            if decorated && TEST_CONTAINER_MOUNT_PATHS.contains(&m.mount_path.as_str()) {
                report.error(format!(
                    "spec.containers[{i}].volumeMounts: mount {} at {} conflicts with decoration mount",
                    m.name, m.mount_path
                ));
            }
        }
    }
}

/// Prow's `DecorationConfig.Validate` on the merged JSON.
fn validate_decoration_config(config: &Value) -> Result<(), String> {
    let images = config.get("utility_images").filter(|v| v.is_object());
    let Some(images) = images else {
        return Err("utility image config is not specified".into());
    };
    let missing: Vec<&str> = ["clonerefs", "initupload", "entrypoint", "sidecar"]
        .into_iter()
        .filter(|k| {
            images
                .get(*k)
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
        })
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "the following utility images are not specified: {missing:?}"
        ));
    }
    let Some(gcs) = config.get("gcs_configuration").filter(|v| v.is_object()) else {
        return Err("GCS upload configuration is not specified".into());
    };
    let text = |v: &Value, k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let strategy = text(gcs, "path_strategy");
    if !["legacy", "single", "explicit"].contains(&strategy.as_str()) {
        return Err(format!(
            "GCS configuration is invalid: gcs_path_strategy must be one of \"legacy\", \"single\" or \"explicit\", found {strategy:?}"
        ));
    }
    if strategy != "explicit"
        && (text(gcs, "default_org").is_empty() || text(gcs, "default_repo").is_empty())
    {
        return Err(format!(
            "GCS configuration is invalid: default org and repo must be provided for GCS strategy {strategy:?}"
        ));
    }
    let has_oauth = config
        .get("oauth_token_secret")
        .is_some_and(|v| !v.is_null());
    let has_ssh = config
        .get("ssh_key_secrets")
        .and_then(Value::as_array)
        .is_some_and(|a| !a.is_empty());
    if has_oauth && has_ssh {
        return Err("both OAuth token and SSH key secrets are specified".into());
    }
    Ok(())
}

/// Kubernetes `IsQualifiedName`: `[prefix/]name`, prefix a DNS subdomain (≤ 253), name ≤ 63.
fn qualified_name(key: &str) -> Result<(), String> {
    let (prefix, name) = match key.rsplit_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    if let Some(prefix) = prefix
        && (prefix.is_empty() || prefix.len() > 253 || !DNS_SUBDOMAIN_RE.is_match(prefix))
    {
        return Err("prefix part must be a lowercase DNS subdomain".into());
    }
    if name.is_empty() || name.len() > 63 || !LABEL_NAME_RE.is_match(name) {
        return Err("name part must be at most 63 alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric".into());
    }
    Ok(())
}

/// Prow's `validateComponentConfig` and the checks of `parseProwConfig` on the settings
/// prow-rs reads; problems point at the offending key in config.yaml.
pub(crate) fn validate_components(
    root: &crate::yaml::Node,
    prow: &crate::config::ProwConfig,
    file: &std::path::Path,
    problems: &mut Vec<Problem>,
) {
    let mark_of = |path: &[&str]| {
        let mut node = root;
        let mut mark = root.mark;
        for key in path {
            match node.entry(key) {
                Some((k, v)) => {
                    mark = k.mark;
                    node = v;
                }
                None => break,
            }
        }
        mark
    };
    let mut error = |path: &[&str], message: String| {
        problems.push(Problem::error(
            file,
            mark_of(path),
            format!("{}: {message}", path.join(".")),
        ));
    };
    let plank = &prow.plank;
    if !plank.job_url_prefix.is_empty()
        && plank
            .job_url_prefix_config
            .get("*")
            .is_some_and(|v| !v.is_empty())
    {
        error(
            &["plank", "job_url_prefix"],
            "must be unset when job_url_prefix_config[\"*\"] is set (the former is deprecated)"
                .into(),
        );
    }
    if !plank.report_template.is_empty()
        && root
            .get("plank")
            .and_then(|p| p.get("report_templates"))
            .is_some()
    {
        error(
            &["plank", "report_template"],
            "both report_template and report_templates are specified".into(),
        );
    }
    if plank.max_concurrency < 0 {
        error(
            &["plank", "max_concurrency"],
            format!("{} must be a non-negative number", plank.max_concurrency),
        );
    }
    for (name, capacity) in &plank.job_queue_capacities {
        if *capacity < 0 {
            error(
                &["plank", "job_queue_capacities", name],
                format!("{capacity} must be a non-negative number"),
            );
        }
    }
    if prow.deck.spyglass.size_limit < 0 {
        error(&["deck", "spyglass", "size_limit"], "must be >= 0".into());
    }
    for job_type in &prow.github_reporter.job_types_to_report {
        if job_type != "presubmit" && job_type != "postsubmit" {
            error(
                &["github_reporter", "job_types_to_report"],
                format!(
                    "invalid job type {job_type:?}: only presubmit and postsubmit can be reported to GitHub"
                ),
            );
        }
    }
    let mut auth_keys: Vec<&String> = prow.deck.rerun_auth_configs.keys().collect();
    auth_keys.sort();
    for key in auth_keys {
        let auth = &prow.deck.rerun_auth_configs[key];
        if auth.allow_anyone
            && (!auth.github_users.is_empty()
                || !auth.github_team_ids.is_empty()
                || !auth.github_team_slugs.is_empty())
        {
            error(
                &["deck", "rerun_auth_configs", key],
                "allow_anyone is set to true and permitted users or groups are specified".into(),
            );
        }
    }
}
