//! How the client authenticates: a personal access token (inline or from a file that is
//! re-read when it changes) or a GitHub App.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use crate::error::{Error, Result};
use crate::secret::Secret;

/// The credentials the client authenticates with.
#[derive(Debug, Clone)]
pub enum Credentials {
    /// A token given directly (tests, tools).
    Token(Secret),
    /// A token read from a file (`--github-token-path`), trimmed, and re-read when the file's
    /// modification time changes (a rotated Kubernetes Secret).
    TokenFile(PathBuf),
    /// A GitHub App: installation tokens are requested per org and refreshed before expiry.
    App {
        /// The App's id (`--github-app-id`).
        app_id: String,
        /// The App's PEM private key file (`--github-app-private-key-path`).
        private_key_path: PathBuf,
    },
}

/// A token file that is re-read when its modification time changes.
#[derive(Debug)]
pub struct TokenFile {
    path: PathBuf,
    loaded: Mutex<(Option<SystemTime>, Secret)>,
}

impl TokenFile {
    /// Reads the token now, so a missing or empty file fails at startup.
    pub fn open(path: &Path) -> Result<Self> {
        let (modified, token) = read_token(path)?;
        Ok(Self {
            path: path.to_path_buf(),
            loaded: Mutex::new((modified, token)),
        })
    }

    /// The current token: re-read when the file changed; the last good token is kept when the
    /// new content cannot be read or is empty.
    pub fn token(&self) -> Secret {
        let modified = std::fs::metadata(&self.path)
            .and_then(|m| m.modified())
            .ok();
        let mut loaded = self.loaded.lock().unwrap_or_else(|e| e.into_inner());
        if modified.is_some() && modified != loaded.0 {
            match read_token(&self.path) {
                Ok(fresh) => *loaded = fresh,
                Err(error) => tracing::warn!(%error, "keeping the previous GitHub token"),
            }
        }
        loaded.1.clone()
    }
}

fn read_token(path: &Path) -> Result<(Option<SystemTime>, Secret)> {
    let read_error = |source| Error::ReadToken {
        path: path.to_path_buf(),
        source,
    };
    let modified = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .map_err(read_error)?;
    let text = std::fs::read_to_string(path).map_err(read_error)?;
    let token = text.trim();
    if token.is_empty() {
        return Err(Error::EmptyToken {
            path: path.to_path_buf(),
        });
    }
    Ok((Some(modified), Secret::new(token)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_file_is_trimmed_and_reloaded_when_changed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("token");
        std::fs::write(&path, "  first-token\n").expect("write");
        let file = TokenFile::open(&path).expect("opens");
        assert_eq!(file.token().expose(), "first-token");

        std::fs::write(&path, "second-token\n").expect("write");
        // Make the change visible even on filesystems with coarse timestamps.
        let later = SystemTime::now() + std::time::Duration::from_secs(5);
        std::fs::File::options()
            .write(true)
            .open(&path)
            .and_then(|f| f.set_modified(later))
            .expect("touch");
        assert_eq!(file.token().expose(), "second-token");

        std::fs::write(&path, "\n").expect("write");
        let even_later = later + std::time::Duration::from_secs(5);
        std::fs::File::options()
            .write(true)
            .open(&path)
            .and_then(|f| f.set_modified(even_later))
            .expect("touch");
        assert_eq!(
            file.token().expose(),
            "second-token",
            "empty file keeps the last token"
        );
    }

    #[test]
    fn missing_or_empty_token_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let missing = dir.path().join("missing-token");
        let err = TokenFile::open(&missing).expect_err("missing");
        assert!(err.to_string().contains("missing-token"), "{err}");

        let empty = dir.path().join("empty-token");
        std::fs::write(&empty, " \n").expect("write");
        let err = TokenFile::open(&empty).expect_err("empty");
        assert!(matches!(err, Error::EmptyToken { .. }), "{err}");
    }
}
