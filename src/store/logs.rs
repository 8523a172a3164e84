//! A session's `logs/` directory: opening a log to append to or read, where a named log goes,
//! and what is there.
//!
//! Every step goes through descriptors: the session directory is opened as every operation
//! opens it, then `logs/` and each directory on the way relative to the one before, never
//! following a symlink, and the log file itself without following one or blocking on it. The
//! open files are what callers should use; the path functions are advisory (a path is looked
//! up again by whoever opens it, and another process can change what it names meanwhile).

use std::fs::File;
use std::io;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use rustix::fs::{self as rfs, AtFlags, Dir, FileType, Mode, OFlags};
use rustix::io::Errno;

use super::session_dir::SessionDir;
use super::{LOGS_DIR, SessionStore};
use crate::error::{Error, ErrorKind, Result};
use crate::fsio::{RECORD_FILE, open};
use crate::id::{SessionId, check_log_name};

/// How deep [`SessionStore::logs`] looks under `logs/`: a tree deeper than this is not a
/// launcher's logs, and walking it would hold a descriptor per level.
pub const MAX_LOG_DEPTH: usize = 32;

/// One file under a session's `logs/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogFile {
    /// The path relative to `logs/`, components joined by `/` (`agent.log`, `tools/web.log`).
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
}

/// The directory that holds a log file, reached from the session directory.
struct LogDir {
    fd: OwnedFd,
    /// Its path, for messages and advisory results.
    path: PathBuf,
    /// Directories this walk made, outermost first, each as (parent's descriptor, name).
    made: Vec<(OwnedFd, String)>,
}

impl SessionStore {
    /// Opens the log file `name` under the session's `logs/` for appending, creating it (mode
    /// 0666 less the umask) and `logs/` and any subdirectories `name` implies. Writes through
    /// the returned file go to that file whatever is renamed or swapped later.
    ///
    /// `name` is one or more `/`-separated components, each 1 to 255 bytes of
    /// `[A-Za-z0-9._+-]` not starting with `.`, so the file never leaves `logs/`. Directories
    /// on the way must be real directories and the file a regular file: nothing is followed.
    /// A log opened while the session is being removed is either removed with it or refused:
    /// after creating anything the call checks that the record is still there, and undoes
    /// what it made when it is not.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`] for a bad name; [`ErrorKind::NotFound`] for no such
    /// session (or one removed meanwhile); [`ErrorKind::DirNotUsable`] when `logs`, a directory
    /// on the way, or the file is something else (a symlink, a FIFO, a file where a directory
    /// is needed).
    pub fn append_log(&self, id: &SessionId, name: &str) -> Result<File> {
        check_log_name(name)?;
        let session = self.open_session(id)?;
        still_recorded(&session)?;
        let (dirs, file_name) = split_log_name(name);
        let dir = walk(&session, &dirs, true, name)?;
        let file_path = dir.path.join(file_name);
        let (fd, created) = create_or_open_append(&dir.fd, file_name)
            .map_err(|e| log_open_error(&file_path, e, name, id))?;
        let file = open::regular(fd).map_err(|e| log_open_error(&file_path, e, name, id))?;
        if let Err(e) = still_recorded(&session) {
            if created {
                let _ = rfs::unlinkat(&dir.fd, file_name, AtFlags::empty());
            }
            undo_made(&session, dir.made);
            return Err(e);
        }
        if created {
            sync_dir(&dir.fd, &dir.path)?;
        }
        sync_made(&dir.made, &session.path)?;
        Ok(file)
    }

    /// Opens the session's existing log file `name` for reading: the read-only counterpart of
    /// [`append_log`](Self::append_log). Nothing is created and nothing is followed, so the
    /// file is exactly one that [`logs`](Self::logs) lists, and keeps reading that file
    /// whatever is renamed or swapped later (`tail -f` style readers poll this one file).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`] for a bad name; [`ErrorKind::NotFound`] for no such
    /// session or log; [`ErrorKind::DirNotUsable`] when `logs`, a directory on the way, or the
    /// file itself is something else (a symlink, a directory, a FIFO).
    pub fn read_log(&self, id: &SessionId, name: &str) -> Result<File> {
        check_log_name(name)?;
        let session = self.open_session(id)?;
        let (dirs, file_name) = split_log_name(name);
        let dir = walk(&session, &dirs, false, name)?;
        open::regular_at(&dir.fd, file_name)
            .map_err(|e| log_open_error(&dir.path.join(file_name), e, name, id))
    }

