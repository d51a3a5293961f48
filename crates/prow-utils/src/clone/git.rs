//! The git commands that clone one [`Refs`] (Prow's `clone.Run`): init, fetch the base,
//! check it out as a branch, fetch and merge every pull with reproducible merge timestamps,
//! update submodules, and record every command.

use std::process::Command;
use std::time::{Duration, Instant};

use prow_api::Refs;

use super::path_for_refs;
use super::record::{CloneCommand, CloneRecord};

/// Waits between retries of a failed `git fetch` (Prow's `fetchRetries`).
pub const FETCH_RETRIES: [Duration; 9] = [
    Duration::from_millis(100),
    Duration::from_millis(200),
    Duration::from_millis(400),
    Duration::from_millis(800),
    Duration::from_secs(2),
    Duration::from_secs(5),
    Duration::from_secs(10),
    Duration::from_secs(15),
    Duration::from_secs(30),
];

/// Settings shared by every repository of one clonerefs run.
#[derive(Clone, Debug, Default)]
pub struct CloneSettings {
    /// Root directory of the clones.
    pub src_root: String,
    /// `git config user.name`, if any.
    pub git_user_name: String,
    /// `git config user.email`, if any.
    pub git_user_email: String,
    /// `http.cookiefile`, if any.
    pub cookie_path: String,
    /// OAuth token put in HTTPS clone URLs and censored from the records.
    pub token: String,
    /// Waits between fetch retries.
    pub fetch_retries: Vec<Duration>,
}

/// One command to run in a directory with extra environment variables.
struct GitCommand {
    dir: String,
    env: Vec<String>,
    program: &'static str,
    args: Vec<String>,
    retries: Vec<Duration>,
}

impl GitCommand {
    /// Prow's `cloneCommand.String()`: `PWD=<dir> <env> <program> <args>`.
    fn describe(&self) -> String {
        format!(
            "PWD={} {} {} {}",
            self.dir,
            self.env.join(" "),
            self.program,
            self.args.join(" ")
        )
    }

    fn run_once(&self) -> (String, Result<(), String>) {
        let mut command = Command::new(self.program);
        command.args(&self.args).current_dir(&self.dir);
        for pair in &self.env {
            if let Some((key, value)) = pair.split_once('=') {
                command.env(key, value);
            }
        }
        match command.output() {
            Ok(output) => {
                let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
                text.push_str(&String::from_utf8_lossy(&output.stderr));
                let result = if output.status.success() {
                    Ok(())
                } else {
                    Err(match output.status.code() {
                        Some(code) => format!("exit status {code}"),
                        None => "signal: killed".to_owned(),
                    })
                };
                (text, result)
            }
            Err(e) => (String::new(), Err(e.to_string())),
        }
    }

    fn run(&self) -> (String, Result<(), String>) {
        let (mut output, mut result) = self.run_once();
        for wait in &self.retries {
            if result.is_ok() {
                break;
            }
            tracing::info!(command = %self.describe(), sleep = ?wait, "Retrying after sleep");
            std::thread::sleep(*wait);
            (output, result) = self.run_once();
        }
        (output, result)
    }
}

struct GitContext<'a> {
    clone_dir: String,
    repository_uri: String,
    settings: &'a CloneSettings,
}

