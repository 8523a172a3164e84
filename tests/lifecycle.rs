//! Leases and liveness across processes: a session leased by another process is running and
//! Busy to this one; killed, it is abandoned and `clean` removes it; a lock held the way
//! `outrig run-new` holds it makes writers Busy within the bound; the default container probe
//! asks `podman` on `PATH`.
//!
//! The other processes are this test binary run again for one `#[ignore]`d worker test,
//! steered by `OUTRIG_LIFECYCLE_*` variables.

mod common;

use std::io::{BufRead as _, BufReader, Write as _};
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use common::spec;
use outrig::{CleanMode, ContainerProbe, ErrorKind, RemoveMode, SessionId, SessionStore, State};

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set"))
}

/// Worker: holds a session's lock until its standard input closes. `OUTRIG_LIFECYCLE_MODE` is
/// `create` (creates a session through the library, holding its lease) or `flock` (locks the
/// directory `OUTRIG_LIFECYCLE_DIR` with a plain `flock`, as `outrig run-new` does). Prints
/// `READY <id or dir>` once it holds the lock.
#[test]
#[ignore = "run by the other tests in a child process"]
fn lock_holder() {
    let root = env("OUTRIG_LIFECYCLE_ROOT");
    let mut out = std::io::stdout();
    let _held: Box<dyn std::any::Any> = match env("OUTRIG_LIFECYCLE_MODE").as_str() {
        "create" => {
            let store = SessionStore::new(root).unwrap();
            let live = store.create(&spec("held")).unwrap();
            writeln!(out, "READY {}", live.id).unwrap();
            Box::new(live)
        }
        "flock" => {
            let dir = std::fs::File::open(env("OUTRIG_LIFECYCLE_DIR")).unwrap();
            rustix::fs::flock(&dir, rustix::fs::FlockOperation::NonBlockingLockExclusive).unwrap();
            writeln!(out, "READY locked").unwrap();
            Box::new(dir)
        }
        other => panic!("unknown mode {other}"),
    };
    out.flush().unwrap();
    // Hold until the parent closes our input (or kills us).
    let mut line = String::new();
    while std::io::stdin().read_line(&mut line).unwrap_or(0) > 0 {}
}

/// Starts a lock holder; returns it and the word after `READY`.
fn holder(root: &Path, mode: &str, dir: Option<&Path>) -> (Child, String) {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "lock_holder",
        "--exact",
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ])
    .env("OUTRIG_LIFECYCLE_ROOT", root)
    .env("OUTRIG_LIFECYCLE_MODE", mode)
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::inherit());
    if let Some(dir) = dir {
        cmd.env("OUTRIG_LIFECYCLE_DIR", dir);
    }
    let mut child = cmd.spawn().unwrap();
    let word = ready(child.stdout.take().unwrap());
    (child, word)
}

fn ready(stdout: ChildStdout) -> String {
    let mut lines = BufReader::new(stdout).lines();
    for line in lines.by_ref() {
        let line = line.unwrap();
        // libtest may print "test lock_holder ... " on the same line first.
        if let Some((_, word)) = line.split_once("READY ") {
            // Keep reading what the worker prints later, so it never writes to a closed pipe.
            std::thread::spawn(move || lines.for_each(drop));
            return word.trim().to_owned();
        }
    }
    panic!("the lock holder never got ready");
}

/// A store whose container probe says nothing runs (no containers run in these tests).
fn store() -> (tempfile::TempDir, SessionStore) {
    let (tmp, store) = common::store();
    (
        tmp,
        store.with_container_probe(ContainerProbe::custom(|_| Some(Vec::new()))),
    )
}

