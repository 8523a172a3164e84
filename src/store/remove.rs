//! Removing sessions: exactly the store's own files, the record last, all through the session
//! directory's descriptor.

use std::ffi::{CString, OsStr, OsString};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt as _, OsStringExt as _};
use std::path::{Path, PathBuf};

use rustix::fs::{self as rfs, AtFlags, Dir, FileType};
use rustix::io::Errno;

use super::session_dir::{Entry, Locked, SessionDir, kind_at};
use super::verdict::{Answer, containers_of, removal_blocker};
use super::{ENTER_SCRIPT, LOGS_DIR, SessionStore};
use crate::error::{Error, ErrorKind, Result};
use crate::fsio::{self, RECORD_FILE, open, record_io, tree};
use crate::id::SessionId;
use crate::record::Session;

/// How many times a removal clears a directory that a concurrent log writer refilled before
/// it reports what stayed. Writers check the record before and after they create anything and
/// undo their work (the emptied session directory included) once it is gone, so a second pass
/// is almost always the last; later passes pause a little to let such a writer finish.
const MAX_CLEAR_PASSES: usize = 64;

/// What a removal did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Removal {
    /// The session directory that was emptied (and removed, when `kept` is empty).
    pub session_dir: PathBuf,
    /// Names left in the session directory because they are not the store's: files a user
    /// added, or a `logs` that is not a real directory. Sorted. Empty when the directory itself
    /// was removed. When only the root's link was removed (it led to a directory that holds no
    /// record of this session), every name in that directory.
    pub kept: Vec<String>,
}

/// Whether a removal asks the container probe before it takes a session: the caller's choice
/// in [`SessionStore::remove_with`] and [`SessionStore::remove_by_path_with`], one value for
/// what every face offers as a flag (`force=` in Python, `discard --force`, the C `_forced`
/// functions).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum RemoveMode {
    /// Fail closed: a session whose containers run, or an unfinalized one the probe cannot
    /// tell about, is refused (`Busy`). What [`SessionStore::remove`] does.
    #[default]
    Checked,
    /// Skip the container check: the override for a machine whose container engine is broken,
    /// for a caller who knows nothing runs. A lease another process holds still refuses the
    /// removal (`Busy`): a running launcher is never overridden.
    Forced,
}

impl RemoveMode {
    /// [`RemoveMode::Forced`] when `force`, else [`RemoveMode::Checked`]: for callers that
    /// take the choice as a flag (the C and Python faces, the command line).
    pub fn from_force(force: bool) -> Self {
        if force {
            RemoveMode::Forced
        } else {
            RemoveMode::Checked
        }
    }
}

impl From<RemoveMode> for Check<'_> {
    fn from(mode: RemoveMode) -> Self {
        match mode {
            RemoveMode::Checked => Check::Ask,
            RemoveMode::Forced => Check::Force,
        }
    }
}

/// How a removal decides, once it holds the session's lock, whether the session may go.
pub(crate) enum Check<'a> {
    /// Ask the container probe now (`remove`, `discard`).
    Ask,
    /// Decided by a caller that judged the session already (`clean`): it goes only if its
    /// record under the lock is still the one judged, and the probe's answer lets it.
    Judged {
        /// The record as judged.
        session: &'a Session,
        /// The container probe's answer the judgement came from.
        answer: &'a Answer,
    },
    /// The caller's explicit override: no container check. A lease another process holds
    /// still refuses the removal.
    Force,
}

