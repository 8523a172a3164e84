//! `outrig_listing`: the sessions and skipped entries of a listing.

use std::ffi::{CString, c_char};

use super::handle::{self, outrig_listing, outrig_session};
use super::session::SessionHandle;
use super::strings::{index, to_cstring_lossy};
use crate::error::{Error, Result};
use crate::store::Ordered;
use crate::{Session, Skipped};

/// The value behind an `outrig_listing`.
pub(crate) struct ListingHandle {
    /// The handles where the listing's threads made them, in the listing's order: a handle
    /// is several hundred bytes, and moving them after the reading took an eighth of a
    /// listing's time (bench/RESULTS.md).
    sessions: Ordered<SessionHandle>,
    /// Entry name and reason of each skipped entry.
    skipped: Vec<(CString, CString)>,
}

impl ListingHandle {
    /// A listing of converted sessions and the skipped entries.
    pub(crate) fn new(sessions: Ordered<SessionHandle>, skipped: &[Skipped]) -> Self {
        Self {
            sessions,
            skipped: skipped
                .iter()
                .map(|s| (to_cstring_lossy(&s.entry), to_cstring_lossy(&s.reason)))
                .collect(),
        }
    }

    /// A listing of `sessions` with nothing skipped (what a clean removed).
    pub(crate) fn from_sessions(sessions: Vec<Session>) -> Self {
        let handles = sessions.into_iter().map(SessionHandle::new).collect();
        Self::new(Ordered::from_vec(handles), &[])
    }

    /// The listed records, in order, as the core takes them.
    pub(crate) fn sessions(&self) -> Vec<Session> {
        self.sessions.iter().map(SessionHandle::session).collect()
    }

    /// Session `i`, or an error naming the listing's length.
    fn session(&self, i: usize) -> Result<&SessionHandle> {
        self.sessions.get(i).ok_or_else(|| {
            Error::invalid(format!(
                "index {i} is out of range: the listing has {} entries",
                self.sessions.len()
            ))
        })
    }
}

/// The number of sessions in `listing`; 0 for NULL (with the last error set).
///
/// # Safety
/// `listing` is NULL or a live `outrig_listing`; the same holds for every `outrig_listing_*`
/// function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_listing_len(listing: *const outrig_listing) -> usize {
    ffi_boundary! {
        Ok(arg_ref!(listing, "listing").sessions.len())
    }
}

/// Session `i` (0-based; newest first), borrowed from `listing`: valid until
/// `outrig_listing_free`, and never to be passed to `outrig_session_free`. NULL, with the last
/// error set, when `listing` is NULL or `i` is out of range.
///
/// # Safety
/// As for `outrig_listing_len`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_listing_get(
    listing: *const outrig_listing,
    i: usize,
) -> *const outrig_session {
    ffi_boundary! {
        let listing = arg_ref!(listing, "listing");
        Ok(handle::as_raw::<outrig_session>(listing.session(i)?))
    }
}

/// The number of skipped entries: entries of the root with a `session.json` that could not be
/// read or parsed. 0 for NULL (with the last error set).
///
/// # Safety
/// As for `outrig_listing_len`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_listing_skipped_len(listing: *const outrig_listing) -> usize {
    ffi_boundary! {
        Ok(arg_ref!(listing, "listing").skipped.len())
    }
}

/// The name under the root of skipped entry `i` (normally a session id), borrowed from
/// `listing`. NULL, with the last error set, when `listing` is NULL or `i` is out of range.
///
/// # Safety
/// As for `outrig_listing_len`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_listing_skipped_entry(
    listing: *const outrig_listing,
    i: usize,
) -> *const c_char {
    ffi_boundary! {
        let listing = arg_ref!(listing, "listing");
        Ok(index(&listing.skipped, i, "list of skipped entries")?.0.as_ptr())
    }
}

/// Why entry `i` was skipped, naming the file; borrowed from `listing`. NULL, with the last
/// error set, when `listing` is NULL or `i` is out of range.
///
/// # Safety
/// As for `outrig_listing_len`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_listing_skipped_reason(
    listing: *const outrig_listing,
    i: usize,
) -> *const c_char {
    ffi_boundary! {
        let listing = arg_ref!(listing, "listing");
        Ok(index(&listing.skipped, i, "list of skipped entries")?.1.as_ptr())
    }
}

/// Frees a listing and every session in it. NULL is ignored.
///
/// # Safety
/// `listing` is NULL or an `outrig_listing` from this library; neither it nor a session or
/// string borrowed from it is used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_listing_free(listing: *mut outrig_listing) {
    ffi_boundary! {
        free_handle!(listing);
        Ok(())
    }
}
