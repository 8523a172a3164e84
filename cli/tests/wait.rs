//! `outrig-sessions wait`: a line per session as it ends and the statuses of the README: the
//! last session's exit code, 9 for an abandoned session (its launcher killed with SIGKILL), 3
//! for a removed one, 7 when the timeout passes, 2 for a bad id. The sessions are leased by this
//! test process (or by a child of it) while the command waits in another.

mod common;

use std::io::{BufRead as _, BufReader, Write as _};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use common::{Sandbox, assert_code, spec};
use outrig::SessionStore;

/// Worker: creates a session under `OUTRIG_WAIT_ROOT`, prints its id, and holds its lease until
/// killed.
#[test]
#[ignore = "run by the other tests in a child process"]
fn holder() {
    // `make test` runs the ignored tests too: without its variable, this is not a worker.
    let Ok(root) = std::env::var("OUTRIG_WAIT_ROOT") else {
        return;
    };
    let store = SessionStore::new(root).unwrap();
    let live = store.create(&spec("held")).unwrap();
    println!("READY {}", live.id);
    std::io::stdout().flush().unwrap();
    let mut line = String::new();
    while std::io::stdin().read_line(&mut line).unwrap_or(0) > 0 {}
}

/// Runs `wait ARGS` in a thread; gives its result when joined.
fn wait_in_thread(sandbox: &Sandbox, args: &[&str]) -> thread::JoinHandle<common::Run> {
    let mut cmd = sandbox.command();
    cmd.arg("--session-root")
        .arg(sandbox.root())
        .arg("wait")
        .args(args);
    thread::spawn(move || common::run(cmd, None))
}

#[test]
fn wait_prints_each_code_and_exits_with_the_last() {
    let sandbox = Sandbox::new();
    let mut one = sandbox.store.create(&spec("one")).unwrap();
    let mut two = sandbox.store.create(&spec("two")).unwrap();
    let (a, b) = (one.id.to_string(), two.id.to_string());
    let waiting = wait_in_thread(&sandbox, &[&a, &b[b.len() - 4..]]);
    thread::sleep(Duration::from_millis(300));
    assert!(!waiting.is_finished(), "both sessions run");
    two.finalize_now(0).unwrap();
    one.finalize_now(3).unwrap();
    let run = waiting.join().unwrap();
    assert_eq!(run.stdout, format!("{a} 3\n{b} 0\n"), "{run:#?}");
    assert_code(&run, 0);
    // Already ended: at once, with the last one's code.
    let run = sandbox.run(&["wait", &b, &a], None);
    assert_eq!(run.stdout, format!("{b} 0\n{a} 3\n"));
    assert_code(&run, 3);
}

#[test]
fn an_abandoned_session_is_status_9() {
    let sandbox = Sandbox::new();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["holder", "--exact", "--ignored", "--nocapture"])
        .env("OUTRIG_WAIT_ROOT", sandbox.root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let id = loop {
        let line = lines.next().expect("the holder got ready").unwrap();
        if let Some((_, id)) = line.split_once("READY ") {
            break id.trim().to_owned();
        }
    };
    let waiting = wait_in_thread(&sandbox, &[&id]);
    thread::sleep(Duration::from_millis(300));
    assert!(!waiting.is_finished(), "the holder runs");
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let run = waiting.join().unwrap();
    assert_eq!(run.stdout, format!("{id} abandoned\n"));
    assert_code(&run, 9);
}

#[test]
fn a_removed_session_is_status_3() {
    let sandbox = Sandbox::new();
    let live = sandbox.store.create(&spec("gone")).unwrap();
    let id = live.id.to_string();
    let waiting = wait_in_thread(&sandbox, &[&id]);
    thread::sleep(Duration::from_millis(300));
    sandbox.store.remove(&live.id).unwrap();
    let run = waiting.join().unwrap();
    assert_eq!(run.stdout, format!("{id} removed\n"));
    assert_code(&run, 3);
    let never = "20200101T000000-0000";
    let run = sandbox.run(&["wait", never], None);
    assert_eq!(run.stdout, format!("{never} removed\n"));
    assert_code(&run, 3);
}

#[test]
fn a_timeout_is_status_7_and_bad_ids_are_usage_errors() {
    let sandbox = Sandbox::new();
    let live = sandbox.store.create(&spec("long")).unwrap();
    let mut done = sandbox.store.create(&spec("done")).unwrap();
    done.finalize_now(5).unwrap();
    let (id, finished) = (live.id.to_string(), done.id.to_string());
    let started = Instant::now();
    let run = sandbox.run(&["wait", "--timeout", "1s", &id, &finished], None);
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(run.stdout, format!("{id} timed-out\n{finished} 5\n"));
    assert_code(&run, 7);
    assert_code(&sandbox.run(&["wait", "../x"], None), 2);
    assert_code(&sandbox.run(&["wait"], None), 2);
    assert_code(&sandbox.run(&["wait", &id, "--timeout", "soon"], None), 2);
    drop(live);
}
