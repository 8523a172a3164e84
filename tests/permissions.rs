//! Filesystem states that only permissions create: an unreadable root, an unreadable entry or
//! record, read-only directories when creating or finalizing. Each gives its documented error
//! or skip and loses nothing.
//!
//! Permission bits do not stop root, so when the tests run as root (as CI does) the scenarios
//! run in a child of this binary started as `nobody` through `setpriv`.

use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use outrig::{ErrorKind, NewSession, SessionStore};

fn uid() -> u32 {
    let status = fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("Uid:")).unwrap();
    line.split_whitespace().nth(2).unwrap().parse().unwrap() // the effective uid
}

fn chmod(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

fn spec(name: &str) -> NewSession {
    NewSession::new(name, "img", "/w")
}

/// The scenarios, as an unprivileged user, in `base` (a directory this user may write).
fn scenarios(base: &Path) -> Vec<&'static str> {
    let mut done = Vec::new();
    let root = base.join("root");
    let store = SessionStore::new(&root).unwrap();
    let a = store.create(&spec("a")).unwrap();
    let b = store.create(&spec("b")).unwrap();
    let c = store.create(&spec("c")).unwrap();

    // An unreadable entry and an unreadable record cost only themselves.
    chmod(&store.entry_path(&a.id), 0o000);
    chmod(&store.entry_path(&b.id).join("session.json"), 0o000);
    let listing = store.list().unwrap();
    assert_eq!(listing.sessions.len(), 1);
    assert_eq!(listing.sessions[0].id, c.id);
    let mut skipped: Vec<&str> = listing.skipped.iter().map(|s| s.entry.as_str()).collect();
    skipped.sort_unstable();
    let mut want = vec![a.id.as_str(), b.id.as_str()];
    want.sort_unstable();
    assert_eq!(skipped, want);
    for s in &listing.skipped {
        assert!(s.reason.contains("ermission denied"), "{}", s.reason);
    }
    let err = store.get(&b.id).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io);
    assert_eq!(err.os_error(), Some(13));
    chmod(&store.entry_path(&a.id), 0o755);
    chmod(&store.entry_path(&b.id).join("session.json"), 0o600);
    done.push("unreadable entry and record: skipped, others listed");

    // A read-only session directory: finalize fails and the record stays as it was.
    let dir = store.entry_path(&c.id);
    let before = fs::read(dir.join("session.json")).unwrap();
    chmod(&dir, 0o555);
    let err = store.finalize(&c.id, SystemTime::now(), 0).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io, "{err}");
    assert!(err.message().contains("check its permissions"), "{err}");
    chmod(&dir, 0o755);
    assert_eq!(fs::read(dir.join("session.json")).unwrap(), before);
    assert_eq!(names(&dir), ["session.json"], "no temporary file left");
    assert!(!store.get(&c.id).unwrap().is_finalized());
    done.push("read-only directory when finalizing: I/O error, record unchanged");

    // A read-only session directory: removal fails before it deletes the record.
    chmod(&dir, 0o555);
    let err = store.remove(&c.id).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io, "{err}");
    chmod(&dir, 0o755);
    assert!(
        store.get(&c.id).is_ok(),
        "the session still lists, so removal can be retried"
    );
    store.remove(&c.id).unwrap();
    done.push("read-only directory when removing: I/O error, session intact, retry works");

    // One session that cannot be removed does not stop a clean: the others go, and the
    // failure is reported with the session.
    let nothing_runs = store
        .clone()
        .with_container_probe(outrig::ContainerProbe::custom(|_| Some(Vec::new())));
    let older = store
        .create(&spec("older"))
        .unwrap()
        .finalize_now(0)
        .unwrap();
    let stuck = store
        .create(&spec("stuck"))
        .unwrap()
        .finalize_now(0)
        .unwrap();
    let stuck_dir = store.entry_path(&stuck.id);
    chmod(&stuck_dir, 0o555);
    let cleaned = nothing_runs
        .clean_older_than(std::time::Duration::ZERO, outrig::CleanMode::Remove)
        .unwrap();
    chmod(&stuck_dir, 0o755);
    let removed: Vec<&str> = cleaned.removed.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(removed, [older.id.as_str()]);
    assert_eq!(cleaned.failed.len(), 1, "{cleaned:?}");
    assert_eq!(cleaned.failed[0].session.id, stuck.id);
    assert_eq!(cleaned.failed[0].kind, ErrorKind::Io);
    assert_eq!(cleaned.failed[0].os_error, Some(13), "the errno is kept");
    let refused = cleaned.failed[0].path.as_deref();
    assert!(
        refused.is_some_and(|p| p.starts_with(&stuck_dir)),
        "the path refused is kept: {refused:?}"
    );
    // The one error a face that fails the clean as a whole returns: the first failure's kind
    // and errno (C's outrig_last_os_error, Python's OSError.errno), counted and quoted.
    let first = cleaned.first_failure().unwrap();
    assert_eq!(first.kind(), ErrorKind::Io);
    assert_eq!(first.os_error(), Some(13));
    assert_eq!(
        first.path(),
        refused,
        "and its path (Python's OSError.filename)"
    );
    assert!(
        first.message().starts_with("1 of the sessions to clean"),
        "{first}"
    );
    assert!(
        first.message().contains(&cleaned.failed[0].message),
        "{first}"
    );
    assert!(outrig::Cleaning::default().first_failure().is_none());
    assert!(store.get(&stuck.id).is_ok(), "the stuck session is intact");
    store.remove(&stuck.id).unwrap();
    done.push("an unremovable session: clean removes the others and reports it");

    // A read-only root: create fails and leaves nothing.
    let entries = names(&root);
    chmod(&root, 0o555);
    let err = store.create(&spec("d")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io, "{err}");
    assert_eq!(err.os_error(), Some(13));
    chmod(&root, 0o755);
    assert_eq!(names(&root), entries);
    done.push("read-only root when creating: I/O error, nothing made");

    // A read-only explicit directory: refused, nothing left in the root.
    let explicit = base.join("explicit");
    fs::create_dir(&explicit).unwrap();
    chmod(&explicit, 0o555);
    let err = store.create(&spec("e").session_dir(&explicit)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io, "{err}");
    chmod(&explicit, 0o755);
    assert_eq!(names(&root), entries, "the link was taken back");
    assert!(names(&explicit).is_empty());
    done.push("read-only explicit directory: I/O error, no link left");

    // An unreadable root: listing is an error naming it, not an empty listing.
    chmod(&root, 0o000);
    let err = store.list().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io);
    assert!(err.message().contains(&*root.to_string_lossy()), "{err}");
    chmod(&root, 0o755);
    done.push("unreadable root: I/O error naming it");
    done
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Run as `nobody` by `permission_states` when the tests run as root.
#[test]
#[ignore = "run by permission_states as an unprivileged user"]
fn probe() {
    let base = PathBuf::from(std::env::var_os("OUTRIG_PERMISSION_BASE").unwrap());
    for line in scenarios(&base) {
        println!("OK {line}");
    }
}

#[test]
fn permission_states() {
    let tmp = tempfile::tempdir().unwrap();
    if uid() != 0 {
        let done = scenarios(tmp.path());
        println!("permission scenarios: {} passed", done.len());
        return;
    }
    // As root: the same scenarios as `nobody`, in a directory it may write.
    let base = tmp.path().join("nobody");
    fs::create_dir(&base).unwrap();
    chmod(tmp.path(), 0o755);
    chmod(&base, 0o777);
    // A copy of this binary that `nobody` can run wherever the checkout lives.
    let exe = tmp.path().join("probe");
    fs::copy(std::env::current_exe().unwrap(), &exe).unwrap();
    chmod(&exe, 0o755);
    let out = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(&exe)
        .args([
            "--ignored",
            "--exact",
            "probe",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("OUTRIG_PERMISSION_BASE", &base)
        .output()
        .expect("setpriv (util-linux) runs the scenarios as an unprivileged user");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let passed = stdout.matches("OK ").count();
    assert_eq!(passed, 7, "{stdout}");
    print!("{stdout}");
    println!("permission scenarios as nobody: {passed} passed");
}
