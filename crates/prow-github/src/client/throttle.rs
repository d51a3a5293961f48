//! Client-side throttling (Prow's `--github-hourly-tokens` / `--github-allowed-burst`): a
//! token bucket that spreads a component's requests over the hour so several components can
//! share one token's budget.

use std::time::{Duration, Instant};

/// Throttle settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleConfig {
    /// Requests allowed per hour on average.
    pub hourly_tokens: u32,
    /// Requests allowed back to back after an idle period.
    pub burst: u32,
}

/// The bucket's state; pure, driven by the caller's clock.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    interval: Duration,
    burst: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    /// A full bucket at `now`. `hourly_tokens` and `burst` of 0 are treated as 1.
    pub fn new(config: ThrottleConfig, now: Instant) -> Self {
        let burst = f64::from(config.burst.max(1));
        Self {
            interval: Duration::from_secs(3600) / config.hourly_tokens.max(1),
            burst,
            tokens: burst,
            last: now,
        }
    }

    /// Takes a token at `now`, or says how long to wait until one is available.
    pub fn try_take(&mut self, now: Instant) -> Result<(), Duration> {
        let elapsed = now.saturating_duration_since(self.last);
        self.tokens =
            (self.tokens + elapsed.as_secs_f64() / self.interval.as_secs_f64()).min(self.burst);
        self.last = now.max(self.last);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(self.interval.mul_f64(1.0 - self.tokens))
        }
    }
}

/// A shared token bucket for async callers.
#[derive(Debug)]
pub struct Throttle {
    bucket: std::sync::Mutex<TokenBucket>,
}

impl Throttle {
    /// A throttle with a full bucket.
    pub fn new(config: ThrottleConfig) -> Self {
        Self {
            bucket: std::sync::Mutex::new(TokenBucket::new(config, Instant::now())),
        }
    }

    /// Waits until a request may be sent.
    pub async fn acquire(&self) {
        loop {
            let wait = {
                let mut bucket = self.bucket.lock().unwrap_or_else(|e| e.into_inner());
                match bucket.try_take(Instant::now()) {
                    Ok(()) => return,
                    Err(wait) => wait,
                }
            };
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_allows_burst_then_paces() {
        // 3600 per hour = one per second; burst of 3.
        let start = Instant::now();
        let mut bucket = TokenBucket::new(
            ThrottleConfig {
                hourly_tokens: 3600,
                burst: 3,
            },
            start,
        );
        let at = |ms: u64| start + Duration::from_millis(ms);
        let steps: [(u64, Result<(), Duration>); 7] = [
            (0, Ok(())),
            (0, Ok(())),
            (0, Ok(())),
            (0, Err(Duration::from_secs(1))),
            (250, Err(Duration::from_millis(750))),
            (1000, Ok(())),
            (10_000, Ok(())),
        ];
        for (i, (ms, want)) in steps.into_iter().enumerate() {
            assert_eq!(bucket.try_take(at(ms)), want, "step {i} at {ms} ms");
        }
        // After a long idle period the bucket holds at most `burst` tokens.
        let later = at(100_000);
        let taken = (0..10).filter(|_| bucket.try_take(later).is_ok()).count();
        assert_eq!(taken, 3);
    }
}
