//! The webhook HTTP front end: `POST /hook` and `GET /plugin-help`.
//!
//! A delivery is checked in Prow's order and with Prow's status codes — `405` for a method
//! other than POST; `400` without `X-GitHub-Event` or `X-GitHub-Delivery`; `403` without
//! `X-Hub-Signature-256`; `400` for a content type other than `application/json` — and then,
//! better than Prow: the body is capped (`413` above [`MAX_BODY_BYTES`], refused from
//! `Content-Length` before reading it), the signature is checked on the raw bytes before any
//! parsing of the event (`403`), and only then is the JSON parsed (`400` when invalid).
//!
//! An accepted delivery is answered `200` at once (GitHub gives up after 10 s): it goes to a
//! bounded queue that [`EventWorkers`] drain, so plugins never delay the answer. A delivery
//! id seen before is answered `200` and not handled again — unless a plugin failed on it,
//! so that a redelivery retries. When the server stops (shutdown
//! token), the queue closes and the workers finish every queued and running event.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use prow_github::webhook::hmac_secrets::org_repo_of;
use prow_github::webhook::{Event, HmacSecrets, verify_signature};
use serde::{Deserialize, Serialize};
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::config_watch::ConfigWatch;
use crate::delivery_dedupe::{DEFAULT_CAPACITY, DeliveryDedupe};
use crate::dispatch::{Dispatcher, PluginOutcome, QueuedEvent};
use crate::external_plugins::Forward;
use crate::hmac_watch::SharedHmac;
use crate::metrics::{EventLabels, HookMetrics};
use crate::plugin::PluginHelp;
use crate::registry::PluginRegistry;

/// The largest webhook body accepted (GitHub caps payloads at 25 MB).
pub const MAX_BODY_BYTES: usize = 25 * 1024 * 1024;

/// What Prow answers to an accepted delivery.
const ACCEPTED: &str = "Event received. Have a nice day.";

/// Tunables of the front end and the event workers.
#[derive(Debug, Clone)]
pub struct HookOptions {
    /// Events waiting for a worker before new deliveries wait (then `503`).
    pub queue_capacity: usize,
    /// Events handled at the same time.
    pub max_concurrent_events: usize,
    /// Time one plugin may take for one event.
    pub plugin_timeout: Duration,
    /// Delivery ids remembered for de-duplication.
    pub dedupe_capacity: usize,
    /// Body size cap in bytes.
    pub max_body_bytes: usize,
    /// How long a delivery waits for room in a full queue before `503`.
    pub enqueue_timeout: Duration,
    /// Longest time to receive a body before `408` (slow senders cannot hold connections).
    pub body_timeout: Duration,
}

impl Default for HookOptions {
    fn default() -> Self {
        HookOptions {
            queue_capacity: 1024,
            max_concurrent_events: 64,
            plugin_timeout: crate::dispatch::DEFAULT_PLUGIN_TIMEOUT,
            dedupe_capacity: DEFAULT_CAPACITY,
            max_body_bytes: MAX_BODY_BYTES,
            enqueue_timeout: Duration::from_secs(5),
            body_timeout: Duration::from_secs(30),
        }
    }
}

/// Why a delivery was refused; each maps to Prow's status code.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Rejection {
    /// Not a POST.
    #[error("405 Method not allowed")]
    MethodNotAllowed,
    /// No `X-GitHub-Event`.
    #[error("400 Bad Request: Missing X-GitHub-Event Header")]
    MissingEvent,
    /// No `X-GitHub-Delivery`.
    #[error("400 Bad Request: Missing X-GitHub-Delivery Header")]
    MissingDelivery,
    /// No `X-Hub-Signature-256`.
    #[error("403 Forbidden: Missing X-Hub-Signature-256")]
    MissingSignature,
    /// Content type other than `application/json`.
    #[error(
        "400 Bad Request: Hook only accepts content-type: application/json - please reconfigure this hook on GitHub"
    )]
    ContentType,
    /// Body above the cap.
    #[error("413 Payload Too Large")]
    TooLarge,
    /// The body could not be read.
    #[error("400 Bad Request: could not read the body")]
    BodyRead,
    /// The body did not arrive in time.
    #[error("408 Request Timeout: the body did not arrive in time")]
    BodyTimeout,
    /// The signature does not match any token for the repository.
    #[error("403 Forbidden: Invalid X-Hub-Signature-256")]
    BadSignature,
    /// The body is not valid JSON for the event type.
    #[error("400 Bad Request: invalid JSON payload")]
    InvalidJson,
    /// The queue stayed full.
    #[error("503 Service Unavailable: too many events queued, retry later")]
    Overloaded,
}

