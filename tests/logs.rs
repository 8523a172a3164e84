//! `log_path` and `logs`.

mod common;

use std::fs;
use std::os::unix::fs::symlink;

use common::{names, spec, store};
use outrig::{ErrorKind, LogFile, SessionId};

#[test]
fn log_paths_are_under_logs_and_parents_are_made() {
    let (_tmp, store) = store();
    let s = store.create(&spec("c")).unwrap();
    let p = store.log_path(&s.id, "agent.log").unwrap();
    assert_eq!(p, s.logs_dir().join("agent.log"));
    assert!(s.logs_dir().is_dir());
    assert!(!p.exists(), "the file itself is the caller's to create");
    fs::write(&p, "12345").unwrap();
    let nested = store.log_path(&s.id, "tools/web/out.log").unwrap();
    assert_eq!(nested, s.logs_dir().join("tools/web/out.log"));
    fs::write(&nested, "xy").unwrap();
    // Asking again for an existing file is fine.
    assert_eq!(store.log_path(&s.id, "agent.log").unwrap(), p);
    assert_eq!(
        store.logs(&s.id).unwrap(),
        [
            LogFile {
                name: "agent.log".into(),
                size: 5
            },
            LogFile {
                name: "tools/web/out.log".into(),
                size: 2
            },
        ]
    );
}

#[test]
fn logs_of_an_explicit_session_live_in_its_directory() {
    let (tmp, store) = store();
    let dir = tmp.path().join("explicit");
    let s = store.create(&spec("c").session_dir(&dir)).unwrap();
    let p = store.log_path(&s.id, "a.log").unwrap();
    assert_eq!(p, fs::canonicalize(&dir).unwrap().join("logs/a.log"));
}

#[test]
fn hostile_log_names_are_refused_and_create_nothing() {
    let (_tmp, store) = store();
    let s = store.create(&spec("c")).unwrap();
    let long = "x".repeat(256);
    for bad in [
        "",
        "..",
        "../x",
        "a/../../b",
        "/etc/passwd",
        "a//b",
        ".hidden",
        "a/.b",
        "a\0b",
        "a/",
        &long,
    ] {
        let err = store.log_path(&s.id, bad).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{bad:?}");
        assert!(err.message().contains("log name"), "{err}");
    }
    assert_eq!(names(&s.session_dir), ["session.json"]);
}

#[test]
fn symlinks_on_the_way_are_not_followed() {
    let (tmp, store) = store();
    let outside = tmp.path().join("outside");
    fs::create_dir(&outside).unwrap();
    fs::write(outside.join("canary"), "keep").unwrap();

    let s = store.create(&spec("c")).unwrap();
    symlink(&outside, s.logs_dir()).unwrap();
    let err = store.log_path(&s.id, "a.log").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::DirNotUsable, "{err}");
    assert!(
        store.logs(&s.id).unwrap().is_empty(),
        "a logs symlink is not listed through"
    );

    let t = store.create(&spec("d")).unwrap();
    fs::create_dir(t.logs_dir()).unwrap();
    symlink(&outside, t.logs_dir().join("sub")).unwrap();
    symlink(outside.join("canary"), t.logs_dir().join("link.log")).unwrap();
    assert_eq!(
        store.log_path(&t.id, "sub/x.log").unwrap_err().kind(),
        ErrorKind::DirNotUsable
    );
    assert_eq!(
        store.log_path(&t.id, "link.log").unwrap_err().kind(),
        ErrorKind::DirNotUsable
    );
    assert!(store.logs(&t.id).unwrap().is_empty());
    assert_eq!(names(&outside), ["canary"]);
}

#[test]
fn logs_of_missing_sessions_and_sessions_without_logs() {
    let (_tmp, store) = store();
    let id = SessionId::parse("nope").unwrap();
    assert_eq!(store.logs(&id).unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(
        store.log_path(&id, "a.log").unwrap_err().kind(),
        ErrorKind::NotFound
    );
    let s = store.create(&spec("c")).unwrap();
    assert!(store.logs(&s.id).unwrap().is_empty());
}
