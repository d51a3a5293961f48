//! `load`: read config.yaml, the job-config directory and plugins.yaml the way Prow's
//! `config.Load` does, and report every problem with its file and line.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ignore::gitignore::{Gitignore, GitignoreBuilder};
use serde::de::DeserializeOwned;

use crate::config::{Config, ProwConfig};
use crate::error::LoadError;
use crate::finalize::finalize;
use crate::jobs::{Job, JobSource, Periodic, Postsubmit, Preset, Presubmit};
use crate::plugins::PluginConfig;
use crate::problem::Problem;
use crate::yaml::{self, Mark, Node, NodeValue, Shape};

/// What to load; paths as Prow's `--config-path`, `--job-config-path`, `--plugin-config`.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// `config.yaml`.
    pub config_path: PathBuf,
    /// The job-config directory (walked recursively for `*.yaml`/`*.yml`) or a single file.
    pub job_config_path: Option<PathBuf>,
    /// `plugins.yaml`.
    pub plugin_config_path: Option<PathBuf>,
}

/// The result of [`load`]: the configuration with Prow's defaults applied, and every problem.
#[derive(Clone, Debug, Default)]
pub struct Loaded {
    /// Settings and jobs.
    pub config: Config,
    /// The plugin configuration, when a path was given.
    pub plugins: Option<PluginConfig>,
    /// Problems, sorted by file, line and column.
    pub problems: Vec<Problem>,
}

impl Loaded {
    /// True when any problem is an error.
    pub fn has_errors(&self) -> bool {
        self.problems.iter().any(Problem::is_error)
    }

    /// True when a running component must refuse this configuration: it holds errors other
    /// than unknown fields (see [`Problem::blocks_components`]).
    pub fn blocks_components(&self) -> bool {
        self.problems.iter().any(Problem::blocks_components)
    }
}

/// Top-level keys of a job file (Prow's `JobConfig`).
const JOB_KEYS: &[&str] = &["presubmits", "postsubmits", "periodics", "presets"];

/// Loads and validates a Prow configuration.
///
/// # Errors
/// Only when loading cannot go on: an unreadable path or a YAML syntax error. Everything else is
/// a [`Problem`] in [`Loaded::problems`].
pub fn load(options: &LoadOptions) -> Result<Loaded, LoadError> {
    let mut problems = Vec::new();
    let config_file = Arc::new(options.config_path.clone());
    let text = read(&config_file)?;
    let parsed = parse(&config_file, &text)?;
    report_duplicates(&config_file, &parsed.duplicate_keys, &mut problems);
    let root = &parsed.root;
    for unknown in Shape::prow_config().unknown_fields(root, JOB_KEYS) {
        problems.push(Problem::unknown_field(
            &config_file,
            unknown.mark,
            &unknown.path,
            "",
        ));
    }
    let mut prow: ProwConfig = read_settings(root, JOB_KEYS, &config_file, &mut problems);
    prow.apply_defaults();
    crate::validate::validate_components(root, &prow, &config_file, &mut problems);
    check_decoration_defaults(root, &config_file, &mut problems);
    warn_unimplemented(root, &prow, &config_file, &mut problems);

    let mut files = vec![FileJobs::read_sections(root, &config_file, false)];
    if let Some(job_path) = &options.job_config_path {
        let paths = job_files(job_path, &mut problems)?;
        files.extend(load_job_files(&paths)?);
    }

    let mut config = Config {
        prow,
        jobs: Default::default(),
    };
    config.jobs.decorate_all_jobs = match root.get("decorate_all_jobs") {
        Some(node) => {
            deserialize_section(node, "decorate_all_jobs", &config_file, &mut problems, true)
                .unwrap_or(false)
        }
        None => false,
    };
    for file in files {
        problems.extend(file.problems);
        config.jobs.presets.extend(file.presets);
        for (repo, job) in file.presubmits {
            config.jobs.presubmits.entry(repo).or_default().push(job);
        }
        for (repo, job) in file.postsubmits {
            config.jobs.postsubmits.entry(repo).or_default().push(job);
        }
        config.jobs.periodics.extend(file.periodics);
    }
    finalize(&mut config, &config_file, &mut problems);
    config.jobs.rebuild_index();

    let plugins = match &options.plugin_config_path {
        Some(path) => Some(load_plugins(path, &mut problems)?),
        None => None,
    };
    problems.sort_by(|a, b| (&a.file, a.line, a.col).cmp(&(&b.file, b.line, b.col)));
    Ok(Loaded {
        config,
        plugins,
        problems,
    })
}

