//! The `cat` plugin: `/meow` and `/meowvie` comment a cat picture (Prow's `cat` plugin).
//!
//! `/meow [category]` asks the cat API for one image (`/meowvie` for a GIF) and answers with
//! `![cat image](url)`; `/meow grumpy` (or `no`) answers with Grumpy Cat without asking the
//! API. The API key is read from `cat.key_path` of `plugins.yaml` (re-read at most once a
//! minute, as Prow). Up to three attempts; when all fail, a comment says the API is down (or
//! that the category is bad) and the plugin returns an error. Only newly created comments
//! (issue and PR comments, review comments, review bodies) are considered.
//!
//! As Prow, an image GitHub would not show (a `HEAD` answering other than 200, or a
//! `Content-Length` above GitHub's 5 MiB image limit) counts as a failed attempt (Grumpy
//! Cat's fixed image is not re-checked). Requests go
//! through [`prow_github::https::HttpsClient`] (rustls with the platform's roots; TLS roots
//! can be pointed elsewhere with `SSL_CERT_FILE`), 10 s each.

use std::path::PathBuf;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use prow_config::Loaded;
use prow_github::https::HttpsClient;
use prow_github::webhook::Event;
use prow_github::webhook::events::{CommentAction, ReviewAction};
use regex::Regex;
use serde::Deserialize;

use crate::plugin::{CommandHelp, Delivery, Plugin, PluginError, PluginHelp, Services};

/// Prow's cat API endpoint.
pub const DEFAULT_ENDPOINT: &str =
    "https://api.thecatapi.com/v1/images/search?format=json&results_per_page=1";

/// GitHub's image size limit (Prow's `github.ImageSizeLimit`).
const GITHUB_IMAGE_SIZE_LIMIT: u64 = 5_242_880;

/// The longest cat API answer read.
const MAX_API_RESPONSE_BYTES: usize = 1024 * 1024;

/// Where Grumpy Cat lives (Prow's `defaultGrumpyRoot` + `grumpyIMG`).
const GRUMPY_IMAGE: &str =
    "https://upload.wikimedia.org/wikipedia/commons/e/ee/Grumpy_Cat_by_Gage_Skidmore.jpg";

/// Prow's footer of bot answers.
const ABOUT_THIS_BOT: &str = "Instructions for interacting with me using PR comments are available [here](https://git.k8s.io/community/contributors/guide/pull-requests.md).  If you have questions or suggestions related to my behavior, please file an issue against the [kubernetes-sigs/prow](https://github.com/kubernetes-sigs/prow/issues/new?title=Prow%20issue:) repository.";

static MEOW: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?mi)^/meow(vie)?(?: (.+))?\s*$").unwrap_or_else(|e| unreachable!("{e}"))
});
static GRUMPY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?mi)^(no|grumpy)\s*$").unwrap_or_else(|e| unreachable!("{e}")));

/// The `cat:` section of `plugins.yaml` (Prow's `plugins.Cat`; prow-config does not type it).
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct CatConfig {
    /// File holding the cat API key.
    pub key_path: Option<PathBuf>,
}

impl CatConfig {
    /// Reads the `cat:` section of a `plugins.yaml` file (empty when absent).
    ///
    /// # Errors
    /// When the file cannot be read or is not YAML.
    pub fn from_plugins_file(path: &std::path::Path) -> Result<Self, String> {
        #[derive(Deserialize, Default)]
        #[serde(default)]
        struct Section {
            cat: CatConfig,
        }
        let text =
            std::fs::read_to_string(path).map_err(|e| format!("read {}: {e}", path.display()))?;
        let section: Section = serde_saphyr::from_str(&text)
            .map_err(|e| format!("parse cat section of {}: {e}", path.display()))?;
        Ok(section.cat)
    }
}

/// A `/meow` request found in a comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeowCommand {
    /// Requested category (empty for any).
    pub category: String,
    /// `/meowvie`: a GIF.
    pub movie: bool,
}

/// Finds the first `/meow` or `/meowvie` line of `body`.
pub fn parse_meow(body: &str) -> Option<MeowCommand> {
    let captures = MEOW.captures(body)?;
    Some(MeowCommand {
        category: captures
            .get(2)
            .map(|m| m.as_str().trim().to_string())
            .unwrap_or_default(),
        movie: captures.get(1).is_some(),
    })
}

/// The cat API URL for `command` with `key` (Prow's `realClowder.URL`).
pub fn api_url(endpoint: &str, command: &MeowCommand, key: &str) -> String {
    let mut url = endpoint.to_string();
    let encode = query_escape;
    if !command.category.is_empty() {
        url.push_str("&category=");
        url.push_str(&encode(&command.category));
    }
    if !key.is_empty() {
        url.push_str("&api_key=");
        url.push_str(&encode(key));
    }
    if command.movie {
        url.push_str("&mime_types=gif");
    }
    url
}

/// Go's `url.QueryEscape`: unreserved bytes stay, space is `+`, others `%XX`.
fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for byte in s.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            b' ' => out.push('+'),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

