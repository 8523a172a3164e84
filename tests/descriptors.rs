//! What lies on disk cannot hang or redirect the store: each finding of the descriptors issue
//! as a test, and the swap races as bounded loops (`OUTRIG_STRESS=1` runs them longer).

mod common;

use std::fs;
use std::io::{Read as _, Write as _};
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{names, spec, store};
use outrig::{ErrorKind, MAX_RECORD_BYTES, SessionId, SessionStore};
use rustix::fs::{RenameFlags, renameat_with};

fn stress() -> bool {
    std::env::var_os("OUTRIG_STRESS").is_some_and(|v| v == "1")
}

/// How long each race runs: 2 s under `make test`, 15 s under `make stress`.
fn race_time() -> Duration {
    Duration::from_secs(if stress() { 15 } else { 2 })
}

/// Runs `f` on another thread and fails the test if it does not return within 10 s: the
/// store must never block on what lies on disk.
fn within_10s<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(10))
        .unwrap_or_else(|_| panic!("{what} blocked for 10 s"))
}

/// A directory outside the root that an attacker wants the store to touch: another session's
/// record, logs and launcher script. Returns its files and their bytes.
fn victim(tmp: &Path) -> (PathBuf, Vec<(PathBuf, Vec<u8>)>) {
    let dir = tmp.join("victim");
    fs::create_dir_all(dir.join("logs")).unwrap();
    let other = SessionStore::new(tmp.join("other-root")).unwrap();
    let record = other
        .create(&spec("victim").session_dir(tmp.join("victim-src")))
        .unwrap();
    let files = [
        (
            dir.join("session.json"),
            fs::read(record.session_dir.join("session.json")).unwrap(),
        ),
        (dir.join("logs/canary.log"), b"canary\n".to_vec()),
        (dir.join("outrig-enter"), b"#!/bin/sh\n".to_vec()),
    ];
    for (path, bytes) in &files {
        fs::write(path, bytes).unwrap();
    }
    (dir, files.to_vec())
}

/// Fails unless the victim holds exactly its files with their bytes.
fn assert_untouched(dir: &Path, files: &[(PathBuf, Vec<u8>)]) {
    for (path, bytes) in files {
        assert_eq!(
            fs::read(path).ok().as_deref(),
            Some(bytes.as_slice()),
            "{} was changed",
            path.display()
        );
    }
    assert_eq!(names(dir), ["logs", "outrig-enter", "session.json"]);
    assert_eq!(names(&dir.join("logs")), ["canary.log"]);
}

