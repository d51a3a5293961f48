//! Every recorded real webhook payload in prow-testkit parses into our event types.

use std::path::Path;

use prow_github::webhook::Event;
use prow_github::webhook::events::{CommentAction, PullRequestAction};

fn payload_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../prow-testkit/testdata/webhooks")
}

#[test]
fn every_recorded_payload_parses() {
    let mut parsed = 0;
    for event_dir in std::fs::read_dir(payload_dir()).expect("payload directory exists") {
        let event_dir = event_dir.expect("dir entry").path();
        if !event_dir.is_dir() {
            continue;
        }
        let event_type = event_dir
            .file_name()
            .and_then(|n| n.to_str())
            .expect("utf-8 name")
            .to_string();
        for file in std::fs::read_dir(&event_dir).expect("readable") {
            let file = file.expect("dir entry").path();
            if file.extension().and_then(|e| e.to_str()) != Some("json") {
                continue;
            }
            let body = std::fs::read(&file).expect("readable payload");
            let event = Event::parse(&event_type, &body)
                .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            assert!(
                !matches!(event, Event::Unsupported(_)),
                "{}: recorded event type {event_type} must be supported",
                file.display()
            );
            assert_eq!(event.kind(), event_type);
            let repository = event
                .repository()
                .expect("every recorded event has a repository");
            assert!(!repository.full_name.is_empty(), "{}", file.display());
            parsed += 1;
        }
    }
    assert!(
        parsed >= 10,
        "expected the recorded payloads, parsed {parsed}"
    );
}

fn read(event: &str, action: &str) -> Vec<u8> {
    std::fs::read(payload_dir().join(event).join(format!("{action}.json"))).expect("payload")
}

#[test]
fn recorded_payload_fields() {
    let Event::PullRequest(opened) =
        Event::parse("pull_request", &read("pull_request", "opened")).expect("parses")
    else {
        panic!("not a pull_request event");
    };
    assert_eq!(opened.action, PullRequestAction::Opened);
    assert_eq!(opened.number, opened.pull_request.number);
    assert!(!opened.pull_request.head.sha.is_empty());
    assert!(!opened.pull_request.base.git_ref.is_empty());
    assert!(!opened.pull_request.user.login.is_empty());

    let Event::PullRequest(labeled) =
        Event::parse("pull_request", &read("pull_request", "labeled")).expect("parses")
    else {
        panic!("not a pull_request event");
    };
    assert_eq!(labeled.action, PullRequestAction::Labeled);
    assert!(labeled.label.is_some(), "labeled events carry the label");

    let Event::IssueComment(comment) =
        Event::parse("issue_comment", &read("issue_comment", "created")).expect("parses")
    else {
        panic!("not an issue_comment event");
    };
    assert_eq!(comment.action, CommentAction::Created);
    assert!(!comment.comment.user.login.is_empty());

    let Event::Push(push) = Event::parse("push", &read("push", "branch")).expect("parses") else {
        panic!("not a push event");
    };
    assert!(push.branch().is_some(), "ref {} is a branch", push.git_ref);
    assert_eq!(push.after.len(), 40);
}

#[test]
fn recorded_ping_parses() {
    let Event::Ping(ping) = Event::parse("ping", &read("ping", "ping")).expect("parses") else {
        panic!("not a ping event");
    };
    assert!(ping.hook_id > 0);
    assert!(!ping.zen.is_empty());
}
