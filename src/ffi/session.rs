//! `outrig_session`: one session record and its getters.
//!
//! A handle keeps its record as a [`SessionRecord`]: every text NUL-terminated in one
//! block, so a getter returns a pointer into it, valid as long as the handle. A
//! listing's threads parse records straight into that form. The getters are thread-safe.

use std::ffi::{CString, c_char, c_int};
use std::os::fd::AsRawFd as _;
use std::os::unix::ffi::OsStringExt as _;
use std::sync::OnceLock;

use super::handle::outrig_session;
use super::strings::{self, into_owned, out_of_range};
use super::time::{duration_ns, to_unix_ns};
use crate::error::{Error, ErrorKind, Result};
use crate::record::{CText, TextField as Field};
use crate::{LiveSession, Session, SessionRecord};

/// The value behind an `outrig_session`.
pub(crate) struct SessionHandle {
    record: SessionRecord,
    /// The lease, for a session this process created (`outrig_store_create`) until it is
    /// finalized or the handle freed. Boxed: a listing holds thousands of handles and none
    /// of them has a lease.
    lease: Option<Box<LiveSession>>,
    /// The logs directory, formed on its first read: it is not a text of the record, and
    /// rarely read.
    logs_dir: OnceLock<Option<CString>>,
}

impl SessionHandle {
    /// A handle showing `session`.
    pub(crate) fn new(session: Session) -> Self {
        Self::listed(SessionRecord::from(&session))
    }

    /// A handle showing a record as a listing read it.
    pub(crate) fn listed(record: SessionRecord) -> Self {
        Self {
            record,
            lease: None,
            logs_dir: OnceLock::new(),
        }
    }

    /// A handle that holds the lease of the session `create` made.
    pub(crate) fn leased(live: LiveSession) -> Self {
        let mut handle = Self::listed(SessionRecord::from(live.session()));
        handle.lease = Some(Box::new(live));
        handle
    }

    /// The record this handle shows, as a [`Session`].
    pub(crate) fn session(&self) -> Session {
        self.record.to_session()
    }

    /// The field as a C string borrowed from the handle; NULL when the record does not have
    /// it.
    fn text(&self, field: Field) -> Result<*const c_char> {
        match self.record.c_text(field) {
            CText::Absent => Ok(std::ptr::null()),
            CText::Text(text) => Ok(text.as_ptr()),
            CText::HoldsNul => Err(self.holds_nul(field.name())),
        }
    }

    fn logs_dir(&self) -> Result<*const c_char> {
        // `None` when the directory holds a NUL byte.
        let dir = self
            .logs_dir
            .get_or_init(|| CString::new(self.record.logs_dir().into_os_string().into_vec()).ok());
        match dir {
            Some(dir) => Ok(dir.as_ptr()),
            None => Err(self.holds_nul("logs directory")),
        }
    }

    fn sidecar(&self, i: usize) -> Result<*const c_char> {
        match self.record.c_sidecar(i) {
            Some(CText::Text(text)) => Ok(text.as_ptr()),
            Some(_) => Err(self.holds_nul("sidecar container name")),
            None => Err(out_of_range(
                i,
                self.record.sidecar_container_names().len(),
                "sidecar list",
            )),
        }
    }

    /// The error of a text that holds a NUL byte.
    fn holds_nul(&self, what: &str) -> Error {
        Error::new(
            ErrorKind::CorruptRecord,
            strings::nul_message(&format!("the {what} of session {}", self.record.id())),
        )
    }
}

/// Reads one text field of a session handle, for the getters below.
///
/// # Safety
/// `session` is NULL or a live `outrig_session`.
unsafe fn get_text(session: *const outrig_session, field: Field) -> *const c_char {
    ffi_boundary! {
        let session = arg_ref!(session, "session");
        session.text(field)
    }
}

/// The session id (`"20260501T134412-3f2a"`), borrowed from `session`: valid until the
/// session (or the listing it came from) is freed. NULL, with the last error set, only when
/// `session` is NULL or the value holds a NUL byte, which a record can carry but a C string
/// cannot (`outrig_session_to_json` has it). The same holds for every string getter.
///
/// # Safety
/// `session` is NULL or a live `outrig_session`; the same holds for every getter.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_session_id(session: *const outrig_session) -> *const c_char {
    // SAFETY: forwarded from this function's contract.
    unsafe { get_text(session, Field::Id) }
}

