//! Loading the secret values to censor from mounted secret directories (Prow's sidecar
//! `loadSecrets`): every file's content, trimmed as well as raw, and for files named in
//! `ini_filenames` also every value of their `key = value` lines.

use std::path::Path;

use crate::Error;

/// The secret values found under `directories`.
pub fn load_secrets(
    directories: &[String],
    ini_filenames: &[String],
) -> Result<Vec<Vec<u8>>, Error> {
    let mut secrets = Vec::new();
    for directory in directories {
        collect(Path::new(directory), ini_filenames, &mut secrets)?;
    }
    Ok(secrets)
}

fn collect(path: &Path, ini_filenames: &[String], secrets: &mut Vec<Vec<u8>>) -> Result<(), Error> {
    let read_error = |source| Error::ReadFile {
        path: path.display().to_string(),
        source,
    };
    let metadata = std::fs::symlink_metadata(path).map_err(read_error)?;
    if metadata.is_dir() {
        let entries = std::fs::read_dir(path).map_err(read_error)?;
        for entry in entries {
            let entry = entry.map_err(read_error)?;
            collect(&entry.path(), ini_filenames, secrets)?;
        }
        return Ok(());
    }
    // Kubernetes mounts secrets as symlinks into a `..data` directory; a symlink to a
    // directory is skipped (its target is walked as a real directory).
    if metadata.file_type().is_symlink() && path.is_dir() {
        return Ok(());
    }
    let raw = std::fs::read(path).map_err(read_error)?;
    let trimmed = raw.trim_ascii().to_vec();
    let is_ini = path
        .file_name()
        .and_then(|name| name.to_str())
        .is_some_and(|name| ini_filenames.iter().any(|ini| ini == name));
    if is_ini {
        secrets.extend(ini_values(&String::from_utf8_lossy(&raw)));
    }
    if trimmed != raw {
        secrets.push(trimmed);
    }
    secrets.push(raw);
    Ok(())
}

/// Values of the `key = value` lines of an INI file (sections and comments skipped).
fn ini_values(text: &str) -> Vec<Vec<u8>> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with(['#', ';', '[']))
        .filter_map(|line| line.split_once('='))
        .map(|(_, value)| value.trim().trim_matches('"').as_bytes().to_vec())
        .filter(|value| !value.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_ini_values_and_kubernetes_symlinks() {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().join("..2026_11_26");
        std::fs::create_dir(&data).expect("mkdir");
        std::fs::write(data.join("token"), "tok-123\n").expect("write");
        std::fs::write(
            data.join("creds.ini"),
            "[default]\naws_secret = \"abc-secret\"\n; c\n",
        )
        .expect("write");
        std::os::unix::fs::symlink(&data, dir.path().join("..data")).expect("symlink");
        std::os::unix::fs::symlink("..data/token", dir.path().join("token")).expect("symlink");
        let secrets = load_secrets(
            &[dir.path().display().to_string()],
            &["creds.ini".to_owned()],
        )
        .expect("loads");
        let has = |value: &str| secrets.iter().any(|s| s == value.as_bytes());
        assert!(has("tok-123"));
        assert!(has("tok-123\n"));
        assert!(has("abc-secret"));
        assert!(!has(""));
    }
}
