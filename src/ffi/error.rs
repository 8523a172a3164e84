//! `outrig_status`, the result of every fallible C function, and the thread-local last error
//! that says more.

use std::ffi::{CStr, c_char, c_int, c_uint};

use crate::ErrorKind;

/// The result of every fallible function. `OUTRIG_OK` is zero; each error names a kind of
/// failure a caller can act on, and `outrig_last_error_message()` says which path or id and
/// what to do. The numbers are stable.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum outrig_status {
    /// Success.
    OUTRIG_OK = 0,
    /// An argument was refused before anything touched the filesystem: a NULL pointer, a string
    /// that is not UTF-8, an invalid session id or log name, a missing required field.
    OUTRIG_ERR_INVALID_ARGUMENT = 1,
    /// The session, record or path does not exist.
    OUTRIG_ERR_NOT_FOUND = 2,
    /// Something that must be new already exists.
    OUTRIG_ERR_ALREADY_EXISTS = 3,
    /// An explicit session directory cannot take a new session (not a directory, not empty,
    /// holds a record, or lies inside the root), or a log path is taken by something that is
    /// not a regular file.
    OUTRIG_ERR_DIR_NOT_USABLE = 4,
    /// A `session.json` could not be read as a session record.
    OUTRIG_ERR_CORRUPT_RECORD = 5,
    /// The global config file is unreadable or malformed, or no default root can be found.
    OUTRIG_ERR_CONFIG = 6,
    /// Any other operating-system error; `outrig_last_os_error()` gives the errno.
    OUTRIG_ERR_IO = 7,
    /// A bug in the library, caught at the boundary; the message says where. Please report it.
    OUTRIG_ERR_PANIC = 8,
    /// The session is in use by a running launcher: its lock (the lease a launcher holds while
    /// the session runs, or `outrig run-new`'s) was not free within the store's bounded wait.
    /// Retry later, or stop that launcher first.
    OUTRIG_ERR_BUSY = 9,
}

impl From<ErrorKind> for outrig_status {
    fn from(kind: ErrorKind) -> Self {
        match kind {
            ErrorKind::InvalidArgument => Self::OUTRIG_ERR_INVALID_ARGUMENT,
            ErrorKind::NotFound => Self::OUTRIG_ERR_NOT_FOUND,
            ErrorKind::AlreadyExists => Self::OUTRIG_ERR_ALREADY_EXISTS,
            ErrorKind::DirNotUsable => Self::OUTRIG_ERR_DIR_NOT_USABLE,
            ErrorKind::CorruptRecord => Self::OUTRIG_ERR_CORRUPT_RECORD,
            ErrorKind::Config => Self::OUTRIG_ERR_CONFIG,
            ErrorKind::Io => Self::OUTRIG_ERR_IO,
            ErrorKind::Busy => Self::OUTRIG_ERR_BUSY,
        }
    }
}

/// An `outrig_status` as C passes it in: the plain integer, so a value outside the enum is a
/// value to report rather than undefined behavior. cbindgen writes it as `outrig_status`
/// (`cbindgen.toml` renames it and leaves out its own typedef).
#[repr(transparent)]
#[derive(Debug, Clone, Copy)]
pub struct StatusArg(c_uint);

/// The name of a status as it is spelled in this header (`"OUTRIG_ERR_NOT_FOUND"`), or
/// `"OUTRIG_UNKNOWN_STATUS"` for a number that is not one.
///
/// The string is static: never free it. Thread-safe; does not touch the last error.
#[unsafe(no_mangle)]
pub extern "C" fn outrig_status_name(status: StatusArg) -> *const c_char {
    ffi_boundary! { Ok(status_name(status.0).as_ptr()) }
}

fn status_name(status: c_uint) -> &'static CStr {
    match status {
        0 => c"OUTRIG_OK",
        1 => c"OUTRIG_ERR_INVALID_ARGUMENT",
        2 => c"OUTRIG_ERR_NOT_FOUND",
        3 => c"OUTRIG_ERR_ALREADY_EXISTS",
        4 => c"OUTRIG_ERR_DIR_NOT_USABLE",
        5 => c"OUTRIG_ERR_CORRUPT_RECORD",
        6 => c"OUTRIG_ERR_CONFIG",
        7 => c"OUTRIG_ERR_IO",
        8 => c"OUTRIG_ERR_PANIC",
        9 => c"OUTRIG_ERR_BUSY",
        _ => c"OUTRIG_UNKNOWN_STATUS",
    }
}

