//! The opaque C types, each declared once with the Rust value it stands for, and the only
//! places a raw pointer from C becomes a Rust reference.
//!
//! Every handle is a `Box` of its Rust value, cast to a pointer to a zero-sized marker struct
//! that C sees as an incomplete type. A handle is made by [`into_raw`], borrowed by `arg_ref!`
//! and `arg_mut!`, and destroyed by [`free`]. A handle borrowed from another (a session in a
//! listing) is made by [`as_raw`] and never freed on its own.
//!
//! Arguments are converted by the macros of this module, which check for NULL (and UTF-8 for
//! strings) and return an invalid-argument error naming the argument. They expand to one
//! `unsafe` call each, justified once here: every exported function is an `unsafe extern "C"
//! fn` whose documented contract is that each pointer argument is NULL or valid for its use
//! (a live handle of its type from this library, a NUL-terminated string, an array of the
//! given length, a writable out-pointer) for the duration of the call.

use std::ffi::{CStr, c_char};
use std::marker::PhantomData;
use std::ptr::NonNull;

use crate::error::{Error, Result};

/// A C-facing opaque type and the Rust value a pointer to it points to.
pub(crate) trait Castable {
    /// The value behind the pointer.
    type Rust;
}

/// A session store: the root directory it works on. Open one with `outrig_store_open` or
/// `outrig_store_open_resolved`; free it with `outrig_store_free`. After opening it is only
/// read, so one handle may be shared by any number of threads.
pub struct outrig_store {
    _private: [u8; 0],
}

/// What a launcher knows about a session before it starts (the input of `outrig_store_create`).
/// Make one with `outrig_spec_new`, fill it with the `outrig_spec_set_*` functions, free it
/// with `outrig_spec_free`. Not for sharing between threads while it is being filled.
pub struct outrig_spec {
    _private: [u8; 0],
}

/// One session record, as read or written. Owned ones come from `outrig_store_create`,
/// `outrig_store_get` and `outrig_store_get_by_path` and are freed with `outrig_session_free`;
/// borrowed ones come from `outrig_listing_get` and live as long as their listing. Read-only:
/// safe to read from several threads at once.
pub struct outrig_session {
    _private: [u8; 0],
}

/// The result of a listing: sessions newest first, and the entries that were skipped because
/// their record could not be read. Free with `outrig_listing_free`. Read-only.
pub struct outrig_listing {
    _private: [u8; 0],
}

/// A list of strings (the names a removal kept). Free with `outrig_strings_free`. Read-only.
pub struct outrig_strings {
    _private: [u8; 0],
}

/// The files under a session's `logs/`, with their sizes. Free with `outrig_logs_free`.
/// Read-only.
pub struct outrig_logs {
    _private: [u8; 0],
}

/// A watch of a session root: the changes of its sessions as they happen. Open one with
/// `outrig_store_watch`; free it with `outrig_watch_free`. One thread at a time calls
/// `outrig_watch_next` on it.
pub struct outrig_watch {
    _private: [u8; 0],
}

/// One change of one session, from `outrig_watch_next`. Free with `outrig_event_free`.
/// Read-only: safe to read from several threads at once.
pub struct outrig_event {
    _private: [u8; 0],
}

impl Castable for outrig_store {
    type Rust = super::store::StoreHandle;
}
impl Castable for outrig_spec {
    type Rust = crate::NewSession;
}
impl Castable for outrig_session {
    type Rust = super::session::SessionHandle;
}
impl Castable for outrig_listing {
    type Rust = super::listing::ListingHandle;
}
impl Castable for outrig_strings {
    type Rust = super::strings::StringsHandle;
}
impl Castable for outrig_logs {
    type Rust = super::logs::LogsHandle;
}
impl Castable for outrig_watch {
    type Rust = super::watch::WatchHandle;
}
impl Castable for outrig_event {
    type Rust = super::watch::EventHandle;
}

/// Moves `value` to the heap and returns the owning handle; [`free`] takes it back.
pub(crate) fn into_raw<C: Castable>(value: C::Rust) -> *mut C {
    Box::into_raw(Box::new(value)).cast()
}

/// A borrowed handle to a value owned by something else (a session inside a listing).
pub(crate) fn as_raw<C: Castable>(value: &C::Rust) -> *const C {
    std::ptr::from_ref(value).cast()
}

/// Drops the value behind a handle from [`into_raw`]; NULL is ignored.
///
/// # Safety
/// `ptr` is NULL or a handle [`into_raw`] made for `C` that has not been freed, and nothing
/// uses it afterwards.
pub(crate) unsafe fn free<C: Castable>(ptr: *mut C) {
    if !ptr.is_null() {
        // SAFETY: the caller guarantees ptr came from into_raw::<C>, i.e. Box<C::Rust>.
        drop(unsafe { Box::from_raw(ptr.cast::<C::Rust>()) });
    }
}

