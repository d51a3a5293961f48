//! Go `time.Duration` as Prow serializes it.
//!
//! Prow's `prowjobs/v1.Duration` (used by `decoration_config.timeout` and `grace_period`)
//! accepts either an integer number of nanoseconds or a duration string and always writes
//! the string form (`time.Duration.String()`, e.g. `2h0m0s`). `metav1.Duration` (used by the
//! `pod_*_timeout` fields) reads and writes the string form. [`GoDuration`] implements both:
//! it parses whatever Go's `time.ParseDuration` accepts and writes exactly what Go writes, so
//! a ProwJob written by Prow survives a round trip byte for byte.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::Error;

const NANOSECOND: u64 = 1;
const MICROSECOND: u64 = 1_000 * NANOSECOND;
const MILLISECOND: u64 = 1_000 * MICROSECOND;
const SECOND: u64 = 1_000 * MILLISECOND;
const MINUTE: u64 = 60 * SECOND;
const HOUR: u64 = 60 * MINUTE;

/// A signed duration with nanosecond precision, serialized like Go's `time.Duration.String()`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GoDuration {
    nanos: i64,
}

impl GoDuration {
    /// A duration of `nanos` nanoseconds.
    pub const fn from_nanos(nanos: i64) -> Self {
        Self { nanos }
    }

    /// A duration of `secs` seconds (saturating at Go's maximum of about 292 years).
    pub const fn from_secs(secs: i64) -> Self {
        Self {
            nanos: secs.saturating_mul(SECOND as i64),
        }
    }

    /// The length in nanoseconds (negative for negative durations).
    pub const fn as_nanos(self) -> i64 {
        self.nanos
    }

    /// The length as a [`std::time::Duration`]; `None` when negative.
    pub fn to_std(self) -> Option<std::time::Duration> {
        u64::try_from(self.nanos)
            .ok()
            .map(std::time::Duration::from_nanos)
    }

    /// Parses a duration string exactly as Go's `time.ParseDuration` does: an optional sign
    /// followed by one or more decimal numbers with optional fraction and a unit
    /// (`ns`, `us`, `µs`, `μs`, `ms`, `s`, `m`, `h`), e.g. `300ms`, `-1.5h`, `2h45m`.
    pub fn parse(text: &str) -> Result<Self, Error> {
        parse_go_duration(text).map(Self::from_nanos)
    }
}

impl From<std::time::Duration> for GoDuration {
    /// Converts, saturating at Go's maximum duration.
    fn from(value: std::time::Duration) -> Self {
        Self::from_nanos(i64::try_from(value.as_nanos()).unwrap_or(i64::MAX))
    }
}

impl FromStr for GoDuration {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

impl fmt::Display for GoDuration {
    /// Writes the duration as Go's `time.Duration.String()` does (`0s`, `1.5µs`, `100ms`,
    /// `15s`, `1m30s`, `2h0m0s`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_go_duration(self.nanos))
    }
}

impl Serialize for GoDuration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for GoDuration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DurationVisitor;

        impl Visitor<'_> for DurationVisitor {
            type Value = GoDuration;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a Go duration string such as \"2h0m0s\" or an integer of nanoseconds")
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<GoDuration, E> {
                Ok(GoDuration::from_nanos(v))
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<GoDuration, E> {
                i64::try_from(v)
                    .map(GoDuration::from_nanos)
                    .map_err(|_| E::custom(format!("duration of {v} nanoseconds overflows")))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<GoDuration, E> {
                GoDuration::parse(v).map_err(E::custom)
            }
        }

        deserializer.deserialize_any(DurationVisitor)
    }
}

impl JsonSchema for GoDuration {
    fn schema_name() -> Cow<'static, str> {
        "GoDuration".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "string" })
    }
}

fn invalid(text: &str, reason: &'static str) -> Error {
    Error::InvalidDuration {
        text: text.to_owned(),
        reason,
    }
}

