//! Listing a root: which entries are sessions, reading them in parallel, and `clean`.

use std::ffi::OsString;
use std::fs;
use std::io;
use std::os::unix::ffi::{OsStrExt as _, OsStringExt as _};
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, SystemTime};

use super::SessionStore;
use crate::error::{Error, ErrorKind, Result};
use crate::fsio::{self, RECORD_FILE};
use crate::record::Session;

/// Below this many entries a listing reads on the calling thread: spawning costs more than it
/// saves.
const PARALLEL_THRESHOLD: usize = 256;

/// The sessions under a root, and the entries that looked like sessions but could not be read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Listing {
    /// Readable sessions, newest first (by id, which sorts by start time).
    pub sessions: Vec<Session>,
    /// Entries with a `session.json` that could not be read or parsed, by entry name.
    pub skipped: Vec<Skipped>,
}

/// An entry of the root that holds a record this store could not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The entry's name under the root (normally the session id).
    pub entry: String,
    /// Why it was skipped, naming the file.
    pub reason: String,
}

/// What one root entry turned out to be.
// Short-lived and moved once; boxing would cost an allocation per session.
#[allow(clippy::large_enum_variant)]
enum Outcome {
    Session(Session),
    Skipped(Skipped),
    NotASession,
}

impl SessionStore {
    /// Lists the sessions under the root, newest first.
    ///
    /// An entry is silently *not a session* when its name starts with `.`, when it is neither a
    /// directory nor a symlink, or when it holds no `session.json` (a dangling link included).
    /// An entry whose record cannot be read or parsed, or whose record carries another id than
    /// the entry's name, costs only itself: it goes to [`Listing::skipped`] with the reason.
    /// Records are read and parsed on all cores; entries are not `stat`ed when the directory
    /// says their type.
    ///
    /// # Errors
    /// [`ErrorKind::Io`] when the root itself cannot be read. A missing root is an empty
    /// listing.
    pub fn list(&self) -> Result<Listing> {
        let (sessions, skipped) = self.list_with(|s| s)?;
        Ok(Listing { sessions, skipped })
    }

    /// Lists like [`list`](Self::list), handing each session to `convert` on the worker thread
    /// that read it, and returns the converted sessions (newest first) and the skipped
    /// entries. A wrapper that turns every session into its own representation (a C handle
    /// with C strings, say) does that work in parallel this way, instead of after the listing
    /// on one thread.
    ///
    /// # Errors
    /// As for [`list`](Self::list).
    pub fn list_with<T, F>(&self, convert: F) -> Result<(Vec<T>, Vec<Skipped>)>
    where
        T: Send,
        F: Fn(Session) -> T + Sync,
    {
        let candidates = match self.candidates() {
            Ok(c) => c,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok((Vec::new(), Vec::new())),
            Err(e) => {
                return Err(
                    Error::io("reading session root", &self.root, e).with_kind(ErrorKind::Io)
                );
            }
        };
        // Sessions are listed under their own id, so sorting the names sorts the listing:
        // cheaper than moving whole records around, and the workers keep this order.
        let mut candidates = candidates;
        candidates.sort_unstable_by(|a, b| b.0.cmp(&a.0));
        self.load_all(&candidates, &convert)
            .map_err(|e| Error::io("opening session root", &self.root, e).with_kind(ErrorKind::Io))
    }

    /// Removes the finalized sessions that ended before `ended_before`, and returns them (with
    /// `dry_run`, returns them and removes nothing). Running sessions (no `ended_at`) and
    /// unreadable records always stay. Each removal is [`remove`](Self::remove), so files a
    /// user added to a session directory are kept; a session another process removed first is
    /// left out of the result.
    ///
    /// # Errors
    /// The first error of the listing or of a removal; sessions removed before it stay removed.
    pub fn clean(&self, ended_before: SystemTime, dry_run: bool) -> Result<Vec<Session>> {
        let mut removed = Vec::new();
        for session in self.list()?.sessions {
            let expired = session.ended_at.is_some_and(|end| end < ended_before);
            if !expired {
                continue;
            }
            if !dry_run {
                match self.remove(&session.id) {
                    Ok(_) => {}
                    Err(e) if e.kind() == ErrorKind::NotFound => continue,
                    Err(e) => return Err(e),
                }
            }
            removed.push(session);
        }
        Ok(removed)
    }

    /// [`clean`](Self::clean) with the cutoff given as an age: removes the finalized sessions
    /// that ended more than `older_than` ago (`outrig clean --older-than`).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`] when `older_than` reaches before any time the clock can
    /// represent; otherwise as for `clean`.
    pub fn clean_older_than(&self, older_than: Duration, dry_run: bool) -> Result<Vec<Session>> {
        let cutoff = SystemTime::now().checked_sub(older_than).ok_or_else(|| {
            Error::invalid(format!(
                "an age of {} seconds reaches before any time a record can hold; pass a \
                 smaller age",
                older_than.as_secs()
            ))
        })?;
        self.clean(cutoff, dry_run)
    }

