//! `outrig_session`: one session record and its getters.
//!
//! A handle converts its text fields to C strings the first time one is read, all at once into
//! one block (one allocation per session, where a reader of a listing usually reads several
//! fields), and keeps them, so a pointer stays valid as long as the handle. A listing of many
//! sessions converts only the sessions its reader looks at, on the reader's thread: measured,
//! that beats converting every session on the listing's worker threads, because memory
//! allocated on those threads is slower to free on the caller's. The conversion is
//! thread-safe (`OnceLock`).

use std::borrow::Cow;
use std::ffi::{CString, c_char, c_int};
use std::os::fd::AsRawFd as _;
use std::os::unix::ffi::{OsStrExt as _, OsStringExt as _};
use std::path::Path;
use std::sync::OnceLock;

use super::handle::outrig_session;
use super::strings::{self, index, into_owned};
use super::time::{duration_ns, to_unix_ns};
use crate::error::{Error, ErrorKind, Result};
use crate::{LiveSession, Session};

/// The text fields a C caller reads, each converted once.
#[derive(Clone, Copy, PartialEq)]
enum Field {
    Id,
    ContainerName,
    ImageTag,
    ImageConfigName,
    AgentName,
    WorkingDir,
    SessionDir,
    LinkTarget,
    /// Not a field of the record but derived from one, and rarely read: converted on its own,
    /// so a listing's reader does not pay for a path join per session.
    LogsDir,
}

/// The fields converted together: all but `LogsDir`.
const FIELDS: usize = 8;

impl Field {
    fn name(self) -> &'static str {
        match self {
            Field::Id => "id",
            Field::ContainerName => "container_name",
            Field::ImageTag => "image_tag",
            Field::ImageConfigName => "image_config_name",
            Field::AgentName => "agent_name",
            Field::WorkingDir => "working_dir",
            Field::SessionDir => "session_dir",
            Field::LinkTarget => "link_target",
            Field::LogsDir => "logs directory",
        }
    }
}

/// Where one converted field is.
#[derive(Clone, Copy)]
enum Slot {
    /// The record does not have it.
    Absent,
    /// It starts at this offset of the block, NUL-terminated (a record is at most
    /// `MAX_RECORD_BYTES`, so an offset fits; a small slot keeps the handle small).
    At(u32),
    /// It holds a NUL byte, which a C string cannot carry.
    HoldsNul,
}

/// Every text field of a session as NUL-terminated strings in one block.
struct CTexts {
    block: Box<[u8]>,
    slots: [Slot; FIELDS],
}

/// The value behind an `outrig_session`.
pub(crate) struct SessionHandle {
    session: Session,
    /// The lease, for a session this process created (`outrig_store_create`) until it is
    /// finalized or the handle freed. Boxed: a listing holds thousands of handles and none
    /// of them has a lease.
    lease: Option<Box<LiveSession>>,
    /// The text fields, converted on the first read of any of them.
    texts: OnceLock<CTexts>,
    /// The logs directory, converted on its first read.
    logs_dir: OnceLock<Result<CString, String>>,
    /// The sidecar names, converted on first read.
    sidecars: OnceLock<Vec<Result<CString, String>>>,
}

impl SessionHandle {
    pub(crate) fn new(session: Session) -> Self {
        Self {
            session,
            lease: None,
            texts: OnceLock::new(),
            logs_dir: OnceLock::new(),
            sidecars: OnceLock::new(),
        }
    }

    /// A handle that holds the lease of the session `create` made.
    pub(crate) fn leased(live: LiveSession) -> Self {
        let mut handle = Self::new(live.session().clone());
        handle.lease = Some(Box::new(live));
        handle
    }

    /// The record this handle shows.
    pub(crate) fn session(&self) -> &Session {
        &self.session
    }

