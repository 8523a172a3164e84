//! `outrig-sessions ls --watch`: one JSON line per change with `--json`, and the table drawn
//! again after changes without it, while sessions are created, finalized and removed by this
//! process.

mod common;

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{Sandbox, spec};

const LONG: Duration = Duration::from_secs(30);

/// Starts `ls --watch ARGS`; its lines come through the receiver. Returns once the command
/// watches the root (its inotify instance holds a watch), so no change made after is missed.
fn watch(sandbox: &Sandbox, args: &[&str]) -> (Child, mpsc::Receiver<String>) {
    std::fs::create_dir_all(sandbox.root()).unwrap();
    let mut cmd = sandbox.command();
    cmd.arg("--session-root")
        .arg(sandbox.root())
        .args(["ls", "--watch"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let mut child = cmd.spawn().unwrap();
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
    let deadline = Instant::now() + LONG;
    while !watching(child.id()) {
        assert!(
            Instant::now() < deadline,
            "the command never watched the root"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    (child, rx)
}

/// Whether process `pid` holds an inotify instance with a watch.
fn watching(pid: u32) -> bool {
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fdinfo")) else {
        return false;
    };
    fds.flatten()
        .any(|fd| std::fs::read_to_string(fd.path()).is_ok_and(|info| info.contains("inotify wd:")))
}

fn next_line(rx: &mpsc::Receiver<String>) -> String {
    rx.recv_timeout(LONG).expect("a line within 30 s")
}

#[test]
fn json_prints_one_line_per_change() {
    let sandbox = Sandbox::new();
    let (mut child, rx) = watch(&sandbox, &["--json"]);
    let mut live = sandbox.store.create(&spec("watched")).unwrap();
    let id = live.id.to_string();
    let created: serde_json::Value = serde_json::from_str(&next_line(&rx)).unwrap();
    assert_eq!(created["event"], "created");
    assert_eq!(created["id"], id.as_str());
    assert_eq!(created["session"]["container_name"], "watched");
    live.finalize_now(4).unwrap();
    let finalized: serde_json::Value = serde_json::from_str(&next_line(&rx)).unwrap();
    assert_eq!(finalized["event"], "finalized");
    assert_eq!(finalized["session"]["exit_code"], 4);
    sandbox.store.remove(&live.id).unwrap();
    let removed: serde_json::Value = serde_json::from_str(&next_line(&rx)).unwrap();
    assert_eq!(removed["event"], "removed");
    assert_eq!(removed["id"], id.as_str());
    assert!(removed["session"].is_null());
    assert!(
        rx.recv_timeout(Duration::from_millis(300)).is_err(),
        "nothing else"
    );
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn the_table_is_drawn_again_after_a_change() {
    let sandbox = Sandbox::new();
    let (mut child, rx) = watch(&sandbox, &[]);
    assert!(next_line(&rx).starts_with("no sessions in"));
    let live = sandbox.store.create(&spec("drawn")).unwrap();
    let id = live.id.to_string();
    assert_eq!(
        next_line(&rx),
        "",
        "a blank line between tables (not a terminal)"
    );
    assert!(next_line(&rx).starts_with("ID "));
    let row = next_line(&rx);
    assert!(row.starts_with(&id), "{row}");
    child.kill().unwrap();
    child.wait().unwrap();
}
