//! `/command-help`: the `/commands` and plugins enabled per repository, from hook's
//! `/plugin-help` (Prow's `pluginhelp.Help` shape), cached for a minute.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;

use crate::error::Error;
use crate::html::escape;
use crate::pages::layout::document;
use crate::server::{DeckState, html};

/// How long hook's answer is reused.
pub const CACHE_FOR: Duration = Duration::from_secs(60);

/// hook's `/plugin-help` answer.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct PluginHelpResponse {
    /// Every `org` and `org/repo` with plugins.
    #[serde(default)]
    pub all_repos: Vec<String>,
    /// Plugins per `org` or `org/repo`.
    #[serde(default)]
    pub repo_plugins: BTreeMap<String, Vec<String>>,
    /// Help per plugin.
    #[serde(default)]
    pub plugin_help: BTreeMap<String, PluginHelp>,
}

/// One plugin's help.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct PluginHelp {
    /// What it does.
    #[serde(default)]
    pub description: String,
    /// Its configuration, in words.
    #[serde(default)]
    pub config: Option<String>,
    /// Its commands.
    #[serde(default)]
    pub commands: Vec<CommandHelp>,
}

/// One command.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct CommandHelp {
    /// Usage, e.g. `/test <job>|all`.
    #[serde(default)]
    pub usage: String,
    /// What it does.
    #[serde(default)]
    pub description: String,
    /// Who may use it.
    #[serde(default)]
    pub who_can_use: String,
    /// Examples.
    #[serde(default)]
    pub examples: Vec<String>,
}

/// Where plugin help comes from, with the last answer.
#[derive(Debug)]
pub struct PluginHelpSource {
    url: String,
    client: reqwest::Client,
    cached: Mutex<Option<(Instant, Arc<PluginHelpResponse>)>>,
}

impl PluginHelpSource {
    /// Help from hook's `/plugin-help` at `url`.
    pub fn new(url: impl Into<String>) -> Self {
        PluginHelpSource {
            url: url.into(),
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(5))
                .build()
                .unwrap_or_default(),
            cached: Mutex::new(None),
        }
    }

    /// The current help (cached for [`CACHE_FOR`]).
    ///
    /// # Errors
    /// hook cannot be reached or answers badly.
    pub async fn get(&self) -> Result<Arc<PluginHelpResponse>, Error> {
        if let Some((at, help)) = self
            .cached
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            && at.elapsed() < CACHE_FOR
        {
            return Ok(Arc::clone(help));
        }
        let response = self
            .client
            .get(&self.url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| Error::PluginHelp(e.to_string()))?;
        let help: PluginHelpResponse = response
            .json()
            .await
            .map_err(|e| Error::PluginHelp(e.to_string()))?;
        let help = Arc::new(help);
        *self.cached.lock().unwrap_or_else(|p| p.into_inner()) =
            Some((Instant::now(), Arc::clone(&help)));
        Ok(help)
    }
}

/// Plugins enabled for `repo` (`org/repo`): its own entry and its org's.
pub fn plugins_for<'a>(help: &'a PluginHelpResponse, repo: &str) -> BTreeSet<&'a str> {
    let org = repo.split_once('/').map_or(repo, |(o, _)| o);
    [repo, org]
        .iter()
        .filter_map(|key| help.repo_plugins.get(*key))
        .flatten()
        .map(String::as_str)
        .collect()
}

fn hidden(repo: &str, hidden_repos: &[String]) -> bool {
    let org = repo.split_once('/').map_or(repo, |(o, _)| o);
    hidden_repos.iter().any(|h| h == repo || h == org)
}

