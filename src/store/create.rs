//! Creating sessions: id allocation, explicit directories, and cleanup of a failed create.

use std::fs;
use std::io;
use std::os::fd::{AsFd as _, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use rustix::fs::{self as rfs, AtFlags, Mode};

use super::session_dir::SessionDir;
use super::{LiveSession, SessionStore};
use crate::error::{Error, ErrorKind, Result};
use crate::fsio::{self, RECORD_FILE, lock, open, record_io};
use crate::id::SessionId;
use crate::record::Session;

/// How many fresh ids `create` draws before it gives up. Ids carry 16 random bits per second,
/// so even thousands of creates in one second rarely need a second draw.
const MAX_ID_ATTEMPTS: usize = 1000;

/// How many more fresh directories `create` claims after the one before was removed (by a
/// racing removal or clean) before it could lock it; then it gives up.
const MAX_RACED_CLAIMS: usize = 64;

/// What a launcher knows about a session before it starts: the input to
/// [`SessionStore::create`].
///
/// ```
/// use outrig::NewSession;
/// let new = NewSession::new("outrig-demo", "localhost/outrig-coding:d8aa33", "/home/me/repo")
///     .image_config_name("coding")
///     .agent_name("coder");
/// assert_eq!(new.agent_name.as_deref(), Some("coder"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct NewSession {
    /// Name of the agent's container. Required (non-empty).
    pub container_name: String,
    /// Tag of the image it runs. Required (non-empty).
    pub image_tag: String,
    /// The agent's working directory. Required (non-empty, UTF-8). An absolute path is
    /// recorded exactly as given; a relative one is made absolute by
    /// [`create`](SessionStore::create), against the process's current directory at that
    /// moment, as outrig records its own (always absolute) working directory: a relative path
    /// in a record would mean nothing to a reader in another directory. The join is lexical,
    /// as [`std::path::absolute`] makes it: `.` components go, `..` stays, and no symlink is
    /// resolved (`repo` run from `/home/me` is `/home/me/repo`, whatever `repo` is).
    pub working_dir: PathBuf,
    /// Name of the image configuration, if any.
    pub image_config_name: Option<String>,
    /// Name of the agent, if any.
    pub agent_name: Option<String>,
    /// Names of sidecar containers, in start order.
    pub sidecar_container_names: Vec<String>,
    /// An explicit session directory: the record goes there and `<root>/<id>` becomes a symlink
    /// to it. `None` for an auto session under the root.
    pub session_dir: Option<PathBuf>,
    /// The start time to record; `None` for the time of the create.
    pub started_at: Option<SystemTime>,
}

impl NewSession {
    /// A new session with the three required values.
    pub fn new(
        container_name: impl Into<String>,
        image_tag: impl Into<String>,
        working_dir: impl Into<PathBuf>,
    ) -> Self {
        Self {
            container_name: container_name.into(),
            image_tag: image_tag.into(),
            working_dir: working_dir.into(),
            ..Self::default()
        }
    }

    /// Sets the image configuration name.
    pub fn image_config_name(mut self, name: impl Into<String>) -> Self {
        self.image_config_name = Some(name.into());
        self
    }

    /// Sets the agent name.
    pub fn agent_name(mut self, name: impl Into<String>) -> Self {
        self.agent_name = Some(name.into());
        self
    }

    /// Appends a sidecar container name.
    pub fn sidecar(mut self, name: impl Into<String>) -> Self {
        self.sidecar_container_names.push(name.into());
        self
    }

