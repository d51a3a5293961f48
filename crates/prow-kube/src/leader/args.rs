//! Leader election flags shared by every component that writes on a timer or reconciles.

use std::time::Duration;

use kube::Client;

use super::LeaderElection;
use super::decision::LeaseTimings;
use crate::Result;

/// Leader election flags; flatten into a component's clap parser with `#[command(flatten)]`.
/// The Lease name is the component's own (e.g. `plank`), not a flag.
#[derive(Debug, Clone, clap::Args)]
pub struct LeaderElectionArgs {
    /// Namespace of the leader election Lease (in a Pod: its own namespace via the downward
    /// API).
    #[arg(long, env = "POD_NAMESPACE", default_value = "default")]
    pub leader_election_namespace: String,

    /// This replica's identity in the Lease; must differ between replicas. Default: the
    /// `POD_NAME` or `HOSTNAME` environment variable, else a name built from the process id.
    #[arg(long, env = "POD_NAME")]
    pub leader_election_identity: Option<String>,

    /// Seconds a Lease stays valid after its last renewal.
    #[arg(long, default_value_t = LeaseTimings::DEFAULT.lease_duration.as_secs())]
    pub leader_election_lease_duration_seconds: u64,

    /// Seconds the leader keeps trying to renew before it steps down.
    #[arg(long, default_value_t = LeaseTimings::DEFAULT.renew_deadline.as_secs())]
    pub leader_election_renew_deadline_seconds: u64,

    /// Seconds between acquire or renew attempts.
    #[arg(long, default_value_t = LeaseTimings::DEFAULT.retry_period.as_secs())]
    pub leader_election_retry_period_seconds: u64,
}

impl LeaderElectionArgs {
    /// The identity these flags and the environment give this replica.
    pub fn identity(&self) -> String {
        self.leader_election_identity
            .clone()
            .or_else(|| std::env::var("HOSTNAME").ok())
            .filter(|id| !id.trim().is_empty())
            .unwrap_or_else(|| format!("prow-rs-{}", std::process::id()))
    }

    /// The durations these flags ask for.
    pub fn timings(&self) -> LeaseTimings {
        LeaseTimings {
            lease_duration: Duration::from_secs(self.leader_election_lease_duration_seconds),
            renew_deadline: Duration::from_secs(self.leader_election_renew_deadline_seconds),
            retry_period: Duration::from_secs(self.leader_election_retry_period_seconds),
        }
    }

    /// A candidate for Lease `lease_name` (the component's name); fails on inconsistent
    /// durations.
    pub fn election(&self, client: Client, lease_name: &str) -> Result<LeaderElection> {
        let timings = self.timings();
        LeaderElection::new(
            client,
            self.leader_election_namespace.clone(),
            lease_name,
            self.identity(),
            timings.lease_duration,
            timings.renew_deadline,
            timings.retry_period,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        leader: LeaderElectionArgs,
    }

    #[test]
    fn defaults_are_client_go_timings_and_explicit_identity_wins() {
        let cli = Cli::try_parse_from([
            "plank",
            "--leader-election-namespace",
            "prow",
            "--leader-election-identity",
            "plank-7d9f-abcde",
        ])
        .expect("parse");
        assert_eq!(cli.leader.timings(), LeaseTimings::DEFAULT);
        assert_eq!(cli.leader.identity(), "plank-7d9f-abcde");
        assert_eq!(cli.leader.leader_election_namespace, "prow");
    }

    #[test]
    fn inconsistent_durations_are_rejected() {
        let cli = Cli::try_parse_from([
            "plank",
            "--leader-election-lease-duration-seconds",
            "5",
            "--leader-election-renew-deadline-seconds",
            "10",
        ])
        .expect("parse");
        assert!(cli.leader.timings().validate().is_err());
    }
}
