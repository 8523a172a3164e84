//! `outrig_store`: opening a root and every operation on its sessions.
//!
//! Each function checks its arguments (all of them, before any work, so a NULL out-pointer
//! never costs a created session), delegates to `SessionStore`, and converts the result.

use std::ffi::{CString, c_char, c_int};
use std::os::fd::IntoRawFd as _;
use std::path::Path;
use std::time::Duration;

use super::error::outrig_status;
use super::handle::OutPtr;
use super::handle::{
    self, outrig_listing, outrig_logs, outrig_session, outrig_spec, outrig_store, outrig_strings,
};
use super::listing::ListingHandle;
use super::logs::LogsHandle;
use super::session::SessionHandle;
use super::strings::{into_owned, path_to_cstring, strings_handle};
use super::time::from_unix_ns;
use crate::error::{Error, Result};
use crate::{CleanMode, Cleaning, RemoveMode, SessionStore};

/// The value behind an `outrig_store`: the store and its root as a C string.
pub(crate) struct StoreHandle {
    store: SessionStore,
    root: CString,
}

impl StoreHandle {
    pub(crate) fn new(store: SessionStore) -> Result<Self> {
        let root = path_to_cstring(store.root(), "the session root")?;
        Ok(Self { store, root })
    }

    /// The store, for the other modules' functions.
    pub(crate) fn store(&self) -> &SessionStore {
        &self.store
    }
}

const OK: outrig_status = outrig_status::OUTRIG_OK;

/// Opens the session store at `root`, or at the root outrig itself uses when `root` is NULL
/// (the global config's `session-root`, else `$XDG_DATA_HOME/outrig/sessions` or
/// `~/.local/share/outrig/sessions`). A relative `root` is taken against the current directory
/// now. The root need not exist: the first create makes it. On success `*out` is a new store;
/// free it with `outrig_store_free`.
///
/// A store is only a path: opening touches no file except the config (when `root` is NULL).
/// The handle is read-only afterwards, so any number of threads may use one store at once;
/// every store function is thread-safe, and processes may share a root too.
///
/// Its container probe, asked when a state is needed (`outrig_store_state`,
/// `outrig_store_states`, the clean functions), is the engine probe: it spawns `podman ps`
/// (else `docker ps`) as a child process. `outrig_store_with_container_probe` makes a store
/// with another probe, or none.
///
/// Errors: `OUTRIG_ERR_INVALID_ARGUMENT` (`out` NULL, `root` empty or not UTF-8),
/// `OUTRIG_ERR_CONFIG` (the global config is unreadable or malformed, or no home directory is
/// known), `OUTRIG_ERR_IO` (the current directory cannot be read). `*out` is untouched on
/// error.
///
/// # Safety
/// `root` is NULL or a NUL-terminated string; `out` is NULL or writable.
#[must_use = "the status says whether it worked"]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_store_open(
    root: *const c_char,
    out: *mut *mut outrig_store,
) -> outrig_status {
    ffi_boundary! {
        let root = arg_opt_str!(root, "root");
        let out = out_ptr!(out, "out");
        let store = match root {
            Some(root) => SessionStore::new(root)?,
            None => SessionStore::resolve(None, None)?,
        };
        out.write(handle::into_raw(StoreHandle::new(store)?));
        Ok(OK)
    }
}

/// Opens the store at the root outrig's cascade picks: `explicit_root` when not NULL; else the
/// `session-root` key of the global config file `global_config` (NULL:
/// `$XDG_CONFIG_HOME/outrig/config.toml` or `~/.outrig/config.toml`), where a leading `~` is
/// the home directory and a relative value is relative to the file's directory; else the
/// default of `outrig_store_open(NULL, ...)`. The default config file may be absent; a
/// `global_config` the caller names must exist (as outrig's `--global-config`), unless
/// `explicit_root` is given, when no config is read.
///
/// Errors: as for `outrig_store_open`, `OUTRIG_ERR_CONFIG` also for a `global_config` that does
/// not exist, and `OUTRIG_ERR_INVALID_ARGUMENT` for a `global_config` that is not UTF-8.
///
/// # Safety
/// `explicit_root` and `global_config` are NULL or NUL-terminated strings; `out` is NULL or
/// writable.
#[must_use = "the status says whether it worked"]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_store_open_resolved(
    explicit_root: *const c_char,
    global_config: *const c_char,
    out: *mut *mut outrig_store,
) -> outrig_status {
    ffi_boundary! {
        let explicit = arg_opt_str!(explicit_root, "explicit_root");
        let config = arg_opt_str!(global_config, "global_config");
        let out = out_ptr!(out, "out");
        let store = SessionStore::resolve(explicit.map(Path::new), config.map(Path::new))?;
        out.write(handle::into_raw(StoreHandle::new(store)?));
        Ok(OK)
    }
}

