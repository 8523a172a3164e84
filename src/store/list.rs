//! Listing a root: which entries are sessions, and reading them in parallel.

use std::ffi::{OsStr, OsString};
use std::io;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::{OsStrExt as _, OsStringExt as _};
use std::path::{Path, PathBuf};
use std::thread;
use std::time::SystemTime;

use rustix::fs::{self as rfs, AtFlags, Dir, FileType};
use rustix::io::Errno;

use super::SessionStore;
use crate::error::{Error, ErrorKind, Result};
use crate::fsio::{RECORD_FILE, open, record_io};
use crate::record::Session;

/// Below this many entries a listing reads on the calling thread: spawning costs more than it
/// saves.
const PARALLEL_THRESHOLD: usize = 256;

/// The sessions under a root, and the entries that looked like sessions but could not be read.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct Listing {
    /// Readable sessions, newest first: by start time, then (for the same time) by id.
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
    /// A fault of the listing itself (out of descriptors or memory), not of this entry.
    Failed(io::Error),
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
    /// entries. A wrapper that wraps every session in a representation of its own (the Python
    /// module shares each record in an `Arc`; the C ABI in a handle that converts its text on
    /// first read) does that work in parallel this way, instead of after the listing.
    ///
    /// # Errors
    /// As for [`list`](Self::list).
    pub fn list_with<T, F>(&self, convert: F) -> Result<(Vec<T>, Vec<Skipped>)>
    where
        T: Send,
        F: Fn(Session) -> T + Sync,
    {
        let (ordered, skipped) = self.list_ordered(convert)?;
        Ok((ordered.into_vec(), skipped))
    }

    /// Lists like [`list_with`](Self::list_with), leaving each converted session where the
    /// thread that read it put it: a wrapper that can index the listing in place (the C ABI)
    /// moves no session after it was read.
    pub(crate) fn list_ordered<T, F>(&self, convert: F) -> Result<(Ordered<T>, Vec<Skipped>)>
    where
        T: Send,
        F: Fn(Session) -> T + Sync,
    {
        let root = match open::dir(&self.root) {
            Ok(root) => root,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Ok((Ordered::from_vec(Vec::new()), Vec::new()));
            }
            Err(e) => return Err(self.listing_failed(e)),
        };
        let mut candidates = candidates(&root).map_err(|e| self.listing_failed(e))?;
        // Ids sort by start time, so reading in name order gives records almost in listing
        // order; the final order by start time is then usually the reading order itself.
        candidates.sort_unstable_by(|a, b| b.0.cmp(&a.0));
        let (parts, skipped) = self
            .load_all(&root, &candidates, &convert)
            .map_err(|e| self.listing_failed(e))?;
        Ok((Ordered::new(parts), skipped))
    }

    /// The error of a listing that failed as a whole.
    fn listing_failed(&self, e: io::Error) -> Error {
        Error::io("reading session root", &self.root, e).with_kind(ErrorKind::Io)
    }

    /// Reads every candidate, spreading the work over the available cores: the calling thread
    /// reads the first share itself and one thread is started per other share. Each share's
    /// sessions come back in its reading order, with their sort keys beside them.
    fn load_all<T: Send>(
        &self,
        root: &OwnedFd,
        candidates: &[(Vec<u8>, bool)],
        convert: &(impl Fn(Session) -> T + Sync),
    ) -> io::Result<(Vec<Part<T>>, Vec<Skipped>)> {
        let load_chunk = |first: usize, chunk: &[(Vec<u8>, bool)]| {
            let mut scratch = Scratch::default();
            let mut part = Part {
                items: Vec::with_capacity(chunk.len()),
                keys: Vec::with_capacity(chunk.len()),
                skipped: Vec::new(),
            };
            for (i, (name, is_link)) in chunk.iter().enumerate() {
                match load_entry(&self.root, root, name, *is_link, &mut scratch) {
                    Outcome::Session(s) => {
                        part.keys.push((s.started_at, first + i));
                        part.items.push(convert(s));
                    }
                    Outcome::Skipped(s) => part.skipped.push(s),
                    Outcome::NotASession => {}
                    Outcome::Failed(e) => return Err(e),
                }
            }
            Ok(part)
        };
        let threads = thread::available_parallelism().map_or(1, |n| n.get());
        let mut parts = if threads == 1 || candidates.len() < PARALLEL_THRESHOLD {
            vec![load_chunk(0, candidates)?]
        } else {
            // This thread reads the first share while the others read theirs (one thread
            // fewer to start), and a share whose thread cannot be started.
            let chunk_len = candidates.len().div_ceil(threads);
            super::spread::per_share(candidates, chunk_len, |first, chunk| {
                // Every share but the first is read on a thread started for it, whose heap is
                // new (or, where none could be started, on this one, where growing is cheap).
                if first > 0 {
                    grow_thread_heap(chunk.len() * HEAP_PER_SESSION);
                }
                load_chunk(first, chunk)
            })
            .into_iter()
            .collect::<io::Result<Vec<_>>>()?
        };
        let skipped = parts
            .iter_mut()
            .flat_map(|p| std::mem::take(&mut p.skipped))
            .collect();
        Ok((parts, skipped))
    }
}

