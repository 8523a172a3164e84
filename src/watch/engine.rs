//! The watcher's bookkeeping: what it knows of each session, turning notifications into
//! questions (read the record again, ask the lease again), and the answers into events.

use std::collections::{HashMap, HashSet, VecDeque};
use std::os::fd::{AsFd, BorrowedFd};
use std::time::{Duration, Instant};

use rustix::fs::inotify::{ReadFlags, WatchFlags};

use super::notify::{Notify, Raw, needs_polling};
use super::{Event, EventKind, LEASE_CONFIRM, POLL_INTERVAL, RECHECK_INTERVAL, WatchSource};
use crate::error::{ErrorKind, Result};
use crate::fsio::RECORD_FILE;
use crate::id::SessionId;
use crate::record::Session;
use crate::state::State;
use crate::store::SessionStore;

/// Which sessions a watcher follows.
pub(crate) enum Scope {
    /// Every session under the root.
    Root,
    /// These ids only (a wait).
    Ids(HashSet<String>),
}

/// What the watcher last knew of a session's life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Life {
    Running,
    Unknown,
    Abandoned,
    Finished,
}

impl Life {
    /// Asked again on a clock (and when its directory is closed).
    fn is_open(self) -> bool {
        matches!(self, Life::Running | Life::Unknown)
    }
}

struct Known {
    session: Session,
    life: Life,
}

/// What a batch of notifications and due timers asks for.
#[derive(Default)]
struct Work {
    relist: bool,
    refresh: Vec<String>,
    check: Vec<String>,
    /// The members of `refresh` and `check`, for finding them in constant time.
    in_refresh: HashSet<String>,
    in_check: HashSet<String>,
    /// Ids asked about only because a timer said so: their own closes ask nothing more.
    quiet: HashSet<String>,
}

impl Work {
    fn is_empty(&self) -> bool {
        !self.relist && self.refresh.is_empty() && self.check.is_empty()
    }

    fn refresh(&mut self, id: String) {
        self.quiet.remove(&id);
        if self.in_refresh.insert(id.clone()) {
            self.refresh.push(id);
        }
    }

    fn check(&mut self, id: String, quiet: bool) {
        let new = !self.in_check.contains(&id) && !self.in_refresh.contains(&id);
        if quiet && new {
            self.quiet.insert(id.clone());
        } else if !quiet {
            self.quiet.remove(&id);
        }
        if self.in_check.insert(id.clone()) {
            self.check.push(id);
        }
    }
}

/// What a session directory is watched for: its record renamed in or out, written in place or
/// deleted, and the directory itself opened, closed (a lease may have ended) or gone.
fn dir_mask() -> WatchFlags {
    WatchFlags::OPEN
        | WatchFlags::MOVED_TO
        | WatchFlags::MOVED_FROM
        | WatchFlags::DELETE
        | WatchFlags::CLOSE_WRITE
        | WatchFlags::CLOSE_NOWRITE
        | WatchFlags::DELETE_SELF
        | WatchFlags::MOVE_SELF
}

/// What the root is watched for: entries made, renamed in or out, and deleted.
fn root_mask() -> WatchFlags {
    WatchFlags::CREATE
        | WatchFlags::MOVED_TO
        | WatchFlags::MOVED_FROM
        | WatchFlags::DELETE
        | WatchFlags::DELETE_SELF
        | WatchFlags::MOVE_SELF
}

pub(crate) struct Engine {
    store: SessionStore,
    scope: Scope,
    notify: Notify,
    /// `Some` when the watcher lists the root on a clock instead of being notified.
    poll: Option<Duration>,
    /// Whether `poll` was chosen because the filesystem does not notify (not asked for).
    remote: bool,
    root_wd: Option<i32>,
    known: HashMap<String, Known>,
    watches: HashMap<String, i32>,
    by_wd: HashMap<i32, String>,
    queue: VecDeque<Event>,
    confirms: Vec<(Instant, String)>,
    next_recheck: Option<Instant>,
    /// The next listing: in polling mode, or while the root is missing (to attach to it).
    next_poll: Option<Instant>,
    /// How many times the kernel's queue overflowed (and the root was listed again).
    overflows: u64,
    /// Per watched session directory, how many opens of it were seen whose close was not seen
    /// yet (see [`Engine::paired_close`]).
    opened: HashMap<i32, u32>,
    /// How many sessions' leases were probed, for tests.
    #[cfg_attr(not(test), allow(dead_code))]
    lease_checks: u64,
}

