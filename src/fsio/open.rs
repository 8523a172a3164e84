//! Opening what lies on disk without being redirected or stalled by it.
//!
//! Directories are opened `O_DIRECTORY|O_NOFOLLOW` relative to a parent's descriptor; files
//! are opened `O_NONBLOCK|O_NOFOLLOW` and `fstat`ed, and anything but a regular file (a FIFO, a
//! device, a socket) is refused before a byte is read, so a FIFO planted as `session.json`
//! cannot hang a listing and a link planted there cannot make the store read another file.

use std::fs::File;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use rustix::fs::{self as rfs, FileType, Mode, OFlags, ResolveFlags};
use rustix::io::Errno;

/// Set once `openat2` turned out to be missing, so later opens go straight to `openat`.
static NO_OPENAT2: AtomicBool = AtomicBool::new(false);

/// Flags every open of ours carries: never inherited by a child, never our terminal, never
/// waiting (on a FIFO's writer, say: a FIFO named where a directory was expected is refused
/// before it could block, and a file is checked to be regular before it is read).
const BASE: OFlags = OFlags::CLOEXEC
    .union(OFlags::NOCTTY)
    .union(OFlags::NONBLOCK);

/// Opens the directory `name` under `parent` without following a symlink in its last
/// component (`ELOOP` or `ENOTDIR` when it is one).
pub(crate) fn dir_at(parent: impl AsFd, name: impl rustix::path::Arg) -> io::Result<OwnedFd> {
    Ok(rfs::openat(
        parent,
        name,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | BASE,
        Mode::empty(),
    )?)
}

/// Opens the directory at `path`, following symlinks: for a path a caller named.
pub(crate) fn dir(path: &Path) -> io::Result<OwnedFd> {
    Ok(rfs::open(
        path,
        OFlags::RDONLY | OFlags::DIRECTORY | BASE,
        Mode::empty(),
    )?)
}

/// Opens the directory at `path`, following symlinks on the way but not in its last
/// component: for the target of a session's link, which outrig writes canonical.
pub(crate) fn dir_nofollow(path: &Path) -> io::Result<OwnedFd> {
    Ok(rfs::open(
        path,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | BASE,
        Mode::empty(),
    )?)
}

/// Opens `rel` (which may have several components) under `parent` for reading, following no
/// symlink anywhere on the way where the kernel can promise that (`openat2` with
/// `RESOLVE_NO_SYMLINKS|RESOLVE_BENEATH`), else none in its last component. Not checked to be
/// a regular file: for [`read_checked`], which checks when it matters.
pub(crate) fn beneath(parent: impl AsFd, rel: &[u8]) -> io::Result<File> {
    let flags = OFlags::RDONLY | OFlags::NOFOLLOW | BASE;
    if !NO_OPENAT2.load(Ordering::Relaxed) {
        match rfs::openat2(
            parent.as_fd(),
            rel,
            flags,
            Mode::empty(),
            ResolveFlags::NO_SYMLINKS | ResolveFlags::BENEATH,
        ) {
            // Kernels before 5.6, or a seccomp filter that does not know the call.
            Err(Errno::NOSYS) | Err(Errno::PERM) => NO_OPENAT2.store(true, Ordering::Relaxed),
            other => return Ok(File::from(other?)),
        }
    }
    Ok(File::from(rfs::openat(parent, rel, flags, Mode::empty())?))
}

/// Opens `rel` (`<link>/<file>`) under `parent` for reading, following the symlink `<link>`
/// but not `<file>`, without blocking. Not checked to be a regular file (see [`beneath`]).
pub(crate) fn through_link(parent: impl AsFd, rel: &[u8]) -> io::Result<File> {
    let flags = OFlags::RDONLY | OFlags::NOFOLLOW | BASE;
    Ok(File::from(rfs::openat(parent, rel, flags, Mode::empty())?))
}

/// Opens `name` under `dir` for reading, without following a symlink or blocking. Not checked
/// to be a regular file (see [`beneath`]).
pub(crate) fn unchecked_at(dir: impl AsFd, name: impl rustix::path::Arg) -> io::Result<File> {
    let flags = OFlags::RDONLY | OFlags::NOFOLLOW | BASE;
    Ok(File::from(rfs::openat(dir, name, flags, Mode::empty())?))
}

