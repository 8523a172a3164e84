//! Text from records made safe to print: control characters shown escaped, overlong cells cut.
//!
//! A record, a log name or a link target is written by whoever can write the session directory,
//! so it may hold terminal escape sequences (ESC, CSI, BEL, CR...) that would move the cursor,
//! retitle the window or hide lines when printed raw. Every such character is printed as an
//! escape instead (`\x1b`, `\r`, `\u{9b}`); `--json` keeps the exact bytes for scripts.

use std::borrow::Cow;
use std::fmt::Write as _;

/// The longest table cell, in characters: one huge field must not pad every row.
pub const MAX_CELL_CHARS: usize = 80;

/// Marks where a cell was cut.
pub const ELLIPSIS: char = '…';

/// `true` for a character a terminal may act on rather than show: the C0 and C1 controls, DEL,
/// and the bidirectional formatting characters that reorder what follows them.
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

/// `s` with each control character written as an escape: `\t`, `\n`, `\r`, `\x1b` for the
/// other ASCII ones, `\u{9b}` beyond ASCII. Everything else, backslashes included, is kept as
/// it is, so ordinary values read unchanged.
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c.is_ascii() && needs_escape(c) => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if needs_escape(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// `s` escaped and cut to at most [`MAX_CELL_CHARS`] characters, the last one `…` when cut.
pub fn cell(s: &str) -> String {
    let escaped = escape(s);
    match escaped.char_indices().nth(MAX_CELL_CHARS) {
        None => escaped.into_owned(),
        Some(_) => {
            let keep = escaped
                .char_indices()
                .nth(MAX_CELL_CHARS - 1)
                .map_or(escaped.len(), |(i, _)| i);
            let mut out = escaped[..keep].to_owned();
            out.push(ELLIPSIS);
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_escaped_and_the_rest_kept() {
        for (raw, shown) in [
            (
                "plain /path\\with-backslash é 漢",
                "plain /path\\with-backslash é 漢",
            ),
            ("\x1b]0;owned\x07", "\\x1b]0;owned\\x07"),
            ("a\rb\nc\td", "a\\rb\\nc\\td"),
            ("\0\x7f", "\\x00\\x7f"),
            ("\u{9b}31m", "\\u{9b}31m"),
            ("abc\u{202e}fed", "abc\\u{202e}fed"),
        ] {
            assert_eq!(escape(raw), shown, "{raw:?}");
        }
        assert!(matches!(escape("no controls"), Cow::Borrowed(_)));
    }

    #[test]
    fn cells_are_cut_at_the_cap_with_an_ellipsis() {
        let exact = "x".repeat(MAX_CELL_CHARS);
        assert_eq!(cell(&exact), exact);
        let long = "é".repeat(900_000);
        let cut = cell(&long);
        assert_eq!(cut.chars().count(), MAX_CELL_CHARS);
        assert!(cut.ends_with(ELLIPSIS), "{cut}");
        assert!(cut.starts_with("éé"));
        // Escapes count toward the width, since they are what is printed.
        let escapes = "\x1b".repeat(MAX_CELL_CHARS);
        let cut = cell(&escapes);
        assert_eq!(cut.chars().count(), MAX_CELL_CHARS);
        assert!(cut.starts_with("\\x1b\\x1b"), "{cut}");
    }
}
