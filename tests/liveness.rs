//! Liveness that cannot be fooled, across real processes: a handle whose lease ended updates
//! under the lock, removals fail closed when the probe cannot tell (out of descriptors
//! included), the engine inherits no descriptor, and removers and cleaners racing creators
//! never split an explicit session or fail a create. (`fork` children: tests/fork.rs.)
//!
//! Other processes are this binary run again for one `#[ignore]`d worker, steered by
//! `OUTRIG_LIVENESS_*` variables.

mod common;

use std::os::fd::AsRawFd as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::spec;
use outrig::{CleanMode, ContainerProbe, ErrorKind, RemoveMode, SessionId, SessionStore, State};

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set"))
}

fn nothing_runs(store: SessionStore) -> SessionStore {
    store.with_container_probe(ContainerProbe::custom(|_| Some(Vec::new())))
}

/// Worker: holds a plain `flock` on `OUTRIG_LIVENESS_DIR` (as `outrig run-new` does) until its
/// standard input closes. Prints `READY`.
#[test]
#[ignore = "run by the other tests in a child process"]
fn flock_holder() {
    use std::io::{BufRead as _, Write as _};
    let dir = std::fs::File::open(env("OUTRIG_LIVENESS_DIR")).unwrap();
    rustix::fs::flock(&dir, rustix::fs::FlockOperation::NonBlockingLockExclusive).unwrap();
    println!("READY");
    std::io::stdout().flush().unwrap();
    let mut line = String::new();
    while std::io::stdin().lock().read_line(&mut line).unwrap_or(0) > 0 {}
}

fn worker(name: &str) -> Command {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        name,
        "--exact",
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ]);
    cmd
}

fn wait_ready(child: &mut std::process::Child) {
    use std::io::BufRead as _;
    let out = child.stdout.take().unwrap();
    let mut lines = std::io::BufReader::new(out).lines();
    assert!(
        lines.by_ref().any(|l| l.unwrap().contains("READY")),
        "the worker never got ready"
    );
    std::thread::spawn(move || lines.for_each(drop));
}

