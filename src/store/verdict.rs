//! One verdict on whether a session runs, used by every face and every operation: `state`,
//! `states` and `liveness` (what `ls` shows), `clean`, and `remove` (which decide from it
//! after they lock).
//!
//! The rules, in order:
//! - finalized: `Finished` (a finalized session's primary container may still run, as an
//!   `outrig mcp --attach` session's borrowed container does: its state stays `Finished`, but
//!   removals keep it, see [`removal_blocker`]);
//! - its lease is held (by any process): `Running`;
//! - the container probe answered and one of its containers runs: `Running`; answered and none
//!   runs: `Abandoned`;
//! - anything else (the probe failed, there is none, the directory could not be opened):
//!   `Unknown`, with the reason. Nothing destructive is ever decided from `Unknown`.

use std::collections::HashSet;
use std::os::fd::{AsFd as _, OwnedFd};

use rustix::fs::{Mode, OFlags};

use super::SessionStore;
use crate::error::{Error, ErrorKind};
use crate::fsio::lock;
use crate::id::SessionId;
use crate::probe::{ContainerProbe, ProbeFailure};
use crate::record::Session;
use crate::state::State;

/// The container probe's answer for an operation: the running names among those asked, or
/// why it could not tell. `None` when nothing needed asking.
pub(crate) type Answer = Option<Result<HashSet<String>, ProbeFailure>>;

/// The states of some sessions, and why the ones that are [`State::Unknown`] are.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Liveness {
    /// The state of each session, in the order they were given.
    pub states: Vec<State>,
    /// Why the container probe could not tell, when it was asked and failed (the engine's
    /// words, cut short): the reason the `Unknown` sessions are unknown. `None` when the probe
    /// answered or was not needed.
    pub unknown_reason: Option<String>,
}

/// The verdict on some sessions, with the probe's answer that removals decide from.
pub(crate) struct Judgement {
    pub(crate) states: Vec<State>,
    pub(crate) answer: Answer,
}

impl SessionStore {
    /// The state of each of `sessions` (in their order), and why unknown ones are unknown: one
    /// lease probe per unfinalized session and one container probe for all the unleased ones.
    pub fn liveness(&self, sessions: &[Session]) -> Liveness {
        let judged = self.judge(sessions, false);
        let unknown_reason = match &judged.answer {
            Some(Err(why)) => Some(why.reason().to_owned()),
            _ if judged.states.contains(&State::Unknown) => {
                Some("a session directory could not be opened to check its lease".to_owned())
            }
            _ => None,
        };
        Liveness {
            states: judged.states,
            unknown_reason,
        }
    }

    /// The verdict on `sessions`. The container probe is asked once, for the containers of the
    /// unleased, unfinalized sessions, and with `ask_finished` (a removal is coming) for the
    /// primary container of each finalized one too.
    pub(crate) fn judge(&self, sessions: &[Session], ask_finished: bool) -> Judgement {
        let mut states: Vec<State> = sessions
            .iter()
            .map(|s| {
                if s.is_finalized() {
                    State::Finished
                } else {
                    State::Unknown
                }
            })
            .collect();
        let open: Vec<usize> = (0..sessions.len())
            .filter(|&i| !sessions[i].is_finalized())
            .collect();
        let mut unleased = Vec::new();
        if !open.is_empty() {
            let root = self.open_root().ok();
            for (&i, held) in open
                .iter()
                .zip(probe_leases(root.as_ref(), sessions, &open))
            {
                match held {
                    Some(true) => states[i] = State::Running,
                    Some(false) => unleased.push(i),
                    None => {}
                }
            }
        }
        let finished: Vec<usize> = if ask_finished && !self.probe.is_none() {
            (0..sessions.len())
                .filter(|&i| sessions[i].is_finalized())
                .collect()
        } else {
            Vec::new()
        };
        let names: Vec<String> = unleased
            .iter()
            .chain(&finished)
            .flat_map(|&i| containers_of(&sessions[i]))
            .collect();
        if names.is_empty() {
            return Judgement {
                states,
                answer: None,
            };
        }
        let answer = self.probe.check(&names);
        for i in unleased {
            states[i] = match &answer {
                Err(_) => State::Unknown,
                Ok(up) if containers_of(&sessions[i]).any(|n| up.contains(&n)) => State::Running,
                Ok(_) => State::Abandoned,
            };
        }
        Judgement {
            states,
            answer: Some(answer),
        }
    }