impl Rejection {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            Rejection::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Rejection::MissingEvent
            | Rejection::MissingDelivery
            | Rejection::ContentType
            | Rejection::BodyRead
            | Rejection::InvalidJson => StatusCode::BAD_REQUEST,
            Rejection::MissingSignature | Rejection::BadSignature => StatusCode::FORBIDDEN,
            Rejection::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Rejection::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
            Rejection::Overloaded => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The metric label: the variant name.
    pub fn reason(&self) -> &'static str {
        match self {
            Rejection::MethodNotAllowed => "MethodNotAllowed",
            Rejection::MissingEvent => "MissingEvent",
            Rejection::MissingDelivery => "MissingDelivery",
            Rejection::MissingSignature => "MissingSignature",
            Rejection::ContentType => "ContentType",
            Rejection::TooLarge => "TooLarge",
            Rejection::BodyRead => "BodyRead",
            Rejection::BodyTimeout => "BodyTimeout",
            Rejection::BadSignature => "BadSignature",
            Rejection::InvalidJson => "InvalidJson",
            Rejection::Overloaded => "Overloaded",
        }
    }
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        let mut response = (self.status(), format!("{self}\n")).into_response();
        if self == Rejection::MethodNotAllowed {
            response
                .headers_mut()
                .insert(header::ALLOW, header::HeaderValue::from_static("POST"));
        }
        response
    }
}

/// The headers of a delivery that passed the header checks.
#[derive(Debug, PartialEq, Eq)]
pub struct DeliveryHeaders {
    /// `X-GitHub-Event`.
    pub event_type: String,
    /// `X-GitHub-Delivery`.
    pub delivery_id: String,
    /// `X-Hub-Signature-256`.
    pub signature: String,
}

/// Checks method and headers in Prow's order (everything that needs no body).
///
/// # Errors
/// The first [`Rejection`] that applies.
pub fn check_headers(method: &Method, headers: &HeaderMap) -> Result<DeliveryHeaders, Rejection> {
    if method != Method::POST {
        return Err(Rejection::MethodNotAllowed);
    }
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let event_type = text("x-github-event").ok_or(Rejection::MissingEvent)?;
    let delivery_id = text("x-github-delivery").ok_or(Rejection::MissingDelivery)?;
    let signature = text("x-hub-signature-256").ok_or(Rejection::MissingSignature)?;
    let content_type = text("content-type").unwrap_or_default();
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    if !essence.eq_ignore_ascii_case("application/json") {
        return Err(Rejection::ContentType);
    }
    Ok(DeliveryHeaders {
        event_type,
        delivery_id,
        signature,
    })
}

/// Verifies the signature over the raw body with every token of the matching secret entry,
/// then parses the event.
///
/// # Errors
/// [`Rejection::BadSignature`] or [`Rejection::InvalidJson`].
pub fn verify_and_parse(
    secrets: &HmacSecrets,
    headers: &DeliveryHeaders,
    body: &[u8],
) -> Result<Event, Rejection> {
    let tokens = match secrets {
        HmacSecrets::Single(tokens) => tokens.as_slice(),
        HmacSecrets::Scoped(_) => secrets.secrets_for(&org_repo_of(body).unwrap_or_default()),
    };
    if !verify_signature(tokens, body, &headers.signature) {
        return Err(Rejection::BadSignature);
    }
    let event = Event::parse(&headers.event_type, body).map_err(|_| Rejection::InvalidJson)?;
    if matches!(event, Event::Unsupported(_))
        && serde_json::from_slice::<serde::de::IgnoredAny>(body).is_err()
    {
        return Err(Rejection::InvalidJson);
    }
    Ok(event)
}

struct Intake {
    secrets: SharedHmac,
    queue: mpsc::Sender<QueuedEvent>,
    dedupe: Arc<Mutex<DeliveryDedupe>>,
    config: ConfigWatch,
    registry: Arc<PluginRegistry>,
    metrics: HookMetrics,
    options: HookOptions,
}

/// Drains the event queue, running plugins for each event with bounded concurrency.
pub struct EventWorkers {
    queue: mpsc::Receiver<QueuedEvent>,
    dedupe: Arc<Mutex<DeliveryDedupe>>,
    dispatcher: Arc<Dispatcher>,
    metrics: HookMetrics,
    max_concurrent: usize,
}

