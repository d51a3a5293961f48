//! The pure decisions of leader election: whether a candidate may take the lease it read,
//! and the Lease spec it writes to acquire, renew or release it. No I/O, clocks injected.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use k8s_openapi::api::coordination::v1::LeaseSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;

use crate::{Error, Result};

/// The three durations of a leader election.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeaseTimings {
    /// How long a lease is valid after its last renewal (others wait this long).
    pub lease_duration: Duration,
    /// How long the leader keeps trying to renew before it steps down.
    pub renew_deadline: Duration,
    /// How often candidates try to acquire and the leader renews.
    pub retry_period: Duration,
}

impl LeaseTimings {
    /// client-go's defaults: 15 s lease, 10 s renew deadline, 2 s retry period.
    pub const DEFAULT: LeaseTimings = LeaseTimings {
        lease_duration: Duration::from_secs(15),
        renew_deadline: Duration::from_secs(10),
        retry_period: Duration::from_secs(2),
    };

    /// Checks `lease_duration > renew_deadline > retry_period > 0`, so a leader always
    /// steps down before others may consider its lease expired.
    pub fn validate(&self) -> Result<()> {
        let reason = if self.retry_period.is_zero() {
            "retry_period must be positive"
        } else if self.renew_deadline <= self.retry_period {
            "renew_deadline must be longer than retry_period"
        } else if self.lease_duration <= self.renew_deadline {
            "lease_duration must be longer than renew_deadline"
        } else if self.lease_duration.as_secs() == 0
            || self.lease_duration.as_secs() > i32::MAX as u64
        {
            "lease_duration must be between 1 s and i32::MAX s (whole seconds are stored)"
        } else {
            return Ok(());
        };
        Err(Error::ValidateLeaseTimings { reason })
    }
}

/// What a candidate should do after reading the lease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeaseDecision {
    /// We hold the lease: renew it.
    Renew,
    /// The lease is free or expired: take it.
    Acquire,
    /// Another holder's lease is still valid: wait.
    Wait {
        /// The current holder.
        holder: String,
    },
}

/// Decides from the lease's spec (as read) whether `identity` may hold it at `now`.
pub fn should_acquire(spec: Option<&LeaseSpec>, now: Timestamp, identity: &str) -> LeaseDecision {
    let Some(spec) = spec else {
        return LeaseDecision::Acquire;
    };
    let holder = spec.holder_identity.as_deref().unwrap_or_default();
    if holder.is_empty() {
        return LeaseDecision::Acquire;
    }
    if holder == identity {
        return LeaseDecision::Renew;
    }
    let last = spec
        .renew_time
        .as_ref()
        .or(spec.acquire_time.as_ref())
        .map(|t| t.0);
    let duration = SignedDuration::from_secs(i64::from(spec.lease_duration_seconds.unwrap_or(0)));
    match last {
        Some(last) if last.checked_add(duration).is_ok_and(|expiry| expiry > now) => {
            LeaseDecision::Wait {
                holder: holder.to_string(),
            }
        }
        _ => LeaseDecision::Acquire,
    }
}

/// The spec `identity` writes to acquire or renew the lease at `now`: the acquire time and
/// transition count are kept on renewal and updated when the holder changes.
pub fn held_spec(
    current: Option<&LeaseSpec>,
    identity: &str,
    now: Timestamp,
    lease_duration: Duration,
) -> LeaseSpec {
    let current = current.cloned().unwrap_or_default();
    let previous_holder = current.holder_identity.as_deref().unwrap_or_default();
    let renewing = previous_holder == identity;
    let transitions = current.lease_transitions.unwrap_or(0);
    LeaseSpec {
        holder_identity: Some(identity.to_string()),
        lease_duration_seconds: Some(i32::try_from(lease_duration.as_secs()).unwrap_or(i32::MAX)),
        acquire_time: if renewing {
            current.acquire_time.clone().or(Some(MicroTime(now)))
        } else {
            Some(MicroTime(now))
        },
        renew_time: Some(MicroTime(now)),
        lease_transitions: Some(
            if renewing || previous_holder.is_empty() && current.renew_time.is_none() {
                transitions
            } else {
                transitions.saturating_add(1)
            },
        ),
        ..current
    }
}

