//! Server-side apply field-manager names, one per component, so `managedFields` show which
//! prow-rs component owns which field.

/// hook: creates ProwJobs from webhooks (trigger plugin) and edits labels.
pub const HOOK: &str = "prow-rs-hook";
/// plank: creates Pods and writes ProwJob status.
pub const PLANK: &str = "prow-rs-plank";
/// horologium: creates periodic ProwJobs.
pub const HOROLOGIUM: &str = "prow-rs-horologium";
/// sinker: deletes old ProwJobs and Pods.
pub const SINKER: &str = "prow-rs-sinker";
/// reporter (Prow's crier): records `prev_report_states` in ProwJob status.
pub const REPORTER: &str = "prow-rs-reporter";
/// deck: aborts and reruns ProwJobs from the UI.
pub const DECK: &str = "prow-rs-deck";
/// branch-protector (writes to GitHub only; listed for completeness).
pub const BRANCH_PROTECTOR: &str = "prow-rs-branch-protector";
/// gerrit adapter: creates ProwJobs for Gerrit changes.
pub const GERRIT: &str = "prow-rs-gerrit";
/// config-updater: writes the config ConfigMaps.
pub const CONFIG_UPDATER: &str = "prow-rs-config-updater";
/// prowctl: `mkpj` and other hand-made changes.
pub const PROWCTL: &str = "prow-rs-prowctl";
/// The local node agent of the test harness: writes Pod status.
pub const NODE_AGENT: &str = "prow-rs-node-agent";

/// Every field manager above.
pub const ALL: [&str; 11] = [
    HOOK,
    PLANK,
    HOROLOGIUM,
    SINKER,
    REPORTER,
    DECK,
    BRANCH_PROTECTOR,
    GERRIT,
    CONFIG_UPDATER,
    PROWCTL,
    NODE_AGENT,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_valid() {
        let mut names = ALL.to_vec();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ALL.len());
        for name in ALL {
            // The API server rejects field managers longer than 128 characters.
            assert!(name.len() <= 128 && name.is_ascii(), "{name}");
        }
    }
}
