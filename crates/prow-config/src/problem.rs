//! Problems found while loading: every one carries its file, line and column.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::yaml::Mark;

/// How bad a [`Problem`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The configuration is wrong (Prow would reject it, or it holds a typo).
    Error,
    /// Accepted, but prow-rs does not implement the feature it asks for.
    Warning,
}

/// What kind of thing a [`Problem`] is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProblemKind {
    /// A field Prow does not know. An error for `checkconfig`; a running component logs it
    /// and carries on, as Prow (which ignores unknown fields) would.
    UnknownField,
    /// Anything else.
    Other,
}

/// One thing wrong with the configuration, at a position in a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Error or warning.
    pub severity: Severity,
    /// What it is about.
    pub kind: ProblemKind,
    /// The file.
    pub file: PathBuf,
    /// Line, 1-based (0 when the problem concerns the file as a whole).
    pub line: u32,
    /// Column, 1-based (0 when the problem concerns the file as a whole).
    pub col: u32,
    /// What is wrong; starts with the field path it concerns.
    pub message: String,
}

impl Problem {
    /// An error at `mark` in `file`.
    pub fn error(file: &Path, mark: Mark, message: impl Into<String>) -> Self {
        Problem {
            severity: Severity::Error,
            kind: ProblemKind::Other,
            file: file.to_path_buf(),
            line: mark.line,
            col: mark.col,
            message: message.into(),
        }
    }

    /// A warning at `mark` in `file`.
    pub fn warning(file: &Path, mark: Mark, message: impl Into<String>) -> Self {
        Problem {
            severity: Severity::Warning,
            ..Problem::error(file, mark, message)
        }
    }

    /// An error for the field at `path` that Prow does not know; `note` (may be empty) is
    /// appended to the message in parentheses.
    pub fn unknown_field(file: &Path, mark: Mark, path: &str, note: &str) -> Self {
        let message = if note.is_empty() {
            format!("{path}: unknown field")
        } else {
            format!("{path}: unknown field ({note})")
        };
        Problem {
            kind: ProblemKind::UnknownField,
            ..Problem::error(file, mark, message)
        }
    }

    /// True for [`Severity::Error`].
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// True for an error a running component must not run with: every error except unknown
    /// fields, which Prow ignores (`checkconfig` still fails on them).
    pub fn blocks_components(&self) -> bool {
        self.is_error() && self.kind != ProblemKind::UnknownField
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file.display(),
            self.line,
            self.col,
            self.message
        )
    }
}
