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

use std::os::fd::BorrowedFd;
use std::path::{Path, PathBuf};

use rustix::fs::{self as rfs, AtFlags, FileType};

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

/// Prefix of the temporary records outrig's own writer makes: tempfile's default name, `.tmp`
/// and [`OUTRIG_TEMP_RANDOM_LEN`] random ASCII letters and digits, in the session directory
/// (`NamedTempFile::new_in`), renamed over `session.json` once written.
pub(crate) const OUTRIG_TEMP_PREFIX: &str = ".tmp";

/// How many random characters follow [`OUTRIG_TEMP_PREFIX`] (tempfile's default).
pub(crate) const OUTRIG_TEMP_RANDOM_LEN: usize = 6;

/// Whether `name` is a temporary record of outrig's writer, which a crash mid-write strands:
/// exactly `.tmp` and six ASCII letters or digits. Nothing looser: anything else in a session
/// directory is a user's and is kept.
pub(crate) fn is_outrig_temp_record(name: &[u8]) -> bool {
    name.strip_prefix(OUTRIG_TEMP_PREFIX.as_bytes())
        .is_some_and(|rest| {
            rest.len() == OUTRIG_TEMP_RANDOM_LEN && rest.iter().all(u8::is_ascii_alphanumeric)
        })
}

/// Whether the entry `name` of the session directory `dir`, of type `kind` as the directory
/// listing gave it, is a temporary record that removal deletes: the store's own (anything but a
/// directory, as it has always been), or outrig's, which must also be a regular file (outrig
/// only ever makes regular files there; a directory or link of that name is a user's). When the
/// listing does not know the type, the entry is looked at without following it.
pub(crate) fn is_temp_entry(dir: BorrowedFd<'_>, name: &[u8], kind: FileType) -> bool {
    if is_temp_record(name) {
        return kind != FileType::Directory;
    }
    if !is_outrig_temp_record(name) {
        return false;
    }
    match kind {
        FileType::RegularFile => true,
        FileType::Unknown => rfs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW)
            .is_ok_and(|st| FileType::from_raw_mode(st.st_mode) == FileType::RegularFile),
        _ => false,
    }
}

/// `p` made absolute against the current directory, as [`std::path::absolute`] does: joined
/// to it, `.` components dropped, `..` kept, no symlinks resolved, no I/O but `getcwd`, and
/// that only for a relative `p`. `what` names the path in the error.
///
/// The error, when the current directory cannot be read (it was deleted, or a parent is not
/// searchable), is [`ErrorKind::Io`](crate::ErrorKind::Io) with the errno, never `NotFound`:
/// it is not the path named that is missing, and a caller must not take it for a missing
/// session. An empty `p` is [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument).
pub(crate) fn absolute(what: &str, p: &Path) -> Result<PathBuf> {
    if p.as_os_str().is_empty() {
        return Err(Error::invalid(format!(
            "the {what} is empty; name a directory"
        )));
    }
    std::path::absolute(p).map_err(|e| {
        Error::from_os(
            crate::ErrorKind::Io,
            format!(
                "the {what} {} is relative, and the current directory to take it against \
                 cannot be read: {e}; if that directory was deleted, run from an existing one \
                 or give an absolute path",
                p.display()
            ),
            p,
            e,
        )
    })
}

/// `p` made absolute, then normalised lexically: `.` components dropped and each `..` taking
/// off the component before it (`/home/me/app/../root` is `/home/me/root`), so the paths in
/// records and messages read as a person would write them. Lexical, not resolved: when the
/// component before a `..` is a symlink, the result names a different directory than the
/// kernel would. Used for the store's root only, where the caller gave the path and means the
/// directory as written.
pub(crate) fn absolute_normalized(what: &str, p: &Path) -> Result<PathBuf> {
    use std::path::Component;
    let mut out = PathBuf::new();
    for part in absolute(what, p)?.components() {
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

#[cfg(test)]
mod tests {
    use std::os::fd::AsFd as _;

    use super::*;

    #[test]
    fn outrigs_temporary_names_are_tempfiles_default_and_nothing_looser() {
        for name in [".tmpAbC123", ".tmp000000", ".tmpzzzzzz"] {
            assert!(is_outrig_temp_record(name.as_bytes()), "{name}");
        }
        for name in [
            ".tmpABCDE",
            ".tmpABCDEFG",
            ".tmp-abc12",
            ".tmpabc.de",
            ".tmpabcdé",
            ".TMPabcdef",
            "tmpabcdefg",
            ".tmp",
            "x.tmpabcdef",
        ] {
            assert!(!is_outrig_temp_record(name.as_bytes()), "{name}");
        }
    }

    #[test]
    fn outrigs_temporary_records_must_be_regular_files() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join(".tmpFILE01"), "x").unwrap();
        std::fs::create_dir(tmp.path().join(".tmpDIR001")).unwrap();
        std::os::unix::fs::symlink(".tmpFILE01", tmp.path().join(".tmpLINK01")).unwrap();
        let dir = std::fs::File::open(tmp.path()).unwrap();
        let fd = dir.as_fd();
        // As the listing gives the type, and when it does not (looked up, not followed).
        for kind in [FileType::RegularFile, FileType::Unknown] {
            assert!(is_temp_entry(fd, b".tmpFILE01", kind));
        }
        for (name, kind) in [
            (&b".tmpDIR001"[..], FileType::Directory),
            (b".tmpDIR001", FileType::Unknown),
            (b".tmpLINK01", FileType::Symlink),
            (b".tmpLINK01", FileType::Unknown),
            (b".tmpGONE01", FileType::Unknown),
        ] {
            assert!(!is_temp_entry(fd, name, kind), "{name:?} {kind:?}");
        }
        // The store's own: anything but a directory, as before.
        assert!(is_temp_entry(
            fd,
            b".session.json.x1.tmp",
            FileType::Symlink
        ));
        assert!(!is_temp_entry(
            fd,
            b".session.json.x1.tmp",
            FileType::Directory
        ));
    }
}
