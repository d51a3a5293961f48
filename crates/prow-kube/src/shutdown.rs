//! Graceful shutdown: one [`CancellationToken`] for every controller and server of a
//! process. The first SIGTERM or SIGINT cancels it (tasks drain and return); a second one
//! exits at once with status 130.

use std::fmt::Display;
use std::future::Future;

use tokio::signal::unix::{SignalKind, signal};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::{Error, Result};

/// Exit status used when a second signal aborts a graceful shutdown.
pub const ABORT_EXIT_CODE: i32 = 130;

/// Returns a token that the first SIGTERM/SIGINT cancels; a second signal exits the
/// process with [`ABORT_EXIT_CODE`]. Must be called inside a tokio runtime.
pub fn shutdown_on_signals() -> Result<CancellationToken> {
    let token = CancellationToken::new();
    let mut terminate = signal(SignalKind::terminate()).map_err(Error::InstallSignalHandler)?;
    let mut interrupt = signal(SignalKind::interrupt()).map_err(Error::InstallSignalHandler)?;
    let cancel = token.clone();
    tokio::spawn(async move {
        let first = tokio::select! {
            _ = terminate.recv() => "SIGTERM",
            _ = interrupt.recv() => "SIGINT",
        };
        tracing::info!(
            signal = first,
            "shutting down gracefully; send another signal to abort"
        );
        cancel.cancel();
        let second = tokio::select! {
            _ = terminate.recv() => "SIGTERM",
            _ = interrupt.recv() => "SIGINT",
        };
        tracing::warn!(signal = second, "second signal: aborting");
        std::process::exit(ABORT_EXIT_CODE);
    });
    Ok(token)
}

/// Named tasks (admin server, controllers, watchers) that run until the shutdown token is
/// cancelled. A task that fails cancels the token so the others drain too; the group's
/// result is the first failure.
#[derive(Debug)]
pub struct TaskGroup {
    token: CancellationToken,
    tasks: JoinSet<(String, std::result::Result<(), String>)>,
    names: Vec<(tokio::task::Id, String)>,
}

impl TaskGroup {
    /// An empty group driven by `token`.
    pub fn new(token: CancellationToken) -> Self {
        TaskGroup {
            token,
            tasks: JoinSet::new(),
            names: Vec::new(),
        }
    }

    /// The group's shutdown token, to hand to the tasks.
    pub fn token(&self) -> CancellationToken {
        self.token.clone()
    }

    /// Spawns `task` under `name`. The task should return once the token is cancelled.
    pub fn spawn<F, E>(&mut self, name: impl Into<String>, task: F) -> &mut Self
    where
        F: Future<Output = std::result::Result<(), E>> + Send + 'static,
        E: Display + Send + 'static,
    {
        let name = name.into();
        let task_name = name.clone();
        let handle = self.tasks.spawn(async move {
            let result = task.await.map_err(|e| e.to_string());
            (task_name, result)
        });
        self.names.push((handle.id(), name));
        self
    }

    /// Waits for every task. The first failure (an error or a panic) cancels the token and
    /// is returned once all tasks have finished.
    pub async fn join(mut self) -> Result<()> {
        let mut first_error = None;
        while let Some(joined) = self.tasks.join_next_with_id().await {
            let failure = match joined {
                Ok((_, (name, Ok(())))) => {
                    tracing::debug!(task = %name, "task finished");
                    None
                }
                Ok((_, (name, Err(message)))) => {
                    tracing::error!(task = %name, error = %message, "task failed");
                    Some(Error::RunTask {
                        task: name,
                        message,
                    })
                }
                Err(join_error) => {
                    let task = self
                        .names
                        .iter()
                        .find(|(id, _)| *id == join_error.id())
                        .map(|(_, name)| name.clone())
                        .unwrap_or_default();
                    tracing::error!(task = %task, "task panicked");
                    Some(Error::JoinTask { task })
                }
            };
            if let Some(error) = failure {
                self.token.cancel();
                first_error.get_or_insert(error);
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn cancelling_the_token_drains_every_task() {
        let token = CancellationToken::new();
        let drained = Arc::new(AtomicUsize::new(0));
        let mut group = TaskGroup::new(token.clone());
        for name in ["admin", "controller", "watcher"] {
            let (t, d) = (group.token(), drained.clone());
            group.spawn(name, async move {
                t.cancelled().await;
                d.fetch_add(1, Ordering::SeqCst);
                Ok::<_, String>(())
            });
        }
        token.cancel();
        group.join().await.expect("clean shutdown");
        assert_eq!(drained.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn a_failing_task_cancels_the_others_and_is_reported() {
        let token = CancellationToken::new();
        let mut group = TaskGroup::new(token.clone());
        let t = group.token();
        group.spawn("controller", async move {
            t.cancelled().await;
            Ok::<_, String>(())
        });
        group.spawn("watcher", async { Err::<(), _>("watch ended") });
        let err = group.join().await.expect_err("watcher failed");
        assert!(token.is_cancelled());
        assert_eq!(err.variant_name(), "RunTask");
        assert_eq!(err.to_string(), "task watcher failed: watch ended");
    }

    #[tokio::test]
    async fn a_panicking_task_is_reported_by_name() {
        let token = CancellationToken::new();
        let mut group = TaskGroup::new(token.clone());
        group.spawn("reconciler", async { reconcile_that_panics() });
        let err = group.join().await.expect_err("panic is a failure");
        assert!(token.is_cancelled());
        assert!(err.to_string().contains("reconciler"), "{err}");
    }

    fn reconcile_that_panics() -> std::result::Result<(), String> {
        panic!("boom")
    }
}
