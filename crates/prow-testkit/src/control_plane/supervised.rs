//! Child processes that cannot outlive the test process.
//!
//! `unsafe` is forbidden in this workspace, so there is no `prctl(PR_SET_PDEATHSIG)`. Instead
//! every child runs under a tiny `sh` watchdog: the watchdog starts the program in the
//! background and a watcher blocks reading the watchdog's stdin, a pipe whose only write end
//! this process holds. When this process exits for any reason (normal exit, panic, SIGKILL)
//! the kernel closes that pipe, the watcher reads EOF and sends SIGTERM, then after a grace
//! period SIGKILL, to the watchdog's whole process group (the watchdog is a group leader, so
//! the group holds the program and everything it started). Dropping a [`Supervised`] closes
//! the pipe the same way and also kills the watchdog (`kill_on_drop`).
//!
//! The watchdog ignores SIGTERM itself, so [`Supervised::signal_group`] with SIGTERM reaches
//! the program while the watchdog stays alive to report the program's exit status (a program
//! killed by signal N reports 128+N, like a container runtime).

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use tokio::process::{Child, ChildStderr, ChildStdin, ChildStdout, Command};

use super::error::{Error, Result};

const WATCHDOG_SCRIPT: &str = r#"grace=$1; shift
exec 3<&0
"$@" </dev/null 3<&- &
child=$!
trap '' TERM
( cat <&3 >/dev/null; kill -TERM 0 2>/dev/null; sleep "$grace"; kill -KILL 0 2>/dev/null ) >/dev/null 2>&1 &
exec 3<&-
wait "$child"
"#;

/// What to run and how.
#[derive(Clone, Debug, Default)]
pub struct SpawnSpec {
    /// The program (a path, or a name looked up in `PATH`).
    pub program: OsString,
    /// Its arguments.
    pub args: Vec<OsString>,
    /// When set, the environment is cleared and replaced by exactly these variables.
    pub env: Option<Vec<(OsString, OsString)>>,
    /// The working directory.
    pub current_dir: Option<PathBuf>,
    /// Where stdout and stderr go: a file (both appended to it), or pipes when `None`.
    pub log_file: Option<PathBuf>,
    /// Seconds between SIGTERM and SIGKILL when the watchdog fires.
    pub grace_seconds: u64,
}

/// A running child under the watchdog. Dropping it kills the child and everything it started.
#[derive(Debug)]
pub struct Supervised {
    child: Child,
    stdin: Option<ChildStdin>,
    process_group: Option<i32>,
}

impl Supervised {
    /// Starts the program under the watchdog, in a new process group.
    pub fn spawn(spec: &SpawnSpec) -> Result<Self> {
        let name = spec.program.to_string_lossy().into_owned();
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(WATCHDOG_SCRIPT)
            .arg("prow-testkit-watchdog")
            .arg(spec.grace_seconds.to_string())
            .arg(&spec.program)
            .args(&spec.args)
            .stdin(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
        if let Some(env) = &spec.env {
            command.env_clear().envs(env.iter().map(|(k, v)| (k, v)));
        }
        if let Some(dir) = &spec.current_dir {
            command.current_dir(dir);
        }
        match &spec.log_file {
            Some(path) => {
                let file = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(Error::io(path))?;
                let clone = file.try_clone().map_err(Error::io(path))?;
                command.stdout(file).stderr(clone);
            }
            None => {
                command.stdout(Stdio::piped()).stderr(Stdio::piped());
            }
        }
        let mut child = command.spawn().map_err(|source| Error::Spawn {
            name: name.clone(),
            source,
        })?;
        let stdin = child.stdin.take();
        let process_group = child.id().and_then(|id| i32::try_from(id).ok());
        Ok(Self {
            child,
            stdin,
            process_group,
        })
    }

    /// Takes the stdout pipe (only when spawned without a log file).
    pub fn take_stdout(&mut self) -> Option<ChildStdout> {
        self.child.stdout.take()
    }

    /// Takes the stderr pipe (only when spawned without a log file).
    pub fn take_stderr(&mut self) -> Option<ChildStderr> {
        self.child.stderr.take()
    }

    /// Waits until the program exits; its status is the program's (128+N when killed by
    /// signal N), or a signal status when the whole group was killed.
    pub async fn wait(&mut self) -> std::io::Result<ExitStatus> {
        self.child.wait().await
    }

    /// The exit status if the program has exited.
    pub fn try_wait(&mut self) -> std::io::Result<Option<ExitStatus>> {
        self.child.try_wait()
    }

    /// Sends a signal to the whole process group (the watchdog ignores SIGTERM).
    pub fn signal_group(&self, signal: rustix::process::Signal) {
        if let Some(pgid) = self.process_group.and_then(rustix::process::Pid::from_raw) {
            // The group may already be gone; that is what we wanted.
            let _ = rustix::process::kill_process_group(pgid, signal);
        }
    }

    /// The resident set size in KiB of the program (the watchdog's largest child).
    pub fn program_rss_kib(&self) -> Option<u64> {
        let pid = self.child.id()?;
        let children = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).ok()?;
        children.split_whitespace().filter_map(rss_kib).max()
    }