/// The store's absolute root directory, borrowed from `store`: valid until
/// `outrig_store_free`. NULL, with the last error set, when `store` is NULL.
///
/// # Safety
/// `store` is NULL or a live `outrig_store`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_store_root(store: *const outrig_store) -> *const c_char {
    ffi_boundary! {
        Ok(arg_ref!(store, "store").root.as_ptr())
    }
}

/// Frees a store. NULL is ignored. Sessions, listings and strings from it stay valid.
///
/// # Safety
/// `store` is NULL or a store from `outrig_store_open*`, no longer used by any thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_store_free(store: *mut outrig_store) {
    ffi_boundary! {
        free_handle!(store);
        Ok(())
    }
}

/// Creates a session from `spec` and writes its record; `*out` is the record as written (free
/// it with `outrig_session_free`).
///
/// The session in `*out` holds the session's **lease**: the exclusive `flock` on its directory
/// that `outrig run-new` also holds, taken before the record appears. While it is held the
/// session is `OUTRIG_STATE_RUNNING` to every process, no clean removes it, and other
/// processes' `outrig_store_finalize`, `outrig_store_set_sidecar_containers` and
/// `outrig_store_remove` of it wait a short bound (1 second) and fail with `OUTRIG_ERR_BUSY`.
/// This process's own calls by id go through the lease and succeed. The lease ends when the
/// session is finalized (or removed) by id from this process, when `*out` is freed with
/// `outrig_session_free` (unfinalized: once nothing runs it, it is
/// `OUTRIG_STATE_ABANDONED`), or when the process dies (the kernel drops the lock). To keep
/// the lease across `exec` (a launcher that execs into the agent), take the descriptor from
/// `outrig_session_lease_fd` and clear its `FD_CLOEXEC` (`fcntl(fd, F_SETFD, 0)`) before the
/// `exec`: the lock then lasts while the new program keeps that descriptor open.
///
/// An auto session (no session dir in the spec) gets `<root>/<id>/` with a fresh id, claimed
/// exclusively, so any number of threads and processes can create at once. An explicit one
/// writes into the spec's directory (created when missing) and links `<root>/<id>` to it. The
/// write is durable and atomic; a create that fails leaves nothing behind. The spec is not
/// changed and may be reused. A relative working directory is recorded absolute, joined to
/// the current directory at this call (see `outrig_spec_set_working_dir`).
///
/// Errors: `OUTRIG_ERR_INVALID_ARGUMENT` (a NULL argument; the spec lacks a container name, an
/// image tag or a working directory, or has an empty sidecar name: nothing is written),
/// `OUTRIG_ERR_DIR_NOT_USABLE` (the explicit directory is not a directory, is not empty, holds
/// an earlier record, or lies inside the root), `OUTRIG_ERR_ALREADY_EXISTS` (the explicit
/// directory's path is taken, e.g. by a dangling symlink), `OUTRIG_ERR_IO` (the root or the
/// directory cannot be made or written; or a relative working directory or session directory
/// cannot be made absolute because the current directory is gone: nothing is made then).
/// `*out` is untouched on error.
///
/// # Safety
/// `store`, `spec` are NULL or live handles; `out` is NULL or writable.
#[must_use = "the status says whether it worked"]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_store_create(
    store: *const outrig_store,
    spec: *const outrig_spec,
    out: *mut *mut outrig_session,
) -> outrig_status {
    ffi_boundary! {
        let store = arg_ref!(store, "store");
        let spec = arg_ref!(spec, "spec");
        let out = out_ptr!(out, "out");
        let live = store.store.create(spec)?;
        out.write(handle::into_raw(SessionHandle::leased(live)));
        Ok(OK)
    }
}

/// Finalizes session `id` now: sets `ended_at` to the current time and `exit_code`, keeps
/// every other field (unknown ones included). Finalizing again overwrites both. The update
/// holds an exclusive lock on the session directory from read to write, so it never loses a
/// concurrent update. For `exit_code`, record `outrig_exit_code_from_wait_status(status)` of
/// the child's `waitpid` status (its exit code, or 128+N for signal N).
///
/// A session this process created with `outrig_store_create` and still leases is updated
/// through its lease, which this call then ends (the session handle stays valid to read). A
/// session another process leases (or `outrig run-new` runs) is `OUTRIG_ERR_BUSY` after a
/// wait of at most 1 second.
///
/// Errors: `OUTRIG_ERR_INVALID_ARGUMENT` (a NULL argument, `id` not a valid session id),
/// `OUTRIG_ERR_NOT_FOUND` (no such session), `OUTRIG_ERR_CORRUPT_RECORD` (its record does not
/// parse; it is left as it is), `OUTRIG_ERR_BUSY` (another process holds its lock),
/// `OUTRIG_ERR_IO`.
///
/// # Safety
/// `store` is NULL or a live store; `id` is NULL or a NUL-terminated string.
#[must_use = "the status says whether it worked"]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_store_finalize(
    store: *const outrig_store,
    id: *const c_char,
    exit_code: i32,
) -> outrig_status {
    ffi_boundary! {
        let (store, id) = store_and_id!(store, id);
        store.store.finalize_now(&id, exit_code)?;
        Ok(OK)
    }
}