/// About what reading one session allocates on the heap of the thread that reads it: its
/// record's strings (eight or nine, a few hundred bytes with the allocator's overhead) and a
/// wrapper's box of the record (the Python module's `Arc`). Too much costs address space and
/// one touched page per block of [`grow_thread_heap`].
const HEAP_PER_SESSION: usize = 1024;

/// Grows a fresh thread's malloc heap by about `bytes` at once, ahead of the many small
/// allocations of its share of a listing.
///
/// glibc grows a thread's heap (a non-main arena) by exactly what each allocation lacks,
/// rounded to a page, with one `mprotect` per growth: a fresh 100k listing made about 3,500
/// of them (`strace -c`), each taking the process's memory-map lock against the other
/// thread's page faults. Allocating blocks just under the size glibc would `mmap` instead,
/// then freeing them, grows the heap in a few hundred steps; what is freed at its top goes
/// back to the kernel with `madvise`, which leaves it writable, so the share's allocations
/// then find room without a system call (214 `mprotect` calls for the same listing; fresh
/// listings 4-11% faster under load, bench/RESULTS.md). Nothing is written to the blocks.
/// Another allocator just allocates and frees them.
fn grow_thread_heap(bytes: usize) {
    const BLOCK: usize = 120 * 1024;
    let blocks: Vec<Vec<u8>> = (0..bytes / BLOCK)
        .map(|_| Vec::with_capacity(BLOCK))
        .collect();
    drop(blocks);
}

/// What one listing thread read: its sessions in reading order, their sort keys (start time,
/// candidate index) beside them, and the entries it skipped.
struct Part<T> {
    items: Vec<T>,
    keys: Vec<(SystemTime, usize)>,
    skipped: Vec<Skipped>,
}

/// The sessions of a listing where its threads put them, and the listing's order over them.
///
/// A listing reads its sessions on several threads, each into a vector of its own; this keeps
/// those vectors and sorts only small keys, so a session (several hundred bytes, or more in a
/// wrapper's handle) is written once, by the thread that read it, however the listing sorts.
pub(crate) struct Ordered<T> {
    parts: Vec<Vec<T>>,
    /// Where each session of the listing is, newest first: (part, index in the part).
    order: Vec<(usize, usize)>,
}

// Indexing in place is for the C ABI; Rust and Python take the vector.
#[cfg_attr(not(feature = "capi"), allow(dead_code))]
impl<T> Ordered<T> {
    /// Orders the threads' parts newest first: by start time; for the same time by id (the
    /// candidates' index), newest first too.
    fn new(parts: Vec<Part<T>>) -> Self {
        let mut keys: Vec<(SystemTime, usize, usize, usize)> = parts
            .iter()
            .enumerate()
            .flat_map(|(p, part)| {
                (part.keys.iter().enumerate()).map(move |(j, &(time, index))| (time, index, p, j))
            })
            .collect();
        let newest_first = |a: &(SystemTime, usize, usize, usize),
                            b: &(SystemTime, usize, usize, usize)| {
            b.0.cmp(&a.0).then(a.1.cmp(&b.1))
        };
        // Read in id order, the keys are usually sorted already (ids carry their start time).
        if !keys.is_sorted_by(|a, b| newest_first(a, b).is_le()) {
            keys.sort_unstable_by(newest_first);
        }
        Self {
            parts: parts.into_iter().map(|p| p.items).collect(),
            order: keys.into_iter().map(|(_, _, p, j)| (p, j)).collect(),
        }
    }

    /// Values already in order (what a clean removed, one session read alone).
    pub(crate) fn from_vec(items: Vec<T>) -> Self {
        Self {
            order: (0..items.len()).map(|j| (0, j)).collect(),
            parts: vec![items],
        }
    }

