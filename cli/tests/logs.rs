//! `outrig-sessions logs`: the listing with sizes, a log's content, and `--follow`.

mod common;

use std::fs::{self, OpenOptions};
use std::io::{Read as _, Write as _};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, SystemTime};

use common::{Sandbox, assert_code, assert_one_error_line, spec};
use outrig::{Session, SessionStore};

fn with_logs(sb: &Sandbox) -> Session {
    let s = sb.finished(spec("c"), "2026-05-01T10:00:00Z", 60, 0);
    fs::write(
        sb.store.log_path(&s.id, "agent.log").unwrap(),
        "a".repeat(1229),
    )
    .unwrap();
    fs::write(
        sb.store.log_path(&s.id, "tools/web.log").unwrap(),
        "w".repeat(512),
    )
    .unwrap();
    fs::write(sb.store.log_path(&s.id, "empty.log").unwrap(), "").unwrap();
    fs::write(
        sb.store.log_path(&s.id, "big.log").unwrap(),
        vec![b'x'; 3 * 1024 * 1024],
    )
    .unwrap();
    s
}

#[test]
fn logs_lists_files_with_human_sizes() {
    let sb = Sandbox::new();
    let s = with_logs(&sb);
    let run = sb.run(&["logs", s.id.as_str()], None);
    assert_code(&run, 0);
    assert_eq!(
        run.stdout,
        "\
LOG            SIZE
agent.log      1.2 KiB
big.log        3.0 MiB
empty.log      0 B
tools/web.log  512 B
"
    );
    assert_eq!(run.stderr, "");
}

#[test]
fn logs_of_a_session_without_logs_says_so_and_creates_nothing() {
    let sb = Sandbox::new();
    let s = sb.finished(spec("c"), "2026-05-01T10:00:00Z", 60, 0);
    let run = sb.run(&["logs", s.id.as_str()], None);
    assert_code(&run, 0);
    assert_eq!(run.stdout, format!("session {} has no logs\n", s.id));
    let run = sb.run(&["logs", s.id.as_str(), "agent.log"], None);
    assert_code(&run, 3);
    assert_eq!(run.stdout, "");
    assert_one_error_line(&run, &format!("session {} has no log agent.log", s.id));
    assert!(!s.logs_dir().exists(), "reading must not create logs/");
}

#[test]
fn logs_name_prints_the_content_byte_for_byte() {
    let sb = Sandbox::new();
    let s = with_logs(&sb);
    let content = "line one\nline two without newline";
    fs::write(sb.store.log_path(&s.id, "tools/out.log").unwrap(), content).unwrap();
    let run = sb.run(&["logs", s.id.as_str(), "tools/out.log"], None);
    assert_code(&run, 0);
    assert_eq!(run.stdout, content);
    assert_eq!(run.stderr, "");
    // A finished session's log with --follow: the content, then done.
    let run = sb.run(&["logs", s.id.as_str(), "tools/out.log", "--follow"], None);
    assert_code(&run, 0);
    assert_eq!(run.stdout, content);
}

#[test]
fn logs_refuses_bad_names_unknown_sessions_and_links() {
    let sb = Sandbox::new();
    let s = with_logs(&sb);
    for bad in ["../session.json", "/etc/passwd", "tools/../agent.log", ".x"] {
        let run = sb.run(&["logs", s.id.as_str(), bad], None);
        assert_code(&run, 2);
        assert_eq!(run.stdout, "");
        assert_one_error_line(&run, "invalid log name");
    }
    let run = sb.run(&["logs", "20990101T000000-0000"], None);
    assert_code(&run, 3);
    assert_one_error_line(&run, "no session 20990101T000000-0000");
    let run = sb.run(&["logs", "20990101T000000-0000", "agent.log"], None);
    assert_code(&run, 3);
    let run = sb.run(&["logs", "../x"], None);
    assert_code(&run, 2);
    assert_one_error_line(&run, "invalid session id");

    let secret = sb.path().join("secret.txt");
    fs::write(&secret, "secret").unwrap();
    std::os::unix::fs::symlink(&secret, s.logs_dir().join("link.log")).unwrap();
    let run = sb.run(&["logs", s.id.as_str(), "link.log"], None);
    assert_code(&run, 1);
    assert_eq!(run.stdout, "");
    assert_one_error_line(&run, "is a symbolic link");
}

