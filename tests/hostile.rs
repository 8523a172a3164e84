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

/// The effective uid of this process.
fn euid() -> u32 {
    let status = fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("Uid:")).unwrap();
    line.split_whitespace().nth(2).unwrap().parse().unwrap()
}

/// Run by `a_process_that_cannot_start_threads_still_lists_and_judges_everything` in a child
/// (as `nobody` when the tests run as root, whom no thread limit stops): sessions enough for a
/// listing and its lease probes to spread over threads (256 and up), then no thread may start
/// (`RLIMIT_NPROC` 0, as in a container at its `pids.max`). Listing, states and clean must
/// answer in full on the calling thread: they panicked in `std::thread::scope`'s `spawn`.
#[test]
#[ignore = "run by the thread-limit test in a child of its own"]
fn thread_limited_child() {
    use outrig::{CleanMode, ContainerProbe, SessionStore, State};
    use rustix::process::{Resource, Rlimit, setrlimit};
    use std::time::{Duration, SystemTime};

    let base = std::path::PathBuf::from(std::env::var_os("OUTRIG_THREAD_LIMIT_BASE").unwrap());
    let store = SessionStore::new(base.join("root"))
        .unwrap()
        .with_container_probe(ContainerProbe::custom(|_| Some(Vec::new())));
    let mut held = Vec::new();
    for i in 0..300 {
        let live = store.create(&spec("limited")).unwrap();
        if i % 30 == 0 {
            held.push(live); // leased: running
        } // else dropped unfinalized: abandoned
    }
    let none = Rlimit {
        current: Some(0),
        maximum: Some(0),
    };
    setrlimit(Resource::Nproc, none).unwrap();
    assert!(
        std::thread::Builder::new().spawn(|| ()).is_err(),
        "the premise: no thread can be started now"
    );

    let listing = store.list().unwrap();
    assert_eq!(listing.sessions.len(), 300);
    assert!(listing.skipped.is_empty());
    let states = store.states(&listing.sessions);
    for (s, state) in listing.sessions.iter().zip(&states) {
        let leased = held.iter().any(|live| live.id == s.id);
        let want = if leased {
            State::Running
        } else {
            State::Abandoned
        };
        assert_eq!(*state, want, "{}", s.id);
    }
    let cleaned = store
        .clean(
            SystemTime::now() + Duration::from_secs(60),
            CleanMode::Remove,
        )
        .unwrap();
    assert_eq!(cleaned.removed.len(), 290);
    assert_eq!(cleaned.kept_running.len(), 10);
    assert!(cleaned.failed.is_empty(), "{:?}", cleaned.failed);
    assert_eq!(store.list().unwrap().sessions.len(), 10);
    println!("THREAD-LIMIT OK");
}

#[test]
fn a_process_that_cannot_start_threads_still_lists_and_judges_everything() {
    use std::os::unix::fs::PermissionsExt as _;
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("base");
    fs::create_dir(&base).unwrap();
    let mut cmd = if euid() == 0 {
        // Root passes every thread limit: the child runs as `nobody`, from a copy of this
        // binary it may execute wherever the checkout lives.
        for (dir, mode) in [(tmp.path(), 0o755), (base.as_path(), 0o777)] {
            fs::set_permissions(dir, fs::Permissions::from_mode(mode)).unwrap();
        }
        let exe = tmp.path().join("hostile");
        fs::copy(std::env::current_exe().unwrap(), &exe).unwrap();
        fs::set_permissions(&exe, fs::Permissions::from_mode(0o755)).unwrap();
        let mut cmd = std::process::Command::new("setpriv");
        cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(exe);
        cmd
    } else {
        std::process::Command::new(std::env::current_exe().unwrap())
    };
    let out = cmd
        .args([
            "--ignored",
            "--exact",
            "thread_limited_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("OUTRIG_THREAD_LIMIT_BASE", &base)
        .output()
        .expect("the child runs (setpriv, of util-linux, when run as root)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("THREAD-LIMIT OK"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