impl std::fmt::Debug for EventWorkers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventWorkers")
            .field("max_concurrent", &self.max_concurrent)
            .finish_non_exhaustive()
    }
}

impl EventWorkers {
    /// Handles events until the queue is closed (every router clone dropped) and empty, then
    /// waits for the events still running.
    pub async fn run(self) -> Result<(), std::convert::Infallible> {
        self.run_with_grace(CancellationToken::new(), Duration::MAX)
            .await
    }

    /// As [`EventWorkers::run`], but once `shutdown` is cancelled the remaining queued and
    /// running events get at most `grace` to finish (Prow's `--grace-period`); whatever is
    /// left then is abandoned and logged.
    pub async fn run_with_grace(
        self,
        shutdown: CancellationToken,
        grace: Duration,
    ) -> Result<(), std::convert::Infallible> {
        let metrics = self.metrics.clone();
        let mut drained = std::pin::pin!(self.drain());
        tokio::select! {
            () = &mut drained => return Ok(()),
            () = shutdown.cancelled() => {}
        }
        if tokio::time::timeout(grace, drained).await.is_err() {
            tracing::warn!(
                abandoned = metrics.events_in_flight.get(),
                grace_seconds = grace.as_secs_f64(),
                "grace period over; abandoning the events still queued or running"
            );
        }
        Ok(())
    }

    async fn drain(mut self) {
        let slots = Arc::new(Semaphore::new(self.max_concurrent.max(1)));
        let mut running = JoinSet::new();
        while let Some(queued) = self.queue.recv().await {
            while running.try_join_next().is_some() {}
            let Ok(slot) = Arc::clone(&slots).acquire_owned().await else {
                break;
            };
            let dispatcher = Arc::clone(&self.dispatcher);
            let metrics = self.metrics.clone();
            let dedupe = Arc::clone(&self.dedupe);
            running.spawn(async move {
                let delivery_id = Arc::clone(&queued.delivery_id);
                let outcomes = dispatcher.dispatch(queued).await;
                if outcomes.iter().any(|(_, o)| *o != PluginOutcome::Succeeded) {
                    // A redelivery (GitHub's "Redeliver") may retry what failed.
                    lock(&dedupe).forget(&delivery_id);
                }
                metrics.events_in_flight.dec();
                drop(slot);
            });
        }
        while running.join_next().await.is_some() {}
        self.dispatcher.wait_for_forwards().await;
        tracing::info!("event queue drained");
    }
}

/// Builds the hook router and the workers that handle what it accepts.
pub fn build(
    secrets: impl Into<SharedHmac>,
    config: ConfigWatch,
    registry: Arc<PluginRegistry>,
    dispatcher: Arc<Dispatcher>,
    metrics: HookMetrics,
    options: HookOptions,
) -> (Router, EventWorkers) {
    let (sender, receiver) = mpsc::channel(options.queue_capacity.max(1));
    let dedupe = Arc::new(Mutex::new(DeliveryDedupe::new(options.dedupe_capacity)));
    let workers = EventWorkers {
        queue: receiver,
        dedupe: Arc::clone(&dedupe),
        dispatcher,
        metrics: metrics.clone(),
        max_concurrent: options.max_concurrent_events,
    };
    let intake = Arc::new(Intake {
        secrets: secrets.into(),
        queue: sender,
        dedupe,
        config,
        registry,
        metrics,
        options,
    });
    let router = Router::new()
        .route("/hook", any(receive))
        .route("/plugin-help", get(plugin_help))
        .with_state(intake);
    (router, workers)
}

/// Serves `router` on `listener` until `shutdown`, then finishes in-flight requests. When it
/// returns, the router is dropped, which closes the event queue so [`EventWorkers::run`]
/// drains and returns.
///
/// # Errors
/// When serving fails.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, "hook listening");
    }
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown.cancelled_owned())
        .await
}

async fn receive(
    State(intake): State<Arc<Intake>>,
    method: Method,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match accept(&intake, &method, &headers, body).await {
        Ok(message) => (StatusCode::OK, message).into_response(),
        Err(rejection) => {
            intake.metrics.reject(rejection.reason());
            tracing::debug!(reason = rejection.reason(), "webhook refused");
            rejection.into_response()
        }
    }
}