impl GitContext<'_> {
    fn git(&self, args: &[&str]) -> GitCommand {
        GitCommand {
            dir: self.clone_dir.clone(),
            env: Vec::new(),
            program: "git",
            args: args.iter().map(|arg| (*arg).to_owned()).collect(),
            retries: Vec::new(),
        }
    }

    fn fetch(&self, args: Vec<String>) -> GitCommand {
        let mut all = vec!["fetch".to_owned()];
        all.extend(args);
        GitCommand {
            dir: self.clone_dir.clone(),
            env: Vec::new(),
            program: "git",
            args: all,
            retries: self.settings.fetch_retries.clone(),
        }
    }

    /// Prow's `commandsForBaseRef`.
    fn commands_for_base_ref(&self, refs: &Refs) -> Vec<GitCommand> {
        let settings = self.settings;
        let mut commands = vec![GitCommand {
            dir: "/".to_owned(),
            env: Vec::new(),
            program: "mkdir",
            args: vec!["-p".to_owned(), self.clone_dir.clone()],
            retries: Vec::new(),
        }];
        commands.push(self.git(&["init"]));
        if !settings.git_user_name.is_empty() {
            commands.push(self.git(&["config", "user.name", &settings.git_user_name]));
        }
        if !settings.git_user_email.is_empty() {
            commands.push(self.git(&["config", "user.email", &settings.git_user_email]));
        }
        if !settings.cookie_path.is_empty() && refs.skip_submodules {
            commands.push(self.git(&["config", "http.cookiefile", &settings.cookie_path]));
        }
        let sparse = !refs.sparse_checkout_files.is_empty();
        let mut depth = refs.clone_depth;
        if sparse {
            depth = 1;
            commands.push(self.git(&["sparse-checkout", "init"]));
        }
        let depth_args: Vec<String> = if depth > 0 {
            vec!["--depth".to_owned(), depth.to_string()]
        } else {
            Vec::new()
        };
        let filter_args: Vec<String> = if refs.blobless_fetch == Some(true) || sparse {
            vec!["--filter=blob:none".to_owned()]
        } else {
            Vec::new()
        };
        if !(refs.skip_fetch_head || sparse) {
            let mut args = depth_args.clone();
            args.extend(filter_args.clone());
            args.extend([
                self.repository_uri.clone(),
                "--tags".to_owned(),
                "--prune".to_owned(),
            ]);
            commands.push(self.fetch(args));
        }
        let (fetch_ref, target) = if refs.base_sha.is_empty() {
            (refs.base_ref.clone(), "FETCH_HEAD".to_owned())
        } else {
            (refs.base_sha.clone(), refs.base_sha.clone())
        };
        let mut args = depth_args;
        args.extend(filter_args);
        if sparse {
            args.push("--no-tags".to_owned());
        }
        args.extend([self.repository_uri.clone(), fetch_ref]);
        commands.push(self.fetch(args));
        if sparse {
            let mut args = vec!["sparse-checkout", "set"];
            args.extend(refs.sparse_checkout_files.iter().map(String::as_str));
            commands.push(self.git(&args));
        }
        commands.push(self.git(&["checkout", &target]));
        commands.push(self.git(&["branch", "--force", &refs.base_ref, &target]));
        commands.push(self.git(&["checkout", &refs.base_ref]));
        commands
    }

    /// Prow's `commandsForPullRefs`: merge commits get timestamps one second apart after
    /// the base commit, so the same refs always produce the same tree and SHAs.
    fn commands_for_pull_refs(&self, refs: &Refs, mut fake_timestamp: i64) -> Vec<GitCommand> {
        let mut commands = Vec::new();
        for pull in &refs.pulls {
            let mut args = Vec::new();
            if refs.blobless_fetch == Some(true) {
                args.push("--filter=blob:none".to_owned());
            }
            let mut fetch_ref = format!("pull/{}/head", pull.number);
            if !pull.sha.is_empty() {
                fetch_ref = pull.sha.clone();
            }
            if !pull.git_ref.is_empty() {
                fetch_ref = pull.git_ref.clone();
            }
            args.extend([self.repository_uri.clone(), fetch_ref]);
            commands.push(self.fetch(args));
            let checkout = if pull.sha.is_empty() {
                "FETCH_HEAD".to_owned()
            } else {
                pull.sha.clone()
            };
            fake_timestamp += 1;
            let mut merge = self.git(&["merge", "--no-ff", &checkout]);
            merge.env = vec![
                format!("GIT_AUTHOR_DATE={fake_timestamp}"),
                format!("GIT_COMMITTER_DATE={fake_timestamp}"),
            ];
            commands.push(merge);
        }
        if !refs.skip_submodules && refs.sparse_checkout_files.is_empty() {
            commands.push(self.git(&["submodule", "update", "--init", "--recursive"]));
        }
        commands
    }

    fn head_timestamp(&self) -> Option<i64> {
        let (output, result) = self
            .git(&["show", "-s", "--format=format:%ct", "HEAD"])
            .run_once();
        result.ok()?;
        output.trim().parse().ok()
    }

    fn head_sha(&self) -> Option<String> {
        let (output, result) = self.git(&["rev-parse", "HEAD"]).run_once();
        result.ok()?;
        Some(output.trim().to_owned())
    }
}

