//! The operations cut at every step: each sets a scene up (made durable), acts through the
//! public API, and says what a boot may show after a cut, knowing whether the act returned.

use std::fs::{self, OpenOptions};
use std::io::Write as _;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use outrig::{CleanMode, ContainerProbe, ErrorKind, NewSession, Session};

use super::check::{Expect, Kind, LogWant, Spec, Violation, check};
use super::rig::{Rig, Rng, Tally, outcomes};

/// One operation under test.
pub struct Scenario {
    pub name: &'static str,
    /// Whether the scene starts without the session root (so the act makes it).
    pub without_root: bool,
    /// Whether each of its syncs is made to fail in turn ([`run_faults`]); not for an act
    /// whose syncs are best effort by design (an undo after the call already failed).
    pub faults: bool,
    pub setup: fn(&Rig) -> Scene,
    /// The operation; `Ok` carries the sessions it returned.
    pub act: fn(&Rig, &Scene) -> Result<Vec<Session>, String>,
    /// What a boot may show: `done` is the act's result when it returned success.
    pub expect: fn(&Scene, Option<&[Session]>) -> Expect,
}

/// What a setup made: sessions (as returned) and explicit directories.
#[derive(Default)]
pub struct Scene {
    pub sessions: Vec<Session>,
    pub dirs: Vec<PathBuf>,
    /// Other files the setup made (a stranded temporary record).
    pub files: Vec<PathBuf>,
    /// The store's root (filled in by the runner).
    pub root: PathBuf,
}

impl Scene {
    /// The root's entry of `s`.
    pub fn entry(&self, s: &Session) -> PathBuf {
        self.root.join(s.id.as_str())
    }
}

/// Whether the scenario or test `name` is selected by `OUTRIG_POWERCUT_ONLY` (a part of the
/// name, or `=` and the whole name; unset selects everything): `make mutants` runs one
/// scenario at a time.
pub fn selected(name: &str) -> bool {
    std::env::var("OUTRIG_POWERCUT_ONLY").map_or(true, |only| match only.strip_prefix('=') {
        Some(exact) => name == exact,
        None => name.contains(only.as_str()),
    })
}

/// Cuts the power after every step of `sc` in turn (step 0, before its first change, through
/// its last, after which it returned), boots up to `limit` of the states each cut may leave,
/// and checks each one.
pub fn run(rig: &Rig, sc: &Scenario, limit: u64, rng: &mut Rng) -> Tally {
    let mut tally = Tally::default();
    rig.fresh(sc.without_root);
    let mut scene = (sc.setup)(rig);
    scene.root = rig.store.root().to_path_buf();
    rig.fs.sync_everything();
    let base = rig.fs.crash();

    rig.fs.boot(&base, 0);
    if let Err(e) = (sc.act)(rig, &scene) {
        panic!(
            "{}: the operation fails even with the power on: {e}",
            sc.name
        );
    }
    let steps = rig.fs.steps();
    assert!(steps > 0, "{}: the operation changed nothing", sc.name);
    let step_log = rig.fs.step_log();

    for k in 0..=steps {
        rig.fs.boot(&base, 0);
        rig.fs.cut_after((k < steps).then_some(k));
        // A call that returns success after the power went out must still have made all it
        // reported durable first: its result is checked like any other success.
        let done = (sc.act)(rig, &scene).ok();
        let cut_log = rig.fs.step_log();
        let crash = rig.fs.crash();
        tally.cuts += 1;
        tally.sampled += u64::from(crash.outcomes() > limit);
        let want = (sc.expect)(&scene, done.as_deref());
        for outcome in outcomes(&crash, limit, rng) {
            rig.fs.boot(&crash, outcome);
            let context = format!(
                "{}: cut after step {k} of {steps}, {}; boot: {}",
                sc.name,
                if done.is_some() {
                    "it returned success"
                } else {
                    "it failed"
                },
                crash.describe(outcome)
            );
            let (violations, leftovers) = check(&rig.store, &want, &context);
            tally.states += 1;
            tally.leftovers += leftovers;
            if !violations.is_empty() && tally.failures() == 0 {
                eprintln!(
                    "{}: its steps with the power on: {}\n  and in the failing cut: {}",
                    sc.name,
                    step_log.join("; "),
                    cut_log.join("; ")
                );
            }
            violations.into_iter().for_each(|v| tally.record(v));
        }
    }
    tally
}

