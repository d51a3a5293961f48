//! The PR comment saying what was updated, in Prow's words.

use super::plan::{ConfigMapId, KeyUpdate};

/// Prow's `plugins.AboutThisBotWithoutCommands`.
pub const ABOUT_THIS_BOT: &str = "Instructions for interacting with me using PR comments are available [here](https://git.k8s.io/community/contributors/guide/pull-requests.md).  If you have questions or suggestions related to my behavior, please file an issue against the [kubernetes-sigs/prow](https://github.com/kubernetes-sigs/prow/issues/new?title=Prow%20issue:) repository.";

/// One updated ConfigMap in Prow's words: "`name` configmap in namespace `ns` at cluster
/// `c` using the following files:" and a "- key `k` using file `f`" line per update (an
/// empty file name for a deleted key, as Prow writes it).
pub fn describe_update(id: &ConfigMapId, updates: &[KeyUpdate], indent: &str) -> String {
    let mut identifier = format!("`{}` configmap", id.name);
    if !id.namespace.is_empty() {
        identifier = format!("{identifier} in namespace `{}`", id.namespace);
    }
    if !id.cluster.is_empty() {
        identifier = format!("{identifier} at cluster `{}`", id.cluster);
    }
    let mut message = format!("{identifier} using the following files:");
    for update in updates {
        message.push_str(&format!(
            "\n{indent}- key `{}` using file `{}`",
            update.key,
            update.filename.as_deref().unwrap_or("")
        ));
    }
    message
}

/// The comment body for the updated ConfigMaps (already described with
/// [`describe_update`]); `None` when nothing was updated.
pub fn updated_message(descriptions: &[String]) -> Option<String> {
    match descriptions {
        [] => None,
        [one] => Some(format!("Updated the {one}")),
        many => {
            let mut message = format!("Updated the following {} configmaps:\n", many.len());
            for description in many {
                message.push_str(&format!(" * {description}\n"));
            }
            Some(message)
        }
    }
}

/// The indent of the key lines: sub-bullets need three spaces when several ConfigMaps are
/// listed.
pub fn key_indent(configmaps: usize) -> &'static str {
    if configmaps > 1 { "   " } else { " " }
}

/// Prow's `plugins.FormatResponseRaw`: mentions `login`, says `reply`, and quotes the PR body
/// (linked by `url`) in a details block.
pub fn format_response_raw(body: &str, url: &str, login: &str, reply: &str) -> String {
    let quoted: Vec<String> = body.split('\n').map(|line| format!(">{line}")).collect();
    let reason = format!("In response to [this]({url}):\n\n{}\n", quoted.join("\n"));
    format!("@{login}: {reply}\n\n<details>\n\n{reason}\n\n{ABOUT_THIS_BOT}\n</details>")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(name: &str) -> ConfigMapId {
        ConfigMapId {
            cluster: "default".into(),
            namespace: "prow".into(),
            name: name.into(),
        }
    }

    fn updates() -> Vec<KeyUpdate> {
        vec![
            KeyUpdate {
                key: "config.yaml".into(),
                filename: Some("config/prow/config.yaml".into()),
                gzip: false,
            },
            KeyUpdate {
                key: "old.yaml".into(),
                filename: None,
                gzip: false,
            },
        ]
    }

    #[test]
    fn one_configmap() {
        let description = describe_update(&id("config"), &updates(), key_indent(1));
        assert_eq!(
            updated_message(&[description]).as_deref(),
            Some(
                "Updated the `config` configmap in namespace `prow` at cluster `default` using the following files:\n - key `config.yaml` using file `config/prow/config.yaml`\n - key `old.yaml` using file ``"
            )
        );
    }

    #[test]
    fn several_configmaps() {
        let indent = key_indent(2);
        let descriptions = [
            describe_update(&id("config"), &updates()[..1], indent),
            describe_update(&id("plugins"), &updates()[..1], indent),
        ];
        assert_eq!(
            updated_message(&descriptions).as_deref(),
            Some(
                "Updated the following 2 configmaps:\n * `config` configmap in namespace `prow` at cluster `default` using the following files:\n   - key `config.yaml` using file `config/prow/config.yaml`\n * `plugins` configmap in namespace `prow` at cluster `default` using the following files:\n   - key `config.yaml` using file `config/prow/config.yaml`\n"
            )
        );
        assert_eq!(updated_message(&[]), None);
    }

    #[test]
    fn response_quotes_the_pr_body() {
        let got = format_response_raw("line one\nline two", "https://x/pull/1", "alice", "Done");
        assert_eq!(
            got,
            format!(
                "@alice: Done\n\n<details>\n\nIn response to [this](https://x/pull/1):\n\n>line one\n>line two\n\n\n{ABOUT_THIS_BOT}\n</details>"
            )
        );
    }
}
