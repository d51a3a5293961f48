//! The glob dialect of `config_updater.maps` keys: Prow matches them with
//! `github.com/mattn/go-zglob`'s `Match`, reproduced here.
//!
//! - A pattern with no path segment containing `*` or `{` is not a glob: it matches only the
//!   identical path (so `a?.yaml` or `[ab].yaml` alone are literal names, as in zglob).
//! - `**/` matches zero or more directories; any other `*` matches within one segment
//!   (so a trailing `dir/**` matches only direct children, as in zglob).
//! - `{a,b}` is an alternation, `[...]` a character class, `!(abc)` "none of these
//!   characters"; `\x` escapes `x`; every other character is literal (`?` included).
//! - Paths are compared case-sensitively, as zglob does on Linux.
//! - The pattern is cleaned like Go's `path.Clean` first (`./a//b` is `a/b`).
//!
//! zglob's `~` and `$VAR` expansion (home directory, environment) is not reproduced: repository
//! paths never use them.

use regex::Regex;

/// A compiled `maps` key.
#[derive(Debug, Clone)]
pub struct Glob {
    kind: Kind,
}

#[derive(Debug, Clone)]
enum Kind {
    /// No wildcard: the path must equal the pattern as written.
    Literal(String),
    /// A wildcard pattern; `root` is the static directory prefix (zglob rejects paths not
    /// longer than it).
    Pattern { root: String, regex: Regex },
}

/// A pattern zglob would also fail to compile (e.g. a bad character class).
#[derive(Debug, Clone, thiserror::Error)]
#[error("invalid glob {pattern:?}: {reason}")]
pub struct GlobError {
    /// The pattern.
    pub pattern: String,
    /// Why it does not compile.
    pub reason: String,
}

impl Glob {
    /// Compiles `pattern`.
    pub fn new(pattern: &str) -> Result<Self, GlobError> {
        let mut globmask = String::new();
        let mut root: Option<String> = None;
        for (n, segment) in pattern.split('/').enumerate() {
            if root.is_none() && segment.contains(['*', '{']) {
                root = Some(if globmask.is_empty() {
                    ".".to_string()
                } else {
                    globmask.clone()
                });
            }
            globmask = join(&globmask, segment);
            if n == 0 && globmask.is_empty() {
                globmask = "/".to_string();
            }
        }
        let Some(mut root) = root else {
            return Ok(Glob {
                kind: Kind::Literal(pattern.to_string()),
            });
        };
        if globmask.is_empty() {
            globmask = ".".to_string();
        }
        let chars: Vec<char> = clean(&globmask).chars().collect();
        let mut filemask = String::new();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if c == '\\' && i + 2 < chars.len() {
                i += 1;
                filemask.push_str(&escaped(chars[i]));
            } else if c == '*' {
                if i + 2 < chars.len() && chars[i + 1] == '*' && chars[i + 2] == '/' {
                    filemask.push_str("(.*/)?");
                    i += 2;
                } else {
                    filemask.push_str("[^/]*");
                }
            } else if c == '['
                && let Some(end) = chars[i + 1..].iter().position(|&x| x == ']')
                && end > 0
            {
                filemask.push('[');
                filemask.extend(&chars[i + 1..i + 1 + end]);
                filemask.push(']');
                i += end + 1;
            } else if c == '{'
                && let Some(end) = chars[i + 1..].iter().position(|&x| x == '}')
                && end > 0
            {
                filemask.push('(');
                for &x in &chars[i + 1..i + 1 + end] {
                    match x {
                        ',' => filemask.push('|'),
                        x if is_plain(x) => filemask.push(x),
                        x => filemask.push_str(&escaped(x)),
                    }
                }
                filemask.push(')');
                i += end + 1;
            } else if c == '!'
                && chars.get(i + 1) == Some(&'(')
                && let Some(end) = chars[i + 2..].iter().position(|&x| x == ')')
                && end > 0
            {
                if root.is_empty() {
                    root.clone_from(&filemask);
                }
                for &x in &chars[i + 2..i + 2 + end] {
                    filemask.push_str(&format!("[^\\x{{{:X}}}/]*", u32::from(x)));
                }
                i += end + 2;
            } else if is_plain(c) {
                filemask.push(c);
            } else {
                filemask.push_str(&escaped(c));
            }
            i += 1;
        }
        if filemask.ends_with('/') {
            filemask.push_str("[^/]*");
        }
        let regex = Regex::new(&format!("^{filemask}$")).map_err(|e| GlobError {
            pattern: pattern.to_string(),
            reason: e.to_string(),
        })?;
        Ok(Glob {
            kind: Kind::Pattern {
                root: clean(&root),
                regex,
            },
        })
    }

    /// Whether the repository path `name` (no leading slash) matches.
    pub fn matches(&self, name: &str) -> bool {
        match &self.kind {
            Kind::Literal(pattern) => pattern == name,
            Kind::Pattern { root, regex } => {
                name != "." && name.len() > root.len() && regex.is_match(name)
            }
        }
    }
}

