//! Text for people and JSON for scripts: tables, sizes, durations and record objects.

use std::time::SystemTime;

use outrig::{Session, State, format_duration, format_started_at};
use serde_json::{Map, Value};

use crate::escape;
use crate::failure::Outcome;

/// Shown where a value is absent.
pub const ABSENT: &str = "-";

/// Lays out rows under a header in columns two spaces apart; the last column is not padded
/// and no line ends in spaces. Every cell is escaped and cut to
/// [`MAX_CELL_CHARS`](escape::MAX_CELL_CHARS) (see [`escape::cell`]), so what a record holds
/// can neither drive the terminal nor widen every row.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let columns = header.len();
    let header: Vec<String> = header.iter().map(|h| escape::cell(h)).collect();
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|row| row.iter().map(|c| escape::cell(c)).collect())
        .collect();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(&header).chain(&rows) {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate().take(columns) {
            line.push_str(cell);
            if i + 1 < columns {
                let pad = widths[i] - cell.chars().count() + 2;
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The header of a session table, as `outrig ls` prints it (the last column, for `-> target`,
/// has no title).
pub const SESSION_HEADER: [&str; 6] = ["ID", "STARTED", "DURATION", "IMAGE", "EXIT", ""];

/// One row of a session table: id, start (UTC), duration (so far, for a running session),
/// image (its configuration name, else `-`, as `outrig ls`; `show` has the tag), exit code
/// (`-` while it runs, `abandoned` for a session its launcher left unfinalized, `?` when
/// whether it runs could not be told), and `-> target` for a symlinked entry.
pub fn session_row(s: &Session, state: State, now: SystemTime) -> Vec<String> {
    let duration = s
        .duration()
        .unwrap_or_else(|| now.duration_since(s.started_at).unwrap_or_default());
    vec![
        s.id.to_string(),
        format_started_at(s.started_at),
        format_duration(duration),
        s.image_config_name
            .clone()
            .unwrap_or_else(|| ABSENT.to_owned()),
        match (s.exit_code, state) {
            (Some(code), _) => code.to_string(),
            (None, State::Abandoned) => "abandoned".to_owned(),
            (None, State::Unknown) => "?".to_owned(),
            (None, _) => ABSENT.to_owned(),
        },
        s.link_target
            .as_ref()
            .map(|t| format!("-> {}", t.display()))
            .unwrap_or_default(),
    ]
}

/// A table of sessions, with their states (in the same order).
pub fn session_table(sessions: &[Session], states: &[State], now: SystemTime) -> String {
    let rows: Vec<_> = sessions
        .iter()
        .zip(states)
        .map(|(s, state)| session_row(s, *state, now))
        .collect();
    table(&SESSION_HEADER, &rows)
}

/// A size as people read it: bytes under 1 KiB (`512 B`), else one decimal in the largest
/// binary unit that keeps the number under 1024 (`1.2 KiB`, `3.0 MiB`).
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    // Compare the value as printed, so 1048575 bytes reads `1.0 MiB`, not `1024.0 KiB`.
    while (value * 10.0).round() / 10.0 >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// The record as one JSON object: its fields exactly as `session.json` holds them (in the
/// record's order, unknown fields included), then `link_target` when the session's entry under
/// the root is a symlink.
pub fn session_json(s: &Session) -> Outcome<Value> {
    let bytes = s.to_json()?;
    let mut record: Map<String, Value> =
        serde_json::from_slice(&bytes).expect("a record's own JSON is a JSON object");
    if let Some(target) = &s.link_target {
        record.insert(
            "link_target".to_owned(),
            Value::String(target.to_string_lossy().into_owned()),
        );
    }
    Ok(Value::Object(record))
}

/// [`session_json`] with the session's state (`"state": "running"`, ...) after the record's
/// fields: what `show --json` prints.
pub fn session_json_with_state(s: &Session, state: State) -> Outcome<Value> {
    let Value::Object(mut record) = session_json(s)? else {
        unreachable!("session_json returns an object");
    };
    record.insert("state".to_owned(), Value::String(state.as_str().to_owned()));
    Ok(Value::Object(record))
}

/// [`session_json_with_state`] as the one line `ls --json` prints, written straight from the
/// record by its own serializer (compact, the same fields, order and values) without the
/// object in between: `ls --json` holds this line for every session until the listing is
/// sorted.
pub fn session_line(s: &Session, state: State) -> Outcome<String> {
    let Ok(mut line) = serde_json::to_string(s) else {
        // A record the serializer refuses (a path that is not UTF-8, a time out of range):
        // the object's way gives the core's own error for it.
        return session_json_with_state(s, state).map(|v| v.to_string());
    };
    // The record is an object with at least its id: insert before its closing brace.
    line.pop();
    if let Some(target) = &s.link_target {
        line.push_str(",\"link_target\":");
        line.push_str(&Value::String(target.to_string_lossy().into_owned()).to_string());
    }
    line.push_str(",\"state\":\"");
    line.push_str(state.as_str());
    line.push_str("\"}");
    Ok(line)
}

/// Every field of a record, one `name  value` line each: the known fields in the record's
/// order (timestamps in RFC 3339 as on disk, `-` when absent), the duration, the link target,
/// then the fields a newer writer added, as compact JSON. Values are printed whole but escaped;
/// names (which a record's unknown fields choose) are also cut like table cells, so one long
/// name cannot indent every line.
pub fn show(
    s: &Session,
    state: State,
    unknown_reason: Option<&str>,
    now: SystemTime,
) -> Outcome<String> {
    let Value::Object(mut record) = session_json(s)? else {
        unreachable!("session_json returns an object");
    };
    let link = record.shift_remove("link_target");
    let mut lines: Vec<(String, String)> = Vec::new();
    for name in Session::FIELDS {
        let value = record.shift_remove(name).map_or_else(
            || {
                if name == "ended_at" {
                    format!("- ({state})")
                } else {
                    ABSENT.to_owned()
                }
            },
            |v| field_text(&v),
        );
        lines.push((name.to_owned(), value));
        if name == "ended_at" {
            let since_start = || now.duration_since(s.started_at).unwrap_or_default();
            let duration = match (s.duration(), state) {
                (Some(d), _) => format_duration(d),
                (None, State::Running) => format!("{} so far", format_duration(since_start())),
                // Never finalized and not running: how long ago it started, not a run time.
                (None, _) => format!("- (started {} ago)", format_duration(since_start())),
            };
            lines.push(("duration".to_owned(), duration));
            let state_text = match (state, unknown_reason) {
                (State::Unknown, Some(why)) => format!("unknown ({why})"),
                _ => state.as_str().to_owned(),
            };
            lines.push(("state".to_owned(), state_text));
        }
    }
    lines.push((
        "link_target".to_owned(),
        link.map_or_else(|| ABSENT.to_owned(), |v| field_text(&v)),
    ));
    // What is left are the fields this version does not know, in the record's order.
    lines.extend(record.into_iter().map(|(k, v)| {
        let text = serde_json::to_string(&v).expect("a JSON value prints");
        (k, text)
    }));
    let lines: Vec<(String, String)> = lines
        .into_iter()
        .map(|(k, v)| (escape::cell(&k), escape::escape(&v).into_owned()))
        .collect();
    let width = lines
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    Ok(lines
        .into_iter()
        .map(|(k, v)| format!("{k:<width$}  {v}\n"))
        .collect())
}

/// A known field's value as text: strings bare, lists joined with `, `.
fn field_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(items) if items.is_empty() => ABSENT.to_owned(),
        Value::Array(items) => items.iter().map(field_text).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_ls_json_holds_is_the_object_show_json_prints() {
        let record = r#"{
  "id": "20260501T134412-3f2a",
  "started_at": "2026-05-01T13:44:12.123456789+02:00",
  "container_name": "c \u001b \"q\" é",
  "sidecar_container_names": ["s1", "s2"],
  "image_tag": "t",
  "container_config_name": "legacy",
  "working_dir": "/w",
  "session_dir": "/d",
  "exit_code": -3,
  "zz_newer": {"b": [1, 2.5, null, true], "a": "x"},
  "aa_newer": 1e300
}"#;
        let mut s = Session::from_json(record.as_bytes()).unwrap();
        let line = session_line(&s, State::Abandoned).unwrap();
        assert_eq!(
            line,
            session_json_with_state(&s, State::Abandoned)
                .unwrap()
                .to_string()
        );
        assert!(!line.contains("link_target"), "{line}");
        assert!(line.ends_with(r#","state":"abandoned"}"#), "{line}");
        s.link_target = Some("/target \"quoted\"\n".into());
        let line = session_line(&s, State::Finished).unwrap();
        assert_eq!(
            line,
            session_json_with_state(&s, State::Finished)
                .unwrap()
                .to_string()
        );
        assert!(
            line.ends_with(r#","link_target":"/target \"quoted\"\n","state":"finished"}"#),
            "{line}"
        );
        // A record the core cannot write fails the same way both ways.
        s.started_at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1 << 40);
        let (a, b) = (
            session_line(&s, State::Finished).unwrap_err(),
            session_json(&s).unwrap_err(),
        );
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
    }

    #[test]
    fn sizes_read_like_people_write_them() {
        for (bytes, want) in [
            (0, "0 B"),
            (512, "512 B"),
            (1023, "1023 B"),
            (1024, "1.0 KiB"),
            (1229, "1.2 KiB"),
            (1_048_575, "1.0 MiB"),
            (3 * 1024 * 1024, "3.0 MiB"),
            (5 * (1 << 30) + (1 << 29), "5.5 GiB"),
            (u64::MAX, "16.0 EiB"),
        ] {
            assert_eq!(human_size(bytes), want, "{bytes}");
        }
    }

    #[test]
    fn tables_align_and_trim() {
        let rows = vec![
            vec!["a".to_owned(), "long value".to_owned(), "".to_owned()],
            vec!["bbb".to_owned(), "x".to_owned(), "-> /t".to_owned()],
        ];
        assert_eq!(
            table(&["K", "V", ""], &rows),
            "K    V\na    long value\nbbb  x           -> /t\n"
        );
    }

    #[test]
    fn tables_escape_and_cap_cells() {
        let huge = "i".repeat(900_000);
        let rows = vec![
            vec!["a\x1b[2J".to_owned(), huge, "z".to_owned()],
            vec!["b".to_owned(), "short".to_owned(), "z".to_owned()],
        ];
        let text = table(&["K", "V", "L"], &rows);
        assert!(!text.contains('\x1b'), "{text}");
        let lines: Vec<&str> = text.lines().collect();
        let cut = format!(
            "{}{}",
            "i".repeat(escape::MAX_CELL_CHARS - 1),
            escape::ELLIPSIS
        );
        assert_eq!(lines[1], format!("a\\x1b[2J  {cut}  z"));
        // The short row is padded only to the cap.
        let pad = escape::MAX_CELL_CHARS - "short".len() + 2;
        assert_eq!(lines[2], format!("b         short{}z", " ".repeat(pad)));
    }
}