impl Engine {
    pub(crate) fn new(store: SessionStore, scope: Scope, poll: Option<Duration>) -> Result<Self> {
        let remote = poll.is_none() && needs_polling(store.root());
        let poll = poll.or(remote.then_some(POLL_INTERVAL));
        let notify = Notify::new(store.root(), poll.is_none())?;
        let mut engine = Self {
            store,
            scope,
            notify,
            poll,
            remote,
            root_wd: None,
            known: HashMap::new(),
            watches: HashMap::new(),
            by_wd: HashMap::new(),
            queue: VecDeque::new(),
            confirms: Vec::new(),
            next_recheck: None,
            next_poll: None,
            overflows: 0,
            opened: HashMap::new(),
            lease_checks: 0,
        };
        // The baseline: what is there now, reported by no event.
        let mut touched = HashSet::new();
        engine.relist(false, &mut touched)?;
        // The baseline's own closes are not news; anything else that came meanwhile is.
        let work = engine.drain(&touched, &touched)?;
        if !work.is_empty() {
            engine.run(work)?;
        }
        engine.schedule();
        Ok(engine)
    }

    pub(crate) fn store(&self) -> &SessionStore {
        &self.store
    }

    pub(crate) fn source(&self) -> WatchSource {
        match self.poll {
            Some(interval) => WatchSource::Poll(interval),
            None => WatchSource::Notify,
        }
    }

    pub(crate) fn description(&self) -> String {
        let root = self.store.root().display();
        match self.poll {
            None => format!(
                "inotify on {root} ({} watches: the root and each unfinished session); \
                 unfinished sessions are asked again every {} s",
                self.watch_count(),
                RECHECK_INTERVAL.as_secs()
            ),
            Some(interval) if self.remote => format!(
                "polling {root} every {} ms: it is on a network filesystem, whose changes by \
                 other machines inotify does not report",
                interval.as_millis()
            ),
            Some(interval) => format!("polling {root} every {} ms, as asked", interval.as_millis()),
        }
    }

    pub(crate) fn watch_count(&self) -> usize {
        usize::from(self.root_wd.is_some()) + self.by_wd.len()
    }

    pub(crate) fn overflows(&self) -> u64 {
        self.overflows
    }

    /// What is known of `id`'s life; `None` when it is not (or no longer) a session.
    pub(crate) fn life(&self, id: &str) -> Option<(Life, &Session)> {
        self.known.get(id).map(|k| (k.life, &k.session))
    }

    /// The next event, doing the work notifications and timers ask for, until `deadline`
    /// (`None`: until there is one). `Ok(None)` at the deadline or when a signal came.
    pub(crate) fn next(&mut self, deadline: Option<Instant>) -> Result<Option<Event>> {
        loop {
            if let Some(event) = self.queue.pop_front() {
                self.schedule();
                return Ok(Some(event));
            }
            let mut work = Work::default();
            for raw in self.notify.read()? {
                self.classify(raw, &mut work);
            }
            self.due(Instant::now(), &mut work);
            if !work.is_empty() {
                self.run(work)?;
                continue;
            }
            self.schedule();
            if deadline.is_some_and(|d| d <= Instant::now()) {
                return Ok(None);
            }
            if !self.notify.wait(deadline)? {
                // A signal: let the caller look at its flags.
                return Ok(None);
            }
        }
    }

    /// Arms the timer for the earliest recheck owed.
    fn schedule(&mut self) {
        // Set whether or not a session is open now (looking would cost a pass over every
        // session per event); with none open, the recheck finds nothing to ask.
        if self.next_recheck.is_none() && self.poll.is_none() {
            self.next_recheck = Some(Instant::now() + RECHECK_INTERVAL);
        }
        if self.next_poll.is_none() {
            if let Some(interval) = self.poll {
                self.next_poll = Some(Instant::now() + interval);
            } else if self.root_wd.is_none() {
                // Waiting for the root to appear.
                self.next_poll = Some(Instant::now() + POLL_INTERVAL);
            }
        }
        self.notify.arm(self.next_timer());
    }

