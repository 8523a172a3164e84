//! A lease belongs to the process that took it: a `fork` child can neither end the parent's
//! lease (dropping, releasing or giving up its copy of the handle) nor use it (its updates and
//! removals, through the handle or by id, are another process's: Busy).
//!
//! The scenarios run in one test of a binary of their own, so no other thread holds a lock of
//! the library when the process forks.

mod common;

use std::time::{Duration, SystemTime};

use common::spec;
use outrig::{CleanMode, ContainerProbe, ErrorKind, RemoveMode, SessionStore, State};

fn nothing_runs(store: SessionStore) -> SessionStore {
    store.with_container_probe(ContainerProbe::custom(|_| Some(Vec::new())))
}

/// Forks; the child runs `child` and exits with its status (0 when every check held). Returns
/// the child's exit status.
fn in_fork_child(child: impl FnOnce() -> i32) -> i32 {
    // SAFETY: the child only runs library calls and `_exit`s; no other thread of this test
    // binary holds a lock of the library while it forks (one test runs at a time here).
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let code = std::panic::catch_unwind(std::panic::AssertUnwindSafe(child)).unwrap_or(99);
        // SAFETY: ends the child without running the parent's exit handlers.
        unsafe { libc::_exit(code) };
    }
    let mut status = 0;
    // SAFETY: waits for the child just forked.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    assert!(libc::WIFEXITED(status), "child ended by a signal: {status}");
    libc::WEXITSTATUS(status)
}

/// The child's copy of a value after `fork`: the same bytes, owned by the child (the parent's
/// value is never dropped there, since the child `_exit`s).
fn child_copy<T>(value: &T) -> T {
    // SAFETY: called only in a forked child, whose memory is its own copy of the parent's:
    // the value is read once and the original is never used or dropped in the child.
    unsafe { std::ptr::read(value) }
}

#[test]
fn a_lease_belongs_to_the_process_that_took_it() {
    let (_tmp, store) = common::store();
    let store = nothing_runs(store).with_lock_wait(Duration::from_millis(100));

    // A child that drops, releases or gives up the handle leaves the parent's lease alone.
    for how in ["drop", "release", "into_session"] {
        let live = store.create(&spec(how)).unwrap();
        let id = live.id.clone();
        let code = in_fork_child(|| {
            // The child's own copy of the handle, as `fork` makes it.
            let live = child_copy(&live);
            match how {
                "drop" => drop(live),
                "release" => live.release(),
                _ => drop(live.into_session()),
            }
            0
        });
        assert_eq!(code, 0);
        assert!(live.is_leased(), "{how}: the parent still holds its lease");
        assert_eq!(store.state(&id).unwrap(), State::Running, "{how}");
        let cleaned = store
            .clean(
                SystemTime::now() + Duration::from_secs(60),
                CleanMode::Remove,
            )
            .unwrap();
        assert!(
            cleaned.removed.is_empty(),
            "{how}: clean kept the running session"
        );
        assert_eq!(cleaned.kept_running.len(), 1, "{how}");
        drop(live);
        assert_eq!(
            store.state(&id).unwrap(),
            State::Abandoned,
            "{how}: then dropped here"
        );
        store.remove(&id).unwrap();
    }

    // In the child every update goes by id and finds the parent's lock: Busy, nothing written.
    let mut live = store.create(&spec("parent")).unwrap();
    let id = live.id.clone();
    let record = store.entry_path(&id).join("session.json");
    let before = std::fs::read(&record).unwrap();
    let code = in_fork_child(|| {
        let mut live = child_copy(&live);
        let mut failed = 0;
        if live.is_leased() {
            failed |= 1;
        }
        let busy = |r: outrig::Result<_>| matches!(r, Err(e) if e.kind() == ErrorKind::Busy);
        if !busy(live.finalize_now(9).map(drop)) {
            failed |= 2;
        }
        if !busy(live.set_sidecar_containers(&["child"]).map(drop)) {
            failed |= 4;
        }
        if !busy(store.finalize_now(&id, 9).map(drop)) {
            failed |= 8;
        }
        if !busy(store.remove(&id).map(drop)) {
            failed |= 16;
        }
        if !busy(store.remove_forced(&id).map(drop)) {
            failed |= 32;
        }
        // Forced, by path, through the one entry every face's force goes through: the
        // parent's lease still refuses it.
        let dir = store.entry_path(&id);
        if !busy(
            store
                .remove_by_path_with(&dir, RemoveMode::Forced)
                .map(drop),
        ) {
            failed |= 64;
        }
        if !busy(store.remove_with(&id, RemoveMode::Forced).map(drop)) {
            failed |= 128;
        }
        drop(live);
        failed
    });
    assert_eq!(code, 0, "checks that failed in the child (bits)");
    assert_eq!(
        std::fs::read(&record).unwrap(),
        before,
        "the child wrote nothing"
    );
    assert!(live.is_leased());
    let done = live.finalize_now(0).unwrap();
    assert_eq!(done.exit_code, Some(0));
    assert_eq!(store.state(&id).unwrap(), State::Finished);

    a_process_given_a_dead_owners_pid_holds_no_lease(&store);
}

