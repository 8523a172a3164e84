//! Waiting for a session and watching a root: the moment a session is created, updated,
//! finalized, abandoned or removed, from the kernel's file-change notifications (inotify),
//! without polling.
//!
//! How they are seen, and what it costs, is told on [`Watcher`].

mod engine;
mod notify;
mod wait;

use std::fmt;
use std::os::fd::{AsFd, BorrowedFd};
use std::time::{Duration, Instant};

use crate::error::Result;
use crate::id::SessionId;
use crate::record::Session;
use crate::store::SessionStore;
// Named in the documentation's links.
#[cfg(doc)]
use crate::state::State;

pub use wait::{WaitOutcome, Waiter};

/// How often a watcher asks again about sessions that are neither finalized nor abandoned
/// (see the module documentation): 2 s.
pub const RECHECK_INTERVAL: Duration = Duration::from_secs(2);

/// How often a watcher lists the root on a filesystem whose changes inotify cannot see (NFS,
/// CephFS, ...): 1 s.
pub const POLL_INTERVAL: Duration = Duration::from_secs(1);

/// How long after a lease probe made because of another process's change the watcher asks
/// once more: 50 ms.
pub const LEASE_CONFIRM: Duration = Duration::from_millis(50);

/// What happened to a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EventKind {
    /// A session appeared (its record was written).
    Created,
    /// Its record changed without ending it (sidecar containers set, a field rewritten).
    Updated,
    /// It was finalized: its record has an end time and an exit code.
    Finalized,
    /// Its launcher's lease ended without a finalize and no container of it runs.
    Abandoned,
    /// Its record (or its whole entry) was removed.
    Removed,
}

impl EventKind {
    /// Every kind, in a fixed order (the C and Python mappings are checked against it).
    pub const ALL: [EventKind; 5] = [
        EventKind::Created,
        EventKind::Updated,
        EventKind::Finalized,
        EventKind::Abandoned,
        EventKind::Removed,
    ];

    /// A short, stable, lowercase name: `"created"`, `"updated"`, `"finalized"`,
    /// `"abandoned"`, `"removed"`.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Created => "created",
            EventKind::Updated => "updated",
            EventKind::Finalized => "finalized",
            EventKind::Abandoned => "abandoned",
            EventKind::Removed => "removed",
        }
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One change of one session. A session's events come in the order its changes happened:
/// `Created`, then `Updated`s, `Abandoned` and `Finalized` as they came, then `Removed`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Event {
    /// What happened.
    pub kind: EventKind,
    /// The session it happened to.
    pub id: SessionId,
    /// The record as read after the change; `None` for [`EventKind::Removed`].
    pub session: Option<Session>,
}

/// Where a watcher's events come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum WatchSource {
    /// The kernel's file-change notifications (inotify).
    Notify,
    /// Listing the root at this interval (a filesystem whose changes inotify cannot see).
    Poll(Duration),
}

/// The changes of the sessions under one root, as they happen.
///
/// Events describe changes after [`SessionStore::watch`] returned; list the root for what was
/// there before. As an [`Iterator`] it blocks until the next event (and never ends); use
/// [`next_timeout`](Self::next_timeout) to bound the wait, or poll the descriptor [`AsFd`]
/// gives (readable when [`try_next`](Self::try_next) has work to do) in a loop of your own.
///
/// # How a change is seen
///
/// - The root is watched for entries made, renamed in or out, and deleted: a new session, a
///   removed one.
/// - Each session directory that is not finalized is watched for its record renamed into
///   place (outrig and this library write `session.json` by renaming a temporary file over
///   it), written in place or deleted (a create, an update, a finalize, a removal), and for
///   the directory itself being closed by any process (`IN_CLOSE_WRITE`/`IN_CLOSE_NOWRITE`
///   without a name). A launcher's lease is its open, locked directory: when the launcher
///   dies, the kernel closes that descriptor, and the close is the moment to ask the lease
///   again. So an abandoned session is seen when its launcher dies, not at the next poll.
/// - Every question about a session's life goes to [`SessionStore::state`]'s rules
///   ([`SessionStore::states`]): the watcher never judges liveness itself.
///
/// Every lease probe, this watcher's or any other process's, opens and closes the session
/// directory too, and so does a read of its record by id. The directory is watched for its
/// opens (`IN_OPEN`) as well, and a close is asked about only when it has no open seen
/// before it: the close of a descriptor opened before the watch began, as a launcher's lease
/// is. So watchers of one session do not wake one another with their probes (asked about,
/// each probe would make every other watcher probe, without end). A probe made because of
/// someone else's close is confirmed once, [`LEASE_CONFIRM`] later (a dying process's close
/// can be reported a moment before its lock is dropped); when notifications were lost (the
/// kernel's queue overflowed), every close is asked about until opens and closes pair again.
///
/// # What is asked again on a clock
///
/// Some ends leave no trace on disk: a container of an unleased session (outrig `run`) that
/// stops, a container probe that could not tell ([`State::Unknown`]). Every session that is
/// not finalized and not abandoned is asked again every [`RECHECK_INTERVAL`] (one
/// non-blocking lock attempt each, and one container probe for those no lease holds). An
/// `Unknown` session is not an end: waiting goes on, and the probe is re-asked at that
/// interval.
///
/// # What it costs
///
/// Three descriptors (an inotify instance, a timer and the epoll instance [`Watcher`]'s
/// [`AsFd`] gives), and `1 + n` inotify watches, `n` being the session directories of the
/// root that are not finalized (running, unknown, abandoned, or not yet holding a record).
/// Finalized sessions cost no watch: their removal is seen on the root (a removal that keeps
/// files a user added to a real session directory leaves that directory in place, and is seen
/// at the next listing of the root: a queue overflow, or on a polling watcher), and so is
/// nothing else that happens to them after their finalize. When the kernel's
/// `fs.inotify.max_user_watches` is reached, watching fails with an error that names the
/// limit; nothing is missed silently.
///
/// # Lost notifications
///
/// When the kernel's queue of notifications overflows (`IN_Q_OVERFLOW`, after
/// `fs.inotify.max_queued_events` unread), the watcher lists the root again and reports the
/// difference from what it knew as events: a finalize is never missed. Changes that came and
/// went entirely within the lost stretch (a session created and removed) are not seen.
///
/// # Filesystems that do not notify
///
/// On network and cluster filesystems (NFS, CephFS, SMB/CIFS, 9P, FUSE, AFS, Lustre, GPFS,
/// OCFS2, GFS2, as `statfs` reports them) inotify does not see other machines' writes, so the
/// watcher lists the root every [`POLL_INTERVAL`] instead, and [`Watcher::description`] says
/// so.
pub struct Watcher {
    engine: engine::Engine,
}

