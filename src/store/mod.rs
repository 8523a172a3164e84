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

mod clean;
mod create;
mod feed;
mod lease;
mod list;
mod logs;
mod remove;
mod session_dir;
mod spread;
mod update;
mod verdict;

use std::os::fd::AsFd as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::{Error, Result};
// Named in the documentation's links.
#[cfg(doc)]
use crate::error::ErrorKind;
use crate::fsio::{self, open, record_io};
use crate::id::SessionId;
use crate::probe::ContainerProbe;
use crate::record::Session;

pub use clean::{CleanFailure, CleanMode, Cleaning};
pub use create::NewSession;
pub use lease::LiveSession;
pub(crate) use list::Listed;
#[cfg(feature = "capi")]
pub(crate) use list::Ordered;
pub use list::{Listing, Skipped};
pub use logs::{LogFile, MAX_LOG_DEPTH};
pub use remove::{Removal, RemoveMode};
pub use verdict::Liveness;

/// Name of the logs directory inside a session directory.
pub const LOGS_DIR: &str = "logs";

/// Name of the launcher script some sessions keep in their directory.
pub const ENTER_SCRIPT: &str = "outrig-enter";

/// The session records under one root directory.
///
/// A store is a path and a few settings: it holds no open files, is cheap to clone, and may
/// be shared between threads. Every operation goes to the filesystem, so several stores,
/// processes or outrig itself can work on one root at once; the guarantees of each operation
/// under concurrency are stated on it.
///
/// Every operation opens the root and then the session's directory as descriptors and acts
/// only through them: what it checked is what it acts on, whatever another process renames
/// or swaps meanwhile. Files are opened without blocking and refused unless regular before
/// anything is read, and every read is bounded, so nothing planted on disk (a FIFO, a device,
/// a huge file, a deep tree) can hang an operation or exhaust its memory or descriptors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionStore {
    root: PathBuf,
    lock_wait: Duration,
    probe: ContainerProbe,
}

impl SessionStore {
    /// A store rooted at `root`. A relative root is taken against the current directory now, so
    /// the store (and every `session_dir` it records) stays absolute. The root need not exist:
    /// `create` makes it, and listing a missing root gives no sessions.
    ///
    /// The root is normalised lexically, so messages and records name `/home/me/root`, not
    /// `/home/me/app/../root`: `.` components go, and `..` takes off the component before it
    /// without looking at the filesystem (when that component is a symlink, the store's root is
    /// the directory as written, not the one the kernel would reach through the link).
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
            root: fsio::absolute_normalized("session root", &root)?,
            lock_wait: fsio::lock::LOCK_WAIT,
            probe: ContainerProbe::default(),
        })
    }

    /// A store at the root outrig would use: `explicit` when given, else the global config's
    /// `session-root`, else the XDG default (see [`resolve_root_from_env`]).
    ///
    /// [`resolve_root_from_env`]: crate::resolve_root_from_env
    ///
    /// # Errors
    /// [`ErrorKind::Config`] when the config file is unreadable or malformed, or when
    /// `config_file` (a file the caller names; the default location may be absent) does not
    /// exist and `explicit` is not given.
    pub fn resolve(explicit: Option<&Path>, config_file: Option<&Path>) -> Result<Self> {
        Self::new(crate::root::resolve_root_from_env(explicit, config_file)?)
    }

    /// The same store, waiting at most `wait` for a session's lock before an operation fails
    /// with [`ErrorKind::Busy`](crate::ErrorKind::Busy) (default [`LOCK_WAIT`]).
    ///
    /// [`LOCK_WAIT`]: crate::LOCK_WAIT
    #[must_use]
    pub fn with_lock_wait(mut self, wait: Duration) -> Self {
        self.lock_wait = wait;
        self
    }

    /// The same store, telling whether sessions' containers run with `probe` (default
    /// [`ContainerProbe::engine`], which spawns `podman ps` as a child of this process; pass
    /// [`ContainerProbe::custom`] to answer yourself without spawning anything, or
    /// [`ContainerProbe::none`] to never ask: unfinalized sessions nobody leases are then
    /// `Unknown`, and only a forced removal takes them).
    #[must_use]
    pub fn with_container_probe(mut self, probe: ContainerProbe) -> Self {
        self.probe = probe;
        self
    }

    /// How long an operation waits for a session's lock (see
    /// [`with_lock_wait`](Self::with_lock_wait)).
    pub fn lock_wait(&self) -> Duration {
        self.lock_wait
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
    /// The entry is opened without following it, except for the one symlink an explicit
    /// session's entry is, and the record is read through that directory's descriptor; a
    /// record that carries another id is refused, so a swapped or reused directory is never
    /// reported as this session.
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] when there is no such session; [`ErrorKind::CorruptRecord`]
    /// when its record is not a readable record of this id (it does not parse, carries another
    /// id, or is not a regular file).
    pub fn get(&self, id: &SessionId) -> Result<Session> {
        self.open_session(id)?.read()
    }

    /// Reads the session whose record is in `dir` (a session directory named directly).
    /// `link_target` is `None`: the caller already holds the directory. A relative `dir` is
    /// taken against the current directory by the same rule as
    /// [`remove_by_path`](Self::remove_by_path)'s, so the two agree on which directory it is.
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] when `dir` has no `session.json`; [`ErrorKind::CorruptRecord`]
    /// when it is not a readable record; [`ErrorKind::Io`] when `dir` is relative and the
    /// current directory cannot be read (it was deleted), never `NotFound`.
    pub fn get_by_path(&self, dir: &Path) -> Result<Session> {
        let dir = fsio::absolute("session directory", dir)?;
        let fd = open::dir(&dir).map_err(|e| Error::io("opening session directory", &dir, e))?;
        record_io::read_at(fd.as_fd(), &dir)
    }
}
