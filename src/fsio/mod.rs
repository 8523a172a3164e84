//! The filesystem steps the store is built from, all relative to open directory descriptors:
//! opening what lies on disk without following or blocking on it ([`open`]), reading and
//! writing records durably ([`record_io`]), the session lock ([`lock`]) and removing a tree
//! with a bounded number of descriptors ([`tree`]).
//!
//! Nothing here takes a path and acts on it twice: a directory is opened once, checked, and
//! every later step goes through that descriptor, so whatever another process renames or swaps
//! in the meantime cannot redirect the step to another file.

pub(crate) mod lock;
pub(crate) mod open;
pub(crate) mod record_io;
pub(crate) mod tree;

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The record's file name inside a session directory.
pub(crate) const RECORD_FILE: &str = "session.json";

/// Prefix of the temporary files a record write goes through. Files with this prefix are the
/// store's own: `remove` deletes leftovers a crash may have stranded.
pub(crate) const TEMP_PREFIX: &str = ".session.json.";

/// Suffix of those temporary files.
pub(crate) const TEMP_SUFFIX: &str = ".tmp";

/// Records larger than this are refused unread, and never written: real ones are well under a
/// kilobyte, and a listing must not be made to read a huge file into memory.
pub const MAX_RECORD_BYTES: u64 = 1 << 20;

/// Whether `name` is one of the store's temporary record files.
pub(crate) fn is_temp_record(name: &[u8]) -> bool {
    name.starts_with(TEMP_PREFIX.as_bytes()) && name.ends_with(TEMP_SUFFIX.as_bytes())
}

/// `p` made absolute against the current directory (no symlinks resolved, no I/O but
/// `getcwd`).
pub(crate) fn absolute(p: &Path) -> Result<PathBuf> {
    std::path::absolute(p).map_err(|e| Error::io("making the path absolute:", p, e))
}

/// `p` made absolute, then normalised lexically: `.` components dropped and each `..` taking
/// off the component before it (`/home/me/app/../root` is `/home/me/root`), so the paths in
/// records and messages read as a person would write them. Lexical, not resolved: when the
/// component before a `..` is a symlink, the result names a different directory than the
/// kernel would. Used for the store's root only, where the caller gave the path and means the
/// directory as written.
pub(crate) fn absolute_normalized(p: &Path) -> Result<PathBuf> {
    use std::path::Component;
    let mut out = PathBuf::new();
    for part in absolute(p)?.components() {
        match part {
            Component::CurDir => {}
            // At `/`, `..` is `/` again, as the kernel has it.
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    Ok(out)
}
