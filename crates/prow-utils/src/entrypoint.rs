//! entrypoint: runs the test command, streams its output to stdout and the process log,
//! enforces the timeout (SIGINT to the process group, SIGKILL after the grace period) and
//! writes the exit code to the marker file (Prow's `pkg/entrypoint/run.go`).
//!
//! Exit codes and marker contents follow Prow: the process's exit code (-1 when a signal
//! killed it), [`INTERNAL_ERROR_CODE`] (127) when it could not start,
//! [`ABORTED_ERROR_CODE`] (130) when entrypoint itself was interrupted, and
//! [`PREVIOUS_ERROR_CODE`] (1130) when `previous_marker` reported a failure.
//!
//! One deliberate difference: a test stopped at its `timeout` also ends with
//! [`ABORTED_ERROR_CODE`], so its `finished.json` says ABORTED — the job did not fail, it was
//! stopped. Prow writes 127 there, which reads as FAILURE.

use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustix::process::{Pid, Signal};
use tokio::signal::unix::{SignalKind, signal};

use crate::marker::{wait_for_marker, write_marker};
use crate::options::EntrypointOptions;
use crate::options::entrypoint::{
    ABORTED_ERROR_CODE, DEFAULT_COPY_DESTINATION, DEFAULT_GRACE_PERIOD, DEFAULT_TIMEOUT,
    INTERNAL_ERROR_CODE, PREVIOUS_ERROR_CODE,
};
use crate::process_log::log_line;

/// The process log, also copied to stdout; shared by the output copier and entrypoint's own
/// messages.
#[derive(Clone)]
struct Output {
    log: Arc<Mutex<File>>,
}

impl Output {
    fn write(&self, bytes: &[u8]) {
        let mut stdout = std::io::stdout().lock();
        let _ = stdout.write_all(bytes);
        let _ = stdout.flush();
        if let Ok(mut log) = self.log.lock() {
            let _ = log.write_all(bytes);
        }
    }

    fn message(&self, level: &str, message: &str) {
        self.write(log_line("entrypoint", level, message).as_bytes());
    }
}

/// How the wrapped process ended.
enum Ending {
    Exited(ExitStatus),
    TimedOut(Option<ExitStatus>),
    Interrupted(Option<ExitStatus>),
}

/// Go's `WaitStatus.ExitStatus()`: the exit code, or -1 when a signal ended the process.
fn exit_status_code(status: &ExitStatus) -> i32 {
    status.code().unwrap_or(-1)
}

fn send_to_group(pid: Option<u32>, signal: Signal) {
    let Some(pid) = pid
        .and_then(|pid| i32::try_from(pid).ok())
        .and_then(Pid::from_raw)
    else {
        return;
    };
    if rustix::process::kill_process_group(pid, signal).is_err() {
        let _ = rustix::process::kill_process(pid, signal);
    }
}

/// Copies this binary to `destination` (`--copy-mode-only`, used by the place-entrypoint
/// init container).
pub fn copy_self(destination: &str) -> std::io::Result<()> {
    let destination = if destination.is_empty() {
        DEFAULT_COPY_DESTINATION
    } else {
        destination
    };
    let me = std::env::current_exe()?;
    if let Some(parent) = Path::new(destination).parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::copy(me, destination)?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(destination, std::fs::Permissions::from_mode(0o755))
}

/// Runs the process, writes the marker and returns entrypoint's exit code (Prow's `Run`).
pub async fn run(options: &EntrypointOptions) -> i32 {
    let code = execute_process(options).await;
    if let Err(e) = write_marker(Path::new(&options.wrapper.marker_file), code) {
        eprint!(
            "{}",
            log_line(
                "entrypoint",
                "error",
                &format!("Error writing exit code to marker file: {e}")
            )
        );
        return INTERNAL_ERROR_CODE;
    }
    if options.always_zero { 0 } else { code }
}