async fn accept(
    intake: &Intake,
    method: &Method,
    headers: &HeaderMap,
    body: Body,
) -> Result<&'static str, Rejection> {
    let delivery = check_headers(method, headers)?;
    let limit = intake.options.max_body_bytes;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(Rejection::TooLarge);
    }
    let body = tokio::time::timeout(intake.options.body_timeout, read_capped(body, limit))
        .await
        .map_err(|_| Rejection::BodyTimeout)??;
    let event = verify_and_parse(&intake.secrets.current(), &delivery, &body)?;
    let config = intake.config.current();
    let forward =
        Forward::for_delivery(&config, &event, &delivery.event_type, headers, &body).map(Arc::new);
    drop(body);
    if !lock(&intake.dedupe).first_sighting(&delivery.delivery_id) {
        intake.metrics.duplicates.inc();
        tracing::info!(delivery = %delivery.delivery_id, "duplicate delivery ignored");
        return Ok("Duplicate delivery ignored.");
    }
    intake
        .metrics
        .events
        .get_or_create(&EventLabels {
            event_type: event.kind().to_string(),
        })
        .inc();
    let queued = QueuedEvent {
        event: Arc::new(event),
        delivery_id: Arc::from(delivery.delivery_id.as_str()),
        config,
        forward,
    };
    intake.metrics.events_in_flight.inc();
    let sent = match intake.queue.try_send(queued) {
        Ok(()) => true,
        Err(mpsc::error::TrySendError::Full(queued)) => {
            tokio::time::timeout(intake.options.enqueue_timeout, intake.queue.send(queued))
                .await
                .is_ok_and(|sent| sent.is_ok())
        }
        Err(mpsc::error::TrySendError::Closed(_)) => false,
    };
    if !sent {
        intake.metrics.events_in_flight.dec();
        lock(&intake.dedupe).forget(&delivery.delivery_id);
        return Err(Rejection::Overloaded);
    }
    Ok(ACCEPTED)
}