    /// The path of the log file `name` under the session's `logs/`, creating `logs/` and any
    /// subdirectories `name` implies (as [`append_log`](Self::append_log) does). The file
    /// itself is not created.
    ///
    /// The path is advisory: whoever opens it looks it up again, and another process that can
    /// write the session directory can change what it names meanwhile. Prefer
    /// [`append_log`](Self::append_log), which hands out the open file.
    ///
    /// # Errors
    /// As for [`append_log`](Self::append_log); also [`ErrorKind::DirNotUsable`] when the
    /// file's name is taken by something that is not a regular file.
    pub fn log_path(&self, id: &SessionId, name: &str) -> Result<PathBuf> {
        check_log_name(name)?;
        let session = self.open_session(id)?;
        still_recorded(&session)?;
        let (dirs, file_name) = split_log_name(name);
        let dir = walk(&session, &dirs, true, name)?;
        let file_path = dir.path.join(file_name);
        match rfs::statat(&dir.fd, file_name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile => {
                return Err(not_usable(
                    &file_path,
                    "exists and is not a regular file; remove it or choose another log name",
                ));
            }
            Ok(_) | Err(Errno::NOENT) => {}
            Err(e) => return Err(Error::io("looking up log", &file_path, e.into())),
        }
        if let Err(e) = still_recorded(&session) {
            undo_made(&session, dir.made);
            return Err(e);
        }
        sync_made(&dir.made, &session.path)?;
        Ok(file_path)
    }

    /// The path of the session's existing log file `name`, for reading: the read-only
    /// counterpart of [`log_path`](Self::log_path), and as advisory. Nothing is created and
    /// nothing is followed (exactly the files [`logs`](Self::logs) lists are found). Prefer
    /// [`read_log`](Self::read_log), which hands out the open file.
    ///
    /// # Errors
    /// As for [`read_log`](Self::read_log).
    pub fn find_log(&self, id: &SessionId, name: &str) -> Result<PathBuf> {
        check_log_name(name)?;
        let session = self.open_session(id)?;
        let (dirs, file_name) = split_log_name(name);
        let dir = walk(&session, &dirs, false, name)?;
        let file_path = dir.path.join(file_name);
        match rfs::statat(&dir.fd, file_name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => match FileType::from_raw_mode(st.st_mode) {
                FileType::RegularFile => Ok(file_path),
                kind => Err(log_open_error(
                    &file_path,
                    open::not_regular(kind),
                    name,
                    id,
                )),
            },
            Err(Errno::NOENT) => Err(missing_log(id, name, &file_path)),
            Err(e) => Err(Error::io("looking up log", &file_path, e.into())),
        }
    }

    /// The files under the session's `logs/`, subdirectories included (down to
    /// [`MAX_LOG_DEPTH`] levels), sorted by name. Symlinks and other non-regular files are
    /// neither followed nor listed. No `logs/` yet means no files.
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] for no such session; [`ErrorKind::Io`] when a directory cannot
    /// be read.
    pub fn logs(&self, id: &SessionId) -> Result<Vec<LogFile>> {
        let session = self.open_session(id)?;
        let logs_path = session.path.join(LOGS_DIR);
        let mut out = Vec::new();
        match open::dir_at(session.fd(), LOGS_DIR) {
            Ok(logs) => list_files(&logs, &logs_path, "", 1, &mut out)?,
            Err(e) if open::is_missing(&e) || open::is_symlink_error(&e) => {}
            Err(e) => return Err(Error::io("opening logs directory", &logs_path, e)),
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }
}

/// `a/b/c.log` as (`["a", "b"]`, `"c.log"`); the name is already checked.
fn split_log_name(name: &str) -> (Vec<&str>, &str) {
    let mut parts: Vec<&str> = name.split('/').collect();
    let file = parts.pop().expect("a checked log name has a component");
    (parts, file)
}

/// Opens `logs/` and then each of `dirs` below the session directory, each relative to the one
/// before and without following a symlink; with `create`, makes what is missing.
fn walk(session: &SessionDir, dirs: &[&str], create: bool, name: &str) -> Result<LogDir> {
    let mut path = session.path.join(LOGS_DIR);
    let mut made = Vec::new();
    let mut fd = step(&session.fd, LOGS_DIR, create, &mut made)
        .map_err(|e| walk_error(e, &path, name, &session.id))?;
    for part in dirs {
        path.push(part);
        fd = step(&fd, part, create, &mut made)
            .map_err(|e| walk_error(e, &path, name, &session.id))?;
    }
    Ok(LogDir { fd, path, made })
}