impl SessionStore {
    /// Removes a session by id.
    ///
    /// Deletes exactly the store's names in the session directory: `outrig-enter` (unless it is
    /// a directory), `logs/` (only when it is a real directory: a symlink named `logs` is not
    /// followed; a tree of any depth is removed), leftover temporary records of an interrupted
    /// write, and `session.json` last, so a failed removal can simply be retried. The directory
    /// goes too if that emptied it; anything else in it is the user's and stays, named in
    /// [`Removal::kept`]. A record that does not parse does not stop the removal: a running
    /// session's record always parses (every writer replaces it whole), so such a directory
    /// is not a running session's.
    ///
    /// Everything is decided after the session directory is locked, from what it holds then.
    /// For an explicit session the root's symlink goes together with the record of this id, or
    /// alone when the directory it leads to holds no record of this id (some unrelated
    /// directory, another session's, a dangling link) and nobody holds that directory's lock.
    /// A directory that is locked and holds no record yet is a session being created: `Busy`.
    /// The link is removed only while it still leads to the directory that was cleared.
    ///
    /// The session directory is opened once, locked (waiting at most
    /// [`lock_wait`](Self::lock_wait)), and every unlink goes through its descriptor, so an
    /// entry swapped meanwhile cannot redirect the removal. A log writer racing the removal
    /// leaves either a removable session or nothing.
    ///
    /// **A running session is not removed, and neither is one that might be** (every
    /// destructive decision fails closed): one whose lease another process holds; one whose
    /// containers the store's [`ContainerProbe`](crate::ContainerProbe) sees running (all of an
    /// unfinalized session's, the primary one of a finalized session, as `outrig discard`
    /// asks); and an unfinalized one when the probe cannot tell (the engine failed, timed out,
    /// or there is no probe). [`remove_with`](Self::remove_with) and [`RemoveMode::Forced`]
    /// skip the container check for a machine whose engine is broken. The process that holds
    /// the lease removes through it (and the lease ends).
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] when there is no entry `<root>/<id>`; [`ErrorKind::Busy`] when
    /// the session is running or might be (a launcher holds its lock past the wait, its
    /// containers run, or the probe could not tell: the message says which, with the engine's
    /// own words); [`ErrorKind::Io`] when a file cannot be removed (the record then stays, so
    /// the session still lists).
    pub fn remove(&self, id: &SessionId) -> Result<Removal> {
        self.remove_with(id, RemoveMode::Checked)
    }

    /// [`remove`](Self::remove) without asking whether the session's containers run: the
    /// override for a machine whose container engine is broken (`discard --force`). A lease
    /// another process holds still refuses it (`Busy`). The same as
    /// `remove_with(id, RemoveMode::Forced)`.
    ///
    /// # Errors
    /// As for [`remove`](Self::remove).
    pub fn remove_forced(&self, id: &SessionId) -> Result<Removal> {
        self.remove_with(id, RemoveMode::Forced)
    }

    /// [`remove`](Self::remove), asking the container probe or not as `mode` says: the one
    /// entry every face's removal by id goes through (`RemoveMode::from_force(flag)` for a
    /// flag).
    ///
    /// # Errors
    /// As for [`remove`](Self::remove).
    pub fn remove_with(&self, id: &SessionId, mode: RemoveMode) -> Result<Removal> {
        self.remove_checked(id, mode.into())
    }

    /// [`remove`](Self::remove), deciding with `check` whether the session may go.
    pub(crate) fn remove_checked(&self, id: &SessionId, check: Check<'_>) -> Result<Removal> {
        let (root, entry) = self.open_entry(id)?;
        let dir = match entry {
            Entry::DeadLink { target } => {
                // A link that leads to no directory: no record, and nothing to lock. It goes
                // only while it still reads what was found.
                self.remove_link(&root, id, Some(&target))?;
                return Ok(Removal {
                    session_dir: self.root.join(target),
                    kept: Vec::new(),
                });
            }
            Entry::Dir(dir) => dir,
        };
        let locked = dir.lock(self.lock_wait)?;
        if dir.link_target.is_none() {
            // The root's own entry: whatever record it holds (even one of another id, copied
            // in) is the one that decides.
            match record_io::read_at(dir.fd(), &dir.path) {
                Ok(session) => self.check_may_go(&locked, &session, &check)?,
                Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::CorruptRecord) => {}
                Err(e) => return Err(e),
            }
            let removal = self.clear_locked(&dir, Some(&root))?;
            locked.end_lease();
            record_io::sync(&root, &self.root)?;
            return Ok(removal);
        }
        let identity = dir.identity()?;
        let link = dir.link_target.clone();
        if !link_leads_to(&root, id, identity) {
            return Err(Error::new(
                ErrorKind::Busy,
                format!(
                    "the entry {} changed while it was being removed; try again",
                    self.entry_path(id).display()
                ),
            ));
        }
        match dir.read() {
            Ok(session) => {
                self.check_may_go(&locked, &session, &check)?;
                let removal = self.clear_locked(&dir, None)?;
                locked.end_lease();
                self.remove_link(&root, id, link.as_deref())?;
                Ok(removal)
            }
            Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::CorruptRecord) => {
                // No record of this id behind the link, and nobody else holds the directory's
                // lock (this removal does): not a session being created, so only the link is
                // the store's. Temporary records a create cut short left there go too when
                // there is no record at all.
                if kind_at(dir.fd(), RECORD_FILE, &dir.path)?.is_none() {
                    for temp in stale_temp_records(dir.fd(), &dir.path)? {
                        unlink(dir.fd(), temp.as_bytes(), &dir.path)?;
                    }
                    record_io::sync(dir.fd(), &dir.path)?;
                }
                self.remove_link(&root, id, link.as_deref())?;
                Ok(Removal {
                    kept: names_in(dir.fd(), &dir.path)?,
                    session_dir: dir.path.clone(),
                })
            }
            Err(e) => Err(e),
        }
    }

    /// Removes the session whose record is in `dir`, as [`remove`](Self::remove) does, and the
    /// root's link to it. The link is found from the record's id in one lookup, not by a sweep
    /// of the root, and removed only when it leads to this very directory (same device and
    /// inode); an entry of that id which leads elsewhere is left alone.
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] when `dir` holds no `session.json`;
    /// [`ErrorKind::CorruptRecord`] when it does not parse (remove such a session by id);
    /// [`ErrorKind::Busy`] and [`ErrorKind::Io`] as for `remove`.
    pub fn remove_by_path(&self, dir: &Path) -> Result<Removal> {
        self.remove_by_path_with(dir, RemoveMode::Checked)
    }

    /// [`remove_by_path`](Self::remove_by_path) without the container check, as
    /// [`remove_forced`](Self::remove_forced). The same as
    /// `remove_by_path_with(dir, RemoveMode::Forced)`.
    ///
    /// # Errors
    /// As for [`remove_by_path`](Self::remove_by_path).
    pub fn remove_by_path_forced(&self, dir: &Path) -> Result<Removal> {
        self.remove_by_path_with(dir, RemoveMode::Forced)
    }

    /// [`remove_by_path`](Self::remove_by_path), asking the container probe or not as `mode`
    /// says: the one entry every face's removal by path goes through.
    ///
    /// # Errors
    /// As for [`remove_by_path`](Self::remove_by_path).
    pub fn remove_by_path_with(&self, dir: &Path, mode: RemoveMode) -> Result<Removal> {
        let check: Check<'_> = mode.into();
        let dir = fsio::absolute("session directory", dir)?;
        let fd = open::dir(&dir).map_err(|e| Error::io("opening session directory", &dir, e))?;
        // The id names the lock's messages; what is decided comes from the read under it.
        let unlocked = record_io::read_at(fd.as_fd(), &dir)?;
        let path = open::path_of(&fd).unwrap_or(dir);
        let target = SessionDir {
            id: unlocked.id.clone(),
            fd,
            path,
            link_target: None,
        };
        let locked = target.lock(self.lock_wait)?;
        let session = record_io::read_at(target.fd(), &target.path)?;
        if session.id != unlocked.id {
            return Err(Error::new(
                ErrorKind::Busy,
                format!(
                    "the record in {} changed while it was being removed; try again",
                    target.path.display()
                ),
            ));
        }
        self.check_may_go(&locked, &session, &check)?;
        let root = match self.open_root() {
            Ok(root) => Some(root),
            Err(e) if e.kind() == ErrorKind::NotFound => None,
            Err(e) => return Err(e),
        };
        let identity = target.identity()?;
        let link = match root.as_ref() {
            Some(root) if link_leads_to(root, &session.id, identity) => {
                self.link_text(root, &session.id)?
            }
            _ => None,
        };
        // An auto session named by its path is the root's entry itself.
        let in_root = root.as_ref().filter(|root| {
            rfs::statat(root, session.id.as_str(), AtFlags::SYMLINK_NOFOLLOW)
                .is_ok_and(|st| (st.st_dev, st.st_ino) == identity)
        });
        let removal = self.clear_locked(&target, in_root)?;
        locked.end_lease();
        match &root {
            Some(root) if link.is_some() => self.remove_link(root, &session.id, link.as_deref())?,
            Some(root) if in_root.is_some() => record_io::sync(root, &self.root)?,
            _ => {}
        }
        Ok(removal)
    }

    /// Refuses (`Busy`) the removal of `session`, whose directory this removal has locked,
    /// when it runs or might (see [`removal_blocker`]). The lease's own process removes
    /// through it without asking: it is the launcher ending its session.
    fn check_may_go(&self, locked: &Locked, session: &Session, check: &Check<'_>) -> Result<()> {
        if matches!(locked, Locked::Lease(_)) {
            return Ok(());
        }
        let blocker = match check {
            Check::Force => None,
            Check::Ask => removal_blocker(session, &self.ask_about(session), &self.probe),
            Check::Judged {
                session: judged,
                answer,
            } => {
                if !same_liveness_facts(judged, session) {
                    return Err(Error::new(
                        ErrorKind::Busy,
                        format!(
                            "session {} ({}) changed while it was being cleaned; clean again",
                            session.id,
                            session.session_dir.display()
                        ),
                    ));
                }
                removal_blocker(session, answer, &self.probe)
            }
        };
        blocker.map_or(Ok(()), Err)
    }

    /// Removes the root's entry `id` when it is a symlink (a directory there is left alone)
    /// that still reads `expected` (the link as it was checked; any symlink when `None`), and
    /// makes that durable.
    fn remove_link(&self, root: &OwnedFd, id: &SessionId, expected: Option<&Path>) -> Result<()> {
        if let Some(expected) = expected
            && self.link_text(root, id)?.as_deref() != Some(expected)
        {
            // Gone or replaced meanwhile (by a new session of this id, say): not the link
            // decided on. A link that cannot be read is an error, never taken for gone.
            return Ok(());
        }
        match rfs::unlinkat(root, id.as_str(), AtFlags::empty()) {
            Ok(()) | Err(Errno::NOENT) => {}
            // Swapped for a directory meanwhile: that is not the link we found; leave it.
            Err(Errno::ISDIR) => {}
            Err(e) => {
                return Err(Error::io(
                    "removing session link",
                    &self.entry_path(id),
                    e.into(),
                ));
            }
        }
        record_io::sync(root, &self.root)
    }

    /// What the root's entry `id` reads: `None` when there is none or it is not a symlink.
    fn link_text(&self, root: &OwnedFd, id: &SessionId) -> Result<Option<PathBuf>> {
        match rfs::readlinkat(root, id.as_str(), Vec::new()) {
            Ok(link) => Ok(Some(PathBuf::from(OsString::from_vec(link.into_bytes())))),
            Err(Errno::NOENT | Errno::INVAL) => Ok(None),
            Err(e) => Err(Error::io(
                "reading session link",
                &self.entry_path(id),
                e.into(),
            )),
        }
    }

    /// Removes the store's names from the locked session directory, the record last, then the
    /// directory itself when that emptied it: through `root` when the directory is the root's
    /// entry `<root>/<id>`, else through its parent directory.
    fn clear_locked(&self, dir: &SessionDir, root: Option<&OwnedFd>) -> Result<Removal> {
        let fd = dir.fd();
        for pass in 1.. {
            clear_store_names(fd, &dir.path)?;
            record_io::sync(fd, &dir.path)?;
            match remove_emptied(dir, root)? {
                None => break,
                Some(kept) => {
                    // A log writer that raced the removal may have made `logs/` again; its
                    // own check undoes that, but clear it here too rather than leave an orphan.
                    let only_ours = kept.iter().all(|n| is_store_name(n.as_bytes()));
                    if !only_ours || pass >= MAX_CLEAR_PASSES {
                        return Ok(Removal {
                            session_dir: dir.path.clone(),
                            kept,
                        });
                    }
                    if pass > 2 {
                        std::thread::sleep(std::time::Duration::from_millis(1));
                    }
                }
            }
        }
        Ok(Removal {
            session_dir: dir.path.clone(),
            kept: Vec::new(),
        })
    }
}