/// The spec the leader writes when it gives the lease up at `now` (client-go's release:
/// no holder, a 1 s duration, times set to now, transitions kept).
pub fn released_spec(current: Option<&LeaseSpec>, now: Timestamp) -> LeaseSpec {
    let current = current.cloned().unwrap_or_default();
    LeaseSpec {
        holder_identity: None,
        lease_duration_seconds: Some(1),
        acquire_time: Some(MicroTime(now)),
        renew_time: Some(MicroTime(now)),
        ..current
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_second(1_700_000_000 + seconds).expect("timestamp")
    }

    fn lease(holder: Option<&str>, renewed_at: Option<i64>, duration: Option<i32>) -> LeaseSpec {
        LeaseSpec {
            holder_identity: holder.map(str::to_string),
            renew_time: renewed_at.map(|s| MicroTime(at(s))),
            acquire_time: renewed_at.map(|s| MicroTime(at(s - 100))),
            lease_duration_seconds: duration,
            lease_transitions: Some(4),
            ..LeaseSpec::default()
        }
    }

    #[test]
    fn acquire_only_when_free_or_expired() {
        let wait = |h: &str| LeaseDecision::Wait {
            holder: h.to_string(),
        };
        let cases: Vec<(&str, Option<LeaseSpec>, i64, LeaseDecision)> = vec![
            ("no spec", None, 0, LeaseDecision::Acquire),
            (
                "no holder",
                Some(lease(None, Some(0), Some(15))),
                1,
                LeaseDecision::Acquire,
            ),
            (
                "empty holder (released)",
                Some(lease(Some(""), Some(0), Some(1))),
                0,
                LeaseDecision::Acquire,
            ),
            (
                "we hold it",
                Some(lease(Some("me"), Some(0), Some(15))),
                1,
                LeaseDecision::Renew,
            ),
            (
                "we hold it, even expired",
                Some(lease(Some("me"), Some(0), Some(15))),
                99,
                LeaseDecision::Renew,
            ),
            (
                "other, fresh",
                Some(lease(Some("other"), Some(0), Some(15))),
                14,
                wait("other"),
            ),
            (
                "other, exactly at expiry",
                Some(lease(Some("other"), Some(0), Some(15))),
                15,
                LeaseDecision::Acquire,
            ),
            (
                "other, expired",
                Some(lease(Some("other"), Some(0), Some(15))),
                16,
                LeaseDecision::Acquire,
            ),
            (
                "other, renewed in the future (skew)",
                Some(lease(Some("other"), Some(10), Some(2))),
                5,
                wait("other"),
            ),
            (
                "other, no times",
                Some(lease(Some("other"), None, Some(15))),
                0,
                LeaseDecision::Acquire,
            ),
            (
                "other, no duration",
                Some(lease(Some("other"), Some(0), None)),
                0,
                LeaseDecision::Acquire,
            ),
        ];
        for (name, spec, now, want) in cases {
            assert_eq!(should_acquire(spec.as_ref(), at(now), "me"), want, "{name}");
        }
    }

    #[test]
    fn acquire_time_and_transitions_change_only_with_the_holder() {
        let d = Duration::from_secs(15);
        // (name, current, want acquire time, want transitions)
        let cases: Vec<(&str, Option<LeaseSpec>, Timestamp, i32)> = vec![
            ("new lease", None, at(50), 0),
            (
                "renewal keeps acquire time",
                Some(lease(Some("me"), Some(40), Some(15))),
                at(-60),
                4,
            ),
            (
                "takeover from other",
                Some(lease(Some("other"), Some(0), Some(15))),
                at(50),
                5,
            ),
            (
                "after a release",
                Some(lease(None, Some(40), Some(1))),
                at(50),
                5,
            ),
        ];
        for (name, current, acquired, transitions) in cases {
            let spec = held_spec(current.as_ref(), "me", at(50), d);
            assert_eq!(spec.holder_identity.as_deref(), Some("me"), "{name}");
            assert_eq!(spec.renew_time, Some(MicroTime(at(50))), "{name}");
            assert_eq!(spec.lease_duration_seconds, Some(15), "{name}");
            assert_eq!(spec.acquire_time, Some(MicroTime(acquired)), "{name}");
            assert_eq!(spec.lease_transitions, Some(transitions), "{name}");
        }
    }

    #[test]
    fn a_released_lease_is_free_for_anyone() {
        let released = released_spec(Some(&lease(Some("me"), Some(0), Some(15))), at(3));
        assert_eq!(released.holder_identity, None);
        assert_eq!(released.lease_transitions, Some(4));
        assert_eq!(
            should_acquire(Some(&released), at(3), "other"),
            LeaseDecision::Acquire
        );
    }

    #[test]
    fn timings_must_leave_room_to_step_down() {
        let s = Duration::from_secs;
        let cases = [
            (s(15), s(10), s(2), true),
            (s(2), s(1), Duration::from_millis(200), true),
            (s(10), s(10), s(2), false),
            (s(15), s(2), s(2), false),
            (s(15), s(10), Duration::ZERO, false),
            (
                Duration::from_millis(900),
                Duration::from_millis(500),
                Duration::from_millis(100),
                false,
            ),
        ];
        for (lease_duration, renew_deadline, retry_period, ok) in cases {
            let timings = LeaseTimings {
                lease_duration,
                renew_deadline,
                retry_period,
            };
            assert_eq!(timings.validate().is_ok(), ok, "{timings:?}");
        }
        assert!(LeaseTimings::DEFAULT.validate().is_ok());
    }
}