/// Reads a file opened without blocking into `buf` (cleared first), at most `limit` bytes,
/// without asking its type first: a non-blocking read of a FIFO or device cannot hang, and
/// what it returns is bounded. When the read fails or finds nothing (what a FIFO gives), the
/// file's type decides: anything but a regular file is refused as what it is. A caller whose
/// bytes then do not parse asks [`check_regular`] too, for the same reason.
///
/// A read that returns less than it asked for is taken as the file's end, without the read
/// that would return nothing: a regular file's read comes up short only at its end, on every
/// filesystem that reads through the page cache, and that read was a tenth of a listing's
/// system time. [`Ending::Assumed`] says so, and a caller whose bytes do not parse reads on
/// with [`read_rest`] before it judges them, so a filesystem that returns short reads
/// elsewhere (a FUSE one in direct I/O) can at worst let a record with bytes after its end
/// be read as the record it begins with.
pub(crate) fn read_checked(file: &File, limit: u64, buf: &mut Vec<u8>) -> io::Result<Ending> {
    buf.clear();
    let read = read_more(file, limit, buf, true);
    if read.is_err() || buf.is_empty() {
        check_regular(file)?;
    }
    read
}

/// How a read found the end of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ending {
    /// A read returned nothing.
    Seen,
    /// A read returned less than it asked for (see [`read_checked`]).
    Assumed,
}

/// Reads on to the end of `file` after [`read_checked`] assumed it, appending to `buf`.
pub(crate) fn read_rest(file: &File, limit: u64, buf: &mut Vec<u8>) -> io::Result<()> {
    read_more(file, limit, buf, false).map(|_| ())
}

/// Appends what `file` holds from its offset to `buf`, refusing more than `limit` bytes in
/// all; stops at a short read when `short_is_end`.
fn read_more(file: &File, limit: u64, buf: &mut Vec<u8>, short_is_end: bool) -> io::Result<Ending> {
    /// Room for any record outrig writes (a few hundred bytes) in one read.
    const FIRST_READ: usize = 16 * 1024;
    let bound = usize::try_from(limit)
        .unwrap_or(usize::MAX)
        .saturating_add(1);
    loop {
        if buf.len() >= bound {
            return Err(too_large(limit));
        }
        if buf.capacity() == buf.len() {
            buf.reserve(FIRST_READ.max(buf.len()).min(bound - buf.len()));
        }
        let ask = buf.capacity() - buf.len();
        // Into the spare capacity: nothing is zeroed first, and `buf` grows by what was read.
        match rustix::io::read(file, rustix::buffer::spare_capacity(buf)) {
            Ok(0) => return Ok(Ending::Seen),
            Ok(n) => {
                if buf.len() as u64 > limit {
                    return Err(too_large(limit));
                }
                if short_is_end && n < ask {
                    return Ok(Ending::Assumed);
                }
            }
            Err(Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
}

fn too_large(limit: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::FileTooLarge,
        format!("is larger than the {limit}-byte limit"),
    )
}

/// Refuses `file` unless it is a regular file, naming what it is.
pub(crate) fn check_regular(file: &File) -> io::Result<()> {
    match FileType::from_raw_mode(rfs::fstat(file)?.st_mode) {
        FileType::RegularFile => Ok(()),
        FileType::Directory => Err(Errno::ISDIR.into()),
        kind => Err(not_regular(kind)),
    }
}

/// Opens `name` under `dir` for reading, without following a symlink or blocking on a FIFO;
/// refuses anything but a regular file. For files handed out to callers.
pub(crate) fn regular_at(dir: impl AsFd, name: impl rustix::path::Arg) -> io::Result<File> {
    let fd = rfs::openat(
        dir,
        name,
        OFlags::RDONLY | OFlags::NOFOLLOW | BASE,
        Mode::empty(),
    )?;
    regular(fd)
}

/// Opens the file at `path` (following symlinks: the caller named it) for reading, without
/// blocking on a FIFO; refuses anything but a regular file.
pub(crate) fn regular_path(path: &Path) -> io::Result<File> {
    let fd = rfs::open(path, OFlags::RDONLY | BASE, Mode::empty())?;
    regular(fd)
}

/// `fd` as a `File` when it is a regular file, in blocking mode again; else an error that says
/// what it is.
pub(crate) fn regular(fd: OwnedFd) -> io::Result<File> {
    let file = File::from(fd);
    check_regular(&file)?;
    // O_NONBLOCK only guarded the open; a regular file ignores it, but the File we hand out
    // should carry no surprise flags.
    let flags = rfs::fcntl_getfl(&file)?;
    rfs::fcntl_setfl(&file, flags - OFlags::NONBLOCK)?;
    Ok(file)
}

/// The error for a file that is not a regular one (`InvalidData`, naming what it is).
pub(crate) fn not_regular(kind: FileType) -> io::Error {
    let what = match kind {
        FileType::Directory => "a directory",
        FileType::Symlink => "a symbolic link",
        FileType::Fifo => "a FIFO",
        FileType::Socket => "a socket",
        FileType::CharacterDevice => "a character device",
        FileType::BlockDevice => "a block device",
        _ => "not a regular file",
    };
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("is {what}, not a regular file"),
    )
}

/// Whether an open failed because the last component is a symlink (`O_NOFOLLOW`).
pub(crate) fn is_symlink_error(e: &io::Error) -> bool {
    e.raw_os_error() == Some(Errno::LOOP.raw_os_error())
}

/// Whether an error means "no such file" on the way (a missing component, or one that is not
/// a directory).
pub(crate) fn is_missing(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
    )
}

