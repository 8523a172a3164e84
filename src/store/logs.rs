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
