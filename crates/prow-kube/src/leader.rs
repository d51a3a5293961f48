//! Leader election on a `coordination.k8s.io/v1` Lease, with client-go's `leaderelection`
//! semantics: a candidate acquires the lease when it is free (no holder) or expired (its
//! `renewTime + leaseDurationSeconds` has passed); the leader renews every `retry_period`
//! and steps down when it could not renew for `renew_deadline`; on graceful shutdown the
//! leader releases the lease so a successor takes over at once. Every write is a `replace`
//! carrying the `resourceVersion` that was read (optimistic concurrency, never a blind
//! apply).
//!
//! Every replica keeps its watches warm; only the one whose [`LeaderState`] says `true`
//! writes.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use kube::Client;
use kube::api::{Api, PostParams};
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::{Error, Result};

/// Whether this replica currently leads; `true` only while it holds the lease.
pub type LeaderState = watch::Receiver<bool>;

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

/// One candidate in a leader election over one Lease.
pub struct LeaderElection {
    api: Api<Lease>,
    namespace: String,
    lease_name: String,
    identity: String,
    timings: LeaseTimings,
    state: watch::Sender<bool>,
}

impl std::fmt::Debug for LeaderElection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LeaderElection")
            .field("namespace", &self.namespace)
            .field("lease_name", &self.lease_name)
            .field("identity", &self.identity)
            .field("timings", &self.timings)
            .finish()
    }
}

impl LeaderElection {
    /// A candidate `identity` (unique per replica, e.g. the Pod name) for Lease
    /// `namespace/lease_name`. Fails when the durations are inconsistent
    /// (see [`LeaseTimings::validate`]).
    pub fn new(
        client: Client,
        namespace: impl Into<String>,
        lease_name: impl Into<String>,
        identity: impl Into<String>,
        lease_duration: Duration,
        renew_deadline: Duration,
        retry_period: Duration,
    ) -> Result<Self> {
        let timings = LeaseTimings {
            lease_duration,
            renew_deadline,
            retry_period,
        };
        timings.validate()?;
        let namespace = namespace.into();
        let (state, _) = watch::channel(false);
        Ok(LeaderElection {
            api: Api::namespaced(client, &namespace),
            namespace,
            lease_name: lease_name.into(),
            identity: identity.into(),
            timings,
            state,
        })
    }

    /// A receiver telling whether this replica leads; starts `false`.
    pub fn leader_state(&self) -> LeaderState {
        self.state.subscribe()
    }

    /// This candidate's identity.
    pub fn identity(&self) -> &str {
        &self.identity
    }

    /// Campaigns and renews until `shutdown` is cancelled, then releases the lease if held.
    /// API errors are logged and retried; they never end the loop.
    pub async fn run(self, shutdown: CancellationToken) -> Result<()> {
        let mut last_renewal: Option<Instant> = None;
        loop {
            let budget = match last_renewal {
                Some(at) => self.timings.renew_deadline.saturating_sub(at.elapsed()),
                None => self.timings.renew_deadline,
            };
            let attempt = tokio::select! {
                _ = shutdown.cancelled() => break,
                attempt = tokio::time::timeout(budget, self.try_acquire_or_renew()) => attempt,
            };
            match attempt {
                Ok(Ok(None)) => {
                    if last_renewal.is_none() {
                        tracing::info!(lease = %self.lease_name, identity = %self.identity, "became leader");
                    }
                    last_renewal = Some(Instant::now());
                    self.state.send_replace(true);
                }
                Ok(Ok(Some(holder))) => {
                    if last_renewal.take().is_some() {
                        tracing::warn!(lease = %self.lease_name, %holder, "lost the lease to another holder");
                    }
                    self.state.send_replace(false);
                }
                Ok(Err(error)) => {
                    tracing::warn!(lease = %self.lease_name, %error, "leader election attempt failed");
                    self.step_down_after_deadline(&mut last_renewal);
                }
                Err(_elapsed) => {
                    tracing::warn!(lease = %self.lease_name, "leader election attempt timed out");
                    self.step_down_after_deadline(&mut last_renewal);
                }
            }
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tokio::time::sleep(self.timings.retry_period) => {}
            }
        }
        if last_renewal.is_some() || *self.state.borrow() {
            // stop writing first, then hand the lease over
            self.state.send_replace(false);
            self.release().await?;
            tracing::info!(lease = %self.lease_name, identity = %self.identity, "released the lease");
        }
        Ok(())
    }

    fn step_down_after_deadline(&self, last_renewal: &mut Option<Instant>) {
        if let Some(at) = *last_renewal
            && at.elapsed() >= self.timings.renew_deadline
        {
            tracing::warn!(lease = %self.lease_name, "could not renew before the renew deadline; stepping down");
            *last_renewal = None;
            self.state.send_replace(false);
        }
    }

    /// One round: reads the lease and acquires or renews it when allowed. `Ok(None)` means
    /// we hold it now; `Ok(Some(holder))` means another holder's lease is valid.
    pub async fn try_acquire_or_renew(&self) -> Result<Option<String>> {
        let now = Timestamp::now();
        let current =
            self.api
                .get_opt(&self.lease_name)
                .await
                .map_err(|source| Error::GetLease {
                    namespace: self.namespace.clone(),
                    name: self.lease_name.clone(),
                    source,
                })?;
        let Some(mut lease) = current else {
            let lease = Lease {
                metadata: ObjectMeta {
                    name: Some(self.lease_name.clone()),
                    namespace: Some(self.namespace.clone()),
                    ..ObjectMeta::default()
                },
                spec: Some(held_spec(
                    None,
                    &self.identity,
                    now,
                    self.timings.lease_duration,
                )),
            };
            self.api
                .create(&PostParams::default(), &lease)
                .await
                .map_err(|source| Error::CreateLease {
                    namespace: self.namespace.clone(),
                    name: self.lease_name.clone(),
                    source,
                })?;
            return Ok(None);
        };
        if let LeaseDecision::Wait { holder } =
            should_acquire(lease.spec.as_ref(), now, &self.identity)
        {
            return Ok(Some(holder));
        }
        lease.spec = Some(held_spec(
            lease.spec.as_ref(),
            &self.identity,
            now,
            self.timings.lease_duration,
        ));
        self.replace(&lease).await?;
        Ok(None)
    }

    /// Gives the lease up if this candidate holds it (a no-op otherwise).
    pub async fn release(&self) -> Result<()> {
        let current =
            self.api
                .get_opt(&self.lease_name)
                .await
                .map_err(|source| Error::GetLease {
                    namespace: self.namespace.clone(),
                    name: self.lease_name.clone(),
                    source,
                })?;
        let Some(mut lease) = current else {
            return Ok(());
        };
        let holder = lease
            .spec
            .as_ref()
            .and_then(|s| s.holder_identity.as_deref());
        if holder != Some(self.identity.as_str()) {
            return Ok(());
        }
        lease.spec = Some(released_spec(lease.spec.as_ref(), Timestamp::now()));
        self.replace(&lease).await
    }

    async fn replace(&self, lease: &Lease) -> Result<()> {
        self.api
            .replace(&self.lease_name, &PostParams::default(), lease)
            .await
            .map_err(|source| Error::ReplaceLease {
                namespace: self.namespace.clone(),
                name: self.lease_name.clone(),
                source,
            })?;
        Ok(())
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