/// Prow's `FormatResponseRaw`: mention the author, answer, quote the comment.
pub fn format_response(body: &str, html_url: &str, login: &str, reply: &str) -> String {
    let quoted: Vec<String> = body.split('\n').map(|line| format!(">{line}")).collect();
    let reason = format!(
        "In response to [this]({html_url}):\n\n{}\n",
        quoted.join("\n")
    );
    format!("@{login}: {reply}\n\n<details>\n\n{reason}\n\n{ABOUT_THIS_BOT}\n</details>")
}

/// One created comment a plugin may answer.
struct Comment<'a> {
    org: &'a str,
    repo: &'a str,
    number: u64,
    body: &'a str,
    html_url: &'a str,
    author: &'a str,
}

/// Prow's generic comment events, `created` only.
fn created_comment(event: &Event) -> Option<Comment<'_>> {
    match event {
        Event::IssueComment(e) if e.action == CommentAction::Created => Some(Comment {
            org: &e.repository.owner.login,
            repo: &e.repository.name,
            number: e.issue.number,
            body: &e.comment.body,
            html_url: &e.comment.html_url,
            author: &e.comment.user.login,
        }),
        Event::PullRequestReviewComment(e) if e.action == CommentAction::Created => Some(Comment {
            org: &e.repository.owner.login,
            repo: &e.repository.name,
            number: e.pull_request.number,
            body: &e.comment.body,
            html_url: &e.comment.html_url,
            author: &e.comment.user.login,
        }),
        Event::PullRequestReview(e) if e.action == ReviewAction::Submitted => Some(Comment {
            org: &e.repository.owner.login,
            repo: &e.repository.name,
            number: e.pull_request.number,
            body: e.review.body.as_deref().unwrap_or_default(),
            html_url: &e.review.html_url,
            author: &e.review.user.login,
        }),
        _ => None,
    }
}

#[derive(Debug, Deserialize)]
struct CatResult {
    #[serde(default)]
    url: String,
}

#[derive(Debug, Default)]
struct CachedKey {
    key: String,
    read_at: Option<Instant>,
}

/// The `cat` plugin.
#[derive(Debug)]
pub struct Cat {
    endpoint: String,
    config: CatConfig,
    http: Option<HttpsClient>,
    key: Mutex<CachedKey>,
}

impl Cat {
    /// A cat plugin asking `endpoint` (Prow's default: [`DEFAULT_ENDPOINT`]) with `config`.
    pub fn new(endpoint: impl Into<String>, config: CatConfig) -> Self {
        Cat {
            endpoint: endpoint.into(),
            config,
            http: HttpsClient::new(Duration::from_secs(10), MAX_API_RESPONSE_BYTES)
                .inspect_err(|e| tracing::error!(error = %e, "cat: no HTTP client"))
                .ok(),
            key: Mutex::new(CachedKey::default()),
        }
    }

    /// The API key, re-read from `key_path` at most once a minute.
    fn key(&self) -> String {
        let mut cached = self
            .key
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let fresh = cached
            .read_at
            .is_some_and(|at| at.elapsed() < Duration::from_secs(60));
        if !fresh {
            cached.read_at = Some(Instant::now());
            cached.key = match &self.config.key_path {
                None => String::new(),
                Some(path) => match std::fs::read_to_string(path) {
                    Ok(text) => text.trim().to_string(),
                    Err(err) => {
                        tracing::error!(path = %path.display(), error = %err, "cat: cannot read the API key");
                        String::new()
                    }
                },
            };
        }
        cached.key.clone()
    }

    /// Fetches one image URL and formats it as markdown.
    async fn read_cat(&self, command: &MeowCommand) -> Result<String, String> {
        let image = if GRUMPY.is_match(&command.category) {
            GRUMPY_IMAGE.to_string()
        } else {
            let http = self.http.as_ref().ok_or("cat: no HTTP client")?;
            let url = api_url(&self.endpoint, command, &self.key());
            let redacted = api_url(&self.endpoint, command, "");
            let response = http
                .get(&url)
                .await
                .map_err(|e| format!("could not read cat from {redacted}: {e}"))?;
            if !response.status.is_success() {
                return Err(format!(
                    "failing {} response from {redacted}",
                    response.status.as_u16()
                ));
            }
            let cats: Vec<CatResult> = serde_json::from_slice(&response.body)
                .map_err(|e| format!("invalid answer from {redacted}: {e}"))?;
            let first = cats
                .into_iter()
                .next()
                .ok_or_else(|| format!("no cats in response from {redacted}"))?;
            if first.url.is_empty() {
                return Err(format!("no image url in response from {redacted}"));
            }
            check_image_size(http, &first.url).await?;
            first.url
        };
        if !(image.starts_with("https://") || image.starts_with("http://")) || image.contains(')') {
            return Err(format!("invalid image url {image}"));
        }
        Ok(format!("![cat image]({image})"))
    }
}

