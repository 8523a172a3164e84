//! One word for liveness on the command line: `ls`, `show` and their `--json` tell the state
//! and why it is unknown; `discard` fails closed when the engine cannot tell (status 8, the
//! engine's words) unless `--force`; `clean` keeps a finished session whose container runs on;
//! `logs --follow` ends on an abandoned session with status 9.

mod common;

use std::time::{Duration, Instant};

use common::{Sandbox, assert_code, spec};
use serde_json::Value;

/// A session nobody leases and nothing finalized: abandoned when the engine answers.
fn unleased(sb: &Sandbox, container: &str) -> outrig::Session {
    sb.store.create(&spec(container)).unwrap().into_session()
}

#[test]
fn a_failing_engine_makes_states_unknown_and_says_why_once() {
    let sb = Sandbox::new();
    let a = unleased(&sb, "agent-a");
    unleased(&sb, "agent-b");
    sb.set_engine("echo 'Error: cannot connect to Podman socket' >&2; exit 125\n");
    let run = sb.run(&["ls"], None);
    assert_code(&run, 0);
    assert_eq!(run.stdout.matches(" ?").count(), 2, "{}", run.stdout);
    assert_eq!(
        run.stderr.matches("cannot be told").count(),
        1,
        "said once: {}",
        run.stderr
    );
    assert!(
        run.stderr.contains("cannot connect to Podman socket"),
        "{}",
        run.stderr
    );

    let show = sb.run(&["show", a.id.as_str()], None);
    assert_code(&show, 0);
    assert!(
        show.stdout.contains("unknown (") && show.stdout.contains("Podman socket"),
        "{}",
        show.stdout
    );

    let json = sb.run(&["show", "--json", a.id.as_str()], None);
    let v: Value = serde_json::from_str(json.stdout.trim()).unwrap();
    assert_eq!(v["state"], "unknown");
}

#[test]
fn show_says_abandoned_not_running() {
    let sb = Sandbox::new();
    let a = unleased(&sb, "agent-a");
    let show = sb.run(&["show", a.id.as_str()], None);
    assert_code(&show, 0);
    assert!(
        show.stdout.contains("state") && show.stdout.contains("abandoned"),
        "{}",
        show.stdout
    );
    assert!(!show.stdout.contains("running"), "{}", show.stdout);
    assert!(!show.stdout.contains("so far"), "{}", show.stdout);
    let json = sb.run(&["ls", "--json"], None);
    let v: Value = serde_json::from_str(json.stdout.trim()).unwrap();
    assert_eq!(v["state"], "abandoned");
}

#[test]
fn discard_fails_closed_and_force_overrides() {
    let sb = Sandbox::new();
    let a = unleased(&sb, "agent-a");
    sb.set_engine("echo 'Error: the engine is broken' >&2; exit 125\n");
    let run = sb.run(&["discard", "--yes", a.id.as_str()], None);
    assert_code(&run, 8);
    assert!(
        run.stderr.contains("the engine is broken"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--force"), "{}", run.stderr);
    assert!(sb.store.get(&a.id).is_ok(), "nothing removed");
    // clean --session gives the same status for a session that might run.
    let clean = sb.run(
        &[
            "clean",
            "--yes",
            "--older-than",
            "0s",
            "--session",
            a.id.as_str(),
        ],
        None,
    );
    assert_code(&clean, 8);
    assert!(
        clean.stderr.contains("the engine is broken"),
        "{}",
        clean.stderr
    );
    assert!(
        sb.store.get(&a.id).is_ok(),
        "clean kept it: {}",
        clean.stdout
    );
    let forced = sb.run(&["discard", "--yes", "--force", a.id.as_str()], None);
    assert_code(&forced, 0);
    assert!(sb.store.get(&a.id).is_err());
}

#[test]
fn a_running_session_gets_status_8_from_discard_and_clean_session() {
    let sb = Sandbox::new();
    let a = unleased(&sb, "agent-up");
    sb.set_running_containers(&["agent-up"]);
    let run = sb.run(&["discard", "--yes", a.id.as_str()], None);
    assert_code(&run, 8);
    let clean = sb.run(
        &[
            "clean",
            "--yes",
            "--older-than",
            "0s",
            "--session",
            a.id.as_str(),
        ],
        None,
    );
    assert_code(&clean, 8);
    assert!(sb.store.get(&a.id).is_ok());
}

#[test]
fn clean_keeps_a_finished_session_whose_container_runs_on() {
    let sb = Sandbox::new();
    let attached = sb
        .store
        .create(&spec("borrowed"))
        .unwrap()
        .finalize_now(0)
        .unwrap();
    let done = sb
        .store
        .create(&spec("gone"))
        .unwrap()
        .finalize_now(0)
        .unwrap();
    sb.set_running_containers(&["borrowed"]);
    let run = sb.run(&["clean", "--yes", "--older-than", "0s"], None);
    assert!(run.code == 0, "{run:?}");
    assert!(sb.store.get(&attached.id).is_ok(), "{}", run.stdout);
    assert!(sb.store.get(&done.id).is_err(), "{}", run.stdout);
    let discard = sb.run(&["discard", "--yes", attached.id.as_str()], None);
    assert_code(&discard, 8);
    assert!(discard.stderr.contains("borrowed"), "{}", discard.stderr);
}

#[test]
fn logs_follow_ends_when_the_session_is_abandoned() {
    let sb = Sandbox::new();
    let a = unleased(&sb, "agent-a");
    std::fs::create_dir_all(sb.store.entry_path(&a.id).join("logs")).unwrap();
    std::fs::write(sb.store.entry_path(&a.id).join("logs/agent.log"), "hello\n").unwrap();
    let start = Instant::now();
    let run = sb.run(
        &[
            "logs",
            "--follow",
            "--timeout",
            "60s",
            a.id.as_str(),
            "agent.log",
        ],
        None,
    );
    assert_code(&run, 9);
    assert!(run.stdout.contains("hello"), "{}", run.stdout);
    assert!(run.stderr.contains("abandoned"), "{}", run.stderr);
    assert!(
        start.elapsed() < Duration::from_secs(30),
        "{:?}",
        start.elapsed()
    );
}
