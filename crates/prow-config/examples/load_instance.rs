//! Loads one Prow instance and prints job counts, timing and problems:
//! `cargo run --release -p prow-config --example load_instance -- CONFIG [JOB_DIR] [PLUGINS]`.

use std::path::PathBuf;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(config_path) = args.first() else {
        eprintln!("usage: load_instance CONFIG [JOB_DIR] [PLUGINS]");
        std::process::exit(2);
    };
    let options = prow_config::LoadOptions {
        config_path: PathBuf::from(config_path),
        job_config_path: args.get(1).filter(|s| !s.is_empty()).map(PathBuf::from),
        plugin_config_path: args.get(2).map(PathBuf::from),
    };
    let start = Instant::now();
    match prow_config::load(&options) {
        Ok(loaded) => {
            let elapsed = start.elapsed();
            if std::env::var_os("LOAD_INSTANCE_SIZES").is_some() {
                print_sizes(&loaded.config);
                if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
                    for line in status
                        .lines()
                        .filter(|l| l.starts_with("VmRSS") || l.starts_with("VmHWM"))
                    {
                        println!("{line}");
                    }
                }
            }
            for problem in &loaded.problems {
                println!("{:?} {problem}", problem.severity);
            }
            println!(
                "{} presubmits, {} postsubmits, {} periodics, {} problems ({} errors) in {:?}",
                loaded.config.presubmit_count(),
                loaded.config.postsubmit_count(),
                loaded.config.periodic_count(),
                loaded.problems.len(),
                loaded.problems.iter().filter(|p| p.is_error()).count(),
                elapsed
            );
        }
        Err(err) => {
            eprintln!("{err}");
            std::process::exit(1);
        }
    }
}

/// Prints how many pod-spec items the loaded jobs hold (memory diagnostics).
fn print_sizes(config: &prow_config::Config) {
    let specs = config
        .jobs
        .presubmits
        .values()
        .flatten()
        .map(|j| &j.base)
        .chain(config.jobs.postsubmits.values().flatten().map(|j| &j.base))
        .chain(config.jobs.periodics.iter().map(|j| &j.base))
        .filter_map(|b| b.spec.as_ref().map(|s| s.to_pod_spec()));
    let (mut containers, mut volumes, mut env, mut mounts) = (0, 0, 0, 0);
    for spec in specs {
        containers += spec.containers.len();
        volumes += spec.volumes.as_ref().map_or(0, Vec::len);
        for c in &spec.containers {
            env += c.env.as_ref().map_or(0, Vec::len);
            mounts += c.volume_mounts.as_ref().map_or(0, Vec::len);
        }
    }
    println!("{containers} containers, {volumes} volumes, {env} env vars, {mounts} volume mounts");
}
