//! The demo repository `prow-rs-demo/hello`: a real git repository (a `main` branch and the
//! head of pull request #1, also published as `refs/pull/1/head` as GitHub does), bare and
//! prepared for git's "dumb" HTTP protocol, so the jobs' clonerefs can fetch it from
//! [`crate::git_server`].

use std::path::Path;
use std::process::Command;

use anyhow::{Context, bail};

/// Org of the demo repository.
pub const ORG: &str = "prow-rs-demo";
/// Name of the demo repository.
pub const REPO: &str = "hello";
/// The demo pull request.
pub const PR_NUMBER: u64 = 3;

/// The demo repository on disk.
#[derive(Debug, Clone)]
pub struct DemoRepo {
    /// `main`'s commit.
    pub base_sha: String,
    /// The pull request's head commit.
    pub head_sha: String,
    /// Files the pull request changes.
    pub changed_files: Vec<String>,
}

fn git(dir: &Path, args: &[&str]) -> anyhow::Result<String> {
    let output = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "prow-rs demo")
        .env("GIT_AUTHOR_EMAIL", "demo@prow-rs.invalid")
        .env("GIT_COMMITTER_NAME", "prow-rs demo")
        .env("GIT_COMMITTER_EMAIL", "demo@prow-rs.invalid")
        .output()
        .with_context(|| format!("running git {} (is git installed?)", args.join(" ")))?;
    if !output.status.success() {
        bail!(
            "git {} in {} failed: {}",
            args.join(" "),
            dir.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
}

fn write(dir: &Path, file: &str, text: &str) -> anyhow::Result<()> {
    let path = dir.join(file);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))
}

/// Creates the repository under `root` (`<root>/prow-rs-demo/hello.git`).
///
/// # Errors
/// When git is missing or a git command fails.
pub fn create(root: &Path) -> anyhow::Result<DemoRepo> {
    let work = root.join("checkout");
    std::fs::create_dir_all(&work)?;
    git(&work, &["init", "--quiet", "--initial-branch=main"])?;
    write(
        &work,
        "README.md",
        "# hello\n\nThe prow-rs demo repository.\n",
    )?;
    write(&work, "hello.sh", "#!/bin/sh\necho hello, prow-rs\n")?;
    git(&work, &["add", "."])?;
    git(&work, &["commit", "--quiet", "-m", "hello"])?;
    let base_sha = git(&work, &["rev-parse", "HEAD"])?;
    git(&work, &["checkout", "--quiet", "-b", "demo-change"])?;
    write(&work, "docs/usage.md", "Run `./hello.sh`.\n")?;
    git(&work, &["add", "."])?;
    git(&work, &["commit", "--quiet", "-m", "docs: usage"])?;
    let head_sha = git(&work, &["rev-parse", "HEAD"])?;

    let bare_dir = root.join(ORG).join(format!("{REPO}.git"));
    std::fs::create_dir_all(&bare_dir)?;
    git(
        &bare_dir,
        &["init", "--quiet", "--bare", "--initial-branch=main"],
    )?;
    let bare = bare_dir.display().to_string();
    git(&work, &["push", "--quiet", &bare, "main:refs/heads/main"])?;
    git(
        &work,
        &[
            "push",
            "--quiet",
            &bare,
            &format!("demo-change:refs/pull/{PR_NUMBER}/head"),
        ],
    )?;
    git(&bare_dir, &["update-server-info"])?;
    std::fs::remove_dir_all(&work)?;
    Ok(DemoRepo {
        base_sha,
        head_sha,
        changed_files: vec!["docs/usage.md".to_string()],
    })
}
