//! Hostile ids and log names never touch anything outside the session root.

mod common;

use std::fs;

use common::{names, spec, store};
use outrig::{ErrorKind, SessionId};

const HOSTILE: &[&str] = &[
    "",
    ".",
    "..",
    "../x",
    "../../canary",
    "a/b",
    "/abs",
    "/",
    ".hidden",
    "a\0b",
    "\0",
    "a b",
    "a\nb",
    "a\\b",
    "~",
    "$HOME",
    "*",
    // Unicode look-alikes of '.', '/' and '..'.
    "\u{2024}\u{2024}",
    "\u{ff0e}\u{ff0e}",
    "a\u{2215}b",
    "a\u{2044}b",
    "\u{ff0f}etc",
    "é",
];

#[test]
fn hostile_ids_and_log_names_are_refused_and_canaries_survive() {
    let (tmp, store) = store();
    let canary = tmp.path().join("canary");
    fs::write(&canary, "alive").unwrap();
    let s = store.create(&spec("c")).unwrap();
    let long = "x".repeat(256);
    let mut tried = 0;
    for bad in HOSTILE.iter().copied().chain([long.as_str()]) {
        let err = SessionId::parse(bad).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "id {bad:?}");
        tried += 1;
        if bad == "a/b" {
            continue; // a fine log name: a file in a subdirectory of logs/
        }
        let err = store.log_path(&s.id, bad).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "log name {bad:?}");
        let nested = format!("ok/{bad}");
        let err = store.log_path(&s.id, &nested).unwrap_err();
        assert_eq!(
            err.kind(),
            ErrorKind::InvalidArgument,
            "log name {nested:?}"
        );
        tried += 2;
    }
    assert_eq!(fs::read(&canary).unwrap(), b"alive");
    assert_eq!(names(tmp.path()), ["canary", "root"]);
    // Only the refused names were tried, so no logs/ was made.
    assert_eq!(names(&s.session_dir), ["session.json"]);
    println!("hostile inputs: {tried} ids and log names refused, canaries untouched");
}
