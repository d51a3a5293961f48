//! After reading: Prow's defaults (`defaultJobBase`, `defaultPresubmitFields`...), decoration
//! defaults (`setPresubmitDecorationDefaults`...), presets (`resolvePresets`), then validation.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use k8s_openapi::api::core::v1::PodSpec;
use serde_json::Value;

use crate::config::{Config, Plank};
use crate::jobs::{Job, JobBase, Preset};
use crate::matching::{default_rerun_command_for, default_trigger_for};
use crate::problem::Problem;
use crate::validate::validate;
use crate::yaml::Mark;

/// The build cluster jobs run on when they name none (Prow's `kube.DefaultClusterAlias`).
pub const DEFAULT_CLUSTER: &str = "default";
/// The agent jobs use when they name none.
pub const KUBERNETES_AGENT: &str = "kubernetes";

pub(crate) fn finalize(config: &mut Config, config_file: &Path, problems: &mut Vec<Problem>) {
    let pod_namespace = config.prow.pod_namespace.clone();
    let decorate_all = config.jobs.decorate_all_jobs;
    let plank = &config.prow.plank;
    let entries = plank.decoration_entries();
    let mut decorations = SharedDecorations::new(&entries);
    let mut decoration_requested = false;

    for (repo, jobs) in &mut config.jobs.presubmits {
        for job in jobs.iter_mut() {
            decoration_requested |=
                default_decoration(&mut job.base, repo, decorate_all, &mut decorations);
            default_job_base(&mut job.base, &pod_namespace);
            if job.reporter.context.is_empty() {
                job.reporter.context = job.base.name.clone();
            }
            if job.trigger.is_empty() && job.rerun_command.is_empty() {
                job.trigger = default_trigger_for(&job.base.name);
                job.rerun_command = default_rerun_command_for(&job.base.name);
            }
        }
    }
    for (repo, jobs) in &mut config.jobs.postsubmits {
        for job in jobs.iter_mut() {
            decoration_requested |=
                default_decoration(&mut job.base, repo, decorate_all, &mut decorations);
            default_job_base(&mut job.base, &pod_namespace);
            if job.reporter.context.is_empty() {
                job.reporter.context = job.base.name.clone();
            }
        }
    }
    for job in &mut config.jobs.periodics {
        let repo = job
            .base
            .utility_config
            .extra_refs
            .first()
            .map(|r| format!("{}/{}", r.org, r.repo))
            .unwrap_or_default();
        decoration_requested |=
            default_decoration(&mut job.base, &repo, decorate_all, &mut decorations);
        default_job_base(&mut job.base, &pod_namespace);
    }
    if decoration_requested && entries.is_empty() {
        problems.push(Problem::error(
            config_file,
            Mark { line: 1, col: 1 },
            "plank.default_decoration_config_entries: jobs request decoration but no default decoration config is set",
        ));
    }

    apply_prowjob_defaults(config);

    let presets = std::mem::take(&mut config.jobs.presets);
    for jobs in config.jobs.presubmits.values_mut() {
        for job in jobs.iter_mut() {
            resolve_presets(job, &presets, problems);
        }
    }
    for jobs in config.jobs.postsubmits.values_mut() {
        for job in jobs.iter_mut() {
            resolve_presets(job, &presets, problems);
        }
    }
    for job in &mut config.jobs.periodics {
        resolve_presets(job, &presets, problems);
    }
    config.jobs.presets = presets;

    validate(config, problems);
}

/// Prow's `mergeProwJobDefault`: every job gets the matching `prowjob_default_entries` merged
/// under its own `prowjob_defaults`.
fn apply_prowjob_defaults(config: &mut Config) {
    let entries = &config.prow.prowjob_default_entries;
    if entries.is_empty() {
        return;
    }
    let merge = |base: &mut JobBase, repo: &str| {
        let mut merged: Option<Value> = None;
        for entry in entries.iter().filter(|e| e.matches(repo, &base.cluster)) {
            merged = apply_default(entry.config.clone(), merged, 0);
        }
        base.prowjob_defaults = apply_default(base.prowjob_defaults.take(), merged, 0);
    };
    for (repo, jobs) in &mut config.jobs.presubmits {
        jobs.iter_mut().for_each(|j| merge(&mut j.base, repo));
    }
    for (repo, jobs) in &mut config.jobs.postsubmits {
        jobs.iter_mut().for_each(|j| merge(&mut j.base, repo));
    }
    for job in &mut config.jobs.periodics {
        let repo = job
            .base
            .utility_config
            .extra_refs
            .first()
            .map(|r| format!("{}/{}", r.org, r.repo))
            .unwrap_or_default();
        merge(&mut job.base, &repo);
    }
}

