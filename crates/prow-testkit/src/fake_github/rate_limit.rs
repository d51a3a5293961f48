//! The primary rate-limit budget and GitHub's `X-RateLimit-*` headers.

use serde::{Deserialize, Serialize};

/// Requests per hour an authenticated GitHub user gets.
pub const DEFAULT_LIMIT: u64 = 5000;

/// A rate-limit window for the `core` resource.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RateBudget {
    /// Requests allowed in the window.
    pub limit: u64,
    /// Requests left.
    pub remaining: u64,
    /// Unix time the window resets.
    pub reset: u64,
}

impl RateBudget {
    /// A full budget of `limit` requests resetting one hour from `now_unix`.
    pub fn new(limit: u64, now_unix: u64) -> Self {
        Self {
            limit,
            remaining: limit,
            reset: now_unix + 3600,
        }
    }

    /// Requests used in this window.
    pub fn used(&self) -> u64 {
        self.limit.saturating_sub(self.remaining)
    }

    /// Counts one request.
    pub fn spend(&mut self) {
        self.remaining = self.remaining.saturating_sub(1);
    }

    /// The `X-RateLimit-*` headers, in GitHub's spelling.
    pub fn headers(&self) -> [(&'static str, String); 5] {
        [
            ("x-ratelimit-limit", self.limit.to_string()),
            ("x-ratelimit-remaining", self.remaining.to_string()),
            ("x-ratelimit-reset", self.reset.to_string()),
            ("x-ratelimit-used", self.used().to_string()),
            ("x-ratelimit-resource", "core".to_string()),
        ]
    }

    /// The `rate` object of `GET /rate_limit`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "limit": self.limit,
            "remaining": self.remaining,
            "reset": self.reset,
            "used": self.used(),
            "resource": "core",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spending_counts_down_and_saturates() {
        let mut budget = RateBudget::new(2, 100);
        assert_eq!(budget.reset, 3700);
        budget.spend();
        assert_eq!((budget.remaining, budget.used()), (1, 1));
        budget.spend();
        budget.spend();
        assert_eq!((budget.remaining, budget.used()), (0, 2));
        assert_eq!(
            budget.headers()[1],
            ("x-ratelimit-remaining", "0".to_string())
        );
    }
}
