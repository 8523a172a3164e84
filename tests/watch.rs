//! Waiting and watching across processes: `wait` returns for a session another process
//! finalizes (with its code), abandons (killed with SIGKILL) or removes, times out for one that
//! runs on, and returns at once for one that already ended; a watcher sees every create,
//! finalize and remove of a storm of 8 processes exactly once per session, in order, also
//! after the kernel's queue overflowed while it was not read.
//!
//! The other processes are this test binary run again for one `#[ignore]`d worker test,
//! steered by `OUTRIG_WATCH_*` variables.

mod common;

use std::collections::HashMap;
use std::io::{BufRead as _, BufReader, Write as _};
use std::os::fd::AsFd as _;
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::spec;
use outrig::{
    ContainerProbe, Event, EventKind, SessionId, SessionStore, WaitOutcome, WatchSource, Watcher,
};

const LONG: Duration = Duration::from_secs(30);

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set"))
}

/// A store whose container probe says nothing runs (no containers run in these tests).
fn store() -> (tempfile::TempDir, SessionStore) {
    let (tmp, store) = common::store();
    (tmp, quiet(store))
}

fn quiet(store: SessionStore) -> SessionStore {
    store.with_container_probe(ContainerProbe::custom(|_| Some(Vec::new())))
}

/// Worker. `OUTRIG_WATCH_MODE` is `launcher` (creates one session, prints `READY <id>`, then
/// obeys lines on its input: `finalize N`, `sidecar`, `remove`, `exit`) or `storm` (creates and
/// finalizes `OUTRIG_WATCH_COUNT` sessions, printing `ID <id>` for each, then `READY x`; on the
/// line `remove` removes them all and prints `DONE x`).
#[test]
#[ignore = "run by the other tests in a child process"]
fn worker() {
    // Run with the ignored tests but not as a worker (no variables): nothing to do.
    if std::env::var_os("OUTRIG_WATCH_MODE").is_none() {
        return;
    }
    let store = SessionStore::new(env("OUTRIG_WATCH_ROOT")).unwrap();
    let mut out = std::io::stdout();
    let mut lines = std::io::stdin().lines();
    match env("OUTRIG_WATCH_MODE").as_str() {
        "launcher" => {
            let mut live = store.create(&spec("launched")).unwrap();
            writeln!(out, "READY {}", live.id).unwrap();
            out.flush().unwrap();
            while let Some(Ok(line)) = lines.next() {
                let words: Vec<&str> = line.split_whitespace().collect();
                match words.as_slice() {
                    ["finalize", code] => {
                        live.finalize_now(code.parse().unwrap()).unwrap();
                    }
                    ["sidecar"] => {
                        live.set_sidecar_containers(&["side-1"]).unwrap();
                    }
                    ["remove"] => {
                        store.remove(&live.id).unwrap();
                    }
                    ["exit"] => return,
                    other => panic!("unknown command {other:?}"),
                }
                writeln!(out, "OK").unwrap();
                out.flush().unwrap();
            }
        }
        "storm" => {
            let count: usize = env("OUTRIG_WATCH_COUNT").parse().unwrap();
            let mut ids = Vec::new();
            for i in 0..count {
                let mut live = store.create(&spec(&format!("storm-{i}"))).unwrap();
                let code = i32::try_from(i % 256).unwrap();
                live.finalize_now(code).unwrap();
                writeln!(out, "ID {}", live.id).unwrap();
                ids.push(live.id.clone());
            }
            writeln!(out, "READY x").unwrap();
            out.flush().unwrap();
            if let Some(Ok(line)) = lines.next() {
                assert_eq!(line, "remove");
                for id in &ids {
                    store.remove(id).unwrap();
                }
                writeln!(out, "DONE x").unwrap();
                out.flush().unwrap();
            }
        }
        other => panic!("unknown mode {other}"),
    }
}

/// A worker process, its input, and the lines it prints.
struct Worker {
    child: Child,
    input: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
}

