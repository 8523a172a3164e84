//! Reading and writing `session.json` through its directory's descriptor.
//!
//! A write goes through a temporary file in the same directory (created exclusively, mode
//! 0600 as outrig's), which is written, fsynced and renamed over the record, then the directory
//! is fsynced: a reader sees the old record or the new one, never a mix, and the new one
//! survives a power cut once the write returns.

use std::ffi::CString;
use std::fs::File;
use std::io::{self, Write as _};
use std::os::fd::{AsFd, BorrowedFd};
use std::path::Path;

use rand::Rng as _;
use rustix::fs::{self as rfs, AtFlags, Mode, OFlags};
use rustix::io::Errno;

use super::open;
use super::{MAX_RECORD_BYTES, RECORD_FILE, TEMP_PREFIX, TEMP_SUFFIX};
use crate::error::{Error, ErrorKind, Result};
use crate::record::Session;

/// Reads and parses the record in the directory `dir` (whose path `dir_path` is for messages).
/// A missing record is [`ErrorKind::NotFound`]; anything that is not a record (a FIFO, a
/// symlink, a directory, too many bytes, bytes that do not parse) is
/// [`ErrorKind::CorruptRecord`]; both messages name the file.
pub(crate) fn read_at(dir: BorrowedFd<'_>, dir_path: &Path) -> Result<Session> {
    let path = dir_path.join(RECORD_FILE);
    let mut buf = Vec::with_capacity(1024);
    let file = open::unchecked_at(dir, RECORD_FILE).map_err(|e| read_error(&path, e))?;
    parse(&file, &mut buf, || path.clone())
}

/// Reads and parses an opened record file (see [`open::read_checked`]): a file that is not
/// regular is refused as what it is, whether its read failed or its bytes did not parse.
/// `path` (for messages) is only formed on an error.
pub(crate) fn parse(
    file: &File,
    buf: &mut Vec<u8>,
    path: impl Fn() -> std::path::PathBuf,
) -> Result<Session> {
    parse_with(file, buf, path, Session::from_json)
}

/// Like [`parse`], into what `from_json` makes of the bytes (a face's own form of a record;
/// it fails with [`ErrorKind::CorruptRecord`] as [`Session::from_json`] does).
pub(crate) fn parse_with<R>(
    file: &File,
    buf: &mut Vec<u8>,
    path: impl Fn() -> std::path::PathBuf,
    mut from_json: impl FnMut(&[u8]) -> Result<R>,
) -> Result<R> {
    let ending =
        open::read_checked(file, MAX_RECORD_BYTES, buf).map_err(|e| read_error(&path(), e))?;
    let parsed = match from_json(buf) {
        // Bytes that do not parse after a short read are judged whole: read on to the end.
        Err(_) if ending == open::Ending::Assumed => {
            open::read_rest(file, MAX_RECORD_BYTES, buf).map_err(|e| read_error(&path(), e))?;
            from_json(buf)
        }
        parsed => parsed,
    };
    parsed.map_err(|e| match open::check_regular(file) {
        Ok(()) => corrupt(&path(), &e),
        Err(not_regular) => read_error(&path(), not_regular),
    })
}

