//! The C ABI of the library: `liboutrig.so` / `liboutrig.a` and `include/outrig.h`.
//!
//! This module converts and delegates; every rule about sessions lives in the core. It is the
//! only place with `unsafe` code, and that code is confined to a few mechanisms used by every
//! exported function:
//!
//! - `boundary`: `ffi_boundary!` wraps each body, catches panics, records the last error and
//!   turns a failure into the return type's failure value (a status, NULL, 0 or false);
//! - `handle`: the opaque C types, declared once with the Rust value each one owns, and the
//!   only conversions from raw pointers to references (`arg_ref!`, `arg_str!`, `out_ptr!`, ...);
//! - `error`: `outrig_status` and the thread-local last error.
//!
//! The header is generated from these files by cbindgen (`cbindgen.toml`); the doc comments of
//! the exported items are the header's documentation.

#![allow(unsafe_code)]
#![allow(non_camel_case_types)]

#[macro_use]
mod boundary;
#[macro_use]
mod handle;

pub mod error;
pub mod format;
pub mod listing;
pub mod logs;
pub mod probe;
pub mod session;
pub mod spec;
pub mod state;
pub mod store;
pub mod strings;
mod time;
pub mod watch;

use std::ffi::{CStr, c_char};

/// The major version of the library this header belongs to (the SONAME is `liboutrig.so.MAJOR`).
pub const OUTRIG_VERSION_MAJOR: u32 = 0;

/// The minor version of the library this header belongs to.
pub const OUTRIG_VERSION_MINOR: u32 = 1;

/// The patch version of the library this header belongs to.
pub const OUTRIG_VERSION_PATCH: u32 = 0;

/// The crate version as a C string, checked against the macros above by a test.
const VERSION: &CStr =
    match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
        Ok(v) => v,
        Err(_) => panic!("the package version holds a NUL byte"),
    };

/// The version of the library actually loaded, as `"MAJOR.MINOR.PATCH"`.
///
/// Compare with the `OUTRIG_VERSION_*` macros to detect a header/library mismatch. The string is
/// static: never free it. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn outrig_version() -> *const c_char {
    ffi_boundary! { Ok(VERSION.as_ptr()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_macros_match_the_package() {
        let parts: Vec<u32> = env!("CARGO_PKG_VERSION")
            .split('.')
            .map(|p| p.parse().unwrap())
            .collect();
        assert_eq!(
            parts,
            [
                OUTRIG_VERSION_MAJOR,
                OUTRIG_VERSION_MINOR,
                OUTRIG_VERSION_PATCH
            ]
        );
        // SAFETY: outrig_version returns a pointer to a static NUL-terminated string.
        let v = unsafe { CStr::from_ptr(outrig_version()) };
        assert_eq!(v.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
    }
}