    /// The number of sessions.
    pub(crate) fn len(&self) -> usize {
        self.order.len()
    }

    /// Session `i` of the listing (0 is the newest).
    pub(crate) fn get(&self, i: usize) -> Option<&T> {
        let &(p, j) = self.order.get(i)?;
        Some(&self.parts[p][j])
    }

    /// The sessions, newest first.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> {
        self.order.iter().map(|&(p, j)| &self.parts[p][j])
    }

    /// The sessions as one vector, newest first, each moved once.
    pub(crate) fn into_vec(self) -> Vec<T> {
        let concatenated = {
            let mut at = self
                .parts
                .iter()
                .enumerate()
                .flat_map(|(p, part)| (0..part.len()).map(move |j| (p, j)));
            self.order.iter().all(|&o| at.next() == Some(o))
        };
        if concatenated {
            let mut out = Vec::with_capacity(self.order.len());
            for part in self.parts {
                out.extend(part);
            }
            return out;
        }
        let mut slots: Vec<Vec<Option<T>>> = self
            .parts
            .into_iter()
            .map(|part| part.into_iter().map(Some).collect())
            .collect();
        self.order
            .iter()
            .map(|&(p, j)| {
                slots[p][j]
                    .take()
                    .expect("the order names each session once")
            })
            .collect()
    }
}

