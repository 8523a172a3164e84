//! `outrig_logs`: a session's log files, as `outrig_store_logs` lists them.

use std::ffi::{CString, c_char};

use super::handle::outrig_logs;
use super::strings::{index, to_cstring_lossy};
use crate::LogFile;

/// The value behind an `outrig_logs`: name (relative to `logs/`) and size of each file.
pub(crate) struct LogsHandle {
    files: Vec<(CString, u64)>,
}

impl LogsHandle {
    pub(crate) fn new(files: &[LogFile]) -> Self {
        Self {
            files: files
                .iter()
                .map(|f| (to_cstring_lossy(&f.name), f.size))
                .collect(),
        }
    }
}

/// The number of log files; 0 for NULL (with the last error set).
///
/// # Safety
/// `logs` is NULL or a live `outrig_logs`; the same holds for every `outrig_logs_*` function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_logs_len(logs: *const outrig_logs) -> usize {
    ffi_boundary! {
        Ok(arg_ref!(logs, "logs").files.len())
    }
}

/// The name of log file `i` (0-based, sorted by name) relative to `logs/`, components joined
/// by `/` (`"agent.log"`, `"tools/web.log"`); borrowed from `logs`. NULL, with the last error
/// set, when `logs` is NULL or `i` is out of range.
///
/// # Safety
/// As for `outrig_logs_len`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_logs_name(logs: *const outrig_logs, i: usize) -> *const c_char {
    ffi_boundary! {
        let logs = arg_ref!(logs, "logs");
        Ok(index(&logs.files, i, "list of log files")?.0.as_ptr())
    }
}

/// The size in bytes of log file `i`. 0, with the last error set, when `logs` is NULL or `i`
/// is out of range (check `i < outrig_logs_len(logs)`: an empty file is 0 too).
///
/// # Safety
/// As for `outrig_logs_len`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_logs_size(logs: *const outrig_logs, i: usize) -> u64 {
    ffi_boundary! {
        let logs = arg_ref!(logs, "logs");
        Ok(index(&logs.files, i, "list of log files")?.1)
    }
}

/// Frees a log listing. NULL is ignored.
///
/// # Safety
/// `logs` is NULL or an `outrig_logs` from this library, not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_logs_free(logs: *mut outrig_logs) {
    ffi_boundary! {
        free_handle!(logs);
        Ok(())
    }
}
