//! Streaming secret censoring: every occurrence of a secret, or of its base64 encoding, is
//! replaced by as many `*` as it has bytes (Prow's `secretutil.Censorer`), while the data
//! flows through in chunks. Memory is the chunk plus the longest secret, whatever the file
//! size.

use aho_corasick::{AhoCorasick, MatchKind};
use base64::Engine;

/// Replaces secrets in byte streams.
#[derive(Clone, Debug)]
pub struct Censorer {
    matcher: AhoCorasick,
    longest: usize,
}

impl Censorer {
    /// A censorer for `secrets` and their standard base64 encodings; secrets shorter than
    /// `minimum_length` (and empty ones) are ignored. `None` when nothing is left to censor.
    pub fn new<I>(secrets: I, minimum_length: usize) -> Option<Self>
    where
        I: IntoIterator,
        I::Item: AsRef<[u8]>,
    {
        let mut patterns: Vec<Vec<u8>> = Vec::new();
        for secret in secrets {
            let secret = secret.as_ref();
            if secret.is_empty() || secret.len() < minimum_length {
                continue;
            }
            patterns.push(secret.to_vec());
            patterns.push(
                base64::engine::general_purpose::STANDARD
                    .encode(secret)
                    .into_bytes(),
            );
        }
        patterns.sort();
        patterns.dedup();
        let longest = patterns.iter().map(Vec::len).max()?;
        let matcher = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&patterns)
            .ok()?;
        Some(Self { matcher, longest })
    }

    /// Length of the longest pattern in bytes.
    pub fn longest_secret(&self) -> usize {
        self.longest
    }

    /// Censors `data` in place.
    pub fn censor_in_place(&self, data: &mut [u8]) {
        let ranges: Vec<_> = self.matcher.find_iter(&*data).map(|m| m.range()).collect();
        for range in ranges {
            data[range].fill(b'*');
        }
    }

    /// A stream censoring data pushed in chunks.
    pub fn stream(&self) -> CensorStream<'_> {
        CensorStream {
            censorer: self,
            pending: Vec::new(),
        }
    }
}

/// Censors data pushed in chunks: a secret split across chunks is still found, because the
/// last `longest - 1` bytes are held back until the next chunk (or [`CensorStream::finish`]).
#[derive(Debug)]
pub struct CensorStream<'a> {
    censorer: &'a Censorer,
    pending: Vec<u8>,
}

impl CensorStream<'_> {
    /// Adds `chunk` and returns the censored bytes that can no longer be part of a secret.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<u8> {
        self.pending.extend_from_slice(chunk);
        self.censorer.censor_in_place(&mut self.pending);
        let keep = (self.censorer.longest - 1).min(self.pending.len());
        let tail = self.pending.split_off(self.pending.len() - keep);
        std::mem::replace(&mut self.pending, tail)
    }

    /// The censored remainder.
    pub fn finish(mut self) -> Vec<u8> {
        self.censorer.censor_in_place(&mut self.pending);
        self.pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn censor_in_chunks(censorer: &Censorer, input: &[u8], chunk: usize) -> Vec<u8> {
        let mut stream = censorer.stream();
        let mut out = Vec::new();
        for piece in input.chunks(chunk) {
            out.extend(stream.push(piece));
        }
        out.extend(stream.finish());
        out
    }

    #[test]
    fn secrets_and_base64_are_censored_across_chunk_boundaries() {
        let censorer = Censorer::new(["hunter2", "s3cr3t-token"], 0).expect("censorer");
        let encoded = base64::engine::general_purpose::STANDARD.encode("hunter2");
        let input = format!("pw=hunter2 tok=s3cr3t-token b64={encoded} done hunter");
        let want = format!(
            "pw=******* tok=************ b64={} done hunter",
            "*".repeat(encoded.len())
        );
        for chunk in [1, 2, 3, 5, 7, 64, 1024] {
            let out = censor_in_chunks(&censorer, input.as_bytes(), chunk);
            assert_eq!(String::from_utf8(out).expect("utf8"), want, "chunk {chunk}");
        }
    }

    #[test]
    fn short_and_empty_secrets_are_ignored() {
        assert!(Censorer::new(["", "ab"], 3).is_none());
        let censorer = Censorer::new(["ab", "abcd"], 3).expect("censorer");
        let out = censor_in_chunks(&censorer, b"ab abcd", 4);
        assert_eq!(out, b"ab ****");
    }
}