impl fmt::Debug for Watcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Watcher")
            .field("root", &self.engine.store().root())
            .field("source", &self.source())
            .finish_non_exhaustive()
    }
}

impl SessionStore {
    /// Watches the whole root (see [`Watcher`]). On a network filesystem it polls every
    /// [`POLL_INTERVAL`]. A missing root is watched for its appearance (at that interval).
    ///
    /// # Errors
    /// [`ErrorKind::Io`](crate::ErrorKind::Io) when the kernel refuses a watch (its limits
    /// are named) or the root cannot be listed.
    pub fn watch(&self) -> Result<Watcher> {
        Ok(Watcher {
            engine: engine::Engine::new(self.clone(), engine::Scope::Root, None)?,
        })
    }

    /// Watches the whole root by listing it every `interval`, whatever the filesystem: for a
    /// filesystem whose remote changes the automatic detection does not recognize.
    ///
    /// # Errors
    /// As for [`watch`](Self::watch); [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument)
    /// for a zero interval.
    pub fn watch_polling(&self, interval: Duration) -> Result<Watcher> {
        if interval.is_zero() {
            return Err(crate::error::Error::invalid(
                "a polling interval of zero would never sleep; pass a positive interval",
            ));
        }
        Ok(Watcher {
            engine: engine::Engine::new(self.clone(), engine::Scope::Root, Some(interval))?,
        })
    }
}

impl Watcher {
    /// The next event, waiting at most `timeout` (`None`: as long as it takes); `Ok(None)`
    /// when the time passed without one. A signal may end the wait early too (`Ok(None)`),
    /// so a caller can look at its own flags.
    ///
    /// # Errors
    /// [`ErrorKind::Io`](crate::ErrorKind::Io) when the notifications cannot be read or a
    /// new session directory cannot be watched (the kernel's limit is named).
    pub fn next_timeout(&mut self, timeout: Option<Duration>) -> Result<Option<Event>> {
        // A timeout too long for the clock is no timeout.
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        self.engine.next(deadline)
    }

    /// The next event if one is ready (doing the work that is due), without waiting.
    ///
    /// # Errors
    /// As for [`next_timeout`](Self::next_timeout).
    pub fn try_next(&mut self) -> Result<Option<Event>> {
        self.engine.next(Some(Instant::now()))
    }

    /// Where the events come from.
    pub fn source(&self) -> WatchSource {
        self.engine.source()
    }

    /// Where the events come from, in words for a person (says when the watcher polls, and
    /// why).
    pub fn description(&self) -> String {
        self.engine.description()
    }

    /// How many times the kernel's queue of notifications overflowed, each time followed by a
    /// listing of the root whose differences were reported as events.
    pub fn overflows(&self) -> u64 {
        self.engine.overflows()
    }

    /// The number of inotify watches held now (the root's and the unfinished sessions').
    pub fn watch_count(&self) -> usize {
        self.engine.watch_count()
    }
}

impl Iterator for Watcher {
    type Item = Result<Event>;

    /// Blocks until the next event; never returns `None`.
    fn next(&mut self) -> Option<Result<Event>> {
        loop {
            match self.engine.next(None) {
                Ok(Some(e)) => return Some(Ok(e)),
                Ok(None) => {}
                Err(e) => return Some(Err(e)),
            }
        }
    }
}

/// The descriptor to poll for readability: ready when the watcher has notifications to read or
/// a recheck is due. Call [`try_next`](Watcher::try_next) until it returns `Ok(None)` each
/// time it is ready.
impl AsFd for Watcher {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.engine.as_fd()
    }
}