/// Characters zglob copies into the regular expression unescaped.
fn is_plain(c: char) -> bool {
    c == '/' || c.is_ascii_alphanumeric() || u32::from(c) > 255
}

fn escaped(c: char) -> String {
    format!("[\\x{{{:X}}}]", u32::from(c))
}

/// Go's `path.Join(a, b)` for two elements.
fn join(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => String::new(),
        (true, false) => clean(b),
        (false, true) => clean(a),
        (false, false) => clean(&format!("{a}/{b}")),
    }
}

/// Go's `path.Clean`.
fn clean(path: &str) -> String {
    if path.is_empty() {
        return ".".to_string();
    }
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|p| *p != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            other => parts.push(other),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zglob_semantics() {
        let cases: &[(&str, &str, bool)] = &[
            // literal patterns
            ("config/prow/config.yaml", "config/prow/config.yaml", true),
            ("config/prow/config.yaml", "config/prow/plugins.yaml", false),
            (
                "config/prow/config.yaml",
                "other/config/prow/config.yaml",
                false,
            ),
            ("a?.yaml", "ab.yaml", false),
            ("a?.yaml", "a?.yaml", true),
            // one-segment star
            ("config/jobs/*.yaml", "config/jobs/a.yaml", true),
            ("config/jobs/*.yaml", "config/jobs/sub/a.yaml", false),
            ("config/jobs/*.yaml", "config/jobs/a.yml", false),
            ("*.yaml", "top.yaml", true),
            ("*.yaml", "dir/top.yaml", false),
            // double star
            ("config/jobs/**/*.yaml", "config/jobs/a.yaml", true),
            ("config/jobs/**/*.yaml", "config/jobs/x/y/z.yaml", true),
            ("config/jobs/**/*.yaml", "config/jobsx/a.yaml", false),
            ("config/jobs/**/*.yaml", "other/config/jobs/a.yaml", false),
            ("**/OWNERS", "OWNERS", true),
            ("**/OWNERS", "a/b/OWNERS", true),
            ("config/**", "config/a", true),
            ("config/**", "config/a/b", false),
            // braces, as in kubernetes/test-infra's `config/jobs/**/*.{yaml,yml}`
            ("config/jobs/**/*.{yaml,yml}", "config/jobs/k/k.yml", true),
            ("config/jobs/**/*.{yaml,yml}", "config/jobs/k/k.yaml", true),
            ("config/jobs/**/*.{yaml,yml}", "config/jobs/k/k.json", false),
            ("labels/{a,b}.yaml", "labels/a.yaml", true),
            ("labels/{a,b}.yaml", "labels/c.yaml", false),
            // classes and escapes inside a glob
            ("jobs/*[0-9].yaml", "jobs/v1.yaml", true),
            ("jobs/*[0-9].yaml", "jobs/vx.yaml", false),
            ("jobs/*.y?ml", "jobs/a.yaml", false),
            ("jobs/*.y?ml", "jobs/a.y?ml", true),
            ("jobs/*.yaml", "jobs/a+yaml", false),
            // cleaned patterns
            ("./config/*.yaml", "config/a.yaml", true),
            ("config//*.yaml", "config/a.yaml", true),
            // the path must be longer than the static root
            ("config/*", "config", false),
            ("config/*", "config/", true), // as zglob: longer than the root, matches `[^/]*`
            // case-sensitive
            ("config/*.yaml", "Config/a.yaml", false),
        ];
        for (pattern, path, want) in cases {
            let glob = Glob::new(pattern).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(glob.matches(path), *want, "{pattern} vs {path}");
        }
    }

    #[test]
    fn none_of_characters() {
        let glob = Glob::new("docs/!(x)*.md").expect("compiles");
        assert!(glob.matches("docs/readme.md"));
        assert!(!glob.matches("docs/sub/readme.md"));
    }

    #[test]
    fn clean_is_go_path_clean() {
        for (input, want) in [
            ("", "."),
            ("a/b", "a/b"),
            ("./a//b/", "a/b"),
            ("a/../b", "b"),
            ("../a", "../a"),
            ("/../a", "/a"),
            ("/", "/"),
        ] {
            assert_eq!(clean(input), want, "{input}");
        }
    }
}