/// Prow's `github.ImageTooBig`: GitHub does not show images above 5 MiB; the size comes
/// from a `HEAD` request's `Content-Length`, and anything but a 200 answer is refused too.
async fn check_image_size(http: &HttpsClient, image: &str) -> Result<(), String> {
    let response = http
        .head(image)
        .await
        .map_err(|e| format!("could not validate image size {image}: {e}"))?;
    if response.status != http::StatusCode::OK {
        return Err(format!(
            "could not validate image size {image}: failing {} response",
            response.status.as_u16()
        ));
    }
    let size = response
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0);
    if size > GITHUB_IMAGE_SIZE_LIMIT {
        return Err(format!("longcat is too long: {image}"));
    }
    Ok(())
}

#[async_trait]
impl Plugin for Cat {
    fn name(&self) -> &'static str {
        "cat"
    }

    fn help(&self, _config: &Loaded, _org_repo: Option<&str>) -> PluginHelp {
        let key = self
            .config
            .key_path
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        PluginHelp {
            description: "The cat plugin adds a cat image to an issue or PR in response to the `/meow` command.".into(),
            config: Some(format!(
                "The cat plugin uses an api key for thecatapi.com stored in {key}."
            )),
            commands: vec![CommandHelp {
                usage: "/meow(vie) [CATegory]".into(),
                description: "Add a cat image to the issue or PR".into(),
                who_can_use: "Anyone".into(),
                examples: vec![
                    "/meow".into(),
                    "/meow caturday".into(),
                    "/meowvie clothes".into(),
                ],
            }],
        }
    }

    async fn handle(
        &self,
        services: &Services,
        delivery: &Delivery<'_>,
    ) -> Result<(), PluginError> {
        let Some(comment) = created_comment(delivery.event) else {
            return Ok(());
        };
        let Some(command) = parse_meow(comment.body) else {
            return Ok(());
        };
        let mut last_error = String::new();
        for _ in 0..3 {
            match self.read_cat(&command).await {
                Ok(markdown) => {
                    let body =
                        format_response(comment.body, comment.html_url, comment.author, &markdown);
                    services
                        .github
                        .create_issue_comment(comment.org, comment.repo, comment.number, &body)
                        .await
                        .map_err(|e| PluginError::new(format!("comment the cat: {e}")))?;
                    return Ok(());
                }
                Err(err) => {
                    tracing::warn!(error = %err, "cat: failed to get a cat image");
                    last_error = err;
                }
            }
        }
        let message = if command.category.is_empty() {
            "https://thecatapi.com appears to be down"
        } else {
            "Bad category. Please see https://api.thecatapi.com/api/categories/list"
        };
        let body = format_response(comment.body, comment.html_url, comment.author, message);
        if let Err(err) = services
            .github
            .create_issue_comment(comment.org, comment.repo, comment.number, &body)
            .await
        {
            tracing::error!(error = %err, "cat: failed to leave the comment");
        }
        Err(PluginError::new(format!(
            "could not find a valid cat image: {last_error}"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meow_commands_table() {
        let cases = [
            ("/meow", Some(("", false))),
            ("/MEOW", Some(("", false))),
            ("/meowvie", Some(("", true))),
            ("/meow caturday", Some(("caturday", false))),
            ("/meowvie clothes  ", Some(("clothes", true))),
            ("please\n/meow grumpy\nthanks", Some(("grumpy", false))),
            ("I said /meow", None),
            ("/meowing", None),
            ("/woof", None),
        ];
        for (body, want) in cases {
            let got = parse_meow(body);
            let want = want.map(|(category, movie)| MeowCommand {
                category: category.to_string(),
                movie,
            });
            assert_eq!(got, want, "{body:?}");
        }
    }

    #[test]
    fn api_urls_as_prow() {
        let plain = MeowCommand {
            category: String::new(),
            movie: false,
        };
        let themed = MeowCommand {
            category: "space cats".into(),
            movie: true,
        };
        assert_eq!(api_url("http://c/?a=1", &plain, ""), "http://c/?a=1");
        assert_eq!(
            api_url("http://c/?a=1", &themed, "k&y"),
            "http://c/?a=1&category=space+cats&api_key=k%26y&mime_types=gif"
        );
    }

    #[test]
    fn response_quotes_the_comment() {
        let text = format_response("/meow\nplease", "https://h/c/1", "alice", "![cat image](u)");
        assert!(
            text.starts_with("@alice: ![cat image](u)\n\n<details>"),
            "{text}"
        );
        assert!(
            text.contains("In response to [this](https://h/c/1):\n\n>/meow\n>please\n"),
            "{text}"
        );
    }

    #[test]
    fn cat_section_of_plugins_yaml() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("plugins.yaml");
        std::fs::write(
            &path,
            "plugins:\n  o: [cat]\ncat:\n  key_path: /etc/cat-api/api-key\n",
        )
        .expect("write");
        assert_eq!(
            CatConfig::from_plugins_file(&path).expect("reads"),
            CatConfig {
                key_path: Some("/etc/cat-api/api-key".into())
            }
        );
        std::fs::write(&path, "plugins:\n  o: [cat]\n").expect("write");
        assert_eq!(
            CatConfig::from_plugins_file(&path).expect("reads"),
            CatConfig::default()
        );
    }
}