/// Finalizes session `id` with the end time `ended_at_unix_ns` (nanoseconds since the Unix
/// epoch). Otherwise as `outrig_store_finalize`.
///
/// # Safety
/// As for `outrig_store_finalize`.
#[must_use = "the status says whether it worked"]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_store_finalize_at(
    store: *const outrig_store,
    id: *const c_char,
    ended_at_unix_ns: i64,
    exit_code: i32,
) -> outrig_status {
    ffi_boundary! {
        let (store, id) = store_and_id!(store, id);
        store.store.finalize(&id, from_unix_ns(ended_at_unix_ns), exit_code)?;
        Ok(OK)
    }
}

/// Replaces the sidecar container names of session `id` with the `count` strings of `names`
/// (in start order; `names` may be NULL when `count` is 0, which removes the field). Locked
/// and durable like `outrig_store_finalize`, through this process's lease like it (the lease
/// stays), and `OUTRIG_ERR_BUSY` like it when another process holds the session's lock.
///
/// Errors: as for `outrig_store_finalize`; `OUTRIG_ERR_INVALID_ARGUMENT` also for a NULL
/// `names[i]`, a name that is not UTF-8 or is empty.
///
/// # Safety
/// As for `outrig_store_finalize`; `names` is NULL or an array of `count` pointers, each NULL
/// or a NUL-terminated string.
#[must_use = "the status says whether it worked"]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_store_set_sidecar_containers(
    store: *const outrig_store,
    id: *const c_char,
    names: *const *const c_char,
    count: usize,
) -> outrig_status {
    ffi_boundary! {
        let (store, id) = store_and_id!(store, id);
        let names = arg_slice!(names, count, "names")
            .iter()
            .enumerate()
            .map(|(i, &name)| Ok(arg_str!(name, &format!("names[{i}]"))))
            .collect::<Result<Vec<&str>>>()?;
        store.store.set_sidecar_containers(&id, &names)?;
        Ok(OK)
    }
}

/// Reads session `id`; `*out` is a new session (free it with `outrig_session_free`). For an
/// explicit session, `outrig_session_link_target` gives where `<root>/<id>` points.
///
/// Errors: `OUTRIG_ERR_INVALID_ARGUMENT` (a NULL argument, `id` not a valid session id),
/// `OUTRIG_ERR_NOT_FOUND` (no such session), `OUTRIG_ERR_CORRUPT_RECORD` (its record does not
/// parse), `OUTRIG_ERR_IO`. `*out` is untouched on error.
///
/// # Safety
/// `store` is NULL or a live store; `id` is NULL or a NUL-terminated string; `out` is NULL or
/// writable.
#[must_use = "the status says whether it worked"]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_store_get(
    store: *const outrig_store,
    id: *const c_char,
    out: *mut *mut outrig_session,
) -> outrig_status {
    ffi_boundary! {
        let (store, id) = store_and_id!(store, id);
        let out = out_ptr!(out, "out");
        let session = store.store.get(&id)?;
        out.write(handle::into_raw(SessionHandle::new(session)));
        Ok(OK)
    }
}

/// Reads the session whose `session.json` is in directory `dir` (named directly, anywhere);
/// `*out` is a new session (free it with `outrig_session_free`).
///
/// Errors: `OUTRIG_ERR_INVALID_ARGUMENT` (a NULL argument, `dir` not UTF-8),
/// `OUTRIG_ERR_NOT_FOUND` (no `session.json` there), `OUTRIG_ERR_CORRUPT_RECORD` (it does not
/// parse), `OUTRIG_ERR_IO` (also for a relative `dir` when the current directory it is taken
/// against is gone, as for `outrig_store_remove_by_path`). `*out` is untouched on error.
///
/// # Safety
/// `store` is NULL or a live store; `dir` is NULL or a NUL-terminated string; `out` is NULL
/// or writable.
#[must_use = "the status says whether it worked"]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_store_get_by_path(
    store: *const outrig_store,
    dir: *const c_char,
    out: *mut *mut outrig_session,
) -> outrig_status {
    ffi_boundary! {
        let store = arg_ref!(store, "store");
        let dir = arg_str!(dir, "dir");
        let out = out_ptr!(out, "out");
        let session = store.store.get_by_path(Path::new(dir))?;
        out.write(handle::into_raw(SessionHandle::new(session)));
        Ok(OK)
    }
}

/// Lists the sessions under the root, newest first; `*out` is a new listing (free it with
/// `outrig_listing_free`). An entry whose record cannot be read costs only itself: it is among
/// the listing's skipped entries, with the reason. A missing root is an empty listing.
///
/// Errors: `OUTRIG_ERR_INVALID_ARGUMENT` (a NULL argument), `OUTRIG_ERR_IO` (the root itself
/// cannot be read, e.g. it is a file). `*out` is untouched on error.
///
/// # Safety
/// `store` is NULL or a live store; `out` is NULL or writable.
#[must_use = "the status says whether it worked"]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_store_list(
    store: *const outrig_store,
    out: *mut *mut outrig_listing,
) -> outrig_status {
    ffi_boundary! {
        let store = arg_ref!(store, "store");
        let out = out_ptr!(out, "out");
        let (sessions, skipped) = store.store.list_ordered(SessionHandle::listed)?;
        out.write(handle::into_raw(ListingHandle::new(sessions, &skipped)));
        Ok(OK)
    }
}