impl Worker {
    fn start(root: &Path, mode: &str, count: usize) -> Worker {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "worker",
                "--exact",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("OUTRIG_WATCH_ROOT", root)
            .env("OUTRIG_WATCH_MODE", mode)
            .env("OUTRIG_WATCH_COUNT", count.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Worker {
            input: child.stdin.take(),
            child,
            lines: rx,
        }
    }

    /// Every line up to the one that holds `word`; returns the word after it and the lines.
    fn until(&self, word: &str) -> (String, Vec<String>) {
        let mut before = Vec::new();
        loop {
            let line = self
                .lines
                .recv_timeout(LONG)
                .unwrap_or_else(|_| panic!("the worker never printed {word}"));
            // libtest may print "test worker ... " on the same line first.
            if let Some((_, rest)) = line.split_once(word) {
                return (rest.trim().to_owned(), before);
            }
            before.push(line);
        }
    }

    fn send(&mut self, line: &str) {
        let input = self.input.as_mut().unwrap();
        writeln!(input, "{line}").unwrap();
        input.flush().unwrap();
    }

    fn launcher(root: &Path) -> (Worker, SessionId) {
        let w = Worker::start(root, "launcher", 0);
        let id = w.until("READY ").0;
        (w, SessionId::parse(&id).unwrap())
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        drop(self.input.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits for session `id` in a thread; the result comes through the receiver.
fn wait_in_thread(
    store: &SessionStore,
    id: &SessionId,
    timeout: Option<Duration>,
) -> mpsc::Receiver<outrig::Result<WaitOutcome>> {
    // The waiter is made here, so it knows the session before the test changes it.
    let mut waiter = store.waiter(id).unwrap();
    assert_eq!(waiter.outcome(), None, "the session runs");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(waiter.wait(timeout));
    });
    rx
}

#[test]
fn wait_returns_the_exit_code_another_process_finalized_with() {
    let (_tmp, store) = store();
    let (mut launcher, id) = Worker::launcher(store.root());
    let result = wait_in_thread(&store, &id, Some(LONG));
    launcher.send("sidecar");
    launcher.until("OK");
    assert!(
        result.recv_timeout(Duration::from_millis(300)).is_err(),
        "an update does not end the wait"
    );
    launcher.send("finalize 7");
    let outcome = result.recv_timeout(LONG).unwrap().unwrap();
    assert_eq!(outcome.exit_code(), Some(7), "{outcome:?}");
    assert_eq!(outcome.state(), Some(outrig::State::Finished));
    assert_eq!(
        outcome.session().unwrap().sidecar_container_names,
        ["side-1"]
    );
    // Already ended: at once, the same answer.
    let again = store.wait(&id, Some(Duration::ZERO)).unwrap();
    assert_eq!(again.exit_code(), Some(7));
}

#[test]
fn wait_sees_a_launcher_killed_with_sigkill_as_abandoned() {
    let (_tmp, store) = store();
    let (mut launcher, id) = Worker::launcher(store.root());
    let result = wait_in_thread(&store, &id, Some(LONG));
    launcher.child.kill().unwrap(); // SIGKILL
    launcher.child.wait().unwrap();
    match result.recv_timeout(LONG).unwrap().unwrap() {
        WaitOutcome::Abandoned(s) => {
            assert_eq!(s.id, id);
            assert_eq!(s.exit_code, None);
        }
        other => panic!("expected abandoned, got {other:?}"),
    }
    assert!(matches!(
        store.wait(&id, None).unwrap(),
        WaitOutcome::Abandoned(_)
    ));
}

#[test]
fn wait_sees_a_removal_by_another_process() {
    let (_tmp, store) = store();
    let (mut launcher, id) = Worker::launcher(store.root());
    let result = wait_in_thread(&store, &id, Some(LONG));
    launcher.send("remove");
    assert_eq!(
        result.recv_timeout(LONG).unwrap().unwrap(),
        WaitOutcome::Removed
    );
    assert_eq!(store.wait(&id, None).unwrap(), WaitOutcome::Removed);
    let never = SessionId::parse("20200101T000000-0000").unwrap();
    assert_eq!(store.wait(&never, None).unwrap(), WaitOutcome::Removed);
}

#[test]
fn wait_times_out_while_the_session_runs_and_can_be_resumed() {
    let (_tmp, store) = store();
    let (mut launcher, id) = Worker::launcher(store.root());
    let started = Instant::now();
    let outcome = store.wait(&id, Some(Duration::from_millis(300))).unwrap();
    assert_eq!(outcome, WaitOutcome::TimedOut);
    assert!(started.elapsed() >= Duration::from_millis(300));
    let mut waiter = store.waiter(&id).unwrap();
    assert_eq!(
        waiter.wait(Some(Duration::from_millis(50))).unwrap(),
        WaitOutcome::TimedOut
    );
    launcher.send("finalize 3");
    assert_eq!(waiter.wait(Some(LONG)).unwrap().exit_code(), Some(3));
}

#[test]
fn an_unknown_state_is_not_an_end() {
    // No container probe: a session nobody leases is Unknown, never Abandoned.
    let (_tmp, store) = common::store();
    let store = store.with_container_probe(ContainerProbe::none());
    let (mut launcher, id) = Worker::launcher(store.root());
    let mut waiter = store.waiter(&id).unwrap();
    launcher.child.kill().unwrap();
    launcher.child.wait().unwrap();
    assert_eq!(
        waiter.wait(Some(Duration::from_millis(500))).unwrap(),
        WaitOutcome::TimedOut
    );
    assert_eq!(store.state(&id).unwrap(), outrig::State::Unknown);
}

/// Collects events until `done` says so (or panics after [`LONG`]).
fn collect(watcher: &mut Watcher, mut done: impl FnMut(&[Event]) -> bool) -> Vec<Event> {
    let deadline = Instant::now() + LONG;
    let mut events = Vec::new();
    while !done(&events) {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(
            !left.is_zero(),
            "events so far ({}): {:?}",
            events.len(),
            kinds(&events)
        );
        if let Some(e) = watcher.next_timeout(Some(left)).unwrap() {
            events.push(e);
        }
    }
    events
}

fn kinds(events: &[Event]) -> Vec<(String, &'static str)> {
    events
        .iter()
        .map(|e| (e.id.to_string(), e.kind.as_str()))
        .collect()
}

fn count(events: &[Event], kind: EventKind) -> usize {
    events.iter().filter(|e| e.kind == kind).count()
}

#[test]
fn a_watcher_sees_a_launcher_create_update_finalize_and_its_abandon() {
    let (_tmp, store) = store();
    std::fs::create_dir_all(store.root()).unwrap();
    let mut watcher = store.watch().unwrap();
    assert_eq!(watcher.source(), WatchSource::Notify);
    assert_eq!(watcher.watch_count(), 1, "{}", watcher.description());
    let (mut one, id) = Worker::launcher(store.root());
    // One change at a time: a watcher reads the record as it is when it looks.
    let mut events = collect(&mut watcher, |e| !e.is_empty());
    one.send("sidecar");
    events.extend(collect(&mut watcher, |e| !e.is_empty()));
    one.send("finalize 4");
    events.extend(collect(&mut watcher, |e| !e.is_empty()));
    let seen: Vec<_> = events.iter().map(|e| e.kind).collect();
    assert_eq!(
        seen,
        [EventKind::Created, EventKind::Updated, EventKind::Finalized]
    );
    assert!(events.iter().all(|e| e.id == id));
    assert_eq!(events[2].session.as_ref().unwrap().exit_code, Some(4));
    assert_eq!(
        watcher.watch_count(),
        1,
        "a finalized session costs no watch"
    );

    let (mut two, id2) = Worker::launcher(store.root());
    let events = collect(&mut watcher, |e| !e.is_empty());
    assert_eq!(kinds(&events), [(id2.to_string(), "created")]);
    assert_eq!(watcher.watch_count(), 2);
    two.child.kill().unwrap();
    two.child.wait().unwrap();
    let events = collect(&mut watcher, |e| !e.is_empty());
    assert_eq!(kinds(&events), [(id2.to_string(), "abandoned")]);
    assert_eq!(events[0].session.as_ref().unwrap().id, id2);

    // The abandoned session is removed by another process: one event, no record.
    let other = SessionStore::new(store.root()).unwrap();
    other.remove(&id2).unwrap();
    let events = collect(&mut watcher, |e| !e.is_empty());
    assert_eq!(kinds(&events), [(id2.to_string(), "removed")]);
    assert_eq!(events[0].session, None);
    assert_eq!(watcher.try_next().unwrap(), None, "nothing else happened");
    drop(one);
}

#[test]
fn the_watchers_descriptor_is_readable_when_an_event_is_due() {
    use rustix::event::{PollFd, PollFlags, poll};
    let (_tmp, store) = store();
    std::fs::create_dir_all(store.root()).unwrap();
    let mut watcher = store.watch().unwrap();
    let ready = |w: &Watcher, ms: i32| {
        let mut fds = [PollFd::new(w, PollFlags::IN)];
        let timeout = rustix::event::Timespec {
            tv_sec: i64::from(ms / 1000),
            tv_nsec: i64::from(ms % 1000) * 1_000_000,
        };
        poll(&mut fds, Some(&timeout)).unwrap() == 1
    };
    assert!(!ready(&watcher, 100), "idle: not readable");
    let _ = watcher.as_fd();
    let (mut launcher, id) = Worker::launcher(store.root());
    assert!(ready(&watcher, 30_000), "a create makes it readable");
    let mut events = Vec::new();
    while events.is_empty() {
        assert!(ready(&watcher, 30_000));
        while let Some(e) = watcher.try_next().unwrap() {
            events.push(e);
        }
    }
    assert_eq!(kinds(&events), [(id.to_string(), "created")]);
    launcher.send("finalize 0");
    let events = collect(&mut watcher, |e| !e.is_empty());
    assert_eq!(kinds(&events), [(id.to_string(), "finalized")]);
}

/// Starts `procs` storm workers of `each` sessions and returns them once all are ready, with
/// the ids they made.
fn storm(root: &Path, procs: usize, each: usize) -> (Vec<Worker>, Vec<String>) {
    let workers: Vec<Worker> = (0..procs)
        .map(|_| Worker::start(root, "storm", each))
        .collect();
    let mut ids = Vec::new();
    for w in &workers {
        let (_, lines) = w.until("READY ");
        ids.extend(
            lines
                .iter()
                .filter_map(|l| l.split_once("ID ").map(|(_, id)| id.trim().to_owned())),
        );
    }
    assert_eq!(ids.len(), procs * each);
    (workers, ids)
}

/// Checks that each of `ids` had exactly the events `expected`, in that order, and nothing
/// else happened.
fn assert_exactly(events: &[Event], ids: &[String], expected: &[EventKind]) {
    let mut per: HashMap<&str, Vec<EventKind>> = HashMap::new();
    for e in events {
        per.entry(e.id.as_str()).or_default().push(e.kind);
    }
    assert_eq!(per.len(), ids.len(), "sessions seen");
    for id in ids {
        assert_eq!(
            per.get(id.as_str()).map(Vec::as_slice),
            Some(expected),
            "{id}"
        );
    }
}

fn finished(events: &[Event], n: usize) -> bool {
    count(events, EventKind::Finalized) >= n
}

#[test]
fn a_watcher_sees_every_change_of_a_storm_exactly_once() {
    const PROCS: usize = 8;
    const EACH: usize = 40;
    let (_tmp, store) = store();
    std::fs::create_dir_all(store.root()).unwrap();
    let mut watcher = store.watch().unwrap();
    let (mut workers, ids) = storm(store.root(), PROCS, EACH);
    let made = collect(&mut watcher, |e| finished(e, PROCS * EACH));
    assert_exactly(&made, &ids, &[EventKind::Created, EventKind::Finalized]);
    for (e, s) in made
        .iter()
        .zip(made.iter().map(|e| e.session.as_ref().unwrap()))
    {
        assert_eq!(&e.id, &s.id);
    }
    for w in &mut workers {
        w.send("remove");
    }
    let removed = collect(&mut watcher, |e| {
        count(e, EventKind::Removed) >= PROCS * EACH
    });
    assert_exactly(&removed, &ids, &[EventKind::Removed]);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(watcher.try_next().unwrap(), None, "nothing else happened");
    assert_eq!(watcher.watch_count(), 1);
}

/// Makes more notifications on the root than the kernel queues: a file a listing ignores
/// (its name starts with a dot) renamed to and fro, two notifications a rename.
fn flood(root: &Path) {
    let queued: usize = std::fs::read_to_string("/proc/sys/fs/inotify/max_queued_events")
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let (a, b) = (root.join(".flood-a"), root.join(".flood-b"));
    std::fs::write(&a, b"").unwrap();
    for _ in 0..queued / 4 + 100 {
        std::fs::rename(&a, &b).unwrap();
        std::fs::rename(&b, &a).unwrap();
    }
    std::fs::remove_file(&a).unwrap();
}

#[test]
fn a_watcher_that_was_not_read_while_its_queue_overflowed_misses_nothing() {
    const PROCS: usize = 8;
    const EACH: usize = 20;
    let (_tmp, store) = store();
    std::fs::create_dir_all(store.root()).unwrap();
    let mut watcher = store.watch().unwrap();
    // A session made before, finalized while nobody reads.
    let (mut launcher, early) = Worker::launcher(store.root());
    let first = collect(&mut watcher, |e| !e.is_empty());
    assert_eq!(kinds(&first), [(early.to_string(), "created")]);

    // Not read: the storm's changes and a flood overflow the queue.
    let (mut workers, ids) = storm(store.root(), PROCS, EACH);
    launcher.send("finalize 9");
    launcher.until("OK");
    flood(store.root());
    let made = collect(&mut watcher, |e| finished(e, PROCS * EACH + 1));
    assert!(watcher.overflows() >= 1, "the queue overflowed");
    let mut all = ids.clone();
    all.push(early.to_string());
    let (early_events, storm_events): (Vec<Event>, Vec<Event>) =
        made.into_iter().partition(|e| e.id == early);
    assert_eq!(kinds(&early_events), [(early.to_string(), "finalized")]);
    assert_eq!(early_events[0].session.as_ref().unwrap().exit_code, Some(9));
    assert_exactly(
        &storm_events,
        &ids,
        &[EventKind::Created, EventKind::Finalized],
    );

    // Removed while not read, with another overflow.
    let overflows = watcher.overflows();
    for w in &mut workers {
        w.send("remove");
    }
    for w in &workers {
        w.until("DONE ");
    }
    flood(store.root());
    let removed = collect(&mut watcher, |e| {
        count(e, EventKind::Removed) >= PROCS * EACH
    });
    assert!(
        watcher.overflows() > overflows,
        "the queue overflowed again"
    );
    assert_exactly(&removed, &ids, &[EventKind::Removed]);
    assert_eq!(watcher.try_next().unwrap(), None, "nothing else happened");
    drop(all);
}

#[test]
fn a_polling_watcher_sees_the_same_changes() {
    let (_tmp, store) = store();
    let mut watcher = store.watch_polling(Duration::from_millis(20)).unwrap();
    assert_eq!(
        watcher.source(),
        WatchSource::Poll(Duration::from_millis(20))
    );
    assert!(watcher.description().contains("polling"));
    assert_eq!(watcher.watch_count(), 0);
    let (mut launcher, id) = Worker::launcher(store.root());
    launcher.send("finalize 5");
    let events = collect(&mut watcher, |e| finished(e, 1));
    assert_eq!(
        kinds(&events),
        [(id.to_string(), "created"), (id.to_string(), "finalized")]
    );
    SessionStore::new(store.root())
        .unwrap()
        .remove(&id)
        .unwrap();
    let events = collect(&mut watcher, |e| !e.is_empty());
    assert_eq!(kinds(&events), [(id.to_string(), "removed")]);
    let err = store.watch_polling(Duration::ZERO).unwrap_err();
    assert_eq!(err.kind(), outrig::ErrorKind::InvalidArgument);
}

#[test]
fn a_watcher_of_a_missing_root_sees_its_first_session() {
    let (_tmp, store) = store();
    assert!(!store.root().exists());
    let mut watcher = store.watch().unwrap();
    assert_eq!(watcher.watch_count(), 0);
    let (mut launcher, id) = Worker::launcher(store.root());
    launcher.send("finalize 1");
    launcher.until("OK");
    let events = collect(&mut watcher, |e| finished(e, 1));
    assert_eq!(
        kinds(&events),
        [(id.to_string(), "created"), (id.to_string(), "finalized")]
    );
    assert_eq!(watcher.watch_count(), 1, "the root, once it exists");
}
