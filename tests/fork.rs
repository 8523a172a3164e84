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
}
