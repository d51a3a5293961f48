//! The component processes: started from the binaries beside `prow-local`, each with its
//! stderr in a log file, watched through its admin server's `/readyz`, and stopped with
//! SIGTERM (SIGKILL after a grace period) — none outlives `prow-local`.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::process::{Child, Command};

/// A component to start.
#[derive(Debug, Clone)]
pub struct ComponentSpec {
    /// Binary name (`hook`, `plank`, ...).
    pub name: &'static str,
    /// Its flags.
    pub args: Vec<String>,
    /// Its admin port (for `/readyz`).
    pub admin_port: u16,
}

/// A running component.
#[derive(Debug)]
pub struct Running {
    /// The spec it was started from.
    pub spec: ComponentSpec,
    /// Where its output goes.
    pub log_path: PathBuf,
    child: Child,
}

/// Starts `spec` from `bin_dir`, output to `<log_dir>/<name>.log`.
///
/// # Errors
/// When the binary is missing or cannot start.
pub fn start(spec: ComponentSpec, bin_dir: &Path, log_dir: &Path) -> anyhow::Result<Running> {
    let binary = bin_dir.join(spec.name);
    if !binary.is_file() {
        bail!(
            "{} not found: build the components first (hack/local-up.sh does)",
            binary.display()
        );
    }
    let log_path = log_dir.join(format!("{}.log", spec.name));
    let log = std::fs::File::create(&log_path)
        .with_context(|| format!("creating {}", log_path.display()))?;
    let child = Command::new(&binary)
        .args(&spec.args)
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting {}", binary.display()))?;
    Ok(Running {
        spec,
        log_path,
        child,
    })
}

impl Running {
    /// Waits until `/readyz` answers 200, the process exits, or `timeout` passes.
    ///
    /// # Errors
    /// When it exited or never became ready (with the end of its log).
    pub async fn wait_ready(
        &mut self,
        http: &reqwest::Client,
        timeout: Duration,
    ) -> anyhow::Result<()> {
        let url = format!("http://127.0.0.1:{}/readyz", self.spec.admin_port);
        let deadline = tokio::time::Instant::now() + timeout;
        while tokio::time::Instant::now() < deadline {
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "{} exited ({status}) while starting; last lines of {}:\n{}",
                    self.spec.name,
                    self.log_path.display(),
                    self.log_tail()
                );
            }
            let probe = http.get(&url).timeout(Duration::from_secs(2)).send().await;
            if probe.is_ok_and(|r| r.status().is_success()) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        bail!(
            "{} was not ready within {timeout:?}; last lines of {}:\n{}",
            self.spec.name,
            self.log_path.display(),
            self.log_tail()
        )
    }

    /// Whether the process has exited (with its status).
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// The last 20 lines of its log.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log_path).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// SIGTERM, then SIGKILL after `grace`.
    pub async fn stop(mut self, grace: Duration) {
        if let Some(pid) = self.child.id() {
            let _ = Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status()
                .await;
            if tokio::time::timeout(grace, self.child.wait()).await.is_ok() {
                return;
            }
            tracing::warn!(
                component = self.spec.name,
                "did not stop after SIGTERM; killing"
            );
        }
        let _ = self.child.kill().await;
    }
}

/// A free loopback port.
///
/// # Errors
/// When no port can be bound.
pub fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}
