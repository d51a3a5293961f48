//! A bounded cache of GET responses keyed by URL and token identity, so repeated reads are
//! conditional requests (`If-None-Match`) and a `304 Not Modified` — which GitHub does not
//! count against the rate limit — is answered from here.

use std::collections::HashMap;

use bytes::Bytes;

/// A cached response body and the validator GitHub gave for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedResponse {
    /// The `ETag` header, sent back as `If-None-Match`.
    pub etag: String,
    /// The response body.
    pub body: Bytes,
    /// The `Link` header (pagination), if any.
    pub link: Option<String>,
}

/// Least-recently-used cache bounded both in entries and in bytes (keys + bodies), so a
/// process's memory stays predictable; a single body larger than an eighth of the byte budget
/// is not cached. Eviction scans for the oldest entry (O(n)); with a few thousand entries that
/// is a few microseconds, far cheaper than the request it saves.
#[derive(Debug)]
pub struct EtagCache {
    capacity: usize,
    max_bytes: usize,
    bytes: usize,
    clock: u64,
    entries: HashMap<String, (u64, CachedResponse)>,
}

fn entry_size(key: &str, response: &CachedResponse) -> usize {
    key.len()
        + response.etag.len()
        + response.body.len()
        + response.link.as_ref().map_or(0, String::len)
}

impl EtagCache {
    /// A cache holding at most `capacity` responses and `max_bytes` bytes (0 disables it).
    pub fn new(capacity: usize, max_bytes: usize) -> Self {
        Self {
            capacity,
            max_bytes,
            bytes: 0,
            clock: 0,
            entries: HashMap::new(),
        }
    }

    /// The cached response for `key`, marking it as recently used.
    pub fn get(&mut self, key: &str) -> Option<CachedResponse> {
        self.clock += 1;
        let clock = self.clock;
        self.entries.get_mut(key).map(|(used, response)| {
            *used = clock;
            response.clone()
        })
    }

    /// Stores a response, evicting least recently used ones while over a bound.
    pub fn insert(&mut self, key: String, response: CachedResponse) {
        let size = entry_size(&key, &response);
        if let Some((_, old)) = self.entries.remove(&key) {
            self.bytes -= entry_size(&key, &old);
        }
        if self.capacity == 0 || size > self.max_bytes / 8 {
            return;
        }
        while !self.entries.is_empty()
            && (self.entries.len() >= self.capacity || self.bytes + size > self.max_bytes)
        {
            self.evict_oldest();
        }
        self.clock += 1;
        self.bytes += size;
        self.entries.insert(key, (self.clock, response));
    }

    fn evict_oldest(&mut self) {
        let oldest = self
            .entries
            .iter()
            .min_by_key(|(_, (used, _))| *used)
            .map(|(key, _)| key.clone());
        if let Some(oldest) = oldest
            && let Some((_, response)) = self.entries.remove(&oldest)
        {
            self.bytes -= entry_size(&oldest, &response);
        }
    }

    /// Bytes held (keys, validators and bodies).
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Number of cached responses.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(etag: &str) -> CachedResponse {
        CachedResponse {
            etag: etag.to_string(),
            body: Bytes::from(format!("body-{etag}")),
            link: None,
        }
    }

    const MIB: usize = 1 << 20;

    #[test]
    fn evicts_the_least_recently_used_entry() {
        let mut cache = EtagCache::new(2, MIB);
        cache.insert("a".into(), response("1"));
        cache.insert("b".into(), response("2"));
        assert_eq!(cache.get("a").map(|r| r.etag), Some("1".into()));
        cache.insert("c".into(), response("3"));
        assert_eq!(cache.len(), 2);
        assert!(cache.get("b").is_none(), "b was least recently used");
        assert!(cache.get("a").is_some());
        assert!(cache.get("c").is_some());
    }

    #[test]
    fn replacing_an_entry_does_not_evict() {
        let mut cache = EtagCache::new(2, MIB);
        cache.insert("a".into(), response("1"));
        cache.insert("b".into(), response("2"));
        cache.insert("a".into(), response("3"));
        assert_eq!(cache.get("a").map(|r| r.etag), Some("3".into()));
        assert!(cache.get("b").is_some());
    }

    #[test]
    fn zero_capacity_caches_nothing() {
        let mut cache = EtagCache::new(0, MIB);
        cache.insert("a".into(), response("1"));
        assert!(cache.is_empty());
        assert!(cache.get("a").is_none());
    }

    fn sized(len: usize) -> CachedResponse {
        CachedResponse {
            etag: String::new(),
            body: Bytes::from(vec![b'x'; len]),
            link: None,
        }
    }

    #[test]
    fn byte_budget_evicts_and_skips_huge_bodies() {
        // Budget 800 bytes: entries of 1 (key) + 99 (body) = 100 bytes each.
        let mut cache = EtagCache::new(100, 800);
        for key in ["a", "b", "c", "d", "e", "f", "g", "h"] {
            cache.insert(key.into(), sized(99));
        }
        assert_eq!((cache.len(), cache.bytes()), (8, 800));
        cache.insert("i".into(), sized(99));
        assert_eq!((cache.len(), cache.bytes()), (8, 800));
        assert!(cache.get("a").is_none(), "oldest evicted for bytes");

        cache.insert("big".into(), sized(101));
        assert!(
            cache.get("big").is_none(),
            "more than 1/8 of the budget is not cached"
        );
        assert_eq!(cache.len(), 8, "a skipped body evicts nothing");

        cache.insert("i".into(), sized(9));
        assert_eq!(
            cache.bytes(),
            710,
            "replacing an entry accounts for its new size"
        );
    }
}
