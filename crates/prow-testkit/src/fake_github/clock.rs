//! Wall-clock helpers in GitHub's formats.

/// Now as GitHub formats timestamps: RFC 3339, whole seconds, `Z`.
pub fn now_rfc3339() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// Now in Unix seconds.
pub fn now_unix() -> u64 {
    u64::try_from(jiff::Timestamp::now().as_second()).unwrap_or(0)
}

/// `seconds` from now, RFC 3339 with whole seconds.
pub fn rfc3339_in(seconds: i64) -> String {
    let now = jiff::Timestamp::now();
    now.checked_add(jiff::SignedDuration::from_secs(seconds))
        .unwrap_or(now)
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}
