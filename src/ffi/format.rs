//! Formatting for listings that look like `outrig ls`.

use std::ffi::c_char;
use std::time::Duration;

use super::strings::{into_owned, to_cstring_lossy};
use super::time::from_unix_ns;

/// Formats a duration of `ns` nanoseconds (the unit of every time in this interface, and what
/// `outrig_session_duration` gives) as `outrig ls` does, in whole seconds rounded down:
/// `"0m44s"`, `"6m02s"` under an hour, `"1h05m"` from an hour on. Returns a string the caller
/// frees with `outrig_string_free`; never NULL. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn outrig_format_duration(ns: u64) -> *mut c_char {
    ffi_boundary! {
        let text = crate::format_duration(Duration::from_nanos(ns));
        Ok(into_owned(to_cstring_lossy(&text)))
    }
}

/// Formats a start time (`int64_t` nanoseconds since the Unix epoch) as `outrig ls` does, in
/// UTC to the second: `"2026-05-01 14:19:07"`. Returns a string the caller frees with
/// `outrig_string_free`; never NULL. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn outrig_format_started_at(unix_ns: i64) -> *mut c_char {
    ffi_boundary! {
        let text = crate::format_started_at(from_unix_ns(unix_ns));
        Ok(into_owned(to_cstring_lossy(&text)))
    }
}