/// Whether two reads of a record agree on what decides its liveness: finalized or not, and
/// the containers that would be asked about.
fn same_liveness_facts(a: &Session, b: &Session) -> bool {
    a.id == b.id && a.ended_at == b.ended_at && containers_of(a).eq(containers_of(b))
}

/// Whether `name` is one the store deletes from a session directory.
fn is_store_name(name: &[u8]) -> bool {
    name == ENTER_SCRIPT.as_bytes()
        || name == LOGS_DIR.as_bytes()
        || name == RECORD_FILE.as_bytes()
        || fsio::is_temp_record(name)
}

/// Deletes `outrig-enter` (unless a directory), `logs/` (only a real directory), stranded
/// temporary records, and `session.json` last, all relative to `fd`.
fn clear_store_names(fd: BorrowedFd<'_>, path: &Path) -> Result<()> {
    if kind_at(fd, ENTER_SCRIPT, path)?.is_some_and(|t| t != FileType::Directory) {
        unlink(fd, ENTER_SCRIPT.as_bytes(), path)?;
    }
    if kind_at(fd, LOGS_DIR, path)? == Some(FileType::Directory) {
        tree::remove_at(fd, c"logs")
            .map_err(|e| Error::io("removing logs directory", &path.join(LOGS_DIR), e))?;
    }
    for temp in stale_temp_records(fd, path)? {
        unlink(fd, temp.as_bytes(), path)?;
    }
    if kind_at(fd, RECORD_FILE, path)?.is_some_and(|t| t != FileType::Directory) {
        unlink(fd, RECORD_FILE.as_bytes(), path)?;
    }
    Ok(())
}

