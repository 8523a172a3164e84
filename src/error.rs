//! The one error type of the library and the kinds it sorts into.
//!
//! Every face of the library (Rust, C, Python) reports errors through these kinds, so a caller
//! in any language can tell "no such session" from "the disk failed" without reading messages.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// What went wrong, in the terms a caller decides on.
///
/// Each kind maps to one C status (`OUTRIG_ERR_*`) and one Python exception class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// An argument was refused before anything touched the filesystem: an invalid session id or
    /// log name, a missing required field, a path that is not UTF-8.
    InvalidArgument,
    /// The session, record or path named does not exist.
    NotFound,
    /// Something that must be new already exists.
    AlreadyExists,
    /// An explicit session directory cannot take a new session: it is not a directory, it is not
    /// empty, it already holds a record, or it lies inside the session root.
    DirNotUsable,
    /// A `session.json` could not be read as a session record.
    CorruptRecord,
    /// The configuration file is unreadable or malformed, or the default root cannot be found.
    Config,
    /// The session is in use by a running launcher: its lock was not free within the store's
    /// bounded wait ([`SessionStore::lock_wait`](crate::SessionStore::lock_wait)).
    Busy,
    /// Any other operating-system error; [`Error::os_error`] gives the errno.
    Io,
}

impl ErrorKind {
    /// Every kind, in a fixed order: the C status and Python exception mappings are checked
    /// against this list, so a new kind cannot go unmapped silently.
    pub const ALL: [ErrorKind; 8] = [
        ErrorKind::InvalidArgument,
        ErrorKind::NotFound,
        ErrorKind::AlreadyExists,
        ErrorKind::DirNotUsable,
        ErrorKind::CorruptRecord,
        ErrorKind::Config,
        ErrorKind::Io,
        ErrorKind::Busy,
    ];

    /// A short, stable, lowercase name for the kind (`"not found"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::InvalidArgument => "invalid argument",
            ErrorKind::NotFound => "not found",
            ErrorKind::AlreadyExists => "already exists",
            ErrorKind::DirNotUsable => "directory not usable",
            ErrorKind::CorruptRecord => "corrupt record",
            ErrorKind::Config => "configuration error",
            ErrorKind::Busy => "busy",
            ErrorKind::Io => "I/O error",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error from the session store: a [`kind`](Error::kind), a message that names the path or id
/// concerned and says what to do, and the underlying I/O error when there is one.
///
/// `Debug` reads like the message, with the kind after it (`no session ... under /x
/// (NotFound)`), because that is what `fn main() -> outrig::Result<()>` prints on failure, as
/// with `std::io::Error`; `{:#?}` gives every field.
pub struct Error {
    kind: ErrorKind,
    message: String,
    source: Option<io::Error>,
    path: Option<PathBuf>,
}

/// The result type of every fallible operation in this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Builds an error of `kind` with a complete, user-facing `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            source: None,
            path: None,
        }
    }

    /// Wraps an operating-system error met while doing `action` on `path`.
    ///
    /// The kind follows the OS error: a missing file is [`ErrorKind::NotFound`], an existing one
    /// [`ErrorKind::AlreadyExists`], anything else [`ErrorKind::Io`].
    pub(crate) fn io(action: &str, path: &Path, err: io::Error) -> Self {
        let kind = match err.kind() {
            io::ErrorKind::NotFound => ErrorKind::NotFound,
            io::ErrorKind::AlreadyExists => ErrorKind::AlreadyExists,
            _ => ErrorKind::Io,
        };
        let hint = match err.kind() {
            io::ErrorKind::PermissionDenied => "; check its permissions and owner",
            io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => "; free some space",
            io::ErrorKind::ReadOnlyFilesystem => "; the filesystem is mounted read-only",
            _ => "",
        };
        Self {
            kind,
            message: format!("{action} {}: {err}{hint}", path.display()),
            source: Some(err),
            path: Some(path.to_path_buf()),
        }
    }

    /// An error of `kind` with a complete `message`, caused by the operating-system error
    /// `err` about `path` (kept for [`os_error`](Self::os_error) and [`path`](Self::path)),
    /// for call sites whose message says more than [`Error::io`]'s.
    pub(crate) fn from_os(
        kind: ErrorKind,
        message: impl Into<String>,
        path: &Path,
        err: io::Error,
    ) -> Self {
        Self {
            kind,
            message: message.into(),
            source: Some(err),
            path: Some(path.to_path_buf()),
        }
    }

    /// Shorthand for an [`ErrorKind::InvalidArgument`] error.
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidArgument, message)
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message alone (the same text `Display` prints).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The operating-system error behind this error, when there is one (its text is already
    /// part of the message).
    pub fn io_error(&self) -> Option<&io::Error> {
        self.source.as_ref()
    }

    /// The raw OS error number (`errno`) behind this error, when there is one.
    pub fn os_error(&self) -> Option<i32> {
        self.source.as_ref().and_then(io::Error::raw_os_error)
    }

    /// The path the operating system refused, for an error that came from one (the same path
    /// the message names); `None` for errors that are not about one filesystem call.
    ///
    /// The Python module sets `OSError.filename` from it.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The same error with the operating-system error number `errno` behind it (none for
    /// `None`), for an error rebuilt from a kept one (a clean's failures).
    pub(crate) fn with_os_error(mut self, errno: Option<i32>) -> Self {
        self.source = errno.map(io::Error::from_raw_os_error);
        self
    }

    /// The same error about `path` (none for `None`), for an error rebuilt from a kept one
    /// (a clean's failures).
    pub(crate) fn with_path(mut self, path: Option<PathBuf>) -> Self {
        self.path = path;
        self
    }

    /// The same error with a different kind (for call sites that know better than the errno).
    pub(crate) fn with_kind(mut self, kind: ErrorKind) -> Self {
        self.kind = kind;
        self
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if f.alternate() {
            f.debug_struct("Error")
                .field("kind", &self.kind)
                .field("message", &self.message)
                .field("source", &self.source)
                .field("path", &self.path)
                .finish()
        } else {
            write!(f, "{} ({:?})", self.message, self.kind)
        }
    }
}