    /// Closes the watchdog pipe, so everything left in the group gets SIGTERM and then
    /// SIGKILL after the grace period, without waiting for it.
    pub fn release(&mut self) {
        self.stdin = None;
    }

    /// Stops the program: SIGTERM to the group, SIGKILL after `grace` if it has not exited.
    pub async fn stop(&mut self, grace: Duration) -> Option<ExitStatus> {
        self.signal_group(rustix::process::Signal::TERM);
        let status = match tokio::time::timeout(grace, self.child.wait()).await {
            Ok(status) => status.ok(),
            Err(_) => {
                self.signal_group(rustix::process::Signal::KILL);
                self.child.wait().await.ok()
            }
        };
        self.release();
        status
    }
}

impl Drop for Supervised {
    fn drop(&mut self) {
        // SIGKILL to the group if the program still runs; dropping the pipe afterwards also
        // fires the watcher for anything left in the group.
        if matches!(self.child.try_wait(), Ok(None)) {
            self.signal_group(rustix::process::Signal::KILL);
        }
    }
}

fn rss_kib(pid: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Whether a process with this id still runs (a zombie counts as gone).
pub fn process_is_running(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_some_and(|state| state != "Z" && state != "X"),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(script: &str) -> SpawnSpec {
        SpawnSpec {
            program: "sh".into(),
            args: vec!["-c".into(), script.into()],
            grace_seconds: 1,
            ..SpawnSpec::default()
        }
    }

    #[tokio::test]
    async fn exit_codes_pass_through_the_watchdog() {
        for (script, code) in [("exit 0", 0), ("exit 3", 3), ("kill -KILL $$", 137)] {
            let mut child = Supervised::spawn(&spec(script)).expect("spawn");
            let status = child.wait().await.expect("wait");
            assert_eq!(status.code(), Some(code), "{script}");
        }
    }

    #[tokio::test]
    async fn sigterm_reaches_the_program_and_the_watchdog_reports_it() {
        let mut child = Supervised::spawn(&spec("sleep 30")).expect("spawn");
        tokio::time::sleep(Duration::from_millis(200)).await;
        let status = child.stop(Duration::from_secs(5)).await.expect("status");
        assert_eq!(status.code(), Some(128 + 15));
    }

    #[tokio::test]
    async fn dropping_kills_the_program() {
        let dir = tempfile::tempdir().expect("tempdir");
        let pid_file = dir.path().join("pid");
        let script = format!("echo $$ > {}; exec sleep 30", pid_file.display());
        let child = Supervised::spawn(&spec(&script)).expect("spawn");
        let pid = loop {
            if let Ok(text) = std::fs::read_to_string(&pid_file)
                && let Ok(pid) = text.trim().parse::<u32>()
            {
                break pid;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        assert!(process_is_running(pid));
        drop(child);
        let mut gone = false;
        for _ in 0..100 {
            if !process_is_running(pid) {
                gone = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(gone, "process {pid} survived the drop");
    }
}