/// Removes session `id`: deletes exactly the store's names in its directory (`outrig-enter`,
/// a real `logs/` directory, leftover temporary records, `session.json` last), then the
/// directory if that emptied it, and for an explicit session the root's link. Anything else in
/// the directory is the user's and stays. When `kept` is not NULL, `*kept` is a new list of
/// the names that stayed, sorted (empty when the directory went); free it with
/// `outrig_strings_free`. A corrupt session can be removed by id.
///
/// A session running in another process (its lease or `outrig run-new`'s lock is held) is
/// refused with `OUTRIG_ERR_BUSY` after a wait of at most 1 second; one this process leases is
/// removed through its lease, which ends. Every decision is taken after the session directory
/// is locked, and fails closed: a session whose containers the store's probe sees running (all
/// of an unfinalized session's, a finalized session's primary one) is refused with
/// `OUTRIG_ERR_BUSY`, and so is an unfinalized one when the probe cannot tell (the engine
/// failed or there is no probe); `outrig_last_error_message()` says which, with the engine's
/// own words. `outrig_store_remove_forced` skips the container check.
///
/// Errors: `OUTRIG_ERR_INVALID_ARGUMENT` (a NULL `store` or `id`, `id` not a valid session id),
/// `OUTRIG_ERR_NOT_FOUND` (no such session), `OUTRIG_ERR_BUSY` (running, or might be),
/// `OUTRIG_ERR_IO` (a file cannot be removed; the record then stays, so the removal can be
/// retried). `*kept` is untouched on error.
///
/// # Safety
/// `store` is NULL or a live store; `id` is NULL or a NUL-terminated string; `kept` is NULL
/// or writable.
#[must_use = "the status says whether it worked"]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_store_remove(
    store: *const outrig_store,
    id: *const c_char,
    kept: *mut *mut outrig_strings,
) -> outrig_status {
    // SAFETY: forwarded from this function's contract.
    unsafe { remove_by_id(store, id, kept, RemoveMode::Checked) }
}

/// `outrig_store_remove` without asking whether the session's containers run: the override for
/// a machine whose container engine is broken (`outrig-sessions discard --force`). A lease
/// another process holds still refuses it with `OUTRIG_ERR_BUSY`.
///
/// # Safety
/// As for `outrig_store_remove`.
#[must_use = "the status says whether it worked"]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_store_remove_forced(
    store: *const outrig_store,
    id: *const c_char,
    kept: *mut *mut outrig_strings,
) -> outrig_status {
    // SAFETY: forwarded from this function's contract.
    unsafe { remove_by_id(store, id, kept, RemoveMode::Forced) }
}

/// `outrig_store_remove_by_path` without the container check, as `outrig_store_remove_forced`.
///
/// # Safety
/// As for `outrig_store_remove_by_path`.
#[must_use = "the status says whether it worked"]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_store_remove_by_path_forced(
    store: *const outrig_store,
    dir: *const c_char,
    kept: *mut *mut outrig_strings,
) -> outrig_status {
    // SAFETY: forwarded from this function's contract.
    unsafe { remove_in_dir(store, dir, kept, RemoveMode::Forced) }
}

/// Removes the session whose record is in directory `dir`, as `outrig_store_remove` does, and
/// the root's link to it (found from the record's id, not by a sweep of the root).
///
/// Errors: `OUTRIG_ERR_INVALID_ARGUMENT` (a NULL `store` or `dir`, `dir` not UTF-8),
/// `OUTRIG_ERR_NOT_FOUND` (no `session.json` in `dir`), `OUTRIG_ERR_CORRUPT_RECORD` (it does
/// not parse: remove such a session by id), `OUTRIG_ERR_BUSY` (as for `outrig_store_remove`),
/// `OUTRIG_ERR_IO` (also for a relative `dir` when the current directory it is taken against
/// is gone). `*kept` is untouched on error.
///
/// # Safety
/// `store` is NULL or a live store; `dir` is NULL or a NUL-terminated string; `kept` is NULL
/// or writable.
#[must_use = "the status says whether it worked"]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_store_remove_by_path(
    store: *const outrig_store,
    dir: *const c_char,
    kept: *mut *mut outrig_strings,
) -> outrig_status {
    // SAFETY: forwarded from this function's contract.
    unsafe { remove_in_dir(store, dir, kept, RemoveMode::Checked) }
}