fn null(what: &str) -> Error {
    Error::invalid(format!("argument `{what}` is NULL; pass a valid pointer"))
}

/// Borrows the value behind a handle.
///
/// # Safety
/// `ptr` is NULL or a live handle for `C` from this library, not freed while `'a` lasts.
pub(crate) unsafe fn borrow<'a, C: Castable>(ptr: *const C, what: &str) -> Result<&'a C::Rust> {
    // SAFETY: a non-NULL ptr points to a live C::Rust, as the caller guarantees.
    unsafe { ptr.cast::<C::Rust>().as_ref() }.ok_or_else(|| null(what))
}

/// Borrows the value behind a handle mutably.
///
/// # Safety
/// As [`borrow`], and nothing else uses the handle while `'a` lasts.
pub(crate) unsafe fn borrow_mut<'a, C: Castable>(
    ptr: *mut C,
    what: &str,
) -> Result<&'a mut C::Rust> {
    // SAFETY: a non-NULL ptr points to a live C::Rust used by nobody else, as the caller
    // guarantees.
    unsafe { ptr.cast::<C::Rust>().as_mut() }.ok_or_else(|| null(what))
}

/// Reads a NUL-terminated UTF-8 string argument; NULL and invalid UTF-8 are refused.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string that outlives `'a`.
pub(crate) unsafe fn string<'a>(ptr: *const c_char, what: &str) -> Result<&'a str> {
    if ptr.is_null() {
        return Err(null(what));
    }
    // SAFETY: ptr is non-NULL and NUL-terminated, as the caller guarantees.
    let bytes = unsafe { CStr::from_ptr(ptr) };
    bytes.to_str().map_err(|e| {
        Error::invalid(format!(
            "argument `{what}` is not valid UTF-8 (bad byte at offset {}); pass UTF-8 text",
            e.valid_up_to()
        ))
    })
}

/// Like [`string`], for an argument where NULL means "none".
///
/// # Safety
/// As [`string`].
pub(crate) unsafe fn optional_string<'a>(
    ptr: *const c_char,
    what: &str,
) -> Result<Option<&'a str>> {
    if ptr.is_null() {
        Ok(None)
    } else {
        // SAFETY: forwarded from the caller.
        unsafe { string(ptr, what) }.map(Some)
    }
}

/// Borrows an array argument of `len` elements; NULL is allowed only for `len == 0`.
///
/// # Safety
/// `ptr` is NULL or points to `len` initialized elements that outlive `'a`.
pub(crate) unsafe fn slice<'a, T>(ptr: *const T, len: usize, what: &str) -> Result<&'a [T]> {
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(Error::invalid(format!(
            "argument `{what}` is NULL but its count is {len}; pass the array or a count of 0"
        )));
    }
    if len > isize::MAX as usize / size_of::<T>().max(1) {
        return Err(Error::invalid(format!(
            "count {len} for `{what}` is larger than any array can be"
        )));
    }
    // SAFETY: ptr is non-NULL, points to len elements (caller), and len * size fits isize.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// Borrows an array argument of `len` elements to write results into; NULL is allowed only
/// for `len == 0`. The elements need not be initialized: they are only written.
///
/// # Safety
/// `ptr` is NULL or points to `len` writable elements that nothing else uses while `'a` lasts.
pub(crate) unsafe fn slice_mut<'a, T: Copy>(
    ptr: *mut T,
    len: usize,
    what: &str,
) -> Result<&'a mut [T]> {
    if len == 0 {
        return Ok(&mut []);
    }
    if ptr.is_null() {
        return Err(Error::invalid(format!(
            "argument `{what}` is NULL but its count is {len}; pass the array or a count of 0"
        )));
    }
    if len > isize::MAX as usize / size_of::<T>().max(1) {
        return Err(Error::invalid(format!(
            "count {len} for `{what}` is larger than any array can be"
        )));
    }
    // SAFETY: ptr is non-NULL, points to len writable elements used by nobody else (caller),
    // and len * size fits isize. T is Copy, so writing over an uninitialized element drops
    // nothing.
    Ok(unsafe { std::slice::from_raw_parts_mut(ptr, len) })
}

/// A place to write one result to: a checked, non-NULL out-pointer from C. Writing happens
/// only once the operation succeeded, so the caller's variable is untouched on error.
pub(crate) struct OutPtr<'a, T> {
    ptr: NonNull<T>,
    _borrow: PhantomData<&'a mut T>,
}

