//! Path globs as `.gitignore` writes them, for the labeler rules and `.gitattributes`:
//! `*` matches within one path segment, `?` one character of a segment, `**` any number of
//! segments (`**/x`, `a/**/x`, `a/**`), a trailing `/` everything below a directory.

/// Whether `path` (relative, `/`-separated) matches `pattern` as a whole.
pub fn glob_matches(pattern: &str, path: &str) -> bool {
    let pattern = pattern.trim_start_matches('/');
    if let Some(dir) = pattern.strip_suffix('/') {
        return matches(format!("{dir}/**").as_bytes(), path.as_bytes());
    }
    matches(pattern.as_bytes(), path.as_bytes())
}

fn matches(pattern: &[u8], path: &[u8]) -> bool {
    let Some((&first, rest)) = pattern.split_first() else {
        return path.is_empty();
    };
    if pattern.starts_with(b"**") {
        let after = &pattern[2..];
        if let Some(below) = after.strip_prefix(b"/") {
            // `**/`: zero or more whole directories.
            return matches(below, path)
                || path
                    .iter()
                    .enumerate()
                    .any(|(i, &c)| c == b'/' && matches(below, &path[i + 1..]));
        }
        return (0..=path.len()).any(|i| matches(after, &path[i..]));
    }
    match first {
        b'*' => {
            for i in 0..=path.len() {
                if matches(rest, &path[i..]) {
                    return true;
                }
                if path.get(i) == Some(&b'/') {
                    break;
                }
            }
            false
        }
        b'?' => path.first().is_some_and(|&c| c != b'/') && matches(rest, &path[1..]),
        literal => path.first() == Some(&literal) && matches(rest, &path[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_table() {
        let cases = [
            ("docs/**", "docs/guide.md", true),
            ("docs/**", "docs/a/b/c.md", true),
            ("docs/**", "docsx/a.md", false),
            ("docs/", "docs/a/b.md", true),
            ("/docs/*.md", "docs/a.md", true),
            ("docs/*.md", "docs/a/b.md", false),
            ("**/*.go", "main.go", true),
            ("**/*.go", "cmd/hook/main.go", true),
            ("**/*.go", "main.rs", false),
            ("crates/**/Cargo.toml", "crates/Cargo.toml", true),
            ("crates/**/Cargo.toml", "crates/hook/Cargo.toml", true),
            ("*.md", "README.md", true),
            ("*.md", "docs/README.md", false),
            ("file?.txt", "file1.txt", true),
            ("file?.txt", "file10.txt", false),
            ("a/b", "a/b", true),
            ("a/b", "a/bc", false),
        ];
        for (pattern, path, want) in cases {
            assert_eq!(glob_matches(pattern, path), want, "{pattern} vs {path}");
        }
    }
}
