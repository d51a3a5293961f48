//! Container log files in the CRI format a kubelet reads (`<RFC3339Nano> <stream> <F|P>
//! <content>`, one entry a line; `P` marks a chunk that did not end a line), written from a
//! process's stdout and stderr, and rendered back as the kubelet's `containerLogs` endpoint
//! returns them (`timestamps`, `tailLines`, `limitBytes`).

use std::path::Path;
use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::sync::Mutex;

/// One parsed log entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogEntry {
    /// RFC 3339 timestamp with nanoseconds.
    pub timestamp: String,
    /// The text, without the line's newline.
    pub content: String,
    /// Whether the original output ended a line here.
    pub full_line: bool,
}

/// How to render entries.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RenderOptions {
    /// Prefix each line with its timestamp.
    pub timestamps: bool,
}

/// Copies a process output stream into the shared log file, one CRI entry per line (or per
/// chunk when a read ends without a newline).
pub async fn copy_output(
    mut reader: impl AsyncRead + Unpin,
    stream: &'static str,
    file: Arc<Mutex<std::fs::File>>,
) {
    let mut buffer = vec![0u8; 16 * 1024];
    let mut pending: Vec<u8> = Vec::new();
    loop {
        let read = match reader.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        pending.extend_from_slice(&buffer[..read]);
        let mut text = String::new();
        while let Some(end) = pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = pending.drain(..=end).collect();
            text.push_str(&format_entry(stream, &line[..line.len() - 1], true));
        }
        if !pending.is_empty() {
            text.push_str(&format_entry(stream, &pending, false));
            pending.clear();
        }
        let mut file = file.lock().await;
        if std::io::Write::write_all(&mut *file, text.as_bytes()).is_err() {
            break;
        }
    }
}

fn format_entry(stream: &str, content: &[u8], full_line: bool) -> String {
    let now = jiff::Timestamp::now();
    let tag = if full_line { 'F' } else { 'P' };
    format!(
        "{} {stream} {tag} {}\n",
        now.strftime("%Y-%m-%dT%H:%M:%S.%9fZ"),
        String::from_utf8_lossy(content)
    )
}

/// Parses one line of a log file; `None` for a malformed line.
pub fn parse_entry(line: &str) -> Option<LogEntry> {
    let (timestamp, rest) = line.split_once(' ')?;
    let (_stream, rest) = rest.split_once(' ')?;
    let (tag, content) = rest.split_once(' ').unwrap_or((rest, ""));
    Some(LogEntry {
        timestamp: timestamp.to_owned(),
        content: content.to_owned(),
        full_line: tag == "F",
    })
}

/// Splits `bytes` into complete lines (each ending in `\n`) and returns the entries plus how
/// many bytes they used (the rest is an entry still being written).
pub fn parse_complete(bytes: &[u8]) -> (Vec<LogEntry>, usize) {
    let Some(last_newline) = bytes.iter().rposition(|&b| b == b'\n') else {
        return (Vec::new(), 0);
    };
    let text = String::from_utf8_lossy(&bytes[..=last_newline]);
    let entries = text.lines().filter_map(parse_entry).collect();
    (entries, last_newline + 1)
}

/// Keeps only the entries that make up the last `tail_lines` output lines.
pub fn tail(entries: Vec<LogEntry>, tail_lines: usize) -> Vec<LogEntry> {
    let mut lines_seen = 0;
    let mut start = entries.len();
    for (i, entry) in entries.iter().enumerate().rev() {
        if entry.full_line || i == entries.len() - 1 {
            if lines_seen == tail_lines {
                break;
            }
            if entry.full_line {
                lines_seen += 1;
            }
        }
        start = i;
    }
    entries[start..].to_vec()
}

/// Renders entries as the kubelet does. `at_line_start` tracks whether the previous chunk
/// ended a line (for timestamp prefixes across calls).
pub fn render(entries: &[LogEntry], options: RenderOptions, at_line_start: &mut bool) -> Vec<u8> {
    let mut out = Vec::new();
    for entry in entries {
        if options.timestamps && *at_line_start {
            out.extend_from_slice(entry.timestamp.as_bytes());
            out.push(b' ');
        }
        out.extend_from_slice(entry.content.as_bytes());
        if entry.full_line {
            out.push(b'\n');
        }
        *at_line_start = entry.full_line;
    }
    out
}

/// Reads and parses the whole file (empty when it does not exist yet).
pub async fn read_entries(path: &Path) -> (Vec<LogEntry>, usize) {
    let bytes = tokio::fs::read(path).await.unwrap_or_default();
    parse_complete(&bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(content: &str, full_line: bool) -> LogEntry {
        LogEntry {
            timestamp: "2026-01-01T00:00:00.000000000Z".into(),
            content: content.into(),
            full_line,
        }
    }

    #[test]
    fn entries_round_trip_through_the_file_format() {
        let cases = [
            (b"hello".as_slice(), true),
            (b"no newline", false),
            (b"", true),
        ];
        for (content, full) in cases {
            let line = format_entry("stdout", content, full);
            let (parsed, used) = parse_complete(line.as_bytes());
            assert_eq!(used, line.len());
            assert_eq!(parsed.len(), 1);
            assert_eq!(parsed[0].content.as_bytes(), content);
            assert_eq!(parsed[0].full_line, full);
        }
    }

    #[test]
    fn an_unfinished_entry_is_left_for_later() {
        let (entries, used) =
            parse_complete(b"2026-01-01T00:00:00Z stdout F a\n2026-01-01T00:00:00Z std");
        assert_eq!(
            entries,
            vec![LogEntry {
                timestamp: "2026-01-01T00:00:00Z".into(),
                content: "a".into(),
                full_line: true
            }]
        );
        assert_eq!(used, 32);
    }

    #[test]
    fn rendering_and_tailing() {
        let entries = vec![
            entry("a", true),
            entry("b", true),
            entry("c1", false),
            entry("c2", true),
        ];
        let cases = [
            (None, false, "a\nb\nc1c2\n"),
            (Some(1), false, "c1c2\n"),
            (Some(2), false, "b\nc1c2\n"),
            (Some(0), false, ""),
            (Some(9), false, "a\nb\nc1c2\n"),
            (Some(1), true, "2026-01-01T00:00:00.000000000Z c1c2\n"),
        ];
        for (tail_lines, timestamps, want) in cases {
            let selected = match tail_lines {
                Some(n) => tail(entries.clone(), n),
                None => entries.clone(),
            };
            let mut at_line_start = true;
            let out = render(&selected, RenderOptions { timestamps }, &mut at_line_start);
            assert_eq!(
                String::from_utf8_lossy(&out),
                want,
                "{tail_lines:?} {timestamps}"
            );
        }
    }
}
