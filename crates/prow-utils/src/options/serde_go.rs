//! Serde helpers for Go's JSON encodings.

use std::time::Duration;

use prow_api::GoDuration;
use serde::{Deserialize, Deserializer, Serializer};

/// Go's `time.Duration` as JSON: an integer of nanoseconds. Reading also accepts a Go
/// duration string such as `"2h0m0s"`.
pub(crate) mod nanos {
    use super::*;

    /// Writes the duration as integer nanoseconds (saturating at `i64::MAX`).
    pub(crate) fn serialize<S: Serializer>(
        value: &Duration,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_i64(i64::try_from(value.as_nanos()).unwrap_or(i64::MAX))
    }

    /// Reads integer nanoseconds or a Go duration string; negative durations become zero.
    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Duration, D::Error> {
        let go = GoDuration::deserialize(deserializer)?;
        Ok(go.to_std().unwrap_or(Duration::ZERO))
    }
}

/// `true` when the duration is zero (Go's `omitempty` for `time.Duration`).
pub(crate) fn is_zero_duration(value: &Duration) -> bool {
    value.is_zero()
}

/// `true` when the flag is false (Go's `omitempty` for `bool`).
pub(crate) fn is_false(value: &bool) -> bool {
    !*value
}

/// A Go slice or struct field without `omitempty`: `null` reads as the default value.
pub(crate) fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}