/// The message of the last failure on the calling thread: what failed, naming the path, id or
/// argument, and what to do. `""` when the last function that returns `outrig_status` succeeded
/// and nothing failed since.
///
/// Every function returning `outrig_status` sets it on failure and clears it on success. Other
/// functions set it only when they fail (a NULL argument, an index out of range, an internal
/// error), and otherwise leave it alone.
///
/// The string belongs to the library and stays valid until the next call into the library on
/// the same thread (other than this one, `outrig_last_os_error` and `outrig_status_name`);
/// copy it to keep it. Never NULL. Each thread has its own last error.
#[unsafe(no_mangle)]
pub extern "C" fn outrig_last_error_message() -> *const c_char {
    ffi_boundary! { Ok(last_error::message_ptr()) }
}

/// The operating-system error number (`errno`) behind the calling thread's last failure, or 0
/// when it had none (it was not an OS error, or nothing failed). Thread-local like
/// `outrig_last_error_message()`.
#[unsafe(no_mangle)]
pub extern "C" fn outrig_last_os_error() -> c_int {
    ffi_boundary! { Ok(last_error::os_error()) }
}

/// The calling thread's last error, as the boundary records it.
pub(crate) mod last_error {
    use std::cell::RefCell;
    use std::ffi::{CString, c_char, c_int};

    use crate::Error;
    use crate::ffi::strings::to_cstring_lossy;

    struct LastError {
        message: CString,
        os_error: c_int,
    }

    thread_local! {
        static LAST: RefCell<Option<LastError>> = const { RefCell::new(None) };
    }

    fn replace(value: Option<LastError>) {
        // During thread teardown the slot may be gone; there is no caller left to tell then.
        let _ = LAST.try_with(|slot| *slot.borrow_mut() = value);
    }

    /// Records `err` as the last error.
    pub(crate) fn set(err: &Error) {
        replace(Some(LastError {
            message: to_cstring_lossy(err.message()),
            os_error: err.os_error().unwrap_or(0),
        }));
    }

    /// Records a caught panic as the last error.
    pub(crate) fn set_panic(what: &str) {
        replace(Some(LastError {
            message: to_cstring_lossy(&format!(
                "internal error in liboutrig (a panic: {what}); the operation did not complete, \
                 please report this"
            )),
            os_error: 0,
        }));
    }

    /// Forgets the last error (a status-returning call succeeded).
    pub(crate) fn clear() {
        replace(None);
    }

    pub(super) fn message_ptr() -> *const c_char {
        LAST.try_with(|slot| match &*slot.borrow() {
            // The CString's buffer stays put until the slot is next replaced.
            Some(last) => last.message.as_ptr(),
            None => c"".as_ptr(),
        })
        .unwrap_or(c"".as_ptr())
    }

    pub(super) fn os_error() -> c_int {
        LAST.try_with(|slot| slot.borrow().as_ref().map_or(0, |l| l.os_error))
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_own_status() {
        let statuses: Vec<outrig_status> = ErrorKind::ALL.iter().map(|&k| k.into()).collect();
        for (i, status) in statuses.iter().enumerate() {
            assert_ne!(*status, outrig_status::OUTRIG_OK);
            assert_ne!(*status, outrig_status::OUTRIG_ERR_PANIC);
            assert!(!statuses[..i].contains(status), "{status:?} twice");
            let name = status_name(*status as c_uint).to_str().unwrap();
            assert!(name.starts_with("OUTRIG_ERR_"), "{name}");
        }
        assert_eq!(
            outrig_status::from(ErrorKind::Busy),
            outrig_status::OUTRIG_ERR_BUSY
        );
    }

    #[test]
    fn names_follow_the_numbers() {
        let name = |n| {
            // SAFETY: outrig_status_name returns a static C string.
            unsafe { CStr::from_ptr(outrig_status_name(StatusArg(n))) }
                .to_str()
                .unwrap()
        };
        assert_eq!(name(0), "OUTRIG_OK");
        assert_eq!(name(5), "OUTRIG_ERR_CORRUPT_RECORD");
        assert_eq!(name(8), "OUTRIG_ERR_PANIC");
        assert_eq!(name(9), "OUTRIG_ERR_BUSY");
        assert_eq!(name(10), "OUTRIG_UNKNOWN_STATUS");
        assert_eq!(name(u32::MAX), "OUTRIG_UNKNOWN_STATUS");
    }
}