/// Opens the directory `name` under `parent` (made first when `create` and missing; then the
/// parent is kept in `made`, so a failed open can undo it).
fn step(
    parent: &OwnedFd,
    name: &str,
    create: bool,
    made: &mut Vec<(OwnedFd, String)>,
) -> io::Result<OwnedFd> {
    match open::dir_at(parent, name) {
        Err(e) if create && e.kind() == io::ErrorKind::NotFound => {
            match rfs::mkdirat(parent, name, Mode::from_raw_mode(0o777)) {
                Ok(()) => {
                    made.push((parent.try_clone()?, name.to_owned()));
                    open::dir_at(parent, name)
                }
                // Another writer made it first: open what it made, as checked as ever.
                Err(Errno::EXIST) => open::dir_at(parent, name),
                Err(e) => Err(e.into()),
            }
        }
        other => other,
    }
}

/// Opens `name` under `dir` for appending, creating it when missing; says whether it did.
fn create_or_open_append(dir: &OwnedFd, name: &str) -> io::Result<(OwnedFd, bool)> {
    let flags = OFlags::WRONLY
        | OFlags::APPEND
        | OFlags::NOFOLLOW
        | OFlags::NONBLOCK
        | OFlags::CLOEXEC
        | OFlags::NOCTTY;
    let mode = Mode::from_raw_mode(0o666);
    match rfs::openat(dir, name, flags | OFlags::CREATE | OFlags::EXCL, mode) {
        Ok(fd) => Ok((fd, true)),
        Err(Errno::EXIST) => Ok((rfs::openat(dir, name, flags, mode)?, false)),
        Err(e) => Err(e.into()),
    }
}

/// Fails with "no session" when the session's record is gone (removed while a log was being
/// opened), so that log is not left behind in a directory nothing lists.
fn still_recorded(session: &SessionDir) -> Result<()> {
    match rfs::statat(session.fd(), RECORD_FILE, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(_) => Ok(()),
        Err(Errno::NOENT) => Err(Error::new(
            ErrorKind::NotFound,
            format!(
                "session {} was removed while its log was being opened; nothing was kept",
                session.id
            ),
        )),
        Err(e) => Err(Error::io(
            "looking up session record",
            &session.path.join(RECORD_FILE),
            e.into(),
        )),
    }
}

/// Removes the directories a walk made, innermost first, when they are still empty; then the
/// session directory itself when that emptied it (its record is gone: a removal that found it
/// refilled by this walk may have given up on it), so nothing is left that no operation lists.
fn undo_made(session: &SessionDir, made: Vec<(OwnedFd, String)>) {
    for (parent, name) in made.into_iter().rev() {
        let _ = rfs::unlinkat(&parent, name.as_str(), AtFlags::REMOVEDIR);
    }
    let _ = super::remove::remove_if_emptied(session);
}

/// Makes the directories a walk made durable: each parent that gained one is synced, so a log
/// its writer fsyncs survives a power cut with the directories that lead to it.
fn sync_made(made: &[(OwnedFd, String)], session_path: &Path) -> Result<()> {
    for (parent, _) in made {
        sync_dir(parent, session_path)?;
    }
    Ok(())
}

fn sync_dir(dir: &OwnedFd, path: &Path) -> Result<()> {
    crate::fsio::record_io::sync(dir, path)
}

/// The error for a directory on the way to a log that could not be opened or made.
fn walk_error(e: io::Error, path: &Path, name: &str, id: &SessionId) -> Error {
    if e.kind() == io::ErrorKind::NotFound {
        missing_log(id, name, path)
    } else if open::is_symlink_error(&e) || e.kind() == io::ErrorKind::NotADirectory {
        not_usable(
            path,
            "is not a real directory (a symlink is not followed); remove it or choose another \
             log name",
        )
    } else {
        Error::io("opening logs directory", path, e)
    }
}

/// The error for a log file that could not be opened.
fn log_open_error(path: &Path, e: io::Error, name: &str, id: &SessionId) -> Error {
    if e.kind() == io::ErrorKind::NotFound {
        missing_log(id, name, path)
    } else if open::is_symlink_error(&e)
        || e.raw_os_error() == Some(Errno::NXIO.raw_os_error())
        || matches!(
            e.kind(),
            io::ErrorKind::InvalidData | io::ErrorKind::IsADirectory
        )
    {
        let what = if open::is_symlink_error(&e) {
            "is a symbolic link".to_owned()
        } else if e.raw_os_error() == Some(Errno::NXIO.raw_os_error()) {
            // Opening a FIFO for writing without blocking fails so when it has no reader.
            "is a FIFO or a socket, not a regular file".to_owned()
        } else {
            e.to_string()
        };
        not_usable(
            path,
            &format!(
                "{what} (nothing is followed), so it is not a log; remove it or choose another log name"
            ),
        )
    } else {
        Error::io("opening log", path, e)
    }
}

