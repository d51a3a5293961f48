//! Log lines the utilities write about themselves, in the JSON shape Prow's logrus
//! formatter uses (`component`, `level`, `msg`, `severity`, `time`), so tools that parse
//! Prow's build logs parse ours.

/// One JSON log line (with trailing newline) from `component` at `level`.
pub fn log_line(component: &str, level: &str, message: &str) -> String {
    let line = serde_json::json!({
        "component": component,
        "level": level,
        "msg": message,
        "severity": level,
        "time": jiff::Timestamp::now().to_string(),
    });
    format!("{line}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_is_json_with_prow_fields() {
        let line = log_line(
            "entrypoint",
            "error",
            "Process did not finish before 1s timeout",
        );
        let value: serde_json::Value = serde_json::from_str(line.trim_end()).expect("json");
        assert_eq!(value["component"], "entrypoint");
        assert_eq!(value["severity"], "error");
        assert_eq!(value["msg"], "Process did not finish before 1s timeout");
        assert!(value["time"].as_str().is_some_and(|t| t.ends_with('Z')));
    }
}
