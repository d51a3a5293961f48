//! Prow's `.generated_files` (package `genfiles`): which files of a repository are generated
//! and so left out of the size count.
//!
//! One entry per line, `#` starts a comment: `path <path>`, `path-prefix <prefix>`,
//! `file-name <basename>`, `file-prefix <basename prefix>`, and `paths-from-repo <file>` (a
//! file in the repository listing one path per line).

/// The generated-file rules of a repository.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GeneratedFiles {
    /// Exact paths.
    pub paths: Vec<String>,
    /// Path prefixes.
    pub path_prefixes: Vec<String>,
    /// Exact file names.
    pub file_names: Vec<String>,
    /// File name prefixes.
    pub file_prefixes: Vec<String>,
    /// Repository files whose lines are more paths (`paths-from-repo`).
    pub paths_from_repo: Vec<String>,
}

/// A line of `.generated_files` that is not an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based line number.
    pub line: usize,
    /// The line.
    pub text: String,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "line {}: invalid .generated_files entry {:?}",
            self.line, self.text
        )
    }
}

impl GeneratedFiles {
    /// Parses `.generated_files`; entries before and after a bad line still count (Prow goes on
    /// after a parse error and only warns).
    pub fn parse(text: &str) -> (GeneratedFiles, Vec<ParseError>) {
        let mut out = GeneratedFiles::default();
        let mut errors = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            let line = raw.split('#').next().unwrap_or_default().trim();
            if line.is_empty() {
                continue;
            }
            let mut fields = line.split_whitespace();
            let (Some(kind), Some(value), None) = (fields.next(), fields.next(), fields.next())
            else {
                errors.push(ParseError {
                    line: index + 1,
                    text: raw.to_string(),
                });
                continue;
            };
            let list = match kind {
                "path" => &mut out.paths,
                "path-prefix" => &mut out.path_prefixes,
                "file-name" => &mut out.file_names,
                "file-prefix" => &mut out.file_prefixes,
                "paths-from-repo" => &mut out.paths_from_repo,
                _ => {
                    errors.push(ParseError {
                        line: index + 1,
                        text: raw.to_string(),
                    });
                    continue;
                }
            };
            list.push(value.to_string());
        }
        (out, errors)
    }

    /// Adds the paths listed in a `paths-from-repo` file.
    pub fn add_listed_paths(&mut self, listing: &str) {
        for line in listing.lines() {
            let path = line.split('#').next().unwrap_or_default().trim();
            if !path.is_empty() {
                self.paths.push(path.to_string());
            }
        }
    }

    /// Whether `path` is generated.
    pub fn matches(&self, path: &str) -> bool {
        let name = path.rsplit('/').next().unwrap_or(path);
        self.paths.iter().any(|p| p == path)
            || self
                .path_prefixes
                .iter()
                .any(|p| path.starts_with(p.as_str()))
            || self.file_names.iter().any(|n| n == name)
            || self
                .file_prefixes
                .iter()
                .any(|p| name.starts_with(p.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_files_table() {
        let (rules, errors) = GeneratedFiles::parse(
            "# generated code\npath api/openapi.json\npath-prefix vendor/\nfile-name BUILD.bazel\nfile-prefix zz_generated.\nbogus line here\npaths-from-repo docs/.generated_docs\n",
        );
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, 6);
        assert_eq!(rules.paths_from_repo, ["docs/.generated_docs"]);
        let cases = [
            ("api/openapi.json", true),
            ("api/openapi.yaml", false),
            ("vendor/x/y.go", true),
            ("pkg/BUILD.bazel", true),
            ("pkg/zz_generated.deepcopy.go", true),
            ("pkg/types.go", false),
        ];
        for (path, want) in cases {
            assert_eq!(rules.matches(path), want, "{path}");
        }
        let mut rules = rules;
        rules.add_listed_paths("docs/a.md\n# c\n\ndocs/b.md\n");
        assert!(rules.matches("docs/b.md"));
    }
}
