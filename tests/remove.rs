//! `remove` and `remove_by_path`: exactly the store's names, the record last.

mod common;

use std::fs;
use std::os::unix::fs::symlink;

use common::{names, spec, store};
use outrig::{ErrorKind, SessionId};

#[test]
fn remove_deletes_an_auto_session_entirely() {
    let (_tmp, store) = store();
    let s = store.create(&spec("c")).unwrap();
    let log = store.log_path(&s.id, "deep/agent.log").unwrap();
    fs::write(&log, "x").unwrap();
    let dir = store.entry_path(&s.id);
    fs::write(dir.join("outrig-enter"), "#!/bin/sh\n").unwrap();
    fs::write(dir.join(".session.json.Ab12.tmp"), "{").unwrap();
    let removal = store.remove(&s.id).unwrap();
    assert_eq!(removal.session_dir, dir);
    assert!(removal.kept.is_empty());
    assert!(!dir.exists());
    assert!(store.list().unwrap().sessions.is_empty());
    let err = store.remove(&s.id).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
}

#[test]
fn remove_keeps_what_is_not_the_stores() {
    let (tmp, store) = store();
    let s = store.create(&spec("c")).unwrap();
    let dir = store.entry_path(&s.id);
    fs::write(dir.join("notes.txt"), "mine").unwrap();
    fs::create_dir(dir.join("outrig-enter")).unwrap(); // a directory by that name is not ours
    fs::write(dir.join("outrig-enter/inner"), "mine").unwrap();
    let outside = tmp.path().join("outside");
    fs::create_dir(&outside).unwrap();
    fs::write(outside.join("canary"), "keep").unwrap();
    symlink(&outside, dir.join("logs")).unwrap();

    let removal = store.remove(&s.id).unwrap();
    assert_eq!(removal.kept, ["logs", "notes.txt", "outrig-enter"]);
    assert_eq!(names(&dir), ["logs", "notes.txt", "outrig-enter"]);
    assert_eq!(
        fs::read(outside.join("canary")).unwrap(),
        b"keep",
        "logs link not followed"
    );
    assert_eq!(fs::read(dir.join("outrig-enter/inner")).unwrap(), b"mine");
    assert!(
        store.list().unwrap().sessions.is_empty(),
        "the record is gone"
    );
}

#[test]
fn remove_of_an_explicit_session_removes_the_link_too() {
    let (tmp, store) = store();
    let dir = tmp.path().join("explicit");
    let s = store.create(&spec("c").session_dir(&dir)).unwrap();
    fs::write(store.log_path(&s.id, "a.log").unwrap(), "x").unwrap();
    fs::write(dir.join("keep.txt"), "mine").unwrap();
    let removal = store.remove(&s.id).unwrap();
    assert_eq!(removal.kept, ["keep.txt"]);
    assert_eq!(names(&dir), ["keep.txt"]);
    assert!(fs::symlink_metadata(store.entry_path(&s.id)).is_err());
}

#[test]
fn dangling_links_are_removed() {
    let (tmp, store) = store();
    let dir = tmp.path().join("explicit");
    let s = store.create(&spec("c").session_dir(&dir)).unwrap();
    fs::remove_dir_all(&dir).unwrap();
    assert!(store.list().unwrap().sessions.is_empty());
    let removal = store.remove(&s.id).unwrap();
    assert!(removal.kept.is_empty());
    assert!(fs::symlink_metadata(store.entry_path(&s.id)).is_err());
}

#[test]
fn a_link_to_a_directory_without_a_record_costs_that_directory_nothing() {
    let (tmp, store) = store();
    let home = tmp.path().join("home");
    fs::create_dir_all(home.join("logs")).unwrap();
    fs::write(home.join("logs/precious"), "keep").unwrap();
    fs::write(home.join("outrig-enter"), "keep").unwrap();
    fs::create_dir_all(store.root()).unwrap();
    let id = SessionId::parse("planted").unwrap();
    symlink(&home, store.entry_path(&id)).unwrap();
    store.remove(&id).unwrap();
    assert_eq!(fs::read(home.join("logs/precious")).unwrap(), b"keep");
    assert_eq!(fs::read(home.join("outrig-enter")).unwrap(), b"keep");
    assert!(fs::symlink_metadata(store.entry_path(&id)).is_err());
}

