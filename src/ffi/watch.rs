//! Waiting for a session and watching a root: `outrig_store_wait`, and `outrig_watch` with its
//! `outrig_event`s.

use std::ffi::{CStr, CString, c_char, c_int, c_uint};
use std::os::fd::{AsFd as _, AsRawFd as _};
use std::time::Duration;

use super::error::outrig_status;
use super::handle::{self, outrig_event, outrig_session, outrig_store, outrig_watch};
use super::session::SessionHandle;
use crate::{Event, EventKind, WaitOutcome, Watcher};

const OK: outrig_status = outrig_status::OUTRIG_OK;

/// How `outrig_store_wait` ended. The numbers are stable.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum outrig_wait_outcome {
    /// The session was finalized; its exit code is in `*exit_code`.
    OUTRIG_WAIT_FINISHED = 0,
    /// Its launcher's lease ended without a finalize and no container of it runs.
    OUTRIG_WAIT_ABANDONED = 1,
    /// It was removed, or there was no such session.
    OUTRIG_WAIT_REMOVED = 2,
    /// The timeout passed while it still ran (or its state could not be told).
    OUTRIG_WAIT_TIMED_OUT = 3,
}

/// What happened to a session (`outrig_event_get_kind`). The numbers are stable.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum outrig_event_kind {
    /// A session appeared (its record was written).
    OUTRIG_EVENT_CREATED = 0,
    /// Its record changed without ending it (sidecar containers set, a field rewritten).
    OUTRIG_EVENT_UPDATED = 1,
    /// It was finalized: its record has an end time and an exit code.
    OUTRIG_EVENT_FINALIZED = 2,
    /// Its launcher's lease ended without a finalize and no container of it runs.
    OUTRIG_EVENT_ABANDONED = 3,
    /// It was removed.
    OUTRIG_EVENT_REMOVED = 4,
}

impl From<EventKind> for outrig_event_kind {
    fn from(kind: EventKind) -> Self {
        match kind {
            EventKind::Created => Self::OUTRIG_EVENT_CREATED,
            EventKind::Updated => Self::OUTRIG_EVENT_UPDATED,
            EventKind::Finalized => Self::OUTRIG_EVENT_FINALIZED,
            EventKind::Abandoned => Self::OUTRIG_EVENT_ABANDONED,
            EventKind::Removed => Self::OUTRIG_EVENT_REMOVED,
        }
    }
}

/// A timeout in milliseconds from C: negative is forever.
fn timeout(ms: i64) -> Option<Duration> {
    u64::try_from(ms).ok().map(Duration::from_millis)
}

/// The value behind an `outrig_event`.
pub(crate) struct EventHandle {
    kind: EventKind,
    id: CString,
    session: Option<SessionHandle>,
}

impl EventHandle {
    fn new(event: Event) -> Self {
        Self {
            kind: event.kind,
            // Ids are validated: no NUL.
            id: CString::new(event.id.as_str()).unwrap_or_default(),
            session: event.session.map(SessionHandle::new),
        }
    }
}

/// Waits until session `id` is no longer running, at most `timeout_ms` milliseconds (negative:
/// as long as it takes), and writes how it ended to `*out`: `OUTRIG_WAIT_FINISHED` (and its
/// exit code to `*exit_code`, when `exit_code` is not NULL), `OUTRIG_WAIT_ABANDONED`,
/// `OUTRIG_WAIT_REMOVED` (also for an id with no session), or `OUTRIG_WAIT_TIMED_OUT`. Returns
/// at once for a session that already ended.
///
/// It does not poll: it watches the root and the session's directory with inotify (two watches,
/// three descriptors, closed before it returns) and asks the session's state as
/// `outrig_store_state` does: when its record is written, when its directory is closed (a
/// launcher that dies closes it), and every 2 s while it runs or its state is
/// `OUTRIG_STATE_UNKNOWN` (which does not end the wait). On a network filesystem (NFS, CephFS,
/// ...) it polls every second. The calling thread blocks; a signal does not end the wait.
/// Thread-safe.
///
/// Errors: `OUTRIG_ERR_INVALID_ARGUMENT` (a NULL `store`, `id` or `out`, `id` not a valid
/// session id), `OUTRIG_ERR_IO` (the kernel refused the watches: the message names its limit).
/// Nothing is written on error.
///
/// # Safety
/// `store` is NULL or a live store; `id` is NULL or a NUL-terminated string; `out` is NULL or
/// writable; `exit_code` is NULL or writable.
#[must_use = "the status says whether it worked"]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_store_wait(
    store: *const outrig_store,
    id: *const c_char,
    timeout_ms: i64,
    out: *mut outrig_wait_outcome,
    exit_code: *mut i32,
) -> outrig_status {
    ffi_boundary! {
        let (store, id) = store_and_id!(store, id);
        let out = out_ptr!(out, "out");
        let outcome = store.store().wait(&id, timeout(timeout_ms))?;
        let (value, code) = match &outcome {
            WaitOutcome::Finished(s) => (outrig_wait_outcome::OUTRIG_WAIT_FINISHED, s.exit_code),
            WaitOutcome::Abandoned(_) => (outrig_wait_outcome::OUTRIG_WAIT_ABANDONED, None),
            WaitOutcome::Removed => (outrig_wait_outcome::OUTRIG_WAIT_REMOVED, None),
            _ => (outrig_wait_outcome::OUTRIG_WAIT_TIMED_OUT, None),
        };
        out.write(value);
        if let (Some(code), false) = (code, exit_code.is_null()) {
            out_ptr!(exit_code, "exit_code").write(code);
        }
        Ok(OK)
    }
}

