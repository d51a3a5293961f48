//! Every periodic of the kubernetes corpus instance (`shared/corpus/prow-configs`) is
//! schedulable: its trigger reads, a cron has a last fire time, and its ProwJob spec builds.

use std::path::{Path, PathBuf};

use horologium::run_name::ScheduledRun;
use horologium::schedule::due_periodics;
use horologium::trigger::{Trigger, trigger_for};
use jiff::Timestamp;
use prow_config::{LoadOptions, load, periodic_spec};

fn corpus_dir() -> PathBuf {
    let dir = std::env::var_os("PROW_CORPUS_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/prow-configs"),
        PathBuf::from,
    );
    assert!(
        dir.join("SOURCES.md").is_file(),
        "the Prow config corpus is missing at {} (set PROW_CORPUS_DIR)",
        dir.display()
    );
    dir
}

#[test]
fn every_kubernetes_periodic_is_schedulable() {
    let root = corpus_dir().join("kubernetes/test-infra/config");
    let loaded = load(&LoadOptions {
        config_path: root.join("prow/config.yaml"),
        job_config_path: Some(root.join("jobs")),
        plugin_config_path: None,
    })
    .expect("the kubernetes instance loads");
    let config = &loaded.config;
    assert!(config.jobs.periodics.len() > 100, "corpus periodics");
    let now: Timestamp = "2026-11-26T10:20:00Z".parse().expect("timestamp");
    let (mut crons, mut intervals) = (0, 0);
    let mut never = std::collections::HashSet::new();
    for periodic in &config.jobs.periodics {
        match trigger_for(periodic).unwrap_or_else(|e| panic!("{e}")) {
            Trigger::Cron(schedule) => {
                crons += 1;
                match schedule.last_fire(now) {
                    Some(fire) => assert!(fire <= now, "{}", periodic.base.name),
                    None => {
                        // only a schedule that never fires (`0 0 31 2 *`) has no fire time
                        assert!(!schedule.ever_fires(now), "{}", periodic.base.name);
                        never.insert(periodic.base.name.clone());
                    }
                }
            }
            Trigger::Interval(_) | Trigger::MinimumInterval(_) => intervals += 1,
        }
        periodic_spec(periodic).unwrap_or_else(|e| panic!("{}: {e}", periodic.base.name));
    }
    assert!(
        crons > 0 && intervals > 0,
        "{crons} crons, {intervals} intervals"
    );
    assert!(
        !never.is_empty(),
        "the corpus disables periodics with `0 0 31 2 *`"
    );
    // with no run yet, every periodic that can ever fire is due once, under its own name
    let due = due_periodics(config, &[], now);
    assert_eq!(due.len(), config.jobs.periodics.len() - never.len());
    let mut names = std::collections::HashSet::new();
    for run in due {
        let run = run.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(run.run, ScheduledRun::First);
        assert!(!never.contains(&run.job), "{} never fires", run.job);
        assert!(names.insert(run.name), "duplicate name for {}", run.job);
    }
}
