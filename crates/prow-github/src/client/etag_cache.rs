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

/// Least-recently-used cache with a fixed number of entries. Eviction scans for the oldest
/// entry (O(n)); with a few thousand entries that is far cheaper than the request it saves.
#[derive(Debug)]
pub struct EtagCache {
    capacity: usize,
    clock: u64,
    entries: HashMap<String, (u64, CachedResponse)>,
}

impl EtagCache {
    /// A cache holding at most `capacity` responses (0 disables caching).
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
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

    /// Stores a response, evicting the least recently used one when full.
    pub fn insert(&mut self, key: String, response: CachedResponse) {
        if self.capacity == 0 {
            return;
        }
        self.clock += 1;
        if !self.entries.contains_key(&key) && self.entries.len() >= self.capacity {
            let oldest = self
                .entries
                .iter()
                .min_by_key(|(_, (used, _))| *used)
                .map(|(key, _)| key.clone());
            if let Some(oldest) = oldest {
                self.entries.remove(&oldest);
            }
        }
        self.entries.insert(key, (self.clock, response));
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

    #[test]
    fn evicts_the_least_recently_used_entry() {
        let mut cache = EtagCache::new(2);
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
        let mut cache = EtagCache::new(2);
        cache.insert("a".into(), response("1"));
        cache.insert("b".into(), response("2"));
        cache.insert("a".into(), response("3"));
        assert_eq!(cache.get("a").map(|r| r.etag), Some("3".into()));
        assert!(cache.get("b").is_some());
    }

    #[test]
    fn zero_capacity_caches_nothing() {
        let mut cache = EtagCache::new(0);
        cache.insert("a".into(), response("1"));
        assert!(cache.is_empty());
        assert!(cache.get("a").is_none());
    }
}