/// Removes what `outrig clean --older-than` removes: the `OUTRIG_STATE_FINISHED` sessions that
/// ended more than `older_than_seconds` ago and the `OUTRIG_STATE_ABANDONED` ones that started
/// more than that ago (with `dry_run`, removes nothing and only reports). `OUTRIG_STATE_RUNNING`
/// and `OUTRIG_STATE_UNKNOWN` sessions always stay, and so do unreadable records. The states
/// come from one call of the store's container probe (see
/// `outrig_store_with_container_probe`). Each removal is `outrig_store_remove`, so files a user
/// added to a session directory stay; a session removed meanwhile by someone else is left out,
/// one leased meanwhile is kept as running.
///
/// Each of the out-listings may be NULL; when not NULL it is set to a new listing (free it with
/// `outrig_listing_free`), newest first: `*removed` the sessions removed (or that would be),
/// `*kept_running` the old enough ones kept because they run, `*kept_unknown` the old enough,
/// unfinalized ones kept because the probe could not tell whether they run.
///
/// A session that cannot be removed (a directory another user owns) does not stop the clean:
/// every other one is removed first, and then the first such failure is returned (its status
/// and message). `outrig_store_clean_v2` reports every failure and the removals with them.
///
/// Errors: `OUTRIG_ERR_INVALID_ARGUMENT` (a NULL `store`, a negative or impossibly large
/// `older_than_seconds`), an error of the listing, or the first removal that failed (after the
/// rest were done; those removed stay removed). The out-listings are untouched on error.
///
/// # Safety
/// `store` is NULL or a live store; `removed`, `kept_running`, `kept_unknown` are each NULL or
/// writable.
#[must_use = "the status says whether it worked"]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_store_clean(
    store: *const outrig_store,
    older_than_seconds: i64,
    dry_run: bool,
    removed: *mut *mut outrig_listing,
    kept_running: *mut *mut outrig_listing,
    kept_unknown: *mut *mut outrig_listing,
) -> outrig_status {
    ffi_boundary! {
        let store = arg_ref!(store, "store");
        let outs = CleanOuts {
            removed: opt_out_ptr!(removed),
            kept_running: opt_out_ptr!(kept_running),
            kept_unknown: opt_out_ptr!(kept_unknown),
        };
        let age = age_from_seconds(older_than_seconds)?;
        let done = store
            .store
            .clean_older_than(age, CleanMode::from_dry_run(dry_run))?;
        outs.write(done)?;
        Ok(OK)
    }
}

/// Like `outrig_store_clean`, with the cutoff given as a time (nanoseconds since the Unix
/// epoch): removes the finished sessions that ended before `before_unix_ns` and the abandoned
/// ones that started before it.
///
/// # Safety
/// As for `outrig_store_clean`.
#[must_use = "the status says whether it worked"]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_store_clean_before(
    store: *const outrig_store,
    before_unix_ns: i64,
    dry_run: bool,
    removed: *mut *mut outrig_listing,
    kept_running: *mut *mut outrig_listing,
    kept_unknown: *mut *mut outrig_listing,
) -> outrig_status {
    ffi_boundary! {
        let store = arg_ref!(store, "store");
        let outs = CleanOuts {
            removed: opt_out_ptr!(removed),
            kept_running: opt_out_ptr!(kept_running),
            kept_unknown: opt_out_ptr!(kept_unknown),
        };
        let done = store
            .store
            .clean(from_unix_ns(before_unix_ns), CleanMode::from_dry_run(dry_run))?;
        outs.write(done)?;
        Ok(OK)
    }
}

/// Cleans session `id` alone, whatever its age (`outrig-sessions clean --session ID`): removes
/// it when it is `OUTRIG_STATE_FINISHED` or `OUTRIG_STATE_ABANDONED` (with `dry_run`, only
/// reports), keeps it when it is running or its state is unknown. The out-listings are as for
/// `outrig_store_clean`: exactly one of them holds the session, unless someone else removed it
/// meanwhile (then all are empty).
///
/// Errors: `OUTRIG_ERR_INVALID_ARGUMENT` (a NULL `store` or `id`, `id` not a valid session id),
/// `OUTRIG_ERR_NOT_FOUND` (no such session), `OUTRIG_ERR_CORRUPT_RECORD` (its record does not
/// parse: `outrig_store_remove` removes such a session), `OUTRIG_ERR_IO` (its removal failed).
/// The out-listings are untouched on error.
///
/// # Safety
/// `store` is NULL or a live store; `id` is NULL or a NUL-terminated string; `removed`,
/// `kept_running`, `kept_unknown` are each NULL or writable.
#[must_use = "the status says whether it worked"]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_store_clean_session(
    store: *const outrig_store,
    id: *const c_char,
    dry_run: bool,
    removed: *mut *mut outrig_listing,
    kept_running: *mut *mut outrig_listing,
    kept_unknown: *mut *mut outrig_listing,
) -> outrig_status {
    ffi_boundary! {
        let (store, id) = store_and_id!(store, id);
        let outs = CleanOuts {
            removed: opt_out_ptr!(removed),
            kept_running: opt_out_ptr!(kept_running),
            kept_unknown: opt_out_ptr!(kept_unknown),
        };
        let done = store.store.clean_session(&id, CleanMode::from_dry_run(dry_run))?;
        outs.write(done)?;
        Ok(OK)
    }
}