/// Removes an emptied session directory (through its parent), as a removal's last step does.
pub(crate) fn remove_if_emptied(dir: &SessionDir) -> Result<Option<Vec<String>>> {
    remove_emptied(dir, None)
}

/// Removes the session directory itself when it is empty and still the entry it was opened
/// from; returns the names that keep it, if any.
fn remove_emptied(dir: &SessionDir, root: Option<&OwnedFd>) -> Result<Option<Vec<String>>> {
    let opened_parent;
    let (parent, name) = match root {
        Some(root) => (root.as_fd(), OsString::from(dir.id.as_str())),
        None => {
            let (Some(parent), Some(name)) = (dir.path.parent(), dir.path.file_name()) else {
                return Ok(Some(names_in(dir.fd(), &dir.path)?));
            };
            opened_parent = match open::dir(parent) {
                Ok(fd) => fd,
                Err(e) if open::is_missing(&e) => return Ok(None),
                Err(e) => return Err(Error::io("opening", parent, e)),
            };
            (opened_parent.as_fd(), name.to_owned())
        }
    };
    // Only the directory we cleared: whatever else now carries its name stays.
    match rfs::statat(parent, name.as_os_str(), AtFlags::SYMLINK_NOFOLLOW) {
        Ok(st) if (st.st_dev, st.st_ino) == dir.identity()? => {}
        Ok(_) | Err(Errno::NOENT) => return Ok(None),
        Err(e) => return Err(Error::io("looking up", &dir.path, e.into())),
    }
    let name = CString::new(name.into_vec()).expect("a directory name has no NUL");
    match rfs::unlinkat(parent, name.as_c_str(), AtFlags::REMOVEDIR) {
        Ok(()) => {
            // The removal must survive a power cut: the root is synced by the caller, another
            // parent (an explicit session's) here.
            if root.is_none() {
                record_io::sync(parent, dir.path.parent().unwrap_or(&dir.path))?;
            }
            Ok(None)
        }
        Err(Errno::NOENT) => Ok(None),
        Err(Errno::NOTEMPTY | Errno::EXIST) => Ok(Some(names_in(dir.fd(), &dir.path)?)),
        Err(e) => Err(Error::io("removing session directory", &dir.path, e.into())),
    }
}

