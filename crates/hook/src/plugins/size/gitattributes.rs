//! The `linguist-generated` attribute of `.gitattributes`, as Prow's `gitattributes` package
//! reads it: a pattern without `/` matches a file name at any depth, one with `/` matches from
//! the repository root; `linguist-generated` or `linguist-generated=true` sets it,
//! `-linguist-generated` or `linguist-generated=false` unsets it; the last matching line wins.

use crate::plugins::labeler::path_glob::glob_matches;

/// The `linguist-generated` lines of a `.gitattributes` file, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinguistGenerated {
    rules: Vec<(String, bool)>,
}

impl LinguistGenerated {
    /// Reads `.gitattributes` text.
    pub fn parse(text: &str) -> Self {
        let mut rules = Vec::new();
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut fields = line.split_whitespace();
            let Some(pattern) = fields.next() else {
                continue;
            };
            for attribute in fields {
                let value = match attribute {
                    "linguist-generated" | "linguist-generated=true" => Some(true),
                    "-linguist-generated" | "!linguist-generated" | "linguist-generated=false" => {
                        Some(false)
                    }
                    _ => None,
                };
                if let Some(value) = value {
                    rules.push((pattern.to_string(), value));
                }
            }
        }
        LinguistGenerated { rules }
    }

    /// Whether `path` is marked generated.
    pub fn is_generated(&self, path: &str) -> bool {
        let name = path.rsplit('/').next().unwrap_or(path);
        let mut generated = false;
        for (pattern, value) in &self.rules {
            let hit = if pattern.trim_start_matches('/').contains('/') {
                glob_matches(pattern, path)
            } else {
                glob_matches(pattern, name)
            };
            if hit {
                generated = *value;
            }
        }
        generated
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linguist_generated_table() {
        let attributes = LinguistGenerated::parse(
            "# comment\n*.pb.go linguist-generated=true\ndocs/api/** linguist-generated\ndocs/api/README.md -linguist-generated\n*.sh text eol=lf\n",
        );
        let cases = [
            ("api/v1/types.pb.go", true),
            ("types.pb.go", true),
            ("docs/api/ref.md", true),
            ("docs/api/README.md", false),
            ("hack/build.sh", false),
            ("main.go", false),
        ];
        for (path, want) in cases {
            assert_eq!(attributes.is_generated(path), want, "{path}");
        }
    }
}
