//! The panic boundary every exported function runs inside, and what each return type means as
//! a failure.
//!
//! An exported body is written as a closure returning `Result<T>`, wrapped in
//! `ffi_boundary! { ... }`. The macro runs it under `catch_unwind`, so no panic crosses into C,
//! and [`run`] turns the outcome into `T`:
//!
//! | outcome | last error | returned |
//! | --- | --- | --- |
//! | `Ok(v)` | cleared when `T` is `outrig_status`, else left alone | `v` |
//! | `Err(e)` | `e`'s message and errno | [`FfiReturn::failed`] (the status of `e`'s kind, NULL, 0, false) |
//! | panic | a message naming the panic | [`FfiReturn::panicked`] (`OUTRIG_ERR_PANIC`, NULL, 0, false) |

use std::any::Any;
use std::ffi::c_int;
use std::panic::{self, AssertUnwindSafe};

use super::error::{last_error, outrig_status};
use crate::error::{Error, Result};

/// Runs an exported function's body (a block that evaluates to `Result<T>` and may use `?`)
/// inside the panic boundary. See the module documentation.
macro_rules! ffi_boundary {
    ($($body:tt)*) => {
        $crate::ffi::boundary::run(move || -> $crate::Result<_> { $($body)* })
    };
}

/// A type an exported function returns, with its values for failure.
pub(crate) trait FfiReturn: Sized {
    /// Returned when the body fails with `err` (already recorded as the last error).
    fn failed(err: &Error) -> Self;

    /// Returned when the body panicked.
    fn panicked() -> Self;

    /// Whether a success clears the last error: true for functions that return a status, so
    /// the last error always describes the last status-returning call.
    const SUCCESS_CLEARS_LAST_ERROR: bool = false;
}

impl FfiReturn for outrig_status {
    fn failed(err: &Error) -> Self {
        err.kind().into()
    }
    fn panicked() -> Self {
        outrig_status::OUTRIG_ERR_PANIC
    }
    const SUCCESS_CLEARS_LAST_ERROR: bool = true;
}

impl<T> FfiReturn for *const T {
    fn failed(_: &Error) -> Self {
        std::ptr::null()
    }
    fn panicked() -> Self {
        std::ptr::null()
    }
}

impl<T> FfiReturn for *mut T {
    fn failed(_: &Error) -> Self {
        std::ptr::null_mut()
    }
    fn panicked() -> Self {
        std::ptr::null_mut()
    }
}

/// Implements [`FfiReturn`] for plain values whose failure value is their zero.
macro_rules! zero_on_failure {
    ($($t:ty => $zero:expr),* $(,)?) => {$(
        impl FfiReturn for $t {
            fn failed(_: &Error) -> Self {
                $zero
            }
            fn panicked() -> Self {
                $zero
            }
        }
    )*};
}

zero_on_failure!(() => (), bool => false, usize => 0, u64 => 0, i64 => 0, c_int => 0);

/// Runs `body` under `catch_unwind` and maps its outcome to `T` (see the module docs).
pub(crate) fn run<T: FfiReturn>(body: impl FnOnce() -> Result<T>) -> T {
    match panic::catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(value)) => {
            if T::SUCCESS_CLEARS_LAST_ERROR {
                last_error::clear();
            }
            value
        }
        Ok(Err(err)) => {
            last_error::set(&err);
            T::failed(&err)
        }
        Err(payload) => {
            last_error::set_panic(panic_message(payload.as_ref()));
            // Dropping a payload can itself panic; forget it rather than unwind into C.
            std::mem::forget(payload);
            T::panicked()
        }
    }
}

/// The text of a panic payload, when it carries one.
fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "no message"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;
    use crate::ffi::error::{outrig_last_error_message, outrig_last_os_error};
    use std::ffi::CStr;

    fn last_message() -> String {
        // SAFETY: the pointer is valid until the next library call on this thread.
        unsafe { CStr::from_ptr(outrig_last_error_message()) }
            .to_str()
            .unwrap()
            .to_owned()
    }

    #[test]
    fn a_panic_becomes_a_status_and_a_message() {
        let status: outrig_status = ffi_boundary! { panic!("boom {}", 42) };
        assert_eq!(status, outrig_status::OUTRIG_ERR_PANIC);
        assert!(last_message().contains("boom 42"), "{}", last_message());
        let ptr: *const u8 = ffi_boundary! { panic!("static message") };
        assert!(ptr.is_null());
        assert!(last_message().contains("static message"));
        let n: usize = ffi_boundary! { std::panic::panic_any(7_u8) };
        assert_eq!(n, 0);
        assert!(last_message().contains("no message"));
        let b: bool = ffi_boundary! { panic!() };
        assert!(!b);
    }

    #[test]
    fn errors_map_to_their_kind_and_successes_clear() {
        let status: outrig_status = ffi_boundary! {
            Err(Error::new(ErrorKind::NotFound, "no session x"))
        };
        assert_eq!(status, outrig_status::OUTRIG_ERR_NOT_FOUND);
        assert_eq!(last_message(), "no session x");
        // A non-status success leaves the last error alone ...
        let n: usize = ffi_boundary! { Ok(3) };
        assert_eq!(n, 3);
        assert_eq!(last_message(), "no session x");
        // ... a status success clears it.
        let ok: outrig_status = ffi_boundary! { Ok(outrig_status::OUTRIG_OK) };
        assert_eq!(ok, outrig_status::OUTRIG_OK);
        assert_eq!(last_message(), "");
        assert_eq!(outrig_last_os_error(), 0);
    }

    #[test]
    fn messages_with_nul_bytes_survive() {
        let status: outrig_status = ffi_boundary! {
            Err(Error::new(ErrorKind::CorruptRecord, "bad \0 byte"))
        };
        assert_eq!(status, outrig_status::OUTRIG_ERR_CORRUPT_RECORD);
        assert_eq!(last_message(), "bad \\0 byte");
    }
}