/// Go's `time.ParseDuration`, returning nanoseconds.
fn parse_go_duration(orig: &str) -> Result<i64, Error> {
    let mut s = orig.as_bytes();
    let mut negative = false;
    if let Some(&c) = s.first()
        && (c == b'-' || c == b'+')
    {
        negative = c == b'-';
        s = &s[1..];
    }
    if s == b"0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(invalid(orig, "invalid duration"));
    }
    const LIMIT: u64 = 1 << 63;
    let mut total: u64 = 0;
    while !s.is_empty() {
        if !(s[0] == b'.' || s[0].is_ascii_digit()) {
            return Err(invalid(orig, "invalid duration"));
        }
        // Integer part.
        let mut value: u64 = 0;
        let mut consumed = 0;
        while consumed < s.len() && s[consumed].is_ascii_digit() {
            let digit = u64::from(s[consumed] - b'0');
            if value > LIMIT / 10 {
                return Err(invalid(orig, "invalid duration"));
            }
            value = value * 10 + digit;
            if value > LIMIT {
                return Err(invalid(orig, "invalid duration"));
            }
            consumed += 1;
        }
        let had_integer = consumed > 0;
        s = &s[consumed..];
        // Fraction part.
        let mut fraction: u64 = 0;
        let mut scale: f64 = 1.0;
        let mut had_fraction = false;
        if s.first() == Some(&b'.') {
            s = &s[1..];
            let mut overflow = false;
            let mut digits = 0;
            while digits < s.len() && s[digits].is_ascii_digit() {
                if !overflow {
                    if fraction > (LIMIT - 1) / 10 {
                        overflow = true;
                    } else {
                        let next = fraction * 10 + u64::from(s[digits] - b'0');
                        if next > LIMIT {
                            overflow = true;
                        } else {
                            fraction = next;
                            scale *= 10.0;
                        }
                    }
                }
                digits += 1;
            }
            had_fraction = digits > 0;
            s = &s[digits..];
        }
        if !had_integer && !had_fraction {
            return Err(invalid(orig, "invalid duration"));
        }
        // Unit.
        let unit_len = s
            .iter()
            .position(|&c| c == b'.' || c.is_ascii_digit())
            .unwrap_or(s.len());
        if unit_len == 0 {
            return Err(invalid(orig, "missing unit in duration"));
        }
        let unit = match &s[..unit_len] {
            b"ns" => NANOSECOND,
            b"us" | b"\xc2\xb5s" | b"\xce\xbcs" => MICROSECOND, // us, µs (U+00B5), μs (U+03BC)
            b"ms" => MILLISECOND,
            b"s" => SECOND,
            b"m" => MINUTE,
            b"h" => HOUR,
            _ => return Err(invalid(orig, "unknown unit in duration")),
        };
        s = &s[unit_len..];
        if value > LIMIT / unit {
            return Err(invalid(orig, "invalid duration"));
        }
        value *= unit;
        if fraction > 0 {
            // Same float arithmetic as Go, so rounding matches.
            value += (fraction as f64 * (unit as f64 / scale)) as u64;
            if value > LIMIT {
                return Err(invalid(orig, "invalid duration"));
            }
        }
        total += value;
        if total > LIMIT {
            return Err(invalid(orig, "invalid duration"));
        }
    }
    if negative {
        // total <= 2^63 here, so the negation fits.
        return Ok((total as i128).wrapping_neg() as i64);
    }
    if total > LIMIT - 1 {
        return Err(invalid(orig, "invalid duration"));
    }
    Ok(total as i64)
}

/// `v / 10^precision` as the integer part and Go's fraction text (`.5`, trailing zeros removed,
/// empty when the fraction is zero).
fn split_fraction(v: u64, precision: u32) -> (u64, String) {
    let divisor = 10u64.pow(precision);
    let fraction = v % divisor;
    if fraction == 0 {
        return (v / divisor, String::new());
    }
    let digits = format!("{fraction:0width$}", width = precision as usize);
    (v / divisor, format!(".{}", digits.trim_end_matches('0')))
}

