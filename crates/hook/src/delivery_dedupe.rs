//! De-duplication of webhook deliveries by `X-GitHub-Delivery`, bounded in memory.
//!
//! GitHub redelivers (manually or after a timeout) with the same delivery id; hook handles a
//! delivery id once per process. Only the most recent `capacity` ids are remembered (the
//! oldest is forgotten first), so memory stays bounded whatever the traffic. Duplicates that
//! reach another replica are made harmless by the plugins themselves (trigger names ProwJobs
//! deterministically).

use std::collections::{HashSet, VecDeque};

/// The default number of remembered delivery ids (about 4 MB at most).
pub const DEFAULT_CAPACITY: usize = 50_000;

/// A bounded set of recently seen delivery ids.
#[derive(Debug)]
pub struct DeliveryDedupe {
    capacity: usize,
    order: VecDeque<String>,
    seen: HashSet<String>,
}

impl DeliveryDedupe {
    /// An empty set remembering at most `capacity` ids (at least one).
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        DeliveryDedupe {
            capacity,
            order: VecDeque::with_capacity(capacity.min(1024)),
            seen: HashSet::with_capacity(capacity.min(1024)),
        }
    }

    /// Records `id`; true when it was not seen before (the delivery should be handled).
    pub fn first_sighting(&mut self, id: &str) -> bool {
        if self.seen.contains(id) {
            return false;
        }
        if self.order.len() >= self.capacity
            && let Some(oldest) = self.order.pop_front()
        {
            self.seen.remove(&oldest);
        }
        self.order.push_back(id.to_string());
        self.seen.insert(id.to_string());
        true
    }

    /// Forgets `id` (a delivery that could not be queued may be redelivered and handled).
    pub fn forget(&mut self, id: &str) {
        if self.seen.remove(id) {
            self.order.retain(|seen| seen != id);
        }
    }

    /// How many ids are remembered.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// True when no id is remembered.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sightings_table() {
        // capacity, ids in order, expected first_sighting results, remembered at the end
        let cases: &[(usize, &[&str], &[bool], usize)] = &[
            (3, &["a", "b", "a"], &[true, true, false], 2),
            (2, &["a", "b", "c", "a"], &[true, true, true, true], 2),
            (
                2,
                &["a", "b", "c", "c", "b"],
                &[true, true, true, false, false],
                2,
            ),
            (0, &["a", "a", "b", "a"], &[true, false, true, true], 1),
        ];
        for (capacity, ids, want, remembered) in cases {
            let mut dedupe = DeliveryDedupe::new(*capacity);
            let got: Vec<bool> = ids.iter().map(|id| dedupe.first_sighting(id)).collect();
            assert_eq!(&got, want, "capacity {capacity}, ids {ids:?}");
            assert_eq!(
                dedupe.len(),
                *remembered,
                "capacity {capacity}, ids {ids:?}"
            );
        }
    }

    #[test]
    fn forgotten_ids_are_new_again() {
        let mut dedupe = DeliveryDedupe::new(10);
        assert!(dedupe.first_sighting("a"));
        dedupe.forget("a");
        assert!(dedupe.is_empty());
        assert!(dedupe.first_sighting("a"));
        assert!(!dedupe.first_sighting("a"));
    }
}