/// The settings of config.yaml or plugins.yaml. A type error in one section does not lose the
/// others: when the whole file does not deserialize, each top-level section (except `skip`) is
/// tried alone, every failing one is reported, and the settings are read from the sections
/// that work.
fn read_settings<T: DeserializeOwned + Default>(
    root: &Node,
    skip: &[&str],
    file: &Path,
    problems: &mut Vec<Problem>,
) -> T {
    if root.is_null() {
        return T::default();
    }
    let mut ignored = Vec::new();
    if let Ok(settings) = yaml::from_node::<T>(root, &mut ignored) {
        return settings;
    }
    let NodeValue::Map(entries) = &root.value else {
        problems.push(Problem::error(
            file,
            root.mark,
            format!("expected a mapping of settings, found {}", root.describe()),
        ));
        return T::default();
    };
    let mut good = Vec::with_capacity(entries.len());
    for (key, value) in entries {
        if skip.contains(&key.key_text().unwrap_or_default().as_ref()) {
            continue;
        }
        let single = Node {
            mark: root.mark,
            value: NodeValue::Map(vec![(key.clone(), value.clone())]),
        };
        ignored.clear();
        match yaml::from_node::<T>(&single, &mut ignored) {
            Ok(_) => good.push((key.clone(), value.clone())),
            Err(e) => problems.push(Problem::error(
                file,
                e.mark.unwrap_or(key.mark),
                yaml_message(&e),
            )),
        }
    }
    let partial = Node {
        mark: root.mark,
        value: NodeValue::Map(good),
    };
    ignored.clear();
    yaml::from_node::<T>(&partial, &mut ignored).unwrap_or_default()
}

/// Settings of config.yaml that prow-rs accepts but does not act on yet.
fn warn_unimplemented(root: &Node, prow: &ProwConfig, file: &Path, problems: &mut Vec<Problem>) {
    if let Some((key, _)) = root.entry("in_repo_config")
        && prow.in_repo_config.enabled.values().any(|enabled| *enabled)
    {
        problems.push(Problem::warning(
            file,
            key.mark,
            "in_repo_config.enabled: in-repo job configuration (.prow.yaml) is not implemented by prow-rs; only the central job config is loaded",
        ));
    }
    for section in [
        "tide",
        "jenkins_operators",
        "gangway",
        "moonraker",
        "scheduler",
    ] {
        if let Some((key, value)) = root.entry(section)
            && !value.is_null()
        {
            problems.push(Problem::warning(
                file,
                key.mark,
                format!("{section}: this component is not implemented by prow-rs; its settings are checked but unused"),
            ));
        }
    }
}

fn read(path: &Path) -> Result<String, LoadError> {
    std::fs::read_to_string(path).map_err(|source| LoadError::Read {
        path: path.to_path_buf(),
        source,
    })
}

fn parse(file: &Path, text: &str) -> Result<yaml::Parsed, LoadError> {
    yaml::parse(text).map_err(|e| LoadError::Syntax {
        file: file.to_path_buf(),
        line: e.mark.map_or(0, |m| m.line),
        col: e.mark.map_or(0, |m| m.col),
        message: e.message,
    })
}

fn report_duplicates(file: &Path, duplicates: &[(String, Mark)], problems: &mut Vec<Problem>) {
    for (path, mark) in duplicates {
        problems.push(Problem::error(
            file,
            *mark,
            format!("{path}: duplicate key (the last one wins in Prow)"),
        ));
    }
}

/// Deserializes a section; type errors become problems. Unknown fields are reported only when
/// `report_unknown` (config.yaml sections are checked by the shape checker instead).
fn deserialize_section<T: DeserializeOwned>(
    node: &Node,
    path: &str,
    file: &Path,
    problems: &mut Vec<Problem>,
    report_unknown: bool,
) -> Option<T> {
    let mut unknown = Vec::new();
    let result = yaml::from_node_at::<T>(node, path, &mut unknown);
    if report_unknown {
        for u in unknown {
            problems.push(Problem::unknown_field(file, u.mark, &u.path, ""));
        }
    }
    match result {
        Ok(value) => Some(value),
        Err(e) => {
            problems.push(Problem::error(
                file,
                e.mark.unwrap_or(node.mark),
                yaml_message(&e),
            ));
            None
        }
    }
}