// An `io::Error` may hold a custom error (a `Box<dyn Error + Send + Sync>`), which is not
// `UnwindSafe` as far as the compiler knows, so neither would this type be. Nothing in an
// `Error` can be left half-changed by a panic: it is never mutated through a shared reference
// and is complete once built. So a caller may hold one across `catch_unwind`, as the C boundary
// and Python binding do.
impl std::panic::UnwindSafe for Error {}
impl std::panic::RefUnwindSafe for Error {}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// The message already says what the operating system said, so the I/O error is not also
/// given as the `source()`: a chain printer (`anyhow`'s `{:#}`) would print it twice. It is
/// still there, through [`Error::io_error`].
impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_errors_sort_by_errno() {
        let p = Path::new("/x");
        let nf = Error::io("reading", p, io::Error::from_raw_os_error(libc_enoent()));
        assert_eq!(nf.kind(), ErrorKind::NotFound);
        assert_eq!(nf.os_error(), Some(libc_enoent()));
        assert!(nf.message().starts_with("reading /x: "), "{}", nf.message());
        assert_eq!(nf.path(), Some(p));
        assert_eq!(Error::invalid("bad").path(), None);
        let perm = Error::io("opening", p, io::Error::from_raw_os_error(13));
        assert_eq!(perm.kind(), ErrorKind::Io);
        assert!(perm.to_string().contains("check its permissions"));
        let exists = Error::io("creating", p, io::Error::from_raw_os_error(17));
        assert_eq!(exists.kind(), ErrorKind::AlreadyExists);
    }

    #[test]
    fn the_os_error_is_said_once_in_a_chain() {
        use std::error::Error as _;
        let e = Error::io("reading", Path::new("/x"), io::Error::from_raw_os_error(20));
        assert!(e.source().is_none(), "Display already carries it");
        assert_eq!(e.io_error().and_then(io::Error::raw_os_error), Some(20));
        // What a chain printer writes: the message, and no source after it.
        let mut chain = e.to_string();
        let mut next = e.source();
        while let Some(s) = next {
            chain.push_str(&format!(": {s}"));
            next = s.source();
        }
        assert_eq!(chain.matches("Not a directory").count(), 1, "{chain}");
    }

    #[test]
    fn debug_reads_like_the_message_with_the_kind() {
        let e = Error::new(
            ErrorKind::Config,
            "cannot read /etc/x.toml: bad key; fix the file",
        );
        assert_eq!(
            format!("{e:?}"),
            "cannot read /etc/x.toml: bad key; fix the file (Config)"
        );
        // What `fn main() -> Result<()>` prints: the message, not a struct.
        assert!(!format!("{e:?}").contains("message:"));
        let io = Error::io("reading", Path::new("/x"), io::Error::from_raw_os_error(2));
        let full = format!("{io:#?}");
        for field in ["kind: NotFound", "message:", "source:", "path: Some("] {
            assert!(full.contains(field), "{field} missing from {full}");
        }
    }

    #[test]
    fn errors_cross_catch_unwind() {
        fn unwind_safe<T: std::panic::UnwindSafe + std::panic::RefUnwindSafe>(_: &T) {}
        let e = Error::io("reading", Path::new("/x"), io::Error::other("custom"));
        unwind_safe(&e);
        let caught = std::panic::catch_unwind(|| e.kind());
        assert_eq!(caught.ok(), Some(ErrorKind::Io));
    }

    fn libc_enoent() -> i32 {
        2
    }
}
