//! Leases: the lock a launcher holds on its session for as long as the session runs.
//!
//! A lease is the exclusive `flock` on the session directory that `outrig run-new` holds for
//! its whole run. `create` takes it on the new directory before the record appears, so nobody
//! ever sees a fresh record without its lease, and hands it out in a [`LiveSession`]. It ends
//! when the session is finalized, when the `LiveSession` is dropped (without finalizing), or
//! when the process dies (the kernel drops the lock).
//!
//! Other processes find the lock taken: their updates and removals wait the store's short
//! bound and fail with [`ErrorKind::Busy`](crate::ErrorKind::Busy), and probes report the
//! session `RUNNING`. In the holding process a second `flock` on another descriptor would wait
//! for the lease itself, so the leases of this process are kept in a registry, by directory
//! identity: an update or removal by id that reaches a leased directory goes through the lease
//! (one at a time, in-process) instead of locking again.
//!
//! **A lease belongs to the process that took it.** `fork` shares the locked open directory
//! with the child, and `flock`'s unlock acts on that shared description: a child that
//! released or dropped its copy of the handle would end its parent's lease. So a lease records
//! its owner (pid and start time: a later process given a dead owner's pid is not it), and in
//! any other process the handle holds no lease: releasing or dropping it there touches neither
//! the lock nor the record, and the registry the child inherited finds nothing, so the child's
//! updates and removals by id lock like any other process's (and get `Busy` while the owner
//! runs).

use std::collections::HashMap;
use std::ops::Deref;
use std::os::fd::{AsFd, BorrowedFd};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant, SystemTime};

use rustix::fs::{FlockOperation, flock};

use super::SessionStore;
use super::session_dir::{SessionDir, busy_message};
use crate::error::{Error, ErrorKind, Result};
use crate::record::Session;

/// A directory's identity: device and inode numbers.
pub(crate) type DirKey = (u64, u64);

/// The leases this process holds, by directory. Weak: a lease leaves when its holder drops it.
static REGISTRY: Mutex<Option<HashMap<DirKey, Weak<Lease>>>> = Mutex::new(None);

fn registry() -> MutexGuard<'static, Option<HashMap<DirKey, Weak<Lease>>>> {
    // The map stays consistent whatever panicked while holding it: every change is one call.
    REGISTRY.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A process, as the owner of a lease: its pid, and its start time (clock ticks after boot,
/// from `/proc/self/stat`). The pid alone does not do: when the owner dies while a fork child
/// keeps the lease's descriptor (so the lock stays held), a process forked later may be given
/// the dead owner's pid, and would take itself for the owner. Where `/proc` cannot be read,
/// the pid alone decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Owner {
    pid: u32,
    started: Option<u64>,
}

impl Owner {
    /// This process.
    fn current() -> Owner {
        Owner {
            pid: std::process::id(),
            started: start_time(),
        }
    }

    /// Whether this process is `self`.
    fn is_current(&self) -> bool {
        if self.pid != std::process::id() {
            return false;
        }
        match (self.started, start_time()) {
            (Some(then), Some(now)) => then == now,
            // No start time to compare: the pid decides, as before /proc was asked.
            _ => true,
        }
    }
}

/// This process's start time, field 22 of `/proc/self/stat` (counted after the command
/// name's closing parenthesis, as the name may hold spaces and parentheses).
fn start_time() -> Option<u64> {
    let stat = std::fs::read("/proc/self/stat").ok()?;
    let after = &stat[stat.iter().rposition(|&b| b == b')')? + 1..];
    std::str::from_utf8(after)
        .ok()?
        .split_ascii_whitespace()
        .nth(22 - 3)?
        .parse()
        .ok()
}

/// One held lease: the locked directory, and the in-process turn for updates through it.
pub(crate) struct Lease {
    dir: SessionDir,
    key: DirKey,
    /// The process that took the lease: the only one in which it is held.
    owner: Owner,
    /// Whether an update or removal through the lease is under way (one at a time).
    busy: Mutex<LeaseState>,
    turn: Condvar,
}

#[derive(Default)]
struct LeaseState {
    in_use: bool,
    released: bool,
}

impl Lease {
    /// Registers `dir`, whose lock the caller holds, as a lease of this process.
    fn register(dir: SessionDir) -> Result<Arc<Lease>> {
        let key = dir.identity()?;
        let lease = Arc::new(Lease {
            dir,
            key,
            owner: Owner::current(),
            busy: Mutex::new(LeaseState::default()),
            turn: Condvar::new(),
        });
        registry()
            .get_or_insert_with(HashMap::new)
            .insert(key, Arc::downgrade(&lease));
        Ok(lease)
    }

