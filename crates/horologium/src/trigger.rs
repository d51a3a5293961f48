//! How a periodic is triggered: Prow's `interval`, `minimum_interval` or `cron` (robfig/cron
//! v3 syntax with optional seconds, descriptors, `@every <duration>`, `CRON_TZ=`/`TZ=` prefix;
//! UTC otherwise).

use std::time::Duration;

use croner::Cron;
use croner::parser::{CronParser, Seconds};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use prow_config::{Periodic, parse_duration};

use crate::Error;

/// When a periodic runs.
#[derive(Debug, Clone)]
pub enum Trigger {
    /// `interval` (or cron `@every`): a new run once this long has passed since the start of
    /// the previous run, and the previous run has finished.
    Interval(Duration),
    /// `minimum_interval`: a new run once this long has passed since the previous run
    /// finished.
    MinimumInterval(Duration),
    /// `cron`: a new run at each fire time, once the previous run has finished.
    Cron(Box<CronSchedule>),
}

/// A parsed cron expression and the time zone it is read in.
#[derive(Debug, Clone)]
pub struct CronSchedule {
    cron: Cron,
    zone: TimeZone,
}

impl CronSchedule {
    /// Parses `expr` as horologium reads it (see the module docs).
    pub fn parse(expr: &str) -> Result<Self, String> {
        prow_config::validate_cron(expr)?;
        let mut spec = expr.trim();
        let mut zone = TimeZone::UTC;
        if let Some(rest) = spec
            .strip_prefix("CRON_TZ=")
            .or_else(|| spec.strip_prefix("TZ="))
        {
            let (name, after) = rest
                .split_once(char::is_whitespace)
                .ok_or_else(|| "time zone prefix must be followed by a spec".to_string())?;
            zone = TimeZone::get(name).map_err(|e| format!("unknown time zone {name}: {e}"))?;
            spec = after.trim();
        }
        // robfig accepts `?` as `*` in every field; croner only in the day fields
        let spec = spec.replace('?', "*");
        let cron = CronParser::builder()
            .seconds(Seconds::Optional)
            // robfig reads `N/step` as `N-max/step`
            .sloppy_ranges(true)
            .build()
            .parse(&spec)
            .map_err(|e| e.to_string())?;
        Ok(CronSchedule { cron, zone })
    }

    /// Whether the schedule fires at all around `now` (`0 0 31 2 *`, February 31st, never
    /// does: a way to write a disabled periodic).
    pub fn ever_fires(&self, now: Timestamp) -> bool {
        let zoned = now.to_zoned(self.zone.clone());
        self.last_fire(now).is_some() || self.cron.find_next_occurrence(&zoned, false).is_ok()
    }

    /// The latest fire time at or before `now`, if any within the search limit.
    pub fn last_fire(&self, now: Timestamp) -> Option<Timestamp> {
        let zoned = now.to_zoned(self.zone.clone());
        self.cron
            .find_previous_occurrence(&zoned, true)
            .ok()
            .map(|z| z.timestamp())
    }
}

