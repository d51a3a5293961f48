//! When and how long to wait before retrying a request: a pure function of the attempt number,
//! what happened, the current time and a jitter value, so it is tested without clocks.

use std::time::Duration;

/// Retry and rate-limit settings.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (so `max_retries + 1` attempts at most).
    pub max_retries: u32,
    /// Delay before the first retry of a 5xx or connection error; doubled per retry.
    pub base_delay: Duration,
    /// Upper bound of one exponential backoff delay.
    pub max_delay: Duration,
    /// Longest we wait for a rate limit (primary reset or secondary `Retry-After`); longer
    /// waits fail with [`crate::Error::RateLimited`] instead.
    pub max_rate_limit_wait: Duration,
    /// Wait for a secondary rate limit that names no `Retry-After` (GitHub says: at least a
    /// minute).
    pub secondary_limit_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 5,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_rate_limit_wait: Duration::from_secs(15 * 60),
            secondary_limit_wait: Duration::from_secs(60),
        }
    }
}

/// What one attempt produced, as far as retrying is concerned.
#[derive(Debug, Clone, PartialEq)]
pub enum AttemptOutcome<'a> {
    /// Connection failure or timeout: nothing usable came back.
    Transport,
    /// A response with this status.
    Response {
        /// HTTP status.
        status: u16,
        /// `Retry-After` in seconds, when present.
        retry_after: Option<u64>,
        /// `X-RateLimit-Remaining`, when present.
        remaining: Option<u64>,
        /// `X-RateLimit-Reset` (Unix seconds), when present.
        reset: Option<u64>,
        /// GitHub's `message`.
        message: &'a str,
    },
}

/// What to do after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryDecision {
    /// The outcome is final (success or an error retrying cannot fix).
    Stop,
    /// Wait this long, then try again.
    RetryAfter(Duration),
    /// A rate limit that lasts longer than the maximum wait.
    RateLimited(Duration),
    /// Retrying would help but no retries are left.
    OutOfRetries,
}

impl RetryPolicy {
    /// The exponential backoff delay before retry number `attempt` (0 = first retry), with
    /// "equal jitter": half the delay fixed, half scaled by `jitter` in `0.0..=1.0`.
    pub fn backoff(&self, attempt: u32, jitter: f64) -> Duration {
        let factor = 2u32.saturating_pow(attempt.min(31));
        let full = self.base_delay.saturating_mul(factor).min(self.max_delay);
        let half = full / 2;
        half + half.mul_f64(jitter.clamp(0.0, 1.0))
    }

    /// Decides whether attempt number `attempt` (0 = the first request) is retried.
    /// `now_unix` is the current time since the Unix epoch.
    pub fn decide(
        &self,
        attempt: u32,
        outcome: &AttemptOutcome<'_>,
        now_unix: Duration,
        jitter: f64,
    ) -> RetryDecision {
        let wait = match outcome {
            AttemptOutcome::Transport => self.backoff(attempt, jitter),
            AttemptOutcome::Response {
                status,
                retry_after,
                remaining,
                reset,
                message,
            } => match status {
                500..=599 => self.backoff(attempt, jitter),
                403 | 429 => {
                    if let Some(seconds) = retry_after {
                        Duration::from_secs(*seconds)
                    } else if *remaining == Some(0) {
                        // Primary limit: wait until the reset second has fully begun.
                        let reset_at = Duration::from_secs(reset.unwrap_or(0));
                        reset_at.saturating_sub(now_unix) + Duration::from_millis(100)
                    } else if is_secondary_limit_message(message) {
                        self.secondary_limit_wait
                    } else if *status == 429 {
                        self.backoff(attempt, jitter)
                    } else {
                        return RetryDecision::Stop;
                    }
                }
                _ => return RetryDecision::Stop,
            },
        };
        let rate_limited = matches!(
            outcome,
            AttemptOutcome::Response {
                status: 403 | 429,
                ..
            }
        );
        if rate_limited && wait > self.max_rate_limit_wait {
            return RetryDecision::RateLimited(wait);
        }
        if attempt >= self.max_retries {
            return RetryDecision::OutOfRetries;
        }
        RetryDecision::RetryAfter(wait)
    }
}