    /// Makes this an explicit session whose record lives in `dir`.
    pub fn session_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.session_dir = Some(dir.into());
        self
    }

    /// Records `t` as the start time instead of the time of the create.
    pub fn started_at(mut self, t: SystemTime) -> Self {
        self.started_at = Some(t);
        self
    }

    /// Refuses a spec that misses a required value, before anything touches the disk.
    fn check(&self) -> Result<()> {
        let missing = if self.container_name.is_empty() {
            Some("container_name")
        } else if self.image_tag.is_empty() {
            Some("image_tag")
        } else if self.working_dir.as_os_str().is_empty() {
            Some("working_dir")
        } else {
            None
        };
        if let Some(field) = missing {
            return Err(Error::invalid(format!(
                "a new session needs a non-empty {field}; set it before creating the session"
            )));
        }
        if self.working_dir.to_str().is_none() {
            return Err(Error::invalid(format!(
                "working_dir {} is not valid UTF-8, which session.json cannot hold",
                self.working_dir.display()
            )));
        }
        if self.sidecar_container_names.iter().any(String::is_empty) {
            return Err(Error::invalid(
                "a sidecar container name is empty; give every sidecar its container's name",
            ));
        }
        Ok(())
    }

    /// The spec as it is recorded: a relative `working_dir` made absolute against the current
    /// directory (see [`NewSession::working_dir`]).
    fn resolved(&self) -> Result<NewSession> {
        let mut new = self.clone();
        if new.working_dir.is_relative() {
            new.working_dir = fsio::absolute("working_dir", &self.working_dir)?;
            utf8_path("working_dir", &new.working_dir, &self.working_dir)?;
        }
        Ok(new)
    }

    fn into_record(self, id: SessionId, session_dir: PathBuf) -> Session {
        Session::starting(
            id,
            self.started_at.unwrap_or_else(SystemTime::now),
            self.container_name,
            self.sidecar_container_names,
            self.image_tag,
            self.image_config_name,
            self.agent_name,
            self.working_dir,
            session_dir,
        )
    }
}

/// What a create has made so far, undone on drop unless the create completes.
#[derive(Default)]
struct Undo {
    /// The root and the entry this create claimed in it (a directory or a link).
    entry: Option<(OwnedFd, SessionId, bool)>,
    /// The session directory, once its record may be written.
    record_in: Option<OwnedFd>,
    /// Directories this create made on the way to an explicit directory, innermost first.
    dirs: Vec<PathBuf>,
    done: bool,
}

impl Drop for Undo {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        // Best effort: the create already failed and reports that error; these only keep a
        // half-made session from being left for `list` to find.
        if let Some(dir) = &self.record_in {
            let _ = rfs::unlinkat(dir, RECORD_FILE, AtFlags::empty());
        }
        if let Some((root, id, is_dir)) = &self.entry {
            let flags = if *is_dir {
                AtFlags::REMOVEDIR
            } else {
                AtFlags::empty()
            };
            let _ = rfs::unlinkat(root, id.as_str(), flags);
        }
        for dir in &self.dirs {
            let _ = fs::remove_dir(dir);
        }
    }
}

impl SessionStore {
    /// Creates a session and writes its record; returns the record as written.
    ///
    /// **Auto** (`new.session_dir` is `None`): makes the root (with parents), then claims
    /// `<root>/<id>` exclusively with a fresh id, drawing another if that id is taken, so any
    /// number of processes can create at once without two sharing a directory.
    ///
    /// **Explicit** (`new.session_dir` is `Some(dir)`): `dir` is created with its parents when
    /// missing; the record goes into its canonical path, and `<root>/<id>` becomes a symlink to
    /// it. `link_target` of the result is that path.
    ///
    /// The record is written through the new directory's descriptor, durably (temporary file,
    /// fsync, rename, fsync of the directory), and the root is synced after the new entry
    /// appears. A record that would exceed [`MAX_RECORD_BYTES`](crate::MAX_RECORD_BYTES) (a
    /// huge name, thousands of sidecars) is refused before anything is made. A create that
    /// fails removes what it made, so no half-session is left behind.
    ///
    /// A relative `new.working_dir` is recorded absolute, joined lexically to the current
    /// directory at this call (see [`NewSession::working_dir`]); an absolute one as given.
    ///
    /// # Errors
    /// - [`ErrorKind::InvalidArgument`]: a required value is empty, a path is not UTF-8, or
    ///   the record would be too large.
    /// - [`ErrorKind::DirNotUsable`]: the explicit directory exists and is not a directory,
    ///   is not empty, holds an earlier session's `session.json`, or lies inside the root.
    /// - [`ErrorKind::Busy`]: another process holds the explicit directory's lock.
    /// - [`ErrorKind::Io`]: the root or the directory cannot be made or written, or a
    ///   relative `working_dir` or session directory cannot be made absolute because the
    ///   current directory cannot be read (it was deleted): nothing is made then.
    pub fn create(&self, new: &NewSession) -> Result<LiveSession> {
        new.check()?;
        let new = &new.resolved()?;
        // The longest record this create can write, checked before anything is made; the
        // write checks the real one again.
        let longest_dir = match &new.session_dir {
            None => {
                utf8_path("session root", &self.root, &self.root)?;
                self.entry_path(&SessionId::new())
            }
            Some(dir) => {
                let absolute = fsio::absolute("session directory", dir)?;
                utf8_path("session directory", &absolute, dir)?;
                absolute
            }
        };
        let sizing = SessionId::new();
        record_io::bytes_of(&new.clone().into_record(sizing.clone(), longest_dir)).map_err(
            |e| {
                // The id drawn to size the record is no session's: the message names the new one.
                let message = e
                    .message()
                    .replace(
                        &format!("the record of session {sizing}"),
                        "the new session's record",
                    )
                    .replace(&format!("session {sizing}"), "the new session");
                Error::new(e.kind(), message)
            },
        )?;
        let root = self.ensure_root()?;
        match &new.session_dir {
            None => self.create_auto(root, new.clone()),
            Some(dir) => self.create_explicit(root, new.clone(), dir),
        }
    }

