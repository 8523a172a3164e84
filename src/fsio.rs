//! The filesystem steps the store is built from: durable atomic writes, directory fsync,
//! advisory locks and bounded record reads.

use std::fs::{self, File};
use std::io::{self, Read as _, Write as _};
use std::path::{Path, PathBuf};

use crate::error::{Error, ErrorKind, Result};
use crate::record::Session;

/// The record's file name inside a session directory.
pub(crate) const RECORD_FILE: &str = "session.json";

/// Prefix of the temporary files a record write goes through. Files with this prefix are the
/// store's own: `remove` deletes leftovers a crash may have stranded.
pub(crate) const TEMP_PREFIX: &str = ".session.json.";

/// Records larger than this are refused unread: real ones are well under a kilobyte, and a
/// listing must not be made to read a huge file into memory.
pub const MAX_RECORD_BYTES: u64 = 1 << 20;

/// Writes `session` as `<dir>/session.json` so that a reader sees the old record or the new one,
/// never a mix, and the new one survives a power cut once this returns: temporary file in `dir`,
/// write, fsync, rename over the record, fsync `dir`.
pub(crate) fn write_record(dir: &Path, session: &Session) -> Result<()> {
    let bytes = session.to_json()?;
    let mut tmp = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| Error::io("creating a temporary record in", dir, e))?;
    let target = dir.join(RECORD_FILE);
    tmp.write_all(&bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(|e| Error::io("writing", tmp.path(), e))?;
    tmp.persist(&target)
        .map_err(|e| Error::io("replacing", &target, e.error))?;
    sync_dir(dir)
}

/// Makes the entries of `dir` (creations, renames, removals) durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io("syncing directory", dir, e))
}

/// An exclusive advisory lock on a session directory, held until dropped.
///
/// Every read-modify-write of a record (and every removal) takes it, so two writers, in one
/// process or many, never lose each other's update.
pub(crate) struct DirLock {
    _dir: File,
}

impl DirLock {
    /// Blocks until the lock on `dir` is held.
    pub(crate) fn acquire(dir: &Path) -> Result<Self> {
        let handle = File::open(dir).map_err(|e| Error::io("opening session directory", dir, e))?;
        handle
            .lock()
            .map_err(|e| Error::io("locking session directory", dir, e))?;
        Ok(Self { _dir: handle })
    }
}

/// Reads `<dir>/session.json` into `buf` (cleared first), refusing records over
/// [`MAX_RECORD_BYTES`]. The raw `io::Error` is returned so callers can tell "no record here"
/// (`NotFound`, `NotADirectory`) from a real fault.
pub(crate) fn read_record_bytes(path: &Path, buf: &mut Vec<u8>) -> io::Result<()> {
    read_bounded(File::open(path)?, buf)
}

/// Reads all of `file` into `buf` (cleared first), refusing more than [`MAX_RECORD_BYTES`].
pub(crate) fn read_bounded(file: File, buf: &mut Vec<u8>) -> io::Result<()> {
    buf.clear();
    // One read usually gets the whole record; `take` bounds what a hostile file can cost.
    file.take(MAX_RECORD_BYTES + 1).read_to_end(buf)?;
    if buf.len() as u64 > MAX_RECORD_BYTES {
        return Err(io::Error::new(
            io::ErrorKind::FileTooLarge,
            format!("record is larger than the {MAX_RECORD_BYTES}-byte limit"),
        ));
    }
    Ok(())
}

/// Reads and parses the record in `dir`. A missing record is [`ErrorKind::NotFound`]; bytes that
/// are not a record are [`ErrorKind::CorruptRecord`]; both messages name the file.
pub(crate) fn read_record(dir: &Path) -> Result<Session> {
    let path = dir.join(RECORD_FILE);
    let mut buf = Vec::with_capacity(1024);
    read_record_bytes(&path, &mut buf).map_err(|e| record_read_error(&path, e))?;
    Session::from_json(&buf).map_err(|e| corrupt(&path, &e))
}

/// The error for a record file that could not be read.
pub(crate) fn record_read_error(path: &Path, e: io::Error) -> Error {
    match e.kind() {
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory => Error::new(
            ErrorKind::NotFound,
            format!("no session record at {}: {e}", path.display()),
        ),
        io::ErrorKind::FileTooLarge | io::ErrorKind::IsADirectory => Error::new(
            ErrorKind::CorruptRecord,
            format!(
                "{}: {e}; it is not a session record, move it aside or remove it",
                path.display()
            ),
        ),
        _ => Error::io("reading session record", path, e),
    }
}

/// The error for a record file whose bytes did not parse.
pub(crate) fn corrupt(path: &Path, parse: &Error) -> Error {
    Error::new(
        ErrorKind::CorruptRecord,
        format!(
            "{}: {}; repair the file or remove the session",
            path.display(),
            parse.message()
        ),
    )
}

/// What `symlink_metadata` says of `path`, with `None` for "does not exist".
pub(crate) fn entry_type(path: &Path) -> io::Result<Option<fs::FileType>> {
    match fs::symlink_metadata(path) {
        Ok(m) => Ok(Some(m.file_type())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// `p` made absolute against the current directory (no symlinks resolved, no I/O but
/// `getcwd`).
pub(crate) fn absolute(p: &Path) -> Result<PathBuf> {
    std::path::absolute(p).map_err(|e| Error::io("making the path absolute:", p, e))
}