/// Prow's `defaultJobBase`: agent `kubernetes`, namespace `pod_namespace`, cluster `default`.
fn default_job_base(base: &mut JobBase, pod_namespace: &str) {
    if base.agent.is_empty() {
        base.agent = KUBERNETES_AGENT.into();
    }
    if base.namespace.as_deref().is_none_or(str::is_empty) {
        base.namespace = Some(pod_namespace.to_string());
    }
    if base.cluster.is_empty() {
        base.cluster = DEFAULT_CLUSTER.into();
    }
}

/// Prow's `shouldDecorate` + `mergeDefaultDecorationConfig`; returns whether the job is decorated.
fn default_decoration(
    base: &mut JobBase,
    repo: &str,
    decorate_all: bool,
    decorations: &mut SharedDecorations<'_>,
) -> bool {
    let util = &mut base.utility_config;
    let decorate = *util.decorate.get_or_insert(decorate_all);
    if decorate {
        let cluster = if base.cluster.is_empty() {
            DEFAULT_CLUSTER
        } else {
            base.cluster.as_str()
        };
        let own = util.decoration_config.take();
        util.decoration_config = Some(decorations.for_job(repo, cluster, own));
    }
    decorate
}

/// The merged decoration of jobs that set none of their own (most jobs) depends only on which
/// default entries match them: one shared copy per set of entries instead of one per job (in
/// the kubernetes config that is ~27 MB of JSON maps less).
struct SharedDecorations<'a> {
    entries: &'a [crate::config::DefaultDecorationConfigEntry],
    by_entries: HashMap<Vec<usize>, Arc<Value>>,
}

impl<'a> SharedDecorations<'a> {
    fn new(entries: &'a [crate::config::DefaultDecorationConfigEntry]) -> Self {
        SharedDecorations {
            entries,
            by_entries: HashMap::new(),
        }
    }

    fn for_job(&mut self, repo: &str, cluster: &str, own: Option<Arc<Value>>) -> Arc<Value> {
        let entries = self.entries;
        if let Some(own) = own {
            let own = Arc::unwrap_or_clone(own);
            return Arc::new(merge_decoration(entries, repo, cluster, Some(own)));
        }
        let matching: Vec<usize> = entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.matches(repo, cluster))
            .map(|(i, _)| i)
            .collect();
        Arc::clone(
            self.by_entries
                .entry(matching)
                .or_insert_with(|| Arc::new(merge_decoration(entries, repo, cluster, None))),
        )
    }
}

/// The decoration config of a job: every matching entry applied in order (later ones override
/// earlier), then the job's own settings on top. Exposed for components that decorate
/// ad-hoc jobs.
pub fn merge_decoration(
    entries: &[crate::config::DefaultDecorationConfigEntry],
    repo: &str,
    cluster: &str,
    job: Option<Value>,
) -> Value {
    let mut merged: Option<Value> = None;
    for entry in entries.iter().filter(|e| e.matches(repo, cluster)) {
        merged = apply_default(entry.config.clone(), merged, 0);
    }
    apply_default(job, merged, 0).unwrap_or_else(|| Value::Object(Default::default()))
}

/// Prow's `DecorationConfig.ApplyDefault` on JSON: fields set in `over` win; a field that is
/// absent, null, `""` or `[]` takes the default. Nested settings (`utility_images`,
/// `gcs_configuration`, `censoring_options`, `resources`) merge field by field; each container's
/// `resources.<container>` is taken whole, as Prow does.
fn apply_default(over: Option<Value>, under: Option<Value>, depth: usize) -> Option<Value> {
    match (over, under) {
        (None, under) => under,
        (over, None) => over,
        (Some(Value::Object(mut over)), Some(Value::Object(under))) if depth < 2 => {
            for (key, default) in under {
                let nested = depth == 0
                    && matches!(
                        key.as_str(),
                        "utility_images" | "gcs_configuration" | "censoring_options" | "resources"
                    );
                match over.get_mut(&key) {
                    Some(current) if nested => {
                        let value = std::mem::take(current);
                        *current = apply_default(Some(value), Some(default), depth + 1)
                            .unwrap_or(Value::Null);
                    }
                    Some(current) if !is_unset(current) => {}
                    _ => {
                        over.insert(key, default);
                    }
                }
            }
            Some(Value::Object(over))
        }
        (Some(over), Some(under)) => Some(if is_unset(&over) { under } else { over }),
    }
}

