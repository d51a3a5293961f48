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