/// Makes each sync of `sc` in turn fail once while the power stays on (a disk reporting a
/// write error). The operation must report the failure; the next operations, the power still
/// on, must find a sound store (the old record, or for a sync after the rename the new one;
/// never a torn one); and cutting the power after every step from the failed sync on (the
/// operation's undo included) must leave one too, up to `limit` states booted per cut.
pub fn run_faults(rig: &Rig, sc: &Scenario, limit: u64, rng: &mut Rng) -> Tally {
    let mut tally = Tally::default();
    rig.fresh(sc.without_root);
    let mut scene = (sc.setup)(rig);
    scene.root = rig.store.root().to_path_buf();
    rig.fs.sync_everything();
    let base = rig.fs.crash();

    rig.fs.boot(&base, 0);
    if let Err(e) = (sc.act)(rig, &scene) {
        panic!(
            "{}: the operation fails even with the power on: {e}",
            sc.name
        );
    }
    let syncs = rig.fs.syncs();
    for n in 0..syncs {
        let what = format!("{}: sync {} of {syncs} fails", sc.name, n + 1);
        rig.fs.boot(&base, 0);
        rig.fs.fail_sync(Some(n));
        let result = (sc.act)(rig, &scene);
        let Some(failed_at) = rig.fs.failed_sync_step() else {
            panic!("{what}: the operation took another path and never reached that sync");
        };
        let steps = rig.fs.steps();
        if result.is_ok() {
            tally.record(Violation {
                kind: Kind::Swallowed,
                what: format!("{what}: the operation returned success (sync at step {failed_at})"),
            });
        }
        let want = (sc.expect)(&scene, None);
        let (violations, leftovers) = check(
            &rig.store,
            &want,
            &format!("{what}; checked with the power still on"),
        );
        tally.states += 1;
        tally.leftovers += leftovers;
        violations.into_iter().for_each(|v| tally.record(v));

        for k in failed_at..=steps {
            rig.fs.boot(&base, 0);
            rig.fs.fail_sync(Some(n));
            rig.fs.cut_after((k < steps).then_some(k));
            let done = (sc.act)(rig, &scene).ok();
            let crash = rig.fs.crash();
            tally.cuts += 1;
            tally.sampled += u64::from(crash.outcomes() > limit);
            let want = (sc.expect)(&scene, done.as_deref());
            for outcome in outcomes(&crash, limit, rng) {
                rig.fs.boot(&crash, outcome);
                let context = format!(
                    "{what} at step {failed_at}, cut after step {k} of {steps}; boot: {}",
                    crash.describe(outcome)
                );
                let (violations, leftovers) = check(&rig.store, &want, &context);
                tally.states += 1;
                tally.leftovers += leftovers;
                violations.into_iter().for_each(|v| tally.record(v));
            }
        }
    }
    tally
}

/// A start time far from now, so records are the same whenever the test runs.
pub fn started() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_780_000_000)
}

pub fn ended() -> SystemTime {
    started() + Duration::from_secs(3_725)
}

pub fn spec(tag: &str) -> NewSession {
    NewSession::new(
        format!("pc-{tag}"),
        "localhost/outrig-coding:d8aa33",
        "/home/me/repo",
    )
    .agent_name("coder")
    .image_config_name("coding")
    .started_at(started())
}

fn create(rig: &Rig, new: &NewSession) -> Session {
    // The launcher is gone by the time the operation under test runs: no lease held.
    rig.store.create(new).expect("setup: create").into_session()
}