    fn next_timer(&self) -> Option<Instant> {
        [
            self.next_recheck,
            self.next_poll,
            self.confirms.iter().map(|c| c.0).min(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// The timers that are due, as work.
    fn due(&mut self, now: Instant, work: &mut Work) {
        let mut i = 0;
        while i < self.confirms.len() {
            if self.confirms[i].0 <= now {
                let (_, id) = self.confirms.swap_remove(i);
                work.check(id, true);
            } else {
                i += 1;
            }
        }
        if self.next_recheck.is_some_and(|t| t <= now) {
            self.next_recheck = None;
            let open: Vec<String> = self
                .known
                .iter()
                .filter(|(_, k)| k.life.is_open())
                .map(|(id, _)| id.clone())
                .collect();
            for id in open {
                work.check(id, true);
            }
        }
        if self.next_poll.is_some_and(|t| t <= now) {
            self.next_poll = self.poll.map(|p| now + p);
            work.relist = true;
        }
    }

    /// Does `work`, then what the notifications that came meanwhile ask, until nothing is
    /// left. The watcher's own probes close session directories: those closes, read right
    /// after the probes, are not asked about again.
    fn run(&mut self, mut work: Work) -> Result<()> {
        loop {
            let mut touched = HashSet::new();
            if work.relist {
                self.relist(true, &mut touched)?;
            }
            let mut checks = Vec::new();
            for id in &work.refresh {
                touched.insert(id.clone());
                if self.refresh(id)? {
                    checks.push(id.clone());
                }
            }
            let asked: HashSet<String> = checks.iter().cloned().collect();
            for id in &work.check {
                if !asked.contains(id) && self.known.get(id).is_some_and(|k| k.life.is_open()) {
                    checks.push(id.clone());
                }
            }
            touched.extend(checks.iter().cloned());
            self.check(&checks)?;
            let next = self.drain(&touched, &work.quiet)?;
            if next.is_empty() {
                return Ok(());
            }
            work = next;
        }
    }

    /// The notifications ready now, as work, leaving out the closes of the directories of
    /// `touched` (the watcher's own, from the probes it just made). A close of one that was
    /// not asked about `quietly` is confirmed once, [`LEASE_CONFIRM`] later: a dying
    /// launcher's close, arriving while the watcher asked, is then not lost.
    fn drain(&mut self, touched: &HashSet<String>, quietly: &HashSet<String>) -> Result<Work> {
        let mut next = Work::default();
        for raw in self.notify.read()? {
            if let Some(id) = self.dir_closed(&raw)
                && touched.contains(&id)
            {
                if self.paired_close(raw.wd) {
                    continue;
                }
                if !quietly.contains(&id)
                    && self.known.get(&id).is_some_and(|k| k.life.is_open())
                    && !self.confirms.iter().any(|c| c.1 == id)
                {
                    self.confirms.push((Instant::now() + LEASE_CONFIRM, id));
                }
                continue;
            }
            self.classify(raw, &mut next);
        }
        Ok(next)
    }

    /// Whether a close of the directory watched as `wd` is the close of an open this watcher
    /// saw (counting it off), rather than of a descriptor opened before the watch began.
    ///
    /// A lease probe, a record read by id, a listing's look at a directory: each opens and
    /// closes it, and every watcher of that directory sees both. Only a close without its open
    /// can be a lease ending (the launcher opened its directory before anyone watched it): were
    /// every close asked about, each watcher's probe would ask every other watcher to probe,
    /// and watchers of one session would wake one another without end. A close that meets an
    /// open counted for another descriptor is counted off all the same; the close of that one
    /// then comes unpaired and is asked about.
    fn paired_close(&mut self, wd: i32) -> bool {
        match self.opened.get_mut(&wd) {
            Some(n) if *n > 0 => {
                *n -= 1;
                true
            }
            _ => false,
        }
    }

    /// The session whose directory `raw` says was closed, if it does.
    fn dir_closed(&self, raw: &Raw) -> Option<String> {
        (raw.name.is_none()
            && raw
                .mask
                .intersects(ReadFlags::CLOSE_WRITE | ReadFlags::CLOSE_NOWRITE))
        .then(|| self.by_wd.get(&raw.wd).cloned())
        .flatten()
    }

    fn in_scope(&self, name: &str) -> bool {
        match &self.scope {
            Scope::Root => true,
            Scope::Ids(ids) => ids.contains(name),
        }
    }

    /// What one notification asks for.
    fn classify(&mut self, raw: Raw, work: &mut Work) {
        if raw.mask.contains(ReadFlags::QUEUE_OVERFLOW) {
            self.overflows += 1;
            // Opens and closes were lost: every close is asked about until they pair again.
            self.opened.clear();
            work.relist = true;
            return;
        }
        if Some(raw.wd) == self.root_wd {
            if raw.mask.contains(ReadFlags::IGNORED) {
                // The root went (or was unmounted): list what is left, and attach again.
                self.root_wd = None;
                work.relist = true;
            } else if raw
                .mask
                .intersects(ReadFlags::DELETE_SELF | ReadFlags::MOVE_SELF)
            {
                work.relist = true;
            } else if let Some(name) = raw
                .name
                .as_deref()
                .and_then(|n| std::str::from_utf8(n).ok())
                && SessionId::parse(name).is_ok()
                && self.in_scope(name)
            {
                work.refresh(name.to_owned());
            }
            return;
        }
        let Some(id) = self.by_wd.get(&raw.wd).cloned() else {
            return;
        };
        if raw.mask.contains(ReadFlags::IGNORED) {
            self.by_wd.remove(&raw.wd);
            self.opened.remove(&raw.wd);
            if self.watches.get(&id) == Some(&raw.wd) {
                self.watches.remove(&id);
            }
            work.refresh(id);
            return;
        }
        if raw.name.is_none() && raw.mask.contains(ReadFlags::OPEN) {
            *self.opened.entry(raw.wd).or_default() += 1;
        }
        if raw.name.is_none()
            && raw
                .mask
                .intersects(ReadFlags::CLOSE_WRITE | ReadFlags::CLOSE_NOWRITE)
        {
            if !self.paired_close(raw.wd) {
                work.check(id, false);
            }
            return;
        }
        match raw.name.as_deref() {
            None if raw
                .mask
                .intersects(ReadFlags::DELETE_SELF | ReadFlags::MOVE_SELF) =>
            {
                work.refresh(id);
            }
            // Reading the record closes it unwritten: not a change, and not asked about (the
            // watcher's own reads would ask forever).
            Some(name)
                if name == RECORD_FILE.as_bytes()
                    && raw.mask.intersects(
                        ReadFlags::MOVED_TO
                            | ReadFlags::MOVED_FROM
                            | ReadFlags::DELETE
                            | ReadFlags::CLOSE_WRITE,
                    ) =>
            {
                work.refresh(id);
            }
            _ => {}
        }
    }

    /// Watches the root when it is not watched yet (and exists).
    fn attach_root(&mut self) -> Result<()> {
        if self.poll.is_some() || self.root_wd.is_some() {
            return Ok(());
        }
        self.root_wd = self.notify.add_watch(self.store.root(), root_mask())?;
        if self.root_wd.is_some() {
            self.next_poll = None;
        }
        Ok(())
    }

    /// Lists the sessions in scope and takes in the difference from what was known (as events
    /// when `emit`), then asks about every unfinished one.
    fn relist(&mut self, emit: bool, touched: &mut HashSet<String>) -> Result<()> {
        // Watch first, then list: a change after the listing is then notified.
        self.attach_root()?;
        let (found, unreadable): (Vec<Session>, HashSet<String>) = match &self.scope {
            Scope::Root => {
                let listing = self.store.list()?;
                let skipped = listing.skipped.into_iter().map(|s| s.entry).collect();
                (listing.sessions, skipped)
            }
            Scope::Ids(ids) => {
                let mut found = Vec::new();
                let mut unreadable = HashSet::new();
                for id in ids.clone() {
                    let Ok(sid) = SessionId::parse(&id) else {
                        continue;
                    };
                    // The directory is watched before its record is read, as for a refresh.
                    self.watch_dir(&id)?;
                    match self.store.get(&sid) {
                        Ok(s) => found.push(s),
                        Err(e) if e.kind() == ErrorKind::NotFound => {}
                        Err(_) => {
                            unreadable.insert(id);
                        }
                    }
                }
                (found, unreadable)
            }
        };
        let mut checks = Vec::new();
        let mut seen = HashSet::new();
        for session in found {
            let id = session.id.as_str().to_owned();
            seen.insert(id.clone());
            touched.insert(id.clone());
            if self.absorb(session, emit)? {
                checks.push(id);
            }
        }
        let gone: Vec<String> = self
            .known
            .keys()
            .filter(|id| !seen.contains(*id) && !unreadable.contains(*id))
            .cloned()
            .collect();
        for id in gone {
            touched.insert(id.clone());
            self.gone(&id, emit);
        }
        // Directories watched while their record was awaited, and not listed yet.
        let pending: Vec<String> = self
            .watches
            .keys()
            .filter(|id| !seen.contains(*id) && !self.known.contains_key(*id))
            .cloned()
            .collect();
        for id in pending {
            touched.insert(id.clone());
            self.forget_if_gone(&id);
        }
        let newly: HashSet<String> = checks.iter().cloned().collect();
        for (id, k) in &self.known {
            if k.life.is_open() && !newly.contains(id) {
                checks.push(id.clone());
                touched.insert(id.clone());
            }
        }
        self.check_as(&checks, emit)
    }

    /// Reads `id`'s record again and takes in what changed. `Ok(true)` when it is a session
    /// that is not finalized, whose life is to be asked next.
    fn refresh(&mut self, id: &str) -> Result<bool> {
        let Ok(sid) = SessionId::parse(id) else {
            return Ok(false);
        };
        if !self.known.get(id).is_some_and(|k| k.life == Life::Finished) {
            // Watched before it is read: a record written after the read is then notified.
            self.watch_dir(id)?;
        }
        match self.store.get(&sid) {
            Ok(session) => self.absorb(session, true),
            Err(e) if e.kind() == ErrorKind::NotFound => {
                self.gone(id, true);
                Ok(false)
            }
            // A record that does not read is not a session (a listing skips it too); its next
            // change is read again.
            Err(_) => Ok(false),
        }
    }

    /// Takes in a record as read: a new session, a finalize, another change. `Ok(true)` when
    /// it is a new unfinalized session (whose life is to be asked).
    fn absorb(&mut self, session: Session, emit: bool) -> Result<bool> {
        let id = session.id.as_str().to_owned();
        let finished = session.ended_at.is_some();
        let (event, new_open) = match self.known.get_mut(&id) {
            None => {
                if emit {
                    self.queue
                        .push_back(event(EventKind::Created, &session, true));
                    if finished {
                        self.queue
                            .push_back(event(EventKind::Finalized, &session, true));
                    }
                }
                let life = if finished {
                    Life::Finished
                } else {
                    Life::Running
                };
                self.known.insert(id.clone(), Known { session, life });
                (None, !finished)
            }
            Some(known) => {
                let kind = if finished && known.life != Life::Finished {
                    known.life = Life::Finished;
                    Some(EventKind::Finalized)
                } else if known.session != session {
                    Some(EventKind::Updated)
                } else {
                    None
                };
                known.session = session;
                (kind.map(|k| event(k, &known.session, true)), false)
            }
        };
        if let Some(event) = event
            && emit
        {
            self.queue.push_back(event);
        }
        if finished {
            self.unwatch(&id);
        } else {
            self.watch_dir(&id)?;
        }
        Ok(new_open)
    }

    /// `id` is no longer a session.
    fn gone(&mut self, id: &str, emit: bool) {
        if let Some(known) = self.known.remove(id)
            && emit
        {
            self.queue.push_back(Event {
                kind: EventKind::Removed,
                id: known.session.id,
                session: None,
            });
        }
        self.forget_if_gone(id);
    }

    /// Stops watching `id`'s directory unless it is still there (a record may yet be written
    /// into it: a session being created).
    fn forget_if_gone(&mut self, id: &str) {
        let still_dir = std::fs::metadata(self.store.root().join(id)).is_ok_and(|m| m.is_dir());
        if !still_dir {
            self.unwatch(id);
        }
    }

    fn watch_dir(&mut self, id: &str) -> Result<()> {
        if self.poll.is_some() || self.watches.contains_key(id) {
            return Ok(());
        }
        if let Some(wd) = self
            .notify
            .add_watch(&self.store.root().join(id), dir_mask())?
        {
            self.watches.insert(id.to_owned(), wd);
            self.by_wd.insert(wd, id.to_owned());
        }
        Ok(())
    }

    fn unwatch(&mut self, id: &str) {
        if let Some(wd) = self.watches.remove(id)
            && self.by_wd.get(&wd).is_some_and(|i| i == id)
        {
            self.by_wd.remove(&wd);
            self.opened.remove(&wd);
            self.notify.rm_watch(wd);
        }
    }

    fn check(&mut self, ids: &[String]) -> Result<()> {
        self.check_as(ids, true)
    }

    /// Asks the life of the unfinalized sessions `ids` (the store's states, one container
    /// probe for all), and reports the ones found abandoned.
    fn check_as(&mut self, ids: &[String], emit: bool) -> Result<()> {
        // The records as they are now: a finalize since the last read is taken in first, so
        // it is never mistaken for an abandon.
        let mut open = Vec::new();
        for id in ids {
            if self.known.contains_key(id) {
                self.refresh_as(id, emit)?;
            }
            if let Some(k) = self.known.get(id)
                && k.session.ended_at.is_none()
            {
                open.push(k.session.clone());
            }
        }
        if open.is_empty() {
            return Ok(());
        }
        self.lease_checks += open.len() as u64;
        let states = self.store.states(&open);
        for (session, state) in open.into_iter().zip(states) {
            let id = session.id.as_str();
            let life = match state {
                State::Running => Life::Running,
                State::Finished => Life::Finished,
                // Also what a session removed meanwhile is; and a finalize that came between
                // the read above and the lease probe ended the lease too: read again.
                State::Abandoned | State::Unknown => {
                    self.refresh_as(id, emit)?;
                    match self.known.get(id) {
                        Some(k) if k.session.ended_at.is_none() => {
                            if state == State::Abandoned {
                                Life::Abandoned
                            } else {
                                Life::Unknown
                            }
                        }
                        _ => continue,
                    }
                }
            };
            let Some(known) = self.known.get_mut(id) else {
                continue;
            };
            if life == Life::Finished {
                continue;
            }
            let was = known.life;
            known.life = life;
            if life == Life::Abandoned && was != Life::Abandoned && emit {
                let e = event(EventKind::Abandoned, &known.session, true);
                self.queue.push_back(e);
            }
        }
        Ok(())
    }

    fn refresh_as(&mut self, id: &str, emit: bool) -> Result<bool> {
        if emit {
            return self.refresh(id);
        }
        let Ok(sid) = SessionId::parse(id) else {
            return Ok(false);
        };
        match self.store.get(&sid) {
            Ok(session) => self.absorb(session, false),
            Err(e) if e.kind() == ErrorKind::NotFound => {
                self.gone(id, false);
                Ok(false)
            }
            Err(_) => Ok(false),
        }
    }
}

fn event(kind: EventKind, session: &Session, with_record: bool) -> Event {
    Event {
        kind,
        id: session.id.clone(),
        session: with_record.then(|| session.clone()),
    }
}

impl AsFd for Engine {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.notify.as_fd()
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use crate::{ContainerProbe, NewSession, SessionStore, WaitOutcome};

    /// Several processes waiting on one running session (threads here: each waiter has its own
    /// inotify instance, as a process does): each one's lease probe opens and closes the
    /// session's directory, which the others see. Those closes must not ask them to probe
    /// again, or the waiters wake one another without end.
    #[test]
    fn waiters_of_one_session_do_not_wake_each_other() {
        let tmp = tempfile::tempdir().unwrap();
        let store = SessionStore::new(tmp.path().join("root"))
            .unwrap()
            .with_container_probe(ContainerProbe::custom(|_| Some(Vec::new())));
        let live = store.create(&NewSession::new("c", "t", "/w")).unwrap();
        let id = live.id.clone();
        let span = Duration::from_millis(1500);
        let quiet_done = std::sync::Barrier::new(4);
        let mut live = Some(live);
        let checks: Vec<(u64, WaitOutcome)> = std::thread::scope(|scope| {
            let waiters: Vec<_> = (0..3)
                .map(|_| {
                    let (store, id, quiet_done) = (store.clone(), id.clone(), &quiet_done);
                    scope.spawn(move || {
                        let mut waiter = store.waiter(&id).unwrap();
                        let until = Instant::now() + span;
                        while let Some(left) = until.checked_duration_since(Instant::now()) {
                            assert_eq!(waiter.wait(Some(left)).unwrap(), WaitOutcome::TimedOut);
                        }
                        let quiet_checks = waiter.engine.lease_checks;
                        quiet_done.wait();
                        // The launcher's lease ends now: every waiter learns it.
                        let end = waiter.wait(Some(Duration::from_secs(10))).unwrap();
                        (quiet_checks, end)
                    })
                })
                .collect();
            quiet_done.wait();
            drop(live.take());
            waiters.into_iter().map(|w| w.join().unwrap()).collect()
        });
        // Its first look, and a close or two seen mid-way through another's first probe: far
        // from the thousands of a wake-up loop. (The recheck clock is 2 s, past the span.)
        assert!(
            checks.iter().all(|(n, _)| (1..=4).contains(n)),
            "lease probes per waiter: {checks:?}"
        );
        assert!(
            checks
                .iter()
                .all(|(_, end)| matches!(end, WaitOutcome::Abandoned(_))),
            "{checks:?}"
        );
    }
}