async fn execute_process(options: &EntrypointOptions) -> i32 {
    if !options.artifact_dir.is_empty()
        && let Err(e) = std::fs::create_dir_all(&options.artifact_dir)
    {
        eprint!(
            "{}",
            log_line(
                "entrypoint",
                "error",
                &format!(
                    "could not create artifact directory({}): {e}",
                    options.artifact_dir
                )
            )
        );
        return INTERNAL_ERROR_CODE;
    }
    let log = match File::create(&options.wrapper.process_log) {
        Ok(file) => file,
        Err(e) => {
            eprint!(
                "{}",
                log_line(
                    "entrypoint",
                    "error",
                    &format!(
                        "could not create process logfile({}): {e}",
                        options.wrapper.process_log
                    )
                )
            );
            return INTERNAL_ERROR_CODE;
        }
    };
    let output = Output {
        log: Arc::new(Mutex::new(log)),
    };
    let (Ok(mut interrupts), Ok(mut terminations)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        output.message("error", "could not install signal handlers");
        return INTERNAL_ERROR_CODE;
    };

    if !options.previous_marker.is_empty() {
        let cancelled = async {
            tokio::select! {
                _ = interrupts.recv() => {}
                _ = terminations.recv() => {}
            }
        };
        match wait_for_marker(Path::new(&options.previous_marker), cancelled).await {
            None => {
                output.message(
                    "error",
                    &format!(
                        "wait for previous marker {}: interrupted",
                        options.previous_marker
                    ),
                );
                return INTERNAL_ERROR_CODE;
            }
            Some(result) => {
                if let Some(error) = result.error {
                    output.message(
                        "error",
                        &format!(
                            "wait for previous marker {}: {error}",
                            options.previous_marker
                        ),
                    );
                    return INTERNAL_ERROR_CODE;
                }
                if result.return_code != 0 {
                    output.message(
                        "info",
                        &format!("Skipping as previous step exited {}", result.return_code),
                    );
                    return PREVIOUS_ERROR_CODE;
                }
            }
        }
    }

    let (reader, writer) = match std::io::pipe() {
        Ok(pipe) => pipe,
        Err(e) => {
            output.message("error", &format!("could not create output pipe: {e}"));
            return INTERNAL_ERROR_CODE;
        }
    };
    let child = {
        let Ok(stderr_writer) = writer.try_clone() else {
            output.message("error", "could not duplicate output pipe");
            return INTERNAL_ERROR_CODE;
        };
        let mut command = tokio::process::Command::new(&options.wrapper.args[0]);
        command
            .args(&options.wrapper.args[1..])
            .stdin(Stdio::null())
            .stdout(Stdio::from(writer))
            .stderr(Stdio::from(stderr_writer))
            .process_group(0);
        command.spawn()
    };
    let mut child = match child {
        Ok(child) => child,
        Err(e) => {
            output.write(format!("could not start the process: {e}").as_bytes());
            return INTERNAL_ERROR_CODE;
        }
    };
    let copier = {
        let output = output.clone();
        std::thread::spawn(move || copy_output(reader, &output))
    };
    let pid = child.id();

    let timeout = non_zero_or(options.timeout, DEFAULT_TIMEOUT);
    let grace_period = non_zero_or(options.grace_period, DEFAULT_GRACE_PERIOD);
    let ending = tokio::select! {
        status = child.wait() => match status {
            Ok(status) => Ending::Exited(status),
            Err(e) => {
                output.message("error", &format!("could not wait for the process: {e}"));
                return INTERNAL_ERROR_CODE;
            }
        },
        _ = tokio::time::sleep(timeout) => {
            output.message("error", &format!("Process did not finish before {} timeout", go_duration(timeout)));
            Ending::TimedOut(terminate(&mut child, pid, grace_period, None, &output).await)
        }
        _ = interrupts.recv() => {
            output.message("error", "Entrypoint received interrupt: interrupt");
            Ending::Interrupted(terminate(&mut child, pid, grace_period, None, &output).await)
        }
        _ = terminations.recv() => {
            output.message("error", "Entrypoint received interrupt: terminated");
            Ending::Interrupted(terminate(&mut child, pid, grace_period, Some(Signal::TERM), &output).await)
        }
    };
    let _ = tokio::task::spawn_blocking(move || copier.join()).await;

    let propagated = |status: Option<ExitStatus>| status.as_ref().map_or(-1, exit_status_code);
    match ending {
        Ending::Exited(status) => exit_status_code(&status),
        Ending::TimedOut(status) if options.propagate_error_code => propagated(status),
        Ending::TimedOut(_) => ABORTED_ERROR_CODE,
        Ending::Interrupted(status) if options.propagate_error_code => propagated(status),
        Ending::Interrupted(_) => ABORTED_ERROR_CODE,
    }
}

/// SIGINT (and `extra`, the signal entrypoint received) to the process group, then SIGKILL
/// after `grace_period` (Prow's `gracefullyTerminate`, applied to the whole group so shells
/// and their children stop too).
async fn terminate(
    child: &mut tokio::process::Child,
    pid: Option<u32>,
    grace_period: Duration,
    extra: Option<Signal>,
    output: &Output,
) -> Option<ExitStatus> {
    send_to_group(pid, Signal::INT);
    if let Some(extra) = extra {
        send_to_group(pid, extra);
    }
    tokio::select! {
        status = child.wait() => {
            output.message("error", &format!("Process gracefully exited before {} grace period", go_duration(grace_period)));
            status.ok()
        }
        _ = tokio::time::sleep(grace_period) => {
            output.message("error", &format!("Process did not exit before {} grace period", go_duration(grace_period)));
            send_to_group(pid, Signal::KILL);
            child.wait().await.ok()
        }
    }
}

fn copy_output(mut reader: std::io::PipeReader, output: &Output) {
    let mut buffer = vec![0u8; 32 * 1024];
    loop {
        match reader.read(&mut buffer) {
            Ok(0) => return,
            Ok(n) => output.write(&buffer[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return,
        }
    }
}

fn non_zero_or(value: Duration, default: Duration) -> Duration {
    if value.is_zero() { default } else { value }
}

fn go_duration(duration: Duration) -> String {
    prow_api::GoDuration::from(duration).to_string()
}