/// Exchanges `<root>/<id>` and `<root>/.decoy` (a symlink to the victim) in a loop until
/// stopped; returns how many exchanges it made.
fn swapper(root: PathBuf, id: SessionId, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<usize> {
    std::thread::spawn(move || {
        let dir = fs::File::open(&root).unwrap();
        let mut swaps = 0;
        while !stop.load(Ordering::Relaxed) {
            if renameat_with(&dir, id.as_str(), &dir, ".decoy", RenameFlags::EXCHANGE).is_ok() {
                swaps += 1;
            }
        }
        swaps
    })
}

/// Puts the session back at `<root>/<id>` (and the decoy at `.decoy`) after a race.
fn unswap(root: &Path, id: &SessionId) {
    let entry = root.join(id.as_str());
    if fs::symlink_metadata(&entry).is_ok_and(|m| m.file_type().is_symlink()) {
        let dir = fs::File::open(root).unwrap();
        renameat_with(&dir, id.as_str(), &dir, ".decoy", RenameFlags::EXCHANGE).unwrap();
    }
}

#[test]
fn removal_through_a_reused_directory_removes_only_the_link() {
    let (tmp, store) = store();
    let dir = tmp.path().join("p");
    let a = store
        .create(&spec("a").session_dir(&dir))
        .unwrap()
        .into_session();
    // A's launcher went away; /p is emptied by hand and reused for B.
    fs::remove_file(dir.join("session.json")).unwrap();
    let b = store.create(&spec("b").session_dir(&dir)).unwrap();
    let mut log = store.append_log(&b.id, "agent.log").unwrap();
    log.write_all(b"b's log\n").unwrap();
    let b_record = fs::read(dir.join("session.json")).unwrap();

    assert_eq!(
        store.get(&a.id).unwrap_err().kind(),
        ErrorKind::CorruptRecord
    );
    let removal = store.remove(&a.id).unwrap();
    assert_eq!(removal.kept, ["logs", "session.json"]);
    assert!(fs::symlink_metadata(store.entry_path(&a.id)).is_err());
    assert_eq!(fs::read(dir.join("session.json")).unwrap(), b_record);
    assert_eq!(fs::read(dir.join("logs/agent.log")).unwrap(), b"b's log\n");
    assert_eq!(store.get(&b.id).unwrap().id, b.id);
    // The same through finalize: A cannot reach B's record.
    let err = store
        .finalize(&a.id, std::time::SystemTime::now(), 0)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
}

#[test]
fn a_link_to_a_foreign_directory_costs_only_the_link() {
    let (tmp, store) = store();
    let (victim, files) = victim(tmp.path());
    let id = SessionId::parse("20260501T134412-3f2a").unwrap();
    fs::create_dir_all(store.root()).unwrap();
    symlink(&victim, store.entry_path(&id)).unwrap();
    assert_eq!(store.get(&id).unwrap_err().kind(), ErrorKind::CorruptRecord);
    for result in [
        store
            .finalize(&id, std::time::SystemTime::now(), 1)
            .map(drop),
        store.set_sidecar_containers(&id, &["x"]).map(drop),
        store.append_log(&id, "x.log").map(drop),
    ] {
        assert_eq!(result.unwrap_err().kind(), ErrorKind::CorruptRecord);
    }
    store.remove(&id).unwrap();
    assert!(fs::symlink_metadata(store.entry_path(&id)).is_err());
    assert_untouched(&victim, &files);
}

#[test]
fn swapped_entries_never_redirect_remove_finalize_or_logs() {
    let (tmp, store) = store();
    let (victim, files) = victim(tmp.path());
    fs::create_dir_all(store.root()).unwrap();
    symlink(&victim, store.root().join(".decoy")).unwrap();
    let deadline = race_time();

    // finalize and set_sidecar_containers against a running swapper.
    let s = store.create(&spec("s")).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let swaps = swapper(store.root().to_path_buf(), s.id.clone(), stop.clone());
    let (mut tries, mut ok) = (0, 0);
    let start = Instant::now();
    while start.elapsed() < deadline {
        let r = if tries % 2 == 0 {
            store.finalize(&s.id, std::time::SystemTime::now(), tries)
        } else {
            store.set_sidecar_containers(&s.id, &[format!("side-{tries}")])
        };
        tries += 1;
        ok += i32::from(r.is_ok());
    }
    stop.store(true, Ordering::Relaxed);
    let finalize_swaps = swaps.join().unwrap();
    unswap(store.root(), &s.id);
    assert_untouched(&victim, &files);
    assert!(ok > 0, "no update succeeded in {tries} tries");
    println!(
        "finalize/sidecars: {tries} tries, {ok} succeeded, {finalize_swaps} swaps, victim touched: 0"
    );

    // Opening logs against a running swapper: every file handed out is the session's own.
    let stop = Arc::new(AtomicBool::new(false));
    let swaps = swapper(store.root().to_path_buf(), s.id.clone(), stop.clone());
    let (mut tries, mut ok) = (0, 0);
    let start = Instant::now();
    while start.elapsed() < deadline {
        tries += 1;
        if let Ok(mut f) = store.append_log(&s.id, "sub/ours.log") {
            f.write_all(b"x").unwrap();
            ok += 1;
        }
        let _ = store.log_path(&s.id, "sub2/ours.log");
    }
    stop.store(true, Ordering::Relaxed);
    let log_swaps = swaps.join().unwrap();
    unswap(store.root(), &s.id);
    assert_untouched(&victim, &files);
    let written = fs::metadata(store.entry_path(&s.id).join("logs/sub/ours.log"))
        .unwrap()
        .len();
    assert_eq!(written, ok, "every write went to the session's own log");
    println!("log opening: {tries} tries, {ok} opened, {log_swaps} swaps, victim touched: 0");

    // remove against a running swapper, a fresh session each time.
    let (mut tries, mut removed) = (0, 0);
    let start = Instant::now();
    while start.elapsed() < deadline {
        let s = store.create(&spec("r")).unwrap();
        store
            .append_log(&s.id, "agent.log")
            .unwrap()
            .write_all(b"r")
            .unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let swaps = swapper(store.root().to_path_buf(), s.id.clone(), stop.clone());
        let r = store.remove(&s.id);
        stop.store(true, Ordering::Relaxed);
        swaps.join().unwrap();
        tries += 1;
        removed += usize::from(r.is_ok());
        assert_untouched(&victim, &files);
        // Whatever the race left is the session's own directory, under the entry or the
        // decoy's name; put things back for the next round.
        let decoy = store.root().join(".decoy");
        if !fs::symlink_metadata(&decoy).is_ok_and(|m| m.file_type().is_symlink()) {
            fs::remove_dir_all(&decoy).unwrap();
            symlink(&victim, &decoy).unwrap();
        }
        let entry = store.entry_path(&s.id);
        if fs::symlink_metadata(&entry).is_ok_and(|m| m.file_type().is_symlink()) {
            fs::remove_file(&entry).unwrap();
        } else if entry.exists() {
            store.remove(&s.id).unwrap();
        }
    }
    assert_untouched(&victim, &files);
    println!("remove: {tries} tries, {removed} succeeded, victim touched: 0");
}

#[test]
fn log_files_handed_out_keep_reading_their_own_file() {
    let (tmp, store) = store();
    let secret = tmp.path().join("secret");
    fs::write(&secret, "SECRET").unwrap();
    let s = store.create(&spec("s")).unwrap();
    store
        .append_log(&s.id, "agent.log")
        .unwrap()
        .write_all(b"first\n")
        .unwrap();
    let mut reader = store.read_log(&s.id, "agent.log").unwrap();
    let mut text = String::new();
    reader.read_to_string(&mut text).unwrap();
    assert_eq!(text, "first\n");
    // Rename the log aside and plant a link to the secret in its place: the open file still
    // reads the log, and the store refuses the link.
    let logs = store.entry_path(&s.id).join("logs");
    fs::rename(logs.join("agent.log"), logs.join("aside.log")).unwrap();
    symlink(&secret, logs.join("agent.log")).unwrap();
    fs::OpenOptions::new()
        .append(true)
        .open(logs.join("aside.log"))
        .unwrap()
        .write_all(b"second\n")
        .unwrap();
    text.clear();
    reader.read_to_string(&mut text).unwrap();
    assert_eq!(text, "second\n");
    for err in [
        store.read_log(&s.id, "agent.log").unwrap_err(),
        store.append_log(&s.id, "agent.log").unwrap_err(),
        store.find_log(&s.id, "agent.log").unwrap_err(),
    ] {
        assert_eq!(err.kind(), ErrorKind::DirNotUsable, "{err}");
        assert!(err.message().contains("symbolic link"), "{err}");
    }
    assert_eq!(fs::read(&secret).unwrap(), b"SECRET");
}

#[test]
fn a_log_swapped_for_a_link_never_reads_the_secret() {
    let (tmp, store) = store();
    let secret = tmp.path().join("secret");
    fs::write(&secret, "SECRET").unwrap();
    let s = store.create(&spec("s")).unwrap();
    store
        .append_log(&s.id, "agent.log")
        .unwrap()
        .write_all(b"log\n")
        .unwrap();
    let logs = store.entry_path(&s.id).join("logs");
    symlink(&secret, logs.join("link.log")).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let swapping = {
        let (logs, stop) = (logs.clone(), stop.clone());
        std::thread::spawn(move || {
            let dir = fs::File::open(&logs).unwrap();
            while !stop.load(Ordering::Relaxed) {
                let _ = renameat_with(&dir, "agent.log", &dir, "link.log", RenameFlags::EXCHANGE);
            }
        })
    };
    let (mut tries, mut read) = (0, 0);
    let start = Instant::now();
    while start.elapsed() < race_time() {
        tries += 1;
        if let Ok(mut f) = store.read_log(&s.id, "agent.log") {
            let mut text = String::new();
            f.read_to_string(&mut text).unwrap();
            assert_eq!(text, "log\n");
            read += 1;
        }
    }
    stop.store(true, Ordering::Relaxed);
    swapping.join().unwrap();
    assert!(read > 0, "no read succeeded in {tries} tries");
    println!("log reading: {tries} tries, {read} read the log, secret read: 0");
}

#[test]
fn fifos_and_devices_on_disk_never_hang_the_store() {
    let (tmp, store) = store();
    let fifo_session = store.create(&spec("fifo")).unwrap();
    let record = store.entry_path(&fifo_session.id).join("session.json");
    fs::remove_file(&record).unwrap();
    rustix::fs::mknodat(
        rustix::fs::CWD,
        &record,
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o600),
        0,
    )
    .unwrap();
    let stdin_link = store.create(&spec("stdin")).unwrap();
    let record = store.entry_path(&stdin_link.id).join("session.json");
    fs::remove_file(&record).unwrap();
    symlink("/proc/self/fd/0", &record).unwrap();
    // A root entry that is a link to a FIFO.
    let fifo = tmp.path().join("a-fifo");
    rustix::fs::mknodat(
        rustix::fs::CWD,
        &fifo,
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o600),
        0,
    )
    .unwrap();
    let linked = SessionId::parse("20260501T000000-0000").unwrap();
    symlink(&fifo, store.entry_path(&linked)).unwrap();
    let good = store.create(&spec("good")).unwrap();

    let listing = within_10s("list", {
        let store = store.clone();
        move || store.list().unwrap()
    });
    assert_eq!(listing.sessions.len(), 1);
    assert_eq!(listing.sessions[0].id, good.id);
    let mut reasons: Vec<_> = listing
        .skipped
        .iter()
        .map(|s| (s.entry.clone(), s.reason.clone()))
        .collect();
    reasons.sort();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert!(
        reasons
            .iter()
            .any(|(e, r)| *e == fifo_session.id.as_str() && r.contains("FIFO"))
    );
    assert!(
        reasons
            .iter()
            .any(|(e, r)| *e == stdin_link.id.as_str() && r.contains("symbolic link"))
    );

    for id in [&fifo_session.id, &stdin_link.id] {
        let (s, id2) = (store.clone(), id.clone());
        let err = within_10s("get", move || s.get(&id2).unwrap_err());
        assert_eq!(err.kind(), ErrorKind::CorruptRecord, "{err}");
        let (s, id2) = (store.clone(), id.clone());
        let err = within_10s("finalize", move || {
            s.finalize(&id2, std::time::SystemTime::now(), 0)
                .unwrap_err()
        });
        assert_eq!(err.kind(), ErrorKind::CorruptRecord, "{err}");
        let (s, id2) = (store.clone(), id.clone());
        let err = within_10s("set_sidecar_containers", move || {
            s.set_sidecar_containers(&id2, &["x"]).unwrap_err()
        });
        assert_eq!(err.kind(), ErrorKind::CorruptRecord, "{err}");
        // Removal does not read the record, so it removes even this one.
        let (s, id2) = (store.clone(), id.clone());
        within_10s("remove", move || s.remove(&id2).unwrap());
    }
    let (s, id) = (store.clone(), linked.clone());
    let err = within_10s("get through a link to a FIFO", move || {
        s.get(&id).unwrap_err()
    });
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    assert!(fifo.exists());

    // A log that is a FIFO is refused for reading and appending alike.
    rustix::fs::mkdirat(
        rustix::fs::CWD,
        store.entry_path(&good.id).join("logs"),
        rustix::fs::Mode::from_raw_mode(0o755),
    )
    .unwrap();
    rustix::fs::mknodat(
        rustix::fs::CWD,
        store.entry_path(&good.id).join("logs/pipe.log"),
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o600),
        0,
    )
    .unwrap();
    for append in [false, true] {
        let (s, id) = (store.clone(), good.id.clone());
        let err = within_10s("opening a FIFO log", move || {
            if append {
                s.append_log(&id, "pipe.log").unwrap_err()
            } else {
                s.read_log(&id, "pipe.log").unwrap_err()
            }
        });
        assert_eq!(err.kind(), ErrorKind::DirNotUsable, "{err}");
        assert!(err.message().contains("FIFO"), "{err}");
    }
}