async fn read_capped(body: Body, limit: usize) -> Result<Bytes, Rejection> {
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(err) if err.downcast_ref::<LengthLimitError>().is_some() => Err(Rejection::TooLarge),
        Err(_) => Err(Rejection::BodyRead),
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// `?repo=org/repo` of `/plugin-help`.
#[derive(Debug, Deserialize)]
struct HelpQuery {
    repo: Option<String>,
}

/// The `/plugin-help` answer (the shape of Prow's `pluginhelp.Help`, snake_case).
#[derive(Debug, Serialize, Deserialize)]
pub struct PluginHelpResponse {
    /// Every `org` and `org/repo` with plugins configured (or just the one asked about).
    pub all_repos: Vec<String>,
    /// Plugin names enabled per `org/repo` or `org` entry.
    pub repo_plugins: BTreeMap<String, Vec<String>>,
    /// Help of each plugin (the enabled ones when a repo is asked about).
    pub plugin_help: BTreeMap<String, PluginHelpJson>,
}

/// One plugin's help in the `/plugin-help` answer.
#[derive(Debug, Serialize, Deserialize)]
pub struct PluginHelpJson {
    /// What the plugin does.
    pub description: String,
    /// Its configuration, in words.
    pub config: Option<String>,
    /// Its commands.
    pub commands: Vec<serde_json::Value>,
}

impl From<PluginHelp> for PluginHelpJson {
    fn from(help: PluginHelp) -> Self {
        PluginHelpJson {
            description: help.description,
            config: help.config,
            commands: help
                .commands
                .into_iter()
                .filter_map(|c| serde_json::to_value(c).ok())
                .collect(),
        }
    }
}

async fn plugin_help(
    State(intake): State<Arc<Intake>>,
    Query(query): Query<HelpQuery>,
) -> Response {
    let config = intake.config.current();
    let repo = query
        .repo
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    if let Some(repo) = repo
        && !repo.contains('/')
    {
        return (
            StatusCode::BAD_REQUEST,
            "repo must be given as org/repo\n".to_string(),
        )
            .into_response();
    }
    let mut repo_plugins = BTreeMap::new();
    match (repo, config.plugins.as_ref()) {
        (Some(full), Some(plugins)) => {
            let (org, name) = full.split_once('/').unwrap_or((full, ""));
            let enabled = plugins.plugins_for(org, name);
            repo_plugins.insert(
                full.to_string(),
                enabled.iter().map(|s| s.to_string()).collect(),
            );
        }
        (None, Some(plugins)) => {
            for (scope, entry) in &plugins.plugins {
                repo_plugins.insert(scope.clone(), entry.plugins.clone());
            }
        }
        (_, None) => {}
    }
    let plugin_help = intake
        .registry
        .help(&config, repo)
        .into_iter()
        .map(|(name, help)| (name, PluginHelpJson::from(help)))
        .collect();
    axum::Json(PluginHelpResponse {
        all_repos: repo_plugins.keys().cloned().collect(),
        repo_plugins,
        plugin_help,
    })
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn header_checks_in_prows_order() {
        let full: &[(&'static str, &'static str)] = &[
            ("x-github-event", "issue_comment"),
            ("x-github-delivery", "d-1"),
            ("x-hub-signature-256", "sha256=00"),
            ("content-type", "application/json"),
        ];
        let without = |name: &str| -> Vec<(&'static str, &'static str)> {
            full.iter().filter(|(n, _)| *n != name).copied().collect()
        };
        let with = |name: &'static str, value: &'static str| {
            let mut pairs = without(name);
            pairs.push((name, value));
            pairs
        };
        type Case = (
            &'static str,
            Method,
            Vec<(&'static str, &'static str)>,
            Option<Rejection>,
        );
        let cases: Vec<Case> = vec![
            ("complete", Method::POST, full.to_vec(), None),
            (
                "GET",
                Method::GET,
                full.to_vec(),
                Some(Rejection::MethodNotAllowed),
            ),
            (
                "PUT without headers",
                Method::PUT,
                vec![],
                Some(Rejection::MethodNotAllowed),
            ),
            (
                "no event",
                Method::POST,
                without("x-github-event"),
                Some(Rejection::MissingEvent),
            ),
            (
                "nothing",
                Method::POST,
                vec![],
                Some(Rejection::MissingEvent),
            ),
            (
                "no delivery",
                Method::POST,
                without("x-github-delivery"),
                Some(Rejection::MissingDelivery),
            ),
            (
                "no signature",
                Method::POST,
                without("x-hub-signature-256"),
                Some(Rejection::MissingSignature),
            ),
            (
                "form content",
                Method::POST,
                with("content-type", "application/x-www-form-urlencoded"),
                Some(Rejection::ContentType),
            ),
            (
                "no content type",
                Method::POST,
                without("content-type"),
                Some(Rejection::ContentType),
            ),
            (
                "json with charset",
                Method::POST,
                with("content-type", "application/json; charset=utf-8"),
                None,
            ),
        ];
        for (name, method, pairs, want) in cases {
            let got = check_headers(&method, &headers(&pairs)).err();
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn status_codes_are_prows() {
        let cases = [
            (Rejection::MethodNotAllowed, 405),
            (Rejection::MissingEvent, 400),
            (Rejection::MissingDelivery, 400),
            (Rejection::MissingSignature, 403),
            (Rejection::ContentType, 400),
            (Rejection::TooLarge, 413),
            (Rejection::BodyTimeout, 408),
            (Rejection::BadSignature, 403),
            (Rejection::InvalidJson, 400),
            (Rejection::Overloaded, 503),
        ];
        for (rejection, status) in cases {
            assert_eq!(rejection.status().as_u16(), status, "{rejection:?}");
        }
    }

    #[test]
    fn signature_is_checked_before_parsing() {
        let secret = prow_github::Secret::new("s3cret");
        let secrets = HmacSecrets::Single(vec![secret.clone()]);
        let delivery = |body: &[u8], signer: &prow_github::Secret| DeliveryHeaders {
            event_type: "star".into(),
            delivery_id: "d".into(),
            signature: prow_github::webhook::sign_256(signer, body),
        };
        let wrong = prow_github::Secret::new("other");
        let not_json = b"{not json";
        // A bad signature on garbage is a 403, not a 400: nothing was parsed.
        assert_eq!(
            verify_and_parse(&secrets, &delivery(not_json, &wrong), not_json).err(),
            Some(Rejection::BadSignature)
        );
        assert_eq!(
            verify_and_parse(&secrets, &delivery(not_json, &secret), not_json).err(),
            Some(Rejection::InvalidJson)
        );
        let ok = br#"{"action":"created"}"#;
        assert!(verify_and_parse(&secrets, &delivery(ok, &secret), ok).is_ok());
    }
}