#[test]
fn a_session_leased_elsewhere_is_running_and_busy_here_and_abandoned_once_killed() {
    let (_tmp, store) = store();
    let (mut child, id) = holder(store.root(), "create", None);
    let id = SessionId::parse(&id).unwrap();
    assert_eq!(store.state(&id).unwrap(), State::Running);
    let before = std::fs::read(store.entry_path(&id).join("session.json")).unwrap();

    let start = Instant::now();
    for err in [
        store.finalize(&id, SystemTime::now(), 0).unwrap_err(),
        store.set_sidecar_containers(&id, &["x"]).unwrap_err(),
        store.remove(&id).unwrap_err(),
    ] {
        assert_eq!(err.kind(), ErrorKind::Busy, "{err}");
        assert!(err.message().contains(id.as_str()), "{err}");
        assert!(err.message().contains("running launcher"), "{err}");
    }
    let waited = start.elapsed();
    assert!(
        waited >= 3 * outrig::LOCK_WAIT && waited < 3 * outrig::LOCK_WAIT + Duration::from_secs(5),
        "each waited its bound: {waited:?}"
    );
    assert_eq!(
        std::fs::read(store.entry_path(&id).join("session.json")).unwrap(),
        before,
        "nothing written"
    );
    // clean keeps it, as running, however old.
    let done = store
        .clean(
            SystemTime::now() + Duration::from_secs(3600),
            CleanMode::Remove,
        )
        .unwrap();
    assert!(done.removed.is_empty());
    assert_eq!(done.kept_running.len(), 1);

    // The launcher dies without finalizing: the kernel drops the lease.
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(store.state(&id).unwrap(), State::Abandoned);
    // Without a probe that can tell, it is unknown, and clean keeps it.
    let blind = store.clone().with_container_probe(ContainerProbe::none());
    assert_eq!(blind.state(&id).unwrap(), State::Unknown);
    assert!(
        blind
            .clean(
                SystemTime::now() + Duration::from_secs(3600),
                CleanMode::Remove
            )
            .unwrap()
            .removed
            .is_empty()
    );
}

#[test]
fn clean_with_a_zero_cutoff_removes_the_abandoned_and_keeps_a_live_session() {
    let (_tmp, store) = store();
    let (mut dead, dead_id) = holder(store.root(), "create", None);
    let (mut live, live_id) = holder(store.root(), "create", None);
    dead.kill().unwrap();
    dead.wait().unwrap();
    let done = store
        .clean_older_than(Duration::ZERO, CleanMode::Remove)
        .unwrap();
    let removed: Vec<&str> = done.removed.iter().map(|s| s.id.as_str()).collect();
    let kept: Vec<&str> = done.kept_running.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(removed, [dead_id.as_str()]);
    assert_eq!(kept, [live_id.as_str()]);
    let listed: Vec<String> = store
        .list()
        .unwrap()
        .sessions
        .into_iter()
        .map(|s| s.id.into_string())
        .collect();
    assert_eq!(listed, std::slice::from_ref(&live_id));
    // The live launcher finalizes once it is done; then it is finished, and goes.
    drop(live.stdin.take());
    live.wait().unwrap();
    let id = SessionId::parse(&live_id).unwrap();
    assert_eq!(
        store.state(&id).unwrap(),
        State::Abandoned,
        "exited unfinalized"
    );
    store.finalize(&id, SystemTime::now(), 0).unwrap();
    assert_eq!(store.state(&id).unwrap(), State::Finished);
}

#[test]
fn a_lock_held_like_outrig_run_new_makes_writers_busy_within_the_bound() {
    let (_tmp, store) = store();
    let s = store.create(&spec("run-new")).unwrap().into_session();
    let (mut child, _) = holder(store.root(), "flock", Some(&s.session_dir));
    let store = store.with_lock_wait(Duration::from_millis(200));
    let start = Instant::now();
    let err = store.finalize(&s.id, SystemTime::now(), 0).unwrap_err();
    let waited = start.elapsed();
    assert_eq!(err.kind(), ErrorKind::Busy, "{err}");
    assert!(
        waited >= Duration::from_millis(200) && waited < Duration::from_secs(5),
        "{waited:?}"
    );
    assert_eq!(store.state(&s.id).unwrap(), State::Running);
    drop(child.stdin.take());
    child.wait().unwrap();
    store.finalize(&s.id, SystemTime::now(), 7).unwrap();
    assert_eq!(store.get(&s.id).unwrap().exit_code, Some(7));
}

