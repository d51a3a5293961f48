//! Clone records as text for build logs (Prow's `clone.FormatRecord`).

use super::record::CloneRecord;

/// The human-readable form of a record, as Prow writes it into `clone-log.txt` and, when
/// cloning failed, `build-log.txt`.
pub fn format_record(record: &CloneRecord) -> String {
    let mut output = String::new();
    if record.failed {
        output.push_str("# FAILED\n");
    }
    if record.refs.repo.is_empty() {
        output.push_str("Environment setup");
    } else {
        output.push_str(&format!(
            "# Cloning {}/{} at {}",
            record.refs.org, record.refs.repo, record.refs.base_ref
        ));
    }
    if !record.refs.base_sha.is_empty() {
        output.push_str(&format!("({})", record.refs.base_sha));
    }
    output.push('\n');
    if !record.refs.pulls.is_empty() {
        output.push_str("# Checking out pulls:\n");
        for pull in &record.refs.pulls {
            output.push_str(&format!("#\t{}", pull.number));
            if !pull.sha.is_empty() {
                output.push_str(&format!("({})", pull.sha));
            }
            output.push('\n');
        }
    }
    for command in &record.commands {
        let runtime = if command.duration.is_zero() {
            String::new()
        } else {
            format!(
                " (runtime: {})",
                prow_api::GoDuration::from(command.duration)
            )
        };
        output.push_str(&format!("$ {}{runtime}\n", command.command));
        output.push_str(&command.output);
        if !command.error.is_empty() {
            output.push_str(&format!("# Error: {}\n", command.error));
        }
    }
    output
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use prow_api::{Pull, Refs};

    use super::*;
    use crate::clone::CloneCommand;

    #[test]
    fn failed_record_with_pulls() {
        let record = CloneRecord {
            refs: Refs {
                org: "org".into(),
                repo: "repo".into(),
                base_ref: "main".into(),
                base_sha: "abc".into(),
                pulls: vec![Pull {
                    number: 7,
                    sha: "def".into(),
                    ..Pull::default()
                }],
                ..Refs::default()
            },
            commands: vec![
                CloneCommand {
                    command: "git init".into(),
                    output: "Initialized\n".into(),
                    duration: Duration::from_millis(1500),
                    ..CloneCommand::default()
                },
                CloneCommand {
                    command: "git merge --no-ff def".into(),
                    output: "CONFLICT\n".into(),
                    error: "exit status 1".into(),
                    ..CloneCommand::default()
                },
            ],
            failed: true,
            ..CloneRecord::default()
        };
        assert_eq!(
            format_record(&record),
            "# FAILED\n# Cloning org/repo at main(abc)\n# Checking out pulls:\n#\t7(def)\n\
             $ git init (runtime: 1.5s)\nInitialized\n$ git merge --no-ff def\nCONFLICT\n\
             # Error: exit status 1\n"
        );
    }
}
