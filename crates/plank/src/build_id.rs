//! Build ids as Prow's `pjutil.GetBuildID` vends them without `tot`: Twitter snowflakes
//! (`github.com/bwmarrin/snowflake`, node 1): 41 bits of milliseconds since the Twitter
//! epoch, 10 bits of node, 12 bits of sequence. They are unique and increase over time,
//! also across restarts (the clock moves on), and sort as Prow's do.

use std::sync::Mutex;

/// The snowflake epoch: 2010-11-04T01:42:54.657Z in Unix milliseconds.
pub const SNOWFLAKE_EPOCH_MS: i64 = 1_288_834_974_657;
/// The node number Prow uses.
pub const PROW_NODE: u64 = 1;

const NODE_BITS: u32 = 10;
const STEP_BITS: u32 = 12;
const STEP_MASK: u64 = (1 << STEP_BITS) - 1;

/// The pure snowflake state: the last millisecond used and the sequence within it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snowflake {
    node: u64,
    last_ms: i64,
    step: u64,
}

impl Snowflake {
    /// A generator for `node` (0..1024).
    pub fn new(node: u64) -> Self {
        Snowflake {
            node: node & ((1 << NODE_BITS) - 1),
            last_ms: 0,
            step: 0,
        }
    }

    /// The next id at Unix time `now_ms`. Never returns the same id twice and never a
    /// smaller one: a clock that goes back, or more than 4096 ids in one millisecond,
    /// borrow the following milliseconds.
    pub fn next_at(&mut self, now_ms: i64) -> u64 {
        let ms = (now_ms - SNOWFLAKE_EPOCH_MS).max(0);
        if ms > self.last_ms {
            self.last_ms = ms;
            self.step = 0;
        } else {
            self.step = (self.step + 1) & STEP_MASK;
            if self.step == 0 {
                self.last_ms += 1;
            }
        }
        let time = u64::try_from(self.last_ms).unwrap_or(0);
        (time << (NODE_BITS + STEP_BITS)) | (self.node << STEP_BITS) | self.step
    }
}

/// A thread-safe build id source on the wall clock.
#[derive(Debug)]
pub struct BuildIds {
    state: Mutex<Snowflake>,
}

impl Default for BuildIds {
    fn default() -> Self {
        BuildIds {
            state: Mutex::new(Snowflake::new(PROW_NODE)),
        }
    }
}

impl BuildIds {
    /// The next build id, as a decimal string.
    pub fn next(&self) -> String {
        let now_ms = jiff::Timestamp::now().as_millisecond();
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        state.next_at(now_ms).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_match_bwmarrin_layout_and_increase() {
        // bwmarrin/snowflake, node 1, at 2020-01-01T00:00:00Z with step 0.
        let at = 1_577_836_800_000;
        let mut flake = Snowflake::new(PROW_NODE);
        let first = flake.next_at(at);
        assert_eq!(first, ((at - SNOWFLAKE_EPOCH_MS) as u64) << 22 | 1 << 12);
        // (time, expected step) for: same ms, clock going back, next ms
        let cases = [(at, 1), (at - 5, 2), (at + 1, 0)];
        let mut previous = first;
        for (now, step) in cases {
            let id = flake.next_at(now);
            assert!(id > previous, "{id} > {previous}");
            assert_eq!(id & STEP_MASK, step, "at {now}");
            previous = id;
        }
    }

    #[test]
    fn more_than_4096_ids_in_a_millisecond_stay_unique_and_increasing() {
        let mut flake = Snowflake::new(PROW_NODE);
        let mut previous = 0;
        for _ in 0..10_000 {
            let id = flake.next_at(1_700_000_000_000);
            assert!(id > previous);
            previous = id;
        }
    }

    #[test]
    fn the_shared_source_is_unique_across_threads() {
        let ids = std::sync::Arc::new(BuildIds::default());
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let ids = ids.clone();
                std::thread::spawn(move || (0..2000).map(|_| ids.next()).collect::<Vec<_>>())
            })
            .collect();
        let mut all: Vec<u64> = handles
            .into_iter()
            .flat_map(|h| h.join().expect("thread"))
            .map(|id| id.parse().expect("decimal"))
            .collect();
        let count = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), count);
    }
}
