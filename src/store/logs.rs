//! A session's `logs/` directory: where a named log goes, and what is there.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::{LOGS_DIR, SessionStore};
use crate::error::{Error, ErrorKind, Result};
use crate::id::{SessionId, check_log_name};

/// One file under a session's `logs/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogFile {
    /// The path relative to `logs/`, components joined by `/` (`agent.log`, `tools/web.log`).
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
}

impl SessionStore {
    /// The path of the log file `name` under the session's `logs/`, creating `logs/` and any
    /// subdirectories `name` implies. The file itself is not created: open it to write.
    ///
    /// `name` is one or more `/`-separated components, each 1 to 255 bytes of
    /// `[A-Za-z0-9._+-]` not starting with `.`, so the path never leaves `logs/`. Directories on
    /// the way must be real directories, not symlinks, so a planted link cannot redirect a log.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`] for a bad name; [`ErrorKind::NotFound`] for no such
    /// session; [`ErrorKind::DirNotUsable`] when `logs` or a directory on the way is not a real
    /// directory, or the file's own name is taken by a directory or symlink.
    pub fn log_path(&self, id: &SessionId, name: &str) -> Result<PathBuf> {
        check_log_name(name)?;
        let at = self.locate(id)?;
        let mut dir = at.dir.join(LOGS_DIR);
        ensure_real_dir(&dir)?;
        let mut parts = name.split('/').peekable();
        while let Some(part) = parts.next() {
            if parts.peek().is_none() {
                let file = dir.join(part);
                return match fs::symlink_metadata(&file) {
                    Ok(m) if !m.file_type().is_file() => Err(not_usable(
                        &file,
                        "exists and is not a regular file; remove it or choose another log name",
                    )),
                    _ => Ok(file),
                };
            }
            dir.push(part);
            ensure_real_dir(&dir)?;
        }
        unreachable!("check_log_name guarantees at least one component")
    }

    /// The path of the session's existing log file `name`, for reading: the read-only
    /// counterpart of [`log_path`](Self::log_path). Nothing is created, and nothing is
    /// followed: `logs/` and every directory on the way must be real directories and the file a
    /// regular file, so the path never leaves `logs/` (exactly the files [`logs`](Self::logs)
    /// lists are found).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`] for a bad name; [`ErrorKind::NotFound`] for no such
    /// session, or no such log file; [`ErrorKind::DirNotUsable`] when `logs`, a directory on
    /// the way, or the file itself is something else (a symlink, a directory, a device).
    pub fn find_log(&self, id: &SessionId, name: &str) -> Result<PathBuf> {
        check_log_name(name)?;
        let mut path = self.locate(id)?.dir.join(LOGS_DIR);
        let (dirs, file) = match name.rsplit_once('/') {
            Some((dirs, file)) => (Some(dirs), file),
            None => (None, name),
        };
        let missing = |path: &Path| {
            Error::new(
                ErrorKind::NotFound,
                format!(
                    "session {id} has no log {name} ({} does not exist); list its logs to see \
                     which exist",
                    path.display()
                ),
            )
        };
        let mut steps = dirs.into_iter().flat_map(|d| d.split('/'));
        loop {
            match existing_type(&path)? {
                None => return Err(missing(&path)),
                Some(t) if t.is_dir() => {}
                Some(_) => {
                    return Err(not_usable(
                        &path,
                        "is not a real directory (a symlink is not followed)",
                    ));
                }
            }
            match steps.next() {
                Some(part) => path.push(part),
                None => break,
            }
        }
        path.push(file);
        match existing_type(&path)? {
            None => Err(missing(&path)),
            Some(t) if t.is_file() => Ok(path),
            Some(_) => Err(not_usable(
                &path,
                "is not a regular file (a symlink is not followed), so it is not a log",
            )),
        }
    }

    /// The files under the session's `logs/`, subdirectories included, sorted by name. Symlinks
    /// are neither followed nor listed. No `logs/` yet means no files.
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] for no such session; [`ErrorKind::Io`] when a directory cannot
    /// be read.
    pub fn logs(&self, id: &SessionId) -> Result<Vec<LogFile>> {
        let at = self.locate(id)?;
        let logs = at.dir.join(LOGS_DIR);
        let mut out = Vec::new();
        match fs::symlink_metadata(&logs) {
            Ok(m) if m.is_dir() => walk(&logs, "", &mut out)?,
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io("looking up logs directory", &logs, e)),
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }
}

/// What `path` is, without following a symlink; `None` when it does not exist.
fn existing_type(path: &Path) -> Result<Option<fs::FileType>> {
    match fs::symlink_metadata(path) {
        Ok(m) => Ok(Some(m.file_type())),
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
            ) =>
        {
            Ok(None)
        }
        Err(e) => Err(Error::io("looking up log", path, e)),
    }
}

fn not_usable(path: &Path, why: &str) -> Error {
    Error::new(
        ErrorKind::DirNotUsable,
        format!("log path {} {why}", path.display()),
    )
}

/// Makes `dir` unless it exists; refuses it if it exists as anything but a real directory.
fn ensure_real_dir(dir: &Path) -> Result<()> {
    match fs::symlink_metadata(dir) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(not_usable(
            dir,
            "exists and is not a real directory (a symlink is not followed); remove it",
        )),
        Err(e) if e.kind() == io::ErrorKind::NotFound => match fs::create_dir(dir) {
            Ok(()) => Ok(()),
            // Another writer made it first; check what it made.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => ensure_real_dir(dir),
            Err(e) => Err(Error::io("creating logs directory", dir, e)),
        },
        Err(e) => Err(Error::io("looking up logs directory", dir, e)),
    }
}

fn walk(dir: &Path, prefix: &str, out: &mut Vec<LogFile>) -> Result<()> {
    let entries = fs::read_dir(dir).map_err(|e| Error::io("reading logs directory", dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io("reading logs directory", dir, e))?;
        let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
        let kind = match entry.file_type() {
            Ok(k) => k,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(Error::io("reading logs directory", dir, e)),
        };
        if kind.is_dir() {
            walk(&entry.path(), &format!("{name}/"), out)?;
        } else if kind.is_file() {
            let size = match entry.metadata() {
                Ok(m) => m.len(),
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(Error::io("reading size of", &entry.path(), e)),
            };
            out.push(LogFile { name, size });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::symlink;

    use super::*;
    use crate::NewSession;

    fn session() -> (tempfile::TempDir, SessionStore, SessionId) {
        let tmp = tempfile::tempdir().unwrap();
        let store = SessionStore::new(tmp.path().join("root")).unwrap();
        let s = store.create(&NewSession::new("c", "t", "/w")).unwrap();
        (tmp, store, s.id)
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