/// The URI to clone `refs` from: `clone_uri`, else `<repo_link>.git`, else
/// `https://github.com/<org>/<repo>.git`; with the token as credentials for HTTP(S) URIs.
pub fn repository_uri(refs: &Refs, token: &str) -> String {
    let uri = if !refs.clone_uri.is_empty() {
        refs.clone_uri.clone()
    } else if !refs.repo_link.is_empty() {
        format!("{}.git", refs.repo_link)
    } else {
        format!("https://github.com/{}/{}.git", refs.org, refs.repo)
    };
    if token.is_empty() {
        return uri;
    }
    match uri.split_once("://") {
        Some((scheme, rest)) if scheme == "https" || scheme == "http" => {
            format!("{scheme}://{token}:x-oauth-basic@{rest}")
        }
        _ => uri,
    }
}

fn censor_token(text: &str, token: &str) -> String {
    if token.is_empty() {
        text.to_owned()
    } else {
        text.replace(token, "CENSORED")
    }
}

/// Clones `refs` under `settings.src_root` and returns what happened (Prow's `clone.Run`).
pub fn clone_refs(refs: &Refs, settings: &CloneSettings) -> CloneRecord {
    let started = Instant::now();
    let mut record = CloneRecord {
        refs: refs.clone(),
        ..CloneRecord::default()
    };
    let context = GitContext {
        clone_dir: path_for_refs(&settings.src_root, refs),
        repository_uri: repository_uri(refs, &settings.token),
        settings,
    };
    tracing::info!(org = %refs.org, repo = %refs.repo, dir = %context.clone_dir, "Cloning refs");
    let run_all = |commands: Vec<GitCommand>, record: &mut CloneRecord| -> bool {
        for command in commands {
            let command_started = Instant::now();
            let (output, result) = command.run();
            let description = command.describe();
            tracing::info!(command = %censor_token(&description, &settings.token), ok = result.is_ok(), "Ran command");
            let error = result.as_ref().err().cloned().unwrap_or_default();
            record.commands.push(CloneCommand {
                command: censor_token(&description, &settings.token),
                output: censor_token(&output, &settings.token),
                error: censor_token(&error, &settings.token),
                duration: command_started.elapsed(),
            });
            if result.is_err() {
                record.failed = true;
                return false;
            }
        }
        true
    };
    if !run_all(context.commands_for_base_ref(refs), &mut record) {
        return record;
    }
    let timestamp = context.head_timestamp().unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or_default()
    });
    if !run_all(context.commands_for_pull_refs(refs, timestamp), &mut record) {
        return record;
    }
    match context.head_sha() {
        Some(sha) => record.final_sha = sha,
        None => tracing::warn!(org = %refs.org, repo = %refs.repo, "Cannot resolve finalSHA"),
    }
    record.duration = started.elapsed();
    record
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_uris() {
        let base = Refs {
            org: "org".into(),
            repo: "repo".into(),
            ..Refs::default()
        };
        let with = |f: fn(&mut Refs)| {
            let mut refs = base.clone();
            f(&mut refs);
            refs
        };
        let cases = [
            (
                "default",
                base.clone(),
                "",
                "https://github.com/org/repo.git",
            ),
            (
                "repo link",
                with(|r| r.repo_link = "https://gerrit.example/a/b".into()),
                "",
                "https://gerrit.example/a/b.git",
            ),
            (
                "clone uri wins",
                with(|r| {
                    r.repo_link = "https://gerrit.example/a/b".into();
                    r.clone_uri = "file:///srv/repo.git".into();
                }),
                "",
                "file:///srv/repo.git",
            ),
            (
                "token",
                base.clone(),
                "tok",
                "https://tok:x-oauth-basic@github.com/org/repo.git",
            ),
            (
                "token ignored for ssh",
                with(|r| r.clone_uri = "git@github.com:org/repo.git".into()),
                "tok",
                "git@github.com:org/repo.git",
            ),
        ];
        for (name, refs, token, want) in cases {
            assert_eq!(repository_uri(&refs, token), want, "{name}");
        }
    }

    #[test]
    fn command_description_matches_prow() {
        let command = GitCommand {
            dir: "/go/src/github.com/o/r".into(),
            env: vec!["GIT_AUTHOR_DATE=11".into(), "GIT_COMMITTER_DATE=11".into()],
            program: "git",
            args: vec!["merge".into(), "--no-ff".into(), "abc".into()],
            retries: Vec::new(),
        };
        assert_eq!(
            command.describe(),
            "PWD=/go/src/github.com/o/r GIT_AUTHOR_DATE=11 GIT_COMMITTER_DATE=11 git merge --no-ff abc"
        );
    }
}
