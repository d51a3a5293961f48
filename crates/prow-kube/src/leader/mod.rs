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

mod args;
mod decision;

use std::time::Duration;

use jiff::Timestamp;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::Client;
use kube::api::{Api, PostParams};
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

pub use args::LeaderElectionArgs;
pub use decision::{LeaseDecision, LeaseTimings, held_spec, released_spec, should_acquire};

use crate::{Error, Result};

/// client-go's `JitterFactor` for acquire attempts.
const JITTER_FACTOR: f64 = 1.2;

/// Whether this replica currently leads; `true` only while it holds the lease.
pub type LeaderState = watch::Receiver<bool>;

/// One candidate in a leader election over one Lease.
pub struct LeaderElection {
    api: Api<Lease>,
    namespace: String,
    lease_name: String,
    identity: String,
    timings: LeaseTimings,
    state: watch::Sender<bool>,
    is_leader: Gauge,
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
            is_leader: Gauge::default(),
        })
    }

    /// Registers `leader_election_is_leader` (1 while this replica leads, else 0) in
    /// `registry`.
    pub fn register_metrics(&self, registry: &mut Registry) {
        registry.register(
            "leader_election_is_leader",
            "1 while this replica holds the leader election lease, else 0",
            self.is_leader.clone(),
        );
    }

    fn set_leading(&self, leading: bool) {
        self.state.send_replace(leading);
        self.is_leader.set(i64::from(leading));
    }

    /// How long to wait before the next attempt: the retry period while leading (renewals
    /// keep their rhythm), up to 2.2× that while campaigning (client-go's jitter factor
    /// 1.2) so that candidates do not all ask at once.
    fn next_attempt_in(&self, leading: bool) -> Duration {
        if leading {
            self.timings.retry_period
        } else {
            self.timings
                .retry_period
                .mul_f64(1.0 + rand::random::<f64>() * JITTER_FACTOR)
        }
    }

    /// A receiver telling whether this replica leads; starts `false`.
    pub fn leader_state(&self) -> LeaderState {
        self.state.subscribe()
    }

    /// This candidate's identity.
    pub fn identity(&self) -> &str {
        &self.identity
    }

    /// Campaigns and renews until `shutdown` is cancelled, then (if it leads) reports
    /// `false` and releases the lease. API errors are logged and retried; they never end
    /// the loop, and a failed release is logged, not returned.
    pub async fn run(self, shutdown: CancellationToken) -> Result<()> {
        let mut last_renewal: Option<Instant> = None;
        loop {
            let budget = match last_renewal {
                Some(at) => self.timings.renew_deadline.saturating_sub(at.elapsed()),
                None => self.timings.renew_deadline,
            };
            // the lease's renewTime is taken at the start of an attempt: count from there
            let started = Instant::now();
            let attempt = tokio::select! {
                _ = shutdown.cancelled() => break,
                attempt = tokio::time::timeout(budget, self.try_acquire_or_renew()) => attempt,
            };
            match attempt {
                Ok(Ok(None)) => {
                    if last_renewal.is_none() {
                        tracing::info!(lease = %self.lease_name, identity = %self.identity, "became leader");
                    }
                    last_renewal = Some(started);
                    self.set_leading(true);
                }
                Ok(Ok(Some(holder))) => {
                    if last_renewal.take().is_some() {
                        tracing::warn!(lease = %self.lease_name, %holder, "lost the lease to another holder");
                    }
                    self.set_leading(false);
                }
                Ok(Err(error)) if error.is_lost_race() => {
                    tracing::debug!(lease = %self.lease_name, %error, "another candidate wrote the lease first");
                    self.step_down_after_deadline(&mut last_renewal);
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
                _ = tokio::time::sleep(self.next_attempt_in(last_renewal.is_some())) => {}
            }
        }
        if last_renewal.is_some() || *self.state.borrow() {
            // stop writing first, then hand the lease over
            self.set_leading(false);
            // best effort: if it fails, a successor takes over once the lease expires
            match self.release().await {
                Ok(()) => {
                    tracing::info!(lease = %self.lease_name, identity = %self.identity, "released the lease")
                }
                Err(error) => {
                    tracing::warn!(lease = %self.lease_name, %error, "could not release the lease; it expires on its own")
                }
            }
        }
        Ok(())
    }

    fn step_down_after_deadline(&self, last_renewal: &mut Option<Instant>) {
        if let Some(at) = *last_renewal
            && at.elapsed() >= self.timings.renew_deadline
        {
            tracing::warn!(lease = %self.lease_name, "could not renew before the renew deadline; stepping down");
            *last_renewal = None;
            self.set_leading(false);
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
