//! The webhook HMAC secrets, re-read when `--hmac-secret-file` changes (a Secret mount swaps
//! its files when the secret is rotated, as Prow's secret agent reloads it). A file that no
//! longer parses keeps the previous secrets and is logged.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use prow_github::webhook::HmacSecrets;
use tokio_util::sync::CancellationToken;

/// The HMAC secrets in force, shared by the webhook handler and the reload loop.
#[derive(Debug, Clone)]
pub struct SharedHmac {
    current: Arc<RwLock<Arc<HmacSecrets>>>,
}

impl From<HmacSecrets> for SharedHmac {
    fn from(secrets: HmacSecrets) -> Self {
        SharedHmac {
            current: Arc::new(RwLock::new(Arc::new(secrets))),
        }
    }
}

impl SharedHmac {
    /// The secrets in force now.
    pub fn current(&self) -> Arc<HmacSecrets> {
        Arc::clone(
            &self
                .current
                .read()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        )
    }

    fn replace(&self, secrets: HmacSecrets) {
        *self
            .current
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(secrets);
    }

    /// Re-reads `path` every `interval` when its metadata changed (and once at the first
    /// tick, so a change made before the loop started is not missed), until `shutdown`.
    pub async fn watch(
        self,
        path: PathBuf,
        interval: Duration,
        shutdown: CancellationToken,
    ) -> Result<(), std::convert::Infallible> {
        let mut last = None;
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return Ok(()),
                _ = ticker.tick() => {}
            }
            let now = Some(file_fingerprint(&path));
            if now == last {
                continue;
            }
            last = now;
            match HmacSecrets::load(&path) {
                Ok(secrets) => {
                    self.replace(secrets);
                    tracing::info!(path = %path.display(), "HMAC secrets reloaded");
                }
                Err(err) => {
                    tracing::error!(error = %err, "HMAC secret file unusable; keeping the previous secrets");
                }
            }
        }
    }
}

fn file_fingerprint(path: &Path) -> u64 {
    let mut hasher = DefaultHasher::new();
    match std::fs::metadata(path) {
        Ok(meta) => (meta.len(), meta.ino(), meta.mtime(), meta.mtime_nsec()).hash(&mut hasher),
        Err(err) => err.kind().hash(&mut hasher),
    }
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use prow_github::Secret;

    #[tokio::test]
    async fn rotated_secrets_are_picked_up_and_broken_files_ignored() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("hmac");
        let write = |text: &str| {
            let staged = dir.path().join("hmac.staged");
            std::fs::write(&staged, text).expect("write");
            std::fs::rename(&staged, &path).expect("rename");
        };
        write("first");
        let shared = SharedHmac::from(HmacSecrets::load(&path).expect("loads"));
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(shared.clone().watch(
            path.clone(),
            Duration::from_millis(10),
            shutdown.clone(),
        ));
        let wait_for = |want: HmacSecrets| {
            let shared = shared.clone();
            async move {
                for _ in 0..500 {
                    if *shared.current() == want {
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                panic!("secrets never became {want:?}");
            }
        };
        write("second");
        wait_for(HmacSecrets::Single(vec![Secret::new("second")])).await;
        // A mapping with an empty token list is an error: the previous secret stays.
        write("o/r: []\n");
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(
            *shared.current(),
            HmacSecrets::Single(vec![Secret::new("second")])
        );
        write("o/r:\n- value: third\n");
        let mut scoped = std::collections::HashMap::new();
        scoped.insert("o/r".to_string(), vec![Secret::new("third")]);
        wait_for(HmacSecrets::Scoped(scoped)).await;
        shutdown.cancel();
        task.await.expect("task").expect("watch");
    }
}
