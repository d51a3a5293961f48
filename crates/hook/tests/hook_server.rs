//! hook's HTTP front end against real components: the hook router served on 127.0.0.1, the
//! local control plane, the fake GitHub server, a local cat API, and signed recorded payloads.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use hook::config_watch::ConfigWatch;
use hook::dispatch::Dispatcher;
use hook::metrics::HookMetrics;
use hook::plugin::{Delivery, Plugin, PluginError, PluginHelp, Services};
use hook::plugins::cat::{Cat, CatConfig};
use hook::registry::PluginRegistry;
use hook::server::{self, HookOptions, PluginHelpResponse};
use kube::Api;
use kube::api::ListParams;
use prow_api::ProwJob;
use prow_config::{LoadOptions, Loaded};
use prow_github::webhook::HmacSecrets;
use prow_github::{ClientConfig, Credentials, GitHubClient, Secret};
use prow_testkit::control_plane::ControlPlane;
use prow_testkit::fake_github::FakeGitHub;
use prow_testkit::webhook::{PayloadEdit, WebhookSender, delivery_headers, payload};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

const SECRET: &[u8] = b"hook-test-secret";
/// Path of the cat image the local cat API serves (its `HEAD` is the size check).
const CAT_IMAGE_PATH: &str = "/images/hook-test.jpg";

/// A test-only plugin that counts the deliveries it saw, and fails or panics if asked to.
struct TestPlugin {
    name: &'static str,
    behaviour: Behaviour,
    seen: Arc<Mutex<Vec<String>>>,
}

#[derive(Clone, Copy)]
enum Behaviour {
    Record,
    Fail,
    Panic,
    Hang,
}

#[async_trait]
impl Plugin for TestPlugin {
    fn name(&self) -> &'static str {
        self.name
    }
    fn help(&self, _config: &Loaded, _org_repo: Option<&str>) -> PluginHelp {
        PluginHelp {
            description: format!("test plugin {}", self.name),
            config: None,
            commands: Vec::new(),
        }
    }
    async fn handle(
        &self,
        _services: &Services,
        delivery: &Delivery<'_>,
    ) -> Result<(), PluginError> {
        self.seen
            .lock()
            .expect("lock")
            .push(delivery.delivery_id.to_string());
        match self.behaviour {
            Behaviour::Record => Ok(()),
            Behaviour::Fail => Err(PluginError::new("this plugin always fails")),
            Behaviour::Panic => panic!("this plugin always panics"),
            Behaviour::Hang => std::future::pending().await,
        }
    }
}

struct Harness {
    url: String,
    github: FakeGitHub,
    namespace: String,
    kube: kube::Client,
    metrics: HookMetrics,
    shutdown: CancellationToken,
    server: JoinHandle<std::io::Result<()>>,
    workers: JoinHandle<()>,
    cat_api_calls: Arc<AtomicUsize>,
    cat_image: String,
    _dir: tempfile::TempDir,
}

impl Harness {
    /// Stops accepting, then waits until every accepted event has been handled.
    async fn drain(mut self) -> Self {
        self.shutdown.cancel();
        (&mut self.server)
            .await
            .expect("server task")
            .expect("server");
        tokio::time::timeout(Duration::from_secs(60), &mut self.workers)
            .await
            .expect("workers drain")
            .expect("workers task");
        self
    }

    async fn prowjobs(&self) -> usize {
        Api::<ProwJob>::namespaced(self.kube.clone(), &self.namespace)
            .list(&ListParams::default())
            .await
            .expect("list prowjobs")
            .items
            .len()
    }

    fn comments(&self) -> Vec<String> {
        self.github
            .writes()
            .into_iter()
            .filter(|w| w.method == "POST" && w.path.ends_with("/comments"))
            .map(|w| w.body.to_string())
            .collect()
    }
}

/// A local cat API that also serves the image it answers with. Returns the API endpoint,
/// the image URL and the count of searches.
async fn start_cat_api() -> (String, String, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind cat api");
    let addr = listener.local_addr().expect("addr");
    let image = format!("http://{addr}{CAT_IMAGE_PATH}");
    let answer = serde_json::json!([{ "id": "x", "url": image }]);
    let app = axum::Router::new()
        .route(
            "/v1/images/search",
            axum::routing::get(move || {
                counter.fetch_add(1, Ordering::SeqCst);
                let answer = answer.clone();
                async move { axum::Json(answer) }
            }),
        )
        .route(
            CAT_IMAGE_PATH,
            axum::routing::get(|| async { "not really a jpeg" }),
        );
    tokio::spawn(async move { axum::serve(listener, app).await });
    (
        format!("http://{addr}/v1/images/search?format=json&results_per_page=1"),
        image,
        calls,
    )
}

