//! `outrig_spec`: what a launcher knows about a session before it starts.
//!
//! The setters only store what they are given; `outrig_store_create` checks the whole spec
//! (the core's `SessionStore::create`).

use std::ffi::c_char;
use std::path::PathBuf;

use super::error::outrig_status;
use super::handle::{self, outrig_spec};
use super::time::from_unix_ns;
use crate::NewSession;

/// A new, empty spec. Set at least the container name, the image tag and the working
/// directory before `outrig_store_create`. Free with `outrig_spec_free`. Never NULL.
#[unsafe(no_mangle)]
pub extern "C" fn outrig_spec_new() -> *mut outrig_spec {
    ffi_boundary! { Ok(handle::into_raw::<outrig_spec>(NewSession::default())) }
}

/// Frees a spec. NULL is ignored.
///
/// # Safety
/// `spec` is NULL or a spec from `outrig_spec_new`, not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_spec_free(spec: *mut outrig_spec) {
    ffi_boundary! {
        free_handle!(spec);
        Ok(())
    }
}

/// Stores `value` (NUL-terminated UTF-8, copied) into the spec with `set`.
///
/// # Safety
/// `spec` is NULL or a live spec nobody else uses during the call; `value` is NULL or a
/// NUL-terminated string.
unsafe fn set_text(
    spec: *mut outrig_spec,
    value: *const c_char,
    set: impl FnOnce(&mut NewSession, &str),
) -> outrig_status {
    ffi_boundary! {
        let spec = arg_mut!(spec, "spec");
        let value = arg_str!(value, "value");
        set(spec, value);
        Ok(outrig_status::OUTRIG_OK)
    }
}

/// Sets the name of the agent's container (required by `outrig_store_create`).
///
/// Errors: `OUTRIG_ERR_INVALID_ARGUMENT` when `spec` or `value` is NULL or `value` is not
/// UTF-8; the spec is then unchanged.
///
/// # Safety
/// `spec` is NULL or a live spec not used by another thread during the call; `value` is NULL
/// or a NUL-terminated string. The same holds for every `outrig_spec_set_*` function.
#[must_use = "the status says whether it worked"]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_spec_set_container_name(
    spec: *mut outrig_spec,
    value: *const c_char,
) -> outrig_status {
    // SAFETY: forwarded from this function's contract.
    unsafe { set_text(spec, value, |s, v| s.container_name = v.to_owned()) }
}

/// Sets the tag of the image the container runs (required). Errors as for
/// `outrig_spec_set_container_name`.
///
/// # Safety
/// As for `outrig_spec_set_container_name`.
#[must_use = "the status says whether it worked"]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_spec_set_image_tag(
    spec: *mut outrig_spec,
    value: *const c_char,
) -> outrig_status {
    // SAFETY: forwarded from this function's contract.
    unsafe { set_text(spec, value, |s, v| s.image_tag = v.to_owned()) }
}

/// Sets the name of the image configuration (optional). Errors as for
/// `outrig_spec_set_container_name`.
///
/// # Safety
/// As for `outrig_spec_set_container_name`.
#[must_use = "the status says whether it worked"]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_spec_set_image_config_name(
    spec: *mut outrig_spec,
    value: *const c_char,
) -> outrig_status {
    // SAFETY: forwarded from this function's contract.
    unsafe { set_text(spec, value, |s, v| s.image_config_name = Some(v.to_owned())) }
}

/// Sets the name of the agent (optional). Errors as for `outrig_spec_set_container_name`.
///
/// # Safety
/// As for `outrig_spec_set_container_name`.
#[must_use = "the status says whether it worked"]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_spec_set_agent_name(
    spec: *mut outrig_spec,
    value: *const c_char,
) -> outrig_status {
    // SAFETY: forwarded from this function's contract.
    unsafe { set_text(spec, value, |s, v| s.agent_name = Some(v.to_owned())) }
}

/// Sets the agent's working directory (required). An absolute path is recorded as given; a
/// relative one is recorded absolute, as outrig records its own: `outrig_store_create` joins it
/// to the process's current directory at that call, lexically (`.` components dropped, `..`
/// kept, no symlink resolved), the same in every face of the library. Errors as for
/// `outrig_spec_set_container_name`.
///
/// # Safety
/// As for `outrig_spec_set_container_name`.
#[must_use = "the status says whether it worked"]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_spec_set_working_dir(
    spec: *mut outrig_spec,
    value: *const c_char,
) -> outrig_status {
    // SAFETY: forwarded from this function's contract.
    unsafe { set_text(spec, value, |s, v| s.working_dir = PathBuf::from(v)) }
}

/// Makes the session explicit: its record goes into the directory `value` (created when
/// missing; it must be empty), and `<root>/<id>` becomes a symlink to it. Without this the
/// session is an auto session under the root. Errors as for `outrig_spec_set_container_name`.
///
/// # Safety
/// As for `outrig_spec_set_container_name`.
#[must_use = "the status says whether it worked"]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_spec_set_session_dir(
    spec: *mut outrig_spec,
    value: *const c_char,
) -> outrig_status {
    // SAFETY: forwarded from this function's contract.
    unsafe { set_text(spec, value, |s, v| s.session_dir = Some(PathBuf::from(v))) }
}

/// Appends a sidecar container name (they are recorded in the order added). Errors as for
/// `outrig_spec_set_container_name`.
///
/// # Safety
/// As for `outrig_spec_set_container_name`.
#[must_use = "the status says whether it worked"]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_spec_add_sidecar_container(
    spec: *mut outrig_spec,
    value: *const c_char,
) -> outrig_status {
    // SAFETY: forwarded from this function's contract.
    unsafe {
        set_text(spec, value, |s, v| {
            s.sidecar_container_names.push(v.to_owned())
        })
    }
}

/// Records `unix_ns` (nanoseconds since the Unix epoch) as the start time instead of the time
/// of the create. Errors: `OUTRIG_ERR_INVALID_ARGUMENT` when `spec` is NULL.
///
/// # Safety
/// `spec` is NULL or a live spec not used by another thread during the call.
#[must_use = "the status says whether it worked"]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_spec_set_started_at(
    spec: *mut outrig_spec,
    unix_ns: i64,
) -> outrig_status {
    ffi_boundary! {
        let spec = arg_mut!(spec, "spec");
        spec.started_at = Some(from_unix_ns(unix_ns));
        Ok(outrig_status::OUTRIG_OK)
    }
}