/// Watches the whole root of `store`: `*out` is a new watch (free it with `outrig_watch_free`)
/// whose `outrig_watch_next` gives the changes from now on (created, updated, finalized,
/// abandoned, removed), in the order they happened for each session.
///
/// It holds three descriptors and one inotify watch for the root plus one per session
/// directory that is not finalized; reaching the kernel's `fs.inotify.max_user_watches` is an
/// `OUTRIG_ERR_IO` whose message names the limit, never a silent miss. When the kernel's queue
/// of notifications overflows, the root is listed again and the differences are given as
/// events. On a network filesystem (NFS, CephFS, ...) it lists the root every second instead.
/// The watch asks the store's container probe too: a probe's `userdata` must stay valid until
/// the watch is freed (the store itself may be freed before).
///
/// Errors: `OUTRIG_ERR_INVALID_ARGUMENT` (a NULL argument), `OUTRIG_ERR_IO`. `*out` is
/// untouched on error.
///
/// # Safety
/// `store` is NULL or a live store; `out` is NULL or writable.
#[must_use = "the status says whether it worked"]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_store_watch(
    store: *const outrig_store,
    out: *mut *mut outrig_watch,
) -> outrig_status {
    ffi_boundary! {
        let store = arg_ref!(store, "store");
        let out = out_ptr!(out, "out");
        let watcher = store.store().watch()?;
        out.write(handle::into_raw::<outrig_watch>(watcher));
        Ok(OK)
    }
}

/// The next event of `watch`, waiting at most `timeout_ms` milliseconds (negative: until there
/// is one; 0: only what is ready). `*out` is the event (free it with `outrig_event_free`), or
/// NULL when the time passed without one (or a signal interrupted the wait).
///
/// Not for two threads at once on one watch.
///
/// Errors: `OUTRIG_ERR_INVALID_ARGUMENT` (a NULL argument), `OUTRIG_ERR_IO` (the notifications
/// could not be read, or a new session directory could not be watched: the message names the
/// kernel's limit). `*out` is untouched on error.
///
/// # Safety
/// `watch` is NULL or a live watch that no other thread uses during the call; `out` is NULL or
/// writable.
#[must_use = "the status says whether it worked"]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_watch_next(
    watch: *mut outrig_watch,
    timeout_ms: i64,
    out: *mut *mut outrig_event,
) -> outrig_status {
    ffi_boundary! {
        let watch = arg_mut!(watch, "watch");
        let out = out_ptr!(out, "out");
        let event = watch.next_timeout(timeout(timeout_ms))?;
        out.write(event.map_or(std::ptr::null_mut(), |e| {
            handle::into_raw::<outrig_event>(EventHandle::new(e))
        }));
        Ok(OK)
    }
}

/// The descriptor to poll (`poll`, `epoll`, `select`) for `POLLIN`, written to `*out`: readable
/// when `outrig_watch_next(watch, 0, ...)` has work to do (call it until it gives NULL). Owned by
/// the watch: never read or close it. Valid until the watch is freed.
///
/// Errors: `OUTRIG_ERR_INVALID_ARGUMENT` (a NULL argument).
///
/// # Safety
/// `watch` is NULL or a live watch; `out` is NULL or writable.
#[must_use = "the status says whether it worked"]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_watch_fd(
    watch: *const outrig_watch,
    out: *mut c_int,
) -> outrig_status {
    ffi_boundary! {
        let watch = arg_ref!(watch, "watch");
        out_ptr!(out, "out").write(watch.as_fd().as_raw_fd());
        Ok(OK)
    }
}

