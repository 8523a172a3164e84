//! Sessions' states, and `clean`: removing what ended (or was abandoned) long enough ago.
//! The verdict itself is in `verdict.rs`.

use std::path::Path;
use std::time::{Duration, SystemTime};

use super::remove::Check;
use super::verdict::removal_blocker;
use super::{Removal, SessionStore, Skipped};
use crate::error::{Error, ErrorKind, Result};
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
    /// What each removal did, in the order of [`removed`](Self::removed) (empty with
    /// [`CleanMode::DryRun`]): the directory, and the names kept in it.
    pub removals: Vec<Removal>,
    /// Old enough, but kept because they run: leased, or a container of theirs runs (for a
    /// finalized session, its primary container: an attached session's borrowed container
    /// runs on after it ends, and outrig keeps such a session too).
    pub kept_running: Vec<Session>,
    /// Old enough, but kept because the container probe could not tell whether their
    /// containers run ([`unknown_reason`](Self::unknown_reason) says why).
    pub kept_unknown: Vec<Session>,
    /// Old enough and not running, but their removal failed (a directory another user owns,
    /// a disk error): every other session was still cleaned.
    pub failed: Vec<CleanFailure>,
    /// Why the container probe could not tell, when it failed.
    pub unknown_reason: Option<String>,
    /// The listing's unreadable records, which are never removed.
    pub skipped: Vec<Skipped>,
}

/// A session [`SessionStore::clean`] meant to remove and could not.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct CleanFailure {
    /// The session, as it was listed.
    pub session: Session,
    /// What kind of error its removal met.
    pub kind: ErrorKind,
    /// The error's message (it names the path and says what to do).
    pub message: String,
    /// The operating-system error number behind it, when there is one (as
    /// [`Error::os_error`](crate::Error::os_error)).
    pub os_error: Option<i32>,
    /// The path the operating system refused, when there is one (as
    /// [`Error::path`](crate::Error::path)).
    pub path: Option<std::path::PathBuf>,
}

impl Cleaning {
    /// The one error for a clean that must fail as a whole when a removal failed (C's
    /// `outrig_store_clean`, Python's `clean`): the first failure's kind, OS error number and
    /// path, with a message that says how many removals failed and quotes the first. `None`
    /// when none failed.
    pub fn first_failure(&self) -> Option<Error> {
        let first = self.failed.first()?;
        let message = format!(
            "{} of the sessions to clean could not be removed (every other one was); the \
             first: {}",
            self.failed.len(),
            first.message
        );
        Some(
            Error::new(first.kind, message)
                .with_os_error(first.os_error)
                .with_path(first.path.clone()),
        )
    }
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
    /// meanwhile) is `Unknown`. [`liveness`](Self::liveness) also says why unknown ones are.
    pub fn states(&self, sessions: &[Session]) -> Vec<State> {
        self.liveness(sessions).states
    }

    /// Removes what `outrig clean` removes: `Finished` sessions that ended before `before`,
    /// and `Abandoned` ones that started before it, unless a container of theirs runs (a
    /// finalized session's primary container, as outrig checks). `Running` and `Unknown`
    /// sessions stay, and so does a finalized one when the probe could not tell (the result
    /// names them all), and so do unreadable records. Each removal locks the session and
    /// decides again from its record then, as [`remove`](Self::remove) does, so files a user
    /// added stay; a session removed meanwhile by another process is left out of the result,
    /// one leased meanwhile is kept as running.
    ///
    /// A session whose removal fails (a directory another user owns) does not stop the clean:
    /// every other one is still removed, and the failures are in [`Cleaning::failed`].
    ///
    /// # Errors
    /// Only when the root cannot be listed; a removal's error is reported in the result.
    pub fn clean(&self, before: SystemTime, mode: CleanMode) -> Result<Cleaning> {
        let listing = self.list()?;
        let mut done = self.clean_sessions(listing.sessions, before, mode);
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

    /// Cleans session `id` alone, whatever its age: removed when `clean` would remove it were
    /// it old enough, kept (and named in the result) otherwise.
    ///
    /// # Errors
    /// As for [`get`](Self::get); a failed removal is in [`Cleaning::failed`].
    pub fn clean_session(&self, id: &SessionId, mode: CleanMode) -> Result<Cleaning> {
        let session = self.get(id)?;
        Ok(self.clean_sessions(vec![session], far_future(), mode))
    }

    /// Cleans session `id` alone, as `outrig clean --session ID` does: by its exact id, and
    /// only when [`clean_older_than`](Self::clean_older_than) would take it (`Finished` and
    /// ended, or `Abandoned` and started, more than `older_than` ago). A session too young is
    /// left out of the result; a running or unknown one is kept and named.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`] for an age the clock cannot reach back; otherwise as for
    /// [`get`](Self::get); a failed removal is in [`Cleaning::failed`].
    pub fn clean_session_older_than(
        &self,
        id: &SessionId,
        older_than: Duration,
        mode: CleanMode,
    ) -> Result<Cleaning> {
        let before = cutoff(older_than)?;
        let session = self.get(id)?;
        Ok(self.clean_sessions(vec![session], before, mode))
    }

    fn clean_sessions(
        &self,
        sessions: Vec<Session>,
        before: SystemTime,
        mode: CleanMode,
    ) -> Cleaning {
        let old: Vec<Session> = sessions
            .into_iter()
            .filter(|s| s.ended_at.unwrap_or(s.started_at) < before)
            .collect();
        let judged = self.judge(&old, true);
        let mut done = Cleaning {
            unknown_reason: match &judged.answer {
                Some(Err(why)) => Some(why.reason().to_owned()),
                _ => None,
            },
            ..Cleaning::default()
        };
        for (session, state) in old.into_iter().zip(judged.states) {
            match state {
                State::Running => done.kept_running.push(session),
                State::Unknown => done.kept_unknown.push(session),
                State::Finished | State::Abandoned => {
                    if removal_blocker(&session, &judged.answer, &self.probe).is_some() {
                        match &judged.answer {
                            Some(Err(_)) => done.kept_unknown.push(session),
                            _ => done.kept_running.push(session),
                        }
                        continue;
                    }
                    if mode == CleanMode::Remove {
                        let check = Check::Judged {
                            session: &session,
                            answer: &judged.answer,
                        };
                        match self.remove_checked(&session.id, check) {
                            Ok(removal) => done.removals.push(removal),
                            Err(e) if e.kind() == ErrorKind::NotFound => continue,
                            Err(e) if e.kind() == ErrorKind::Busy => {
                                done.kept_running.push(session);
                                continue;
                            }
                            Err(e) => {
                                done.failed.push(CleanFailure {
                                    kind: e.kind(),
                                    message: e.message().to_owned(),
                                    os_error: e.os_error(),
                                    path: e.path().map(Path::to_path_buf),
                                    session,
                                });
                                continue;
                            }
                        }
                    }
                    done.removed.push(session);
                }
            }
        }
        done
    }
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