#[test]
fn this_process_works_through_its_own_leases() {
    let (_tmp, store) = store();
    let live = store.create(&spec("mine")).unwrap();
    assert!(live.is_leased());
    assert_eq!(store.state(&live.id).unwrap(), State::Running);
    // By id, from the process that holds the lease: no waiting, no Busy.
    let start = Instant::now();
    store.set_sidecar_containers(&live.id, &["side"]).unwrap();
    let done = store.finalize(&live.id, SystemTime::now(), 3).unwrap();
    assert!(
        start.elapsed() < outrig::LOCK_WAIT,
        "went through the lease"
    );
    assert_eq!(done.sidecar_container_names, ["side"]);
    assert!(!live.is_leased(), "finalizing ended the lease");
    assert_eq!(store.state(&live.id).unwrap(), State::Finished);

    // Through the handle itself.
    let mut live = store.create(&spec("handle")).unwrap();
    live.set_sidecar_containers(&["a", "b"]).unwrap();
    assert_eq!(live.sidecar_container_names, ["a", "b"]);
    let id = live.id.clone();
    let done = live.finalize_now(143).unwrap();
    assert_eq!(done.exit_code, Some(143));
    assert_eq!(store.get(&id).unwrap(), done);

    // Removal by id from the holder works, and ends the lease.
    let live = store.create(&spec("removed")).unwrap();
    store.remove(&live.id).unwrap();
    assert!(!live.is_leased());
    assert!(!store.entry_path(&live.id).exists());

    // Dropping the handle unfinalized ends the lease: abandoned.
    let id = store.create(&spec("dropped")).unwrap().id.clone();
    assert_eq!(store.state(&id).unwrap(), State::Abandoned);
}

#[test]
fn sessions_from_list_and_get_hold_nothing() {
    let (_tmp, store) = store();
    let id = store.create(&spec("x")).unwrap().into_session().id;
    let listed = store.list().unwrap();
    let got = store.get(&id).unwrap();
    assert_eq!(store.states(&listed.sessions), [State::Abandoned]);
    drop((listed, got));
    store.remove(&id).unwrap();
}

/// Worker: prints the state of `OUTRIG_LIFECYCLE_ID` as the default probe tells it, with the
/// `PATH` the parent gave.
#[test]
#[ignore = "run by the other tests in a child process"]
fn probe_worker() {
    let store = SessionStore::new(env("OUTRIG_LIFECYCLE_ROOT")).unwrap();
    let id = SessionId::parse(&env("OUTRIG_LIFECYCLE_ID")).unwrap();
    println!("STATE {}", store.state(&id).unwrap());
}

