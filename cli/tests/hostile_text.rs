//! What a record, a log name or a link target holds is printed so that it cannot drive the
//! terminal (control characters escaped) nor pad every row of a table (cells capped, cut with
//! `…`), while `--json` keeps the exact text.

mod common;

use std::fs;

use common::{Sandbox, assert_code, record_json};
use serde_json::Value;

const ID: &str = "20260501T100000-0e5c";
/// The terminal escapes a hostile record carries: retitle the window, clear the screen, CR
/// over the line, BEL, a C1 CSI and a right-to-left override.
const HOSTILE: &str = "\u{1b}]0;owned\u{7}\u{1b}[2J\rhidden\u{9b}31m\u{202e}txt";
const SHOWN: &str = "\\x1b]0;owned\\x07\\x1b[2J\\rhidden\\u{9b}31m\\u{202e}txt";

/// `record_json(ID)` with `image_tag`, `image_config_name` (the IMAGE column) and `agent_name`
/// set to `value`, and one unknown field named `x_<name>` holding `name`.
fn hostile_record(sb: &Sandbox, value: &str, name: &str) {
    let mut record: Value = serde_json::from_str(&record_json(ID)).unwrap();
    let fields = record.as_object_mut().unwrap();
    fields.insert("image_tag".into(), value.into());
    fields.insert("image_config_name".into(), value.into());
    fields.insert("agent_name".into(), value.into());
    fields.insert(format!("x_{name}"), name.into());
    sb.write_record(ID, &serde_json::to_string_pretty(&record).unwrap());
}

fn assert_no_controls(text: &str) {
    assert!(
        !text
            .chars()
            .any(|c| (c.is_control() && c != '\n') || c == '\u{202e}'),
        "a control character got through: {text:?}"
    );
}

#[test]
fn ls_show_and_logs_escape_control_characters() {
    let sb = Sandbox::new();
    hostile_record(&sb, HOSTILE, HOSTILE);
    let run = sb.run(&["ls"], None);
    assert_code(&run, 0);
    assert_no_controls(&run.stdout);
    let row = run.stdout.lines().nth(1).unwrap();
    assert!(row.contains(SHOWN), "{row}");

    let run = sb.run(&["show", ID], None);
    assert_code(&run, 0);
    assert_no_controls(&run.stdout);
    let agent = run
        .stdout
        .lines()
        .find(|l| l.starts_with("agent_name"))
        .unwrap();
    assert!(agent.ends_with(&format!("  {SHOWN}")), "{agent}");
    // The unknown field's name and value, the value as JSON text (where JSON escapes it).
    assert!(
        run.stdout.contains(&format!("x_{SHOWN}  ")),
        "{}",
        run.stdout
    );

    // A log file named by whoever writes the session directory.
    let logs = sb.root().join(ID).join("logs");
    fs::create_dir_all(&logs).unwrap();
    fs::write(logs.join("a\u{1b}[31mred.log"), "x").unwrap();
    let run = sb.run(&["logs", ID], None);
    assert_code(&run, 0);
    assert_no_controls(&run.stdout);
    assert!(
        run.stdout.contains("a\\x1b[31mred.log  1 B"),
        "{}",
        run.stdout
    );
}

#[test]
fn skip_lines_link_targets_and_removal_reports_are_escaped() {
    let sb = Sandbox::new();
    // An unreadable record under a name with an escape in it.
    let bad = sb.root().join("bad\u{1b}[2Jentry");
    fs::create_dir_all(&bad).unwrap();
    fs::write(bad.join("session.json"), "not json").unwrap();
    // An explicit session in a directory whose name holds an escape, with a user file.
    let work = sb.path().join("work\u{1b}[8mdir");
    let s = sb
        .store
        .create(&common::spec("c").session_dir(&work))
        .unwrap()
        .into_session();
    fs::write(work.join("note\u{7}.txt"), "mine").unwrap();

    let run = sb.run(&["ls"], None);
    assert_code(&run, 0);
    assert_no_controls(&run.stdout);
    assert_no_controls(&run.stderr);
    assert!(
        run.stderr
            .starts_with("outrig-sessions: skipped bad\\x1b[2Jentry: "),
        "{}",
        run.stderr
    );
    assert!(run.stdout.contains("work\\x1b[8mdir"), "{}", run.stdout);

    let run = sb.run(&["discard", "--yes", s.id.as_str()], None);
    assert_code(&run, 0);
    assert_no_controls(&run.stdout);
    assert!(
        run.stdout.contains("kept in ") && run.stdout.contains(": note\\x07.txt (not"),
        "{}",
        run.stdout
    );
}

#[test]
fn one_huge_field_is_cut_and_does_not_pad_the_other_rows() {
    let sb = Sandbox::new();
    // Three fields of 300 kB (a record holds at most 1 MiB), and a long field name.
    let huge = "i".repeat(300 * 1024);
    hostile_record(&sb, &huge, &"n".repeat(1000));
    let other = "20260501T090000-0001";
    sb.write_record(other, &record_json(other));
    let run = sb.run(&["ls"], None);
    assert_code(&run, 0);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", run.stdout);
    // The cell is cut to 80 characters, its last one `…`.
    let cut = format!("{}…", "i".repeat(79));
    assert!(lines[1].contains(&format!("  {cut}  0")), "{}", lines[1]);
    assert!(lines.iter().all(|l| l.chars().count() < 200), "{lines:?}");
    // The other row is padded to the cut width, no more.
    let image_at = lines[0].find("IMAGE").unwrap();
    let exit_at = lines[0].find("EXIT").unwrap();
    assert_eq!(exit_at - image_at, 80 + 2, "{}", lines[0]);
    // (No image configuration name: `-`.)
    assert!(
        lines[2].contains(&format!("  -{}0", " ".repeat(82 - 1))),
        "{}",
        lines[2]
    );

    // `show` prints values whole; names are cut.
    let run = sb.run(&["show", ID], None);
    assert_code(&run, 0);
    let agent = run
        .stdout
        .lines()
        .find(|l| l.starts_with("agent_name"))
        .unwrap();
    assert!(agent.ends_with(&huge), "the value is whole");
    let unknown = run.stdout.lines().last().unwrap();
    assert!(
        unknown.starts_with(&format!("x_{}…  \"", "n".repeat(77))),
        "{}",
        &unknown[..100]
    );
    let agent_pad = agent.find("  ").unwrap();
    assert!(
        agent_pad <= 80,
        "names are padded to the cut width: {agent_pad}"
    );
}

#[test]
fn json_keeps_the_exact_text() {
    let sb = Sandbox::new();
    hostile_record(&sb, HOSTILE, HOSTILE);
    for args in [vec!["ls", "--json"], vec!["show", ID, "--json"]] {
        let run = sb.run(&args, None);
        assert_code(&run, 0);
        let record: Value = serde_json::from_str(run.stdout.trim_end()).unwrap();
        assert_eq!(record["image_tag"], HOSTILE, "{args:?}");
        assert_eq!(record["agent_name"], HOSTILE, "{args:?}");
        assert_eq!(record[format!("x_{HOSTILE}")], HOSTILE, "{args:?}");
    }
}