/// The error for a record file that could not be opened or read.
pub(crate) fn read_error(path: &Path, e: io::Error) -> Error {
    if open::is_missing(&e) {
        return Error::new(
            ErrorKind::NotFound,
            format!("no session record at {}: {e}", path.display()),
        );
    }
    let what = if open::is_symlink_error(&e) {
        Some("is a symbolic link".to_owned())
    } else if matches!(
        e.kind(),
        io::ErrorKind::FileTooLarge | io::ErrorKind::IsADirectory | io::ErrorKind::InvalidData
    ) {
        Some(e.to_string())
    } else {
        None
    };
    match what {
        Some(what) => Error::new(
            ErrorKind::CorruptRecord,
            format!(
                "{} {what}; it is not a session record, move it aside or remove it",
                path.display()
            ),
        ),
        None => Error::io("reading session record", path, e),
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

/// The bytes of `session` as written, refused when the store could not read them back.
pub(crate) fn bytes_of(session: &Session) -> Result<Vec<u8>> {
    let bytes = session.to_json()?;
    if bytes.len() as u64 > MAX_RECORD_BYTES {
        return Err(Error::invalid(format!(
            "the record of session {} would be {} bytes, over the {MAX_RECORD_BYTES}-byte limit \
             every reader enforces; shorten the container, sidecar or other names",
            session.id,
            bytes.len()
        )));
    }
    Ok(bytes)
}

/// Writes `session` as `session.json` in the directory `dir`, atomically and durably (see the
/// module's documentation). A record over the size limit is refused before anything is written.
pub(crate) fn write_at(dir: BorrowedFd<'_>, dir_path: &Path, session: &Session) -> Result<()> {
    let bytes = bytes_of(session)?;
    let (name, mut file) = create_temp(dir, dir_path)?;
    let written = file
        .write_all(&bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| {
            Error::io(
                "writing",
                &dir_path.join(name.to_string_lossy().as_ref()),
                e,
            )
        })
        .and_then(|()| {
            rfs::renameat(dir, name.as_c_str(), dir, RECORD_FILE)
                .map_err(|e| Error::io("replacing", &dir_path.join(RECORD_FILE), e.into()))
        });
    if let Err(e) = written {
        // Best effort: the write already failed; a leftover is removed with the session.
        let _ = rfs::unlinkat(dir, name.as_c_str(), AtFlags::empty());
        return Err(e);
    }
    sync(dir, dir_path)
}

/// Makes the entries of the directory `dir` (creations, renames, removals) durable.
pub(crate) fn sync(dir: impl AsFd, dir_path: &Path) -> Result<()> {
    rfs::fsync(dir).map_err(|e| Error::io("syncing directory", dir_path, e.into()))
}

/// Creates a fresh temporary record file in `dir`, exclusively and without following links.
fn create_temp(dir: BorrowedFd<'_>, dir_path: &Path) -> Result<(CString, File)> {
    for _ in 0..64 {
        let mut tag = [0u8; 8];
        rand::rng().fill_bytes(&mut tag);
        let name = CString::new(format!(
            "{TEMP_PREFIX}{:016x}{TEMP_SUFFIX}",
            u64::from_ne_bytes(tag)
        ))
        .expect("a hex name has no NUL");
        match rfs::openat(
            dir,
            name.as_c_str(),
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o600),
        ) {
            Ok(fd) => return Ok((name, File::from(fd))),
            Err(Errno::EXIST) => continue,
            Err(e) => {
                return Err(Error::io(
                    "creating a temporary record in",
                    dir_path,
                    e.into(),
                ));
            }
        }
    }
    Err(Error::new(
        ErrorKind::Io,
        format!(
            "could not find a free temporary record name in {}; remove its {TEMP_PREFIX}* files",
            dir_path.display()
        ),
    ))
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;
    use std::os::fd::OwnedFd;
    use std::path::PathBuf;

    use super::*;

    const RECORD: &str = r#"{
  "id": "20260501T134412-3f2a",
  "started_at": "2026-05-01T13:44:12.123456789Z",
  "container_name": "outrig-20260501T134412-3f2a",
  "image_tag": "localhost/outrig-coding:d8aa33",
  "working_dir": "/home/me/repo",
  "session_dir": "/home/me/.local/state/outrig/sessions/20260501T134412-3f2a"
}"#;

    /// `parse` of what a pipe gives in two writes, the second after the first was read:
    /// a read that comes up short the way a FUSE filesystem's may.
    fn parse_in_two(first: &str, second: &str) -> Result<Session> {
        let (reader, mut writer) = std::io::pipe().unwrap();
        let reader = File::from(OwnedFd::from(reader));
        writer.write_all(first.as_bytes()).unwrap();
        let second = second.to_owned();
        let late = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(100));
            writer.write_all(second.as_bytes()).unwrap();
        });
        let parsed = parse(&reader, &mut Vec::new(), || {
            PathBuf::from("/r/session.json")
        });
        late.join().unwrap();
        parsed
    }

    #[test]
    fn bytes_that_do_not_parse_after_a_short_read_are_read_to_the_end_first() {
        let (head, tail) = RECORD.split_at(RECORD.len() / 2);
        let whole = parse_in_two(head, tail).unwrap();
        assert_eq!(whole, Session::from_json(RECORD.as_bytes()).unwrap());
        // Judged on all its bytes: a pipe is no record, and says so only after reading on.
        let err = parse_in_two(head, "not json").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::CorruptRecord, "{err}");
        assert!(err.message().contains("/r/session.json"), "{err}");
    }
}
