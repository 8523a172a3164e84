//! Whether a session's containers run: the container probe a store asks once per operation.
//!
//! `outrig run` and `outrig mcp` hold no lock on their session, so the store cannot tell from
//! the disk alone that they are running; `outrig clean` asks the container engine instead (one
//! listing of the running containers), and so does the default probe here.

use std::collections::HashSet;
use std::fmt;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long the default probe waits for the container engine before it takes "could not
/// tell" for an answer.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// The most output of the engine's listing the default probe reads (names of running
/// containers: far less).
const MAX_LISTING_BYTES: u64 = 16 << 20;

/// A caller's probe: given container names, the ones running now, or `None` when it cannot
/// tell.
type ProbeFn = dyn Fn(&[String]) -> Option<Vec<String>> + Send + Sync;

/// How a store tells whether containers run (see [`State`](crate::State)).
///
/// - [`ContainerProbe::engine`] (the default): runs `podman ps` (else `docker ps`) found on
///   `PATH`, once per operation, as `outrig clean` does. It spawns a child process in the
///   caller's process, waits for it by its pid only and at most [`PROBE_TIMEOUT`], and takes
///   any failure (a timeout, a non-zero exit, no child to wait for) as "could not tell". When
///   neither program is installed, no container can be running here: "none running".
/// - [`ContainerProbe::custom`]: the caller's function.
/// - [`ContainerProbe::none`]: never asks; unleased, unfinalized sessions are then `Unknown`.
#[derive(Clone, Default)]
pub struct ContainerProbe(Kind);

#[derive(Clone, Default)]
enum Kind {
    #[default]
    Engine,
    None,
    Custom(Arc<ProbeFn>),
}

impl ContainerProbe {
    /// The default: the running containers as `podman ps` (else `docker ps`) lists them.
    pub fn engine() -> Self {
        Self(Kind::Engine)
    }

    /// No probe: containers are never asked about.
    pub fn none() -> Self {
        Self(Kind::None)
    }

    /// The caller's probe: `f` gets container names and returns those running now, or `None`
    /// when it cannot tell. It is called at most once per operation, with every name the
    /// operation needs.
    pub fn custom(f: impl Fn(&[String]) -> Option<Vec<String>> + Send + Sync + 'static) -> Self {
        Self(Kind::Custom(Arc::new(f)))
    }

    /// Of `names`, the ones running now; `None` when the probe cannot tell (or there is none).
    pub fn running(&self, names: &[String]) -> Option<HashSet<String>> {
        let running: HashSet<String> = match &self.0 {
            Kind::None => return None,
            Kind::Custom(f) => f(names)?.into_iter().collect(),
            Kind::Engine => engine_running()?,
        };
        Some(
            names
                .iter()
                .filter(|n| running.contains(*n))
                .cloned()
                .collect(),
        )
    }
}

impl fmt::Debug for ContainerProbe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.0 {
            Kind::Engine => "ContainerProbe::engine()",
            Kind::None => "ContainerProbe::none()",
            Kind::Custom(_) => "ContainerProbe::custom(..)",
        })
    }
}

impl PartialEq for ContainerProbe {
    fn eq(&self, other: &Self) -> bool {
        match (&self.0, &other.0) {
            (Kind::Engine, Kind::Engine) | (Kind::None, Kind::None) => true,
            (Kind::Custom(a), Kind::Custom(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

impl Eq for ContainerProbe {}

/// The names of the running containers, from the first of `podman` and `docker` on `PATH`.
fn engine_running() -> Option<HashSet<String>> {
    let Some(program) = ["podman", "docker"].into_iter().find_map(on_path) else {
        return Some(HashSet::new());
    };
    list_running(&program, PROBE_TIMEOUT)
}

/// Runs `<program> ps --format {{.Names}}` and returns the names it prints.
fn list_running(program: &Path, timeout: Duration) -> Option<HashSet<String>> {
    let mut child = Command::new(program)
        .args(["ps", "--format", "{{.Names}}"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let stdout = child.stdout.take()?;
    // Read on another thread, so a full pipe never stalls the child while we wait for it.
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        stdout
            .take(MAX_LISTING_BYTES)
            .read_to_end(&mut out)
            .ok()
            .map(|_| out)
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        // waitpid on this child's pid only: other children of the process are not reaped.
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(5));
            }
            // Timed out, or nothing to wait for (a host that ignores SIGCHLD): cannot tell.
            _ => {
                let _ = child.kill();
                let _ = child.try_wait();
                return None;
            }
        }
    };
    let out = reader.join().ok()??;
    if !status.success() {
        return None;
    }
    Some(
        String::from_utf8_lossy(&out)
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect(),
    )
}

/// The executable `name` in a directory of `PATH`, if any.
fn on_path(name: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt as _;
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .filter(|dir| dir.is_absolute())
        .map(|dir| dir.join(name))
        .find(|p| {
            std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
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
    fn an_engine_that_answers_lists_its_names() {
        let tmp = tempfile::tempdir().unwrap();
        let p = script(
            tmp.path(),
            "[ \"$1\" = ps ] || exit 3; printf 'a\\n b \\n\\n'",
        );
        let names = list_running(&p, Duration::from_secs(10)).unwrap();
        assert_eq!(names, HashSet::from(["a".to_owned(), "b".to_owned()]));
    }

    #[test]
    fn an_engine_that_fails_or_hangs_cannot_tell() {
        let tmp = tempfile::tempdir().unwrap();
        let failing = script(tmp.path(), "echo a; exit 1");
        assert_eq!(list_running(&failing, Duration::from_secs(10)), None);
        let hanging = script(tmp.path(), "exec sleep 30");
        let start = Instant::now();
        assert_eq!(list_running(&hanging, Duration::from_millis(300)), None);
        assert!(start.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn custom_probes_answer_for_the_names_asked() {
        let probe = ContainerProbe::custom(|names| {
            Some(
                names
                    .iter()
                    .filter(|n| n.starts_with("up"))
                    .cloned()
                    .collect(),
            )
        });
        let names = ["up-1".to_owned(), "down".to_owned()];
        assert_eq!(
            probe.running(&names),
            Some(HashSet::from(["up-1".to_owned()]))
        );
        assert_eq!(ContainerProbe::none().running(&names), None);
        assert_eq!(ContainerProbe::custom(|_| None).running(&names), None);
        assert_eq!(probe, probe.clone());
        assert_ne!(probe, ContainerProbe::custom(|_| None));
    }
}
