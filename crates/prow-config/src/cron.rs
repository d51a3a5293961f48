//! Cron expressions as Prow's horologium reads them (robfig/cron v3 with `SecondOptional`):
//! five fields (minute, hour, day of month, month, day of week), six with a leading seconds
//! field, or a descriptor (`@yearly`,
//! `@annually`, `@monthly`, `@weekly`, `@daily`, `@midnight`, `@hourly`, `@every <duration>`),
//! optionally preceded by `CRON_TZ=<zone>` or `TZ=<zone>`.

use crate::duration::parse_duration;

/// Checks a cron expression; the error says which part is wrong.
pub fn validate_cron(expr: &str) -> Result<(), String> {
    let mut spec = expr.trim();
    if spec.is_empty() {
        return Err("empty spec string".into());
    }
    if let Some(rest) = spec
        .strip_prefix("CRON_TZ=")
        .or_else(|| spec.strip_prefix("TZ="))
    {
        let (zone, after) = rest
            .split_once(char::is_whitespace)
            .ok_or_else(|| "time zone prefix must be followed by a spec".to_string())?;
        if zone.is_empty() {
            return Err("empty time zone".into());
        }
        spec = after.trim();
    }
    if let Some(descriptor) = spec.strip_prefix('@') {
        if let Some(every) = descriptor.strip_prefix("every ") {
            return parse_duration(every.trim())
                .map(|_| ())
                .map_err(|e| format!("failed to parse duration {}: {}", every.trim(), e.reason));
        }
        return match descriptor {
            "yearly" | "annually" | "monthly" | "weekly" | "daily" | "midnight" | "hourly" => {
                Ok(())
            }
            _ => Err(format!("unrecognized descriptor: @{descriptor}")),
        };
    }
    let mut fields: Vec<&str> = spec.split_whitespace().collect();
    if fields.len() == 6 {
        validate_field(fields[0], 0, 59, &[])?;
        fields.remove(0);
    }
    if fields.len() != 5 {
        return Err(format!(
            "expected 5 or 6 fields, found {}: {spec}",
            fields.len()
        ));
    }
    const MONTHS: &[&str] = &[
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    const DAYS: &[&str] = &["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
    let bounds: [(u32, u32, &[&str]); 5] = [
        (0, 59, &[]),
        (0, 23, &[]),
        (1, 31, &[]),
        (1, 12, MONTHS),
        (0, 6, DAYS),
    ];
    for (field, (min, max, names)) in fields.iter().zip(bounds) {
        validate_field(field, min, max, names)?;
    }
    Ok(())
}

fn validate_field(field: &str, min: u32, max: u32, names: &[&str]) -> Result<(), String> {
    for part in field.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((range, step)) => (range, Some(step)),
            None => (part, None),
        };
        let (start, end) = if range == "*" || range == "?" {
            (min, max)
        } else if let Some((a, b)) = range.split_once('-') {
            (value(a, min, max, names)?, value(b, min, max, names)?)
        } else {
            let v = value(range, min, max, names)?;
            (v, if step.is_some() { max } else { v })
        };
        if start > end {
            return Err(format!(
                "beginning of range ({start}) beyond end of range ({end}): {part}"
            ));
        }
        if let Some(step) = step {
            let step: u32 = step
                .parse()
                .map_err(|_| format!("failed to parse int from {step}"))?;
            if step == 0 {
                return Err(format!("step of range should be a positive number: {part}"));
            }
        }
    }
    Ok(())
}

fn value(text: &str, min: u32, max: u32, names: &[&str]) -> Result<u32, String> {
    let lower = text.to_ascii_lowercase();
    let v = match names.iter().position(|n| *n == lower) {
        Some(i) => i as u32 + min,
        None => text
            .parse()
            .map_err(|_| format!("failed to parse int from {text}"))?,
    };
    if v < min || v > max {
        return Err(format!("value {v} out of range [{min}, {max}]: {text}"));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::validate_cron;

    #[test]
    fn accepts_robfig_standard_specs() {
        for spec in [
            "0 * * * *",
            "*/5 * * * *",
            "30 2 * * 1-5",
            "0 0 1 jan,jul *",
            "0 8 * * MON",
            "5 4 ? * sun",
            "0 0-23/2 * * *",
            "@daily",
            "@every 1h30m",
            "CRON_TZ=America/New_York 0 6 * * *",
            "0 0 6-18/2 ? * 1-5",
        ] {
            assert_eq!(validate_cron(spec), Ok(()), "{spec}");
        }
    }

    #[test]
    fn rejects_what_robfig_rejects() {
        for spec in [
            "",
            "* * * *",
            "0 0 * * * * *",
            "60 0 * * * *",
            "60 * * * *",
            "0 24 * * *",
            "0 0 0 * *",
            "0 0 * 13 *",
            "0 0 * * 7",
            "*/0 * * * *",
            "5-1 * * * *",
            "@fortnightly",
            "@every 1x",
            "a b c d e",
        ] {
            assert!(validate_cron(spec).is_err(), "{spec} should be rejected");
        }
    }
}