/// Whether the root's entry `id` is a symlink to the directory of identity `target`.
fn link_leads_to(root: &OwnedFd, id: &SessionId, target: (u64, u64)) -> bool {
    let Ok(link) = rfs::readlinkat(root, id.as_str(), Vec::new()) else {
        return false;
    };
    let link = Path::new(OsStr::from_bytes(link.as_bytes()));
    // A relative target is relative to the root, where the link lives.
    let leads = if link.is_absolute() {
        open::dir(link)
    } else {
        rfs::openat(
            root,
            link,
            rfs::OFlags::RDONLY | rfs::OFlags::DIRECTORY | rfs::OFlags::CLOEXEC,
            rfs::Mode::empty(),
        )
        .map_err(Into::into)
    };
    leads
        .ok()
        .and_then(|fd| rfs::fstat(fd).ok())
        .is_some_and(|st| (st.st_dev, st.st_ino) == target)
}

fn unlink(fd: BorrowedFd<'_>, name: &[u8], dir: &Path) -> Result<()> {
    match rfs::unlinkat(fd, name, AtFlags::empty()) {
        Ok(()) | Err(Errno::NOENT) => Ok(()),
        Err(e) => Err(Error::io(
            "removing",
            &dir.join(OsStr::from_bytes(name)),
            e.into(),
        )),
    }
}

/// Temporary records (`.session.json.*.tmp`) a killed writer left behind.
fn stale_temp_records(fd: BorrowedFd<'_>, path: &Path) -> Result<Vec<OsString>> {
    let mut out = Vec::new();
    let read = |e: Errno| Error::io("reading session directory", path, e.into());
    for entry in Dir::read_from(fd).map_err(read)? {
        let entry = entry.map_err(read)?;
        let name = entry.file_name().to_bytes();
        if fsio::is_temp_entry(fd, name, entry.file_type()) {
            out.push(OsStr::from_bytes(name).to_owned());
        }
    }
    Ok(out)
}

/// The names in a directory (without `.` and `..`), sorted.
fn names_in(fd: BorrowedFd<'_>, path: &Path) -> Result<Vec<String>> {
    let read = |e: Errno| Error::io("reading session directory", path, e.into());
    let mut names = Vec::new();
    for entry in Dir::read_from(fd).map_err(read)? {
        let entry = entry.map_err(read)?;
        let name = entry.file_name().to_bytes();
        if name != b"." && name != b".." {
            names.push(String::from_utf8_lossy(name).into_owned());
        }
    }
    names.sort();
    Ok(names)
}