/// A clean's `older_than_seconds` as an age; a negative one is refused.
fn age_from_seconds(older_than_seconds: i64) -> crate::Result<Duration> {
    let secs = u64::try_from(older_than_seconds).map_err(|_| {
        Error::invalid(format!(
            "older_than_seconds is {older_than_seconds}; pass an age of 0 seconds or more"
        ))
    })?;
    Ok(Duration::from_secs(secs))
}

/// The body of `outrig_store_remove` and `outrig_store_remove_forced`: one core call, the
/// mode the only difference.
///
/// # Safety
/// As for `outrig_store_remove`.
unsafe fn remove_by_id(
    store: *const outrig_store,
    id: *const c_char,
    kept: *mut *mut outrig_strings,
    mode: RemoveMode,
) -> outrig_status {
    ffi_boundary! {
        let (store, id) = store_and_id!(store, id);
        let kept = opt_out_ptr!(kept);
        let removal = store.store.remove_with(&id, mode)?;
        hand_out_kept(kept, &removal);
        Ok(OK)
    }
}

/// The body of `outrig_store_remove_by_path` and `outrig_store_remove_by_path_forced`.
///
/// # Safety
/// As for `outrig_store_remove_by_path`.
unsafe fn remove_in_dir(
    store: *const outrig_store,
    dir: *const c_char,
    kept: *mut *mut outrig_strings,
    mode: RemoveMode,
) -> outrig_status {
    ffi_boundary! {
        let store = arg_ref!(store, "store");
        let dir = arg_str!(dir, "dir");
        let kept = opt_out_ptr!(kept);
        let removal = store.store.remove_by_path_with(Path::new(dir), mode)?;
        hand_out_kept(kept, &removal);
        Ok(OK)
    }
}

/// Hands out what a removal kept, when the caller asked for it (the remove functions' `kept`).
fn hand_out_kept(kept: Option<OutPtr<'_, *mut outrig_strings>>, removal: &crate::Removal) {
    if let Some(kept) = kept {
        kept.write(strings_handle(&removal.kept));
    }
}

/// The optional out-listings of the clean functions.
struct CleanOuts<'a> {
    removed: Option<OutPtr<'a, *mut outrig_listing>>,
    kept_running: Option<OutPtr<'a, *mut outrig_listing>>,
    kept_unknown: Option<OutPtr<'a, *mut outrig_listing>>,
}

impl CleanOuts<'_> {
    /// Hands each wanted part of `done` out as a new listing; when a removal failed, hands out
    /// nothing and returns the first failure instead.
    fn write(self, done: Cleaning) -> crate::Result<()> {
        if let Some(first) = done.first_failure() {
            return Err(first);
        }
        let parts = [
            (self.removed, done.removed),
            (self.kept_running, done.kept_running),
            (self.kept_unknown, done.kept_unknown),
        ];
        for (out, sessions) in parts {
            if let Some(out) = out {
                out.write(handle::into_raw(ListingHandle::from_sessions(sessions)));
            }
        }
        Ok(())
    }
}

/// `outrig_store_clean`, reporting every removal that failed instead of returning the first:
/// returns `OUTRIG_OK` when the listing could be read, whatever the removals did. The
/// out-listings are those of `outrig_store_clean`, and two more (each may be NULL): `*failed`,
/// the sessions whose removal failed (they stay), and `*failure_messages`, the error message of
/// each, in the same order (free it with `outrig_strings_free`). `*unknown_reason`, when not
/// NULL, is set to why the container probe could not tell (free it with `outrig_string_free`),
/// or to NULL when it answered.
///
/// Errors: `OUTRIG_ERR_INVALID_ARGUMENT` (a NULL `store`, a negative or impossibly large
/// `older_than_seconds`), an error of the listing. The out-pointers are untouched on error.
///
/// # Safety
/// `store` is NULL or a live store; each out-pointer is NULL or writable.
#[must_use = "the status says whether it worked"]
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn outrig_store_clean_v2(
    store: *const outrig_store,
    older_than_seconds: i64,
    dry_run: bool,
    removed: *mut *mut outrig_listing,
    kept_running: *mut *mut outrig_listing,
    kept_unknown: *mut *mut outrig_listing,
    failed: *mut *mut outrig_listing,
    failure_messages: *mut *mut outrig_strings,
    unknown_reason: *mut *mut c_char,
) -> outrig_status {
    ffi_boundary! {
        let store = arg_ref!(store, "store");
        let outs = CleanOuts {
            removed: opt_out_ptr!(removed),
            kept_running: opt_out_ptr!(kept_running),
            kept_unknown: opt_out_ptr!(kept_unknown),
        };
        let failed = opt_out_ptr!(failed);
        let failure_messages = opt_out_ptr!(failure_messages);
        let unknown_reason = opt_out_ptr!(unknown_reason);
        let age = age_from_seconds(older_than_seconds)?;
        let mut done = store
            .store
            .clean_older_than(age, CleanMode::from_dry_run(dry_run))?;
        let failures = std::mem::take(&mut done.failed);
        if let Some(out) = failure_messages {
            let messages: Vec<&str> = failures.iter().map(|f| f.message.as_str()).collect();
            out.write(strings_handle(&messages));
        }
        if let Some(out) = failed {
            let sessions = failures.into_iter().map(|f| f.session).collect();
            out.write(handle::into_raw(ListingHandle::from_sessions(sessions)));
        }
        if let Some(out) = unknown_reason {
            out.write(match &done.unknown_reason {
                Some(why) => crate::ffi::strings::into_owned(crate::ffi::strings::to_cstring_lossy(why)),
                None => std::ptr::null_mut(),
            });
        }
        outs.write(done)?;
        Ok(OK)
    }
}

