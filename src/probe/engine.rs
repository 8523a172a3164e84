//! Running a container engine's listing as a child process, with a bound on every wait.
//!
//! The child runs in a process group of its own with only descriptors 0, 1 and 2 (stdin from
//! `/dev/null`, stdout and stderr to pipes read here). Its output is read without blocking
//! while it runs, so neither a full pipe nor a process of its own that keeps the pipe open
//! after it exits can hold the probe: the whole probe ends within the timeout (plus at most
//! [`REAP_WAIT`] to reap a child that was killed). The child is reaped on every path, by its
//! pid only, so no zombie is left and no other child of the caller is reaped.

use std::collections::HashSet;
use std::io::{ErrorKind as IoKind, Read};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags, Timespec, poll};
use rustix::fs::{OFlags, fcntl_getfl, fcntl_setfl};
use rustix::process::{Pid, Signal, WaitId, WaitIdOptions, kill_process_group, waitid};

use super::{ProbeFailure, listing};

/// The most listing output read (a listing of running containers is far less); more is
/// "could not tell", since a listing cut short may miss the one container that runs.
const MAX_LISTING_BYTES: usize = 16 << 20;

/// How much of the engine's standard error is kept, for the reason of a failure.
const MAX_WORDS_BYTES: usize = 4096;

/// How much of the engine's own words a reason quotes.
const QUOTED_CHARS: usize = 200;

/// After the engine exits, how long its output may take to end. A process it left behind that
/// still holds the pipe gets this long, and is then killed with the engine's process group.
const EXIT_GRACE: Duration = Duration::from_millis(100);

/// How long a killed engine is waited for before it is given up (it is in an uninterruptible
/// wait in the kernel: nothing more can be done without blocking the caller).
pub(crate) const REAP_WAIT: Duration = Duration::from_secs(1);

/// The longest pause between two looks at a running engine.
const POLL_SLICE: Duration = Duration::from_millis(10);

/// The first entry `name` in a directory of `PATH` (absolute directories only, as a shell
/// would search them); `None` when there is none. An entry that is there but cannot be run (not
/// executable, a dangling link) is a failure, not "no engine": the machine has the engine and
/// it is broken.
pub(crate) fn find_on_path(name: &str) -> Result<Option<PathBuf>, ProbeFailure> {
    use std::os::unix::fs::PermissionsExt as _;
    let Some(path) = std::env::var_os("PATH") else {
        return Ok(None);
    };
    for dir in std::env::split_paths(&path).filter(|d| d.is_absolute()) {
        let candidate = dir.join(name);
        if std::fs::symlink_metadata(&candidate).is_err() {
            continue;
        }
        return match std::fs::metadata(&candidate) {
            Ok(m) if m.is_dir() => continue,
            Ok(m) if m.permissions().mode() & 0o111 != 0 => Ok(Some(candidate)),
            Ok(_) => Err(ProbeFailure::new(format!(
                "{} is on PATH but not executable; make it executable or take it off PATH",
                candidate.display()
            ))),
            Err(e) => Err(ProbeFailure::new(format!(
                "{} is on PATH but cannot be run: {e}",
                candidate.display()
            ))),
        };
    }
    Ok(None)
}

