//! outrig's names for logs: an MCP server's captured stderr, `logs/<server>.stderr`, is named
//! by the server alone (`outrig logs ID fs` reads `logs/fs.stderr`), and so it is here.

use outrig::{ErrorKind, SessionId, SessionStore};

/// The suffix outrig gives an MCP server's captured stderr.
pub const STDERR_SUFFIX: &str = ".stderr";

/// How the listing names the log `name`: `NAME.stderr` as `NAME`, as outrig's listing does
/// (nested ones too: `sub/fs.stderr` as `sub/fs`), unless `all` (every log's name) holds a log
/// called `NAME`, which would make the two look alike.
pub fn shown(name: &str, all: &[&str]) -> String {
    match name.strip_suffix(STDERR_SUFFIX) {
        Some(short) if !short.is_empty() && !short.ends_with('/') && !all.contains(&short) => {
            short.to_owned()
        }
        _ => name.to_owned(),
    }
}

/// The log `name` means in session `id`: `name` itself when the session has such a log, else
/// `name.stderr` when it has that one, else `name` (for the command to report as missing, or
/// for `--follow` to wait on). Lookup errors other than "no such log" are left for the command
/// to meet with `name`.
pub fn resolve(store: &SessionStore, id: &SessionId, name: &str) -> String {
    match store.find_log(id, name) {
        Err(e) if e.kind() == ErrorKind::NotFound && !name.ends_with(STDERR_SUFFIX) => {
            let stderr = format!("{name}{STDERR_SUFFIX}");
            match store.find_log(id, &stderr) {
                Ok(_) => stderr,
                // Report the log asked for, not the one tried on its behalf.
                Err(_) => name.to_owned(),
            }
        }
        _ => name.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stderr_logs_are_shown_without_the_suffix_unless_that_name_is_taken() {
        let all = [
            "dup",
            "dup.stderr",
            "fs.stderr",
            "sub/web.stderr",
            ".stderr",
            "sub/.stderr",
        ];
        for (name, want) in [
            ("fs.stderr", "fs"),
            ("sub/web.stderr", "sub/web"),
            ("dup.stderr", "dup.stderr"),
            ("dup", "dup"),
            (".stderr", ".stderr"),
            ("sub/.stderr", "sub/.stderr"),
            ("agent.log", "agent.log"),
        ] {
            assert_eq!(shown(name, &all), want, "{name}");
        }
    }
}
