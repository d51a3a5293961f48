//! Fault injection: the next N requests matching a method and path pattern get an error
//! status, a rate-limit response or a delay.

use serde::{Deserialize, Serialize};

/// One scripted fault.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    /// HTTP method to match (`None` = any).
    #[serde(default)]
    pub method: Option<String>,
    /// Path pattern; `*` matches any run of characters (including `/`).
    pub path: String,
    /// How many matching requests it applies to.
    #[serde(default = "one")]
    pub times: u32,
    /// What happens to a matching request.
    pub action: FaultAction,
}

fn one() -> u32 {
    1
}

fn sixty() -> u64 {
    60
}

/// What a fault does.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum FaultAction {
    /// Answer with this status (e.g. 502) and a GitHub-style error body.
    Status {
        /// HTTP status code.
        status: u16,
        /// Error message (default: the status' reason phrase).
        #[serde(default)]
        message: Option<String>,
    },
    /// Answer as if the primary rate limit were exhausted (403, `X-RateLimit-Remaining: 0`).
    PrimaryRateLimit,
    /// Answer with a secondary rate limit (403 with `retry-after`).
    SecondaryRateLimit {
        /// Seconds in the `retry-after` header.
        #[serde(default = "sixty")]
        retry_after: u64,
    },
    /// Delay the request, then serve it normally.
    Delay {
        /// Delay in milliseconds.
        millis: u64,
    },
}

impl Fault {
    /// A fault for the next `times` requests to `method` `path`.
    pub fn new(method: Option<&str>, path: &str, times: u32, action: FaultAction) -> Self {
        Self {
            method: method.map(str::to_string),
            path: path.to_string(),
            times,
            action,
        }
    }

    /// Whether this fault applies to a request.
    pub fn matches(&self, method: &str, path: &str) -> bool {
        self.times > 0
            && self
                .method
                .as_deref()
                .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && glob_match(&self.path, path)
    }
}

/// Takes the first matching fault (decrementing its count, dropping it when used up).
pub fn take_matching(faults: &mut Vec<Fault>, method: &str, path: &str) -> Option<FaultAction> {
    let index = faults.iter().position(|f| f.matches(method, path))?;
    let fault = &mut faults[index];
    fault.times -= 1;
    let action = fault.action.clone();
    if fault.times == 0 {
        faults.remove(index);
    }
    Some(action)
}

/// Glob match where `*` matches any (possibly empty) run of characters.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == '*' {
            backtrack = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if let Some((star, matched)) = backtrack {
            pi = star + 1;
            ti = matched + 1;
            backtrack = Some((star, matched + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_patterns() {
        let cases = [
            ("/repos/o/r/pulls", "/repos/o/r/pulls", true),
            ("/repos/*/pulls", "/repos/o/r/pulls", true),
            ("/repos/*", "/repos/o/r/pulls/1/files", true),
            ("*", "/anything", true),
            ("/repos/*/files", "/repos/o/r/pulls/1", false),
            ("/repos/o/r", "/repos/o/r/pulls", false),
            ("/a*b*c", "/axxbyyc", true),
            ("/a*b*c", "/axxbyy", false),
        ];
        for (pattern, text, want) in cases {
            assert_eq!(glob_match(pattern, text), want, "{pattern} ~ {text}");
        }
    }

    #[test]
    fn faults_are_used_up() {
        let mut faults = vec![Fault::new(
            Some("GET"),
            "/repos/*",
            2,
            FaultAction::Status {
                status: 502,
                message: None,
            },
        )];
        assert!(take_matching(&mut faults, "POST", "/repos/o/r").is_none());
        assert!(take_matching(&mut faults, "GET", "/user").is_none());
        assert!(take_matching(&mut faults, "get", "/repos/o/r").is_some());
        assert!(take_matching(&mut faults, "GET", "/repos/o/r").is_some());
        assert!(take_matching(&mut faults, "GET", "/repos/o/r").is_none());
        assert!(faults.is_empty());
    }

    #[test]
    fn fault_documents_parse() {
        let doc = r#"[{"method":"GET","path":"/repos/*","times":2,"action":{"kind":"status","status":502}},
                      {"path":"/user","action":{"kind":"secondary_rate_limit"}},
                      {"path":"*","action":{"kind":"delay","millis":5}}]"#;
        let faults: Vec<Fault> = serde_json::from_str(doc).expect("valid faults");
        assert_eq!(faults[1].times, 1);
        assert_eq!(
            faults[1].action,
            FaultAction::SecondaryRateLimit { retry_after: 60 }
        );
    }
}