fn yaml_message(e: &yaml::YamlError) -> String {
    if e.path.is_empty() {
        e.message.clone()
    } else {
        format!("{}: {}", e.path, e.message)
    }
}

/// The jobs and presets of one file, before merging.
#[derive(Default)]
struct FileJobs {
    presets: Vec<Preset>,
    presubmits: Vec<(String, Presubmit)>,
    postsubmits: Vec<(String, Postsubmit)>,
    periodics: Vec<Periodic>,
    problems: Vec<Problem>,
}

impl FileJobs {
    /// Reads the job sections of a parsed file. In a job file (`job_file`), any other top-level
    /// key is an error, except `prow_ignored` (skipped, as in Prow) and `decorate_all_jobs`.
    fn read_sections(root: &Node, file: &Arc<PathBuf>, job_file: bool) -> FileJobs {
        let mut out = FileJobs::default();
        let entries = match &root.value {
            NodeValue::Map(entries) => entries.as_slice(),
            _ if root.is_null() => &[],
            _ => {
                out.problems.push(Problem::error(
                    file,
                    root.mark,
                    format!(
                        "expected a mapping of job sections, found {}",
                        root.describe()
                    ),
                ));
                &[]
            }
        };
        for (key, value) in entries {
            let name = key.key_text().unwrap_or_default();
            match name.as_ref() {
                "presubmits" => {
                    out.presubmits = read_repo_jobs(value, "presubmits", file, &mut out.problems)
                }
                "postsubmits" => {
                    out.postsubmits = read_repo_jobs(value, "postsubmits", file, &mut out.problems)
                }
                "periodics" => {
                    out.periodics = read_job_list(value, "periodics", file, &mut out.problems)
                }
                "presets" => {
                    if let Some(presets) = deserialize_section::<Option<Vec<Preset>>>(
                        value,
                        "presets",
                        file,
                        &mut out.problems,
                        true,
                    ) {
                        out.presets = presets.unwrap_or_default();
                    }
                }
                "prow_ignored" | "decorate_all_jobs" => {}
                other if job_file => out.problems.push(Problem::unknown_field(
                    file,
                    key.mark,
                    other,
                    "a job file holds presubmits, postsubmits, periodics and presets",
                )),
                _ => {}
            }
        }
        out
    }
}

/// `presubmits:` / `postsubmits:`: a mapping `org/repo` → list of jobs.
fn read_repo_jobs<T: DeserializeOwned + Job>(
    section: &Node,
    kind: &str,
    file: &Arc<PathBuf>,
    problems: &mut Vec<Problem>,
) -> Vec<(String, T)> {
    let mut out = Vec::new();
    match &section.value {
        NodeValue::Map(entries) => {
            for (key, value) in entries {
                let repo = key.key_text().unwrap_or_default().into_owned();
                let path = format!("{kind}.{repo}");
                for job in read_job_list::<T>(value, &path, file, problems) {
                    out.push((repo.clone(), job));
                }
            }
        }
        _ if section.is_null() => {}
        _ => problems.push(Problem::error(
            file,
            section.mark,
            format!(
                "{kind}: expected a mapping of org/repo to jobs, found {}",
                section.describe()
            ),
        )),
    }
    out
}

/// A list of jobs at `path`.
fn read_job_list<T: DeserializeOwned + Job>(
    list: &Node,
    path: &str,
    file: &Arc<PathBuf>,
    problems: &mut Vec<Problem>,
) -> Vec<T> {
    let items = match &list.value {
        NodeValue::Seq(items) => items.as_slice(),
        _ if list.is_null() => &[],
        _ => {
            problems.push(Problem::error(
                file,
                list.mark,
                format!("{path}: expected a list of jobs, found {}", list.describe()),
            ));
            &[]
        }
    };
    let mut out = Vec::with_capacity(items.len());
    let mut unknown = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let job_path = format!("{path}[{i}]");
        unknown.clear();
        let result = yaml::from_node_at::<T>(item, &job_path, &mut unknown);
        for u in &unknown {
            problems.push(Problem::unknown_field(file, u.mark, &u.path, ""));
        }
        check_untyped_fields(item, &job_path, file, problems);
        match result {
            Ok(mut job) => {
                job.base_mut().source = JobSource {
                    file: Arc::clone(file),
                    mark: item.mark,
                    path: job_path,
                };
                out.push(job);
            }
            Err(e) => problems.push(Problem::error(
                file,
                e.mark.unwrap_or(item.mark),
                yaml_message(&e),
            )),
        }
    }
    out
}

