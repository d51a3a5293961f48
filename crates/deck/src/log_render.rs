//! Build logs as HTML: lines cut from a byte range at line boundaries, each line numbered with
//! a link (`#L12`), text escaped, ANSI colours (SGR) turned into CSS classes and every other
//! escape sequence dropped.

use std::fmt::Write as _;

use serde::Serialize;

use crate::html::push_escaped;

/// Bytes of log read per chunk.
pub const CHUNK_BYTES: u64 = 256 * 1024;

/// One rendered piece of a log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LogChunk {
    /// The lines as HTML (`<div class="l" id="L1">...`).
    pub html: String,
    /// Byte offset of the next chunk.
    pub next_offset: u64,
    /// Number of the next line.
    pub next_line: u64,
    /// Whether this chunk reaches the end of the log.
    pub eof: bool,
    /// Size of the whole log.
    pub total_bytes: u64,
}

/// Renders `bytes`, read from `offset` of a log of `total` bytes whose first line here is
/// numbered `first_line`. Unless the chunk reaches the end, it stops after its last newline
/// (a line longer than the chunk is cut).
pub fn render_chunk(bytes: &[u8], offset: u64, total: u64, first_line: u64) -> LogChunk {
    let reaches_end = offset + bytes.len() as u64 >= total;
    let used = if reaches_end {
        bytes.len()
    } else {
        match bytes.iter().rposition(|b| *b == b'\n') {
            Some(i) => i + 1,
            None => bytes.len(),
        }
    };
    let text = String::from_utf8_lossy(&bytes[..used]);
    let mut html = String::with_capacity(used * 2);
    let mut line = first_line;
    let body = text.strip_suffix('\n').unwrap_or(&text);
    if !body.is_empty() || !text.is_empty() {
        for raw in body.split('\n') {
            push_line(&mut html, line, raw);
            line += 1;
        }
    }
    LogChunk {
        html,
        next_offset: offset + used as u64,
        next_line: line,
        eof: reaches_end,
        total_bytes: total,
    }
}

fn push_line(out: &mut String, number: u64, raw: &str) {
    let _ = write!(
        out,
        "<div class=\"l\" id=\"L{number}\"><a class=\"n\" href=\"#L{number}\">{number}</a><span class=\"t\">"
    );
    ansi_to_html(out, visible_text(raw));
    out.push_str("</span></div>");
}