    /// The bytes of a field; `None` when the record does not have it.
    fn bytes(&self, field: Field) -> Option<Cow<'_, [u8]>> {
        let s = &self.session;
        match field {
            Field::Id => Some(Cow::Borrowed(s.id.as_str().as_bytes())),
            Field::ContainerName => Some(Cow::Borrowed(s.container_name.as_bytes())),
            Field::ImageTag => Some(Cow::Borrowed(s.image_tag.as_bytes())),
            Field::ImageConfigName => s.image_config_name.as_deref().map(|n| n.as_bytes().into()),
            Field::AgentName => s.agent_name.as_deref().map(|n| n.as_bytes().into()),
            Field::WorkingDir => Some(path_bytes(&s.working_dir)),
            Field::SessionDir => Some(path_bytes(&s.session_dir)),
            Field::LinkTarget => s.link_target.as_deref().map(path_bytes),
            Field::LogsDir => Some(Cow::Owned(s.logs_dir().into_os_string().into_vec())),
        }
    }

    /// Converts every text field into one block.
    fn convert(&self) -> CTexts {
        const ALL: [Field; FIELDS] = [
            Field::Id,
            Field::ContainerName,
            Field::ImageTag,
            Field::ImageConfigName,
            Field::AgentName,
            Field::WorkingDir,
            Field::SessionDir,
            Field::LinkTarget,
        ];
        let parts = ALL.map(|field| self.bytes(field));
        // One allocation of the exact size: no growth, no shrink.
        let size = parts.iter().flatten().map(|b| b.len() + 1).sum();
        let mut block = Vec::with_capacity(size);
        let mut slots = [Slot::Absent; FIELDS];
        for (field, part) in ALL.into_iter().zip(&parts) {
            slots[field as usize] = match part {
                None => Slot::Absent,
                Some(b) if b.contains(&0) => Slot::HoldsNul,
                Some(b) => {
                    let at =
                        u32::try_from(block.len()).expect("a record's text fits its size limit");
                    block.extend_from_slice(b);
                    block.push(0);
                    Slot::At(at)
                }
            };
        }
        CTexts {
            block: block.into_boxed_slice(), // exact already: no reallocation
            slots,
        }
    }

    /// The field as a C string borrowed from the handle; NULL when the field is absent.
    fn text(&self, field: Field) -> Result<*const c_char> {
        if field == Field::LogsDir {
            let dir = self.logs_dir.get_or_init(|| {
                let bytes = self.bytes(field).unwrap_or_default();
                to_c(&bytes, &self.session.id, field.name())
            });
            return borrowed(dir);
        }
        let texts = self.texts.get_or_init(|| self.convert());
        match texts.slots[field as usize] {
            Slot::Absent => Ok(std::ptr::null()),
            Slot::At(at) => Ok(texts.block[at as usize..].as_ptr().cast()),
            Slot::HoldsNul => Err(Error::new(
                ErrorKind::CorruptRecord,
                strings::nul_message(&format!(
                    "the {} of session {}",
                    field.name(),
                    self.session.id
                )),
            )),
        }
    }

    fn sidecar(&self, i: usize) -> Result<*const c_char> {
        let all = self.sidecars.get_or_init(|| {
            self.session
                .sidecar_container_names
                .iter()
                .map(|n| to_c(n.as_bytes(), &self.session.id, "a sidecar container name"))
                .collect()
        });
        borrowed(index(all, i, "sidecar list")?)
    }
}

fn path_bytes(p: &Path) -> Cow<'_, [u8]> {
    Cow::Borrowed(p.as_os_str().as_bytes())
}

fn borrowed(converted: &Result<CString, String>) -> Result<*const c_char> {
    match converted {
        Ok(c) => Ok(c.as_ptr()),
        Err(message) => Err(Error::new(ErrorKind::CorruptRecord, message.clone())),
    }
}

fn to_c(bytes: &[u8], id: &crate::SessionId, field: &str) -> Result<CString, String> {
    CString::new(bytes).map_err(|_| strings::nul_message(&format!("the {field} of session {id}")))
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
    // SAFETY: forwarded from this function's contract.
    unsafe { get_text(session, Field::LogsDir) }
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
        Ok(to_unix_ns(session.session.started_at))
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
        let Some(end) = session.session.ended_at else {
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
        let Some(code) = session.session.exit_code else {
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
        let Some(d) = session.session.duration() else {
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
        Ok(session.session.sidecar_container_names.len())
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
        let json = session.session.to_json()?;
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