/// Fields kept as JSON values in the job types are checked against Prow's documented shapes
/// (unknown fields) and against the ProwJob types (value types, e.g. a duration that does not
/// parse), so mistakes show at their line instead of when a ProwJob is created.
fn check_untyped_fields(item: &Node, job_path: &str, file: &Path, problems: &mut Vec<Problem>) {
    if let Some(node) = item.get("decoration_config") {
        check_type::<prow_api::DecorationConfig>(
            node,
            &format!("{job_path}.decoration_config"),
            file,
            problems,
        );
    }
    if let Some(node) = item.get("prowjob_defaults") {
        check_type::<prow_api::ProwJobDefault>(
            node,
            &format!("{job_path}.prowjob_defaults"),
            file,
            problems,
        );
    }
    let checks: [(&str, &[&str]); 2] = [
        (
            "decoration_config",
            &["plank", "default_decoration_config_entries[]", "config"],
        ),
        ("prowjob_defaults", &["prowjob_default_entries[]", "config"]),
    ];
    for (field, shape_path) in checks {
        let (Some(node), Some(shape)) = (item.get(field), Shape::prow_config().at(shape_path))
        else {
            continue;
        };
        for u in shape.unknown_fields(node, &[]) {
            let sep = if u.path.starts_with('[') { "" } else { "." };
            problems.push(Problem::unknown_field(
                file,
                u.mark,
                &format!("{job_path}.{field}{sep}{}", u.path),
                "",
            ));
        }
    }
}

/// Reports a type error of `node` read as `T` (unknown fields are left to the shape check).
fn check_type<T: DeserializeOwned>(
    node: &Node,
    path: &str,
    file: &Path,
    problems: &mut Vec<Problem>,
) {
    if node.is_null() {
        return;
    }
    let mut ignored = Vec::new();
    if let Err(e) = yaml::from_node_at::<T>(node, path, &mut ignored) {
        problems.push(Problem::error(
            file,
            e.mark.unwrap_or(node.mark),
            yaml_message(&e),
        ));
    }
}

/// Decoration defaults in config.yaml are checked like a job's `decoration_config`.
fn check_decoration_defaults(root: &Node, file: &Path, problems: &mut Vec<Problem>) {
    let Some(plank) = root.get("plank") else {
        return;
    };
    if let Some(entries) = plank
        .get("default_decoration_config_entries")
        .and_then(Node::as_seq)
    {
        for (i, entry) in entries.iter().enumerate() {
            if let Some(config) = entry.get("config") {
                let path = format!("plank.default_decoration_config_entries[{i}].config");
                check_type::<prow_api::DecorationConfig>(config, &path, file, problems);
            }
        }
    }
    if let Some(NodeValue::Map(entries)) = plank.get("default_decoration_configs").map(|n| &n.value)
    {
        for (key, config) in entries {
            let path = format!(
                "plank.default_decoration_configs.{}",
                key.key_text().unwrap_or_default()
            );
            check_type::<prow_api::DecorationConfig>(config, &path, file, problems);
        }
    }
}

