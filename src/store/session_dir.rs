//! A session directory opened once and checked: what every operation by id acts on.
//!
//! `<root>/<id>` is opened relative to the root's descriptor without following it. When it is
//! a real directory, that descriptor is the session. When it is a symlink (an explicit
//! session), exactly that one link is followed to the directory it names, which is opened
//! without following its last component; whether that directory holds a record of this id is
//! checked by the operation before it acts (reading through the descriptor). Every later read,
//! lock, write and unlink goes through these descriptors, so an entry swapped after the open
//! cannot redirect the operation to another directory.

use std::ffi::OsString;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStringExt as _;
use std::path::{Path, PathBuf};

use rustix::fs::{self as rfs, AtFlags, FileType};

use super::SessionStore;
use super::lease::{Lease, LeaseTurn};
use crate::error::{Error, ErrorKind, Result};
use crate::fsio::{lock, open, record_io};
use crate::id::SessionId;
use crate::record::Session;

/// An opened session directory.
pub(crate) struct SessionDir {
    /// The session's id (its entry's name under the root).
    pub(crate) id: SessionId,
    /// The session directory's descriptor.
    pub(crate) fd: OwnedFd,
    /// The directory's path, for messages and results: `<root>/<id>`, or the link's target.
    pub(crate) path: PathBuf,
    /// The link's target when `<root>/<id>` is a symlink.
    pub(crate) link_target: Option<PathBuf>,
}

/// What `<root>/<id>` turned out to be.
pub(crate) enum Entry {
    /// A directory (real, or behind the entry's link).
    Dir(SessionDir),
    /// A symlink that leads to no directory (dangling, a loop, a file): only the link is there.
    DeadLink {
        /// The link's target.
        target: PathBuf,
    },
}

impl SessionStore {
    /// Opens the root directory.
    pub(crate) fn open_root(&self) -> Result<OwnedFd> {
        open::dir(&self.root).map_err(|e| Error::io("opening session root", &self.root, e))
    }

    /// Opens `<root>/<id>` as described in the module's documentation; returns the root's
    /// descriptor too, through which the entry itself is removed.
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] when the root or the entry is missing or the entry is neither a
    /// directory nor a symlink; [`ErrorKind::Io`] for other faults.
    pub(crate) fn open_entry(&self, id: &SessionId) -> Result<(OwnedFd, Entry)> {
        let root = match self.open_root() {
            Ok(root) => root,
            Err(e) if e.kind() == ErrorKind::NotFound => return Err(self.no_session(id)),
            Err(e) => return Err(e),
        };
        let entry = self.entry_path(id);
        let looked_up = |e: io::Error| Error::io("opening session entry", &entry, e);
        match open::dir_at(&root, id.as_str()) {
            Ok(fd) => Ok((
                root,
                Entry::Dir(SessionDir {
                    id: id.clone(),
                    fd,
                    path: entry,
                    link_target: None,
                }),
            )),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Err(self.no_session(id)),
            Err(e) if open::is_symlink_error(&e) || e.kind() == io::ErrorKind::NotADirectory => {
                let target = match rfs::readlinkat(&root, id.as_str(), Vec::new()) {
                    Ok(t) => PathBuf::from(OsString::from_vec(t.into_bytes())),
                    // A file, a FIFO, a socket: not a session. Gone meanwhile: not either.
                    Err(rustix::io::Errno::INVAL | rustix::io::Errno::NOENT) => {
                        return Err(self.no_session(id));
                    }
                    Err(e) => return Err(looked_up(e.into())),
                };
                // outrig writes absolute targets; a relative one is relative to the root.
                let dir = self.root.join(&target);
                match open::dir_nofollow(&dir) {
                    Ok(fd) => Ok((
                        root,
                        Entry::Dir(SessionDir {
                            id: id.clone(),
                            fd,
                            path: dir,
                            link_target: Some(target),
                        }),
                    )),
                    Err(e) if open::is_missing(&e) || open::is_symlink_error(&e) => {
                        Ok((root, Entry::DeadLink { target }))
                    }
                    Err(e) => Err(Error::io("opening session directory", &dir, e)),
                }
            }
            Err(e) => Err(looked_up(e)),
        }
    }

    /// Opens the session directory of `id`; a dead link is "no session". Behind a link, the
    /// directory must hold a record of this id (read through its descriptor), so a link to
    /// some other directory, or to another session's, is never acted on.
    pub(crate) fn open_session(&self, id: &SessionId) -> Result<SessionDir> {
        match self.open_entry(id)?.1 {
            Entry::Dir(dir) => {
                if dir.link_target.is_some() {
                    dir.read()?;
                }
                Ok(dir)
            }
            Entry::DeadLink { .. } => Err(self.no_session(id)),
        }
    }

    pub(crate) fn no_session(&self, id: &SessionId) -> Error {
        Error::new(
            ErrorKind::NotFound,
            format!(
                "no session {id} under {}; list the sessions to see which exist",
                self.root.display()
            ),
        )
    }
}