#[test]
fn follow_needs_a_name_and_timeout_needs_follow() {
    let sb = Sandbox::new();
    let s = with_logs(&sb);
    let run = sb.run(&["logs", s.id.as_str(), "--follow"], None);
    assert_code(&run, 2);
    assert_one_error_line(&run, "--follow needs the NAME of the log to follow");
    let run = sb.run(
        &["logs", s.id.as_str(), "agent.log", "--timeout", "1m"],
        None,
    );
    assert_code(&run, 2);
    let run = sb.run(
        &[
            "logs",
            s.id.as_str(),
            "agent.log",
            "-f",
            "--timeout",
            "soon",
        ],
        None,
    );
    assert_code(&run, 2);
    assert_one_error_line(&run, "invalid duration \"soon\"");
}

#[test]
fn follow_with_a_spent_timeout_prints_what_there_is_and_exits_7() {
    let sb = Sandbox::new();
    let s = sb.store.create(&spec("c")).unwrap();
    fs::write(sb.store.log_path(&s.id, "agent.log").unwrap(), "so far\n").unwrap();
    let run = sb.run(
        &[
            "logs",
            s.id.as_str(),
            "agent.log",
            "--follow",
            "--timeout",
            "0s",
        ],
        None,
    );
    assert_code(&run, 7);
    assert_eq!(run.stdout, "so far\n");
    assert_one_error_line(
        &run,
        &format!(
            "stopped following after 0s: session {} is still running",
            s.id
        ),
    );
}

/// Reads a child's stdout on a thread, so the test can wait for what it printed.
fn reader(mut out: std::process::ChildStdout) -> mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        loop {
            match out.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if tx.send(buf[..n].to_vec()).is_err() {
                        break;
                    }
                }
            }
        }
    });
    rx
}

/// Collects output until it ends with `want`. The limit only keeps a broken build from
/// hanging the suite; nothing is timed.
fn read_until(rx: &mpsc::Receiver<Vec<u8>>, got: &mut Vec<u8>, want: &str) {
    while !got.ends_with(want.as_bytes()) {
        match rx.recv_timeout(Duration::from_secs(120)) {
            Ok(chunk) => got.extend(chunk),
            Err(e) => panic!(
                "waiting for {want:?}: {e}; got {:?}",
                String::from_utf8_lossy(got)
            ),
        }
    }
}