/// The owner of a lease dies while a fork child of it lives on with the inherited descriptor
/// (so the lock stays held), and a process forked later gets the dead owner's pid (pid reuse,
/// forced here through `/proc/sys/kernel/ns_last_pid`, which needs root). That process is not
/// the owner: its copy of the handle holds no lease, and releasing it ends nothing. By pid
/// alone it was taken for the owner, and its release unlocked the directory for the child
/// still holding it (the session turned `Abandoned`).
fn a_process_given_a_dead_owners_pid_holds_no_lease(store: &SessionStore) {
    if std::fs::OpenOptions::new()
        .write(true)
        .open("/proc/sys/kernel/ns_last_pid")
        .is_err()
    {
        println!("pid reuse not tried: /proc/sys/kernel/ns_last_pid is not writable (not root)");
        return;
    }
    const NO_REUSE: i32 = 77;
    let id_file = tempfile::NamedTempFile::new().unwrap();
    let id_path = id_file.path().to_owned();
    let store = store.clone();
    // SAFETY: as in `in_fork_child`: no other thread of this binary holds a library lock.
    let owner = unsafe { libc::fork() };
    assert!(owner >= 0);
    if owner == 0 {
        // The owner: creates the session, forks the heir, and dies.
        let live = store.create(&spec("dead-owner")).unwrap();
        std::fs::write(&id_path, live.id.as_str()).unwrap();
        let heir = in_heir(&store, &live, std::process::id());
        std::mem::forget(live);
        // SAFETY: ends the owner without running the parent's exit handlers.
        unsafe { libc::_exit(if heir > 0 { 0 } else { 1 }) };
    }
    let mut status = 0;
    // SAFETY: reaps the owner just forked, which frees its pid.
    assert_eq!(unsafe { libc::waitpid(owner, &mut status, 0) }, owner);
    assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0);
    let id = outrig::SessionId::parse(&std::fs::read_to_string(&id_path).unwrap()).unwrap();
    // The heir reports through the record's directory: a file named for its verdict.
    let dir = store.entry_path(&id);
    let until = std::time::Instant::now() + Duration::from_secs(30);
    let verdict = loop {
        let done: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| {
                let name = e.ok()?.file_name().to_string_lossy().into_owned();
                name.strip_prefix("heir-").map(str::to_owned)
            })
            .collect();
        if let Some(v) = done.first() {
            break v.clone();
        }
        assert!(std::time::Instant::now() < until, "the heir never reported");
        std::thread::sleep(Duration::from_millis(10));
    };
    if verdict == NO_REUSE.to_string() {
        println!("pid reuse not tried: no fork got the owner's pid (the machine is busy)");
    } else {
        assert_eq!(
            verdict, "0",
            "checks that failed in the process with the owner's pid (bits)"
        );
    }
    // The heir has exited: its descriptor closed, the lease is over.
    let until = std::time::Instant::now() + Duration::from_secs(30);
    while store.state(&id).unwrap() != State::Abandoned {
        assert!(std::time::Instant::now() < until, "the heir never let go");
        std::thread::sleep(Duration::from_millis(10));
    }
    store.remove(&id).unwrap();
}

/// In the owner: forks the heir, which waits for the owner (`owner_pid`) to die, then forks
/// until a child gets the owner's pid. That child checks that its copy of the handle holds no
/// lease and releases it; the heir then checks the session still runs (its inherited
/// descriptor holds the lock) and writes `heir-<bits>` into the session directory (77: no
/// fork got the pid). Returns the heir's pid in the owner.
fn in_heir(store: &SessionStore, live: &outrig::LiveSession, owner_pid: u32) -> i32 {
    // SAFETY: the owner is single-threaded.
    let heir = unsafe { libc::fork() };
    if heir != 0 {
        return heir;
    }
    // SAFETY: getppid has no preconditions.
    while unsafe { libc::getppid() } == owner_pid as i32 {
        std::thread::sleep(Duration::from_millis(5));
    }
    std::thread::sleep(Duration::from_millis(50)); // the test process reaps the owner
    let mut code = 77;
    for _ in 0..200 {
        let before = (owner_pid - 1).to_string();
        if std::fs::write("/proc/sys/kernel/ns_last_pid", &before).is_err() {
            break;
        }
        // SAFETY: the heir is single-threaded.
        let usurper = unsafe { libc::fork() };
        if usurper == 0 {
            if std::process::id() != owner_pid {
                // SAFETY: ends this try.
                unsafe { libc::_exit(77) };
            }
            let copy = child_copy(live);
            let mut bits = 0;
            if copy.is_leased() {
                bits |= 1;
            }
            copy.release();
            std::mem::forget(copy);
            // SAFETY: ends the usurper.
            unsafe { libc::_exit(bits) };
        }
        let mut status = 0;
        // SAFETY: waits for the fork just made.
        unsafe { libc::waitpid(usurper, &mut status, 0) };
        let got = libc::WEXITSTATUS(status);
        if got != 77 {
            code = got;
            if store.state(&live.id).unwrap() != State::Running {
                code |= 2;
            }
            break;
        }
    }
    let dir = store.entry_path(&live.id);
    std::fs::write(dir.join(format!("heir-{code}")), b"").unwrap();
    // SAFETY: ends the heir (its descriptor of the lease closes with it).
    unsafe { libc::_exit(0) };
}
