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

/// How many descriptors of this process are open on `dir` (as `/proc/self/fd` shows them).
fn descriptors_on(dir: &std::path::Path) -> usize {
    fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| fs::read_link(e.ok()?.path()).ok())
        .filter(|target| target == dir)
        .count()
}

#[test]
fn a_link_swapped_between_the_open_and_the_lock_is_busy_and_removes_nothing() {
    use std::time::{Duration, Instant, SystemTime};
    let (tmp, store) = store();
    // Nothing runs, so only the swap can refuse the removal; a long lock wait, so the removal
    // is still waiting when the test lets the lock go.
    let store = store
        .with_container_probe(outrig::ContainerProbe::custom(|_| Some(Vec::new())))
        .with_lock_wait(Duration::from_secs(30));
    let first = tmp.path().join("first");
    let s = store
        .create(&spec("swapped").session_dir(&first))
        .unwrap()
        .into_session();
    store.finalize(&s.id, SystemTime::now(), 0).unwrap();
    let first = fs::canonicalize(&first).unwrap();
    let other = tmp.path().join("other");
    fs::create_dir(&other).unwrap();
    fs::write(other.join("mine.txt"), "a user's").unwrap();

    // Hold the session directory's lock, as another launcher would, while the removal opens
    // the entry and waits for the lock.
    let held = fs::File::open(&first).unwrap();
    rustix::fs::flock(&held, rustix::fs::FlockOperation::NonBlockingLockExclusive).unwrap();
    let remover = {
        let (store, id) = (store.clone(), s.id.clone());
        std::thread::spawn(move || store.remove(&id))
    };
    let until = Instant::now() + Duration::from_secs(20);
    while descriptors_on(&first) < 2 {
        assert!(
            Instant::now() < until,
            "the removal never opened the session"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    // Now the root's entry is made to lead elsewhere (atomically, by rename), and the lock
    // let go.
    let entry = store.entry_path(&s.id);
    let swap = store.root().join(".swap");
    std::os::unix::fs::symlink(&other, &swap).unwrap();
    fs::rename(&swap, &entry).unwrap();
    drop(held);

    let err = remover.join().unwrap().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Busy, "{err}");
    assert!(
        err.message().contains("changed while it was being removed"),
        "{err}"
    );
    assert!(err.message().contains(&*entry.to_string_lossy()), "{err}");
    // Nothing removed: the record it opened, the new link, and what the link leads to now.
    assert_eq!(names(&first), ["session.json"]);
    assert_eq!(fs::read_link(&entry).unwrap(), other);
    assert_eq!(names(&other), ["mine.txt"]);
    assert_eq!(
        outrig::Session::from_json(&fs::read(first.join("session.json")).unwrap())
            .unwrap()
            .id,
        s.id
    );
}