    /// Makes the root when missing and opens it.
    fn ensure_root(&self) -> Result<OwnedFd> {
        let missing = missing_ancestors(&self.root);
        let made = fs::create_dir_all(&self.root).map_err(|e| {
            let e = if fs::metadata(&self.root).is_ok_and(|m| !m.is_dir()) {
                io::Error::from(rustix::io::Errno::NOTDIR)
            } else {
                e
            };
            Error::io("creating session root", &self.root, e).with_kind(ErrorKind::Io)
        });
        let root = self.open_root();
        let root = match (made, root) {
            (_, Ok(root)) => root,
            (Err(e), Err(_)) => return Err(e),
            (Ok(()), Err(e)) => return Err(e.with_kind(ErrorKind::Io)),
        };
        // A root this create made must survive a power cut with the session in it.
        sync_parents(&missing)?;
        Ok(root)
    }

    fn create_auto(&self, root: OwnedFd, new: NewSession) -> Result<LiveSession> {
        let mut undo = Undo::default();
        let (id, entry, dir) = self.claim_auto_dir(&root)?;
        undo.entry = Some((root, id.clone(), true));
        let session = new.into_record(id.clone(), entry.clone());
        undo.record_in = Some(dup(&dir, &entry)?);
        record_io::write_at(dir.as_fd(), &entry, &session)?;
        let (root, _, _) = undo.entry.as_ref().expect("claimed above");
        record_io::sync(root, &self.root)?;
        let leased = SessionDir {
            id,
            fd: dir,
            path: entry,
            link_target: None,
        };
        let live = LiveSession::new(session, leased, self)?;
        undo.done = true;
        Ok(live)
    }

    /// Claims a new directory `<root>/<id>` and takes its lock (the lease, before any record
    /// exists: nobody sees this session without it). Between the `mkdir` and the lock the
    /// directory is empty, and a removal or clean that finds it then may lock it and remove it
    /// as the debris of a create (it holds no record): then this create draws another id
    /// instead of failing, up to [`MAX_RACED_CLAIMS`] times, and then fails with `Busy`,
    /// whichever step lost the directory.
    fn claim_auto_dir(&self, root: &OwnedFd) -> Result<(SessionId, PathBuf, OwnedFd)> {
        for _ in 0..=MAX_RACED_CLAIMS {
            let id = self.claim_id(root, |root, id| {
                rfs::mkdirat(root, id.as_str(), Mode::from_raw_mode(0o777))
            })?;
            let entry = self.entry_path(&id);
            claim_hook::run(claim_hook::Step::Made, root, &id);
            let dir = match open::dir_at(root, id.as_str()) {
                Ok(dir) => dir,
                // Removed before it could be opened: another claim.
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(Error::io("opening new session directory", &entry, e)),
            };
            claim_hook::run(claim_hook::Step::Opened, root, &id);
            let locked = lock::acquire(dir.as_fd(), &entry, self.lock_wait, || {
                super::session_dir::busy_message(&id, &entry)
            });
            let removed = match locked {
                Ok(()) => {
                    rfs::fstat(&dir)
                        .map_err(|e| Error::io("reading the status of", &entry, e.into()))?
                        .st_nlink
                        == 0
                }
                Err(e) if e.kind() == ErrorKind::Busy => true,
                Err(e) => {
                    let _ = rfs::unlinkat(root, id.as_str(), AtFlags::REMOVEDIR);
                    return Err(e);
                }
            };
            if !removed {
                return Ok((id, entry, dir));
            }
        }
        Err(Error::new(
            ErrorKind::Busy,
            format!(
                "every new session directory under {} was taken away before it could be locked \
                 ({} claims in a row); something removes fresh entries there: stop it and try \
                 again",
                self.root.display(),
                MAX_RACED_CLAIMS + 1
            ),
        ))
    }

