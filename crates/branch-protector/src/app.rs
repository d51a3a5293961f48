//! Process wiring: load the config, build the GitHub client, then one pass (CronJob mode) or a
//! leader-elected loop with an admin server (`--interval`).

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use prometheus_client::registry::Registry;
use prow_config::{ReloadOutcome, Reloader};
use prow_github::{GitHub, GitHubClient};
use prow_kube::component::start_leader_elected;
use prow_kube::leader::LeaderState;
use prow_kube::shutdown::shutdown_on_signals;
use tokio_util::sync::CancellationToken;

use crate::cli::Cli;
use crate::metrics::Metrics;
use crate::protector::{Options, Report, protect};

/// Runs the binary; the exit code is non-zero when a one-shot pass had errors.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    prow_kube::telemetry::init_tracing(&cli.log)?;
    let mut reloader = Reloader::for_component(cli.load_options()).context("loading the config")?;
    let loaded = reloader.current();
    let client = GitHubClient::new(cli.github_client_config(), cli.github.credentials()?)?;
    let options = Options {
        dry_run: cli.dry_run,
        enable_apps_restrictions: cli.enable_apps_restrictions,
        enablement: cli.enablement.clone(),
    };
    let metrics = Metrics::default();

    let Some(interval) = cli.interval else {
        let report = protect(&client, &loaded.config, &options, &metrics).await;
        print_report(&report, options.dry_run);
        return Ok(if report.errors.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        });
    };

    let mut registry = Registry::with_prefix("branch_protector");
    metrics.register(&mut registry);
    client.metrics().register(&mut registry);
    let shutdown = shutdown_on_signals()?;
    let kube = cli.client.client().await?;
    let (mut tasks, leading) = start_leader_elected(
        kube,
        "branch-protector",
        registry,
        &cli.leader,
        &cli.admin,
        &shutdown,
    )
    .await?;
    let github: Arc<dyn GitHub> = Arc::new(client);
    let stop = shutdown.clone();
    tasks.spawn("protect", async move {
        sync_loop(
            github,
            &mut reloader,
            &options,
            &metrics,
            interval,
            leading,
            stop,
        )
        .await;
        Ok::<_, std::convert::Infallible>(())
    });
    tasks.join().await?;
    Ok(ExitCode::SUCCESS)
}

/// Every `interval`, while this replica leads: reload the config if it changed and run a pass.
/// Returns when `shutdown` is cancelled.
pub async fn sync_loop(
    github: Arc<dyn GitHub>,
    reloader: &mut Reloader,
    options: &Options,
    metrics: &Metrics,
    interval: Duration,
    mut leading: LeaderState,
    shutdown: CancellationToken,
) {
    loop {
        if *leading.borrow_and_update() {
            match reloader.reload_if_changed() {
                ReloadOutcome::Failed(error) => {
                    tracing::warn!(%error, "config reload failed; keeping the last good config");
                }
                ReloadOutcome::Rejected(problems) => {
                    tracing::warn!(
                        problems = problems.len(),
                        "new config has errors; keeping the last good config"
                    );
                }
                _ => {}
            }
            let loaded = reloader.current();
            let report = protect(github.as_ref(), &loaded.config, options, metrics).await;
            print_report(&report, options.dry_run);
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(interval) => {}
            }
        } else {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = leading.changed() => {}
            }
        }
    }
}

fn print_report(report: &Report, dry_run: bool) {
    if dry_run {
        for change in &report.changes {
            print!("{}", change.diff);
        }
    }
    tracing::info!(
        repos = report.repos_checked,
        branches = report.branches_checked,
        skipped = report.repos_skipped.len(),
        changes = report.changes.len(),
        errors = report.errors.len(),
        dry_run,
        "branch protection pass done"
    );
}