/// Runs `<program> ps -a --format json` and returns the names of the running containers it
/// lists, or why it could not tell.
pub(crate) fn list_running(
    program: &Path,
    timeout: Duration,
) -> Result<HashSet<String>, ProbeFailure> {
    let shown = program.display();
    let mut command = Command::new(program);
    command
        .args(["ps", "-a", "--format", "json"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    standard_descriptors_only(&mut command);
    let mut child = command
        .spawn()
        .map_err(|e| ProbeFailure::new(format!("{shown} could not be started: {e}")))?;
    let ran = run(&mut child, timeout);
    let (status, out, words) = ran.map_err(|why| ProbeFailure::new(format!("{shown} {why}")))?;
    if !status.success() {
        let words = String::from_utf8_lossy(&words);
        let words = words.trim();
        return Err(ProbeFailure::new(if words.is_empty() {
            format!("{shown} ps failed ({status})")
        } else {
            format!("{shown} ps failed ({status}): {}", cut(words))
        }));
    }
    listing::running_names(&out).map_err(|why| ProbeFailure::new(format!("{shown} ps: {why}")))
}

/// Reads the child's output until it exits and its output ends (or the grace after its exit
/// passes), and reaps it; kills its process group on a timeout, an overflow or a leftover.
fn run(child: &mut Child, timeout: Duration) -> Result<(ExitStatus, Vec<u8>, Vec<u8>), String> {
    let deadline = Instant::now() + timeout;
    let pid = Pid::from_child(child);
    let mut out = Capture::new(child.stdout.take(), MAX_LISTING_BYTES);
    let mut words = Capture::new(child.stderr.take(), MAX_WORDS_BYTES);
    let mut exited_at = None;
    loop {
        if exited_at.is_none() {
            // WNOWAIT: seen, not reaped, so its process group cannot be reused before the
            // group is killed below.
            let options = WaitIdOptions::EXITED | WaitIdOptions::NOHANG | WaitIdOptions::NOWAIT;
            match waitid(WaitId::Pid(pid), options) {
                Ok(Some(_)) => exited_at = Some(Instant::now()),
                Ok(None) => {}
                Err(e) => {
                    // No child to wait for: a host that ignores SIGCHLD reaps it itself.
                    kill_and_reap(child, pid);
                    return Err(format!(
                        "could not be waited for ({e}); a process that ignores SIGCHLD cannot \
                         ask the engine"
                    ));
                }
            }
        }
        let reading = out.is_open() || words.is_open();
        if exited_at.is_some() && !reading {
            break;
        }
        let now = Instant::now();
        let limit = exited_at.map_or(deadline, |t| deadline.min(t + EXIT_GRACE));
        if now >= limit {
            if exited_at.is_none() {
                kill_and_reap(child, pid);
                return Err(format!(
                    "did not answer within {} s; check that the engine works",
                    timeout.as_secs_f32()
                ));
            }
            break;
        }
        wait_readable(&[out.fd(), words.fd()], (limit - now).min(POLL_SLICE));
        let read = out.read_available().and_then(|()| words.read_available());
        if let Err(why) = read {
            kill_and_reap(child, pid);
            return Err(why);
        }
    }
    if out.is_open() || words.is_open() {
        // A process the engine left behind holds its output: it is the engine's, end it.
        let _ = kill_process_group(pid, Signal::KILL);
    }
    let status = child
        .wait()
        .map_err(|e| format!("could not be reaped: {e}"))?;
    if out.overflowed {
        return Err(format!(
            "printed more than {} MiB; a listing cut short could miss a running container",
            MAX_LISTING_BYTES >> 20
        ));
    }
    Ok((status, out.buf, words.buf))
}

/// Ends the child's process group and reaps the child, waiting at most [`REAP_WAIT`].
fn kill_and_reap(child: &mut Child, pid: Pid) {
    let _ = kill_process_group(pid, Signal::KILL);
    let until = Instant::now() + REAP_WAIT;
    while Instant::now() < until {
        match child.try_wait() {
            Ok(None) => std::thread::sleep(Duration::from_millis(2)),
            Ok(Some(_)) | Err(_) => return,
        }
    }
}

/// Waits until one of `fds` is readable (or hung up), at most `wait`.
fn wait_readable(fds: &[Option<BorrowedFd<'_>>], wait: Duration) {
    let mut polled: Vec<PollFd<'_>> = fds
        .iter()
        .flatten()
        .map(|fd| PollFd::new(fd, PollFlags::IN))
        .collect();
    if polled.is_empty() {
        std::thread::sleep(wait);
        return;
    }
    let timeout = Timespec {
        tv_sec: 0,
        tv_nsec: i64::from(wait.subsec_nanos()),
    };
    // An interrupted or failed poll only means another look sooner.
    let _ = poll(&mut polled, Some(&timeout));
}

/// One of the child's output pipes, read without blocking, up to a cap.
struct Capture<R> {
    pipe: Option<R>,
    buf: Vec<u8>,
    cap: usize,
    overflowed: bool,
}

impl<R: Read + AsFd> Capture<R> {
    fn new(pipe: Option<R>, cap: usize) -> Self {
        let pipe = pipe.filter(|p| {
            fcntl_getfl(p)
                .and_then(|flags| fcntl_setfl(p, flags | OFlags::NONBLOCK))
                .is_ok()
        });
        Self {
            pipe,
            buf: Vec::new(),
            cap,
            overflowed: false,
        }
    }

    fn is_open(&self) -> bool {
        self.pipe.is_some()
    }

    fn fd(&self) -> Option<BorrowedFd<'_>> {
        self.pipe.as_ref().map(AsFd::as_fd)
    }

    /// Reads what is there now; closes the pipe at its end. Past the cap the rest is drained
    /// and dropped (the overflow is reported once the child is reaped).
    fn read_available(&mut self) -> Result<(), String> {
        let Some(pipe) = self.pipe.as_mut() else {
            return Ok(());
        };
        let mut chunk = [0u8; 64 * 1024];
        loop {
            match pipe.read(&mut chunk) {
                Ok(0) => {
                    self.pipe = None;
                    return Ok(());
                }
                Ok(n) => {
                    let room = self.cap.saturating_sub(self.buf.len());
                    self.buf.extend_from_slice(&chunk[..n.min(room)]);
                    if n > room {
                        self.overflowed = true;
                        if self.cap == MAX_LISTING_BYTES {
                            return Err(format!(
                                "printed more than {} MiB; a listing cut short could miss a \
                                 running container",
                                MAX_LISTING_BYTES >> 20
                            ));
                        }
                    }
                }
                Err(e) if e.kind() == IoKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == IoKind::Interrupted => {}
                Err(e) => return Err(format!("could not be read: {e}")),
            }
        }
    }
}

/// At most [`QUOTED_CHARS`] of `text`'s first line, marked when cut.
pub(crate) fn cut(text: &str) -> String {
    let line = text.lines().next().unwrap_or("");
    let mut quoted: String = line.chars().take(QUOTED_CHARS).collect();
    if quoted.len() < text.trim_end().len() {
        quoted.push('…');
    }
    quoted
}

/// Makes every descriptor but 0, 1 and 2 close-on-exec in the child, so the engine inherits
/// none of the caller's (a launcher may have cleared `FD_CLOEXEC` on its lease, say). Marked,
/// not closed: the standard library's own exec-error pipe must stay open until the exec.
#[allow(unsafe_code)]
fn standard_descriptors_only(command: &mut Command) {
    // SAFETY: the closure runs in the forked child before exec and makes only system calls
    // that are async-signal-safe (close_range, getrlimit, fcntl); it allocates nothing and
    // touches no state shared with the parent.
    unsafe {
        command.pre_exec(|| {
            let marked = libc::syscall(
                libc::SYS_close_range,
                3u32,
                u32::MAX,
                libc::CLOSE_RANGE_CLOEXEC,
            );
            if marked != 0 {
                // Before Linux 5.11: one descriptor at a time, up to the process's limit.
                let mut limit = libc::rlimit {
                    rlim_cur: 0,
                    rlim_max: 0,
                };
                let top = if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 {
                    limit.rlim_cur.min(1 << 20) as libc::c_int
                } else {
                    1 << 16
                };
                for fd in 3..top {
                    libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC);
                }
            }
            Ok(())
        });
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    fn script(dir: &Path, body: &str) -> PathBuf {
        let p = dir.join("engine");
        std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        p
    }

    #[test]
    fn an_engine_that_answers_lists_its_running_names() {
        let tmp = tempfile::tempdir().unwrap();
        let p = script(
            tmp.path(),
            r#"[ "$*" = "ps -a --format json" ] || exit 3
printf '[{"Names":["a"],"State":"running"},{"Names":["b"],"State":"exited"}]'"#,
        );
        let names = list_running(&p, Duration::from_secs(10)).unwrap();
        assert_eq!(names, HashSet::from(["a".to_owned()]));
    }

    #[test]
    fn failures_quote_the_engine() {
        let tmp = tempfile::tempdir().unwrap();
        let failing = script(
            tmp.path(),
            "echo 'Cannot connect to the daemon' >&2; exit 125",
        );
        let why = list_running(&failing, Duration::from_secs(10)).unwrap_err();
        assert!(
            why.reason().contains("Cannot connect to the daemon"),
            "{why}"
        );
        assert!(why.reason().contains("125"), "{why}");
        let garbage = script(tmp.path(), "echo a; echo b");
        let why = list_running(&garbage, Duration::from_secs(10)).unwrap_err();
        assert!(
            why.reason().contains("not a JSON container listing"),
            "{why}"
        );
    }

    /// Whether process `pid` exists (a zombie counts: it is not reaped).
    fn exists(pid: i32) -> bool {
        Path::new(&format!("/proc/{pid}")).exists()
    }

    #[test]
    fn a_hanging_engine_times_out_and_is_reaped() {
        let tmp = tempfile::tempdir().unwrap();
        let pid_file = tmp.path().join("engine.pid");
        let hanging = script(
            tmp.path(),
            &format!("echo $$ > {}\nexec sleep 30", pid_file.display()),
        );
        let start = Instant::now();
        let why = list_running(&hanging, Duration::from_millis(300)).unwrap_err();
        assert!(why.reason().contains("did not answer"), "{why}");
        assert!(start.elapsed() < Duration::from_secs(10));
        let pid: i32 = std::fs::read_to_string(&pid_file)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        assert!(
            !exists(pid),
            "the engine {pid} was killed and reaped, no zombie left"
        );
    }

    #[test]
    fn a_grandchild_holding_the_pipe_does_not_hold_the_probe() {
        let tmp = tempfile::tempdir().unwrap();
        let marker = tmp.path().join("grandchild.pid");
        let leaves = script(
            tmp.path(),
            &format!("sleep 30 & echo $! > {}\nprintf '[]'", marker.display()),
        );
        let start = Instant::now();
        assert_eq!(
            list_running(&leaves, Duration::from_secs(20)).unwrap(),
            HashSet::new()
        );
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{:?}",
            start.elapsed()
        );
        let pid: i32 = std::fs::read_to_string(&marker)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        // Killed with the engine's group: gone (or a zombie of its reparented parent).
        let until = Instant::now() + Duration::from_secs(5);
        let alive = || {
            std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
                !s.rsplit(')')
                    .next()
                    .unwrap_or("")
                    .trim_start()
                    .starts_with('Z')
            })
        };
        while alive() && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(!alive(), "the engine's leftover {pid} still runs");
    }

    #[test]
    fn a_flood_is_not_a_listing() {
        let tmp = tempfile::tempdir().unwrap();
        let flood = script(
            tmp.path(),
            "printf '['; yes '{\"Names\":[\"x\"],\"State\":\"exited\"},' | head -c 20000000; printf '{}]'",
        );
        let why = list_running(&flood, Duration::from_secs(20)).unwrap_err();
        assert!(why.reason().contains("more than 16 MiB"), "{why}");
    }
}