/// The path of log file `name` under session `id`'s `logs/`, creating `logs/` and the
/// subdirectories `name` implies (the file itself is not created: open it to write). `name` is
/// one or more `/`-separated components of `[A-Za-z0-9._+-]`, none starting with `.`, so the
/// path never leaves `logs/`. The caller frees `*path_out` with `outrig_string_free`.
///
/// The path is advisory: whoever opens it looks it up again, and another process that can
/// write the session directory can change what it names meanwhile. Prefer
/// `outrig_store_append_log`, which hands out the open file.
///
/// Errors: `OUTRIG_ERR_INVALID_ARGUMENT` (a NULL argument, an invalid id or log name),
/// `OUTRIG_ERR_NOT_FOUND` (no such session), `OUTRIG_ERR_DIR_NOT_USABLE` (`logs` or a
/// directory on the way is not a real directory, or the name is taken by something that is
/// not a regular file), `OUTRIG_ERR_IO`. `*path_out` is untouched on error.
///
/// # Safety
/// `store` is NULL or a live store; `id`, `name` are NULL or NUL-terminated strings;
/// `path_out` is NULL or writable.
#[must_use = "the status says whether it worked"]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_store_log_path(
    store: *const outrig_store,
    id: *const c_char,
    name: *const c_char,
    path_out: *mut *mut c_char,
) -> outrig_status {
    ffi_boundary! {
        let (store, id) = store_and_id!(store, id);
        let name = arg_str!(name, "name");
        let out = out_ptr!(path_out, "path_out");
        let path = store.store.log_path(&id, name)?;
        out.write(into_owned(path_to_cstring(&path, "the log path")?));
        Ok(OK)
    }
}

/// The path of session `id`'s existing log file `name`, for reading: the read-only counterpart
/// of `outrig_store_log_path`. Nothing is created and no symlink is followed: `logs/` and every
/// directory on the way must be real directories and the file a regular file, so the path never
/// leaves `logs/` (exactly the files `outrig_store_logs` lists are found). `name` is as for
/// `outrig_store_log_path`. The caller frees `*path_out` with `outrig_string_free`. Advisory
/// like `outrig_store_log_path`'s: prefer `outrig_store_read_log`, which hands out the file.
///
/// Errors: `OUTRIG_ERR_INVALID_ARGUMENT` (a NULL argument, an invalid id or log name),
/// `OUTRIG_ERR_NOT_FOUND` (no such session, or no such log file), `OUTRIG_ERR_DIR_NOT_USABLE`
/// (`logs`, a directory on the way, or the file itself is something else: a symlink, a
/// directory, a device), `OUTRIG_ERR_IO`. `*path_out` is untouched on error.
///
/// # Safety
/// `store` is NULL or a live store; `id`, `name` are NULL or NUL-terminated strings;
/// `path_out` is NULL or writable.
#[must_use = "the status says whether it worked"]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_store_find_log(
    store: *const outrig_store,
    id: *const c_char,
    name: *const c_char,
    path_out: *mut *mut c_char,
) -> outrig_status {
    ffi_boundary! {
        let (store, id) = store_and_id!(store, id);
        let name = arg_str!(name, "name");
        let out = out_ptr!(path_out, "path_out");
        let path = store.store.find_log(&id, name)?;
        out.write(into_owned(path_to_cstring(&path, "the log path")?));
        Ok(OK)
    }
}

