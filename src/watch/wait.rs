//! Waiting for one session to end: [`SessionStore::wait`] and [`Waiter`].

use std::collections::HashSet;
use std::os::fd::{AsFd, BorrowedFd};
use std::time::{Duration, Instant};

use super::engine::{Engine, Life, Scope};
use crate::error::Result;
use crate::id::SessionId;
use crate::record::Session;
use crate::state::State;
use crate::store::SessionStore;

/// How a wait for a session ended.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum WaitOutcome {
    /// It was finalized: the record, with its exit code.
    Finished(Session),
    /// Its launcher's lease ended without a finalize and no container of it runs.
    Abandoned(Session),
    /// It was removed (or there was no such session).
    Removed,
    /// The timeout passed while it was still running (or its state could not be told).
    TimedOut,
}

impl WaitOutcome {
    /// The state it ended in: `Finished` or `Abandoned`; `None` for `Removed` and `TimedOut`.
    pub fn state(&self) -> Option<State> {
        match self {
            WaitOutcome::Finished(_) => Some(State::Finished),
            WaitOutcome::Abandoned(_) => Some(State::Abandoned),
            WaitOutcome::Removed | WaitOutcome::TimedOut => None,
        }
    }

    /// The finalized session's exit code (`Finished` only).
    pub fn exit_code(&self) -> Option<i32> {
        match self {
            WaitOutcome::Finished(s) => s.exit_code,
            _ => None,
        }
    }

    /// The record it ended with (`Finished` and `Abandoned`).
    pub fn session(&self) -> Option<&Session> {
        match self {
            WaitOutcome::Finished(s) | WaitOutcome::Abandoned(s) => Some(s),
            _ => None,
        }
    }
}

/// A wait for one session, which may be resumed: each [`wait`](Self::wait) returns
/// [`WaitOutcome::TimedOut`] when its timeout passes, and the next call goes on from there.
/// For callers that wait in slices (to look at their own flags between them) or poll the
/// descriptor [`AsFd`] gives.
///
/// It watches the root and the session's directory only (two inotify watches, three
/// descriptors) and asks the session's life as [`SessionStore::state`] does: at once, when
/// its directory is closed (its launcher may have died), when its record is written, and
/// every [`RECHECK_INTERVAL`](super::RECHECK_INTERVAL) while it runs or its state is
/// [`Unknown`](State::Unknown) (not an end: the wait goes on).
pub struct Waiter {
    id: SessionId,
    pub(super) engine: Engine,
}

impl std::fmt::Debug for Waiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Waiter")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl SessionStore {
    /// Waits until session `id` is no longer running, at most `timeout` (`None`: as long as it
    /// takes), and says how it ended: finalized (with its exit code), abandoned, removed (also
    /// when there is no such session), or still running when the timeout passed. Returns at
    /// once for a session that already ended. See [`Waiter`] for how it is told; it does not
    /// poll.
    ///
    /// ```no_run
    /// # fn main() -> outrig::Result<()> {
    /// use outrig::{SessionId, SessionStore, WaitOutcome};
    /// use std::time::Duration;
    /// let store = SessionStore::resolve(None, None)?;
    /// let id = SessionId::parse("20260501T141907-a3f2")?;
    /// match store.wait(&id, Some(Duration::from_secs(60)))? {
    ///     WaitOutcome::Finished(s) => println!("exit code {:?}", s.exit_code),
    ///     WaitOutcome::Abandoned(_) => println!("its launcher died"),
    ///     WaitOutcome::Removed => println!("removed"),
    ///     WaitOutcome::TimedOut => println!("still running"),
    ///     _ => {}
    /// }
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`ErrorKind::Io`](crate::ErrorKind::Io) when the kernel refuses the watches or the
    /// notifications cannot be read.
    pub fn wait(&self, id: &SessionId, timeout: Option<Duration>) -> Result<WaitOutcome> {
        self.waiter(id)?.wait(timeout)
    }

    /// A resumable wait for session `id` (see [`Waiter`]); the session's state is asked once
    /// now.
    ///
    /// # Errors
    /// As for [`wait`](Self::wait).
    pub fn waiter(&self, id: &SessionId) -> Result<Waiter> {
        let scope = Scope::Ids(HashSet::from([id.as_str().to_owned()]));
        Ok(Waiter {
            id: id.clone(),
            engine: Engine::new(self.clone(), scope, None)?,
        })
    }
}

impl Waiter {
    /// The session waited for.
    pub fn id(&self) -> &SessionId {
        &self.id
    }

    /// How the session ended, if it has: `None` while it runs (or is `Unknown`).
    pub fn outcome(&self) -> Option<WaitOutcome> {
        match self.engine.life(self.id.as_str()) {
            None => Some(WaitOutcome::Removed),
            Some((Life::Finished, s)) => Some(WaitOutcome::Finished(s.clone())),
            Some((Life::Abandoned, s)) => Some(WaitOutcome::Abandoned(s.clone())),
            Some((Life::Running | Life::Unknown, _)) => None,
        }
    }

    /// Waits until the session ends or `timeout` passes (`None`: as long as it takes), then
    /// says how it ended; [`WaitOutcome::TimedOut`] when the time passed and it still runs.
    ///
    /// # Errors
    /// As for [`SessionStore::wait`].
    pub fn wait(&mut self, timeout: Option<Duration>) -> Result<WaitOutcome> {
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        loop {
            if let Some(outcome) = self.outcome() {
                return Ok(outcome);
            }
            // Past the deadline, the work that is due is still done (without sleeping): a zero
            // timeout asks "has it ended by now?".
            let passed = deadline.is_some_and(|d| d <= Instant::now());
            // Events are taken in by the engine; a signal only ends this sleep early.
            self.engine.next(deadline)?;
            if passed {
                return Ok(self.outcome().unwrap_or(WaitOutcome::TimedOut));
            }
        }
    }
}

/// The descriptor to poll: readable when [`Waiter::wait`] with a zero timeout has work to do.
impl AsFd for Waiter {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.engine.as_fd()
    }
}