#[test]
fn corrupt_sessions_can_be_removed_by_id() {
    let (_tmp, store) = store();
    let id = SessionId::parse("20260501T134412-3f2a").unwrap();
    let dir = store.entry_path(&id);
    fs::create_dir_all(dir.join("logs")).unwrap();
    fs::write(dir.join("session.json"), "{").unwrap();
    assert_eq!(store.list().unwrap().skipped.len(), 1);
    store.remove(&id).unwrap();
    assert!(!dir.exists());
    assert!(store.list().unwrap().skipped.is_empty());
}

#[test]
fn half_made_sessions_can_be_removed_by_id() {
    // What a create killed after claiming its directory leaves: no record, maybe a temp file.
    let (_tmp, store) = store();
    let id = SessionId::parse("20260501T134412-3f2a").unwrap();
    let dir = store.entry_path(&id);
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join(".session.json.x1Y2z3.tmp"), "{\"id\"").unwrap();
    store.remove(&id).unwrap();
    assert!(!dir.exists());
}

#[test]
fn remove_by_path_finds_the_link_by_the_records_id() {
    let (tmp, store) = store();
    let dir = tmp.path().join("explicit");
    let s = store.create(&spec("c").session_dir(&dir)).unwrap();
    let other = store.create(&spec("other")).unwrap();
    let removal = store.remove_by_path(&dir).unwrap();
    assert!(removal.kept.is_empty());
    assert!(!dir.exists());
    assert!(fs::symlink_metadata(store.entry_path(&s.id)).is_err());
    assert_eq!(store.list().unwrap().sessions.len(), 1);
    assert!(store.get(&other.id).is_ok());
}

#[test]
fn remove_by_path_of_an_auto_session() {
    let (_tmp, store) = store();
    let s = store.create(&spec("c")).unwrap();
    let removal = store.remove_by_path(&s.session_dir).unwrap();
    assert!(removal.kept.is_empty());
    assert!(!s.session_dir.exists());
}

#[test]
fn remove_by_path_leaves_an_entry_that_leads_elsewhere() {
    let (tmp, store) = store();
    let a = tmp.path().join("a");
    let s = store.create(&spec("c").session_dir(&a)).unwrap();
    // A copy of the record elsewhere carries the same id; removing the copy keeps the original.
    let copy = tmp.path().join("copy");
    fs::create_dir(&copy).unwrap();
    fs::copy(a.join("session.json"), copy.join("session.json")).unwrap();
    store.remove_by_path(&copy).unwrap();
    assert!(!copy.exists());
    assert_eq!(
        store.get(&s.id).unwrap().session_dir,
        fs::canonicalize(&a).unwrap()
    );
}

#[test]
fn remove_by_path_errors() {
    let (tmp, store) = store();
    let empty = tmp.path().join("empty");
    fs::create_dir(&empty).unwrap();
    assert_eq!(
        store.remove_by_path(&empty).unwrap_err().kind(),
        ErrorKind::NotFound
    );
    assert_eq!(
        store
            .remove_by_path(&tmp.path().join("missing"))
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );
    let bad = tmp.path().join("bad");
    fs::create_dir(&bad).unwrap();
    fs::write(bad.join("session.json"), "[]").unwrap();
    fs::create_dir(bad.join("logs")).unwrap();
    assert_eq!(
        store.remove_by_path(&bad).unwrap_err().kind(),
        ErrorKind::CorruptRecord
    );
    assert_eq!(names(&bad), ["logs", "session.json"], "nothing removed");
}

#[test]
fn hostile_ids_never_reach_the_filesystem() {
    for bad in [
        "..",
        "../x",
        "a/b",
        "/abs",
        "",
        ".",
        ".hidden",
        "a\0b",
        "\u{2024}\u{2024}",
    ] {
        let err = SessionId::parse(bad).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{bad:?}");
    }
}

#[test]
fn symlink_loops_and_links_to_files_are_removable_by_id() {
    let (tmp, store) = store();
    fs::create_dir_all(store.root()).unwrap();
    let root = store.root();
    symlink(root.join("loop-b"), root.join("loop-a")).unwrap();
    symlink(root.join("loop-a"), root.join("loop-b")).unwrap();
    let file = tmp.path().join("file");
    fs::write(&file, "keep").unwrap();
    symlink(&file, root.join("to-file")).unwrap();
    for name in ["loop-a", "loop-b", "to-file"] {
        store.remove(&SessionId::parse(name).unwrap()).unwrap();
    }
    assert!(names(root).is_empty());
    assert_eq!(fs::read(&file).unwrap(), b"keep");
}
