//! `prowctl checkconfig`: validate a Prow configuration before it lands.
//!
//! Unknown fields are errors here (the running components only warn about them), so no new
//! mistake lands through a PR. Exit status: 0 valid, 1 invalid, 2 usage error.

use std::path::PathBuf;
use std::process::ExitCode;

use prow_config::{LoadOptions, Loaded, Problem, Severity};
use serde::Serialize;

/// Flags of `prowctl checkconfig`, named as Prow's checkconfig names them.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Path to config.yaml.
    #[arg(long, env = "CONFIG_PATH")]
    config_path: PathBuf,
    /// Path to the job-config directory (or a single job file).
    #[arg(long, env = "JOB_CONFIG_PATH")]
    job_config_path: Option<PathBuf>,
    /// Path to plugins.yaml.
    #[arg(long, env = "PLUGIN_CONFIG")]
    plugin_config: Option<PathBuf>,
    /// Treat warnings (Prow features prow-rs does not implement yet) as errors.
    #[arg(long)]
    strict: bool,
    /// Output format: `text` (one `file:line:col: message` line per problem) or `json`.
    #[arg(long, value_enum, default_value_t = Output::Text)]
    output: Output,
}

/// Output format of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Output {
    Text,
    Json,
}

/// The JSON report: job counts and every problem.
#[derive(Debug, Serialize)]
struct Report {
    presubmits: usize,
    postsubmits: usize,
    periodics: usize,
    errors: Vec<JsonProblem>,
    warnings: Vec<JsonProblem>,
}

/// One problem in the JSON report.
#[derive(Debug, Serialize)]
struct JsonProblem {
    file: String,
    line: u32,
    column: u32,
    message: String,
}

impl From<&Problem> for JsonProblem {
    fn from(p: &Problem) -> Self {
        JsonProblem {
            file: p.file.display().to_string(),
            line: p.line,
            column: p.col,
            message: p.message.clone(),
        }
    }
}

/// Runs the check and prints the report; returns the process exit code.
pub fn run(args: &Args) -> ExitCode {
    let options = LoadOptions {
        config_path: args.config_path.clone(),
        job_config_path: args.job_config_path.clone(),
        plugin_config_path: args.plugin_config.clone(),
    };
    let report = match prow_config::load(&options) {
        Ok(loaded) => build_report(&loaded, args.strict),
        Err(err) => Report {
            presubmits: 0,
            postsubmits: 0,
            periodics: 0,
            errors: vec![JsonProblem {
                file: String::new(),
                line: 0,
                column: 0,
                message: err.to_string(),
            }],
            warnings: Vec::new(),
        },
    };
    match args.output {
        Output::Json => match serde_json::to_string_pretty(&report) {
            Ok(json) => println!("{json}"),
            Err(err) => {
                eprintln!("checkconfig: cannot encode the report: {err}");
                return ExitCode::from(2);
            }
        },
        Output::Text => print_text(&report),
    }
    if report.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Sorts problems into errors and warnings; `strict` turns warnings into errors.
fn build_report(loaded: &Loaded, strict: bool) -> Report {
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    for problem in &loaded.problems {
        match problem.severity {
            Severity::Error => errors.push(JsonProblem::from(problem)),
            Severity::Warning if strict => errors.push(JsonProblem::from(problem)),
            Severity::Warning => warnings.push(JsonProblem::from(problem)),
        }
    }
    Report {
        presubmits: loaded.config.presubmit_count(),
        postsubmits: loaded.config.postsubmit_count(),
        periodics: loaded.config.periodic_count(),
        errors,
        warnings,
    }
}

/// Text output: one line per problem on stdout, a summary on stderr.
fn print_text(report: &Report) {
    for (label, problems) in [("error", &report.errors), ("warning", &report.warnings)] {
        for p in problems {
            if p.file.is_empty() {
                println!("{label}: {}", p.message);
            } else {
                println!("{}:{}:{}: {label}: {}", p.file, p.line, p.column, p.message);
            }
        }
    }
    eprintln!(
        "{} presubmits, {} postsubmits, {} periodics; {} errors, {} warnings",
        report.presubmits,
        report.postsubmits,
        report.periodics,
        report.errors.len(),
        report.warnings.len()
    );
}