/// Go's `time.Duration.String()`.
fn format_go_duration(nanos: i64) -> String {
    let negative = nanos < 0;
    let u = nanos.unsigned_abs();
    let body = if u < SECOND {
        let (precision, unit) = match u {
            0 => return "0s".to_owned(),
            u if u < MICROSECOND => (0, "ns"),
            u if u < MILLISECOND => (3, "µs"),
            _ => (6, "ms"),
        };
        let (int, frac) = split_fraction(u, precision);
        format!("{int}{frac}{unit}")
    } else {
        let (secs, frac) = split_fraction(u, 9);
        let minutes = secs / 60;
        let mut out = String::new();
        if minutes > 0 {
            let hours = minutes / 60;
            if hours > 0 {
                out.push_str(&format!("{hours}h"));
            }
            out.push_str(&format!("{}m", minutes % 60));
        }
        out.push_str(&format!("{}{frac}s", secs % 60));
        out
    };
    if negative { format!("-{body}") } else { body }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Cases from Go's src/time/time_test.go (durationTests and parseDurationTests).
    #[test]
    fn formats_like_go() {
        let cases: &[(i64, &str)] = &[
            (0, "0s"),
            (1, "1ns"),
            (1_100, "1.1µs"),
            (2_200_000, "2.2ms"),
            (3_300_000_000, "3.3s"),
            (4 * 60 * 1_000_000_000 + 5_000_000_000, "4m5s"),
            (4 * 60 * 1_000_000_000 + 5_001_000_000, "4m5.001s"),
            (
                5 * 3_600 * 1_000_000_000 + 6 * 60 * 1_000_000_000 + 7_001_000_000,
                "5h6m7.001s",
            ),
            (8 * 60 * 1_000_000_000 + 1, "8m0.000000001s"),
            (i64::MAX, "2562047h47m16.854775807s"),
            (i64::MIN, "-2562047h47m16.854775808s"),
            (2 * 3_600 * 1_000_000_000, "2h0m0s"),
            (15_000_000_000, "15s"),
            (-1_500_000_000, "-1.5s"),
        ];
        for &(nanos, want) in cases {
            assert_eq!(GoDuration::from_nanos(nanos).to_string(), want, "{nanos}");
        }
    }

    #[test]
    fn parses_like_go() {
        const S: i64 = 1_000_000_000;
        let cases: &[(&str, i64)] = &[
            ("0", 0),
            ("5s", 5 * S),
            ("30s", 30 * S),
            ("1478s", 1478 * S),
            ("-5s", -5 * S),
            ("+5s", 5 * S),
            ("-0", 0),
            ("+0", 0),
            ("5.0s", 5 * S),
            ("5.6s", 5 * S + 600_000_000),
            ("5.s", 5 * S),
            (".5s", 500_000_000),
            ("1.0s", S),
            ("1.00s", S),
            ("1.004s", S + 4_000_000),
            ("1.0040s", S + 4_000_000),
            ("100.00100s", 100 * S + 1_000_000),
            ("10ns", 10),
            ("11us", 11_000),
            ("12µs", 12_000),
            ("12μs", 12_000),
            ("13ms", 13_000_000),
            ("14s", 14 * S),
            ("15m", 15 * 60 * S),
            ("16h", 16 * 3600 * S),
            ("3h30m", 3 * 3600 * S + 30 * 60 * S),
            ("10.5s4m", 4 * 60 * S + 10 * S + 500_000_000),
            ("-2m3.4s", -(2 * 60 * S + 3 * S + 400_000_000)),
            (
                "1h2m3s4ms5us6ns",
                3600 * S + 2 * 60 * S + 3 * S + 4_000_000 + 5_000 + 6,
            ),
            (
                "39h9m14.425s",
                39 * 3600 * S + 9 * 60 * S + 14 * S + 425_000_000,
            ),
            ("52763797000ns", 52_763_797_000),
            ("0.3333333333333333333h", 20 * 60 * S),
            ("9007199254740993ns", (1 << 53) + 1),
            ("9223372036854775807ns", i64::MAX),
            ("9223372036854775.807us", i64::MAX),
            ("9223372036s854ms775us807ns", i64::MAX),
            ("-9223372036854775808ns", i64::MIN),
            ("-9223372036854775.808us", i64::MIN),
            ("0.100000000000000000000h", 6 * 60 * S),
            (
                "0.830103483285477580700h",
                49 * 60 * S + 48 * S + 372_539_827,
            ),
        ];
        for &(text, want) in cases {
            let got = GoDuration::parse(text).map(GoDuration::as_nanos);
            assert_eq!(got.ok(), Some(want), "{text}");
        }
    }

    #[test]
    fn rejects_what_go_rejects() {
        for text in [
            "",
            "3",
            "-",
            "s",
            ".",
            "-.",
            ".s",
            "+.s",
            "1d",
            "\u{0085}\u{0085}",
            "\u{ffff}",
            "9223372036854775810ns",
            "9223372036854775808ns",
            "-9223372036854775809ns",
            "9223372036854776us",
            "3000000h",
            "9223372036854775.808us",
            "9223372036854ms775us808ns",
        ] {
            assert!(
                GoDuration::parse(text).is_err(),
                "{text:?} must be rejected"
            );
        }
    }

    #[test]
    fn serde_reads_strings_and_nanoseconds_and_writes_strings() {
        let from_string: GoDuration = serde_json::from_str("\"4h\"").expect("string");
        let from_integer: GoDuration = serde_json::from_str("14400000000000").expect("integer");
        assert_eq!(from_string, from_integer);
        assert_eq!(
            serde_json::to_string(&from_string).expect("serialize"),
            "\"4h0m0s\""
        );
        assert!(serde_json::from_str::<GoDuration>("\"4 hours\"").is_err());
    }
}