#[test]
fn a_handle_whose_lease_ended_updates_under_the_lock() {
    let (_tmp, store) = common::store();
    let store = nothing_runs(store).with_lock_wait(Duration::from_millis(150));
    for ended in ["release", "finalize"] {
        let mut live = store.create(&spec(ended)).unwrap();
        if ended == "release" {
            live.release();
        } else {
            live.finalize_now(0).unwrap();
        }
        let dir = store.entry_path(&live.id);
        let mut holder = worker("flock_holder")
            .env("OUTRIG_LIVENESS_DIR", &dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        wait_ready(&mut holder);
        let before = std::fs::read(dir.join("session.json")).unwrap();
        let err = live.set_sidecar_containers(&["late"]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Busy, "{ended}: {err}");
        assert_eq!(std::fs::read(dir.join("session.json")).unwrap(), before);
        drop(holder.stdin.take());
        holder.wait().unwrap();
        live.set_sidecar_containers(&["late"]).unwrap();
        assert_eq!(
            store.get(&live.id).unwrap().sidecar_container_names,
            ["late"]
        );
    }
}

/// Worker: removes session `OUTRIG_LIVENESS_ID` with the default probe, under whatever
/// descriptor limit it was started with, and prints `REMOVED`, or the error's kind.
#[test]
#[ignore = "run by the other tests in a child process"]
fn remover_at_low_limit() {
    let store = SessionStore::new(env("OUTRIG_LIVENESS_ROOT")).unwrap();
    let id = SessionId::parse(&env("OUTRIG_LIVENESS_ID")).unwrap();
    match store.remove(&id) {
        Ok(_) => println!("OUTCOME REMOVED"),
        Err(e) => println!("OUTCOME {:?} {e}", e.kind()),
    }
}

#[test]
fn out_of_descriptors_the_probe_cannot_tell_and_nothing_is_removed() {
    let (tmp, store) = common::store();
    let s = store.create(&spec("agent-up")).unwrap().into_session();
    let bin = tmp.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    common::fake_engine(&bin.join("podman"), &common::podman_listing(&["agent-up"]));
    let mut outcomes = Vec::new();
    for limit in 6..=14 {
        let out = Command::new("/bin/sh")
            .arg("-c")
            .arg(format!("ulimit -n {limit} && exec \"$0\" \"$@\""))
            .arg(std::env::current_exe().unwrap())
            .args([
                "remover_at_low_limit",
                "--exact",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("OUTRIG_LIVENESS_ROOT", store.root())
            .env("OUTRIG_LIVENESS_ID", s.id.as_str())
            .env("PATH", &bin)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let outcome = stdout
            .lines()
            .find_map(|l| l.split_once("OUTCOME ").map(|(_, o)| o.to_owned()))
            .unwrap_or_else(|| format!("no outcome (the worker could not start): {stdout}"));
        assert!(!outcome.starts_with("REMOVED"), "limit {limit}: {outcome}");
        assert!(
            store.get(&s.id).is_ok(),
            "limit {limit}: the session is intact"
        );
        outcomes.push(format!("{limit}: {outcome}"));
    }
    // With room to spare, the engine answers: its container runs, so the answer is Busy too.
    assert!(
        outcomes.last().unwrap().contains("Busy") && outcomes.last().unwrap().contains("agent-up"),
        "{outcomes:#?}"
    );
    assert!(
        outcomes.iter().any(|o| o.contains("could not be started")),
        "some limit starves the engine's spawn: {outcomes:#?}"
    );
}

#[test]
fn the_engine_inherits_no_descriptor_of_the_caller() {
    let (tmp, store) = common::store();
    let live = store.create(&spec("leased")).unwrap();
    // A launcher that passes its lease on clears FD_CLOEXEC on it.
    let fd = live.lease_fd();
    rustix::io::fcntl_setfd(fd, rustix::io::FdFlags::empty()).unwrap();
    let n = fd.as_raw_fd();
    let unleased = store.create(&spec("asked-about")).unwrap().into_session();
    let seen = tmp.path().join("fds-seen");
    let engine = tmp.path().join("engine");
    common::fake_engine(
        &engine,
        &format!(
            "ls /proc/$$/fd > {seen}\n[ -e /proc/$$/fd/{n} ] && echo LEAKED >> {seen}\nprintf '[]'",
            seen = seen.display()
        ),
    );
    let store = store.with_container_probe(ContainerProbe::program(&engine));
    assert_eq!(store.state(&unleased.id).unwrap(), State::Abandoned);
    let listed = std::fs::read_to_string(&seen).unwrap();
    assert!(
        !listed.contains("LEAKED"),
        "the lease fd {n} reached the engine: {listed}"
    );
    let fds: Vec<u32> = listed
        .split_whitespace()
        .filter_map(|f| f.parse().ok())
        .collect();
    assert!(
        fds.iter().all(|&f| f <= 2 || f >= 10),
        "only 0, 1, 2 (and the shell's own script descriptor) are open: {fds:?}"
    );
    drop(live);
}

/// Worker: removes and cleans every entry of `OUTRIG_LIVENESS_ROOT` in a loop until the file
/// `OUTRIG_LIVENESS_STOP` exists; prints `ROUNDS n`. With `OUTRIG_LIVENESS_FORCED` set, its
/// removals are forced (`RemoveMode::Forced`, as `discard --force`) and its store has no
/// container probe, so only a lease can stop them.
#[test]
#[ignore = "run by the other tests in a child process"]
fn remover_loop() {
    let root = PathBuf::from(env("OUTRIG_LIVENESS_ROOT"));
    let stop = PathBuf::from(env("OUTRIG_LIVENESS_STOP"));
    let forced = std::env::var_os("OUTRIG_LIVENESS_FORCED").is_some();
    let store = SessionStore::new(&root).unwrap();
    let (store, mode) = if forced {
        (
            store.with_container_probe(ContainerProbe::none()),
            RemoveMode::Forced,
        )
    } else {
        (nothing_runs(store), RemoveMode::Checked)
    };
    let store = store.with_lock_wait(Duration::from_millis(20));
    let mut rounds = 0u64;
    while !stop.exists() {
        for entry in std::fs::read_dir(&root).into_iter().flatten().flatten() {
            if let Ok(id) = SessionId::parse(&entry.file_name().to_string_lossy()) {
                let _ = store.remove_with(&id, mode);
            }
        }
        if rounds.is_multiple_of(4) {
            let _ = store.clean_older_than(Duration::ZERO, CleanMode::Remove);
        }
        rounds += 1;
    }
    println!("ROUNDS {rounds}");
}

/// The figures of one race run.
#[derive(Debug, Default)]
struct RaceFigures {
    creates: u64,
    create_errors: u64,
    vanished_while_held: u64,
    finalize_errors: u64,
    orphans: u64,
}

/// Creators of auto and explicit sessions (this process) against removers and cleaners (two
/// other processes, one of them forcing its removals) for `span`.
fn race_creators_against_removers(span: Duration) -> RaceFigures {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    let stop = tmp.path().join("stop");
    let store = nothing_runs(SessionStore::new(&root).unwrap());
    std::fs::create_dir_all(&root).unwrap();
    let removers: Vec<_> = (0..2)
        .map(|k| {
            let mut remover = worker("remover_loop");
            remover
                .env("OUTRIG_LIVENESS_ROOT", &root)
                .env("OUTRIG_LIVENESS_STOP", &stop)
                .env_remove("OUTRIG_LIVENESS_FORCED")
                .stdout(Stdio::piped());
            if k == 1 {
                remover.env("OUTRIG_LIVENESS_FORCED", "1");
            }
            remover.spawn().unwrap()
        })
        .collect();
    let mut figures = RaceFigures::default();
    let mut explicit_dirs = Vec::new();
    let start = Instant::now();
    let mut i = 0u64;
    while start.elapsed() < span {
        let new = if i.is_multiple_of(2) {
            let dir = tmp.path().join(format!("explicit-{i}"));
            explicit_dirs.push(dir.clone());
            spec("racer").session_dir(dir)
        } else {
            spec("racer")
        };
        i += 1;
        match store.create(&new) {
            Ok(live) => {
                figures.creates += 1;
                // While its lease is held, nobody removes it.
                if store.get(&live.id).is_err() {
                    figures.vanished_while_held += 1;
                }
                if i.is_multiple_of(3) {
                    // Through its lease: no remover, forced or not, takes it first.
                    let mut live = live;
                    if live.finalize_now(0).is_err() {
                        figures.finalize_errors += 1;
                    }
                }
            }
            Err(_) => figures.create_errors += 1,
        }
    }
    std::fs::write(&stop, b"").unwrap();
    for r in removers {
        let out = r.wait_with_output().unwrap();
        assert!(out.status.success());
    }
    // An explicit directory that holds a record must be reachable from the root by its id.
    for dir in &explicit_dirs {
        let Ok(bytes) = std::fs::read(dir.join("session.json")) else {
            continue;
        };
        let s = outrig::Session::from_json(&bytes).unwrap();
        let linked = std::fs::read_link(store.entry_path(&s.id))
            .is_ok_and(|t| Path::new(&t) == std::fs::canonicalize(dir).unwrap());
        if !linked {
            figures.orphans += 1;
        }
    }
    figures
}

#[test]
fn removers_and_cleaners_never_split_a_session_or_fail_a_create() {
    let span = if std::env::var_os("OUTRIG_STRESS").is_some() {
        Duration::from_secs(30)
    } else {
        Duration::from_secs(3)
    };
    let figures = race_creators_against_removers(span);
    println!("creators against removers for {span:?}: {figures:?}");
    assert!(figures.creates > 0, "{figures:?}");
    assert_eq!(figures.create_errors, 0, "{figures:?}");
    assert_eq!(figures.vanished_while_held, 0, "{figures:?}");
    assert_eq!(figures.finalize_errors, 0, "{figures:?}");
    assert_eq!(figures.orphans, 0, "{figures:?}");
}

/// `count` sessions made in turn running (their leases held in the returned handles),
/// abandoned (lease released, never finalized) and finished, and the state each should have.
fn sessions_in_every_state(
    store: &SessionStore,
    count: usize,
    container: &str,
) -> (
    Vec<outrig::LiveSession>,
    std::collections::HashMap<SessionId, State>,
) {
    let mut held = Vec::new();
    let mut want = std::collections::HashMap::new();
    for i in 0..count {
        let mut live = store.create(&spec(container)).unwrap();
        let state = [State::Running, State::Abandoned, State::Finished][i % 3];
        want.insert(live.id.clone(), state);
        match state {
            State::Running => held.push(live),
            State::Abandoned => live.release(),
            _ => {
                live.finalize_now(0).unwrap();
            }
        }
    }
    (held, want)
}

/// Enough unfinalized sessions that their leases are probed on several threads: each state
/// lands on its own session, in the listing's order, whichever thread probed it.
#[test]
fn many_sessions_states_land_on_their_own_sessions() {
    let tmp = tempfile::tempdir().unwrap();
    let store = nothing_runs(SessionStore::new(tmp.path().join("root")).unwrap());
    let (mut held, want) = sessions_in_every_state(&store, 450, "many");
    let sessions = store.list().unwrap().sessions;
    assert_eq!(sessions.len(), 450);
    let got = store.states(&sessions);
    for (s, state) in sessions.iter().zip(&got) {
        assert_eq!(*state, want[&s.id], "session {}", s.id);
    }
    // A lease ended since is seen at the next probe, on whichever thread probes it.
    let ended = held.pop().unwrap();
    let ended_id = ended.id.clone();
    drop(ended);
    let again = store.states(&sessions);
    for (s, state) in sessions.iter().zip(&again) {
        let expected = if s.id == ended_id {
            State::Abandoned
        } else {
            want[&s.id]
        };
        assert_eq!(*state, expected, "session {}", s.id);
    }
}

/// Worker: asks the engine `OUTRIG_LIVENESS_ENGINE` about session `OUTRIG_LIVENESS_ID`, first
/// ignoring `SIGCHLD` when `OUTRIG_LIVENESS_IGNORE_SIGCHLD` is set (a host that does: the
/// kernel then reaps the engine itself, and waiting for it finds no child), then tries to
/// remove it. Prints `STATE`, `REASON` and `OUTCOME` lines.
#[test]
#[ignore = "run by the other tests in a child process"]
fn prober_of_one_session() {
    if std::env::var_os("OUTRIG_LIVENESS_IGNORE_SIGCHLD").is_some() {
        // SAFETY: this worker runs alone in its process (one test, one thread); SIG_IGN for
        // SIGCHLD is the disposition a host may set, and installs no handler.
        let previous = unsafe { libc::signal(libc::SIGCHLD, libc::SIG_IGN) };
        assert_ne!(previous, libc::SIG_ERR);
    }
    let store = SessionStore::new(env("OUTRIG_LIVENESS_ROOT"))
        .unwrap()
        .with_container_probe(ContainerProbe::program(env("OUTRIG_LIVENESS_ENGINE")));
    let id = SessionId::parse(&env("OUTRIG_LIVENESS_ID")).unwrap();
    let session = store.get(&id).unwrap();
    let liveness = store.liveness(std::slice::from_ref(&session));
    println!("STATE {:?}", liveness.states[0]);
    println!("REASON {}", liveness.unknown_reason.unwrap_or_default());
    match store.remove(&id) {
        Ok(_) => println!("OUTCOME REMOVED"),
        Err(e) => println!("OUTCOME {:?} {e}", e.kind()),
    }
}

/// Runs `prober_of_one_session` for `id` with `engine`; its `STATE`, `REASON` and `OUTCOME`.
fn probe_in_child(root: &Path, id: &SessionId, engine: &Path, ignore_sigchld: bool) -> [String; 3] {
    let mut cmd = worker("prober_of_one_session");
    cmd.env("OUTRIG_LIVENESS_ROOT", root)
        .env("OUTRIG_LIVENESS_ID", id.as_str())
        .env("OUTRIG_LIVENESS_ENGINE", engine)
        .env_remove("OUTRIG_LIVENESS_IGNORE_SIGCHLD");
    if ignore_sigchld {
        cmd.env("OUTRIG_LIVENESS_IGNORE_SIGCHLD", "1");
    }
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    ["STATE ", "REASON ", "OUTCOME "].map(|key| {
        stdout
            .lines()
            .find_map(|l| l.find(key).map(|i| l[i + key.len()..].to_owned()))
            .unwrap_or_else(|| panic!("no {key}in {stdout}"))
    })
}

#[test]
fn a_host_ignoring_sigchld_cannot_tell_and_removes_nothing() {
    let (tmp, store) = common::store();
    let s = store.create(&spec("agent")).unwrap().into_session();
    let engine = tmp.path().join("engine");
    // An engine that answers "nothing runs", and records that it ran.
    let ran = tmp.path().join("ran");
    common::fake_engine(
        &engine,
        &format!("touch {}\n{}", ran.display(), common::podman_listing(&[])),
    );
    // Waited for normally, that answer makes the unleased session abandoned (removable).
    let [state, _, _] = probe_in_child(store.root(), &s.id, &engine, false);
    assert_eq!(state, "Abandoned");
    let s = store.create(&spec("agent")).unwrap().into_session();
    std::fs::remove_file(&ran).unwrap();
    // Ignoring SIGCHLD, the same answer cannot be trusted (the engine cannot be waited for):
    // cannot tell, so the session stays.
    let [state, reason, outcome] = probe_in_child(store.root(), &s.id, &engine, true);
    assert!(ran.exists(), "the engine ran");
    assert_eq!(state, "Unknown", "{reason}");
    assert!(reason.contains("could not be waited for"), "{reason}");
    assert!(reason.contains("SIGCHLD"), "{reason}");
    assert!(reason.contains(&*engine.to_string_lossy()), "{reason}");
    assert!(outcome.starts_with("Busy "), "{outcome}");
    assert!(
        outcome.contains("SIGCHLD"),
        "the refusal says why: {outcome}"
    );
    assert_eq!(store.get(&s.id).unwrap(), s, "nothing was removed");
}

#[test]
fn a_missing_probe_program_is_unknown_with_a_reason_naming_it() {
    let (tmp, store) = common::store();
    let s = store.create(&spec("agent")).unwrap().into_session();
    let missing = tmp.path().join("no-such-engine");
    let store = store.with_container_probe(ContainerProbe::program(&missing));
    let why = ContainerProbe::program(&missing)
        .check(&["agent".to_owned()])
        .unwrap_err();
    assert!(why.reason().contains(&*missing.to_string_lossy()), "{why}");
    assert!(why.reason().contains("could not be started"), "{why}");
    let liveness = store.liveness(std::slice::from_ref(&s));
    assert_eq!(liveness.states, [State::Unknown]);
    assert_eq!(liveness.unknown_reason.as_deref(), Some(why.reason()));
    assert_eq!(store.state(&s.id).unwrap(), State::Unknown);
    let err = store.remove(&s.id).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Busy, "{err}");
    assert!(err.message().contains(&*missing.to_string_lossy()), "{err}");
    assert!(store.get(&s.id).is_ok(), "nothing was removed");
    // Forced, the removal asks no engine at all.
    store.remove_forced(&s.id).unwrap();
}

/// Worker: creates `OUTRIG_LIVENESS_COUNT` sessions under `OUTRIG_LIVENESS_ROOT`, holding their
/// leases, prints each id, then exits at once (its leases end with it: abandoned).
#[test]
#[ignore = "run by the other tests in a child process"]
fn short_lived_launcher() {
    let store = SessionStore::new(env("OUTRIG_LIVENESS_ROOT")).unwrap();
    let count: usize = env("OUTRIG_LIVENESS_COUNT").parse().unwrap();
    let held: Vec<_> = (0..count)
        .map(|_| store.create(&spec("short")).unwrap())
        .collect();
    for live in &held {
        println!("HELD {}", live.id);
    }
    std::thread::sleep(Duration::from_millis(20));
}

/// `states` over more sessions than the parallel threshold, while launchers in other processes
/// come and go (each creating sessions, holding their leases, and dying): every session of
/// this process's own gets exactly its state whichever thread probed it, and another
/// launcher's is `Running` or `Abandoned`, never another session's state or `Unknown`.
#[test]
fn states_over_the_threshold_hold_while_leases_come_and_go_elsewhere() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    let store = nothing_runs(SessionStore::new(&root).unwrap());
    let (held, want) = sessions_in_every_state(&store, 300, "mine");
    let rounds = if std::env::var_os("OUTRIG_STRESS").is_some() {
        200
    } else {
        12
    };
    let mut launchers = Vec::new();
    let mut others = 0usize;
    for round in 0..rounds {
        // Two launchers at a time: one starting, one dying, while states are read.
        launchers.push(
            worker("short_lived_launcher")
                .env("OUTRIG_LIVENESS_ROOT", &root)
                .env("OUTRIG_LIVENESS_COUNT", "4")
                .stdout(Stdio::piped())
                .spawn()
                .unwrap(),
        );
        if launchers.len() > 2 {
            let out = launchers.remove(0).wait_with_output().unwrap();
            assert!(out.status.success(), "round {round}");
        }
        let sessions = store.list().unwrap().sessions;
        assert!(sessions.len() >= 300);
        for (s, state) in sessions.iter().zip(store.states(&sessions)) {
            match want.get(&s.id) {
                Some(mine) => assert_eq!(state, *mine, "round {round}: session {}", s.id),
                None => {
                    others += 1;
                    assert!(
                        matches!(state, State::Running | State::Abandoned),
                        "round {round}: another launcher's {} is {state:?}",
                        s.id
                    );
                }
            }
        }
    }
    for l in launchers {
        assert!(l.wait_with_output().unwrap().status.success());
    }
    // Every launcher is gone: each of its sessions is abandoned now.
    let sessions = store.list().unwrap().sessions;
    assert_eq!(sessions.len(), 300 + 4 * rounds);
    for (s, state) in sessions.iter().zip(store.states(&sessions)) {
        let expected = want.get(&s.id).copied().unwrap_or(State::Abandoned);
        assert_eq!(state, expected, "session {}", s.id);
    }
    println!("states with launchers coming and going: {rounds} rounds, {others} foreign states");
    drop(held);
}
