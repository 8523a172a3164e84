//! Removing sessions: exactly the store's own files, the record last.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::{ENTER_SCRIPT, LOGS_DIR, SessionStore};
use crate::error::{Error, ErrorKind, Result};
use crate::fsio::{self, DirLock, RECORD_FILE, TEMP_PREFIX};
use crate::id::SessionId;

/// What a removal did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removal {
    /// The session directory that was emptied (and removed, when `kept` is empty).
    pub session_dir: PathBuf,
    /// Names left in the session directory because they are not the store's: files a user
    /// added, or a `logs` that is not a real directory. Sorted. Empty when the directory itself
    /// was removed.
    pub kept: Vec<String>,
}

impl SessionStore {
    /// Removes a session by id.
    ///
    /// Deletes exactly the store's names in the session directory: `outrig-enter` (unless it is
    /// a directory), `logs/` (only when it is a real directory: a symlink named `logs` is not
    /// followed), leftover temporary records of an interrupted write, and `session.json` last,
    /// so a failed removal can simply be retried. The directory goes too if that emptied it;
    /// anything else in it is the user's and stays, named in [`Removal::kept`]. For an explicit
    /// session the root's symlink is removed as well; its target is only touched when it holds
    /// a `session.json`, so a link to some unrelated directory never costs that directory its
    /// `logs`. The record's parse is not needed: a corrupt session can be removed by id.
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] when there is no entry `<root>/<id>`; [`ErrorKind::Io`] when a
    /// file cannot be removed (the record then stays, so the session still lists).
    pub fn remove(&self, id: &SessionId) -> Result<Removal> {
        let at = self.locate(id)?;
        let removal = if at.link_target.is_some() && !holds_record(&at.dir)? {
            Removal {
                session_dir: at.dir.clone(),
                kept: Vec::new(),
            }
        } else {
            clear_session_dir(&at.dir)?
        };
        if at.link_target.is_some() {
            remove_link(&at.entry)?;
        }
        fsio::sync_dir(&self.root)?;
        Ok(removal)
    }

    /// Removes the session whose record is in `dir`, as [`remove`](Self::remove) does, and the
    /// root's link to it. The link is found from the record's id in one lookup, not by a sweep
    /// of the root; an entry of that id which leads elsewhere is left alone.
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] when `dir` holds no `session.json`;
    /// [`ErrorKind::CorruptRecord`] when it does not parse (remove such a session by id);
    /// [`ErrorKind::Io`] as for `remove`.
    pub fn remove_by_path(&self, dir: &Path) -> Result<Removal> {
        let dir = fsio::absolute(dir)?;
        let session = fsio::read_record(&dir)?;
        let canonical = canonical(&dir)?;
        let entry = self.entry_path(&session.id);
        let entry_kind = fsio::entry_type(&entry)
            .map_err(|e| Error::io("looking up session entry", &entry, e))?;
        let link_leads_here = match entry_kind {
            Some(t) if t.is_symlink() => fs::canonicalize(&entry).is_ok_and(|t| t == canonical),
            _ => false,
        };
        let removal = clear_session_dir(&canonical)?;
        if link_leads_here {
            remove_link(&entry)?;
        }
        fsio::sync_dir(&self.root).or_else(|e| match e.kind() {
            ErrorKind::NotFound => Ok(()),
            _ => Err(e),
        })?;
        Ok(removal)
    }
}

fn canonical(dir: &Path) -> Result<PathBuf> {
    fs::canonicalize(dir).map_err(|e| Error::io("resolving session directory", dir, e))
}

/// Whether `dir` holds a `session.json`; a link that leads nowhere usable (dangling, to a
/// file, or in a loop) holds none.
fn holds_record(dir: &Path) -> Result<bool> {
    let path = dir.join(RECORD_FILE);
    match fsio::entry_type(&path) {
        Ok(t) => Ok(t.is_some()),
        Err(e) if e.kind() == io::ErrorKind::NotADirectory => Ok(false),
        Err(e) if e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) => Ok(false),
        Err(e) => Err(Error::io("looking up session record", &path, e)),
    }
}

fn remove_link(entry: &Path) -> Result<()> {
    match fs::remove_file(entry) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io("removing session link", entry, e)),
    }
}

/// Removes the store's names from `dir`, the record last, then `dir` if that emptied it.
fn clear_session_dir(dir: &Path) -> Result<Removal> {
    let gone = Removal {
        session_dir: dir.to_path_buf(),
        kept: Vec::new(),
    };
    let lock = match DirLock::acquire(dir) {
        Ok(lock) => lock,
        // A dangling link or a session removed meanwhile: nothing left to clear.
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(gone),
        Err(e) => return Err(e),
    };
    let enter = dir.join(ENTER_SCRIPT);
    if let Some(t) = kind_of(&enter)?
        && !t.is_dir()
    {
        remove_file(&enter)?;
    }
    let logs = dir.join(LOGS_DIR);
    if kind_of(&logs)?.is_some_and(|t| t.is_dir()) {
        fs::remove_dir_all(&logs).map_err(|e| Error::io("removing logs directory", &logs, e))?;
    }
    for temp in stale_temp_records(dir)? {
        remove_file(&temp)?;
    }
    let record = dir.join(RECORD_FILE);
    if kind_of(&record)?.is_some_and(|t| !t.is_dir()) {
        remove_file(&record)?;
    }
    drop(lock);
    match fs::remove_dir(dir) {
        Ok(()) => Ok(gone),
        Err(e) if e.kind() == io::ErrorKind::DirectoryNotEmpty => Ok(Removal {
            kept: names_in(dir)?,
            ..gone
        }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(gone),
        Err(e) => Err(Error::io("removing session directory", dir, e)),
    }
}

fn kind_of(path: &Path) -> Result<Option<fs::FileType>> {
    fsio::entry_type(path).map_err(|e| Error::io("looking up", path, e))
}

fn remove_file(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io("removing", path, e)),
    }
}

/// Temporary records (`.session.json.*.tmp`) a killed writer left behind.
fn stale_temp_records(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let entries = fs::read_dir(dir).map_err(|e| Error::io("reading session directory", dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io("reading session directory", dir, e))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(TEMP_PREFIX)
            && name.ends_with(".tmp")
            && entry.file_type().is_ok_and(|t| t.is_file())
        {
            out.push(entry.path());
        }
    }
    Ok(out)
}

fn names_in(dir: &Path) -> Result<Vec<String>> {
    let entries = fs::read_dir(dir).map_err(|e| Error::io("reading session directory", dir, e))?;
    let mut names = entries
        .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect::<io::Result<Vec<_>>>()
        .map_err(|e| Error::io("reading session directory", dir, e))?;
    names.sort();
    Ok(names)
}
