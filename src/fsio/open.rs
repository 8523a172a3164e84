//! Opening what lies on disk without being redirected or stalled by it.
//!
//! Directories are opened `O_DIRECTORY|O_NOFOLLOW` relative to a parent's descriptor; files
//! are opened `O_NONBLOCK|O_NOFOLLOW` and `fstat`ed, and anything but a regular file (a FIFO, a
//! device, a socket) is refused before a byte is read, so a FIFO planted as `session.json`
//! cannot hang a listing and a link planted there cannot make the store read another file.

use std::fs::File;
use std::io::{self, Read as _};
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
pub(crate) fn read_checked(file: &File, limit: u64, buf: &mut Vec<u8>) -> io::Result<()> {
    let read = read_bounded(file, limit, buf);
    if read.is_err() || buf.is_empty() {
        check_regular(file)?;
    }
    read
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
    // One read usually gets the whole record; `take` bounds what a growing file can cost.
    file.take(limit + 1).read_to_end(buf)?;
    if buf.len() as u64 > limit {
        return Err(io::Error::new(
            io::ErrorKind::FileTooLarge,
            format!("is larger than the {limit}-byte limit"),
        ));
    }
    Ok(())
}

/// The path of the directory `fd` is open on, as the kernel knows it now (`/proc/self/fd`);
/// `None` when `/proc` is not mounted.
pub(crate) fn path_of(fd: impl AsFd) -> Option<std::path::PathBuf> {
    use std::os::fd::AsRawFd as _;
    std::fs::read_link(format!("/proc/self/fd/{}", fd.as_fd().as_raw_fd()))
        .ok()
        .filter(|p| p.is_absolute())
}