/// The root's entries that may be sessions: not dot-named, and a directory or a symlink by
/// the directory entry's own type (or by `statat` where the filesystem does not say).
fn candidates(root: &OwnedFd) -> io::Result<Vec<(Vec<u8>, bool)>> {
    let mut out = Vec::new();
    for entry in Dir::read_from(root)? {
        let entry = entry?;
        let name = entry.file_name().to_bytes();
        if name.first() == Some(&b'.') {
            continue;
        }
        let kind = match entry.file_type() {
            FileType::Unknown => match rfs::statat(root, name, AtFlags::SYMLINK_NOFOLLOW) {
                Ok(st) => FileType::from_raw_mode(st.st_mode),
                Err(Errno::NOENT) => continue,
                Err(e) => return Err(e.into()),
            },
            kind => kind,
        };
        if kind == FileType::Directory || kind == FileType::Symlink {
            out.push((name.to_vec(), kind == FileType::Symlink));
        }
    }
    Ok(out)
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
    root: &OwnedFd,
    name: &[u8],
    is_link: bool,
    scratch: &mut Scratch,
) -> Outcome {
    let entry_path = || root_path.join(OsStr::from_bytes(name));
    let skip = |reason: String| {
        Outcome::Skipped(Skipped {
            entry: String::from_utf8_lossy(name).into_owned(),
            reason,
        })
    };
    let link_target = if is_link {
        match rfs::readlinkat(root, name, Vec::new()) {
            Ok(target) => Some(PathBuf::from(OsString::from_vec(target.into_bytes()))),
            Err(Errno::NOENT) => return Outcome::NotASession,
            Err(e) => {
                return skip(
                    Error::io("reading session link", &entry_path(), e.into()).to_string(),
                );
            }
        }
    } else {
        None
    };
    scratch.rel.clear();
    scratch.rel.extend_from_slice(name);
    scratch.rel.push(b'/');
    scratch.rel.extend_from_slice(RECORD_FILE.as_bytes());
    // A directory entry must stay one: no symlink is followed on the way to its record. A
    // link entry is followed, exactly once, to its target; the record itself never is.
    let opened = if is_link {
        open::through_link(root, scratch.rel.as_slice())
    } else {
        open::beneath(root, scratch.rel.as_slice())
    };
    let file = match opened {
        Ok(file) => file,
        Err(e) if open::is_resource_exhaustion(&e) => return Outcome::Failed(e),
        Err(e) if open::is_missing(&e) => return Outcome::NotASession,
        Err(e) => {
            return skip(record_io::read_error(&entry_path().join(RECORD_FILE), e).to_string());
        }
    };
    let parsed = record_io::parse(&file, &mut scratch.record, || {
        entry_path().join(RECORD_FILE)
    });
    match parsed {
        Err(e) => skip(e.to_string()),
        Ok(s) if s.id.as_str().as_bytes() != name => skip(format!(
            "{}: the record's id {} differs from its entry name; it was copied or renamed, so \
             operations by id cannot reach it; rename the entry to its id",
            entry_path().join(RECORD_FILE).display(),
            s.id
        )),
        Ok(mut s) => {
            s.link_target = link_target;
            Outcome::Session(s)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::process::Command;

    use super::*;
    use crate::NewSession;

    const CHILD: &str = "OUTRIG_DESCRIPTOR_EXHAUSTION_CHILD";

    fn part(items: &[&'static str], keys: &[(u64, usize)]) -> Part<&'static str> {
        let at = |s: u64| SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(s);
        Part {
            items: items.to_vec(),
            keys: keys.iter().map(|&(s, i)| (at(s), i)).collect(),
            skipped: Vec::new(),
        }
    }

    #[test]
    fn ordered_values_stay_in_their_parts_and_list_newest_first() {
        // Already in order across the parts (the usual case): the concatenation.
        let sorted = || {
            vec![
                part(&["a", "b"], &[(9, 0), (9, 1)]),
                part(&[], &[]),
                part(&["c"], &[(3, 3)]),
            ]
        };
        let ordered = Ordered::new(sorted());
        assert_eq!(ordered.len(), 3);
        assert_eq!(ordered.iter().copied().collect::<Vec<_>>(), ["a", "b", "c"]);
        assert_eq!(Ordered::new(sorted()).into_vec(), ["a", "b", "c"]);
        // Start times against the reading order, ties broken by the candidates' index.
        let scrambled = || {
            vec![
                part(&["old", "tie-2"], &[(1, 0), (5, 2)]),
                part(&["new", "tie-1"], &[(8, 3), (5, 1)]),
            ]
        };
        let ordered = Ordered::new(scrambled());
        let want = ["new", "tie-1", "tie-2", "old"];
        assert_eq!(ordered.iter().copied().collect::<Vec<_>>(), want);
        assert_eq!(
            (0..4).map(|i| *ordered.get(i).unwrap()).collect::<Vec<_>>(),
            want
        );
        assert_eq!(ordered.get(4), None);
        assert_eq!(Ordered::new(scrambled()).into_vec(), want);
        let single = Ordered::from_vec(vec!["x", "y"]);
        assert_eq!(
            (single.len(), single.get(1), single.get(2)),
            (2, Some(&"y"), None)
        );
        assert_eq!(
            Ordered::<&str>::from_vec(Vec::new()).into_vec(),
            Vec::<&str>::new()
        );
    }

    /// Runs out of descriptors in a child process (the test binary run again for this test
    /// alone), so no other test of this binary is starved.
    #[test]
    fn running_out_of_descriptors_fails_the_listing_not_the_records() {
        let name =
            "store::list::tests::running_out_of_descriptors_fails_the_listing_not_the_records";
        if std::env::var_os(CHILD).is_none() {
            let out = Command::new(std::env::current_exe().unwrap())
                .args([name, "--exact", "--test-threads=1", "--nocapture"])
                .env(CHILD, "1")
                .output()
                .unwrap();
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success(),
                "{stdout}{}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(stdout.contains("1 passed"), "{stdout}");
            return;
        }
        let tmp = tempfile::tempdir().unwrap();
        let store = SessionStore::new(tmp.path().join("root")).unwrap();
        let ids: Vec<_> = (0..3)
            .map(|_| {
                store
                    .create(&NewSession::new("c", "t", "/w"))
                    .unwrap()
                    .id
                    .clone()
            })
            .collect();
        let root = open::dir(store.root()).unwrap();
        let mut hog = Vec::new();
        loop {
            match std::fs::File::open("/dev/null") {
                Ok(f) => hog.push(f),
                Err(e) => {
                    assert_eq!(e.raw_os_error(), Some(Errno::MFILE.raw_os_error()));
                    break;
                }
            }
        }
        // A record that cannot be opened for want of descriptors is not a bad record.
        let outcome = load_entry(
            store.root(),
            &root,
            ids[0].as_str().as_bytes(),
            false,
            &mut Scratch::default(),
        );
        assert!(
            matches!(&outcome, Outcome::Failed(e) if open::is_resource_exhaustion(e)),
            "a record was judged for the process's fault"
        );
        // The listing as a whole fails, naming the root, rather than skipping records.
        hog.pop();
        let err = store.list().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Io, "{err}");
        assert_eq!(err.os_error(), Some(Errno::MFILE.raw_os_error()), "{err}");
        assert!(
            err.message().contains(&*store.root().to_string_lossy()),
            "{err}"
        );
        drop(hog);
        assert_eq!(store.list().unwrap().sessions.len(), 3);
    }
}
