//! Shared by deck's headless-browser tests (`tests/browser_*.rs`) and its load benchmark
//! (`benches/deck_load.rs`, which includes the submodules by path): a WebDriver client for
//! Debian's chromium, ProwJob fixtures created through the API server, and deck started
//! in-process against the real control plane.
//!
//! Each including target uses a different part, hence `dead_code` is allowed here.
#![allow(dead_code)]

pub mod prowjobs;
pub mod webdriver;

use std::path::{Path, PathBuf};
use std::time::Duration;

use deck::app::{JobSource, Options, RunningDeck, serve};
use kube::Api;
use prow_api::ProwJob;
use prow_config::LoadOptions;
use prow_testkit::control_plane::{ControlPlane, TestNamespace};

use self::prowjobs::RunFixture;
use self::webdriver::{ChromeDriver, Session};

/// Upper bound for anything a test waits for (a failure bound, not a timing assertion).
pub const BOUND: Duration = Duration::from_secs(60);

/// The repository `deck.hidden_repos` hides in every test config.
pub const HIDDEN_ORG: &str = "secret-org";

/// One test's world: a namespace on the shared control plane, its ProwJobs, deck watching
/// it (in-process, with a config file written for the test), a local object store and a
/// headless browser.
pub struct DeckWorld {
    /// The test's namespace (deleted when dropped).
    pub namespace: TestNamespace,
    /// The ProwJob API in that namespace.
    pub prowjobs: Api<ProwJob>,
    /// deck, ready (first list done).
    pub deck: RunningDeck,
    /// Holds config.yaml and the object store.
    pub dir: tempfile::TempDir,
    /// A headless browser window.
    pub browser: Session,
}

impl DeckWorld {
    /// Creates `runs` through the API server, then starts deck on them and a browser.
    ///
    /// # Panics
    /// When any of it fails: these are tests.
    pub async fn start(hint: &str, runs: &[RunFixture]) -> Self {
        Self::start_in(
            tempfile::tempdir().expect("temporary directory"),
            hint,
            runs,
        )
        .await
    }

    /// [`DeckWorld::start`] with `dir` prepared by the test (e.g. a `file://` bucket under
    /// [`bucket_dir`] that the runs point at).
    ///
    /// # Panics
    /// When any of it fails: these are tests.
    pub async fn start_in(dir: tempfile::TempDir, hint: &str, runs: &[RunFixture]) -> Self {
        // reqwest is built without a TLS provider in this workspace: use ring, as deck does.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let control_plane = ControlPlane::shared().await;
        let namespace = control_plane.test_namespace(hint).await;
        let prowjobs: Api<ProwJob> = Api::namespaced(control_plane.client(), namespace.name());
        for run in runs {
            run.create(&prowjobs)
                .await
                .unwrap_or_else(|e| panic!("creating ProwJob {}: {e}", run.name));
        }
        let config_path = write_config(dir.path(), namespace.name());
        let options = Options {
            config: Some(LoadOptions {
                config_path,
                job_config_path: None,
                plugin_config_path: None,
            }),
            ..Options::local(JobSource::Kube {
                client: control_plane.client(),
                namespace: Some(namespace.name().to_owned()),
            })
        };
        let deck = serve(options).await.expect("deck starts");
        assert!(
            deck.wait_ready(BOUND).await,
            "deck lists ProwJobs within {BOUND:?}"
        );
        let browser = ChromeDriver::shared()
            .new_session()
            .await
            .expect("headless chromium session");
        DeckWorld {
            namespace,
            prowjobs,
            deck,
            dir,
            browser,
        }
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.deck.url())
    }

    /// Closes the browser and stops deck.
    pub async fn finish(self) {
        let DeckWorld { deck, browser, .. } = self;
        browser.quit().await.expect("closing the browser");
        deck.stop().await;
    }
}

/// The `file://` bucket directory inside a test's directory.
pub fn bucket_dir(dir: &Path) -> PathBuf {
    dir.join("bucket")
}

/// Writes `files` (name, content) into `run`'s directory of the `file://` bucket under `dir`,
/// at Prow's path, and points `run` at that bucket.
pub fn store_run_files(dir: &Path, run: &mut RunFixture, files: &[(&str, &str)]) {
    let bucket = bucket_dir(dir);
    let run_dir = bucket.join(run.storage_path());
    std::fs::create_dir_all(&run_dir).expect("creating the run's directory");
    for (name, content) in files {
        std::fs::write(run_dir.join(name), content).expect("writing a run file");
    }
    run.bucket = Some(format!("file://{}", bucket.display()));
}

/// Prow's config.yaml for one test: ProwJobs in `namespace`, `secret-org` hidden.
fn write_config(dir: &Path, namespace: &str) -> PathBuf {
    let path = dir.join("config.yaml");
    let config = format!(
        "prowjob_namespace: {namespace}\npod_namespace: {namespace}\n\
         deck:\n  hidden_repos:\n  - {HIDDEN_ORG}\n"
    );
    std::fs::write(&path, config).expect("writing config.yaml");
    path
}
