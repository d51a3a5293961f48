//! The workspace's binaries, for tests that run several components as processes.
//!
//! `cargo test --workspace` (what `hack/test.sh` and CI run) builds every package's binaries
//! into the target directory before any test starts, so such tests reuse them. Building them
//! again from inside a test would resolve features for a subset of the workspace and rebuild
//! (and overwrite) them; so a binary is built only when it is missing, e.g. when a single
//! package's tests run on a fresh checkout.

use std::path::Path;
use std::process::Command;

/// Makes sure `bin_dir` holds every binary in `binaries` (package name = binary name),
/// building the missing ones with `cargo build --bins`.
///
/// # Panics
/// When cargo fails or a binary is still missing afterwards (a test helper).
pub fn ensure_built(bin_dir: &Path, binaries: &[&str]) {
    let missing: Vec<&str> = binaries
        .iter()
        .copied()
        .filter(|binary| !bin_dir.join(binary).is_file())
        .collect();
    if missing.is_empty() {
        return;
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .arg("build")
        .arg("--bins")
        .current_dir(crate::control_plane::tools::repo_root());
    for package in &missing {
        command.args(["-p", package]);
    }
    let status = command.status().expect("cargo build runs");
    assert!(status.success(), "building {missing:?} failed");
    for binary in binaries {
        assert!(
            bin_dir.join(binary).is_file(),
            "{binary} is not in {} after building it",
            bin_dir.display()
        );
    }
}