/// Opens session `id`'s log file `name` for appending, creating it (mode 0666 less the umask)
/// and `logs/` and any subdirectories `name` implies, and writes its file descriptor to
/// `*fd_out`. The descriptor is the caller's: `close()` it. It is opened `O_APPEND` and
/// `O_CLOEXEC` (call `fcntl(fd, F_SETFD, 0)` to hand it to a child across `exec`). Prefer it
/// to `outrig_store_log_path`: writes through it reach that file whatever another process
/// renames or swaps meanwhile, while a path is looked up again by whoever opens it.
///
/// `name` is one or more `/`-separated components, each 1 to 255 bytes of `[A-Za-z0-9._+-]`
/// not starting with `.`. Nothing is followed: `logs`, every directory on the way and the
/// file itself must be real directories and a regular file. A session removed meanwhile is
/// `OUTRIG_ERR_NOT_FOUND`, and whatever the call made is taken away again.
///
/// Errors: `OUTRIG_ERR_INVALID_ARGUMENT` (a NULL argument, an invalid id or log name),
/// `OUTRIG_ERR_NOT_FOUND` (no such session), `OUTRIG_ERR_CORRUPT_RECORD` (an explicit
/// session's link leads to a directory without this session's record),
/// `OUTRIG_ERR_DIR_NOT_USABLE` (something on the way, or the file, is not a real directory or
/// a regular file: a symlink, a FIFO), `OUTRIG_ERR_IO`. `*fd_out` is untouched on error.
///
/// # Safety
/// `store` is NULL or a live store; `id`, `name` are NULL or NUL-terminated strings; `fd_out`
/// is NULL or writable.
#[must_use = "the status says whether it worked"]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_store_append_log(
    store: *const outrig_store,
    id: *const c_char,
    name: *const c_char,
    fd_out: *mut c_int,
) -> outrig_status {
    ffi_boundary! {
        let (store, id) = store_and_id!(store, id);
        let name = arg_str!(name, "name");
        let out = out_ptr!(fd_out, "fd_out");
        out.write(store.store.append_log(&id, name)?.into_raw_fd());
        Ok(OK)
    }
}

/// Opens session `id`'s existing log file `name` for reading and writes its file descriptor to
/// `*fd_out` (the caller's: `close()` it; `O_CLOEXEC`). Nothing is created and nothing is
/// followed, so it is exactly a file `outrig_store_logs` lists; a reader that polls it for new
/// output (`tail -f` style) keeps reading that file whatever is renamed or planted in its
/// place. Prefer it to `outrig_store_find_log`.
///
/// Errors: `OUTRIG_ERR_INVALID_ARGUMENT` (a NULL argument, an invalid id or log name),
/// `OUTRIG_ERR_NOT_FOUND` (no such session or log), `OUTRIG_ERR_CORRUPT_RECORD` (as for
/// `outrig_store_append_log`), `OUTRIG_ERR_DIR_NOT_USABLE` (something on the way, or the file,
/// is not a real directory or a regular file), `OUTRIG_ERR_IO`. `*fd_out` is untouched on
/// error.
///
/// # Safety
/// `store` is NULL or a live store; `id`, `name` are NULL or NUL-terminated strings; `fd_out`
/// is NULL or writable.
#[must_use = "the status says whether it worked"]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_store_read_log(
    store: *const outrig_store,
    id: *const c_char,
    name: *const c_char,
    fd_out: *mut c_int,
) -> outrig_status {
    ffi_boundary! {
        let (store, id) = store_and_id!(store, id);
        let name = arg_str!(name, "name");
        let out = out_ptr!(fd_out, "fd_out");
        out.write(store.store.read_log(&id, name)?.into_raw_fd());
        Ok(OK)
    }
}

/// Lists the files under session `id`'s `logs/`, subdirectories included, sorted by name
/// (symlinks are neither followed nor listed; no `logs/` yet is an empty list). `*out` is a
/// new list: free it with `outrig_logs_free`.
///
/// Errors: `OUTRIG_ERR_INVALID_ARGUMENT` (a NULL argument, an invalid id),
/// `OUTRIG_ERR_NOT_FOUND` (no such session), `OUTRIG_ERR_IO`. `*out` is untouched on error.
///
/// # Safety
/// `store` is NULL or a live store; `id` is NULL or a NUL-terminated string; `out` is NULL or
/// writable.
#[must_use = "the status says whether it worked"]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_store_logs(
    store: *const outrig_store,
    id: *const c_char,
    out: *mut *mut outrig_logs,
) -> outrig_status {
    ffi_boundary! {
        let (store, id) = store_and_id!(store, id);
        let out = out_ptr!(out, "out");
        let files = store.store.logs(&id)?;
        out.write(handle::into_raw(LogsHandle::new(&files)));
        Ok(OK)
    }
}

/// The path of `<root>/<id>`: the session directory of an auto session, the symlink of an
/// explicit one. It need not exist; nothing is touched. The caller frees `*path_out` with
/// `outrig_string_free`.
///
/// Errors: `OUTRIG_ERR_INVALID_ARGUMENT` (a NULL argument, an invalid id). `*path_out` is
/// untouched on error.
///
/// # Safety
/// `store` is NULL or a live store; `id` is NULL or a NUL-terminated string; `path_out` is
/// NULL or writable.
#[must_use = "the status says whether it worked"]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_store_entry_path(
    store: *const outrig_store,
    id: *const c_char,
    path_out: *mut *mut c_char,
) -> outrig_status {
    ffi_boundary! {
        let (store, id) = store_and_id!(store, id);
        let out = out_ptr!(path_out, "path_out");
        let path = store.store.entry_path(&id);
        out.write(into_owned(path_to_cstring(&path, "the entry path")?));
        Ok(OK)
    }
}