/// Every job file under `root` (or `root` itself if it is a file), in path order: `*.yaml` and
/// `*.yml`, skipping what `.prowignore` files exclude and Kubernetes ConfigMap internals
/// (`..data`, `..2024_...`), following symlinked files but not symlinked directories (as Go's
/// `filepath.Walk`). Basenames must be unique.
pub(crate) fn job_files(
    root: &Path,
    problems: &mut Vec<Problem>,
) -> Result<Vec<PathBuf>, LoadError> {
    let meta = std::fs::metadata(root).map_err(|source| LoadError::Read {
        path: root.to_path_buf(),
        source,
    })?;
    let mut files = Vec::new();
    if meta.is_file() {
        files.push(root.to_path_buf());
    } else {
        let mut ignores = Vec::new();
        walk(root, &mut ignores, &mut files)?;
    }
    let mut seen: HashMap<std::ffi::OsString, PathBuf> = HashMap::new();
    for path in &files {
        let Some(base) = path.file_name() else {
            continue;
        };
        if let Some(first) = seen.get(base) {
            problems.push(Problem::error(
                path,
                Mark { line: 1, col: 1 },
                format!(
                    "duplicated basename {:?}: also used by {} (Prow requires unique job file names)",
                    base,
                    first.display()
                ),
            ));
        } else {
            seen.insert(base.to_os_string(), path.clone());
        }
    }
    Ok(files)
}

fn walk(
    dir: &Path,
    ignores: &mut Vec<Gitignore>,
    files: &mut Vec<PathBuf>,
) -> Result<(), LoadError> {
    let read_err = |source| LoadError::Read {
        path: dir.to_path_buf(),
        source,
    };
    let prowignore = dir.join(".prowignore");
    let pushed = if prowignore.is_file() {
        let mut builder = GitignoreBuilder::new(dir);
        if let Some(err) = builder.add(&prowignore) {
            return Err(LoadError::Syntax {
                file: prowignore,
                line: 0,
                col: 0,
                message: err.to_string(),
            });
        }
        let gitignore = builder.build().map_err(|err| LoadError::Syntax {
            file: prowignore.clone(),
            line: 0,
            col: 0,
            message: err.to_string(),
        })?;
        ignores.push(gitignore);
        true
    } else {
        false
    };
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(read_err)?
        .collect::<Result<_, _>>()
        .map_err(read_err)?;
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for entry in entries {
        let name = entry.file_name();
        if name.to_string_lossy().starts_with("..") {
            continue;
        }
        let path = entry.path();
        let file_type = entry.file_type().map_err(read_err)?;
        let is_dir = file_type.is_dir();
        let is_file = file_type.is_file() || (file_type.is_symlink() && path.is_file());
        if is_ignored(ignores, &path, is_dir) {
            continue;
        }
        if is_dir {
            walk(&path, ignores, files)?;
        } else if is_file
            && path
                .extension()
                .is_some_and(|ext| ext == "yaml" || ext == "yml")
        {
            files.push(path);
        }
    }
    if pushed {
        ignores.pop();
    }
    Ok(())
}

fn is_ignored(ignores: &[Gitignore], path: &Path, is_dir: bool) -> bool {
    ignores
        .iter()
        .any(|gi| gi.matched_path_or_any_parents(path, is_dir).is_ignore())
}

/// Reads and parses job files, on as many threads as there are cores.
fn load_job_files(paths: &[PathBuf]) -> Result<Vec<FileJobs>, LoadError> {
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .min(paths.len().max(1));
    let chunk = paths.len().div_ceil(threads).max(1);
    let results: Vec<Result<Vec<FileJobs>, LoadError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = paths
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(|p| load_job_file(p)).collect()))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    let mut out = Vec::with_capacity(paths.len());
    for result in results {
        out.extend(result?);
    }
    Ok(out)
}

fn load_job_file(path: &Path) -> Result<FileJobs, LoadError> {
    let file = Arc::new(path.to_path_buf());
    let text = read(path)?;
    let parsed = parse(path, &text)?;
    let mut jobs = FileJobs::read_sections(&parsed.root, &file, true);
    report_duplicates(path, &parsed.duplicate_keys, &mut jobs.problems);
    Ok(jobs)
}

fn load_plugins(path: &Path, problems: &mut Vec<Problem>) -> Result<PluginConfig, LoadError> {
    let text = read(path)?;
    let parsed = parse(path, &text)?;
    report_duplicates(path, &parsed.duplicate_keys, problems);
    if parsed.root.is_null() {
        return Ok(PluginConfig::default());
    }
    for unknown in Shape::plugin_config().unknown_fields(&parsed.root, &[]) {
        problems.push(Problem::unknown_field(
            path,
            unknown.mark,
            &unknown.path,
            "",
        ));
    }
    Ok(read_settings(&parsed.root, &[], path, problems))
}