fn explicit(rig: &Rig, name: &str) -> PathBuf {
    let dir = rig.explicit_dir(name);
    fs::create_dir(&dir).expect("setup: make explicit dir");
    dir
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// The record `s` would become by `finalize(ended(), 7)`.
pub fn finalized(s: &Session) -> Session {
    let mut s = s.clone();
    s.ended_at = Some(ended());
    s.exit_code = Some(7);
    s
}

const SIDECARS: [&str; 2] = ["pc-db", "pc-cache"];

fn with_sidecars(s: &Session) -> Session {
    let mut s = s.clone();
    s.sidecar_container_names = SIDECARS.iter().map(|n| n.to_string()).collect();
    s
}

/// A session created through the API: there exactly, or (cut short) absent or matching `tag`.
fn expect_created(tag: &str, dir: Option<PathBuf>, done: Option<&[Session]>) -> Expect {
    let mut want = Expect::default();
    match done {
        Some(made) => want.exactly(&made[0]),
        None => want.maybe_new.push(Spec {
            container_name: format!("pc-{tag}"),
            session_dir: dir.clone(),
        }),
    }
    want.explicit_dirs.extend(dir);
    want
}

/// An update of `old` to `new`: reported done means `new`; cut short means either.
fn expect_update(old: &Session, new: Session, done: Option<&[Session]>) -> Expect {
    let mut want = Expect::default();
    match done {
        Some(returned) => want.exactly(&returned[0]),
        None => want.one_of(&old.id, vec![Some(old.clone()), Some(new)]),
    }
    want
}

/// A removal of `old` (whose directory holds only the store's files): reported done means
/// gone for good: its directory holds no record again, and neither the root's entry nor the
/// directory comes back at all. Cut short means whole or gone.
fn expect_removed(scene: &Scene, old: &Session, done: bool) -> Expect {
    let mut want = Expect::default();
    if done {
        want.emptied.push(old.clone());
        want.absent.push(scene.entry(old));
        want.absent.push(old.session_dir.clone());
    }
    let states = if done {
        vec![None]
    } else {
        vec![Some(old.clone()), None]
    };
    want.one_of(&old.id, states);
    want
}

/// A session with a log and a launcher script, as `remove` finds real ones.
fn lived_in(rig: &Rig, new: &NewSession) -> Session {
    let s = create(rig, new);
    let log = rig
        .store
        .log_path(&s.id, "agent.log")
        .expect("setup: log path");
    fs::write(log, b"hello from the agent\n").expect("setup: write log");
    fs::write(s.session_dir.join(outrig::ENTER_SCRIPT), b"#!/bin/sh\n").expect("setup: script");
    s
}

/// The operations that pass under the model: `make test` asserts them clean.
pub fn all() -> Vec<Scenario> {
    vec![
        Scenario {
            name: "create (auto)",
            without_root: false,
            faults: true,
            setup: |_| Scene::default(),
            act: |rig, _| {
                rig.store
                    .create(&spec("auto"))
                    .map(|s| vec![s.into_session()])
                    .map_err(err)
            },
            expect: |_, done| expect_created("auto", None, done),
        },
        Scenario {
            name: "create (explicit, empty directory)",
            without_root: false,
            faults: true,
            setup: |rig| Scene {
                dirs: vec![explicit(rig, "e")],
                ..Scene::default()
            },
            act: |rig, scene| {
                let new = spec("explicit").session_dir(&scene.dirs[0]);
                rig.store
                    .create(&new)
                    .map(|s| vec![s.into_session()])
                    .map_err(err)
            },
            expect: |scene, done| expect_created("explicit", Some(scene.dirs[0].clone()), done),
        },
        Scenario {
            name: "finalize (auto)",
            without_root: false,
            faults: true,
            setup: |rig| Scene {
                sessions: vec![create(rig, &spec("fin"))],
                ..Scene::default()
            },
            act: |rig, scene| {
                let s = &scene.sessions[0];
                rig.store
                    .finalize(&s.id, ended(), 7)
                    .map(|s| vec![s])
                    .map_err(err)
            },
            expect: |scene, done| {
                let old = &scene.sessions[0];
                expect_update(old, finalized(old), done)
            },
        },
        Scenario {
            name: "finalize (explicit)",
            without_root: false,
            faults: true,
            setup: |rig| {
                let dir = explicit(rig, "e");
                Scene {
                    sessions: vec![create(rig, &spec("fin-x").session_dir(&dir))],
                    dirs: vec![dir],
                    ..Scene::default()
                }
            },
            act: |rig, scene| {
                let s = &scene.sessions[0];
                rig.store
                    .finalize(&s.id, ended(), 7)
                    .map(|s| vec![s])
                    .map_err(err)
            },
            expect: |scene, done| {
                let old = &scene.sessions[0];
                let mut want = expect_update(old, finalized(old), done);
                want.explicit_dirs = scene.dirs.clone();
                want
            },
        },
        Scenario {
            name: "set_sidecar_containers (explicit)",
            without_root: false,
            faults: true,
            setup: |rig| {
                let dir = explicit(rig, "e");
                Scene {
                    sessions: vec![create(rig, &spec("side").session_dir(&dir))],
                    dirs: vec![dir],
                    ..Scene::default()
                }
            },
            act: |rig, scene| {
                let s = &scene.sessions[0];
                let set = rig.store.set_sidecar_containers(&s.id, &SIDECARS);
                set.map(|s| vec![s]).map_err(err)
            },
            expect: |scene, done| {
                let old = &scene.sessions[0];
                let mut want = expect_update(old, with_sidecars(old), done);
                want.explicit_dirs = scene.dirs.clone();
                want
            },
        },
        Scenario {
            name: "remove (auto, with logs and launcher script)",
            without_root: false,
            faults: true,
            setup: |rig| Scene {
                sessions: vec![lived_in(rig, &spec("rm"))],
                ..Scene::default()
            },
            act: |rig, scene| {
                rig.store
                    .remove(&scene.sessions[0].id)
                    .map(|_| vec![])
                    .map_err(err)
            },
            expect: |scene, done| expect_removed(scene, &scene.sessions[0], done.is_some()),
        },
        Scenario {
            name: "remove (explicit, with logs and launcher script)",
            without_root: false,
            faults: true,
            setup: |rig| {
                let dir = explicit(rig, "e");
                Scene {
                    sessions: vec![lived_in(rig, &spec("rm-x").session_dir(&dir))],
                    dirs: vec![dir],
                    ..Scene::default()
                }
            },
            act: |rig, scene| {
                rig.store
                    .remove(&scene.sessions[0].id)
                    .map(|_| vec![])
                    .map_err(err)
            },
            expect: |scene, done| {
                let mut want = expect_removed(scene, &scene.sessions[0], done.is_some());
                want.explicit_dirs = scene.dirs.clone();
                want
            },
        },
        Scenario {
            name: "remove_by_path (explicit)",
            without_root: false,
            faults: true,
            setup: |rig| {
                let dir = explicit(rig, "e");
                Scene {
                    sessions: vec![lived_in(rig, &spec("rm-p").session_dir(&dir))],
                    dirs: vec![dir],
                    ..Scene::default()
                }
            },
            act: |rig, scene| {
                let removed = rig.store.remove_by_path(&scene.dirs[0]);
                removed.map(|_| vec![]).map_err(err)
            },
            expect: |scene, done| {
                let mut want = expect_removed(scene, &scene.sessions[0], done.is_some());
                want.explicit_dirs = scene.dirs.clone();
                want
            },
        },
        Scenario {
            // The directory stays for the user's file: only the record's unlink (synced in
            // the directory itself) keeps the session from coming back.
            name: "remove (auto) of a directory holding a user's file",
            without_root: false,
            faults: true,
            setup: |rig| {
                let s = lived_in(rig, &spec("rm-kept"));
                fs::write(s.session_dir.join(USER_FILE), b"mine\n").expect("setup: user file");
                Scene {
                    sessions: vec![s],
                    ..Scene::default()
                }
            },
            act: |rig, scene| {
                let removed = rig.store.remove(&scene.sessions[0].id).map_err(err)?;
                if removed.kept != [USER_FILE] {
                    return Err(format!("kept {:?}, not the user's file", removed.kept));
                }
                Ok(vec![])
            },
            expect: |scene, done| {
                let old = &scene.sessions[0];
                let mut want = Expect {
                    kept: vec![USER_FILE.to_owned()],
                    ..Expect::default()
                };
                if done.is_some() {
                    want.emptied.push(old.clone());
                }
                want.one_of(
                    &old.id,
                    if done.is_some() {
                        vec![None]
                    } else {
                        vec![Some(old.clone()), None]
                    },
                );
                want
            },
        },
        Scenario {
            name: "remove_by_path (auto, with logs and launcher script)",
            without_root: false,
            faults: true,
            setup: |rig| Scene {
                sessions: vec![lived_in(rig, &spec("rm-pa"))],
                ..Scene::default()
            },
            act: |rig, scene| {
                let removed = rig.store.remove_by_path(&scene.sessions[0].session_dir);
                removed.map(|_| vec![]).map_err(err)
            },
            expect: |scene, done| expect_removed(scene, &scene.sessions[0], done.is_some()),
        },
        Scenario {
            // The root's link leads to a directory without the session's record, holding only
            // the temporary record of a create cut short: removal by id deletes that
            // (clear_foreign), keeps the directory, and removes the link.
            name: "remove (explicit) of a link to a directory holding a stranded temporary record",
            without_root: false,
            faults: true,
            setup: |rig| {
                let dir = explicit(rig, "e");
                let s = create(rig, &spec("foreign").session_dir(&dir));
                let temp = dir.join(".session.json.00000000cafef00d.tmp");
                fs::write(&temp, &s.to_json().expect("setup: json")[..40]).expect("setup: temp");
                fs::remove_file(dir.join("session.json")).expect("setup: unrecord");
                Scene {
                    sessions: vec![s],
                    dirs: vec![dir],
                    files: vec![temp],
                    ..Scene::default()
                }
            },
            act: |rig, scene| {
                let removed = rig.store.remove(&scene.sessions[0].id).map_err(err)?;
                if !removed.session_dir.is_dir() {
                    return Err("the directory was not the session's; it must be kept".into());
                }
                Ok(vec![])
            },
            expect: |scene, done| {
                let mut want = Expect {
                    explicit_dirs: scene.dirs.clone(),
                    ..Expect::default()
                };
                if done.is_some() {
                    want.absent.push(scene.entry(&scene.sessions[0]));
                    want.deleted.extend(scene.files.iter().cloned());
                }
                want
            },
        },
        Scenario {
            // A log writer racing a removal: the removal unlinks the record right after the
            // writer made its log file (lossyfs does that unlink for the racing process), the
            // writer finds the record gone and undoes its work, the emptied session directory
            // with it; then the removal finds nothing left to do.
            name: "append_log undoing its work when a removal raced it",
            without_root: false,
            // The writer already reports "no such session"; its undo's syncs are best effort.
            faults: false,
            setup: |rig| Scene {
                sessions: vec![create(rig, &spec("undo-log"))],
                ..Scene::default()
            },
            act: |rig, scene| {
                let s = &scene.sessions[0];
                rig.fs
                    .unlink_when_made("agent.log", &s.session_dir.join("session.json"));
                match rig.store.append_log(&s.id, "agent.log") {
                    Err(e) if e.kind() == ErrorKind::NotFound => {}
                    Err(e) => return Err(err(e)),
                    Ok(_) => return Err("append_log kept a log of a removed session".into()),
                }
                match rig.store.remove(&s.id) {
                    Ok(_) => Ok(vec![]),
                    Err(e) if e.kind() == ErrorKind::NotFound => Ok(vec![]),
                    Err(e) => Err(err(e)),
                }
            },
            expect: |scene, done| expect_removed(scene, &scene.sessions[0], done.is_some()),
        },
        Scenario {
            name: "clean (two finished, one running)",
            without_root: false,
            faults: true,
            setup: |rig| {
                let dir = explicit(rig, "e");
                let a = create(rig, &spec("old-a"));
                let b = create(rig, &spec("old-b").session_dir(&dir));
                let c = create(rig, &spec("running"));
                let a = rig
                    .store
                    .finalize(&a.id, ended(), 0)
                    .expect("setup: finalize");
                let b = rig
                    .store
                    .finalize(&b.id, ended(), 1)
                    .expect("setup: finalize");
                Scene {
                    sessions: vec![a, b, c],
                    dirs: vec![dir],
                    ..Scene::default()
                }
            },
            act: |rig, _| {
                // A clean reports the removals that failed instead of stopping at the first:
                // for the harness, any of them means the operation did not succeed.
                // "running": its container runs, as the probe tells (no engine is asked).
                let done = rig
                    .store
                    .clone()
                    .with_container_probe(ContainerProbe::custom(|names| {
                        Some(
                            names
                                .iter()
                                .filter(|n| *n == "pc-running")
                                .cloned()
                                .collect(),
                        )
                    }))
                    .clean(SystemTime::now(), CleanMode::Remove)
                    .map_err(err)?;
                match done.failed.first() {
                    Some(f) => Err(f.message.clone()),
                    None => Ok(done.removed),
                }
            },
            expect: |scene, done| {
                let [a, b, c] = &scene.sessions[..] else {
                    unreachable!("three sessions")
                };
                let mut want = Expect::default();
                for old in [a, b] {
                    let removed = expect_removed(scene, old, done.is_some());
                    want.sessions.extend(removed.sessions);
                    want.emptied.extend(removed.emptied);
                    want.absent.extend(removed.absent);
                }
                want.exactly(c);
                want.explicit_dirs = scene.dirs.clone();
                want
            },
        },
        Scenario {
            name: "log append (log_path, append, fsync)",
            without_root: false,
            faults: true,
            setup: |rig| {
                let s = create(rig, &spec("log"));
                let log = rig
                    .store
                    .log_path(&s.id, "agent.log")
                    .expect("setup: log path");
                fs::write(log, LOG_1).expect("setup: write log");
                Scene {
                    sessions: vec![s],
                    ..Scene::default()
                }
            },
            act: |rig, scene| {
                let log = rig
                    .store
                    .log_path(&scene.sessions[0].id, "agent.log")
                    .map_err(err)?;
                append_synced(&log, LOG_2)?;
                Ok(vec![])
            },
            expect: |scene, done| {
                let s = &scene.sessions[0];
                let mut want = Expect::default();
                want.exactly(s);
                let written = [LOG_1, LOG_2].concat();
                want.logs.push(LogWant {
                    id: s.id.clone(),
                    name: "agent.log".to_owned(),
                    durable: if done.is_some() {
                        written.clone()
                    } else {
                        LOG_1.to_vec()
                    },
                    written,
                });
                want
            },
        },
        Scenario {
            // Through the API's open file: append_log makes and syncs logs/ and the file's
            // entry, so a launcher that fsyncs the file alone keeps its first line.
            name: "first log line (append_log, write, fsync the file)",
            without_root: false,
            faults: true,
            setup: |rig| Scene {
                sessions: vec![create(rig, &spec("log"))],
                ..Scene::default()
            },
            act: |rig, scene| {
                let mut f = rig
                    .store
                    .append_log(&scene.sessions[0].id, "agent.log")
                    .map_err(err)?;
                f.write_all(LOG_1).map_err(err)?;
                f.sync_all().map_err(err)?;
                Ok(vec![])
            },
            expect: |scene, done| {
                let s = &scene.sessions[0];
                let mut want = Expect::default();
                want.exactly(s);
                want.logs.push(LogWant {
                    id: s.id.clone(),
                    name: "agent.log".to_owned(),
                    durable: if done.is_some() {
                        LOG_1.to_vec()
                    } else {
                        vec![]
                    },
                    written: LOG_1.to_vec(),
                });
                want
            },
        },
    ]
}

/// A file of the user's in a session directory, which removal keeps.
const USER_FILE: &str = "notes.txt";

const LOG_1: &[u8] = b"line 1 from the agent\n";
const LOG_2: &[u8] = b"line 2 from the agent\n";

/// What a careful launcher does with a log line: open for append (creating), write, fsync.
fn append_synced(path: &std::path::Path, bytes: &[u8]) -> Result<(), String> {
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(err)?;
    f.write_all(bytes).map_err(err)?;
    f.sync_all().map_err(err)
}

/// The durability gaps the harness found in the library, now closed (see RELIABILITY.md,
/// "Power loss"): each asserts the right behavior, and failed before the fix.
pub fn former_gaps() -> Vec<Scenario> {
    vec![
        Scenario {
            // `create` makes the root with create_dir_all and never fsyncs the root's parent,
            // so the new root (and the session in it) can vanish after create returned.
            name: "create (auto) that makes the root",
            without_root: true,
            faults: true,
            setup: |_| Scene::default(),
            act: |rig, _| {
                rig.store
                    .create(&spec("auto"))
                    .map(|s| vec![s.into_session()])
                    .map_err(err)
            },
            expect: |_, done| expect_created("auto", None, done),
        },
        Scenario {
            // An explicit directory that create makes (with parents) is never made durable in
            // its parent: the root's link survives, the directory and its record do not.
            name: "create (explicit) that makes the directory",
            without_root: false,
            faults: true,
            setup: |rig| Scene {
                dirs: vec![rig.explicit_dir("new/e")],
                ..Scene::default()
            },
            act: |rig, scene| {
                let new = spec("explicit").session_dir(&scene.dirs[0]);
                rig.store
                    .create(&new)
                    .map(|s| vec![s.into_session()])
                    .map_err(err)
            },
            expect: |scene, done| expect_created("explicit", Some(scene.dirs[0].clone()), done),
        },
        // The third gap (removing an explicit session left its directory to come back holding
        // session.json) is held closed by every removal scenario of `all`, which all require
        // the directory and the root's entry to stay gone.
        Scenario {
            // log_path makes logs/ and never fsyncs the session directory; a caller that
            // fsyncs its new log and logs/ (all it can reach) still loses the log.
            name: "first log line (log_path, create, fsync file and logs/)",
            without_root: false,
            faults: true,
            setup: |rig| Scene {
                sessions: vec![create(rig, &spec("log"))],
                ..Scene::default()
            },
            act: |rig, scene| {
                let log = rig
                    .store
                    .log_path(&scene.sessions[0].id, "agent.log")
                    .map_err(err)?;
                append_synced(&log, LOG_1)?;
                let logs = log.parent().expect("logs/");
                fs::File::open(logs)
                    .and_then(|d| d.sync_all())
                    .map_err(err)?;
                Ok(vec![])
            },
            expect: |scene, done| {
                let s = &scene.sessions[0];
                let mut want = Expect::default();
                want.exactly(s);
                want.logs.push(LogWant {
                    id: s.id.clone(),
                    name: "agent.log".to_owned(),
                    durable: if done.is_some() {
                        LOG_1.to_vec()
                    } else {
                        vec![]
                    },
                    written: LOG_1.to_vec(),
                });
                want
            },
        },
    ]
}