/// Whether an error is the process or the system running out of descriptors or memory: a
/// fault of the whole operation, never of the one file it was opening.
pub(crate) fn is_resource_exhaustion(e: &io::Error) -> bool {
    [Errno::MFILE, Errno::NFILE, Errno::NOMEM]
        .iter()
        .any(|n| e.raw_os_error() == Some(n.raw_os_error()))
}

/// Reads all of `file` into `buf` (cleared first), refusing more than `limit` bytes.
pub(crate) fn read_bounded(file: &File, limit: u64, buf: &mut Vec<u8>) -> io::Result<()> {
    buf.clear();
    read_more(file, limit, buf, false).map(|_| ())
}

/// The path of the directory `fd` is open on, as the kernel knows it now (`/proc/self/fd`);
/// `None` when `/proc` is not mounted.
pub(crate) fn path_of(fd: impl AsFd) -> Option<std::path::PathBuf> {
    use std::os::fd::AsRawFd as _;
    std::fs::read_link(format!("/proc/self/fd/{}", fd.as_fd().as_raw_fd()))
        .ok()
        .filter(|p| p.is_absolute())
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;
    use std::os::fd::OwnedFd;

    use super::*;

    fn file_of(bytes: &[u8]) -> (tempfile::TempDir, File) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, bytes).unwrap();
        let file = File::open(&path).unwrap();
        (dir, file)
    }

    #[test]
    fn a_file_is_read_whole_up_to_its_limit_and_refused_beyond() {
        let mut buf = b"stale".to_vec();
        for len in [
            0usize,
            1,
            500,
            16 * 1024 - 1,
            16 * 1024,
            16 * 1024 + 1,
            40_000,
        ] {
            let bytes: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            let (_dir, file) = file_of(&bytes);
            read_checked(&file, 40_000, &mut buf).unwrap();
            assert_eq!(buf, bytes, "{len} bytes, into a used buffer");
            // From an empty buffer the first read asks for 16 KiB: a read that filled its
            // room never counts as the end.
            let (_dir, file) = file_of(&bytes);
            let mut fresh = Vec::new();
            let ending = read_checked(&file, 40_000, &mut fresh).unwrap();
            assert_eq!(fresh, bytes, "{len} bytes");
            let want = if len == 0 || len == 16 * 1024 {
                Ending::Seen
            } else {
                Ending::Assumed
            };
            assert_eq!(ending, want, "{len} bytes");
            let (_dir, file) = file_of(&bytes);
            read_bounded(&file, 40_000, &mut buf).unwrap();
            assert_eq!(buf, bytes, "{len} bytes");
        }
        for len in [40_001usize, 100_000] {
            let (_dir, file) = file_of(&vec![b'x'; len]);
            let err = read_checked(&file, 40_000, &mut buf).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::FileTooLarge, "{len} bytes");
            assert!(err.to_string().contains("40000-byte limit"), "{err}");
            let (_dir, file) = file_of(&vec![b'x'; len]);
            let err = read_bounded(&file, 40_000, &mut buf).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::FileTooLarge, "{len} bytes");
        }
    }

    #[test]
    fn a_short_read_is_an_assumed_end_that_reading_on_completes() {
        let (reader, mut writer) = std::io::pipe().unwrap();
        let reader = File::from(OwnedFd::from(reader));
        writer.write_all(b"first ").unwrap();
        let mut buf = Vec::new();
        assert_eq!(
            read_checked(&reader, 100, &mut buf).unwrap(),
            Ending::Assumed
        );
        assert_eq!(buf, b"first ");
        writer.write_all(b"and the rest").unwrap();
        drop(writer);
        read_rest(&reader, 100, &mut buf).unwrap();
        assert_eq!(buf, b"first and the rest");
        // Reading on still counts the bytes already read against the limit.
        let (reader, mut writer) = std::io::pipe().unwrap();
        let reader = File::from(OwnedFd::from(reader));
        writer.write_all(&[b'a'; 60]).unwrap();
        read_checked(&reader, 100, &mut buf).unwrap();
        writer.write_all(&[b'b'; 41]).unwrap();
        drop(writer);
        let err = read_rest(&reader, 100, &mut buf).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::FileTooLarge);
    }
}