/// The name of the agent's container, borrowed from `session`.
///
/// # Safety
/// As for `outrig_session_id`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_session_container_name(
    session: *const outrig_session,
) -> *const c_char {
    // SAFETY: forwarded from this function's contract.
    unsafe { get_text(session, Field::ContainerName) }
}

/// The tag of the image the container ran, borrowed from `session`.
///
/// # Safety
/// As for `outrig_session_id`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_session_image_tag(session: *const outrig_session) -> *const c_char {
    // SAFETY: forwarded from this function's contract.
    unsafe { get_text(session, Field::ImageTag) }
}

/// The working directory the agent started in, borrowed from `session`.
///
/// # Safety
/// As for `outrig_session_id`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_session_working_dir(
    session: *const outrig_session,
) -> *const c_char {
    // SAFETY: forwarded from this function's contract.
    unsafe { get_text(session, Field::WorkingDir) }
}

/// The directory that holds the record's `session.json` (for an explicit session, the link
/// target), borrowed from `session`.
///
/// # Safety
/// As for `outrig_session_id`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_session_session_dir(
    session: *const outrig_session,
) -> *const c_char {
    // SAFETY: forwarded from this function's contract.
    unsafe { get_text(session, Field::SessionDir) }
}

/// The session's `logs/` directory (`<session_dir>/logs`, which may not exist yet), borrowed
/// from `session`. To write a log, use `outrig_store_log_path`, which also creates it.
///
/// # Safety
/// As for `outrig_session_id`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_session_logs_dir(session: *const outrig_session) -> *const c_char {
    ffi_boundary! {
        let session = arg_ref!(session, "session");
        session.logs_dir()
    }
}

/// The name of the image configuration, borrowed from `session`; NULL when the record has
/// none (the last error is then left alone).
///
/// # Safety
/// As for `outrig_session_id`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_session_image_config_name(
    session: *const outrig_session,
) -> *const c_char {
    // SAFETY: forwarded from this function's contract.
    unsafe { get_text(session, Field::ImageConfigName) }
}

/// The name of the agent, borrowed from `session`; NULL when the record has none.
///
/// # Safety
/// As for `outrig_session_id`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_session_agent_name(
    session: *const outrig_session,
) -> *const c_char {
    // SAFETY: forwarded from this function's contract.
    unsafe { get_text(session, Field::AgentName) }
}

/// Where `<root>/<id>` points, for an explicit session read by id or listed; NULL for an auto
/// session and for a session read with `outrig_store_get_by_path`. Borrowed from `session`.
/// In memory only: never part of the record.
///
/// # Safety
/// As for `outrig_session_id`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_session_link_target(
    session: *const outrig_session,
) -> *const c_char {
    // SAFETY: forwarded from this function's contract.
    unsafe { get_text(session, Field::LinkTarget) }
}

/// When the session started, in nanoseconds since the Unix epoch (UTC). A time `int64_t`
/// nanoseconds cannot hold (before 1677 or after 2262) saturates to `INT64_MIN`/`INT64_MAX`.
/// 0 when `session` is NULL (the last error is then set).
///
/// # Safety
/// As for `outrig_session_id`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_session_started_at(session: *const outrig_session) -> i64 {
    ffi_boundary! {
        let session = arg_ref!(session, "session");
        Ok(to_unix_ns(session.record.started_at()))
    }
}

/// Whether the session has ended (was finalized); if so and `out` is not NULL, writes the end
/// time there in nanoseconds since the Unix epoch (saturating as for
/// `outrig_session_started_at`). False until the session is finalized, and for a NULL `session` (with
/// the last error set); `out` is untouched when false.
///
/// # Safety
/// `session` is NULL or a live `outrig_session`; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_session_ended_at(
    session: *const outrig_session,
    out: *mut i64,
) -> bool {
    ffi_boundary! {
        let session = arg_ref!(session, "session");
        let out = opt_out_ptr!(out);
        let Some(end) = session.record.ended_at() else {
            return Ok(false);
        };
        if let Some(out) = out {
            out.write(to_unix_ns(end));
        }
        Ok(true)
    }
}