/// What a terminal shows of a line with carriage returns: the text after the last `\r`.
fn visible_text(raw: &str) -> &str {
    let trimmed = raw.strip_suffix('\r').unwrap_or(raw);
    match trimmed.rfind('\r') {
        Some(i) => &trimmed[i + 1..],
        None => trimmed,
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Style {
    bold: bool,
    dim: bool,
    italic: bool,
    underline: bool,
    fg: Option<u8>,
    bg: Option<u8>,
}

impl Style {
    fn classes(self) -> String {
        let mut classes = Vec::new();
        if self.bold {
            classes.push("a-b".to_string());
        }
        if self.dim {
            classes.push("a-d".to_string());
        }
        if self.italic {
            classes.push("a-i".to_string());
        }
        if self.underline {
            classes.push("a-u".to_string());
        }
        if let Some(fg) = self.fg {
            classes.push(format!("f{fg}"));
        }
        if let Some(bg) = self.bg {
            classes.push(format!("b{bg}"));
        }
        classes.join(" ")
    }

    fn apply(&mut self, params: &str) {
        let codes: Vec<u32> = if params.is_empty() {
            vec![0]
        } else {
            params.split(';').map(|p| p.parse().unwrap_or(0)).collect()
        };
        let mut i = 0;
        while i < codes.len() {
            match codes[i] {
                0 => *self = Style::default(),
                1 => self.bold = true,
                2 => self.dim = true,
                3 => self.italic = true,
                4 => self.underline = true,
                22 => (self.bold, self.dim) = (false, false),
                23 => self.italic = false,
                24 => self.underline = false,
                c @ 30..=37 => self.fg = Some((c - 30) as u8),
                39 => self.fg = None,
                c @ 40..=47 => self.bg = Some((c - 40) as u8),
                49 => self.bg = None,
                c @ 90..=97 => self.fg = Some((c - 90 + 8) as u8),
                c @ 100..=107 => self.bg = Some((c - 100) as u8),
                38 | 48 => {
                    // extended colours (38;5;n or 38;2;r;g;b): skipped, text keeps its colour
                    i += match codes.get(i + 1) {
                        Some(5) => 2,
                        Some(2) => 4,
                        _ => 0,
                    };
                }
                _ => {}
            }
            i += 1;
        }
    }
}

/// Appends `text` escaped, with SGR colours as `<span class=...>` and other escapes removed.
pub fn ansi_to_html(out: &mut String, text: &str) {
    let mut style = Style::default();
    let mut open = false;
    let mut rest = text;
    while let Some(esc) = rest.find('\u{1b}') {
        push_escaped(out, &rest[..esc]);
        let after = &rest[esc + 1..];
        let Some(csi) = after.strip_prefix('[') else {
            // a lone ESC or a non-CSI sequence: drop the ESC and its next character
            let skip = after.chars().next().map_or(0, char::len_utf8);
            rest = &after[skip..];
            continue;
        };
        let end = csi
            .char_indices()
            .find(|(_, c)| ('\u{40}'..='\u{7e}').contains(c));
        let Some((end, command)) = end else {
            rest = "";
            break;
        };
        if command == 'm' {
            style.apply(&csi[..end]);
            if open {
                out.push_str("</span>");
                open = false;
            }
            let classes = style.classes();
            if !classes.is_empty() {
                let _ = write!(out, "<span class=\"{classes}\">");
                open = true;
            }
        }
        rest = &csi[end + 1..];
    }
    push_escaped(out, rest);
    if open {
        out.push_str("</span>");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ansi(text: &str) -> String {
        let mut out = String::new();
        ansi_to_html(&mut out, text);
        out
    }

    #[test]
    fn ansi_colours_become_classes_and_text_is_escaped() {
        let cases = [
            ("plain <b>", "plain &lt;b&gt;"),
            (
                "\u{1b}[31mred\u{1b}[0m ok",
                "<span class=\"f1\">red</span> ok",
            ),
            (
                "\u{1b}[1;32mPASS\u{1b}[m",
                "<span class=\"a-b f2\">PASS</span>",
            ),
            ("\u{1b}[91;44mx", "<span class=\"f9 b4\">x</span>"),
            ("\u{1b}[38;5;196mext\u{1b}[0m", "ext"),
            ("\u{1b}[2Kcleared", "cleared"),
            (
                "a\u{1b}[31m<\u{1b}[39m>",
                "a<span class=\"f1\">&lt;</span>&gt;",
            ),
            ("cut \u{1b}[3", "cut "),
            ("\u{1b}]0;title", "0;title"),
        ];
        for (input, expected) in cases {
            assert_eq!(ansi(input), expected, "{input:?}");
        }
    }

    #[test]
    fn chunks_end_at_line_boundaries_and_number_lines() {
        let log = b"one\ntwo\nthree\nfour";
        // the first 10 bytes end inside "three": the chunk stops after "two\n"
        let first = render_chunk(&log[..10], 0, log.len() as u64, 1);
        assert_eq!(
            (first.next_offset, first.next_line, first.eof),
            (8, 3, false)
        );
        assert!(first.html.contains("id=\"L1\"") && first.html.contains("id=\"L2\""));
        assert!(!first.html.contains("three"));
        let second = render_chunk(&log[8..], 8, log.len() as u64, first.next_line);
        assert_eq!(
            (second.next_offset, second.next_line, second.eof),
            (18, 5, true)
        );
        assert!(
            second
                .html
                .contains("<a class=\"n\" href=\"#L4\">4</a><span class=\"t\">four</span>")
        );
        // a line longer than the chunk is cut rather than never progressing
        let long = render_chunk(b"abcdef", 0, 100, 1);
        assert_eq!((long.next_offset, long.next_line), (6, 2));
        // carriage returns show what a terminal would
        let progress = render_chunk(b"10%\r50%\r100%\r\n", 0, 15, 1);
        assert!(progress.html.contains(">100%</span>") && !progress.html.contains("50%"));
        let empty = render_chunk(b"", 0, 0, 1);
        assert_eq!((empty.html.as_str(), empty.eof), ("", true));
    }
}
