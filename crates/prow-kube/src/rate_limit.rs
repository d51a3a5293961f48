//! Client-side rate limiting of Kubernetes API requests: a token bucket (client-go's
//! `flowcontrol` semantics: `qps` tokens per second, at most `burst` saved up) wrapped as a
//! tower layer that goes into the `kube::Client` stack.
//!
//! A request waits in `poll_ready` until a token is available, so requests queue in order
//! instead of failing. A watch costs one token when it starts, not per event.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::time::{Instant, Sleep};
use tower::{Layer, Service};

/// Requests per second and burst size; `qps <= 0` disables limiting.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    /// Sustained requests per second.
    pub qps: f64,
    /// Requests that may be sent at once after an idle period (at least 1 is used).
    pub burst: u32,
}

impl RateLimit {
    /// The default: 20 requests per second with bursts of 30 (controller-runtime's defaults;
    /// client-go's 5/10 is too tight for a controller that lists Pods and ProwJobs).
    pub const DEFAULT: RateLimit = RateLimit {
        qps: 20.0,
        burst: 30,
    };

    /// Whether this limit lets every request through without waiting.
    pub fn is_unlimited(&self) -> bool {
        self.qps <= 0.0 || !self.qps.is_finite()
    }
}

impl Default for RateLimit {
    fn default() -> Self {
        RateLimit::DEFAULT
    }
}

/// A token bucket with an injected clock: pure logic, no sleeping.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    qps: f64,
    burst: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    /// A full bucket at time `now`.
    pub fn new(limit: RateLimit, now: Instant) -> Self {
        let burst = f64::from(limit.burst.max(1));
        TokenBucket {
            qps: limit.qps,
            burst,
            tokens: burst,
            last: now,
        }
    }

    /// Takes one token at time `now` and returns how long the caller must wait before it
    /// may send its request (zero when a token was available). Tokens may go negative:
    /// callers that reserve while others wait queue up behind them.
    pub fn reserve(&mut self, now: Instant) -> Duration {
        if now > self.last {
            let refill = now.duration_since(self.last).as_secs_f64() * self.qps;
            self.tokens = (self.tokens + refill).min(self.burst);
            self.last = now;
        }
        self.tokens -= 1.0;
        if self.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-self.tokens / self.qps)
        }
    }
}

/// A tower layer that rate-limits the wrapped service with a [`TokenBucket`].
#[derive(Debug, Clone, Copy)]
pub struct RateLimitLayer {
    limit: RateLimit,
}

impl RateLimitLayer {
    /// A layer enforcing `limit`.
    pub fn new(limit: RateLimit) -> Self {
        RateLimitLayer { limit }
    }
}

impl<S> Layer<S> for RateLimitLayer {
    type Service = RateLimited<S>;

    fn layer(&self, inner: S) -> Self::Service {
        let bucket =
            (!self.limit.is_unlimited()).then(|| TokenBucket::new(self.limit, Instant::now()));
        RateLimited {
            inner,
            bucket,
            wait: None,
            permitted: false,
        }
    }
}

/// The service produced by [`RateLimitLayer`].
#[derive(Debug)]
pub struct RateLimited<S> {
    inner: S,
    bucket: Option<TokenBucket>,
    wait: Option<Pin<Box<Sleep>>>,
    permitted: bool,
}

impl<S, Req> Service<Req> for RateLimited<S>
where
    S: Service<Req>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        if let Some(bucket) = &mut self.bucket
            && !self.permitted
        {
            if self.wait.is_none() {
                let delay = bucket.reserve(Instant::now());
                if delay.is_zero() {
                    self.permitted = true;
                } else {
                    self.wait = Some(Box::pin(tokio::time::sleep(delay)));
                }
            }
            if let Some(wait) = &mut self.wait {
                if wait.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
                self.wait = None;
                self.permitted = true;
            }
        }
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Req) -> Self::Future {
        self.permitted = false;
        self.inner.call(req)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::convert::Infallible;
    use tower::ServiceExt;

    fn secs(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    #[test]
    fn bucket_waits_follow_qps_after_burst() {
        // (qps, burst, request offsets in seconds from start, expected waits in seconds)
        let cases: &[(f64, u32, &[f64], &[f64])] = &[
            // a full burst goes through at once, the next one waits one token interval
            (2.0, 3, &[0.0, 0.0, 0.0, 0.0], &[0.0, 0.0, 0.0, 0.5]),
            // queued callers wait for successive tokens
            (1.0, 1, &[0.0, 0.0, 0.0], &[0.0, 1.0, 2.0]),
            // idle time refills the bucket, but never above burst
            (
                10.0,
                2,
                &[0.0, 0.0, 5.0, 5.0, 5.0],
                &[0.0, 0.0, 0.0, 0.0, 0.1],
            ),
            // burst 0 behaves as burst 1
            (4.0, 0, &[0.0, 0.0], &[0.0, 0.25]),
        ];
        for (qps, burst, offsets, expected) in cases {
            let start = Instant::now();
            let mut bucket = TokenBucket::new(
                RateLimit {
                    qps: *qps,
                    burst: *burst,
                },
                start,
            );
            let waits: Vec<Duration> = offsets
                .iter()
                .map(|o| bucket.reserve(start + secs(*o)))
                .collect();
            for (i, (got, want)) in waits.iter().zip(expected.iter()).enumerate() {
                let diff = (got.as_secs_f64() - want).abs();
                assert!(
                    diff < 1e-6,
                    "qps {qps} burst {burst} request {i}: waited {got:?}, want {want}s"
                );
            }
        }
    }

    #[test]
    fn non_positive_qps_is_unlimited() {
        for (qps, unlimited) in [(0.0, true), (-1.0, true), (f64::NAN, true), (0.5, false)] {
            assert_eq!(
                RateLimit { qps, burst: 1 }.is_unlimited(),
                unlimited,
                "{qps}"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn layer_delays_requests_beyond_burst() {
        let limit = RateLimit { qps: 1.0, burst: 2 };
        let mut svc = RateLimitLayer::new(limit).layer(tower::service_fn(|n: u32| async move {
            Ok::<_, Infallible>(n)
        }));
        let start = Instant::now();
        for n in 0..4u32 {
            let got = svc
                .ready()
                .await
                .unwrap_or_else(|e| match e {})
                .call(n)
                .await;
            assert_eq!(got.unwrap_or_else(|e| match e {}), n);
        }
        // two requests from the burst, two more at one per (virtual) second
        assert_eq!(Instant::now().duration_since(start).as_secs(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn unlimited_layer_never_waits() {
        let mut svc = RateLimitLayer::new(RateLimit { qps: 0.0, burst: 1 }).layer(
            tower::service_fn(|n: u32| async move { Ok::<_, Infallible>(n) }),
        );
        let start = Instant::now();
        for n in 0..100u32 {
            let got = svc
                .ready()
                .await
                .unwrap_or_else(|e| match e {})
                .call(n)
                .await;
            assert_eq!(got.unwrap_or_else(|e| match e {}), n);
        }
        assert_eq!(Instant::now(), start);
    }
}
