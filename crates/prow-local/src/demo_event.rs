//! `prow-local demo-pr`: the signed `pull_request` `opened` event of the demo pull request,
//! sent to the running hook as GitHub would send it.

use std::path::PathBuf;

use anyhow::{Context, bail};
use prow_testkit::webhook::{PayloadEdit, delivery_headers, payload};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// What `prow-local up` records for `demo-pr` (`<work-dir>/demo.json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DemoState {
    /// hook's webhook URL.
    pub hook_url: String,
    /// The HMAC secret file.
    pub hmac_file: PathBuf,
    /// Org of the demo repository.
    pub org: String,
    /// Name of the demo repository.
    pub repo: String,
    /// The pull request number.
    pub number: u64,
    /// Its author (an org member, so trigger runs the jobs at once).
    pub author: String,
    /// Base commit.
    pub base_sha: String,
    /// Head commit.
    pub head_sha: String,
    /// The repository's web URL (`<url>.git` is what jobs clone).
    pub repo_html_url: String,
}

/// Flags of `prow-local demo-pr`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// The work directory `prow-local up` printed.
    #[arg(long)]
    work_dir: PathBuf,
    /// Delivery id (`X-GitHub-Delivery`); a new one by default. The same id twice is
    /// handled once.
    #[arg(long)]
    delivery: Option<String>,
}

/// Runs `demo-pr`.
///
/// # Errors
/// When the work directory has no `demo.json`, or hook refuses the event.
pub async fn run(args: DemoArgs) -> anyhow::Result<()> {
    let demo_file = args.work_dir.join("demo.json");
    let state: DemoState =
        serde_json::from_str(&std::fs::read_to_string(&demo_file).with_context(|| {
            format!(
                "reading {} (is prow-local up running?)",
                demo_file.display()
            )
        })?)?;
    let secret = std::fs::read(&state.hmac_file)
        .with_context(|| format!("reading {}", state.hmac_file.display()))?;
    let body = event_body(&state)?;
    let delivery = args.delivery.unwrap_or_else(|| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        format!("prow-local-demo-{nanos}")
    });
    let headers = delivery_headers(
        "pull_request",
        &delivery,
        1,
        ("repository", 1),
        &secret,
        &body,
    );
    let response = headers
        .iter()
        .fold(reqwest::Client::new().post(&state.hook_url), |r, (n, v)| {
            r.header(*n, v)
        })
        .body(body)
        .send()
        .await
        .with_context(|| format!("sending to {}", state.hook_url))?;
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    if !status.is_success() {
        bail!("hook answered {status}: {text}");
    }
    println!(
        "sent pull_request opened for {}/{}#{} (delivery {delivery}): {status} {text}",
        state.org, state.repo, state.number
    );
    Ok(())
}

/// The event: GitHub's recorded `pull_request` `opened` payload with the demo's repository,
/// commits and author.
fn event_body(state: &DemoState) -> anyhow::Result<Vec<u8>> {
    let edited = PayloadEdit::new(payload("pull_request", "opened")?)?
        .repo(&state.org, &state.repo)
        .number(state.number)
        .head_sha(&state.head_sha)
        .sender(&state.author)
        .set("/pull_request/user/login", json!(state.author))
        .set("/pull_request/title", json!("docs: how to run hello.sh"))
        .set("/pull_request/draft", json!(false))
        .set("/pull_request/base/ref", json!("main"))
        .set("/pull_request/base/sha", json!(state.base_sha))
        .set("/pull_request/head/ref", json!("demo-change"))
        .set(
            "/pull_request/base/repo/html_url",
            json!(state.repo_html_url),
        )
        .set("/repository/html_url", json!(state.repo_html_url))
        .into_bytes()?;
    Ok(edited)
}
