//! [`SessionStore`]: the sessions under one root, and every operation on them.
//!
//! Layout (outrig's):
//!
//! ```text
//! <root>/<id>/session.json     auto-allocated session: a real directory
//! <root>/<id>/logs/            its logs (created when first needed)
//! <root>/<id> -> <dir>         explicit session: a symlink to the canonical <dir>,
//! <dir>/session.json           which holds the record itself
//! ```

mod create;
mod list;
mod logs;
mod remove;
mod update;

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{Error, ErrorKind, Result};
use crate::fsio;
use crate::id::SessionId;
use crate::record::Session;

pub use create::NewSession;
pub use list::{Listing, Skipped};
pub use logs::LogFile;
pub use remove::Removal;

/// Name of the logs directory inside a session directory.
pub const LOGS_DIR: &str = "logs";

/// Name of the launcher script some sessions keep in their directory.
pub const ENTER_SCRIPT: &str = "outrig-enter";

/// The session records under one root directory.
///
/// A store is a path and nothing more: it holds no open files, is cheap to clone, and may be
/// shared between threads. Every operation goes to the filesystem, so several stores, processes
/// or outrig itself can work on one root at once; the guarantees of each operation under
/// concurrency are stated on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionStore {
    root: PathBuf,
}

/// Where a session's entry under the root leads.
pub(crate) struct Located {
    /// `<root>/<id>`.
    entry: PathBuf,
    /// The directory holding the record: the entry itself, or its link target.
    dir: PathBuf,
    /// The link target when the entry is a symlink.
    link_target: Option<PathBuf>,
}

impl SessionStore {
    /// A store rooted at `root`. A relative root is taken against the current directory now, so
    /// the store (and every `session_dir` it records) stays absolute. The root need not exist:
    /// `create` makes it, and listing a missing root gives no sessions.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`] for an empty path; [`ErrorKind::Io`] when the current
    /// directory cannot be read.
    pub fn new(root: impl Into<PathBuf>) -> Result<Self> {
        let root = root.into();
        if root.as_os_str().is_empty() {
            return Err(Error::invalid(
                "the session root path is empty; name a directory",
            ));
        }
        Ok(Self {
            root: fsio::absolute(&root)?,
        })
    }

    /// A store at the root outrig would use: `explicit` when given, else the global config's
    /// `session-root`, else the XDG default (see [`resolve_root_from_env`]).
    ///
    /// [`resolve_root_from_env`]: crate::resolve_root_from_env
    ///
    /// # Errors
    /// [`ErrorKind::Config`] when the config file is unreadable or malformed.
    pub fn resolve(explicit: Option<&Path>, config_file: Option<&Path>) -> Result<Self> {
        Self::new(crate::root::resolve_root_from_env(explicit, config_file)?)
    }

    /// The absolute root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The path of `<root>/<id>`: the session directory for auto sessions, the symlink for
    /// explicit ones. It may not exist.
    pub fn entry_path(&self, id: &SessionId) -> PathBuf {
        self.root.join(id.as_str())
    }

    /// Reads one session by id. For an explicit session `link_target` is set.
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] when there is no such session; [`ErrorKind::CorruptRecord`]
    /// when its record does not parse.
    pub fn get(&self, id: &SessionId) -> Result<Session> {
        let at = self.locate(id)?;
        let mut session = self.read_located(id, &at)?;
        session.link_target = at.link_target;
        Ok(session)
    }

    /// Reads the record `<root>/<id>` leads to. A record that carries another id (a copied
    /// or renamed directory) is refused, as `list` skips it: an operation by id must act on
    /// the session of that id.
    pub(crate) fn read_located(&self, id: &SessionId, at: &Located) -> Result<Session> {
        let session = fsio::read_record(&at.dir).map_err(|e| self.not_found_as(id, e))?;
        if session.id != *id {
            return Err(Error::new(
                ErrorKind::CorruptRecord,
                format!(
                    "{}: the record's id {} differs from its entry name {id}; it was copied or \
                     renamed, so operations by id cannot reach it; rename the entry to its id",
                    at.dir.join(fsio::RECORD_FILE).display(),
                    session.id
                ),
            ));
        }
        Ok(session)
    }

    /// Reads the session whose record is in `dir` (a session directory named directly).
    /// `link_target` is `None`: the caller already holds the directory.
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] when `dir` has no `session.json`; [`ErrorKind::CorruptRecord`]
    /// when it does not parse.
    pub fn get_by_path(&self, dir: &Path) -> Result<Session> {
        fsio::read_record(dir)
    }

    /// Finds where `<root>/<id>` leads, without reading the record.
    pub(crate) fn locate(&self, id: &SessionId) -> Result<Located> {
        let entry = self.entry_path(id);
        let kind = fsio::entry_type(&entry)
            .map_err(|e| Error::io("looking up session entry", &entry, e))?;
        match kind {
            Some(t) if t.is_symlink() => {
                let target = fs::read_link(&entry)
                    .map_err(|e| Error::io("reading session link", &entry, e))?;
                // outrig writes absolute targets; a relative one is relative to the root.
                let dir = self.root.join(&target);
                Ok(Located {
                    entry,
                    dir,
                    link_target: Some(target),
                })
            }
            Some(t) if t.is_dir() => Ok(Located {
                dir: entry.clone(),
                entry,
                link_target: None,
            }),
            _ => Err(self.no_session(id)),
        }
    }

    fn no_session(&self, id: &SessionId) -> Error {
        Error::new(
            ErrorKind::NotFound,
            format!(
                "no session {id} under {}; list the sessions to see which exist",
                self.root.display()
            ),
        )
    }

    /// A missing record under an existing entry is still "no session `id`".
    fn not_found_as(&self, id: &SessionId, e: Error) -> Error {
        if e.kind() == ErrorKind::NotFound {
            self.no_session(id)
        } else {
            e
        }
    }
}
