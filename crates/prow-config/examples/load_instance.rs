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
