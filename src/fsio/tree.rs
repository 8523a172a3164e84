//! Removing a directory tree (a session's `logs/`) however deep it is.
//!
//! A recursive removal holds one descriptor per level, so a deep enough chain of directories
//! (planted or not) makes it fail with "too many open files" and the session can never be
//! removed. This walk holds at most three descriptors whatever the depth: it goes down by
//! opening a child and closing the parent, and comes back up through `..`, which it checks is
//! the directory it came from (device and inode) so a directory moved meanwhile cannot lead it
//! outside the tree. Nothing is followed: symlinks are unlinked like files.

use std::ffi::{CStr, CString};
use std::io;
use std::os::fd::{AsFd, OwnedFd};

use rustix::fs::{self as rfs, AtFlags, Dir, FileType};
use rustix::io::Errno;

use super::open;

/// How many times the walk finds a directory refilled (by a concurrent writer) before it
/// gives up: it must end even when a writer never stops.
const MAX_REFILLS: usize = 1000;

/// Removes the directory `name` under `parent` with everything in it. A `name` that does not
/// exist is not an error.
///
/// # Errors
/// The first error of an unlink or open (not counting entries that vanished meanwhile), an
/// `InvalidData` error when a directory on the way back up is no longer where it was, or
/// `DirectoryNotEmpty` when writers kept refilling the tree.
pub(crate) fn remove_at(parent: impl AsFd, name: &CStr) -> io::Result<()> {
    let parent = parent.as_fd();
    let mut cur = match open::dir_at(parent, name) {
        Ok(fd) => fd,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    // The names walked down, each with the identity of the directory that holds it.
    let mut stack: Vec<(CString, (u64, u64))> = Vec::new();
    let mut refills = 0;
    loop {
        if let Some(child) = clear_files(&cur)? {
            match open::dir_at(&cur, child.as_c_str()) {
                Ok(fd) => {
                    stack.push((child, identity(&cur)?));
                    cur = fd;
                }
                // Gone meanwhile, or no longer a directory: the next pass sees what it is now.
                Err(e) if open::is_missing(&e) || open::is_symlink_error(&e) => {}
                Err(e) => return Err(e),
            }
            continue;
        }
        let (up, child) = match stack.pop() {
            Some((child, expected)) => {
                let up = open::dir_at(&cur, c"..")?;
                if identity(&up)? != expected {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "a directory was moved out of the tree while it was being removed; \
                         retry the removal",
                    ));
                }
                (Some(up), child)
            }
            None => (None, name.to_owned()),
        };
        drop(cur);
        let holder = up.as_ref().map_or(parent, |fd| fd.as_fd());
        match rfs::unlinkat(holder, child.as_c_str(), AtFlags::REMOVEDIR) {
            Ok(()) | Err(Errno::NOENT) => {}
            // A writer added something meanwhile: walk it again, a bounded number of times.
            Err(Errno::NOTEMPTY) if refills < MAX_REFILLS => refills += 1,
            Err(e) => return Err(e.into()),
        }
        cur = match up {
            Some(up) => up,
            None => match open::dir_at(parent, name) {
                Ok(fd) => fd,
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
                Err(e) => return Err(e),
            },
        };
    }
}

/// Unlinks every non-directory in `dir`; returns the first subdirectory found, if any (the
/// walk descends into it and comes back for the rest).
fn clear_files(dir: &OwnedFd) -> io::Result<Option<CString>> {
    for entry in Dir::read_from(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        if name == c"." || name == c".." {
            continue;
        }
        let kind = match entry.file_type() {
            FileType::Unknown => match rfs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
                Ok(st) => FileType::from_raw_mode(st.st_mode),
                Err(Errno::NOENT) => continue,
                Err(e) => return Err(e.into()),
            },
            kind => kind,
        };
        if kind == FileType::Directory {
            return Ok(Some(name.to_owned()));
        }
        match rfs::unlinkat(dir, name, AtFlags::empty()) {
            Ok(()) | Err(Errno::NOENT) => {}
            // It became a directory meanwhile: the next pass descends into it.
            Err(Errno::ISDIR) => return Ok(Some(name.to_owned())),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(None)
}

/// A directory's device and inode numbers.
fn identity(dir: &OwnedFd) -> io::Result<(u64, u64)> {
    let st = rfs::fstat(dir)?;
    Ok((st.st_dev, st.st_ino))
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::os::unix::fs::symlink;

    use super::*;

    #[test]
    fn removes_a_deep_chain_with_few_descriptors() {
        let tmp = tempfile::tempdir().unwrap();
        let top = tmp.path().join("logs");
        // Deeper than any descriptor limit a recursive walk could live with at 3 per level.
        let mut dir = open::dir(tmp.path()).unwrap();
        rfs::mkdirat(&dir, "logs", rfs::Mode::from_raw_mode(0o755)).unwrap();
        dir = open::dir_at(&dir, "logs").unwrap();
        for _ in 0..3000 {
            rfs::mkdirat(&dir, "d", rfs::Mode::from_raw_mode(0o755)).unwrap();
            let f = rfs::openat(
                &dir,
                "f.log",
                rfs::OFlags::CREATE | rfs::OFlags::WRONLY,
                rfs::Mode::from_raw_mode(0o644),
            )
            .unwrap();
            drop(f);
            dir = open::dir_at(&dir, "d").unwrap();
        }
        drop(dir);
        let root = open::dir(tmp.path()).unwrap();
        remove_at(&root, c"logs").unwrap();
        assert!(!top.exists());
    }

    #[test]
    fn unlinks_symlinks_without_following_them() {
        let tmp = tempfile::tempdir().unwrap();
        let victim = tmp.path().join("victim");
        fs::create_dir_all(victim.join("inner")).unwrap();
        fs::write(victim.join("keep"), "x").unwrap();
        let logs = tmp.path().join("logs");
        fs::create_dir_all(logs.join("a/b")).unwrap();
        symlink(&victim, logs.join("a/to-victim")).unwrap();
        symlink(victim.join("keep"), logs.join("a/b/file-link")).unwrap();
        fs::write(logs.join("a/b/x.log"), "y").unwrap();
        let root = open::dir(tmp.path()).unwrap();
        remove_at(&root, c"logs").unwrap();
        assert!(!logs.exists());
        assert!(victim.join("keep").exists() && victim.join("inner").is_dir());
        // Missing is fine.
        remove_at(&root, c"logs").unwrap();
    }
}
