//! Kubernetes Events on ProwJobs (`events.k8s.io/v1`, reporting controller `plank`).
//!
//! Events are best effort: reconciles hand them to a bounded queue and never wait for
//! them; one publisher task sends them with its own client (its own rate limit, so Events
//! never slow down Pod creation or status writes). When the queue is full an Event is
//! dropped and counted (`plank_events_dropped`).

use k8s_openapi::api::core::v1::ObjectReference;
use kube::Resource;
use kube::runtime::events::{Event, EventType, Recorder, Reporter};
use prometheus_client::metrics::counter::Counter;
use prow_api::ProwJob;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// How many Events may wait for the publisher.
pub const QUEUE_CAPACITY: usize = 1024;

/// Where reconciles send Events.
#[derive(Debug, Clone)]
pub struct EventSink {
    queue: Option<mpsc::Sender<(Event, ObjectReference)>>,
    dropped: Counter,
}

impl EventSink {
    /// A sink that drops every Event silently (for tests and `--no-events`).
    pub fn disabled() -> Self {
        EventSink {
            queue: None,
            dropped: Counter::default(),
        }
    }

    /// Starts the publisher on `client` (stops on `shutdown`), counting drops in `dropped`.
    pub fn start(
        client: kube::Client,
        instance: String,
        dropped: Counter,
        shutdown: CancellationToken,
    ) -> (Self, tokio::task::JoinHandle<()>) {
        let (tx, mut rx) = mpsc::channel::<(Event, ObjectReference)>(QUEUE_CAPACITY);
        let recorder = Recorder::new(
            client,
            Reporter {
                controller: "plank".into(),
                instance: Some(instance),
            },
        );
        let task = tokio::spawn(async move {
            loop {
                let next = tokio::select! {
                    () = shutdown.cancelled() => return,
                    next = rx.recv() => next,
                };
                let Some((event, reference)) = next else {
                    return;
                };
                if let Err(error) = recorder.publish(&event, &reference).await {
                    tracing::debug!(%error, reason = %event.reason, "could not publish event");
                }
            }
        });
        (
            EventSink {
                queue: Some(tx),
                dropped,
            },
            task,
        )
    }

    /// Queues an Event about `job`.
    pub fn emit(&self, job: &ProwJob, warning: bool, reason: &str, note: String) {
        let Some(queue) = &self.queue else {
            return;
        };
        let event = Event {
            type_: if warning {
                EventType::Warning
            } else {
                EventType::Normal
            },
            reason: reason.to_owned(),
            note: Some(note),
            action: reason.to_owned(),
            secondary: None,
        };
        if queue.try_send((event, job.object_ref(&()))).is_err() {
            self.dropped.inc();
        }
    }
}
