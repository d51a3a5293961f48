//! Real recorded GitHub webhook payloads (see `testdata/webhooks/README.md`) and a small
//! editor to point them at another org, repository, number, sha or comment.

use serde_json::{Value, json};

use super::WebhookError;

macro_rules! recorded {
    ($event:literal, $name:literal) => {
        (
            $event,
            $name,
            include_bytes!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/testdata/webhooks/",
                $event,
                "/",
                $name,
                ".json"
            ))
            .as_slice(),
        )
    };
}

/// Every recorded payload as (event type, name, raw bytes). The name is the action, or a
/// variant for events without one (`push`/`branch`, `status`/`success`, `ping`/`ping`).
pub const PAYLOADS: &[(&str, &str, &[u8])] = &[
    recorded!("pull_request", "opened"),
    recorded!("pull_request", "synchronize"),
    recorded!("pull_request", "labeled"),
    recorded!("pull_request", "unlabeled"),
    recorded!("pull_request", "closed"),
    recorded!("pull_request", "reopened"),
    recorded!("pull_request", "review_requested"),
    recorded!("issue_comment", "created"),
    recorded!("issue_comment", "edited"),
    recorded!("issue_comment", "deleted"),
    recorded!("issues", "opened"),
    recorded!("issues", "labeled"),
    recorded!("pull_request_review", "submitted"),
    recorded!("pull_request_review", "dismissed"),
    recorded!("pull_request_review_comment", "created"),
    recorded!("push", "branch"),
    recorded!("status", "success"),
    recorded!("check_run", "created"),
    recorded!("check_run", "completed"),
    recorded!("ping", "ping"),
];

/// The raw bytes of a recorded payload, exactly as stored.
pub fn payload(event: &str, name: &str) -> Result<&'static [u8], WebhookError> {
    PAYLOADS
        .iter()
        .find(|(e, n, _)| *e == event && *n == name)
        .map(|(_, _, bytes)| *bytes)
        .ok_or_else(|| WebhookError::UnknownPayload {
            event: event.to_string(),
            name: name.to_string(),
        })
}

/// Edits a payload's identifying fields and keeps every other field as recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct PayloadEdit {
    value: Value,
}

/// Paths of repository objects inside the payloads.
const REPO_POINTERS: [&str; 3] = [
    "/repository",
    "/pull_request/base/repo",
    "/pull_request/head/repo",
];

impl PayloadEdit {
    /// Parses a payload.
    pub fn new(bytes: &[u8]) -> Result<Self, WebhookError> {
        Ok(Self {
            value: serde_json::from_slice(bytes)?,
        })
    }

    /// Moves the event to `owner/name`: the repository objects' `name`, `full_name` and
    /// `owner.login`, `organization.login` when present, and every URL that contained the
    /// old `owner/name`.
    pub fn repo(mut self, owner: &str, name: &str) -> Self {
        let old = self.value["repository"]["full_name"]
            .as_str()
            .map(str::to_string);
        let new = format!("{owner}/{name}");
        if let Some(old) = old {
            replace_in_strings(&mut self.value, &format!("/{old}/"), &format!("/{new}/"));
            replace_in_strings(&mut self.value, &format!("/{old}"), &format!("/{new}"));
        }
        for pointer in REPO_POINTERS {
            if let Some(repo) = self.value.pointer_mut(pointer).filter(|r| r.is_object()) {
                repo["name"] = json!(name);
                repo["full_name"] = json!(new);
                if repo["owner"].is_object() {
                    repo["owner"]["login"] = json!(owner);
                }
            }
        }
        if self.value["organization"].is_object() {
            self.value["organization"]["login"] = json!(owner);
        }
        self
    }

    /// Sets the pull request or issue number (`number`, `pull_request.number`,
    /// `issue.number`).
    pub fn number(mut self, number: u64) -> Self {
        for pointer in ["/number", "/pull_request/number", "/issue/number"] {
            self = self.set_existing(pointer, json!(number));
        }
        self
    }

    /// Sets the head commit: `pull_request.head.sha`, `check_run.head_sha`,
    /// `check_run.check_suite.head_sha`, `sha` (status) and `after` (push).
    pub fn head_sha(mut self, sha: &str) -> Self {
        for pointer in [
            "/pull_request/head/sha",
            "/check_run/head_sha",
            "/check_run/check_suite/head_sha",
            "/sha",
            "/after",
        ] {
            self = self.set_existing(pointer, json!(sha));
        }
        self
    }

    /// Sets `comment.body` (issue_comment) or `review.body` (pull_request_review).
    pub fn comment_body(mut self, body: &str) -> Self {
        for pointer in ["/comment/body", "/review/body"] {
            self = self.set_existing(pointer, json!(body));
        }
        self
    }

    /// Sets `sender.login` and the author of the comment or review.
    pub fn sender(mut self, login: &str) -> Self {
        for pointer in ["/sender/login", "/comment/user/login", "/review/user/login"] {
            self = self.set_existing(pointer, json!(login));
        }
        self
    }