/// Whether the session has an exit code (it was finalized); if so and `out` is not NULL,
/// writes it there. False otherwise, and for a NULL `session` (with the last error set); `out`
/// is untouched when false.
///
/// # Safety
/// `session` is NULL or a live `outrig_session`; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_session_exit_code(
    session: *const outrig_session,
    out: *mut i32,
) -> bool {
    ffi_boundary! {
        let session = arg_ref!(session, "session");
        let out = opt_out_ptr!(out);
        let Some(code) = session.record.exit_code() else {
            return Ok(false);
        };
        if let Some(out) = out {
            out.write(code);
        }
        Ok(true)
    }
}

/// Whether the session has a duration (it ended); if so and `out_ns` is not NULL, writes how
/// long it ran in nanoseconds (an end before the start counts as 0; saturates at
/// `UINT64_MAX`). Pass `*out_ns` to `outrig_format_duration` for `outrig ls` text. False
/// until the session is finalized, and for a NULL `session` (with the last error set).
///
/// # Safety
/// `session` is NULL or a live `outrig_session`; `out_ns` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_session_duration(
    session: *const outrig_session,
    out_ns: *mut u64,
) -> bool {
    ffi_boundary! {
        let session = arg_ref!(session, "session");
        let out = opt_out_ptr!(out_ns);
        let Some(d) = session.record.duration() else {
            return Ok(false);
        };
        if let Some(out) = out {
            out.write(duration_ns(d));
        }
        Ok(true)
    }
}

/// The number of sidecar containers; 0 for none and for a NULL `session` (with the last error
/// set).
///
/// # Safety
/// As for `outrig_session_id`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_session_sidecar_count(session: *const outrig_session) -> usize {
    ffi_boundary! {
        let session = arg_ref!(session, "session");
        Ok(session.record.sidecar_container_names().len())
    }
}

/// The name of sidecar container `i` (0-based, in start order), borrowed from `session`. NULL,
/// with the last error set, when `session` is NULL or `i` is out of range.
///
/// # Safety
/// As for `outrig_session_id`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_session_sidecar(
    session: *const outrig_session,
    i: usize,
) -> *const c_char {
    ffi_boundary! {
        let session = arg_ref!(session, "session");
        session.sidecar(i)
    }
}

/// The record as JSON: exactly the bytes the library writes as its `session.json` (pretty,
/// two-space indent, no trailing newline; fields this version does not know are kept). Returns
/// a string the caller frees with `outrig_string_free`, or NULL, with the last error set, when
/// `session` is NULL.
///
/// # Safety
/// As for `outrig_session_id`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_session_to_json(session: *const outrig_session) -> *mut c_char {
    ffi_boundary! {
        let session = arg_ref!(session, "session");
        let json = session.session().to_json()?;
        // serde_json escapes every control character, so the bytes hold no NUL.
        Ok(into_owned(strings::to_cstring(&json, "the JSON record")?))
    }
}

/// The file descriptor that holds the lease of a session this process created with
/// `outrig_store_create`, or -1 when the handle holds none (a session from `outrig_store_get`
/// or a listing, one already finalized, or NULL). The descriptor belongs to the handle: do not
/// close it. It is close-on-exec; a launcher that `exec`s into the agent and wants the lease
/// to last until that program exits clears `FD_CLOEXEC` on it (`fcntl(fd, F_SETFD, 0)`) before
/// the `exec` (the lock lives as long as any process keeps the directory open).
///
/// # Safety
/// `session` is NULL or a live session.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_session_lease_fd(session: *const outrig_session) -> c_int {
    ffi_boundary! {
        if session.is_null() {
            return Ok(-1);
        }
        let session = arg_ref!(session, "session");
        Ok(match &session.lease {
            Some(live) if live.is_leased() => live.lease_fd().as_raw_fd(),
            _ => -1,
        })
    }
}

/// Frees a session from `outrig_store_create`, `outrig_store_get` or
/// `outrig_store_get_by_path`. NULL is ignored. Never pass a session from
/// `outrig_listing_get`: it belongs to its listing. A session from `outrig_store_create` that
/// was not finalized gives up its lease here, unfinalized: once nothing else runs it, it is
/// `OUTRIG_STATE_ABANDONED`.
///
/// # Safety
/// `session` is NULL or a session the caller owns (not one from a listing), not used
/// afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_session_free(session: *mut outrig_session) {
    ffi_boundary! {
        free_handle!(session);
        Ok(())
    }
}
