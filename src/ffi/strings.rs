//! Strings going out to C: owned strings and their free function, string lists, and the
//! conversions from Rust text and paths.

use std::ffi::{CString, c_char};
use std::os::unix::ffi::OsStrExt as _;
use std::path::Path;

use super::handle::{self, outrig_strings};
use crate::error::{Error, ErrorKind, Result};

/// The value behind an `outrig_strings`.
pub(crate) type StringsHandle = Vec<CString>;

/// `s` as a C string; a NUL byte inside (which no path or name holds, but a message quoting a
/// record might) is written as the two characters `\0`.
pub(crate) fn to_cstring_lossy(s: &str) -> CString {
    CString::new(s.replace('\0', "\\0")).expect("every NUL byte was replaced")
}

/// The bytes of `value` as a C string, or an error naming `what` when it holds a NUL byte.
pub(crate) fn to_cstring(value: &[u8], what: &str) -> Result<CString> {
    CString::new(value).map_err(|_| Error::new(ErrorKind::CorruptRecord, nul_message(what)))
}

/// The message for `what` holding a NUL byte.
pub(crate) fn nul_message(what: &str) -> String {
    format!(
        "{what} holds a NUL byte, which a C string cannot carry; read it from \
         outrig_session_to_json instead"
    )
}

/// A path as a C string (its bytes, as the OS gives them).
pub(crate) fn path_to_cstring(path: &Path, what: &str) -> Result<CString> {
    to_cstring(path.as_os_str().as_bytes(), what)
}

/// Hands an owned string to C; `outrig_string_free` takes it back.
pub(crate) fn into_owned(s: CString) -> *mut c_char {
    s.into_raw()
}

/// The element `i` of `items`, or an invalid-argument error saying how many there are.
pub(crate) fn index<'a, T>(items: &'a [T], i: usize, what: &str) -> Result<&'a T> {
    items
        .get(i)
        .ok_or_else(|| out_of_range(i, items.len(), what))
}

/// The error of index `i` into `what`, which has `len` entries.
pub(crate) fn out_of_range(i: usize, len: usize, what: &str) -> Error {
    Error::invalid(format!(
        "index {i} is out of range: the {what} has {len} entries"
    ))
}

/// Frees a string the library returned as owned (`char *`): a path, a JSON record, a
/// formatted time. NULL is ignored. Never pass a borrowed `const char *` or memory from
/// `malloc`. Thread-safe.
///
/// # Safety
/// `s` is NULL or a string this library returned as owned and not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_string_free(s: *mut c_char) {
    ffi_boundary! {
        if !s.is_null() {
            // SAFETY: the contract makes s a CString::into_raw pointer from this library.
            drop(unsafe { CString::from_raw(s) });
        }
        Ok(())
    }
}

/// The number of strings in `strings`; 0 for NULL (with the last error set).
///
/// # Safety
/// `strings` is NULL or a live `outrig_strings`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_strings_len(strings: *const outrig_strings) -> usize {
    ffi_boundary! {
        let strings = arg_ref!(strings, "strings");
        Ok(strings.len())
    }
}

/// The string at `i` (0-based), borrowed from `strings`: valid until `outrig_strings_free`.
/// NULL (and the last error set) when `strings` is NULL or `i` is out of range.
///
/// # Safety
/// `strings` is NULL or a live `outrig_strings`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_strings_get(
    strings: *const outrig_strings,
    i: usize,
) -> *const c_char {
    ffi_boundary! {
        let strings = arg_ref!(strings, "strings");
        Ok(index(strings, i, "string list")?.as_ptr())
    }
}

/// Frees a string list and every string in it. NULL is ignored.
///
/// # Safety
/// `strings` is NULL or an `outrig_strings` from this library, not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_strings_free(strings: *mut outrig_strings) {
    ffi_boundary! {
        free_handle!(strings);
        Ok(())
    }
}

/// Makes an `outrig_strings` from Rust strings.
pub(crate) fn strings_handle<S: AsRef<str>>(items: &[S]) -> *mut outrig_strings {
    handle::into_raw::<outrig_strings>(items.iter().map(|s| to_cstring_lossy(s.as_ref())).collect())
}