/// GitHub's documented wording for secondary rate limits (and the older "abuse" one).
pub fn is_secondary_limit_message(message: &str) -> bool {
    let message = message.to_ascii_lowercase();
    message.contains("secondary rate limit") || message.contains("abuse detection")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_retries: 3,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
            max_rate_limit_wait: Duration::from_secs(60),
            secondary_limit_wait: Duration::from_secs(5),
        }
    }

    #[test]
    fn backoff_doubles_caps_and_jitters() {
        let cases = [
            (0, 0.0, 50),
            (0, 1.0, 100),
            (1, 0.0, 100),
            (1, 0.5, 150),
            (2, 1.0, 400),
            (3, 1.0, 800),
            (4, 1.0, 1000),
            (4, 0.0, 500),
            (40, 1.0, 1000),
            (0, 7.0, 100),
        ];
        for (attempt, jitter, want_ms) in cases {
            assert_eq!(
                policy().backoff(attempt, jitter),
                Duration::from_millis(want_ms),
                "attempt {attempt} jitter {jitter}"
            );
        }
    }

    fn response(status: u16) -> AttemptOutcome<'static> {
        AttemptOutcome::Response {
            status,
            retry_after: None,
            remaining: None,
            reset: None,
            message: "",
        }
    }

    #[test]
    fn decisions() {
        let now = Duration::from_secs(1_000_000);
        let ms = Duration::from_millis;
        let secs = Duration::from_secs;
        let cases: Vec<(&str, u32, AttemptOutcome<'static>, RetryDecision)> = vec![
            ("success", 0, response(200), RetryDecision::Stop),
            ("not found", 0, response(404), RetryDecision::Stop),
            ("validation", 0, response(422), RetryDecision::Stop),
            (
                "502 first",
                0,
                response(502),
                RetryDecision::RetryAfter(ms(100)),
            ),
            (
                "502 third",
                2,
                response(502),
                RetryDecision::RetryAfter(ms(400)),
            ),
            (
                "502 exhausted",
                3,
                response(502),
                RetryDecision::OutOfRetries,
            ),
            (
                "transport",
                1,
                AttemptOutcome::Transport,
                RetryDecision::RetryAfter(ms(200)),
            ),
            ("plain 403", 0, response(403), RetryDecision::Stop),
            (
                "429 without headers",
                0,
                response(429),
                RetryDecision::RetryAfter(ms(100)),
            ),
            (
                "secondary with retry-after",
                0,
                AttemptOutcome::Response {
                    status: 403,
                    retry_after: Some(2),
                    remaining: Some(4000),
                    reset: None,
                    message: "You have exceeded a secondary rate limit.",
                },
                RetryDecision::RetryAfter(secs(2)),
            ),
            (
                "secondary without retry-after",
                0,
                AttemptOutcome::Response {
                    status: 403,
                    retry_after: None,
                    remaining: Some(4000),
                    reset: None,
                    message: "You have exceeded a secondary rate limit. Please wait",
                },
                RetryDecision::RetryAfter(secs(5)),
            ),
            (
                "primary exhausted, resets in 3s",
                0,
                AttemptOutcome::Response {
                    status: 403,
                    retry_after: None,
                    remaining: Some(0),
                    reset: Some(1_000_003),
                    message: "API rate limit exceeded for user ID 1.",
                },
                RetryDecision::RetryAfter(secs(3) + ms(100)),
            ),
            (
                "primary exhausted, reset already passed",
                0,
                AttemptOutcome::Response {
                    status: 429,
                    retry_after: None,
                    remaining: Some(0),
                    reset: Some(999_990),
                    message: "",
                },
                RetryDecision::RetryAfter(ms(100)),
            ),
            (
                "primary exhausted for too long",
                0,
                AttemptOutcome::Response {
                    status: 403,
                    retry_after: None,
                    remaining: Some(0),
                    reset: Some(1_003_600),
                    message: "",
                },
                RetryDecision::RateLimited(secs(3600) + ms(100)),
            ),
            (
                "retry-after too long",
                0,
                AttemptOutcome::Response {
                    status: 429,
                    retry_after: Some(61),
                    remaining: None,
                    reset: None,
                    message: "",
                },
                RetryDecision::RateLimited(secs(61)),
            ),
        ];
        for (name, attempt, outcome, want) in cases {
            assert_eq!(policy().decide(attempt, &outcome, now, 1.0), want, "{name}");
        }
    }

    #[test]
    fn recognises_secondary_limit_messages() {
        assert!(is_secondary_limit_message(
            "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
        ));
        assert!(is_secondary_limit_message(
            "You have triggered an abuse detection mechanism."
        ));
        assert!(!is_secondary_limit_message(
            "API rate limit exceeded for user ID 1."
        ));
        assert!(!is_secondary_limit_message(
            "Resource not accessible by integration"
        ));
    }
}
