//! Whether a session's containers run: the container probe a store asks once per operation.
//!
//! `outrig run` and `outrig mcp` hold no lock on their session, so the store cannot tell from
//! the disk alone that they are running; outrig asks podman instead (`outrig clean` lists
//! `podman ps -a --format json` once and takes the containers whose `State` is `running`), and
//! so does the default probe here. Every way a probe can fail is "could not tell", never
//! "nothing runs": the store's destructive operations keep what they cannot judge.

mod engine;
mod listing;

use std::collections::HashSet;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// How long the default probe waits for the container engine (to start, answer and exit)
/// before it takes "could not tell" for an answer.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// A caller's probe: given container names, the ones running now, or `None` when it cannot
/// tell.
type ProbeFn = dyn Fn(&[String]) -> Option<Vec<String>> + Send + Sync;

/// Why a container probe could not tell which containers run: the engine could not be
/// started, failed, timed out, or answered something that is not a listing (its own words,
/// cut short, are part of the reason).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeFailure(String);

impl ProbeFailure {
    pub(crate) fn new(reason: impl Into<String>) -> Self {
        Self(reason.into())
    }

    /// The reason, in words for a person: what failed and, where the engine said something,
    /// what it said.
    pub fn reason(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ProbeFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ProbeFailure {}

/// How a store tells whether containers run (see [`State`](crate::State)).
///
/// - [`ContainerProbe::engine`] (the default): asks `podman`, found on `PATH`, as outrig does
///   (`podman ps -a --format json`, the containers whose `State` is `running`), once per
///   operation. It **spawns a child process in the caller's process**: in a process group of
///   its own, with only standard input, output and error open (no descriptor of the caller is
///   inherited); it waits for that child by its pid only, reads its output with a bound on
///   every wait (at most [`PROBE_TIMEOUT`] in all), kills the group and reaps the child on
///   every path. Any failure (podman cannot be started or is not executable, out of
///   descriptors, a timeout, a non-zero exit, output that is too long or not a listing, no
///   child to wait for) is "could not tell". When no `podman` is on `PATH`, no container of
///   outrig's can be running here: "none running".
/// - [`ContainerProbe::program`]: the same, with another engine's command line (e.g. a
///   `docker` whose `ps --format json` prints one object per line).
/// - [`ContainerProbe::custom`]: the caller's function (no process is spawned).
/// - [`ContainerProbe::none`]: never asks; whether a container runs is then never known.
#[derive(Clone, Default)]
pub struct ContainerProbe(Kind);

#[derive(Clone, Default)]
enum Kind {
    #[default]
    Engine,
    Program(PathBuf),
    None,
    Custom(Arc<ProbeFn>),
}

impl ContainerProbe {
    /// The default: the running containers as `podman ps -a --format json` lists them.
    pub fn engine() -> Self {
        Self(Kind::Engine)
    }

    /// The running containers as `<program> ps -a --format json` lists them (a JSON array of
    /// containers, as podman prints, or one JSON object a line, as docker prints), with the
    /// engine probe's bounds. A missing or non-executable `program` is "could not tell".
    pub fn program(program: impl Into<PathBuf>) -> Self {
        Self(Kind::Program(program.into()))
    }

    /// No probe: containers are never asked about (unleased, unfinalized sessions are then
    /// [`State::Unknown`](crate::State::Unknown)).
    pub fn none() -> Self {
        Self(Kind::None)
    }

    /// The caller's probe: `f` gets container names and returns those running now, or `None`
    /// when it cannot tell. It is called at most once per operation, with every name the
    /// operation needs.
    pub fn custom(f: impl Fn(&[String]) -> Option<Vec<String>> + Send + Sync + 'static) -> Self {
        Self(Kind::Custom(Arc::new(f)))
    }

    /// Whether this is [`ContainerProbe::none`]: a probe that never asks.
    pub fn is_none(&self) -> bool {
        matches!(self.0, Kind::None)
    }

    /// Of `names`, the ones running now; `None` when the probe cannot tell (or there is none).
    pub fn running(&self, names: &[String]) -> Option<HashSet<String>> {
        self.check(names).ok()
    }

    /// Of `names`, the ones running now, or why the probe cannot tell.
    ///
    /// # Errors
    /// A [`ProbeFailure`] for every way the probe fails (see the type's documentation); with
    /// [`ContainerProbe::none`], always.
    pub fn check(&self, names: &[String]) -> Result<HashSet<String>, ProbeFailure> {
        let running: HashSet<String> = match &self.0 {
            Kind::None => {
                return Err(ProbeFailure::new(
                    "the store has no container probe (ContainerProbe::none)",
                ));
            }
            Kind::Custom(f) => f(names)
                .ok_or_else(|| ProbeFailure::new("the store's container probe could not tell"))?
                .into_iter()
                .collect(),
            Kind::Engine if names.is_empty() => HashSet::new(),
            Kind::Engine => match engine::find_on_path("podman")? {
                Some(podman) => engine::list_running(&podman, PROBE_TIMEOUT)?,
                None => HashSet::new(),
            },
            Kind::Program(_) if names.is_empty() => HashSet::new(),
            Kind::Program(program) => engine::list_running(program, PROBE_TIMEOUT)?,
        };
        Ok(names
            .iter()
            .filter(|n| running.contains(*n))
            .cloned()
            .collect())
    }
}

impl fmt::Debug for ContainerProbe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Kind::Engine => f.write_str("ContainerProbe::engine()"),
            Kind::Program(p) => write!(f, "ContainerProbe::program({p:?})"),
            Kind::None => f.write_str("ContainerProbe::none()"),
            Kind::Custom(_) => f.write_str("ContainerProbe::custom(..)"),
        }
    }
}

impl PartialEq for ContainerProbe {
    fn eq(&self, other: &Self) -> bool {
        match (&self.0, &other.0) {
            (Kind::Engine, Kind::Engine) | (Kind::None, Kind::None) => true,
            (Kind::Program(a), Kind::Program(b)) => a == b,
            (Kind::Custom(a), Kind::Custom(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

impl Eq for ContainerProbe {}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(ContainerProbe::none().check(&names).is_err());
        let blind = ContainerProbe::custom(|_| None).check(&names).unwrap_err();
        assert!(blind.reason().contains("could not tell"), "{blind}");
        assert_eq!(probe, probe.clone());
        assert_ne!(probe, ContainerProbe::custom(|_| None));
        assert!(ContainerProbe::none().is_none() && !probe.is_none());
    }
}
