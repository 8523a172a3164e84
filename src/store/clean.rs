//! Sessions' states, and `clean`: removing what ended (or was abandoned) long enough ago.

use std::os::fd::{AsFd as _, OwnedFd};
use std::time::{Duration, SystemTime};

use rustix::fs::{Mode, OFlags};

use super::{SessionStore, Skipped};
use crate::error::{Error, ErrorKind, Result};
use crate::fsio::lock;
use crate::id::SessionId;
use crate::record::Session;
use crate::state::State;

/// Whether [`SessionStore::clean`] removes what it finds or only reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CleanMode {
    /// Remove the sessions.
    Remove,
    /// Report them and remove nothing.
    DryRun,
}

impl CleanMode {
    /// [`CleanMode::DryRun`] when `dry_run`, else [`CleanMode::Remove`]: for callers that
    /// take the choice as a flag (the C and Python faces).
    pub fn from_dry_run(dry_run: bool) -> Self {
        if dry_run {
            CleanMode::DryRun
        } else {
            CleanMode::Remove
        }
    }
}

/// What [`SessionStore::clean`] did.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct Cleaning {
    /// The sessions removed (with [`CleanMode::DryRun`]: the ones that would be), newest first.
    pub removed: Vec<Session>,
    /// Old enough, but kept because they are running (leased, or a container runs).
    pub kept_running: Vec<Session>,
    /// Old enough and never finalized, but kept because the container probe could not tell
    /// whether they run.
    pub kept_unknown: Vec<Session>,
    /// The listing's unreadable records, which are never removed.
    pub skipped: Vec<Skipped>,
}

impl SessionStore {
    /// The state of session `id` (see [`State`]): one lease probe (a non-blocking lock attempt,
    /// released at once), and for an unleased, unfinalized session one container probe.
    ///
    /// # Errors
    /// As for [`get`](Self::get).
    pub fn state(&self, id: &SessionId) -> Result<State> {
        let session = self.get(id)?;
        Ok(self.states(std::slice::from_ref(&session))[0])
    }

    /// The state of each of `sessions` (in their order), with one container probe for all of
    /// them: what `outrig-sessions ls` shows. A session that can no longer be opened (removed
    /// meanwhile) is `Unknown`.
    pub fn states(&self, sessions: &[Session]) -> Vec<State> {
        let mut states = vec![State::Unknown; sessions.len()];
        let open: Vec<usize> = (0..sessions.len())
            .filter(|&i| sessions[i].ended_at.is_none())
            .collect();
        for (i, s) in sessions.iter().enumerate() {
            if s.ended_at.is_some() {
                states[i] = State::Finished;
            }
        }
        let Ok(root) = self.open_root() else {
            return states;
        };
        let mut unleased = Vec::new();
        for (i, held) in open.iter().zip(probe_leases(&root, sessions, &open)) {
            match held {
                Some(true) => states[*i] = State::Running,
                Some(false) => unleased.push(*i),
                None => {}
            }
        }
        if unleased.is_empty() {
            return states;
        }
        let names: Vec<String> = unleased
            .iter()
            .flat_map(|&i| container_names(&sessions[i]))
            .collect();
        let running = self.probe.running(&names);
        for i in unleased {
            states[i] = match &running {
                None => State::Unknown,
                Some(up) if container_names(&sessions[i]).any(|n| up.contains(&n)) => {
                    State::Running
                }
                Some(_) => State::Abandoned,
            };
        }
        states
    }

    /// Removes what `outrig clean` removes: `Finished` sessions that ended before `before`,
    /// and `Abandoned` ones that started before it. `Running` and `Unknown` sessions stay (the
    /// result names them), and so do unreadable records. Each removal is
    /// [`remove`](Self::remove), so files a user added to a session directory are kept; a
    /// session removed meanwhile by another process is left out of the result, one leased
    /// meanwhile is kept as running.
    ///
    /// # Errors
    /// The first error of the listing or of a removal; sessions removed before it stay removed.
    pub fn clean(&self, before: SystemTime, mode: CleanMode) -> Result<Cleaning> {
        let listing = self.list()?;
        let mut done = self.clean_sessions(listing.sessions, before, mode)?;
        done.skipped = listing.skipped;
        Ok(done)
    }