/// Frees a watch (its descriptors and watches). NULL is ignored. Events from it stay valid.
///
/// # Safety
/// `watch` is NULL or a watch from `outrig_store_watch`, no longer used by any thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_watch_free(watch: *mut outrig_watch) {
    ffi_boundary! {
        free_handle!(watch);
        Ok(())
    }
}

/// What happened, written to `*out`.
///
/// Errors: `OUTRIG_ERR_INVALID_ARGUMENT` (a NULL argument). Thread-safe.
///
/// # Safety
/// `event` is NULL or a live event; `out` is NULL or writable.
#[must_use = "the status says whether it worked"]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_event_get_kind(
    event: *const outrig_event,
    out: *mut outrig_event_kind,
) -> outrig_status {
    ffi_boundary! {
        let event = arg_ref!(event, "event");
        out_ptr!(out, "out").write(event.kind.into());
        Ok(OK)
    }
}

/// The id of the session the event is about; borrowed from the event (valid until it is
/// freed). NULL for a NULL event. Thread-safe.
///
/// # Safety
/// `event` is NULL or a live event.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_event_id(event: *const outrig_event) -> *const c_char {
    ffi_boundary! {
        Ok(arg_ref!(event, "event").id.as_ptr())
    }
}

/// The session's record as read after the change, borrowed from the event (valid until it is
/// freed; never free it on its own); NULL for `OUTRIG_EVENT_REMOVED` (and a NULL event).
/// Thread-safe.
///
/// # Safety
/// `event` is NULL or a live event.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_event_session(event: *const outrig_event) -> *const outrig_session {
    ffi_boundary! {
        Ok(arg_ref!(event, "event")
            .session
            .as_ref()
            .map_or(std::ptr::null(), handle::as_raw::<outrig_session>))
    }
}

/// Frees an event. NULL is ignored.
///
/// # Safety
/// `event` is NULL or an event from `outrig_watch_next`, not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_event_free(event: *mut outrig_event) {
    ffi_boundary! {
        free_handle!(event);
        Ok(())
    }
}

/// The name of an event kind as it is spelled in this header (`"OUTRIG_EVENT_FINALIZED"`), or
/// `"OUTRIG_UNKNOWN_EVENT"` for a number that is not one (the lowercase word after
/// `OUTRIG_EVENT_` is what `outrig-sessions ls --watch --json` prints). Static: never free it.
/// Thread-safe; does not touch the last error.
#[unsafe(no_mangle)]
pub extern "C" fn outrig_event_kind_name(kind: EventKindArg) -> *const c_char {
    ffi_boundary! { Ok(kind_name(kind.0).as_ptr()) }
}

/// An `outrig_event_kind` as C passes it in: the plain integer, so a value outside the enum is
/// a value to report rather than undefined behavior. cbindgen writes it as
/// `outrig_event_kind`.
#[repr(transparent)]
#[derive(Debug, Clone, Copy)]
pub struct EventKindArg(c_uint);

fn kind_name(n: c_uint) -> &'static CStr {
    match n {
        0 => c"OUTRIG_EVENT_CREATED",
        1 => c"OUTRIG_EVENT_UPDATED",
        2 => c"OUTRIG_EVENT_FINALIZED",
        3 => c"OUTRIG_EVENT_ABANDONED",
        4 => c"OUTRIG_EVENT_REMOVED",
        _ => c"OUTRIG_UNKNOWN_EVENT",
    }
}

/// The `Watcher` an `outrig_watch` stands for.
pub(crate) type WatchHandle = Watcher;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_map_in_the_core_order_and_name_themselves() {
        for (n, kind) in EventKind::ALL.into_iter().enumerate() {
            let c = outrig_event_kind::from(kind);
            assert_eq!(c as usize, n);
            let name = kind_name(c as c_uint).to_str().unwrap();
            assert_eq!(
                name,
                format!("OUTRIG_EVENT_{}", kind.as_str().to_uppercase())
            );
        }
        assert_eq!(kind_name(5).to_str().unwrap(), "OUTRIG_UNKNOWN_EVENT");
    }

    #[test]
    fn timeouts_below_zero_are_forever() {
        assert_eq!(timeout(-1), None);
        assert_eq!(timeout(i64::MIN), None);
        assert_eq!(timeout(0), Some(Duration::ZERO));
        assert_eq!(timeout(1500), Some(Duration::from_millis(1500)));
    }
}