    fn create_explicit(
        &self,
        root: OwnedFd,
        new: NewSession,
        requested: &Path,
    ) -> Result<LiveSession> {
        let mut undo = Undo::default();
        let requested = fsio::absolute("session directory", requested)?;
        match fs::metadata(&requested) {
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => {
                return Err(not_usable(
                    &requested,
                    "exists and is not a directory; name a new or empty directory",
                ));
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                undo.dirs = make_dirs(&requested)?;
            }
            Err(e) => return Err(Error::io("checking session directory", &requested, e)),
        }
        // From here on the directory is this descriptor, whatever its path comes to name.
        let fd = open::dir(&requested)
            .map_err(|e| Error::io("opening session directory", &requested, e))?;
        let dir = match open::path_of(&fd) {
            Some(dir) => dir,
            None => fs::canonicalize(&requested)
                .map_err(|e| Error::io("resolving session directory", &requested, e))?,
        };
        let root_dir = match open::path_of(&root) {
            Some(dir) => dir,
            None => fs::canonicalize(&self.root)
                .map_err(|e| Error::io("resolving session root", &self.root, e))?,
        };
        utf8_path("session directory", &dir, &requested)?;
        if dir.starts_with(&root_dir) {
            return Err(not_usable(
                &dir,
                &format!(
                    "lies inside the session root {}; choose a directory outside it, or create \
                     an auto session instead",
                    self.root.display()
                ),
            ));
        }
        // A directory that already holds something is refused at once; one that is empty is
        // locked and checked again, so two creates naming it cannot both find it empty. The
        // lock is then the session's lease.
        check_empty(fd.as_fd(), &dir)?;
        lock::acquire(fd.as_fd(), &dir, self.lock_wait, || {
            format!(
                "session directory {} is locked by another process (a launcher creating or \
                 running a session there); name another directory",
                dir.display()
            )
        })?;
        check_empty(fd.as_fd(), &dir)?;
        let id = self.claim_id(&root, |root, id| {
            rfs::symlinkat(dir.as_os_str(), root, id.as_str())
        })?;
        undo.entry = Some((root, id.clone(), false));
        let mut session = new.into_record(id.clone(), dir.clone());
        undo.record_in = Some(dup(&fd, &dir)?);
        record_io::write_at(fd.as_fd(), &dir, &session)?;
        let (root, _, _) = undo.entry.as_ref().expect("claimed above");
        record_io::sync(root, &self.root)?;
        session.link_target = Some(dir.clone());
        let leased = SessionDir {
            id,
            fd,
            path: dir.clone(),
            link_target: Some(dir),
        };
        let live = LiveSession::new(session, leased, self)?;
        undo.done = true;
        Ok(live)
    }

    /// Draws ids until `make` creates `<root>/<id>` (exclusively) for one of them.
    fn claim_id(
        &self,
        root: &OwnedFd,
        make: impl Fn(&OwnedFd, &SessionId) -> rustix::io::Result<()>,
    ) -> Result<SessionId> {
        for _ in 0..MAX_ID_ATTEMPTS {
            let id = SessionId::new();
            match make(root, &id) {
                Ok(()) => return Ok(id),
                Err(rustix::io::Errno::EXIST) => continue,
                Err(e) => {
                    return Err(Error::io(
                        "creating session entry",
                        &self.entry_path(&id),
                        e.into(),
                    )
                    .with_kind(ErrorKind::Io));
                }
            }
        }
        Err(Error::new(
            ErrorKind::AlreadyExists,
            format!(
                "no free session id under {} after {MAX_ID_ATTEMPTS} attempts; too many sessions \
                 are being created in the same second, try again",
                self.root.display()
            ),
        ))
    }
}