impl SessionDir {
    /// Reads the record through the descriptor and checks it is this session's: a record that
    /// carries another id (a copied or renamed directory, or a link to another session's
    /// directory) is refused, as `list` skips it.
    pub(crate) fn read(&self) -> Result<Session> {
        let mut session = record_io::read_at(self.fd.as_fd(), &self.path).map_err(|e| {
            if e.kind() == ErrorKind::NotFound {
                Error::new(
                    ErrorKind::NotFound,
                    format!(
                        "no session {} ({} holds no session.json); list the sessions to see \
                         which exist",
                        self.id,
                        self.path.display()
                    ),
                )
            } else {
                e
            }
        })?;
        if session.id != self.id {
            return Err(Error::new(
                ErrorKind::CorruptRecord,
                format!(
                    "{}: the record's id {} differs from its entry name {}; it was copied or \
                     renamed, or the entry leads to another session's directory, so operations \
                     by id cannot reach it; rename the entry to its id",
                    self.path.join(crate::fsio::RECORD_FILE).display(),
                    session.id,
                    self.id
                ),
            ));
        }
        session.link_target.clone_from(&self.link_target);
        Ok(session)
    }

    /// Writes `session` as this directory's record, durably.
    pub(crate) fn write(&self, session: &Session) -> Result<()> {
        record_io::write_at(self.fd.as_fd(), &self.path, session)
    }

    /// Takes the session's lock, waiting at most `wait`: through this process's lease when it
    /// holds one on this directory, else the `flock` itself (held until this `SessionDir` is
    /// dropped). A directory removed meanwhile (by another removal that held the lock first)
    /// is "no session".
    pub(crate) fn lock(&self, wait: std::time::Duration) -> Result<Locked> {
        let turn = match Lease::find(self.identity()?) {
            Some(lease) => lease.enter(wait)?,
            None => None,
        };
        let locked = match turn {
            Some(turn) => Locked::Lease(turn),
            None => {
                lock::acquire(self.fd.as_fd(), &self.path, wait, || {
                    busy_message(&self.id, &self.path)
                })?;
                Locked::Flock
            }
        };
        let st = rfs::fstat(&self.fd)
            .map_err(|e| Error::io("reading the status of", &self.path, e.into()))?;
        if st.st_nlink == 0 {
            return Err(Error::new(
                ErrorKind::NotFound,
                format!(
                    "session {} ({}) was removed meanwhile by another process",
                    self.id,
                    self.path.display()
                ),
            ));
        }
        Ok(locked)
    }

    /// The directory's descriptor.
    pub(crate) fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// The directory's device and inode numbers.
    pub(crate) fn identity(&self) -> Result<(u64, u64)> {
        identity_of(&self.fd, &self.path)
    }
}

/// A session's lock as an operation holds it.
pub(crate) enum Locked {
    /// The `flock` on the operation's own descriptor.
    Flock,
    /// This process's turn at its own lease.
    Lease(LeaseTurn),
}

impl Locked {
    /// Ends this process's lease, when the lock is one (the session was finalized or removed).
    pub(crate) fn end_lease(&self) {
        if let Locked::Lease(turn) = self {
            turn.release_lease();
        }
    }
}

/// The message of a [`ErrorKind::Busy`] error for session `id`.
pub(crate) fn busy_message(id: &SessionId, dir: &Path) -> String {
    format!(
        "session {id} ({}) is in use by a running launcher, which holds its lock; wait until it \
         finalizes, or stop it first",
        dir.display()
    )
}

/// A directory's device and inode numbers.
pub(crate) fn identity_of(fd: impl AsFd, path: &Path) -> Result<(u64, u64)> {
    let st = rfs::fstat(fd).map_err(|e| Error::io("reading the status of", path, e.into()))?;
    Ok((st.st_dev, st.st_ino))
}

/// What `name` under `dir` is, without following it; `None` when it does not exist.
pub(crate) fn kind_at(dir: impl AsFd, name: &str, dir_path: &Path) -> Result<Option<FileType>> {
    match rfs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(st) => Ok(Some(FileType::from_raw_mode(st.st_mode))),
        Err(rustix::io::Errno::NOENT) => Ok(None),
        Err(e) => Err(Error::io("looking up", &dir_path.join(name), e.into())),
    }
}