    /// The lease this process holds on the directory `key`, if any (a registry inherited
    /// through `fork` finds none: those leases are the parent's).
    pub(crate) fn find(key: DirKey) -> Option<Arc<Lease>> {
        let found = registry().as_ref()?.get(&key)?.upgrade()?;
        found.is_held().then_some(found)
    }

    /// Whether the lease is held: not released, and this is the process that took it.
    fn is_held(&self) -> bool {
        self.owner.is_current() && !self.state().released
    }

    fn state(&self) -> MutexGuard<'_, LeaseState> {
        self.busy.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits (at most `wait`) for this process's turn at the leased session, and returns it;
    /// `None` when the lease ended meanwhile (the caller then locks as anyone else does).
    pub(crate) fn enter(self: &Arc<Self>, wait: Duration) -> Result<Option<LeaseTurn>> {
        let deadline = Instant::now() + wait;
        let mut state = self.state();
        while state.in_use {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(Error::new(
                    ErrorKind::Busy,
                    busy_message(&self.dir.id, &self.dir.path),
                ));
            }
            state = self
                .turn
                .wait_timeout(state, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        if state.released || !self.owner.is_current() {
            return Ok(None);
        }
        state.in_use = true;
        Ok(Some(LeaseTurn(self.clone())))
    }

    /// Ends the lease: unlocks the directory and leaves the registry. Idempotent. In any
    /// process but the owner it does nothing: the lock there is the owner's.
    fn release(&self) {
        if !self.owner.is_current() {
            return;
        }
        let mut state = self.state();
        if state.released {
            return;
        }
        state.released = true;
        drop(state);
        let _ = flock(self.dir.fd(), FlockOperation::Unlock);
        self.unregister();
    }

    fn unregister(&self) {
        let mut registry = registry();
        if let Some(map) = registry.as_mut()
            && map
                .get(&self.key)
                .is_some_and(|w| std::ptr::eq(w.as_ptr(), self))
        {
            map.remove(&self.key);
        }
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        // Closing the descriptor (with `dir`) releases the lock itself.
        self.unregister();
    }
}

/// This process's turn at a leased session: updates and removals by id go through it one at a
/// time. Ends when dropped.
pub(crate) struct LeaseTurn(Arc<Lease>);

impl LeaseTurn {
    /// Ends the lease itself (the session was finalized or removed).
    pub(crate) fn release_lease(&self) {
        self.0.release();
    }
}

impl Drop for LeaseTurn {
    fn drop(&mut self) {
        self.0.state().in_use = false;
        self.0.turn.notify_one();
    }
}

/// A session this process created and is running: the record as written, and the session's
/// lease.
///
/// The lease is the exclusive `flock` on the session directory that `outrig run-new` holds for
/// its whole run, taken before the record appeared. While it is held, other processes' updates
/// and removals of the session fail with [`ErrorKind::Busy`](crate::ErrorKind::Busy) after the
/// store's short wait, and they see the session [`State::Running`](crate::State::Running).
/// This process's own updates and removals by id go through the lease.
///
/// It offers every field of [`Session`] (it dereferences to one). Finalize the session through
/// it ([`finalize`](Self::finalize)) or by id with [`SessionStore::finalize`] from this process:
/// both end the lease. Dropping it without finalizing ends the lease and leaves the session
/// unfinalized: once nothing else runs it, it is `ABANDONED` and `clean` can remove it.
///
/// ```no_run
/// # fn main() -> outrig::Result<()> {
/// use outrig::{NewSession, SessionStore};
/// let store = SessionStore::resolve(None, None)?;
/// let mut live = store.create(&NewSession::new("c", "img:1", "/work"))?;
/// println!("running {}", live.id); // a Session's fields
/// let done = live.finalize_now(0)?;
/// assert_eq!(done.exit_code, Some(0));
/// # Ok(())
/// # }
/// ```
pub struct LiveSession {
    session: Session,
    lease: Arc<Lease>,
    /// The store that made it, for what the handle does once its lease has ended.
    store: SessionStore,
}

impl std::fmt::Debug for LiveSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveSession")
            .field("session", &self.session)
            .field("leased", &self.is_leased())
            .finish()
    }
}

impl Deref for LiveSession {
    type Target = Session;
    fn deref(&self) -> &Session {
        &self.session
    }
}

/// A live session equals the record it holds.
impl PartialEq<Session> for LiveSession {
    fn eq(&self, other: &Session) -> bool {
        self.session == *other
    }
}