    /// Sets `action`.
    pub fn action(self, action: &str) -> Self {
        self.set_existing("/action", json!(action))
    }

    /// Marks an `issue_comment` payload's issue as a pull request, as GitHub does for
    /// comments on pull requests (adds `issue.pull_request` with its URLs).
    pub fn on_pull_request(mut self) -> Self {
        let full = self.value["repository"]["full_name"]
            .as_str()
            .unwrap_or("")
            .to_string();
        let number = self.value["issue"]["number"].as_u64().unwrap_or(0);
        if self.value["issue"].is_object() {
            self.value["issue"]["pull_request"] = json!({
                "url": format!("https://api.github.com/repos/{full}/pulls/{number}"),
                "html_url": format!("https://github.com/{full}/pull/{number}"),
                "diff_url": format!("https://github.com/{full}/pull/{number}.diff"),
                "patch_url": format!("https://github.com/{full}/pull/{number}.patch"),
            });
        }
        self
    }

    /// Replaces the value at a JSON pointer (RFC 6901) if it exists, or inserts it when the
    /// parent object exists; otherwise leaves the payload unchanged.
    pub fn set(mut self, pointer: &str, value: Value) -> Self {
        if let Some(slot) = self.value.pointer_mut(pointer) {
            *slot = value;
        } else if let Some((parent, key)) = pointer.rsplit_once('/')
            && let Some(object) = self
                .value
                .pointer_mut(parent)
                .and_then(Value::as_object_mut)
        {
            object.insert(key.replace("~1", "/").replace("~0", "~"), value);
        }
        self
    }

    fn set_existing(mut self, pointer: &str, value: Value) -> Self {
        if let Some(slot) = self.value.pointer_mut(pointer) {
            *slot = value;
        }
        self
    }

    /// The edited document.
    pub fn value(&self) -> &Value {
        &self.value
    }

    /// Serializes the edited payload.
    pub fn into_bytes(self) -> Result<Vec<u8>, WebhookError> {
        Ok(serde_json::to_vec(&self.value)?)
    }
}

fn replace_in_strings(value: &mut Value, from: &str, to: &str) {
    match value {
        Value::String(text) if text.contains(from) => *text = text.replace(from, to),
        Value::Array(items) => items
            .iter_mut()
            .for_each(|item| replace_in_strings(item, from, to)),
        Value::Object(map) => map
            .values_mut()
            .for_each(|item| replace_in_strings(item, from, to)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_recorded_payload_parses_and_names_its_action() {
        for (event, name, bytes) in PAYLOADS {
            let value: Value = serde_json::from_slice(bytes).expect("recorded payload is JSON");
            assert!(value["repository"].is_object(), "{event}/{name}");
            if let Some(action) = value["action"].as_str() {
                assert_eq!(action, *name, "{event}/{name}");
            }
        }
    }

    #[test]
    fn unknown_payload_is_an_error() {
        assert!(payload("pull_request", "teleported").is_err());
        assert!(payload("pull_request", "opened").is_ok());
    }

    #[test]
    fn repo_number_sha_edits() {
        let edited = PayloadEdit::new(payload("pull_request", "opened").expect("recorded"))
            .expect("json")
            .repo("prow-rs-demo", "hello")
            .number(7)
            .head_sha("abc123");
        let v = edited.value();
        assert_eq!(v["repository"]["full_name"], "prow-rs-demo/hello");
        assert_eq!(v["repository"]["owner"]["login"], "prow-rs-demo");
        assert_eq!(
            v["pull_request"]["base"]["repo"]["full_name"],
            "prow-rs-demo/hello"
        );
        assert_eq!(v["number"], 7);
        assert_eq!(v["pull_request"]["number"], 7);
        assert_eq!(v["pull_request"]["head"]["sha"], "abc123");
        let url = v["repository"]["html_url"].as_str().unwrap_or("");
        assert!(url.ends_with("/prow-rs-demo/hello"), "{url}");
        // Untouched fields keep their recorded values.
        assert_eq!(
            v["pull_request"]["title"],
            "Update the README with new information."
        );
    }

    #[test]
    fn comment_edits_and_pull_request_marker() {
        let edited = PayloadEdit::new(payload("issue_comment", "created").expect("recorded"))
            .expect("json")
            .comment_body("/lgtm")
            .sender("alice")
            .on_pull_request();
        let v = edited.value();
        assert_eq!(v["comment"]["body"], "/lgtm");
        assert_eq!(v["sender"]["login"], "alice");
        assert_eq!(v["comment"]["user"]["login"], "alice");
        assert!(v["issue"]["pull_request"]["url"].is_string());
    }

    #[test]
    fn set_inserts_under_existing_parent_only() {
        let edited = PayloadEdit::new(br#"{"a":{"b":1}}"#)
            .expect("json")
            .set("/a/c", json!(2))
            .set("/x/y", json!(3));
        assert_eq!(edited.value(), &json!({"a": {"b": 1, "c": 2}}));
    }
}