fn state_with_path(root: &Path, id: &SessionId, path: &Path) -> String {
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "probe_worker",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("OUTRIG_LIFECYCLE_ROOT", root)
        .env("OUTRIG_LIFECYCLE_ID", id.as_str())
        .env("PATH", path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
        .lines()
        .find_map(|l| l.split_once("STATE ").map(|(_, s)| s.trim()))
        .unwrap_or_else(|| panic!("no state in {stdout}"))
        .to_owned()
}

#[test]
fn the_default_probe_asks_podman_on_path() {
    let (tmp, store) = common::store();
    let s = store
        .create(&spec("agent-1").sidecar("tools-1"))
        .unwrap()
        .into_session();
    let bin = tmp.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let podman = bin.join("podman");
    let fake = |body: &str| common::fake_engine(&podman, body);
    // A sidecar of the session runs.
    fake(&common::podman_listing(&["other", "tools-1"]));
    assert_eq!(state_with_path(store.root(), &s.id, &bin), "running");
    // Only other containers run.
    fake(&common::podman_listing(&["other"]));
    assert_eq!(state_with_path(store.root(), &s.id, &bin), "abandoned");
    // podman fails, or answers with something that is not a listing: it cannot tell.
    fake("echo 'cannot connect' >&2; exit 125");
    assert_eq!(state_with_path(store.root(), &s.id, &bin), "unknown");
    fake("echo other; echo tools-1");
    assert_eq!(state_with_path(store.root(), &s.id, &bin), "unknown");
    // A podman on PATH that cannot be run is a broken engine, not a missing one.
    std::fs::set_permissions(&podman, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert_eq!(state_with_path(store.root(), &s.id, &bin), "unknown");
    // No podman installed (a docker beside it is not asked): no container of outrig's runs.
    let docker_only = tmp.path().join("docker-only");
    std::fs::create_dir(&docker_only).unwrap();
    common::fake_engine(
        &docker_only.join("docker"),
        &common::podman_listing(&["tools-1"]),
    );
    assert_eq!(
        state_with_path(store.root(), &s.id, &docker_only),
        "abandoned"
    );
}

#[test]
fn remove_refuses_a_session_whose_containers_run_or_might() {
    let (_tmp, store) = common::store();
    let up = store
        .clone()
        .with_container_probe(ContainerProbe::custom(|names| {
            Some(
                names
                    .iter()
                    .filter(|n| n.ends_with("-up"))
                    .cloned()
                    .collect(),
            )
        }));
    // Run by `outrig run` (no lease), its sidecar still up.
    let s = up
        .create(&spec("agent").sidecar("tools-up"))
        .unwrap()
        .into_session();
    let err = up.remove(&s.id).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Busy, "{err}");
    assert!(err.message().contains("tools-up"), "{err}");
    assert!(up.entry_path(&s.id).exists());
    // A probe that cannot tell, or none, refuses it too, saying why.
    for blind in [ContainerProbe::none(), ContainerProbe::custom(|_| None)] {
        let err = store
            .clone()
            .with_container_probe(blind)
            .remove(&s.id)
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Busy, "{err}");
        assert!(
            err.message().contains("cannot be told") || err.message().contains("cannot tell"),
            "{err}"
        );
        assert!(err.message().contains("--force"), "{err}");
        assert!(up.entry_path(&s.id).exists());
    }
    // A finished session whose primary container runs on (an attached session) is kept, as
    // outrig keeps it; one whose sidecar alone runs goes.
    let attached = up.create(&spec("borrowed-up")).unwrap().into_session();
    up.finalize(&attached.id, SystemTime::now(), 0).unwrap();
    let err = up.remove(&attached.id).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Busy, "{err}");
    assert!(err.message().contains("borrowed-up"), "{err}");
    let finished = up
        .create(&spec("done").sidecar("tools-up"))
        .unwrap()
        .into_session();
    up.finalize(&finished.id, SystemTime::now(), 0).unwrap();
    up.remove(&finished.id).unwrap();
    // The override, for a broken engine: no container check, but a held lease still refuses.
    store
        .clone()
        .with_container_probe(ContainerProbe::none())
        .remove_forced(&s.id)
        .unwrap();
    assert!(!store.entry_path(&s.id).exists());
    up.remove_forced(&attached.id).unwrap();
}

#[test]
fn remove_with_and_remove_by_path_with_take_the_mode_every_face_passes() {
    assert_eq!(RemoveMode::from_force(true), RemoveMode::Forced);
    assert_eq!(RemoveMode::from_force(false), RemoveMode::Checked);
    assert_eq!(RemoveMode::default(), RemoveMode::Checked);
    let (tmp, store) = common::store();
    let blind = store.clone().with_container_probe(ContainerProbe::none());
    // Unleased and unfinalized: only a forced removal may take it, by id or by path.
    let by_id = blind.create(&spec("by-id")).unwrap().into_session();
    let explicit = spec("by-path").session_dir(tmp.path().join("explicit"));
    let by_path = blind.create(&explicit).unwrap().into_session();
    let err = blind
        .remove_with(&by_id.id, RemoveMode::Checked)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Busy, "{err}");
    let err = blind
        .remove_by_path_with(&by_path.session_dir, RemoveMode::Checked)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Busy, "{err}");
    assert_eq!(
        store.list().unwrap().sessions.len(),
        2,
        "nothing was removed"
    );
    blind.remove_with(&by_id.id, RemoveMode::Forced).unwrap();
    let removal = blind
        .remove_by_path_with(&by_path.session_dir, RemoveMode::Forced)
        .unwrap();
    assert!(removal.kept.is_empty());
    assert!(!by_path.session_dir.exists());
    assert!(
        !store.entry_path(&by_path.id).exists(),
        "the root's link went too"
    );
    assert!(store.list().unwrap().sessions.is_empty());
}
