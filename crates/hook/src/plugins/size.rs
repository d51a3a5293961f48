//! The `size` plugin (Prow's `size`): every pull request carries one `size/*` label
//! (`XS`, `S`, `M`, `L`, `XL`, `XXL`) from the lines it adds and deletes, recomputed when it is
//! opened, reopened, edited or pushed to; a grown PR has its old size label replaced.
//! Files listed in `.generated_files` or marked `linguist-generated` in `.gitattributes` (both
//! read at the base commit) do not count. Thresholds come from `size:` in `plugins.yaml`,
//! Prow's defaults (10, 30, 100, 500, 1000) for any left at zero.

pub mod generated_files;
pub mod gitattributes;

use async_trait::async_trait;
use prow_config::Loaded;
use prow_github::webhook::Event;
use prow_github::webhook::events::PullRequestAction;

use crate::plugin::{Delivery, Plugin, PluginError, PluginHelp, Services};
use generated_files::GeneratedFiles;
use gitattributes::LinguistGenerated;

const LABEL_PREFIX: &str = "size/";

/// Size thresholds: the first line count of each bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    /// First count of size/S.
    pub s: i64,
    /// First count of size/M.
    pub m: i64,
    /// First count of size/L.
    pub l: i64,
    /// First count of size/XL.
    pub xl: i64,
    /// First count of size/XXL.
    pub xxl: i64,
}

impl Thresholds {
    /// Prow's `sizesOrDefault`: the configured thresholds, defaults where zero.
    pub fn from_config(size: &prow_config::Size) -> Self {
        let or = |value: i64, default: i64| if value == 0 { default } else { value };
        Thresholds {
            s: or(size.s, 10),
            m: or(size.m, 30),
            l: or(size.l, 100),
            xl: or(size.xl, 500),
            xxl: or(size.xxl, 1000),
        }
    }

    /// The size label for `lines` changed lines.
    pub fn label(&self, lines: i64) -> &'static str {
        if lines < self.s {
            "size/XS"
        } else if lines < self.m {
            "size/S"
        } else if lines < self.l {
            "size/M"
        } else if lines < self.xl {
            "size/L"
        } else if lines < self.xxl {
            "size/XL"
        } else {
            "size/XXL"
        }
    }
}

/// The `size` plugin.
#[derive(Debug, Default)]
pub struct SizePlugin;

fn thresholds(config: &Loaded) -> Thresholds {
    let default = prow_config::Size::default();
    Thresholds::from_config(config.plugins.as_ref().map(|p| &p.size).unwrap_or(&default))
}

impl SizePlugin {
    /// The generated-file rules of the repository at `sha` (empty when there are none).
    async fn generated(
        services: &Services,
        org: &str,
        repo: &str,
        sha: &str,
    ) -> Result<(GeneratedFiles, LinguistGenerated), PluginError> {
        let read = |path: &'static str| async move {
            services
                .github
                .get_file(org, repo, path, Some(sha))
                .await
                .map(|bytes| bytes.map(|b| String::from_utf8_lossy(&b).into_owned()))
                .map_err(|e| PluginError::new(format!("read {path} at {sha}: {e}")))
        };
        let mut generated = GeneratedFiles::default();
        if let Some(text) = read(".generated_files").await? {
            let (rules, errors) = GeneratedFiles::parse(&text);
            for error in errors {
                tracing::warn!(%org, %repo, %error, "size: error while parsing .generated_files");
            }
            generated = rules;
            for listing in generated.paths_from_repo.clone() {
                let text = services
                    .github
                    .get_file(org, repo, &listing, Some(sha))
                    .await
                    .map_err(|e| PluginError::new(format!("read {listing} at {sha}: {e}")))?;
                if let Some(text) = text {
                    generated.add_listed_paths(&String::from_utf8_lossy(&text));
                }
            }
        }
        let attributes = read(".gitattributes")
            .await?
            .map(|text| LinguistGenerated::parse(&text))
            .unwrap_or_default();
        Ok((generated, attributes))
    }
}