/// A test's stand-in for a racing removal: called at each step of a claim, it may remove the
/// directory just made, deterministically. Compiled into unit tests only; elsewhere a no-op.
mod claim_hook {
    use std::os::fd::OwnedFd;

    use crate::id::SessionId;

    /// Where in a claim the hook runs.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(super) enum Step {
        /// After the `mkdir`, before the directory is opened.
        Made,
        /// After the directory is opened, before it is locked.
        Opened,
    }

    #[cfg(test)]
    type Hook = Box<dyn Fn(Step, &OwnedFd, &SessionId)>;

    #[cfg(test)]
    thread_local! {
        /// This thread's hook (unit tests run on threads of their own).
        pub(super) static HOOK: std::cell::RefCell<Option<Hook>> =
            const { std::cell::RefCell::new(None) };
    }

    #[cfg(test)]
    pub(super) fn run(step: Step, root: &OwnedFd, id: &SessionId) {
        HOOK.with(|hook| {
            if let Some(hook) = hook.borrow().as_ref() {
                hook(step, root, id);
            }
        });
    }

    #[cfg(not(test))]
    pub(super) fn run(_: Step, _: &OwnedFd, _: &SessionId) {}
}

/// Refuses `path`, which the record would hold as its `what` (working_dir, session directory,
/// or the session root every auto session's directory is in), when it is not UTF-8:
/// session.json holds paths as JSON strings. `given` is the path as the caller named it, so
/// the message says where the bytes came from: a relative path joined to a current directory
/// that is not UTF-8, or a symlink resolved. Checked before anything is made, with a message
/// that names the value, where a failed write of the record could only name the record.
fn utf8_path(what: &str, path: &Path, given: &Path) -> Result<()> {
    if path.to_str().is_some() {
        return Ok(());
    }
    let message = if given.is_relative() {
        format!(
            "the {what} {} is relative, and joined to the current directory it is {}, which is \
             not valid UTF-8 and session.json cannot hold; give an absolute path in UTF-8, or \
             run from a directory whose path is UTF-8",
            given.display(),
            path.display()
        )
    } else if given != path {
        format!(
            "the {what} {} leads to {}, which is not valid UTF-8 and session.json cannot hold; \
             choose a directory whose path is UTF-8",
            given.display(),
            path.display()
        )
    } else {
        format!(
            "the {what} {} is not valid UTF-8, which session.json cannot hold; choose a path \
             in UTF-8",
            path.display()
        )
    };
    Err(Error::invalid(message))
}

/// A second descriptor of `dir` (for the undo, while the first becomes the lease).
fn dup(fd: &OwnedFd, dir: &Path) -> Result<OwnedFd> {
    fd.try_clone()
        .map_err(|e| Error::io("duplicating the descriptor of", dir, e))
}

fn not_usable(dir: &Path, why: &str) -> Error {
    Error::new(
        ErrorKind::DirNotUsable,
        format!("session directory {} {why}", dir.display()),
    )
}

/// Creates `dir` and its missing parents; returns the ones it made, innermost first.
fn make_dirs(dir: &Path) -> Result<Vec<PathBuf>> {
    let missing = missing_ancestors(dir);
    fs::create_dir_all(dir).map_err(|e| Error::io("creating session directory", dir, e))?;
    sync_parents(&missing)?;
    Ok(missing)
}

/// `dir` and its ancestors that do not exist yet, innermost first.
fn missing_ancestors(dir: &Path) -> Vec<PathBuf> {
    dir.ancestors()
        .take_while(|p| fs::symlink_metadata(p).is_err())
        .map(Path::to_path_buf)
        .collect()
}