/// A record equals a live session that holds the same.
impl PartialEq<LiveSession> for Session {
    fn eq(&self, other: &LiveSession) -> bool {
        *self == other.session
    }
}

impl LiveSession {
    /// Registers the lease `create` took on `dir` and wraps the new record.
    pub(crate) fn new(session: Session, dir: SessionDir, store: &SessionStore) -> Result<Self> {
        Ok(Self {
            session,
            lease: Lease::register(dir)?,
            store: store.clone(),
        })
    }

    /// The record as last written through this handle.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The record, giving up the lease (without finalizing).
    pub fn into_session(self) -> Session {
        self.lease.release();
        self.session.clone()
    }

    /// Whether the lease is still held: `false` once the session was finalized or removed
    /// (through this handle or by id from this process), released, and in any process but the
    /// one that created the session (a `fork` child).
    pub fn is_leased(&self) -> bool {
        self.lease.is_held()
    }

    /// The session directory's descriptor, which holds the lease. It is close-on-exec; a
    /// launcher that `exec`s into the agent and wants the lease to last until that program
    /// exits clears `FD_CLOEXEC` on it (the lock belongs to the open directory, so it lives as
    /// long as any process keeps it open). The program it execs then holds the lock, but not a
    /// lease of this library: it finalizes by id like any other process, so it should close
    /// that descriptor first (or finalize through the launcher). A launcher that daemonizes
    /// (forks and lets the parent exit) has no lease in the child: create the session after
    /// daemonizing.
    pub fn lease_fd(&self) -> BorrowedFd<'_> {
        self.lease.dir.fd.as_fd()
    }

    /// Finalizes the session (sets `ended_at` and `exit_code`, keeping every other field) and
    /// ends the lease; returns the record as written. Finalizing again (through this handle or
    /// by id) overwrites both values, as [`SessionStore::finalize`] does.
    ///
    /// # Errors
    /// As for [`SessionStore::finalize`]; on an error the lease is kept.
    pub fn finalize(&mut self, ended_at: SystemTime, exit_code: i32) -> Result<Session> {
        super::update::check_end_time(&self.session.id, ended_at)?;
        let Some(turn) = self.lease.enter(self.store.lock_wait)? else {
            // Ended already (finalized, removed or released), or not this process's: as any
            // other process would, by id.
            self.session = self.store.finalize(&self.session.id, ended_at, exit_code)?;
            return Ok(self.session.clone());
        };
        self.session = self.rewrite(|s| {
            s.ended_at = Some(ended_at);
            s.exit_code = Some(exit_code);
        })?;
        turn.release_lease();
        Ok(self.session.clone())
    }

    /// [`finalize`](Self::finalize) with the current time as `ended_at`.
    ///
    /// # Errors
    /// As for [`finalize`](Self::finalize).
    pub fn finalize_now(&mut self, exit_code: i32) -> Result<Session> {
        self.finalize(SystemTime::now(), exit_code)
    }

    /// Ends the lease without finalizing (as dropping the handle does): once nothing else runs
    /// the session, it is `Abandoned`. In a process other than the one that created the session
    /// (a `fork` child) it does nothing.
    pub fn release(&self) {
        self.lease.release();
    }

    /// Replaces the session's sidecar container names through the lease; returns the record
    /// as written. Once the lease has ended (or in a `fork` child), as any other process does:
    /// by id, under the session's lock.
    ///
    /// # Errors
    /// As for [`SessionStore::set_sidecar_containers`].
    pub fn set_sidecar_containers<S: AsRef<str>>(&mut self, names: &[S]) -> Result<&Session> {
        let names = super::update::sidecar_names(&self.session.id, names)?;
        let Some(turn) = self.lease.enter(self.store.lock_wait)? else {
            let link_target = self.session.link_target.clone();
            self.session = self
                .store
                .set_sidecar_containers(&self.session.id, &names)?;
            self.session.link_target = link_target;
            return Ok(&self.session);
        };
        self.session = self.rewrite(move |s| s.sidecar_container_names = names)?;
        drop(turn);
        Ok(&self.session)
    }

    /// Read-modify-write through the leased descriptor (the caller has this process's turn).
    fn rewrite(&self, change: impl FnOnce(&mut Session)) -> Result<Session> {
        let mut session = self.lease.dir.read()?;
        change(&mut session);
        self.lease.dir.write(&session)?;
        session.link_target.clone_from(&self.session.link_target);
        Ok(session)
    }
}

impl Drop for LiveSession {
    fn drop(&mut self) {
        self.lease.release();
    }
}