    /// [`clean`](Self::clean) with the cutoff given as an age (`outrig clean --older-than`).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`] when `older_than` reaches before any time the clock can
    /// represent; otherwise as for `clean`.
    pub fn clean_older_than(&self, older_than: Duration, mode: CleanMode) -> Result<Cleaning> {
        self.clean(cutoff(older_than)?, mode)
    }

    /// Cleans session `id` alone, whatever its age (`outrig-sessions clean --session`): removed
    /// when `Finished` or `Abandoned`, kept (and named in the result) otherwise.
    ///
    /// # Errors
    /// As for [`get`](Self::get) and [`remove`](Self::remove).
    pub fn clean_session(&self, id: &SessionId, mode: CleanMode) -> Result<Cleaning> {
        let session = self.get(id)?;
        self.clean_sessions(vec![session], far_future(), mode)
    }

    /// Cleans session `id` alone, as `outrig clean --session ID` does: by its exact id, and
    /// only when [`clean_older_than`](Self::clean_older_than) would take it (`Finished` and
    /// ended, or `Abandoned` and started, more than `older_than` ago). A session too young is
    /// left out of the result; a running or unknown one is kept and named.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`] for an age the clock cannot reach back; otherwise as for
    /// [`get`](Self::get) and [`remove`](Self::remove).
    pub fn clean_session_older_than(
        &self,
        id: &SessionId,
        older_than: Duration,
        mode: CleanMode,
    ) -> Result<Cleaning> {
        let before = cutoff(older_than)?;
        let session = self.get(id)?;
        self.clean_sessions(vec![session], before, mode)
    }

    fn clean_sessions(
        &self,
        sessions: Vec<Session>,
        before: SystemTime,
        mode: CleanMode,
    ) -> Result<Cleaning> {
        let old: Vec<Session> = sessions
            .into_iter()
            .filter(|s| s.ended_at.unwrap_or(s.started_at) < before)
            .collect();
        let states = self.states(&old);
        let mut done = Cleaning::default();
        for (session, state) in old.into_iter().zip(states) {
            match state {
                State::Running => done.kept_running.push(session),
                State::Unknown => done.kept_unknown.push(session),
                State::Finished | State::Abandoned => {
                    if mode == CleanMode::Remove {
                        match self.remove_asking(&session.id, false) {
                            Ok(_) => {}
                            Err(e) if e.kind() == ErrorKind::NotFound => continue,
                            Err(e) if e.kind() == ErrorKind::Busy => {
                                done.kept_running.push(session);
                                continue;
                            }
                            Err(e) => return Err(e),
                        }
                    }
                    done.removed.push(session);
                }
            }
        }
        Ok(done)
    }
}

/// The names of a session's containers: the agent's and its sidecars'.
fn container_names(s: &Session) -> impl Iterator<Item = String> + '_ {
    std::iter::once(s.container_name.clone()).chain(s.sidecar_container_names.iter().cloned())
}

/// The time `older_than` ago.
fn cutoff(older_than: Duration) -> Result<SystemTime> {
    SystemTime::now().checked_sub(older_than).ok_or_else(|| {
        Error::invalid(format!(
            "an age of {} seconds reaches before any time a record can hold; pass a smaller age",
            older_than.as_secs()
        ))
    })
}

/// A cutoff after every start and end time.
fn far_future() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(400 * 366 * 86_400 * 1000)
}

/// Below this many probes they run on the calling thread: spawning costs more than it saves.
const PARALLEL_PROBES: usize = 256;

/// [`lease_held`] for `sessions[i]` of each `i` in `which`, in that order, spread over the
/// cores when there are many; `None` where the directory could not be opened.
fn probe_leases(root: &OwnedFd, sessions: &[Session], which: &[usize]) -> Vec<Option<bool>> {
    let probe = |chunk: &[usize]| -> Vec<Option<bool>> {
        chunk
            .iter()
            .map(|&i| lease_held(root, &sessions[i].id).ok())
            .collect()
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if threads == 1 || which.len() < PARALLEL_PROBES {
        return probe(which);
    }
    let chunk_len = which.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let workers: Vec<_> = which
            .chunks(chunk_len)
            .map(|chunk| scope.spawn(move || probe(chunk)))
            .collect();
        workers
            .into_iter()
            .flat_map(|w| {
                w.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    })
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