/// The trigger of `periodic`: `cron` wins, then `interval`, then `minimum_interval` (config
/// validation allows only one of them).
pub fn trigger_for(periodic: &Periodic) -> Result<Trigger, Error> {
    let job = &periodic.base.name;
    let cron = periodic.cron.trim();
    if !cron.is_empty() {
        let parse_error = |reason: String| Error::ParseCron {
            job: job.clone(),
            cron: periodic.cron.clone(),
            reason,
        };
        if let Some(every) = cron.strip_prefix("@every ") {
            let every =
                parse_duration(every.trim()).map_err(|e| parse_error(e.reason.to_string()))?;
            return Ok(Trigger::Interval(every));
        }
        return CronSchedule::parse(cron)
            .map(|schedule| Trigger::Cron(Box::new(schedule)))
            .map_err(parse_error);
    }
    let duration = |parsed: Option<Duration>, text: &str| {
        parsed.or_else(|| {
            (!text.trim().is_empty())
                .then(|| parse_duration(text.trim()).ok())
                .flatten()
        })
    };
    if let Some(interval) = duration(periodic.interval_duration, &periodic.interval) {
        return Ok(Trigger::Interval(interval));
    }
    if let Some(minimum) = duration(
        periodic.minimum_interval_duration,
        &periodic.minimum_interval,
    ) {
        return Ok(Trigger::MinimumInterval(minimum));
    }
    Err(Error::NoSchedule { job: job.clone() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().expect("timestamp")
    }

    #[test]
    fn last_fire_is_the_latest_fire_time_at_or_before_now() {
        let cases = [
            ("0 * * * *", "2026-11-26T10:20:30Z", "2026-11-26T10:00:00Z"),
            ("0 * * * *", "2026-11-26T10:00:00Z", "2026-11-26T10:00:00Z"),
            (
                "*/15 * * * *",
                "2026-11-26T10:44:59Z",
                "2026-11-26T10:30:00Z",
            ),
            (
                "30 2 * * 1-5",
                "2026-11-29T12:00:00Z",
                "2026-11-27T02:30:00Z",
            ),
            ("@daily", "2026-11-26T10:20:00Z", "2026-11-26T00:00:00Z"),
            ("@hourly", "2026-11-26T10:20:00Z", "2026-11-26T10:00:00Z"),
            ("@weekly", "2026-11-26T10:20:00Z", "2026-11-22T00:00:00Z"),
            ("@monthly", "2026-11-26T10:20:00Z", "2026-11-01T00:00:00Z"),
            ("@yearly", "2026-11-26T10:20:00Z", "2026-01-01T00:00:00Z"),
            (
                "0 0 1 jan,jul *",
                "2026-11-26T10:20:00Z",
                "2026-07-01T00:00:00Z",
            ),
            (
                "0 8 * * MON",
                "2026-11-26T10:20:00Z",
                "2026-11-23T08:00:00Z",
            ),
            (
                "5 4 ? * sun",
                "2026-11-26T10:20:00Z",
                "2026-11-22T04:05:00Z",
            ),
            (
                "30 */10 * * * *",
                "2026-11-26T10:20:45Z",
                "2026-11-26T10:20:30Z",
            ),
            // both day fields restricted: either matches (robfig)
            (
                "0 0 1 * MON",
                "2026-11-26T10:20:00Z",
                "2026-11-23T00:00:00Z",
            ),
            (
                "CRON_TZ=America/New_York 0 6 * * *",
                "2026-11-26T10:20:00Z",
                "2026-11-25T11:00:00Z",
            ),
        ];
        for (expr, now, want) in cases {
            let schedule = CronSchedule::parse(expr).unwrap_or_else(|e| panic!("{expr}: {e}"));
            assert_eq!(
                schedule.last_fire(ts(now)),
                Some(ts(want)),
                "{expr} at {now}"
            );
        }
    }

    #[test]
    fn a_cron_that_never_fires_is_recognised() {
        let now = ts("2026-11-26T10:20:00Z");
        let never = CronSchedule::parse("0 0 31 2 *").expect("valid");
        assert!(!never.ever_fires(now));
        assert_eq!(never.last_fire(now), None);
        let yearly = CronSchedule::parse("0 0 29 2 *").expect("valid");
        assert!(yearly.ever_fires(now));
    }

    #[test]
    fn invalid_crons_are_rejected_with_the_reason() {
        for expr in ["", "* * * *", "0 24 * * *", "@fortnightly", "0 0 * * 7"] {
            assert!(CronSchedule::parse(expr).is_err(), "{expr}");
        }
    }

    fn periodic(cron: &str, interval: &str, minimum: &str) -> Periodic {
        let mut p = Periodic::default();
        p.base.name = "job".into();
        p.cron = cron.into();
        p.interval = interval.into();
        p.minimum_interval = minimum.into();
        p
    }

    #[test]
    fn trigger_comes_from_the_one_field_set() {
        let hour = Duration::from_secs(3600);
        assert!(matches!(
            trigger_for(&periodic("", "1h", "")),
            Ok(Trigger::Interval(d)) if d == hour
        ));
        assert!(matches!(
            trigger_for(&periodic("", "", "1h")),
            Ok(Trigger::MinimumInterval(d)) if d == hour
        ));
        assert!(matches!(
            trigger_for(&periodic("@every 1h", "", "")),
            Ok(Trigger::Interval(d)) if d == hour
        ));
        assert!(matches!(
            trigger_for(&periodic("0 * * * *", "", "")),
            Ok(Trigger::Cron(_))
        ));
        let err = trigger_for(&periodic("", "", "")).expect_err("nothing set");
        assert_eq!(err.variant_name(), "NoSchedule");
        let err = trigger_for(&periodic("61 * * * *", "", "")).expect_err("bad cron");
        assert_eq!(err.variant_name(), "ParseCron");
    }
}