    /// The root's entries that may be sessions: not dot-named, and a directory or a symlink by
    /// the directory entry's own type.
    fn candidates(&self) -> io::Result<Vec<(OsString, bool)>> {
        let mut out = Vec::new();
        for entry in fs::read_dir(&self.root)? {
            let entry = entry?;
            let name = entry.file_name();
            if name.as_bytes().first() == Some(&b'.') {
                continue;
            }
            let kind = match entry.file_type() {
                Ok(k) => k,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            };
            if kind.is_dir() || kind.is_symlink() {
                out.push((name, kind.is_symlink()));
            }
        }
        Ok(out)
    }

    /// Reads every candidate, spreading the work over the available cores.
    fn load_all<T: Send>(
        &self,
        candidates: &[(OsString, bool)],
        convert: &(impl Fn(Session) -> T + Sync),
    ) -> io::Result<(Vec<T>, Vec<Skipped>)> {
        // Records are opened relative to the root's descriptor: the kernel walks two path
        // components per record instead of the root's whole path again.
        let root = fs::File::open(&self.root)?;
        // Each worker fills its own vectors, which are appended once at the end: a record is
        // moved as few times as possible (they are a few hundred bytes each).
        let load_chunk = |chunk: &[(OsString, bool)]| {
            let mut scratch = Scratch::default();
            let (mut sessions, mut skipped) = (Vec::with_capacity(chunk.len()), Vec::new());
            for (name, is_link) in chunk {
                match load_entry(&self.root, &root, name, *is_link, &mut scratch) {
                    Outcome::Session(s) => sessions.push(convert(s)),
                    Outcome::Skipped(s) => skipped.push(s),
                    Outcome::NotASession => {}
                }
            }
            (sessions, skipped)
        };
        let threads = thread::available_parallelism().map_or(1, |n| n.get());
        if threads == 1 || candidates.len() < PARALLEL_THRESHOLD {
            return Ok(load_chunk(candidates));
        }
        let chunk_len = candidates.len().div_ceil(threads);
        Ok(thread::scope(|scope| {
            let workers: Vec<_> = candidates
                .chunks(chunk_len)
                .map(|chunk| scope.spawn(move || load_chunk(chunk)))
                .collect();
            let mut parts = workers.into_iter().map(|w| {
                w.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            });
            let (mut sessions, mut skipped) = parts.next().unwrap_or_default();
            for (mut more, mut more_skipped) in parts {
                sessions.append(&mut more);
                skipped.append(&mut more_skipped);
            }
            (sessions, skipped)
        }))
    }
}

/// Buffers one listing thread reuses for every entry.
#[derive(Default)]
struct Scratch {
    /// `<name>/session.json`, relative to the root.
    rel: Vec<u8>,
    /// The record's bytes.
    record: Vec<u8>,
}

/// Reads one root entry.
fn load_entry(
    root_path: &Path,
    root: &fs::File,
    name: &OsString,
    is_link: bool,
    scratch: &mut Scratch,
) -> Outcome {
    let skip = |reason: String| {
        Outcome::Skipped(Skipped {
            entry: name.to_string_lossy().into_owned(),
            reason,
        })
    };
    let link_target = if is_link {
        match rustix::fs::readlinkat(root, name.as_os_str(), Vec::new()) {
            Ok(target) => Some(PathBuf::from(std::ffi::OsString::from_vec(
                target.into_bytes(),
            ))),
            Err(rustix::io::Errno::NOENT) => return Outcome::NotASession,
            Err(e) => {
                return skip(
                    Error::io("reading session link", &root_path.join(name), e.into()).to_string(),
                );
            }
        }
    } else {
        None
    };
    scratch.rel.clear();
    scratch.rel.extend_from_slice(name.as_bytes());
    scratch.rel.push(b'/');
    scratch.rel.extend_from_slice(RECORD_FILE.as_bytes());
    let read = rustix::fs::openat(
        root,
        scratch.rel.as_slice(),
        rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )
    .map_err(io::Error::from)
    .and_then(|fd| fsio::read_bounded(fs::File::from(fd), &mut scratch.record));
    if let Err(e) = read {
        return match e.kind() {
            io::ErrorKind::NotFound | io::ErrorKind::NotADirectory => Outcome::NotASession,
            _ => skip(
                fsio::record_read_error(&root_path.join(name).join(RECORD_FILE), e).to_string(),
            ),
        };
    }
    match Session::from_json(&scratch.record) {
        Err(e) => skip(fsio::corrupt(&root_path.join(name).join(RECORD_FILE), &e).to_string()),
        Ok(s) if s.id.as_str().as_bytes() != name.as_bytes() => skip(format!(
            "{}: the record's id {} differs from its entry name; it was copied or renamed, so \
             operations by id cannot reach it; rename the entry to its id",
            root_path.join(name).join(RECORD_FILE).display(),
            s.id
        )),
        Ok(mut s) => {
            s.link_target = link_target;
            Outcome::Session(s)
        }
    }
}