fn missing_log(id: &SessionId, name: &str, path: &Path) -> Error {
    Error::new(
        ErrorKind::NotFound,
        format!(
            "session {id} has no log {name} ({} does not exist); list its logs to see which exist",
            path.display()
        ),
    )
}

fn not_usable(path: &Path, why: &str) -> Error {
    Error::new(
        ErrorKind::DirNotUsable,
        format!("log path {} {why}", path.display()),
    )
}

/// Lists the regular files under `dir` (at `depth`, `logs/` itself being 1) into `out`.
fn list_files(
    dir: &OwnedFd,
    path: &Path,
    prefix: &str,
    depth: usize,
    out: &mut Vec<LogFile>,
) -> Result<()> {
    let read = |e: Errno| Error::io("reading logs directory", path, e.into());
    for entry in Dir::read_from(dir).map_err(read)? {
        let entry = entry.map_err(read)?;
        let raw = entry.file_name().to_bytes();
        if raw == b"." || raw == b".." {
            continue;
        }
        let file_name = String::from_utf8_lossy(raw);
        let name = format!("{prefix}{file_name}");
        let st = match rfs::statat(dir, entry.file_name(), AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => st,
            Err(Errno::NOENT) => continue,
            Err(e) => return Err(Error::io("reading logs directory", path, e.into())),
        };
        match FileType::from_raw_mode(st.st_mode) {
            FileType::Directory if depth < MAX_LOG_DEPTH => {
                let sub = match open::dir_at(dir, entry.file_name()) {
                    Ok(sub) => sub,
                    Err(e) if open::is_missing(&e) || open::is_symlink_error(&e) => continue,
                    Err(e) => {
                        return Err(Error::io(
                            "opening logs directory",
                            &path.join(&*file_name),
                            e,
                        ));
                    }
                };
                list_files(
                    &sub,
                    &path.join(&*file_name),
                    &format!("{name}/"),
                    depth + 1,
                    out,
                )?;
            }
            FileType::RegularFile => out.push(LogFile {
                name,
                size: st.st_size as u64,
            }),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::os::unix::fs::symlink;

    use super::*;
    use crate::NewSession;

    fn session() -> (tempfile::TempDir, SessionStore, SessionId) {
        let tmp = tempfile::tempdir().unwrap();
        let store = SessionStore::new(tmp.path().join("root")).unwrap();
        let s = store.create(&NewSession::new("c", "t", "/w")).unwrap();
        (tmp, store, s.id.clone())
    }

    #[test]
    fn find_log_finds_existing_logs_and_creates_nothing() {
        let (_tmp, store, id) = session();
        let logs = store.entry_path(&id).join(LOGS_DIR);
        let err = store.find_log(&id, "agent.log").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        assert!(err.message().contains("has no log agent.log"), "{err}");
        assert!(!logs.exists(), "a lookup must not create logs/");

        let written = store.log_path(&id, "tools/web.log").unwrap();
        fs::write(&written, "x").unwrap();
        assert_eq!(store.find_log(&id, "tools/web.log").unwrap(), written);
        for missing in ["agent.log", "tools/other.log", "nope/web.log"] {
            let err = store.find_log(&id, missing).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::NotFound, "{missing}: {err}");
        }
        assert!(!logs.join("nope").exists());
    }

    #[test]
    fn find_log_refuses_bad_names_ids_and_non_files() {
        let (tmp, store, id) = session();
        for bad in ["../session.json", "a/../b", "/etc/passwd", ".hidden", ""] {
            let err = store.find_log(&id, bad).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{bad:?}");
        }
        let other = SessionId::parse("20990101T000000-0000").unwrap();
        let err = store.find_log(&other, "agent.log").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);

        let logs = store.entry_path(&id).join(LOGS_DIR);
        fs::create_dir_all(logs.join("dir")).unwrap();
        let secret = tmp.path().join("secret");
        fs::create_dir(&secret).unwrap();
        fs::write(secret.join("x.log"), "secret").unwrap();
        symlink(&secret, logs.join("linked")).unwrap();
        symlink(secret.join("x.log"), logs.join("file-link.log")).unwrap();
        fs::write(
            logs.join("dir-file.log"),
            "a file where a directory is needed",
        )
        .unwrap();
        for (name, why) in [
            ("dir", "not a regular file"),
            ("file-link.log", "not a regular file"),
            ("linked/x.log", "not a real directory"),
            ("dir-file.log/x", "not a real directory"),
        ] {
            let err = store.find_log(&id, name).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::DirNotUsable, "{name}");
            assert!(err.message().contains(why), "{name}: {err}");
        }
    }
}