impl<T> OutPtr<'_, T> {
    /// Checks an out-pointer argument; NULL is refused.
    ///
    /// # Safety
    /// `ptr` is NULL or valid for writing a `T` for as long as the result is used.
    pub(crate) unsafe fn new(ptr: *mut T, what: &str) -> Result<Self> {
        NonNull::new(ptr)
            .map(|ptr| Self {
                ptr,
                _borrow: PhantomData,
            })
            .ok_or_else(|| null(what))
    }

    /// Checks an out-pointer argument where NULL means "the caller does not want it".
    ///
    /// # Safety
    /// As [`OutPtr::new`].
    pub(crate) unsafe fn optional(ptr: *mut T) -> Option<Self> {
        NonNull::new(ptr).map(|ptr| Self {
            ptr,
            _borrow: PhantomData,
        })
    }

    /// Writes the result. The old value (possibly uninitialized) is not read or dropped.
    pub(crate) fn write(self, value: T) {
        // SAFETY: the constructor's caller guaranteed ptr is valid for writes of T.
        unsafe { self.ptr.as_ptr().write(value) }
    }
}

/// The opening of every call on one session: the store handle (`"store"`) and the session id
/// (`"id"`), checked in that order; evaluates to `(&StoreHandle, SessionId)`.
macro_rules! store_and_id {
    ($store:ident, $id:ident) => {
        (
            arg_ref!($store, "store"),
            $crate::SessionId::parse(arg_str!($id, "id"))?,
        )
    };
}

/// `arg_ref!(ptr, "name")`: borrows a handle argument, or returns an invalid-argument error
/// naming it. For use in an `ffi_boundary!` body.
macro_rules! arg_ref {
    ($ptr:expr, $what:literal) => {{
        let ptr = $ptr;
        // SAFETY: the exported function's contract makes ptr NULL or a live handle of its type
        // (see the module documentation of ffi::handle).
        unsafe { $crate::ffi::handle::borrow(ptr, $what) }?
    }};
}

/// `arg_mut!(ptr, "name")`: borrows a handle argument mutably.
macro_rules! arg_mut {
    ($ptr:expr, $what:literal) => {{
        let ptr = $ptr;
        // SAFETY: the exported function's contract makes ptr NULL or a live handle of its type
        // that nothing else uses during the call (see ffi::handle).
        unsafe { $crate::ffi::handle::borrow_mut(ptr, $what) }?
    }};
}

/// `arg_str!(ptr, "name")`: reads a required UTF-8 string argument.
macro_rules! arg_str {
    ($ptr:expr, $what:expr) => {{
        let ptr = $ptr;
        // SAFETY: the exported function's contract makes ptr NULL or a NUL-terminated string
        // (see ffi::handle).
        unsafe { $crate::ffi::handle::string(ptr, $what) }?
    }};
}

/// `arg_opt_str!(ptr, "name")`: reads a UTF-8 string argument where NULL means none.
macro_rules! arg_opt_str {
    ($ptr:expr, $what:literal) => {{
        let ptr = $ptr;
        // SAFETY: as for arg_str!.
        unsafe { $crate::ffi::handle::optional_string(ptr, $what) }?
    }};
}

/// `arg_slice!(ptr, len, "name")`: borrows an array argument.
macro_rules! arg_slice {
    ($ptr:expr, $len:expr, $what:literal) => {{
        let (ptr, len) = ($ptr, $len);
        // SAFETY: the exported function's contract makes ptr NULL or an array of len elements
        // (see ffi::handle).
        unsafe { $crate::ffi::handle::slice(ptr, len, $what) }?
    }};
}

/// `arg_slice_mut!(ptr, len, "name")`: borrows an array argument to write results into.
macro_rules! arg_slice_mut {
    ($ptr:expr, $len:expr, $what:literal) => {{
        let (ptr, len) = ($ptr, $len);
        // SAFETY: the exported function's contract makes ptr NULL or an array of len writable
        // elements nothing else uses during the call (see ffi::handle).
        unsafe { $crate::ffi::handle::slice_mut(ptr, len, $what) }?
    }};
}

/// `out_ptr!(ptr, "name")`: checks a required out-pointer argument.
macro_rules! out_ptr {
    ($ptr:expr, $what:literal) => {{
        let ptr = $ptr;
        // SAFETY: the exported function's contract makes ptr NULL or writable (see ffi::handle).
        unsafe { $crate::ffi::handle::OutPtr::new(ptr, $what) }?
    }};
}

/// `opt_out_ptr!(ptr)`: an out-pointer argument the caller may leave NULL.
macro_rules! opt_out_ptr {
    ($ptr:expr) => {{
        let ptr = $ptr;
        // SAFETY: the exported function's contract makes ptr NULL or writable (see ffi::handle).
        unsafe { $crate::ffi::handle::OutPtr::optional(ptr) }
    }};
}

/// `free_handle!(ptr)`: frees an owning handle; NULL is ignored.
macro_rules! free_handle {
    ($ptr:expr) => {{
        let ptr = $ptr;
        // SAFETY: the free function's contract makes ptr NULL or an owning handle of its type
        // that the caller gives up (see ffi::handle).
        unsafe { $crate::ffi::handle::free(ptr) }
    }};
}
