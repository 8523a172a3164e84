//! lossyfs through the kernel: plain system calls on a mount see the model's rules (what an
//! fsync makes durable, what a cut loses), and a boot is seen by the next call.

use std::fs::{self, OpenOptions};
use std::io::Write as _;
use std::os::unix::fs::symlink;
use std::path::Path;

use lossyfs::Mounted;

/// A mount on a fresh directory, or `None` after saying why FUSE is missing; under CI or
/// `OUTRIG_REQUIRE_FUSE=1` a missing FUSE fails instead.
fn mount() -> Option<(tempfile::TempDir, Mounted)> {
    let dir = tempfile::tempdir().unwrap();
    let why = match lossyfs::unavailable() {
        None => match Mounted::mount(dir.path()) {
            Ok(m) => return Some((dir, m)),
            Err(e) => format!("mount failed: {e}"),
        },
        Some(why) => why,
    };
    let required = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false")
        || std::env::var_os("OUTRIG_REQUIRE_FUSE").is_some_and(|v| v == "1");
    assert!(!required, "lossyfs cannot be mounted: {why}");
    eprintln!("NOT RUN: lossyfs cannot be mounted: {why}");
    None
}

fn sync_dir(p: &Path) {
    fs::File::open(p).unwrap().sync_all().unwrap();
}

#[test]
fn fsync_of_file_and_directory_is_what_survives_a_cut() {
    let Some((_dir, m)) = mount() else { return };
    let root = m.path();
    fs::write(root.join("unsynced"), b"lost").unwrap();
    let mut f = fs::File::create(root.join("synced")).unwrap();
    f.write_all(b"kept").unwrap();
    f.sync_all().unwrap();
    sync_dir(root);
    fs::write(root.join("after"), b"lost too").unwrap();

    let crash = m.crash();
    m.boot(&crash, 0);
    assert_eq!(fs::read(root.join("synced")).unwrap(), b"kept");
    // `unsynced` was named before the directory fsync, so its name survives; its bytes not.
    assert_eq!(fs::read(root.join("unsynced")).unwrap(), b"");
    assert!(!root.join("after").exists());

    m.boot(&m.crash(), 0);
    assert_eq!(
        fs::read(root.join("synced")).unwrap(),
        b"kept",
        "a boot keeps the durable"
    );
}

#[test]
fn every_call_through_the_kernel_reaches_the_model() {
    let Some((_dir, m)) = mount() else { return };
    let root = m.path();
    fs::create_dir_all(root.join("a/b")).unwrap();
    let log = root.join("a/b/log");
    for line in ["one\n", "two\n"] {
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .unwrap();
        f.write_all(line.as_bytes()).unwrap();
    }
    assert_eq!(fs::read_to_string(&log).unwrap(), "one\ntwo\n");
    fs::rename(&log, root.join("a/b/renamed")).unwrap();
    symlink("b/renamed", root.join("a/link")).unwrap();
    assert_eq!(
        fs::read_to_string(root.join("a/link")).unwrap(),
        "one\ntwo\n"
    );
    assert_eq!(
        fs::read_link(root.join("a/link")).unwrap(),
        Path::new("b/renamed")
    );
    let err = fs::rename(root.join("a/b/renamed"), root.join("a/moved")).unwrap_err();
    assert_eq!(
        err.raw_os_error(),
        Some(libc::EXDEV),
        "cross-directory renames are refused"
    );
    let err = fs::remove_dir(root.join("a/b")).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::ENOTEMPTY));
    let mut names: Vec<_> = fs::read_dir(root.join("a"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["b", "link"]);
    assert!(m.steps() > 0);

    // Nothing was synced: a cut that keeps nothing leaves an empty root.
    m.boot(&m.crash(), 0);
    assert_eq!(fs::read_dir(root).unwrap().count(), 0);
}

#[test]
fn after_the_cut_step_every_call_fails() {
    let Some((_dir, m)) = mount() else { return };
    let root = m.path();
    m.cut_after(Some(1));
    fs::create_dir(root.join("made")).unwrap();
    assert!(m.is_dead());
    let err = fs::write(root.join("made/f"), b"x").unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EIO), "{err}");
    let crash = m.crash();
    m.boot(&crash, crash.everything_kept());
    assert!(
        root.join("made").is_dir(),
        "the step before the cut is kept"
    );
    fs::write(root.join("made/f"), b"x").unwrap();
}

/// Threads taking turns, each writing its own file: every write is a turn point held in the
/// server (the requests carry the writing thread's id), so the order of the writes is the
/// seed's, however the threads are scheduled.
#[test]
fn threads_taking_turns_write_in_the_order_their_seed_draws() {
    let Some((_dir, m)) = mount() else { return };
    let root = m.path().to_path_buf();
    let run = |seed: u64| -> (Vec<usize>, Vec<usize>) {
        let order = std::sync::Mutex::new(Vec::new());
        m.take_turns(seed, 3);
        std::thread::scope(|scope| {
            for me in 0..3 {
                let (m, root, order) = (&m, &root, &order);
                scope.spawn(move || {
                    let _turns = m.join_turns(me);
                    let mut f = fs::File::create(root.join(format!("t{me}"))).unwrap();
                    for _ in 0..4 {
                        f.write_all(b"x").unwrap();
                        order.lock().unwrap().push(me);
                    }
                    f.sync_all().unwrap();
                });
            }
        });
        (m.stop_turns(), order.into_inner().unwrap())
    };
    let (trace, order) = run(11);
    assert_eq!(order.len(), 12);
    // One grant to start each member, one per write and one per sync.
    assert_eq!(
        trace.len(),
        3 + 12 + 3,
        "every write and sync was a turn point"
    );
    for _ in 0..3 {
        assert_eq!(run(11), (trace.clone(), order.clone()));
    }
    assert!(
        (0..6).any(|seed| run(seed).1 != order),
        "another seed, another order"
    );
}