/// `GET /command-help?repo=org/repo`.
pub async fn page(
    State(state): State<DeckState>,
    Query(params): Query<BTreeMap<String, String>>,
) -> Result<Response, Error> {
    let context = state.page_context();
    let Some(source) = &state.plugin_help else {
        let body = "<h1>Command help</h1><p>deck was started without <code>--hook-url</code>, so it cannot list hook's plugins.</p>";
        return Ok(html(document(&context, "Command help", body)));
    };
    let help = source.get().await?;
    let hidden_repos = state.hidden_repos();
    let repo = params
        .get("repo")
        .map(|r| r.trim())
        .filter(|r| !r.is_empty() && !hidden(r, &hidden_repos));
    let mut body = String::from("<h1>Command help</h1>");
    body.push_str("<form method=\"get\" action=\"/command-help\" class=\"filters\"><label>Repository <select name=\"repo\"><option value=\"\">all plugins</option>");
    for r in help.all_repos.iter().filter(|r| !hidden(r, &hidden_repos)) {
        let selected = if Some(r.as_str()) == repo {
            " selected"
        } else {
            ""
        };
        let _ = write!(body, "<option{selected}>{}</option>", escape(r));
    }
    body.push_str("</select></label><div class=\"buttons\"><button type=\"submit\">Show</button></div></form>");
    let enabled: Option<BTreeSet<&str>> = repo.map(|r| plugins_for(&help, r));
    let shown: Vec<(&String, &PluginHelp)> = help
        .plugin_help
        .iter()
        .filter(|(name, _)| enabled.as_ref().is_none_or(|e| e.contains(name.as_str())))
        .collect();
    match repo {
        Some(r) => {
            let _ = write!(
                body,
                "<p class=\"summary\">{} plugins enabled for {}</p>",
                shown.len(),
                escape(r)
            );
        }
        None => {
            let _ = write!(body, "<p class=\"summary\">{} plugins</p>", shown.len());
        }
    }
    body.push_str("<h2>Commands</h2><div class=\"table-wrap\"><table class=\"commands\"><thead><tr><th scope=\"col\">Command</th><th scope=\"col\">Plugin</th><th scope=\"col\">Who can use it</th><th scope=\"col\">What it does</th><th scope=\"col\">Examples</th></tr></thead><tbody>");
    let mut commands: Vec<(&str, &CommandHelp)> = shown
        .iter()
        .flat_map(|(name, h)| h.commands.iter().map(move |c| (name.as_str(), c)))
        .collect();
    commands.sort_by(|a, b| a.1.usage.cmp(&b.1.usage));
    for (plugin, command) in &commands {
        let _ = write!(
            body,
            "<tr><td class=\"mono\">{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"mono\">{}</td></tr>",
            escape(&command.usage),
            escape(plugin),
            escape(&command.who_can_use),
            escape(&command.description),
            command
                .examples
                .iter()
                .map(|e| escape(e))
                .collect::<Vec<_>>()
                .join("<br>")
        );
    }
    body.push_str("</tbody></table></div><h2>Plugins</h2>");
    for (name, plugin) in &shown {
        let _ = write!(
            body,
            "<section class=\"plugin\"><h3 class=\"mono\">{}</h3><p>{}</p>",
            escape(name),
            escape(&plugin.description)
        );
        if let Some(config) = plugin.config.as_ref().filter(|c| !c.is_empty()) {
            let _ = write!(
                body,
                "<p class=\"sub\">Configuration: {}</p>",
                escape(config)
            );
        }
        body.push_str("</section>");
    }
    Ok(html(document(&context, "Command help", &body)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repo_plugins_merge_org_and_repo_entries() {
        let help: PluginHelpResponse = serde_json::from_value(serde_json::json!({
            "all_repos": ["k", "k/infra", "other/x"],
            "repo_plugins": {"k": ["lgtm", "hold"], "k/infra": ["trigger"], "other/x": ["cat"]},
            "plugin_help": {"lgtm": {"description": "d", "config": null, "commands": [
                {"usage": "/lgtm [cancel]", "description": "x", "who_can_use": "Collaborators", "examples": ["/lgtm"]}]}}
        }))
        .expect("hook's shape parses");
        let cases: &[(&str, &[&str])] = &[
            ("k/infra", &["hold", "lgtm", "trigger"]),
            ("k/other", &["hold", "lgtm"]),
            ("other/x", &["cat"]),
            ("none/x", &[]),
        ];
        for (repo, expected) in cases {
            let got: Vec<&str> = plugins_for(&help, repo).into_iter().collect();
            assert_eq!(got, *expected, "{repo}");
        }
        assert_eq!(
            help.plugin_help["lgtm"].commands[0].who_can_use,
            "Collaborators"
        );
        assert!(hidden("secret/x", &["secret".to_string()]));
        assert!(!hidden("k/infra", &["k/other".to_string()]));
    }
}