#[test]
fn follow_tails_a_running_session_until_it_is_finalized() {
    let sb = Sandbox::new();
    let s = sb.store.create(&spec("c")).unwrap();
    // The follower starts before the log exists and waits for it.
    let mut cmd = sb.command();
    cmd.arg("--session-root")
        .arg(sb.root())
        .args(["logs", s.id.as_str(), "agent.log", "--follow"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let rx = reader(child.stdout.take().unwrap());
    let path = sb.store.log_path(&s.id, "agent.log").unwrap();
    let mut log = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .unwrap();
    let mut got = Vec::new();
    log.write_all(b"first\n").unwrap();
    read_until(&rx, &mut got, "first\n");
    log.write_all(b"second\n").unwrap();
    read_until(&rx, &mut got, "second\n");
    // What is written just before the finalize is printed too, then the follower stops.
    log.write_all(b"last words\n").unwrap();
    drop(log);
    sb.store.finalize(&s.id, SystemTime::now(), 0).unwrap();
    let status = child.wait().unwrap();
    while let Ok(chunk) = rx.recv_timeout(Duration::from_secs(120)) {
        got.extend(chunk);
    }
    assert!(status.success(), "{status}");
    assert_eq!(
        String::from_utf8(got).unwrap(),
        "first\nsecond\nlast words\n"
    );
}

/// With the look interval made an hour long, what is appended, and then the finalize, still
/// reach the follower at once: it is woken by the filesystem's notifications (inotify on the
/// log's directory and the session's), not by its clock.
#[test]
fn follow_is_woken_by_appends_and_the_finalize_not_by_its_interval() {
    let sb = Sandbox::new();
    let s = sb.store.create(&spec("c")).unwrap();
    let mut cmd = sb.command();
    cmd.arg("--session-root")
        .arg(sb.root())
        .args(["logs", s.id.as_str(), "tools/agent.log", "--follow"])
        .env("OUTRIG_SESSIONS_TEST_FOLLOW_POLL_MS", "3600000")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let rx = reader(child.stdout.take().unwrap());
    // The log and its directory do not exist yet: their making wakes the follower too.
    std::thread::sleep(Duration::from_millis(200));
    let mut log = sb.store.append_log(&s.id, "tools/agent.log").unwrap();
    let mut got = Vec::new();
    for line in ["one\n", "two\n", "three\n"] {
        log.write_all(line.as_bytes()).unwrap();
        let mut want = String::from_utf8(got.clone()).unwrap();
        want.push_str(line);
        read_until(&rx, &mut got, &want);
    }
    drop(log);
    sb.store.finalize(&s.id, SystemTime::now(), 0).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the follower did not see the finalize"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status}");
    assert_eq!(String::from_utf8(got).unwrap(), "one\ntwo\nthree\n");
}

#[test]
fn follow_keeps_reading_its_own_log_when_a_link_is_planted_in_its_place() {
    let sb = Sandbox::new();
    let secret = sb.path().join("secret.txt");
    fs::write(&secret, "SECRET\n").unwrap();
    let s = sb.store.create(&spec("c")).unwrap();
    let path = sb.store.log_path(&s.id, "agent.log").unwrap();
    fs::write(&path, "first\n").unwrap();
    let mut cmd = sb.command();
    cmd.arg("--session-root")
        .arg(sb.root())
        .args(["logs", s.id.as_str(), "agent.log", "--follow"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let rx = reader(child.stdout.take().unwrap());
    let mut got = Vec::new();
    read_until(&rx, &mut got, "first\n");
    // Rename the log aside, plant a link to the secret in its place, truncate the log and
    // write again: the follower reads its own file from the start, never the secret.
    let aside = path.with_file_name("aside.log");
    fs::rename(&path, &aside).unwrap();
    std::os::unix::fs::symlink(&secret, &path).unwrap();
    fs::write(&aside, "new\n").unwrap();
    read_until(&rx, &mut got, "new\n");
    sb.store.finalize(&s.id, SystemTime::now(), 0).unwrap();
    let status = child.wait().unwrap();
    while let Ok(chunk) = rx.recv_timeout(Duration::from_secs(120)) {
        got.extend(chunk);
    }
    assert!(status.success(), "{status}");
    assert_eq!(String::from_utf8(got).unwrap(), "first\nnew\n");
}

#[test]
fn follow_stops_with_an_error_when_the_session_is_removed() {
    let sb = Sandbox::new();
    let s = sb.store.create(&spec("c")).unwrap();
    fs::write(sb.store.log_path(&s.id, "agent.log").unwrap(), "hello\n").unwrap();
    let mut cmd = sb.command();
    cmd.arg("--session-root")
        .arg(sb.root())
        .args(["logs", s.id.as_str(), "agent.log", "-f"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let rx = reader(child.stdout.take().unwrap());
    let mut got = Vec::new();
    read_until(&rx, &mut got, "hello\n");
    SessionStore::new(sb.root()).unwrap().remove(&s.id).unwrap();
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(status.code(), Some(3));
    assert_eq!(
        stderr,
        format!(
            "outrig-sessions: session {} was removed while its log agent.log was followed\n",
            s.id
        )
    );
}

#[test]
fn follow_of_a_finished_session_without_that_log_is_not_found() {
    let sb = Sandbox::new();
    let s = with_logs(&sb);
    let run = sb.run(&["logs", s.id.as_str(), "nope.log", "--follow"], None);
    assert_code(&run, 3);
    assert_one_error_line(&run, "has no log nope.log");
}

/// A session with outrig's MCP server logs: `fs.stderr`, a nested subagent's
/// `subagent-a1/web.stderr`, and `dup` next to `dup.stderr`.
fn with_stderr_logs(sb: &Sandbox) -> Session {
    let s = sb.finished(spec("c"), "2026-05-01T10:00:00Z", 60, 0);
    for (name, content) in [
        ("fs.stderr", "fs says\n"),
        ("subagent-a1/web.stderr", "web says\n"),
        ("dup", "plain dup\n"),
        ("dup.stderr", "stderr dup\n"),
        ("network.jsonl", "{}\n"),
        ("fs-extra.log", "x"),
    ] {
        fs::write(sb.store.log_path(&s.id, name).unwrap(), content).unwrap();
    }
    s
}

#[test]
fn stderr_logs_are_listed_and_found_by_their_name_without_the_suffix() {
    let sb = Sandbox::new();
    let s = with_stderr_logs(&sb);
    let run = sb.run(&["logs", s.id.as_str()], None);
    assert_code(&run, 0);
    // `dup.stderr` keeps its suffix: `dup` is another log. Sorted as shown: `fs` before
    // `fs-extra.log`, though `fs.stderr` sorts after it.
    assert_eq!(
        run.stdout,
        "\
LOG              SIZE
dup              10 B
dup.stderr       11 B
fs               8 B
fs-extra.log     1 B
network.jsonl    3 B
subagent-a1/web  9 B
"
    );
    for (name, content) in [
        ("fs", "fs says\n"),
        ("fs.stderr", "fs says\n"),
        ("subagent-a1/web", "web says\n"),
        ("subagent-a1/web.stderr", "web says\n"),
        ("dup", "plain dup\n"),
        ("dup.stderr", "stderr dup\n"),
        ("network.jsonl", "{}\n"),
    ] {
        let run = sb.run(&["logs", s.id.as_str(), name], None);
        assert_code(&run, 0);
        assert_eq!(run.stdout, content, "{name}");
    }
    // A log that is in neither shape is named as asked.
    let run = sb.run(&["logs", s.id.as_str(), "git"], None);
    assert_code(&run, 3);
    let line = assert_one_error_line(&run, "has no log git (");
    assert!(!line.contains("git.stderr"), "{line}");
}

#[test]
fn follow_finds_a_stderr_log_by_its_short_name() {
    let sb = Sandbox::new();
    let s = with_stderr_logs(&sb);
    // The session is finished, so --follow prints the log and ends.
    let run = sb.run(&["logs", s.id.as_str(), "fs", "--follow"], None);
    assert_code(&run, 0);
    assert_eq!(run.stdout, "fs says\n");
}

#[test]
fn session_dir_names_the_session_instead_of_an_id() {
    let sb = Sandbox::new();
    // An explicit session, reached through the root's link.
    let work = sb.path().join("work");
    let s = sb.store.create(&spec("c").session_dir(&work)).unwrap();
    fs::write(sb.store.log_path(&s.id, "fs.stderr").unwrap(), "fs says\n").unwrap();
    let dir = work.to_str().unwrap();
    let run = sb.run(&["logs", "--session-dir", dir], None);
    assert_code(&run, 0);
    assert_eq!(run.stdout, "LOG  SIZE\nfs   8 B\n");
    for args in [
        vec!["logs", "--session-dir", dir, "fs"],
        vec!["logs", "fs", "--session-dir", dir],
        vec!["logs", "--session-dir", dir, "fs.stderr"],
    ] {
        let run = sb.run(&args, None);
        assert_code(&run, 0);
        assert_eq!(run.stdout, "fs says\n", "{args:?}");
    }

    // An auto session of another root: found through the root its directory is in.
    let other = SessionStore::new(sb.path().join("other-root")).unwrap();
    let o = other.create(&spec("o")).unwrap();
    fs::write(other.log_path(&o.id, "tools/web.log").unwrap(), "web\n").unwrap();
    let odir = other.entry_path(&o.id);
    let run = sb.run(
        &[
            "logs",
            "--session-dir",
            odir.to_str().unwrap(),
            "tools/web.log",
        ],
        None,
    );
    assert_code(&run, 0);
    assert_eq!(run.stdout, "web\n");

    // Both an id and a name, no session there, or a session no root reaches: refused.
    let run = sb.run(&["logs", "--session-dir", dir, s.id.as_str(), "fs"], None);
    assert_code(&run, 2);
    assert_one_error_line(
        &run,
        "with --session-dir, give only the log's NAME, not an ID",
    );
    let run = sb.run(
        &["logs", "--session-dir", sb.path().to_str().unwrap()],
        None,
    );
    assert_code(&run, 3);
    assert_one_error_line(&run, "no session record at");
    let copy = sb.path().join("copy");
    fs::create_dir(&copy).unwrap();
    fs::copy(work.join("session.json"), copy.join("session.json")).unwrap();
    let run = sb.run(&["logs", "--session-dir", copy.to_str().unwrap()], None);
    assert_code(&run, 3);
    assert_one_error_line(
        &run,
        &format!(
            "{} holds session {}, but {} does not lead to it",
            copy.display(),
            s.id,
            sb.root().join(s.id.as_str()).display()
        ),
    );
    // Neither an id nor --session-dir.
    let run = sb.run(&["logs"], None);
    assert_code(&run, 2);
    assert_one_error_line(&run, "required");
}
