//! Readiness gates: the process is ready only after every registered gate has flipped
//! (typically: each watch has delivered its first complete list).

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use futures::{Stream, StreamExt};
use kube::runtime::watcher;

/// The set of readiness gates of a process; cheap to clone (shared).
#[derive(Debug, Clone, Default)]
pub struct ReadinessGates {
    gates: Arc<Mutex<Vec<Arc<Gate>>>>,
}

#[derive(Debug)]
struct Gate {
    name: String,
    ready: AtomicBool,
}

/// One readiness gate; starts not ready. Cheap to clone (shared).
#[derive(Debug, Clone)]
pub struct Readiness {
    gate: Arc<Gate>,
}

impl ReadinessGates {
    /// An empty set: ready until a gate is registered.
    pub fn new() -> Self {
        ReadinessGates::default()
    }

    /// Registers a new gate, not ready, named `name` (shown by `/readyz` while pending).
    pub fn gate(&self, name: impl Into<String>) -> Readiness {
        let gate = Arc::new(Gate {
            name: name.into(),
            ready: AtomicBool::new(false),
        });
        self.lock().push(gate.clone());
        Readiness { gate }
    }

    /// Whether every registered gate is ready.
    pub fn is_ready(&self) -> bool {
        self.lock().iter().all(|g| g.ready.load(Ordering::Acquire))
    }

    /// Names of the gates that are not ready yet, in registration order.
    pub fn pending(&self) -> Vec<String> {
        self.lock()
            .iter()
            .filter(|g| !g.ready.load(Ordering::Acquire))
            .map(|g| g.name.clone())
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Arc<Gate>>> {
        // the vector is only pushed to; a poisoned lock still holds consistent data
        self.gates
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Readiness {
    /// Marks the gate ready.
    pub fn set_ready(&self) {
        self.gate.ready.store(true, Ordering::Release);
    }

    /// Marks the gate not ready again.
    pub fn set_not_ready(&self) {
        self.gate.ready.store(false, Ordering::Release);
    }

    /// Whether this gate is ready.
    pub fn is_ready(&self) -> bool {
        self.gate.ready.load(Ordering::Acquire)
    }

    /// The gate's name.
    pub fn name(&self) -> &str {
        &self.gate.name
    }
}

/// Passes a watcher stream through unchanged, marking `gate` ready when the watcher's
/// first complete list has been delivered (`Event::InitDone`).
pub fn ready_after_first_list<K, S>(stream: S, gate: Readiness) -> impl Stream<Item = S::Item>
where
    S: Stream<Item = Result<watcher::Event<K>, watcher::Error>>,
{
    stream.inspect(move |event| {
        if matches!(event, Ok(watcher::Event::InitDone)) {
            gate.set_ready();
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_only_when_every_gate_flipped() {
        // (gates to register, indexes to flip, expected ready, expected pending)
        type Case<'a> = (&'a [&'a str], &'a [usize], bool, &'a [&'a str]);
        let cases: &[Case] = &[
            (&[], &[], true, &[]),
            (&["prowjobs"], &[], false, &["prowjobs"]),
            (&["prowjobs", "pods"], &[1], false, &["prowjobs"]),
            (&["prowjobs", "pods"], &[0, 1], true, &[]),
            // two gates with one name are still two gates
            (&["pods", "pods"], &[0], false, &["pods"]),
        ];
        for (names, flip, ready, pending) in cases {
            let gates = ReadinessGates::new();
            let handles: Vec<Readiness> = names.iter().map(|n| gates.gate(*n)).collect();
            for i in *flip {
                handles[*i].set_ready();
            }
            assert_eq!(gates.is_ready(), *ready, "{names:?} flip {flip:?}");
            assert_eq!(gates.pending(), *pending, "{names:?} flip {flip:?}");
        }
    }

    #[test]
    fn a_gate_can_become_not_ready_again() {
        let gates = ReadinessGates::new();
        let gate = gates.gate("config");
        gate.clone().set_ready();
        assert!(gates.is_ready());
        gate.set_not_ready();
        assert!(!gates.is_ready());
        assert_eq!(gate.name(), "config");
    }

    #[tokio::test]
    async fn watcher_stream_flips_the_gate_on_init_done_only() {
        use k8s_openapi::api::core::v1::ConfigMap;
        let gates = ReadinessGates::new();
        let gate = gates.gate("configmaps");
        let events: Vec<Result<watcher::Event<ConfigMap>, watcher::Error>> = vec![
            Ok(watcher::Event::Init),
            Ok(watcher::Event::InitApply(ConfigMap::default())),
        ];
        let mut stream = Box::pin(ready_after_first_list(
            futures::stream::iter(events)
                .chain(futures::stream::iter(vec![Ok(watcher::Event::InitDone)])),
            gate.clone(),
        ));
        stream.next().await;
        stream.next().await;
        assert!(!gates.is_ready(), "not ready before InitDone");
        stream.next().await;
        assert!(gates.is_ready(), "ready after InitDone");
    }
}