    /// Whether a lease is held on session `id` (by any process, this one's own included): one
    /// non-blocking lock attempt, released at once. Cheap enough to ask often (as
    /// `logs --follow` does); it never asks the container probe.
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] when there is no such session; [`ErrorKind::Io`] when its
    /// directory cannot be opened.
    pub fn lease_held(&self, id: &SessionId) -> crate::Result<bool> {
        let root = match self.open_root() {
            Ok(root) => root,
            Err(e) if e.kind() == ErrorKind::NotFound => return Err(self.no_session(id)),
            Err(e) => return Err(e),
        };
        lease_held(&root, id).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                self.no_session(id)
            } else {
                Error::io("opening session directory", &self.entry_path(id), e)
            }
        })
    }

    /// Asks the container probe about the containers that decide whether `session` may be
    /// removed (see [`containers_of`]).
    pub(crate) fn ask_about(&self, session: &Session) -> Answer {
        if session.is_finalized() && self.probe.is_none() {
            return None;
        }
        let names: Vec<String> = containers_of(session).collect();
        Some(self.probe.check(&names))
    }
}

/// The containers whose running keeps `s` from removal: all of an unfinalized session's (the
/// agent's and its sidecars'), and a finalized session's primary one (as outrig asks).
pub(crate) fn containers_of(s: &Session) -> impl Iterator<Item = String> + '_ {
    let sidecars = if s.is_finalized() {
        &[][..]
    } else {
        &s.sidecar_container_names[..]
    };
    std::iter::once(s.container_name.clone()).chain(sidecars.iter().cloned())
}

/// Whether the probe's `answer` keeps `s` (whose lease is not held elsewhere) from removal:
/// a container of it runs, or the probe could not tell. `None` when it may go. A finalized
/// session may go unasked when the store has no probe ([`ContainerProbe::none`]): its record
/// says it ended.
pub(crate) fn removal_blocker(
    s: &Session,
    answer: &Answer,
    probe: &ContainerProbe,
) -> Option<Error> {
    if s.is_finalized() && probe.is_none() {
        // The caller chose never to ask: a finalized session goes on its end time.
        return None;
    }
    let message = match answer {
        None if s.is_finalized() => return None,
        None => format!(
            "session {} ({}) was never finalized and the store has no container probe, so \
             whether it still runs cannot be told; stop it first, or force the removal \
             (discard --force) if you know it does not run",
            s.id,
            s.session_dir.display()
        ),
        Some(Err(why)) => format!(
            "cannot tell whether session {} ({}) still runs: the container probe failed: {why}; \
             fix the container engine, or force the removal (discard --force) if you know its \
             containers do not run",
            s.id,
            s.session_dir.display()
        ),
        Some(Ok(up)) => {
            let mut running: Vec<String> = containers_of(s).filter(|n| up.contains(n)).collect();
            if running.is_empty() {
                return None;
            }
            running.sort();
            format!(
                "session {} ({}) is running: its container(s) {} still run; stop them first",
                s.id,
                s.session_dir.display(),
                running.join(", ")
            )
        }
    };
    Some(Error::new(ErrorKind::Busy, message))
}

/// Below this many probes they run on the calling thread: spawning costs more than it saves.
const PARALLEL_PROBES: usize = 256;

/// [`lease_held`] for `sessions[i]` of each `i` in `which`, in that order, spread over the
/// cores when there are many; `None` where the directory could not be opened.
fn probe_leases(
    root: Option<&OwnedFd>,
    sessions: &[Session],
    which: &[usize],
) -> Vec<Option<bool>> {
    let probe = |chunk: &[usize]| -> Vec<Option<bool>> {
        chunk
            .iter()
            .map(|&i| session_lease_held(root, &sessions[i]).ok())
            .collect()
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if threads == 1 || which.len() < PARALLEL_PROBES {
        return probe(which);
    }
    // This thread probes the first share while the others probe theirs (one thread fewer to
    // start), and a share whose thread cannot be started.
    let chunk_len = which.len().div_ceil(threads);
    super::spread::per_share(which, chunk_len, |_, chunk| probe(chunk)).concat()
}

/// Whether a lease is held on `session`: through the root's entry of its id, or, when the root
/// has none (a session named by its directory, outside this store's root), through the
/// directory its record says holds it. A probe acts on nothing, so following the record's
/// path costs nothing; a path that leads to some other locked directory only errs towards
/// "running".
fn session_lease_held(root: Option<&OwnedFd>, session: &Session) -> std::io::Result<bool> {
    if let Some(root) = root {
        match lease_held(root, &session.id) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            answer => return answer,
        }
    }
    let dir = rustix::fs::open(
        &session.session_dir,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC | OFlags::NONBLOCK,
        Mode::empty(),
    )?;
    Ok(lock::is_held_elsewhere(dir.as_fd())?)
}

/// Whether a lease is held on the session `id`: a non-blocking attempt at its directory's lock
/// through a descriptor of our own, released at once (it writes nothing). The lock is held
/// per open directory, so this process's own leases count too. Following the one link an
/// explicit session's entry is costs nothing here: a probe acts on nothing.
fn lease_held(root: &OwnedFd, id: &SessionId) -> std::io::Result<bool> {
    let dir = rustix::fs::openat(
        root,
        id.as_str(),
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC | OFlags::NONBLOCK,
        Mode::empty(),
    )?;
    Ok(lock::is_held_elsewhere(dir.as_fd())?)
}
