//! Deterministic ProwJob names: the same periodic run always gets the same name, so two
//! replicas, a leader hand-over or a restart can never start one run twice (the second
//! create fails with AlreadyExists).

use jiff::Timestamp;
use sha1::{Digest, Sha1};

/// Which run of a periodic a ProwJob is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScheduledRun {
    /// The run started because the periodic had no earlier run.
    First,
    /// The run scheduled for this time (whole seconds).
    At(Timestamp),
}

impl ScheduledRun {
    fn key(&self) -> String {
        match self {
            ScheduledRun::First => "first".to_string(),
            ScheduledRun::At(at) => at.as_second().to_string(),
        }
    }
}

/// The ProwJob name of `run` of periodic `job`: UUID-shaped like the names Prow gives
/// ProwJobs (36 characters, so it is also a valid Pod name and label value), derived from a
/// SHA-1 of the job name and the scheduled time.
pub fn run_name(job: &str, run: ScheduledRun) -> String {
    let mut hasher = Sha1::new();
    hasher.update(b"prow-rs/horologium\0");
    hasher.update(job.as_bytes());
    hasher.update(b"\0");
    hasher.update(run.key().as_bytes());
    let digest = hasher.finalize();
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_stable_distinct_and_valid_label_values() {
        let at = |s: &str| ScheduledRun::At(s.parse().expect("timestamp"));
        let a = run_name("ci-periodic", at("2026-11-26T10:00:00Z"));
        assert_eq!(a, run_name("ci-periodic", at("2026-11-26T10:00:00Z")));
        let others = [
            run_name("ci-periodic", at("2026-11-26T11:00:00Z")),
            run_name("ci-periodic", ScheduledRun::First),
            run_name("ci-periodic-2", at("2026-11-26T10:00:00Z")),
        ];
        for other in &others {
            assert_ne!(&a, other);
        }
        for name in others.iter().chain([&a]) {
            assert_eq!(name.len(), 36, "{name}");
            assert!(prow_api::labels::is_valid_label_value(name), "{name}");
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c) || c == '-'),
                "{name}"
            );
        }
    }
}
