//! Webhook deliveries as GitHub sends them, checked by a tiny receiver on 127.0.0.1 that
//! verifies the HMAC over the raw body before looking at anything else.

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use hmac::{Hmac, Mac};
use prow_testkit::webhook::{PAYLOADS, PayloadEdit, WebhookSender, payload, signature_256};
use serde_json::Value;

const SECRET: &[u8] = b"It's a Secret to Everybody";

#[derive(Debug, Clone)]
struct Delivery {
    headers: HeaderMap,
    body: Bytes,
}

type Received = Arc<Mutex<Vec<Delivery>>>;

/// Verifies `X-Hub-Signature-256` over the raw bytes with a constant-time comparison, the
/// way a real receiver (prow-rs hook) must.
fn signature_valid(headers: &HeaderMap, body: &[u8]) -> bool {
    let Some(hex_mac) = headers
        .get("x-hub-signature-256")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("sha256="))
    else {
        return false;
    };
    let Ok(expected) = hex::decode(hex_mac) else {
        return false;
    };
    let Ok(mut mac) = <Hmac<sha2::Sha256> as Mac>::new_from_slice(SECRET) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

async fn receive(State(received): State<Received>, headers: HeaderMap, body: Bytes) -> StatusCode {
    if !signature_valid(&headers, &body) {
        return StatusCode::FORBIDDEN;
    }
    received
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push(Delivery { headers, body });
    StatusCode::OK
}

async fn start_receiver() -> (String, Received, tokio::task::JoinHandle<()>) {
    let received: Received = Arc::default();
    let app = axum::Router::new()
        .route("/hook", axum::routing::post(receive))
        .with_state(Arc::clone(&received));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind receiver");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.expect("serve receiver");
    });
    (url, received, task)
}

fn text(headers: &HeaderMap, name: &str) -> String {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

fn is_uuid_v4(id: &str) -> bool {
    let parts: Vec<&str> = id.split('-').collect();
    parts.iter().map(|p| p.len()).eq([8, 4, 4, 4, 12])
        && parts
            .iter()
            .all(|p| p.chars().all(|c| c.is_ascii_hexdigit()))
        && parts[2].starts_with('4')
}

#[test]
fn signature_matches_github_documented_vector() {
    assert_eq!(
        signature_256(b"It's a Secret to Everybody", b"Hello, World!"),
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    );
}

#[tokio::test]
async fn recorded_payload_arrives_with_githubs_headers_and_valid_hmac() {
    let (url, received, task) = start_receiver().await;
    let sender = WebhookSender::new(url.as_str(), SECRET);
    let body = payload("pull_request", "opened").expect("recorded payload");

    let response = sender.send("pull_request", body).await.expect("deliver");
    assert_eq!(response.status(), reqwest::StatusCode::OK);

    let deliveries = received.lock().expect("lock").clone();
    assert_eq!(deliveries.len(), 1);
    let delivery = &deliveries[0];
    assert_eq!(delivery.body.as_ref(), body, "body is sent byte for byte");
    let h = &delivery.headers;
    assert_eq!(text(h, "content-type"), "application/json");
    assert!(text(h, "user-agent").starts_with("GitHub-Hookshot/"));
    assert_eq!(text(h, "x-github-event"), "pull_request");
    assert!(
        is_uuid_v4(&text(h, "x-github-delivery")),
        "{}",
        text(h, "x-github-delivery")
    );
    assert!(text(h, "x-github-hook-id").parse::<u64>().is_ok());
    assert_eq!(
        text(h, "x-github-hook-installation-target-type"),
        "repository"
    );
    assert!(
        text(h, "x-github-hook-installation-target-id")
            .parse::<u64>()
            .is_ok()
    );
    assert_eq!(text(h, "x-hub-signature-256"), signature_256(SECRET, body));
    assert!(text(h, "x-hub-signature").starts_with("sha1="));
    task.abort();
}

#[tokio::test]
async fn wrong_secret_is_rejected_by_the_receiver() {
    let (url, received, task) = start_receiver().await;
    let sender = WebhookSender::new(url.as_str(), b"not the secret".to_vec());
    let response = sender
        .send("push", payload("push", "branch").expect("payload"))
        .await
        .expect("deliver");
    assert_eq!(response.status(), reqwest::StatusCode::FORBIDDEN);
    assert!(received.lock().expect("lock").is_empty());
    task.abort();
}

#[tokio::test]
async fn every_recorded_payload_and_an_edited_one_are_delivered() {
    let (url, received, task) = start_receiver().await;
    let sender = WebhookSender::new(url.as_str(), SECRET).with_hook(42, "organization", 7);
    for (event, _, bytes) in PAYLOADS {
        let response = sender.send(event, *bytes).await.expect("deliver");
        assert_eq!(response.status(), reqwest::StatusCode::OK, "{event}");
    }
    let edited = PayloadEdit::new(payload("issue_comment", "created").expect("payload"))
        .expect("json")
        .repo("prow-rs-demo", "hello")
        .number(1)
        .comment_body("/ok-to-test")
        .sender("alice")
        .on_pull_request()
        .into_bytes()
        .expect("bytes");
    sender.send("issue_comment", edited).await.expect("deliver");

    let deliveries = received.lock().expect("lock").clone();
    assert_eq!(deliveries.len(), PAYLOADS.len() + 1);
    let ids: std::collections::HashSet<String> = deliveries
        .iter()
        .map(|d| text(&d.headers, "x-github-delivery"))
        .collect();
    assert_eq!(ids.len(), deliveries.len(), "delivery ids are unique");
    let last = deliveries.last().expect("edited delivery");
    assert_eq!(text(&last.headers, "x-github-hook-id"), "42");
    assert_eq!(
        text(&last.headers, "x-github-hook-installation-target-type"),
        "organization"
    );
    let value: Value = serde_json::from_slice(&last.body).expect("json");
    assert_eq!(value["comment"]["body"], "/ok-to-test");
    assert_eq!(value["repository"]["full_name"], "prow-rs-demo/hello");
    assert!(value["issue"]["pull_request"].is_object());
    task.abort();
}

#[tokio::test]
async fn header_names_go_out_in_title_case() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    let server = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.expect("accept");
        let mut head = Vec::new();
        let mut buffer = [0_u8; 4096];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            let read = socket.read(&mut buffer).await.expect("read");
            if read == 0 {
                break;
            }
            head.extend_from_slice(&buffer[..read]);
        }
        socket
            .write_all(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n")
            .await
            .expect("write");
        String::from_utf8_lossy(&head).into_owned()
    });
    let sender = WebhookSender::new(url.as_str(), SECRET);
    sender.send("ping", b"{}".to_vec()).await.expect("deliver");
    let head = server.await.expect("server task");
    assert!(head.starts_with("POST /hook HTTP/1.1\r\n"), "{head}");
    for line in [
        "Content-Type: application/json\r\n",
        "X-Github-Event: ping\r\n",
        &format!("X-Hub-Signature-256: {}\r\n", signature_256(SECRET, b"{}")),
    ] {
        assert!(head.contains(line), "missing {line:?} in {head}");
    }
}