#[async_trait]
impl Plugin for SizePlugin {
    fn name(&self) -> &'static str {
        "size"
    }

    fn help(&self, config: &Loaded, _org_repo: Option<&str>) -> PluginHelp {
        let t = thresholds(config);
        PluginHelp {
            description: "The size plugin manages the 'size/*' labels, maintaining the appropriate label on each pull request as it is updated. Generated files identified by the config file '.generated_files' at the repo root are ignored. Labels are applied based on the total number of lines of changes (additions and deletions).".into(),
            config: Some(format!(
                "The plugin has the following thresholds:<ul>\n<li>size/XS:  0-{}</li>\n<li>size/S:   {}-{}</li>\n<li>size/M:   {}-{}</li>\n<li>size/L:   {}-{}</li>\n<li>size/XL:  {}-{}</li>\n<li>size/XXL: {}+</li>\n</ul>",
                t.s - 1, t.s, t.m - 1, t.m, t.l - 1, t.l, t.xl - 1, t.xl, t.xxl - 1, t.xxl
            )),
            commands: Vec::new(),
        }
    }

    async fn handle(
        &self,
        services: &Services,
        delivery: &Delivery<'_>,
    ) -> Result<(), PluginError> {
        let Event::PullRequest(event) = delivery.event else {
            return Ok(());
        };
        if !matches!(
            event.action,
            PullRequestAction::Opened
                | PullRequestAction::Reopened
                | PullRequestAction::Synchronize
                | PullRequestAction::Edited
        ) {
            return Ok(());
        }
        let (org, repo) = (&event.repository.owner.login, &event.repository.name);
        let pr = &event.pull_request;
        let (generated, attributes) = Self::generated(services, org, repo, &pr.base.sha).await?;
        let files = services
            .github
            .list_pull_request_files(org, repo, pr.number)
            .await
            .map_err(|e| {
                PluginError::new(format!("can not get PR changes for size plugin: {e}"))
            })?;
        let lines: u64 = files
            .iter()
            .filter(|f| !generated.matches(&f.filename) && !attributes.is_generated(&f.filename))
            .map(|f| f.additions + f.deletions)
            .sum();
        let wanted = thresholds(delivery.config).label(i64::try_from(lines).unwrap_or(i64::MAX));
        let labels = match services
            .github
            .list_issue_labels(org, repo, pr.number)
            .await
        {
            Ok(labels) => labels,
            Err(err) => {
                tracing::warn!(error = %err, "size: while retrieving labels");
                Vec::new()
            }
        };
        let mut present = false;
        for label in &labels {
            if label.name == wanted {
                present = true;
            } else if label.name.starts_with(LABEL_PREFIX)
                && let Err(err) = services
                    .github
                    .remove_label(org, repo, pr.number, &label.name)
                    .await
            {
                tracing::warn!(label = %label.name, error = %err, "size: error while removing label");
            }
        }
        if present {
            return Ok(());
        }
        services
            .github
            .add_labels(org, repo, pr.number, &[wanted.to_string()])
            .await
            .map_err(|e| {
                PluginError::new(format!(
                    "error adding label to {org}/{repo} PR #{}: {e}",
                    pr.number
                ))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_thresholds_table() {
        let t = Thresholds::from_config(&prow_config::Size::default());
        let cases = [
            (0, "size/XS"),
            (9, "size/XS"),
            (10, "size/S"),
            (29, "size/S"),
            (30, "size/M"),
            (99, "size/M"),
            (100, "size/L"),
            (499, "size/L"),
            (500, "size/XL"),
            (999, "size/XL"),
            (1000, "size/XXL"),
            (50_000, "size/XXL"),
        ];
        for (lines, want) in cases {
            assert_eq!(t.label(lines), want, "{lines}");
        }
    }

    #[test]
    fn configured_thresholds_keep_defaults_for_zeros() {
        let t = Thresholds::from_config(&prow_config::Size {
            s: 5,
            m: 0,
            l: 50,
            xl: 0,
            xxl: 0,
        });
        assert_eq!(
            t,
            Thresholds {
                s: 5,
                m: 30,
                l: 50,
                xl: 500,
                xxl: 1000
            }
        );
        assert_eq!(t.label(4), "size/XS");
        assert_eq!(t.label(5), "size/S");
        assert_eq!(t.label(49), "size/M");
        assert_eq!(t.label(50), "size/L");
    }
}
