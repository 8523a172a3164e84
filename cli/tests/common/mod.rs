//! Running the built `outrig-sessions` as a user would, against roots made for each test.
#![allow(dead_code)]

pub mod outrig_port;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, SystemTime};

use outrig::{NewSession, Session, SessionStore};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_outrig-sessions");

/// What one run printed and how it exited.
#[derive(Debug)]
pub struct Run {
    /// The exit status.
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

/// A temporary home for one test: `home/` stands in for `$HOME` (so the default root and
/// config can never be the real user's), `root/` is the session root the tests name.
pub struct Sandbox {
    pub tmp: tempfile::TempDir,
    pub store: SessionStore,
}

impl Sandbox {
    pub fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir(tmp.path().join("home")).unwrap();
        let store = SessionStore::new(tmp.path().join("root")).unwrap();
        Self { tmp, store }
    }

    pub fn path(&self) -> &Path {
        self.tmp.path()
    }

    pub fn root(&self) -> &Path {
        self.store.root()
    }

    /// The binary with a clean environment: `$HOME` in the sandbox, no XDG variables.
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(BIN);
        // The container engine the default probe asks: a fake `podman` that lists what
        // `self.running_containers` says runs (nothing, unless a test says otherwise).
        let bin = self.path().join("bin");
        if !bin.join("podman").exists() {
            self.set_running_containers(&[]);
        }
        let path = std::env::var_os("PATH").unwrap_or_default();
        let mut dirs = vec![bin];
        dirs.extend(std::env::split_paths(&path));
        cmd.env("PATH", std::env::join_paths(dirs).unwrap());
        cmd.env("HOME", self.path().join("home"))
            .env_remove("XDG_CONFIG_HOME")
            .env_remove("XDG_DATA_HOME")
            .current_dir(self.path());
        cmd
    }

    /// Makes the fake `podman` on the command's `PATH` list `names` as the running containers.
    pub fn set_running_containers(&self, names: &[&str]) {
        // As `podman ps -a --format json` answers: the running ones, and one that exited.
        let mut rows: Vec<String> = names
            .iter()
            .map(|n| format!(r#"{{"Names":["{n}"],"State":"running"}}"#))
            .collect();
        rows.push(r#"{"Names":["long-gone"],"State":"exited"}"#.to_owned());
        let body = format!(
            "[ \"$*\" = \"ps -a --format json\" ] || exit 2\nprintf '%s' '[{}]'\n",
            rows.join(",")
        );
        self.set_engine(&body);
    }

    /// Makes the fake `podman` on the command's `PATH` run the shell script `body`.
    pub fn set_engine(&self, body: &str) {
        use std::os::unix::fs::PermissionsExt as _;
        let bin = self.path().join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        let script = bin.join("podman");
        std::fs::write(&script, format!("#!/bin/sh\n{body}")).unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    /// Runs `outrig-sessions --session-root <root> ARGS` with `stdin` as its input (`None`:
    /// an empty input, so a prompt reads end-of-file).
    pub fn run(&self, args: &[&str], stdin: Option<&str>) -> Run {
        let mut cmd = self.command();
        cmd.arg("--session-root").arg(self.root()).args(args);
        run(cmd, stdin)
    }

    /// Runs the binary with exactly `args` (no `--session-root`).
    pub fn run_bare(&self, args: &[&str], stdin: Option<&str>) -> Run {
        let mut cmd = self.command();
        cmd.args(args);
        run(cmd, stdin)
    }

    /// Writes `json` as the record of a session `id` directly under the root, as outrig
    /// would have.
    pub fn write_record(&self, id: &str, json: &str) -> PathBuf {
        let dir = self.root().join(id);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("session.json"), json).unwrap();
        dir
    }

    /// Creates a finished session through the library: started at `started`, ran `secs`
    /// seconds, exited with `code`.
    pub fn finished(&self, spec: NewSession, started: &str, secs: u64, code: i32) -> Session {
        let started = time(started);
        let s = self.store.create(&spec.started_at(started)).unwrap();
        self.store
            .finalize(&s.id, started + Duration::from_secs(secs), code)
            .unwrap()
    }
}

/// A finished session's record as outrig writes it, with id `id` (any valid id, so tests can
/// choose ids that contain one another).
pub fn record_json(id: &str) -> String {
    format!(
        r#"{{
  "id": "{id}",
  "started_at": "2026-05-01T10:00:00Z",
  "ended_at": "2026-05-01T10:00:44Z",
  "container_name": "outrig-{id}",
  "image_tag": "localhost/outrig-coding:d8aa33",
  "working_dir": "/home/me/repo",
  "session_dir": "/home/me/.local/share/outrig/sessions/{id}",
  "exit_code": 0
}}"#
    )
}

/// A spec as a launcher would fill it.
pub fn spec(container: &str) -> NewSession {
    NewSession::new(container, "localhost/outrig-coding:d8aa33", "/home/me/repo")
}

/// An RFC 3339 time.
pub fn time(rfc3339: &str) -> SystemTime {
    let ts: jiff::Timestamp = rfc3339.parse().unwrap_or_else(|e| panic!("{rfc3339}: {e}"));
    SystemTime::try_from(ts).expect("a time the clock holds")
}

pub fn run(mut cmd: Command, stdin: Option<&str>) -> Run {
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("start outrig-sessions");
    let input = stdin.unwrap_or("").to_owned();
    let mut pipe = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        // The command may exit without reading: a closed pipe is fine.
        let _ = pipe.write_all(input.as_bytes());
    });
    let Output {
        status,
        stdout,
        stderr,
    } = child.wait_with_output().unwrap();
    writer.join().unwrap();
    Run {
        code: status.code().expect("exited, not killed"),
        stdout: String::from_utf8(stdout).unwrap(),
        stderr: String::from_utf8(stderr).unwrap(),
    }
}

/// Asserts a run's exit status, showing everything it printed when it differs.
#[track_caller]
pub fn assert_code(run: &Run, code: i32) {
    assert_eq!(run.code, code, "exit status; the run was {run:#?}");
}

/// Asserts that a failed run printed exactly one line on stderr, `outrig-sessions: ...`
/// containing `needle`, and returns the line.
#[track_caller]
pub fn assert_one_error_line(run: &Run, needle: &str) -> String {
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line on stderr: {run:#?}");
    assert!(
        lines[0].starts_with("outrig-sessions: ") && lines[0].contains(needle),
        "expected {needle:?} in {:?}",
        lines[0]
    );
    lines[0].to_owned()
}