#[test]
fn config_files_that_never_end_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let fifo = tmp.path().join("config.toml");
    rustix::fs::mknodat(
        rustix::fs::CWD,
        &fifo,
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o600),
        0,
    )
    .unwrap();
    for config in [fifo, PathBuf::from("/dev/zero")] {
        let c = config.clone();
        let err = within_10s("reading the config", move || {
            SessionStore::resolve(None, Some(&c)).unwrap_err()
        });
        assert_eq!(err.kind(), ErrorKind::Config, "{err}");
        assert!(err.message().contains(&*config.to_string_lossy()), "{err}");
    }
    let big = tmp.path().join("big.toml");
    fs::write(&big, vec![b'#'; (outrig::MAX_CONFIG_BYTES + 1) as usize]).unwrap();
    let err = SessionStore::resolve(None, Some(&big)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.message().contains("limit"), "{err}");
}

#[test]
fn records_the_store_would_refuse_to_read_are_never_written() {
    let (_tmp, store) = store();
    let huge = "c".repeat(MAX_RECORD_BYTES as usize);
    let err = store.create(&spec(&huge)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(err.message().contains("limit"), "{err}");
    assert!(!store.root().exists(), "nothing may be made");

    let s = store.create(&spec("s")).unwrap();
    let before = fs::read(store.entry_path(&s.id).join("session.json")).unwrap();
    let sidecars: Vec<String> = (0..1100).map(|i| format!("{i:0>1000}")).collect();
    let err = store.set_sidecar_containers(&s.id, &sidecars).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    let after = fs::read(store.entry_path(&s.id).join("session.json")).unwrap();
    assert_eq!(before, after);
    assert_eq!(names(&store.entry_path(&s.id)), ["session.json"]);
    // Just under the limit works, and reads back.
    let fits: Vec<String> = (0..900).map(|i| format!("{i:0>1000}")).collect();
    store.set_sidecar_containers(&s.id, &fits).unwrap();
    assert_eq!(store.get(&s.id).unwrap().sidecar_container_names.len(), 900);
}

#[test]
fn deep_log_trees_are_removed() {
    let (_tmp, store) = store();
    let s = store.create(&spec("deep")).unwrap();
    let depth = if stress() { 100_000 } else { 3_000 };
    let mut dir = fs::File::open(store.entry_path(&s.id)).unwrap();
    for name in std::iter::once("logs").chain(std::iter::repeat_n("d", depth)) {
        rustix::fs::mkdirat(&dir, name, rustix::fs::Mode::from_raw_mode(0o755)).unwrap();
        let next = rustix::fs::openat(
            &dir,
            name,
            rustix::fs::OFlags::DIRECTORY | rustix::fs::OFlags::RDONLY,
            rustix::fs::Mode::empty(),
        )
        .unwrap();
        dir = fs::File::from(next);
    }
    drop(dir);
    let removal = store.remove(&s.id).unwrap();
    assert!(removal.kept.is_empty());
    assert!(!store.entry_path(&s.id).exists());
    println!("removed a logs/ tree {depth} directories deep");
}

#[test]
fn removal_racing_log_writers_leaves_no_orphan() {
    let (_tmp, store) = store();
    let rounds = if stress() { 3000 } else { 300 };
    let (mut removed_first, mut orphans) = (0, 0);
    for round in 0..rounds {
        let s = store.create(&spec("race")).unwrap();
        let go = Arc::new(AtomicBool::new(false));
        let opened = Arc::new(AtomicUsize::new(0));
        let writer = {
            let (store, id, go, opened) = (store.clone(), s.id.clone(), go.clone(), opened.clone());
            std::thread::spawn(move || {
                while !go.load(Ordering::Relaxed) {}
                for i in 0..20 {
                    if store
                        .append_log(&id, &format!("sub{}/w{i}.log", i % 3))
                        .is_ok()
                    {
                        opened.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        };
        go.store(true, Ordering::Relaxed);
        if round % 2 == 1 {
            std::thread::yield_now();
        }
        let first = store.remove(&s.id);
        writer.join().unwrap();
        removed_first += usize::from(first.as_ref().is_ok_and(|r| r.kept.is_empty()));
        let entry = store.entry_path(&s.id);
        if entry.exists() {
            // Whatever is left must be a session the API reaches: listed, and removable.
            let reachable = store.get(&s.id).is_ok();
            if !reachable {
                orphans += 1;
                eprintln!("orphan after {first:?}: {:?}", common::names(&entry));
            }
            store.remove(&s.id).unwrap();
            assert!(!entry.exists(), "{} still there", entry.display());
        }
    }
    assert_eq!(orphans, 0, "of {rounds} races");
    println!("remove vs log writers: {rounds} races, {removed_first} removed at once, orphans: 0");
}

#[test]
fn concurrent_removals_report_a_session_once() {
    let (_tmp, store) = store();
    // The loser waits for the winner's lock, however slow the disk: this is about reporting.
    let store = store.with_lock_wait(Duration::from_secs(60));
    let rounds = if stress() { 500 } else { 50 };
    for _ in 0..rounds {
        let s = store.create(&spec("twice")).unwrap();
        let other = {
            let (store, id) = (store.clone(), s.id.clone());
            std::thread::spawn(move || store.remove(&id))
        };
        let mine = store.remove(&s.id);
        let theirs = other.join().unwrap();
        let successes = [&mine, &theirs].iter().filter(|r| r.is_ok()).count();
        assert_eq!(successes, 1, "{mine:?} / {theirs:?}");
        for r in [mine, theirs] {
            if let Err(e) = r {
                assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
            }
        }
    }
}

#[test]
fn a_root_that_is_a_device_says_not_a_directory() {
    let store = SessionStore::new("/dev/null").unwrap();
    let err = store.create(&spec("c")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io);
    assert_eq!(err.os_error(), Some(20), "ENOTDIR: {err}");
}