fn is_unset(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// Merges every preset whose labels the job carries (Prow's `resolvePresets`).
fn resolve_presets<J: Job>(job: &mut J, presets: &[Preset], problems: &mut Vec<Problem>) {
    let base = job.base_mut();
    let Some(stored) = base.spec.as_mut() else {
        return;
    };
    if !presets.iter().any(|preset| preset.applies_to(&base.labels)) {
        return;
    }
    let spec = stored.typed_mut();
    for preset in presets {
        if let Err(message) = merge_preset(preset, &base.labels, spec) {
            problems.push(Problem::error(
                &base.source.file,
                base.source.mark,
                format!(
                    "{} (job {}): failed to merge presets for podspec: {message}",
                    base.source.path, base.name
                ),
            ));
        }
    }
    // Presets grow these lists one item at a time; a k8s-openapi `Volume` is over 3 KB, so
    // the spare capacity would cost tens of MB on a large instance.
    if let Some(volumes) = spec.volumes.as_mut() {
        volumes.shrink_to_fit();
    }
    for container in &mut spec.containers {
        if let Some(env) = container.env.as_mut() {
            env.shrink_to_fit();
        }
        if let Some(mounts) = container.volume_mounts.as_mut() {
            mounts.shrink_to_fit();
        }
    }
    stored.compact();
}

/// Prow's `mergePreset`: if the job's labels include all the preset's labels, add its env and
/// volume mounts to every container and its volumes and tolerations to the pod. A name already
/// present is an error.
pub fn merge_preset(
    preset: &Preset,
    labels: &std::collections::BTreeMap<String, String>,
    spec: &mut PodSpec,
) -> Result<(), String> {
    if !preset.applies_to(labels) {
        return Ok(());
    }
    for env in &preset.env {
        for container in &mut spec.containers {
            let list = container.env.get_or_insert_with(Vec::new);
            if list.iter().any(|e| e.name == env.name) {
                return Err(format!("env var duplicated in pod spec: {}", env.name));
            }
            list.push(env.clone());
        }
    }
    for volume in &preset.volumes {
        let list = spec.volumes.get_or_insert_with(Vec::new);
        if list.iter().any(|v| v.name == volume.name) {
            return Err(format!("volume duplicated in pod spec: {}", volume.name));
        }
        list.push(volume.clone());
    }
    for mount in &preset.volume_mounts {
        for container in &mut spec.containers {
            let list = container.volume_mounts.get_or_insert_with(Vec::new);
            if list.iter().any(|m| m.name == mount.name) {
                return Err(format!(
                    "volume mount duplicated in pod spec: {}",
                    mount.name
                ));
            }
            list.push(mount.clone());
        }
    }
    for toleration in &preset.tolerations {
        let list = spec.tolerations.get_or_insert_with(Vec::new);
        if list.contains(toleration) {
            return Err(format!("toleration duplicated in pod spec: {toleration:?}"));
        }
        list.push(toleration.clone());
    }
    Ok(())
}

impl Plank {
    /// The decoration config a job of `repo` on `cluster` gets when it sets none itself.
    pub fn default_decoration_for(&self, repo: &str, cluster: &str) -> Value {
        merge_decoration(&self.decoration_entries(), repo, cluster, None)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use k8s_openapi::api::core::v1::{Container, EnvVar, Volume};
    use serde_json::json;

    use super::*;
    use crate::config::DefaultDecorationConfigEntry;

    fn entry(repo: &str, cluster: &str, config: Value) -> DefaultDecorationConfigEntry {
        DefaultDecorationConfigEntry {
            repo: repo.into(),
            cluster: cluster.into(),
            config: Some(config),
        }
    }

    #[test]
    fn decoration_entries_apply_in_order_and_the_job_wins() {
        let entries = [
            entry(
                "",
                "",
                json!({"timeout": "2h", "utility_images": {"clonerefs": "c:1", "sidecar": "s:1"}}),
            ),
            entry("org", "", json!({"timeout": "3h"})),
            entry("other", "", json!({"timeout": "9h"})),
            entry("*", "build", json!({"grace_period": "1m"})),
            entry(
                "org/repo",
                "default",
                json!({"utility_images": {"sidecar": "s:2"}}),
            ),
        ];
        // (repo, cluster, job config, expected)
        let cases = [
            (
                "org/repo",
                "default",
                None,
                json!({"timeout": "3h", "utility_images": {"clonerefs": "c:1", "sidecar": "s:2"}}),
            ),
            (
                "org/other",
                "build",
                None,
                json!({"timeout": "3h", "grace_period": "1m", "utility_images": {"clonerefs": "c:1", "sidecar": "s:1"}}),
            ),
            (
                "",
                "default",
                None,
                json!({"timeout": "2h", "utility_images": {"clonerefs": "c:1", "sidecar": "s:1"}}),
            ),
            (
                "org/x",
                "default",
                Some(json!({"timeout": "10m", "utility_images": {"clonerefs": ""}})),
                json!({"timeout": "10m", "utility_images": {"clonerefs": "c:1", "sidecar": "s:1"}}),
            ),
        ];
        for (repo, cluster, job, expected) in cases {
            assert_eq!(
                merge_decoration(&entries, repo, cluster, job.clone()),
                expected,
                "{repo} {cluster} {job:?}"
            );
        }
    }

    #[test]
    fn container_resources_are_taken_whole() {
        let entries = [entry(
            "",
            "",
            json!({"resources": {"sidecar": {"requests": {"cpu": "100m"}, "limits": {"cpu": "1"}}, "clonerefs": {"requests": {"cpu": "1"}}}}),
        )];
        let job = json!({"resources": {"sidecar": {"requests": {"cpu": "200m"}}}});
        let merged = merge_decoration(&entries, "o/r", "default", Some(job));
        assert_eq!(
            merged["resources"]["sidecar"],
            json!({"requests": {"cpu": "200m"}})
        );
        assert_eq!(
            merged["resources"]["clonerefs"],
            json!({"requests": {"cpu": "1"}})
        );
    }

    fn spec_with(env: &[&str], volumes: &[&str]) -> PodSpec {
        PodSpec {
            containers: vec![Container {
                env: Some(
                    env.iter()
                        .map(|n| EnvVar {
                            name: n.to_string(),
                            ..Default::default()
                        })
                        .collect(),
                ),
                ..Default::default()
            }],
            volumes: Some(
                volumes
                    .iter()
                    .map(|n| Volume {
                        name: n.to_string(),
                        ..Default::default()
                    })
                    .collect(),
            ),
            ..Default::default()
        }
    }

    fn preset(labels: &[(&str, &str)], env: &[&str], volumes: &[&str]) -> Preset {
        Preset {
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            env: env
                .iter()
                .map(|n| EnvVar {
                    name: n.to_string(),
                    ..Default::default()
                })
                .collect(),
            volumes: volumes
                .iter()
                .map(|n| Volume {
                    name: n.to_string(),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn presets_merge_only_on_matching_labels_and_conflicts_are_errors() {
        let labels: BTreeMap<String, String> =
            [("preset-a".to_string(), "true".to_string())].into();
        let mut spec = spec_with(&["X"], &["v"]);
        merge_preset(
            &preset(&[("preset-b", "true")], &["Y"], &[]),
            &labels,
            &mut spec,
        )
        .expect("skipped");
        assert_eq!(spec.containers[0].env.as_ref().map(Vec::len), Some(1));
        merge_preset(
            &preset(&[("preset-a", "true")], &["Y"], &["w"]),
            &labels,
            &mut spec,
        )
        .expect("merged");
        assert_eq!(spec.containers[0].env.as_ref().map(Vec::len), Some(2));
        assert_eq!(spec.volumes.as_ref().map(Vec::len), Some(2));
        let err =
            merge_preset(&preset(&[], &["X"], &[]), &labels, &mut spec).expect_err("env conflict");
        assert_eq!(err, "env var duplicated in pod spec: X");
        let err = merge_preset(&preset(&[], &[], &["v"]), &labels, &mut spec)
            .expect_err("volume conflict");
        assert_eq!(err, "volume duplicated in pod spec: v");
    }
}