/// Makes the new directories `made` durable: syncs the parent of each (innermost first).
fn sync_parents(made: &[PathBuf]) -> Result<()> {
    for dir in made {
        if let Some(parent) = dir.parent() {
            let fd = open::dir(parent).map_err(|e| Error::io("opening", parent, e))?;
            record_io::sync(&fd, parent)?;
        }
    }
    Ok(())
}

/// Refuses a directory that holds anything at all, naming what it holds.
fn check_empty(fd: BorrowedFd<'_>, dir: &Path) -> Result<()> {
    let read = |e: rustix::io::Errno| Error::io("reading session directory", dir, e.into());
    let mut first = None;
    for entry in rfs::Dir::read_from(fd).map_err(read)? {
        let entry = entry.map_err(read)?;
        let name = entry.file_name().to_bytes();
        if name == b"." || name == b".." {
            continue;
        }
        if name == RECORD_FILE.as_bytes() {
            return Err(not_usable(
                dir,
                "already holds session.json from an earlier session; remove that session or \
                 name another directory",
            ));
        }
        first.get_or_insert_with(|| String::from_utf8_lossy(name).into_owned());
    }
    match first {
        None => Ok(()),
        Some(name) => Err(not_usable(
            dir,
            &format!("is not empty (it holds {name:?}); name a new or empty directory"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use std::cell::{Cell, RefCell};
    use std::rc::Rc;

    use super::claim_hook::{HOOK, Step};
    use super::*;

    /// Every claim loses its directory at `step` (as to a removal racing each one): the create
    /// gives up after the first claim and [`MAX_RACED_CLAIMS`] more, with `Busy` and a message
    /// that says what happened, and leaves nothing behind.
    #[test]
    fn create_gives_up_when_every_claim_is_taken_away() {
        for step in [Step::Made, Step::Opened] {
            let tmp = tempfile::tempdir().unwrap();
            let store = SessionStore::new(tmp.path().join("root")).unwrap();
            let claims = Rc::new(Cell::new(0usize));
            let counted = Rc::clone(&claims);
            HOOK.with(|hook| {
                *hook.borrow_mut() = Some(Box::new(move |at, root, id| {
                    if at == step {
                        counted.set(counted.get() + 1);
                        rfs::unlinkat(root, id.as_str(), AtFlags::REMOVEDIR).unwrap();
                    }
                }));
            });
            let got = store.create(&NewSession::new("c", "t", "/w"));
            HOOK.with(|hook| hook.borrow_mut().take());
            let err = got.map(|live| live.id.clone()).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Busy, "{step:?}: {err}");
            let root = store.root().display().to_string();
            assert!(err.message().contains(&root), "{step:?}: {err}");
            assert!(err.message().contains("taken away"), "{step:?}: {err}");
            assert!(
                err.message().contains("65 claims in a row"),
                "{step:?}: {err}"
            );
            assert_eq!(claims.get(), MAX_RACED_CLAIMS + 1, "{step:?}");
            let left: Vec<_> = fs::read_dir(store.root()).unwrap().collect();
            assert!(left.is_empty(), "{step:?}: nothing left behind: {left:?}");
        }
    }

    /// One lost claim costs only a fresh id: the create succeeds with the next.
    #[test]
    fn a_claim_taken_away_once_is_claimed_again() {
        for step in [Step::Made, Step::Opened] {
            let tmp = tempfile::tempdir().unwrap();
            let store = SessionStore::new(tmp.path().join("root")).unwrap();
            let lost = Rc::new(RefCell::new(None::<SessionId>));
            let first = Rc::clone(&lost);
            HOOK.with(|hook| {
                *hook.borrow_mut() = Some(Box::new(move |at, root, id| {
                    if at == step && first.borrow().is_none() {
                        *first.borrow_mut() = Some(id.clone());
                        rfs::unlinkat(root, id.as_str(), AtFlags::REMOVEDIR).unwrap();
                    }
                }));
            });
            let got = store.create(&NewSession::new("c", "t", "/w"));
            HOOK.with(|hook| hook.borrow_mut().take());
            let live = got.unwrap();
            let lost = lost.take().expect("the first claim was taken away");
            assert_ne!(live.id, lost, "{step:?}");
            let names: Vec<String> = fs::read_dir(store.root())
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            assert_eq!(names, [live.id.as_str()], "{step:?}");
        }
    }
}
