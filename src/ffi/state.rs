//! `outrig_state`: what is known of a session's life, asked one session or a whole listing at a
//! time, and the exit code a launcher records.

use std::ffi::{CStr, c_char, c_int, c_uint};

use super::error::outrig_status;
use super::handle::{outrig_listing, outrig_store};
use crate::State;

/// What is known of a session's life (outrig's view, which `outrig ls` and `outrig clean` act
/// on). The numbers are stable.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum outrig_state {
    /// Not finalized, and live: its lease is held (by a launcher using this library, or by
    /// `outrig run-new`), or one of its containers runs according to the store's container
    /// probe. Never removed by a clean; `outrig_store_remove` from another process is
    /// `OUTRIG_ERR_BUSY` while the lease is held.
    OUTRIG_STATE_RUNNING = 0,
    /// Finalized: it has an end time and an exit code.
    OUTRIG_STATE_FINISHED = 1,
    /// Not finalized, no lease, and no container of it runs: its launcher died. A clean removes
    /// it once its start is older than the cutoff.
    OUTRIG_STATE_ABANDONED = 2,
    /// Not finalized, no lease, and the container probe could not tell whether a container of
    /// it runs (or the store has no probe). Never removed by a clean.
    OUTRIG_STATE_UNKNOWN = 3,
}

impl From<State> for outrig_state {
    fn from(state: State) -> Self {
        match state {
            State::Running => Self::OUTRIG_STATE_RUNNING,
            State::Finished => Self::OUTRIG_STATE_FINISHED,
            State::Abandoned => Self::OUTRIG_STATE_ABANDONED,
            State::Unknown => Self::OUTRIG_STATE_UNKNOWN,
        }
    }
}

/// An `outrig_state` as C passes it in: the plain integer, so a value outside the enum is a
/// value to report rather than undefined behavior. cbindgen writes it as `outrig_state`
/// (`cbindgen.toml` renames it and leaves out its own typedef).
#[repr(transparent)]
#[derive(Debug, Clone, Copy)]
pub struct StateArg(c_uint);

/// The name of a state as it is spelled in this header (`"OUTRIG_STATE_ABANDONED"`), or
/// `"OUTRIG_UNKNOWN_STATE"` for a number that is not one. (For text to show a person, the
/// lowercase word after `OUTRIG_STATE_` is what `outrig-sessions ls` prints.)
///
/// The string is static: never free it. Thread-safe; does not touch the last error.
#[unsafe(no_mangle)]
pub extern "C" fn outrig_state_name(state: StateArg) -> *const c_char {
    ffi_boundary! { Ok(state_name(state.0).as_ptr()) }
}

fn state_name(n: c_uint) -> &'static CStr {
    match n {
        0 => c"OUTRIG_STATE_RUNNING",
        1 => c"OUTRIG_STATE_FINISHED",
        2 => c"OUTRIG_STATE_ABANDONED",
        3 => c"OUTRIG_STATE_UNKNOWN",
        _ => c"OUTRIG_UNKNOWN_STATE",
    }
}

/// The state of session `id`, written to `*out`: one lease probe (a non-blocking lock attempt
/// on its directory, released at once; it writes nothing), and for an unfinalized session
/// nobody leases, one call of the store's container probe (by default a `podman ps` or
/// `docker ps` child process; see `outrig_store_with_container_probe`). A session this process
/// created and has not finalized is `OUTRIG_STATE_RUNNING` here too.
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
pub unsafe extern "C" fn outrig_store_state(
    store: *const outrig_store,
    id: *const c_char,
    out: *mut outrig_state,
) -> outrig_status {
    ffi_boundary! {
        let (store, id) = store_and_id!(store, id);
        let out = out_ptr!(out, "out");
        out.write(store.store().state(&id)?.into());
        Ok(outrig_status::OUTRIG_OK)
    }
}

/// The state of every session of `listing`, in its order: `out[i]` is the state of
/// `outrig_listing_get(listing, i)`. `len` is the number of elements of `out` and must be
/// `outrig_listing_len(listing)` (`out` may be NULL when that is 0). Every unfinalized,
/// unleased session is asked about in ONE call of the store's container probe, as
/// `outrig-sessions ls` does; a session removed since the listing was made is
/// `OUTRIG_STATE_UNKNOWN`. The states are as of this call, not of the listing.
///
/// Errors: `OUTRIG_ERR_INVALID_ARGUMENT` (a NULL `store` or `listing`, `out` NULL with a
/// non-zero `len`, `len` other than the listing's length). `out` is untouched on error.
///
/// # Safety
/// `store` is NULL or a live store; `listing` is NULL or a live listing; `out` is NULL or an
/// array of `len` writable elements.
#[must_use = "the status says whether it worked"]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_store_states(
    store: *const outrig_store,
    listing: *const outrig_listing,
    out: *mut outrig_state,
    len: usize,
) -> outrig_status {
    ffi_boundary! {
        let store = arg_ref!(store, "store");
        let listing = arg_ref!(listing, "listing");
        let out = arg_slice_mut!(out, len, "out");
        let sessions = listing.sessions();
        if sessions.len() != len {
            return Err(crate::Error::invalid(format!(
                "argument `len` is {len} but the listing holds {} sessions; pass \
                 outrig_listing_len(listing) and an array of that many elements",
                sessions.len()
            )));
        }
        for (slot, state) in out.iter_mut().zip(store.store().states(&sessions)) {
            *slot = state.into();
        }
        Ok(outrig_status::OUTRIG_OK)
    }
}

/// The exit code to record (with `outrig_store_finalize`) for a child that ended with `status`,
/// a status as `waitpid()` or `wait()` report it: the child's exit code (`WEXITSTATUS`) when it
/// exited, or 128+N when signal N ended it, as outrig records it (129 for SIGHUP, 130 for
/// SIGINT, 137 for SIGKILL, 143 for SIGTERM). Record this, not the raw status and not
/// `WEXITSTATUS` alone (which is 0 for a killed child), so `outrig ls` and every other face
/// show the same code. Pure: no error, does not touch the last error.
#[unsafe(no_mangle)]
pub extern "C" fn outrig_exit_code_from_wait_status(status: c_int) -> c_int {
    ffi_boundary! { Ok(crate::exit_code_from_wait_status(status)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_map_in_the_core_order_and_name_themselves() {
        for (n, state) in State::ALL.into_iter().enumerate() {
            let c = outrig_state::from(state);
            assert_eq!(c as usize, n);
            let name = state_name(c as c_uint).to_str().unwrap();
            assert_eq!(
                name,
                format!("OUTRIG_STATE_{}", state.as_str().to_uppercase())
            );
        }
        assert_eq!(state_name(4).to_str().unwrap(), "OUTRIG_UNKNOWN_STATE");
        assert_eq!(
            state_name(c_uint::MAX).to_str().unwrap(),
            "OUTRIG_UNKNOWN_STATE"
        );
    }
}