async fn start(extra: Vec<Arc<dyn Plugin>>, plugins: &str) -> Harness {
    start_with(extra, plugins, Setup::default()).await
}

/// Knobs of one test's hook.
struct Setup {
    plugin_timeout: Duration,
    grace: Duration,
    options: HookOptions,
}

impl Default for Setup {
    fn default() -> Self {
        Setup {
            plugin_timeout: Duration::from_secs(30),
            grace: Duration::MAX,
            options: HookOptions::default(),
        }
    }
}

async fn start_with(extra: Vec<Arc<dyn Plugin>>, plugins: &str, setup: Setup) -> Harness {
    let Setup {
        plugin_timeout,
        grace,
        options,
    } = setup;
    let control_plane = ControlPlane::shared().await;
    let namespace = control_plane.test_namespace("hook-server").await;
    let kube = control_plane.client();
    let github = FakeGitHub::start().await.expect("fake github");
    github
        .load_state_file("../prow-testkit/testdata/fake-github/demo-state.json".as_ref())
        .expect("demo state");
    let dir = tempfile::tempdir().expect("tempdir");
    let config_path = dir.path().join("config.yaml");
    let plugins_path = dir.path().join("plugins.yaml");
    std::fs::write(
        &config_path,
        format!(
            "prowjob_namespace: {}\npod_namespace: test-pods\n",
            namespace.name()
        ),
    )
    .expect("write config");
    std::fs::write(&plugins_path, plugins).expect("write plugins");
    let config = ConfigWatch::load(LoadOptions {
        config_path,
        job_config_path: None,
        plugin_config_path: Some(plugins_path),
    })
    .expect("config loads");

    let (cat_endpoint, cat_image, cat_api_calls) = start_cat_api().await;
    let client = GitHubClient::new(
        ClientConfig {
            endpoint: github.url(),
            ..ClientConfig::default()
        },
        Credentials::Token(Secret::new("test-token")),
    )
    .expect("github client");
    let services = Services {
        github: Arc::new(client),
        kube: kube.clone(),
        bot_login: "prow-rs-bot".into(),
        dry_run: false,
    };
    let mut registry = PluginRegistry::new();
    registry.register(Arc::new(Cat::new(cat_endpoint, CatConfig::default())));
    for plugin in extra {
        registry.register(plugin);
    }
    let registry = Arc::new(registry);
    let metrics = HookMetrics::default();
    let dispatcher = Arc::new(Dispatcher::new(
        Arc::clone(&registry),
        services,
        metrics.clone(),
        plugin_timeout,
    ));
    let (router, workers) = server::build(
        HmacSecrets::Single(vec![Secret::new(
            String::from_utf8_lossy(SECRET).into_owned(),
        )]),
        config,
        registry,
        dispatcher,
        metrics.clone(),
        options,
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind hook");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(server::serve(listener, router, shutdown.clone()));
    let grace_token = shutdown.clone();
    let workers = tokio::spawn(async move {
        let _ = workers.run_with_grace(grace_token, grace).await;
    });
    Harness {
        url,
        github,
        namespace: namespace.name().to_string(),
        kube,
        metrics,
        shutdown,
        server,
        workers,
        cat_api_calls,
        cat_image,
        _dir: dir,
    }
}

fn meow_comment() -> Vec<u8> {
    PayloadEdit::new(payload("issue_comment", "created").expect("payload"))
        .expect("edit")
        .repo("prow-rs-demo", "hello")
        .number(1)
        .comment_body("/meow")
        .sender("carol")
        .on_pull_request()
        .into_bytes()
        .expect("bytes")
}

fn recorder(
    name: &'static str,
    behaviour: Behaviour,
) -> (Arc<dyn Plugin>, Arc<Mutex<Vec<String>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let plugin = TestPlugin {
        name,
        behaviour,
        seen: Arc::clone(&seen),
    };
    (Arc::new(plugin), seen)
}

/// GitHub's headers of an `issue_comment` delivery with a chosen id, signed over `body`.
fn signed(id: &str, body: &[u8]) -> Vec<(&'static str, String)> {
    delivery_headers("issue_comment", id, 1, ("repository", 2), SECRET, body)
}

async fn send(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    headers: &[(&'static str, String)],
    body: Vec<u8>,
) -> u16 {
    headers
        .iter()
        .fold(
            client.request(method, format!("{url}/hook")),
            |r, (n, v)| r.header(*n, v),
        )
        .body(body)
        .send()
        .await
        .expect("send")
        .status()
        .as_u16()
}

#[tokio::test]
async fn refused_deliveries_create_nothing_and_a_good_one_is_handled() {
    let (recording, seen) = recorder("recording", Behaviour::Record);
    let harness = start(
        vec![recording],
        "plugins:\n  prow-rs-demo:\n    plugins: [recording]\n  prow-rs-demo/hello: [cat]\n",
    )
    .await;
    let client = reqwest::Client::new();
    let body = meow_comment();
    let good = signed("good-delivery", &body);
    let without = |name: &str| -> Vec<(&'static str, String)> {
        good.iter().filter(|(n, _)| *n != name).cloned().collect()
    };
    let replaced = |name: &'static str, value: &str| {
        let mut headers = without(name);
        headers.push((name, value.to_string()));
        headers
    };
    let mut tampered = body.clone();
    if let Some(last) = tampered.iter().rposition(|b| *b == b'}') {
        tampered.insert(last, b' ');
    }
    let oversized = vec![b' '; server::MAX_BODY_BYTES + 1];
    let oversized_headers = signed("big", &oversized);
    let not_json = b"{ this is not json".to_vec();
    let not_json_headers = signed("bad-json", &not_json);

    /// name, method, headers, body, expected status
    type Case = (
        &'static str,
        reqwest::Method,
        Vec<(&'static str, String)>,
        Vec<u8>,
        u16,
    );
    let cases: Vec<Case> = vec![
        ("GET", reqwest::Method::GET, good.clone(), Vec::new(), 405),
        ("PUT", reqwest::Method::PUT, good.clone(), body.clone(), 405),
        (
            "no event header",
            reqwest::Method::POST,
            without("x-github-event"),
            body.clone(),
            400,
        ),
        (
            "no delivery header",
            reqwest::Method::POST,
            without("x-github-delivery"),
            body.clone(),
            400,
        ),
        (
            "no signature",
            reqwest::Method::POST,
            without("x-hub-signature-256"),
            body.clone(),
            403,
        ),
        (
            "wrong signature",
            reqwest::Method::POST,
            replaced("x-hub-signature-256", "sha256=0000"),
            body.clone(),
            403,
        ),
        (
            "body changed after signing",
            reqwest::Method::POST,
            good.clone(),
            tampered,
            403,
        ),
        (
            "form content type",
            reqwest::Method::POST,
            replaced("content-type", "application/x-www-form-urlencoded"),
            body.clone(),
            400,
        ),
        (
            "signed invalid JSON",
            reqwest::Method::POST,
            not_json_headers,
            not_json,
            400,
        ),
        (
            "oversized body",
            reqwest::Method::POST,
            oversized_headers,
            oversized,
            413,
        ),
    ];
    for (name, method, headers, payload, want) in cases {
        let status = send(&client, method, &harness.url, &headers, payload).await;
        assert_eq!(status, want, "{name}");
    }
    let status = send(&client, reqwest::Method::POST, &harness.url, &good, body).await;
    assert_eq!(status, 200, "the good delivery");

    let harness = harness.drain().await;
    assert_eq!(
        *seen.lock().expect("lock"),
        vec!["good-delivery".to_string()]
    );
    let comments = harness.comments();
    assert_eq!(comments.len(), 1, "one cat comment: {comments:?}");
    assert!(
        comments[0].contains(&format!("![cat image]({})", harness.cat_image)),
        "{}",
        comments[0]
    );
    assert!(comments[0].contains("@carol"), "{}", comments[0]);
    assert_eq!(harness.github.writes().len(), 1);
    assert_eq!(harness.prowjobs().await, 0);
}

#[tokio::test]
async fn the_same_delivery_twice_is_handled_once() {
    let (recording, seen) = recorder("recording", Behaviour::Record);
    let harness = start(
        vec![recording],
        "plugins:\n  prow-rs-demo/hello: [cat, recording]\n",
    )
    .await;
    let client = reqwest::Client::new();
    let body = meow_comment();
    let headers = signed("redelivered-id", &body);
    for attempt in 0..2 {
        let status = send(
            &client,
            reqwest::Method::POST,
            &harness.url,
            &headers,
            body.clone(),
        )
        .await;
        assert_eq!(status, 200, "attempt {attempt}");
    }
    let other = signed("another-id", &body);
    assert_eq!(
        send(&client, reqwest::Method::POST, &harness.url, &other, body).await,
        200
    );
    let harness = harness.drain().await;
    let mut ids = seen.lock().expect("lock").clone();
    ids.sort();
    assert_eq!(
        ids,
        vec!["another-id".to_string(), "redelivered-id".to_string()]
    );
    assert_eq!(harness.comments().len(), 2);
    assert_eq!(harness.metrics.duplicates.get(), 1);
}

#[tokio::test]
async fn a_failing_or_panicking_plugin_does_not_stop_the_others() {
    let (failing, failing_seen) = recorder("failing", Behaviour::Fail);
    let (panicking, panicking_seen) = recorder("panicking", Behaviour::Panic);
    let (recording, seen) = recorder("recording", Behaviour::Record);
    let harness = start(
        vec![failing, panicking, recording],
        "plugins:\n  prow-rs-demo/hello: [failing, panicking, cat, recording, not-a-plugin]\n",
    )
    .await;
    let sender = WebhookSender::new(format!("{}/hook", harness.url), SECRET.to_vec());
    for _ in 0..2 {
        let response = sender
            .send("issue_comment", meow_comment())
            .await
            .expect("send");
        assert_eq!(response.status().as_u16(), 200);
    }
    let harness = harness.drain().await;
    assert_eq!(failing_seen.lock().expect("lock").len(), 2);
    assert_eq!(panicking_seen.lock().expect("lock").len(), 2);
    assert_eq!(seen.lock().expect("lock").len(), 2);
    assert_eq!(harness.comments().len(), 2, "cat answered both");
    assert_eq!(harness.cat_api_calls.load(Ordering::SeqCst), 2);
    assert_eq!(harness.metrics.plugin_failures("failing", "error"), 2);
    assert_eq!(harness.metrics.plugin_failures("panicking", "panic"), 2);
    assert_eq!(harness.metrics.plugin_failures("cat", "error"), 0);
}

#[tokio::test]
async fn plugin_help_lists_plugins_and_their_commands() {
    let (recording, _) = recorder("recording", Behaviour::Record);
    let harness = start(
        vec![recording],
        "plugins:\n  prow-rs-demo: [recording]\n  prow-rs-demo/hello: [cat]\n",
    )
    .await;
    let client = reqwest::Client::new();
    let get = |query: &str| {
        let url = format!("{}/plugin-help{query}", harness.url);
        let client = client.clone();
        async move {
            let response = client.get(url).send().await.expect("get");
            assert_eq!(response.status().as_u16(), 200);
            response.json::<PluginHelpResponse>().await.expect("json")
        }
    };
    let all = get("").await;
    assert_eq!(
        all.plugin_help.keys().collect::<Vec<_>>(),
        vec!["cat", "recording"]
    );
    assert_eq!(all.all_repos, vec!["prow-rs-demo", "prow-rs-demo/hello"]);
    let cat = &all.plugin_help["cat"];
    assert!(cat.description.contains("/meow"), "{}", cat.description);
    assert_eq!(cat.commands.len(), 1);
    assert_eq!(cat.commands[0]["usage"], "/meow(vie) [CATegory]");

    let hello = get("?repo=prow-rs-demo/hello").await;
    assert_eq!(
        hello.repo_plugins["prow-rs-demo/hello"],
        vec!["recording", "cat"]
    );
    assert_eq!(hello.plugin_help.len(), 2);
    let other = get("?repo=elsewhere/repo").await;
    assert!(
        other.plugin_help.is_empty(),
        "{:?}",
        other.plugin_help.keys()
    );
    let bad = client
        .get(format!("{}/plugin-help?repo=no-slash", harness.url))
        .send()
        .await
        .expect("get");
    assert_eq!(bad.status().as_u16(), 400);
    harness.drain().await;
}

#[tokio::test]
async fn a_hanging_plugin_times_out_and_the_others_finish() {
    let (hanging, hanging_seen) = recorder("hanging", Behaviour::Hang);
    let (recording, seen) = recorder("recording", Behaviour::Record);
    let harness = start_with(
        vec![hanging, recording],
        "plugins:\n  prow-rs-demo/hello: [hanging, recording]\n",
        Setup {
            plugin_timeout: Duration::from_millis(300),
            ..Setup::default()
        },
    )
    .await;
    let sender = WebhookSender::new(format!("{}/hook", harness.url), SECRET.to_vec());
    let response = sender
        .send("issue_comment", meow_comment())
        .await
        .expect("send");
    assert_eq!(response.status().as_u16(), 200);
    // Draining returns only because the hanging plugin is cut off by its timeout.
    let harness = harness.drain().await;
    assert_eq!(hanging_seen.lock().expect("lock").len(), 1);
    assert_eq!(seen.lock().expect("lock").len(), 1);
    assert_eq!(harness.metrics.plugin_failures("hanging", "timeout"), 1);
    assert_eq!(harness.metrics.plugin_failures("recording", "timeout"), 0);
}

#[tokio::test]
async fn shutdown_abandons_what_the_grace_period_does_not_cover() {
    let (hanging, hanging_seen) = recorder("hanging", Behaviour::Hang);
    let harness = start_with(
        vec![hanging],
        "plugins:\n  prow-rs-demo/hello: [hanging]\n",
        Setup {
            plugin_timeout: Duration::from_secs(3600),
            grace: Duration::from_millis(200),
            ..Setup::default()
        },
    )
    .await;
    let sender = WebhookSender::new(format!("{}/hook", harness.url), SECRET.to_vec());
    let response = sender
        .send("issue_comment", meow_comment())
        .await
        .expect("send");
    assert_eq!(response.status().as_u16(), 200);
    for _ in 0..500 {
        if !hanging_seen.lock().expect("lock").is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(hanging_seen.lock().expect("lock").len(), 1);
    // The plugin would run for an hour; draining returns because the grace period ends.
    let harness = harness.drain().await;
    assert_eq!(
        harness.metrics.events_in_flight.get(),
        1,
        "one event abandoned"
    );
    assert_eq!(harness.metrics.plugin_failures("hanging", "timeout"), 0);
}

#[tokio::test]
async fn a_body_that_never_arrives_is_cut_off_with_408() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (recording, seen) = recorder("recording", Behaviour::Record);
    let harness = start_with(
        vec![recording],
        "plugins:\n  prow-rs-demo/hello: [recording]\n",
        Setup {
            options: HookOptions {
                body_timeout: Duration::from_millis(300),
                ..HookOptions::default()
            },
            ..Setup::default()
        },
    )
    .await;
    let body = meow_comment();
    let headers = signed("slow-delivery", &body);
    let addr = harness.url.trim_start_matches("http://").to_string();
    let mut stream = tokio::net::TcpStream::connect(&addr)
        .await
        .expect("connect");
    let mut request = format!(
        "POST /hook HTTP/1.1\r\nhost: {addr}\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (name, value) in &headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .expect("write headers");
    // Half the body, then nothing more.
    stream
        .write_all(&body[..body.len() / 2])
        .await
        .expect("write half");
    let mut answer = vec![0u8; 256];
    let read = tokio::time::timeout(Duration::from_secs(30), stream.read(&mut answer))
        .await
        .expect("hook answers")
        .expect("read");
    let answer = String::from_utf8_lossy(&answer[..read]);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    drop(stream);
    let harness = harness.drain().await;
    assert!(seen.lock().expect("lock").is_empty());
    assert!(harness.github.writes().is_empty());
}

#[tokio::test]
async fn a_delivery_a_plugin_failed_on_is_handled_again_when_redelivered() {
    let (failing, failing_seen) = recorder("failing", Behaviour::Fail);
    let (recording, seen) = recorder("recording", Behaviour::Record);
    let harness = start(
        vec![failing, recording],
        "plugins:\n  prow-rs-demo/hello: [failing, recording]\n",
    )
    .await;
    let client = reqwest::Client::new();
    let body = meow_comment();
    let headers = signed("retried-delivery", &body);
    for attempt in 1..=2 {
        let status = send(
            &client,
            reqwest::Method::POST,
            &harness.url,
            &headers,
            body.clone(),
        )
        .await;
        assert_eq!(status, 200, "attempt {attempt}");
        // Wait until the attempt is fully handled before redelivering.
        for _ in 0..1000 {
            if harness.metrics.plugin_failures("failing", "error") == attempt
                && harness.metrics.events_in_flight.get() == 0
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(
            harness.metrics.events_in_flight.get(),
            0,
            "attempt {attempt} handled"
        );
    }
    let harness = harness.drain().await;
    assert_eq!(failing_seen.lock().expect("lock").len(), 2);
    assert_eq!(seen.lock().expect("lock").len(), 2);
    assert_eq!(harness.metrics.duplicates.get(), 0);
}
