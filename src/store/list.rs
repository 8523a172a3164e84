//! Listing a root: which entries are sessions, and reading them in parallel.

use std::ffi::{OsStr, OsString};
use std::io;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::{OsStrExt as _, OsStringExt as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use rustix::fs::{self as rfs, AtFlags, Dir, FileType};
use rustix::io::Errno;

use super::SessionStore;
use super::feed::Feed;
use crate::error::{Error, ErrorKind, Result};
use crate::fsio::{RECORD_FILE, open, record_io};
use crate::record::{Session, SessionRecord, nanos_since_epoch};
use std::time::SystemTime;

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
enum Outcome<R> {
    Session(R),
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

    /// Lists like [`list`](Self::list), as [`SessionRecord`]s: for a reader that only reads
    /// the sessions, a listing with one allocation per session where a [`Session`] has one per
    /// text, and about half the memory. Returns the records, newest first, and the skipped
    /// entries.
    ///
    /// ```no_run
    /// # fn main() -> outrig::Result<()> {
    /// let store = outrig::SessionStore::resolve(None, None)?;
    /// let (records, skipped) = store.list_records()?;
    /// for r in &records {
    ///     let ended = r.ended_at().map_or("-".into(), outrig::format_started_at);
    ///     println!("{} {} {ended}", r.id(), outrig::format_started_at(r.started_at()));
    /// }
    /// for s in &skipped {
    ///     eprintln!("skipped {}: {}", s.entry, s.reason);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// As for [`list`](Self::list).
    pub fn list_records(&self) -> Result<(Vec<SessionRecord>, Vec<Skipped>)> {
        self.list_records_with(|r| r)
    }

    /// Lists like [`list_records`](Self::list_records), handing each record to `convert` on
    /// the worker thread that read it, as [`list_with`](Self::list_with) does (the Python
    /// module shares each record in an `Arc`).
    ///
    /// # Errors
    /// As for [`list`](Self::list).
    pub fn list_records_with<T, F>(&self, convert: F) -> Result<(Vec<T>, Vec<Skipped>)>
    where
        T: Send,
        F: Fn(SessionRecord) -> T + Sync,
    {
        let (ordered, skipped) = self.list_ordered(convert)?;
        Ok((ordered.into_vec(), skipped))
    }

    /// Lists like [`list_with`](Self::list_with), into the records `R` the one parser builds,
    /// leaving each converted session where the thread that read it put it: a wrapper that
    /// can index the listing in place (the C ABI) moves no session after it was read.
    pub(crate) fn list_ordered<R, T, F>(&self, convert: F) -> Result<(Ordered<T>, Vec<Skipped>)>
    where
        R: Listed,
        T: Send,
        F: Fn(R) -> T + Sync,
    {
        let root = match open::dir(&self.root) {
            Ok(root) => root,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Ok((Ordered::from_vec(Vec::new()), Vec::new()));
            }
            Err(e) => return Err(self.listing_failed(e)),
        };
        let parts = self
            .load_all(&root, &convert)
            .map_err(|e| self.listing_failed(e))?;
        Ok(Ordered::new(parts))
    }

    /// The error of a listing that failed as a whole.
    fn listing_failed(&self, e: io::Error) -> Error {
        Error::io("reading session root", &self.root, e).with_kind(ErrorKind::Io)
    }

    /// Reads every session under the root, spreading the work over the available cores.
    ///
    /// The calling thread reads the root directory, puts its entries in order by name and
    /// hands them out in batches, then takes batches itself. One thread per other core is
    /// started as soon as the directory shows more than [`PARALLEL_THRESHOLD`] entries, so
    /// its start and its heap's growth overlap the reading, and takes batches as they come.
    /// Batches, not fixed shares: a thread that starts late or is descheduled (a shared
    /// machine's other work) leaves them to the others instead of holding the listing up. A
    /// smaller root is read on the calling thread alone.
    fn load_all<R: Listed, T: Send>(
        &self,
        root: &OwnedFd,
        convert: &(impl Fn(R) -> T + Sync),
    ) -> io::Result<Vec<Part<T, R::Scratch>>> {
        // About how many sessions each thread will read, known once the directory is read:
        // its vectors are made that large at once rather than grown (and copied) by doubling.
        let share = AtomicUsize::new(0);
        let read = |part: &mut Part<T, R::Scratch>, batch: Batch| -> io::Result<()> {
            part.make_room(batch.len());
            if !part.reserved {
                let share = share.load(Ordering::Relaxed);
                if share > 0 {
                    part.items.reserve(share.saturating_sub(part.items.len()));
                    part.keys.reserve(share.saturating_sub(part.keys.len()));
                    part.reserved = true;
                }
            }
            for entry in 0..batch.len() {
                let (name, place, is_link) = batch.entry(entry);
                #[cfg(test)]
                if batch.provisional {
                    tests::PROVISIONAL_READS.fetch_add(1, Ordering::Relaxed);
                }
                match load_entry::<R>(&self.root, root, name, is_link, &mut part.scratch) {
                    Outcome::Session(s) => {
                        part.keys.push(Key {
                            time: nanos_since_epoch(s.started_at()),
                            rank: place,
                            provisional: batch.provisional,
                            item: part.items.len() as u32,
                        });
                        part.items.push(convert(s));
                    }
                    Outcome::Skipped(s) => part.skipped.push((name.to_vec(), s)),
                    Outcome::NotASession => {}
                    Outcome::Failed(e) => return Err(e),
                }
            }
            Ok(())
        };
        let mut entries = Entries::new(root)?;
        let mut found = Vec::new();
        let mut seen = 0;
        while seen < PARALLEL_THRESHOLD {
            match entries.next_batch()? {
                Some(batch) => {
                    seen += batch.len();
                    found.push(batch);
                }
                None => break,
            }
        }
        let threads = thread::available_parallelism().map_or(1, |n| n.get());
        if entries.done || threads == 1 {
            while let Some(batch) = entries.next_batch()? {
                found.push(batch);
            }
            let (batches, _) = in_name_order(&found, &[]);
            share.store(batches.iter().map(Batch::len).sum(), Ordering::Relaxed);
            let mut part = Part::default();
            for batch in batches {
                read(&mut part, batch)?;
            }
            return Ok(vec![part]);
        }
        let feed = Feed::new();
        // A reader takes batches until none is left, stopping every reader on a fault of the
        // listing itself.
        let take_all = |part: &mut Part<T, R::Scratch>| -> io::Result<()> {
            while let Some(batch) = feed.take() {
                if let Err(e) = read(part, batch) {
                    feed.stop();
                    return Err(e);
                }
            }
            Ok(())
        };
        thread::scope(|scope| {
            let filling = feed.filling();
            // A thread that cannot be started (a process at its limit of threads) leaves its
            // batches to the others: a slower listing, never a failed one.
            let helpers: Vec<_> = (1..threads)
                .filter_map(|_| {
                    thread::Builder::new()
                        .spawn_scoped(scope, || {
                            let mut part = Part {
                                grow_heap: true,
                                ..Part::default()
                            };
                            // Ahead of the first batch, while the directory is being read.
                            part.make_room(0);
                            take_all(&mut part).map(|()| part)
                        })
                        .ok()
                })
                .collect();
            // While the directory is read, its batches are handed out as they come, in its own
            // order: the helpers read them meanwhile (the directory of 10k entries takes some
            // 3-5 ms, of 100k 30-60). What is left when it is read goes out again in order by
            // name.
            let mut listed = Ok(());
            if feed.push(found.iter().cloned()) {
                listed = loop {
                    match entries.next_batch() {
                        Ok(Some(batch)) => {
                            let more = feed.push([batch.clone()]);
                            found.push(batch);
                            if !more {
                                break Ok(());
                            }
                        }
                        Ok(None) => break Ok(()),
                        Err(e) => break Err(e),
                    }
                };
            }
            let mut ranks = Vec::new();
            // A directory that could not be read to its end fails the listing: the filler's
            // guard stops the feed, and the helpers with it.
            let own = listed.and_then(|()| {
                let mut taken = vec![true; entries.position as usize];
                for batch in feed.take_back() {
                    for i in 0..batch.len() {
                        taken[batch.entry(i).1 as usize] = false;
                    }
                }
                let batches;
                (batches, ranks) = in_name_order(&found, &taken);
                let entries: usize = batches.iter().map(Batch::len).sum();
                // Published before the batches, under the feed's lock.
                share.store(entries.div_ceil(threads), Ordering::Relaxed);
                feed.push(batches);
                feed.close();
                drop(filling);
                let mut part = Part::default();
                take_all(&mut part).map(|()| part)
            });
            let mut failed = None;
            let mut parts = Vec::with_capacity(helpers.len() + 1);
            match own {
                Ok(part) => parts.push(part),
                Err(e) => failed = Some(e),
            }
            for helper in helpers {
                match helper
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                {
                    Ok(part) => parts.push(part),
                    Err(e) => {
                        failed.get_or_insert(e);
                    }
                }
            }
            if let Some(e) = failed {
                return Err(e);
            }
            // The places of what was read before the names were ranked, as ranks.
            for key in parts.iter_mut().flat_map(|p| p.keys.iter_mut()) {
                if key.provisional {
                    key.rank = ranks[key.rank as usize];
                    key.provisional = false;
                }
            }
            Ok(parts)
        })
    }
}

/// Below this many entries a listing reads on the calling thread: starting a thread costs
/// more than it saves.
const PARALLEL_THRESHOLD: usize = 256;

/// Entries per batch handed to a reading thread: small enough that the threads finish close
/// together, large enough that handing out costs nothing next to reading.
const BATCH_LEN: usize = 64;

/// About what reading one session allocates on the heap of the thread that reads it, at most:
/// a `Session`'s strings (eight or nine, a few hundred bytes with the allocator's overhead), or
/// a `SessionRecord`'s one block, and a wrapper's box of the record (the Python module's
/// `Arc`). Too much costs address space and one touched page per block of
/// [`grow_thread_heap`].
const HEAP_PER_SESSION: usize = 1024;

/// How many sessions' worth a started thread grows its heap by at a time.
const GROW_SESSIONS: usize = 2048;

/// Grows a fresh thread's malloc heap by about `bytes` at once, ahead of the many small
/// allocations of the sessions it reads.
///
/// glibc grows a thread's heap (a non-main arena) by exactly what each allocation lacks,
/// rounded to a page, with one `mprotect` per growth: a fresh 100k listing made about 3,500
/// of them (`strace -c`), each taking the process's memory-map lock against the other
/// thread's page faults. Allocating blocks just under the size glibc would `mmap` instead,
/// then freeing them, grows the heap in a few hundred steps; what is freed at its top goes
/// back to the kernel with `madvise`, which leaves it writable, so the allocations that
/// follow find room without a system call (fresh listings 4-11% faster under load,
/// bench/RESULTS.md). Nothing is written to the blocks. Another allocator just allocates and
/// frees them.
fn grow_thread_heap(bytes: usize) {
    const BLOCK: usize = 120 * 1024;
    let blocks: Vec<Vec<u8>> = (0..bytes / BLOCK)
        .map(|_| Vec::with_capacity(BLOCK))
        .collect();
    drop(blocks);
}

/// Ranks the entries of `batches` (as the directory gave them) by name, the greatest first,
/// and hands back those not `taken` (by their place in the directory; none is when `taken` is
/// empty) in batches again in that order, each entry with its rank as its place; and, by
/// place in the directory, every entry's rank.
///
/// Ids carry their start time, so records read in this order are almost in the listing's
/// order, which then needs no sort, and each thread's records lie in memory in the order they
/// are read back (a listing's fields read in the directory's own order, a hash's, cost their
/// reader up to half as much again).
fn in_name_order(batches: &[Batch], taken: &[bool]) -> (Vec<Batch>, Vec<u32>) {
    // Sorted by their first 24 bytes as numbers (names hold no NUL, so padding with zeros
    // keeps their order), comparing whole names only where those are equal, which no two ids
    // (20 bytes) are: comparing bytes, a sort of 100k names took 14-29 ms of the calling
    // thread's, while the others waited for their first batch.
    let prefix = |name: &[u8]| {
        let mut head = [0u8; 24];
        let n = name.len().min(24);
        head[..n].copy_from_slice(&name[..n]);
        let (high, low) = head.split_at(16);
        let high = u128::from_be_bytes(high.try_into().expect("16 bytes"));
        let low = u64::from_be_bytes(low.try_into().expect("8 bytes"));
        (high, low)
    };
    let entries: Vec<(&[u8], u32, bool)> = batches
        .iter()
        .flat_map(|b| (0..b.len()).map(|i| b.entry(i)))
        .collect();
    let mut keys: Vec<(u128, u64, u32)> = entries
        .iter()
        .enumerate()
        .map(|(i, &(name, _, _))| {
            let (high, low) = prefix(name);
            (high, low, i as u32)
        })
        .collect();
    keys.sort_unstable_by(|a, b| {
        (b.0, b.1)
            .cmp(&(a.0, a.1))
            .then_with(|| entries[b.2 as usize].0.cmp(entries[a.2 as usize].0))
    });
    let mut ranks = vec![0; entries.len()];
    let mut out: Vec<Batch> = Vec::new();
    for (rank, &(_, _, i)) in keys.iter().enumerate() {
        let (name, place, is_link) = entries[i as usize];
        ranks[place as usize] = rank as u32;
        if taken.get(place as usize) == Some(&true) {
            continue;
        }
        if out.last().is_none_or(|b| b.len() == BATCH_LEN) {
            out.push(Batch::default());
        }
        let batch = out.last_mut().expect("one was pushed");
        batch.push(name, rank as u32, is_link);
    }
    (out, ranks)
}

/// Some of the root's entries that may be sessions.
#[derive(Default, Clone)]
struct Batch {
    /// Whether its entries' places are their positions in the directory, as read, rather
    /// than their ranks by name ([`in_name_order`]).
    provisional: bool,
    /// The entries' names, one after another.
    names: Vec<u8>,
    /// Each entry: where its name ends in `names`, its place, and whether it is a symlink.
    ends: Vec<(u32, u32, bool)>,
}

impl Batch {
    fn push(&mut self, name: &[u8], place: u32, is_link: bool) {
        self.names.extend_from_slice(name);
        // A name is at most 255 bytes, so a batch's names fit a u32; a directory holds fewer
        // than 2^32 entries.
        self.ends.push((self.names.len() as u32, place, is_link));
    }

    fn len(&self) -> usize {
        self.ends.len()
    }

    /// Entry `i`'s name, its place, and whether it is a symlink.
    fn entry(&self, i: usize) -> (&[u8], u32, bool) {
        let start = if i == 0 {
            0
        } else {
            self.ends[i - 1].0 as usize
        };
        let (end, place, is_link) = self.ends[i];
        (&self.names[start..end as usize], place, is_link)
    }
}

/// The root's entries that may be sessions, read a batch at a time: not dot-named, and a
/// directory or a symlink by the directory entry's own type (or by `statat` where the
/// filesystem does not say).
struct Entries<'a> {
    root: &'a OwnedFd,
    dir: Dir,
    /// The directory has been read to its end.
    done: bool,
    /// How many candidates it gave so far: the next one's place.
    position: u32,
}

impl<'a> Entries<'a> {
    fn new(root: &'a OwnedFd) -> io::Result<Self> {
        Ok(Self {
            root,
            dir: Dir::read_from(root)?,
            done: false,
            position: 0,
        })
    }

    /// The next [`BATCH_LEN`] candidates (fewer at the end); `None` once there are none.
    fn next_batch(&mut self) -> io::Result<Option<Batch>> {
        let mut batch = Batch {
            provisional: true,
            ..Batch::default()
        };
        while !self.done && batch.len() < BATCH_LEN {
            let Some(entry) = self.dir.read() else {
                self.done = true;
                break;
            };
            let entry = entry?;
            let name = entry.file_name().to_bytes();
            if name.first() == Some(&b'.') {
                continue;
            }
            let kind = match entry.file_type() {
                FileType::Unknown => {
                    match rfs::statat(self.root, name, AtFlags::SYMLINK_NOFOLLOW) {
                        Ok(st) => FileType::from_raw_mode(st.st_mode),
                        Err(Errno::NOENT) => continue,
                        Err(e) => return Err(e.into()),
                    }
                }
                kind => kind,
            };
            if kind == FileType::Directory || kind == FileType::Symlink {
                batch.push(name, self.position, kind == FileType::Symlink);
                self.position += 1;
            }
        }
        Ok((batch.len() > 0).then_some(batch))
    }
}

/// What orders one session read by a listing thread, and where it sits.
#[derive(Clone, Copy)]
struct Key {
    /// Its start time, a sort key that compares as the time does ([`nanos_since_epoch`]).
    time: i128,
    /// Its entry's place among the root's entries by name, the greatest first; its place in
    /// the directory while `provisional`.
    rank: u32,
    provisional: bool,
    /// Its index in the part's `items`.
    item: u32,
}

/// What one listing thread read: its sessions in reading order, their keys beside them, and
/// the entries it skipped with their names.
struct Part<T, S = ()> {
    items: Vec<T>,
    keys: Vec<Key>,
    skipped: Vec<(Vec<u8>, Skipped)>,
    scratch: Scratch<S>,
    /// Whether `items` and `keys` were made room for the thread's share.
    reserved: bool,
    /// Whether to grow the heap ahead of the sessions (a started thread's new arena, see
    /// [`grow_thread_heap`]), and for how many more sessions it has room.
    grow_heap: bool,
    room: usize,
}

impl<T, S: Default> Default for Part<T, S> {
    fn default() -> Self {
        Self {
            items: Vec::new(),
            keys: Vec::new(),
            skipped: Vec::new(),
            scratch: Scratch::default(),
            reserved: false,
            grow_heap: false,
            room: 0,
        }
    }
}

impl<T, S> Part<T, S> {
    /// Readies the heap for `sessions` more sessions, when this part grows it.
    fn make_room(&mut self, sessions: usize) {
        if !self.grow_heap {
            return;
        }
        if self.room <= sessions {
            let more = GROW_SESSIONS.max(sessions);
            grow_thread_heap(more * HEAP_PER_SESSION);
            self.room += more;
        }
        self.room -= sessions;
    }
}

/// The listing's order of two sessions: the later start time first; for the same time, the
/// greater id (entry name) first.
fn newest_first(a: &Key, b: &Key) -> std::cmp::Ordering {
    b.time.cmp(&a.time).then(a.rank.cmp(&b.rank))
}

/// The sessions of a listing where its threads put them, and the listing's order over them.
///
/// A listing reads its sessions on several threads, each into a vector of its own; this keeps
/// those vectors and sorts only small keys, so a session (several hundred bytes, or more in a
/// wrapper's handle) is written once, by the thread that read it, however the listing sorts.
pub(crate) struct Ordered<T> {
    parts: Vec<Vec<T>>,
    /// Where each session of the listing is, newest first: (part, index in the part).
    order: Vec<(u32, u32)>,
}

// Indexing in place is for the C ABI; Rust and Python take the vector.
#[cfg_attr(not(feature = "capi"), allow(dead_code))]
impl<T> Ordered<T> {
    /// Orders the threads' parts newest first, and gathers their skipped entries, the
    /// greatest name first.
    fn new<S>(parts: Vec<Part<T, S>>) -> (Self, Vec<Skipped>) {
        // Placed by their entries' rank by name, which ids carry their start time in, the
        // sessions are usually in order by time already: checked in one pass, sorted only
        // when not. A place holds where its session is, 8 bytes, not a copy of its key: this
        // runs on the calling thread after the readers, so its time is the listing's.
        const EMPTY: u64 = u64::MAX;
        let ranks = parts
            .iter()
            .flat_map(|part| part.keys.iter().map(|key| key.rank as usize + 1))
            .max()
            .unwrap_or(0);
        let mut by_rank = vec![EMPTY; ranks];
        for (p, part) in parts.iter().enumerate() {
            let p = u64::try_from(p).expect("a part per thread") << 32;
            for key in &part.keys {
                by_rank[key.rank as usize] = p | u64::from(key.item);
            }
        }
        let mut order: Vec<(u32, u32)> = by_rank
            .into_iter()
            .filter(|&at| at != EMPTY)
            .map(|at| ((at >> 32) as u32, at as u32))
            .collect();
        // A key sits at its item's index in its part.
        debug_assert!(parts.iter().all(|part| {
            part.keys
                .iter()
                .enumerate()
                .all(|(i, key)| key.item as usize == i)
        }));
        let key = |&(p, j): &(u32, u32)| &parts[p as usize].keys[j as usize];
        if !order.is_sorted_by(|a, b| newest_first(key(a), key(b)).is_le()) {
            order.sort_unstable_by(|a, b| newest_first(key(a), key(b)));
        }
        let mut skipped: Vec<(Vec<u8>, Skipped)> = Vec::new();
        let mut items = Vec::with_capacity(parts.len());
        for part in parts {
            skipped.extend(part.skipped);
            items.push(part.items);
        }
        skipped.sort_unstable_by(|a, b| b.0.cmp(&a.0));
        let ordered = Self {
            parts: items,
            order,
        };
        (ordered, skipped.into_iter().map(|(_, s)| s).collect())
    }

    /// Values already in order (what a clean removed, one session read alone).
    pub(crate) fn from_vec(items: Vec<T>) -> Self {
        Self {
            order: (0..items.len())
                .map(|j| (0, u32::try_from(j).expect("fewer than 2^32 sessions")))
                .collect(),
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
        Some(&self.parts[p as usize][j as usize])
    }

    /// The sessions, newest first.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> {
        self.order
            .iter()
            .map(|&(p, j)| &self.parts[p as usize][j as usize])
    }

    /// The sessions as one vector, newest first. Each part is first put in the order the
    /// listing visits it, in place (usually it is already: a thread reads its sessions in
    /// order by name, which ids carry their start time in), then the parts are merged: most
    /// sessions are moved once, and no vector as large as the listing is made but the one
    /// returned.
    pub(crate) fn into_vec(self) -> Vec<T> {
        let mut visits: Vec<Vec<u32>> = self
            .parts
            .iter()
            .map(|part| Vec::with_capacity(part.len()))
            .collect();
        for &(p, j) in &self.order {
            visits[p as usize].push(j);
        }
        let mut parts = self.parts;
        for (part, visit) in parts.iter_mut().zip(&visits) {
            permute(part, visit);
        }
        let mut parts: Vec<_> = parts.into_iter().map(Vec::into_iter).collect();
        self.order
            .iter()
            .map(|&(p, _)| {
                parts[p as usize]
                    .next()
                    .expect("the order names each session once")
            })
            .collect()
    }
}

/// Puts `items[order[i]]` at `i`, for every `i`, in place: `order` is a permutation of the
/// places. One swap per item out of place, following each cycle once.
fn permute<T>(items: &mut [T], order: &[u32]) {
    debug_assert_eq!(items.len(), order.len());
    let mut placed = vec![false; items.len()];
    for start in 0..items.len() {
        let mut i = start;
        while !placed[i] {
            placed[i] = true;
            let from = order[i] as usize;
            if from == start {
                break;
            }
            // `i` takes what `from` holds (not yet moved: each place is left once); `from`
            // holds the cycle's first item until its turn.
            items.swap(i, from);
            i = from;
        }
    }
}

/// Buffers one listing thread reuses for every entry.
#[derive(Default)]
struct Scratch<S> {
    /// `<name>/session.json`, relative to the root.
    rel: Vec<u8>,
    /// The record's bytes.
    record: Vec<u8>,
    /// What the record's parser reuses.
    parser: S,
}

/// What a listing reads each record into: the Rust [`Session`], or a face's own form of a
/// record (the C ABI's keeps every text of a record in one block), parsed by the one parser.
pub(crate) trait Listed: Sized + Send {
    /// What a reading thread's parser reuses from one record to the next.
    type Scratch: Default + Send;
    /// Parses a record's bytes as [`Session::from_json`] does, with the target of the
    /// root's entry when that is a symlink (an explicit session).
    fn from_json(
        bytes: &[u8],
        link_target: Option<&Path>,
        scratch: &mut Self::Scratch,
    ) -> Result<Self>;
    /// The record's id, as bytes: compared with the entry's name.
    fn id(&self) -> &[u8];
    /// When the session started.
    fn started_at(&self) -> SystemTime;
}

impl Listed for Session {
    type Scratch = ();

    fn from_json(bytes: &[u8], link_target: Option<&Path>, (): &mut ()) -> Result<Self> {
        let mut session = Session::from_json(bytes)?;
        session.link_target = link_target.map(Path::to_path_buf);
        Ok(session)
    }

    fn id(&self) -> &[u8] {
        self.id.as_str().as_bytes()
    }

    fn started_at(&self) -> SystemTime {
        self.started_at
    }
}

/// Reads one root entry.
fn load_entry<R: Listed>(
    root_path: &Path,
    root: &OwnedFd,
    name: &[u8],
    is_link: bool,
    scratch: &mut Scratch<R::Scratch>,
) -> Outcome<R> {
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
    let parser = &mut scratch.parser;
    let parsed = record_io::parse_with(
        &file,
        &mut scratch.record,
        || entry_path().join(RECORD_FILE),
        |bytes| R::from_json(bytes, link_target.as_deref(), parser),
    );
    match parsed {
        Err(e) => skip(e.to_string()),
        Ok(s) if s.id() != name => skip(format!(
            "{}: the record's id {} differs from its entry name; it was copied or renamed, so \
             operations by id cannot reach it; rename the entry to its id",
            entry_path().join(RECORD_FILE).display(),
            String::from_utf8_lossy(s.id())
        )),
        Ok(s) => Outcome::Session(s),
    }
}

#[cfg(test)]
mod tests {
    use std::process::Command;

    use std::time::SystemTime;

    use super::*;
    use crate::NewSession;
    use rand::RngExt as _;
    use rand::seq::SliceRandom as _;

    const CHILD: &str = "OUTRIG_DESCRIPTOR_EXHAUSTION_CHILD";

    /// Entries read from batches handed out before the names were ranked.
    pub(super) static PROVISIONAL_READS: AtomicUsize = AtomicUsize::new(0);

    #[test]
    fn entries_read_while_the_directory_is_read_take_their_rank_in_the_order() {
        let tmp = tempfile::tempdir().unwrap();
        let store = SessionStore::new(tmp.path().join("root")).unwrap();
        let made = store.create(&NewSession::new("c", "t", "/w")).unwrap();
        let template = made.to_json().unwrap();
        let template = String::from_utf8(template).unwrap();
        store.remove(&made.id).unwrap();
        let stamp = |s: u64| format!("2026-05-01T00:{:02}:{:02}Z", s / 60, s % 60);
        let record: serde_json::Value = serde_json::from_str(&template).unwrap();
        let old_stamp = record["started_at"].as_str().unwrap().to_owned();
        // Start times that disagree with the ids, many shared (ties go by id), over enough
        // entries that the helper reads some while the directory is still being read.
        let mut want = Vec::new();
        for i in 0..4000u64 {
            let id = format!("20260501T{:06}-{:04x}", i / 10, i);
            let second = (i * 7919) % 900;
            let dir = store.root().join(&id);
            std::fs::create_dir(&dir).unwrap();
            let text = template
                .replace(made.id.as_str(), &id)
                .replace(&old_stamp, &stamp(second));
            std::fs::write(dir.join(RECORD_FILE), text).unwrap();
            want.push((second, id));
        }
        want.sort_by(|a, b| b.cmp(a));
        let want: Vec<String> = want.into_iter().map(|(_, id)| id).collect();
        PROVISIONAL_READS.store(0, Ordering::Relaxed);
        for _ in 0..20 {
            let listing = store.list().unwrap();
            let got: Vec<String> = listing.sessions.iter().map(|s| s.id.to_string()).collect();
            assert!(got == want, "the listing's order");
        }
        if thread::available_parallelism().map_or(1, |n| n.get()) > 1 {
            assert!(
                PROVISIONAL_READS.load(Ordering::Relaxed) > 0,
                "no entry was read while the directory was"
            );
        }
    }

    /// A listing thread's part that read `sessions` (value, start second, rank of the entry's
    /// name) in this order, and skipped the entries `skipped`.
    fn part(sessions: &[(&'static str, i128, u32)], skipped: &[&str]) -> Part<&'static str> {
        let mut part = Part::default();
        for (i, &(value, second, rank)) in sessions.iter().enumerate() {
            part.keys.push(Key {
                time: second * 1_000_000_000,
                rank,
                provisional: false,
                item: i as u32,
            });
            part.items.push(value);
        }
        for name in skipped {
            let entry = name.to_string();
            let reason = format!("{name} is bad");
            part.skipped
                .push((name.as_bytes().to_vec(), Skipped { entry, reason }));
        }
        part
    }

    #[test]
    fn ordered_values_stay_in_their_parts_and_list_newest_first() {
        // Start times against the reading order and across the parts; the same time is
        // ordered by the entry's rank by name (the greatest name first), wherever the two
        // were read.
        let parts = || {
            vec![
                part(&[("old", 1, 0), ("tie-b", 5, 3), ("newest", 9, 4)], &["m"]),
                part(&[], &[]),
                part(
                    &[("tie-c", 5, 1), ("new", 8, 5), ("tie-a", 5, 6)],
                    &["x", "b"],
                ),
            ]
        };
        let want = ["newest", "new", "tie-c", "tie-b", "tie-a", "old"];
        let (ordered, skipped) = Ordered::new(parts());
        assert_eq!(ordered.len(), 6);
        assert_eq!(ordered.iter().copied().collect::<Vec<_>>(), want);
        assert_eq!(
            (0..6).map(|i| *ordered.get(i).unwrap()).collect::<Vec<_>>(),
            want
        );
        assert_eq!(ordered.get(6), None);
        assert_eq!(ordered.into_vec(), want);
        let names: Vec<_> = skipped.iter().map(|s| s.entry.as_str()).collect();
        assert_eq!(
            names,
            ["x", "m", "b"],
            "skipped entries, the greatest name first"
        );
        assert_eq!(skipped[0].reason, "x is bad");
        // One part already in order: its values as they are.
        let (ordered, _) = Ordered::new(vec![part(&[("b", 2, 0), ("a", 1, 1)], &[])]);
        assert_eq!(ordered.into_vec(), ["b", "a"]);
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

    #[test]
    fn entries_are_handed_out_by_name_the_greatest_first_with_their_ranks() {
        // Names that share their first 16 bytes, are prefixes of others, or are short.
        let mut names: Vec<Vec<u8>> = vec![
            b"20260501T000000-0001".to_vec(),
            b"20260501T000000-0002".to_vec(),
            b"20260501T000000-".to_vec(),
            b"20260501T000000-00".to_vec(),
            b"20260501T000000".to_vec(),
            b"b".to_vec(),
            b"a".to_vec(),
            b"ab".to_vec(),
            vec![0xff; 40],
            [vec![0xff; 16], vec![0x01]].concat(),
        ];
        names.extend((0..150).map(|i| format!("20251231T{i:06}-ffff").into_bytes()));
        // As the directory gives them: in batches, each entry at its place.
        let mut input = Vec::new();
        let mut place = 0;
        for (i, chunk) in names.chunks(7).enumerate() {
            let mut batch = Batch::default();
            for name in chunk {
                batch.push(name, place, i % 2 == 0);
                place += 1;
            }
            input.push(batch);
        }
        let by_place: Vec<(Vec<u8>, bool)> = input
            .iter()
            .flat_map(|b| (0..b.len()).map(|i| b.entry(i)))
            .map(|(n, _, l)| (n.to_vec(), l))
            .collect();
        let mut sorted = names.clone();
        sorted.sort_by(|a, b| b.cmp(a));
        // Every third entry was taken (read) already: it is ranked, not handed out again.
        let taken: Vec<bool> = (0..names.len()).map(|p| p % 3 == 0).collect();
        for taken in [&[][..], &taken[..]] {
            let (batches, ranks) = in_name_order(&input, taken);
            for (place, (name, _)) in by_place.iter().enumerate() {
                assert_eq!(
                    &sorted[ranks[place] as usize], name,
                    "the rank of place {place}"
                );
            }
            let mut handed = Vec::new();
            for batch in &batches {
                assert!(!batch.provisional);
                assert!(batch.len() <= BATCH_LEN && batch.len() > 0);
                for i in 0..batch.len() {
                    let (name, rank, is_link) = batch.entry(i);
                    assert_eq!(name, sorted[rank as usize], "rank {rank}");
                    let place = by_place.iter().position(|(n, _)| n == name).unwrap();
                    assert_eq!(is_link, by_place[place].1, "{name:?} keeps its type");
                    assert_ne!(taken.get(place), Some(&true), "{name:?} was taken");
                    handed.push(rank);
                }
            }
            // In rank order, every entry not taken once.
            let want: Vec<u32> = (0..names.len())
                .filter(|&r| {
                    let place = by_place.iter().position(|(n, _)| *n == sorted[r]).unwrap();
                    taken.get(place) != Some(&true)
                })
                .map(|r| r as u32)
                .collect();
            assert_eq!(handed, want);
        }
    }

    #[test]
    fn permute_puts_each_item_where_the_order_says() {
        let mut rng = rand::rng();
        for len in [0usize, 1, 2, 3, 10, 257] {
            for _ in 0..20 {
                let mut order: Vec<u32> = (0..len as u32).collect();
                // Mostly in place, as a listing's parts are, or shuffled whole.
                if rng.random_bool(0.5) {
                    order.shuffle(&mut rng);
                } else if len > 1 {
                    for _ in 0..len / 8 + 1 {
                        let (a, b) = (rng.random_range(0..len), rng.random_range(0..len));
                        order.swap(a, b);
                    }
                }
                let mut items: Vec<String> = (0..len).map(|i| format!("item {i}")).collect();
                let want: Vec<String> = order.iter().map(|&i| items[i as usize].clone()).collect();
                permute(&mut items, &order);
                assert_eq!(items, want, "{order:?}");
            }
        }
    }

    #[test]
    fn start_times_before_the_epoch_sort_as_times() {
        let at = |s: i64| {
            let d = std::time::Duration::new(s.unsigned_abs(), 5);
            if s < 0 {
                SystemTime::UNIX_EPOCH - d
            } else {
                SystemTime::UNIX_EPOCH + d
            }
        };
        let mut times = [at(-3), at(4), at(0), at(-1_000_000), at(1)];
        let mut keys: Vec<i128> = times.iter().map(|&t| nanos_since_epoch(t)).collect();
        times.sort();
        keys.sort();
        assert_eq!(
            keys,
            times
                .iter()
                .map(|&t| nanos_since_epoch(t))
                .collect::<Vec<_>>()
        );
        assert_eq!(nanos_since_epoch(at(-3)), -3_000_000_005);
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
        let outcome = load_entry::<Session>(
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

        // Enough entries to be read by several threads: the thread whose open fails stops
        // the others, and the listing fails rather than hanging or skipping.
        let record = std::fs::read(store.root().join(ids[0].as_str()).join(RECORD_FILE)).unwrap();
        for i in 0..3 * PARALLEL_THRESHOLD {
            let dir = store.root().join(format!("entry-{i:04}"));
            std::fs::create_dir(&dir).unwrap();
            std::fs::write(dir.join(RECORD_FILE), &record).unwrap();
        }
        let mut hog = Vec::new();
        while let Ok(f) = std::fs::File::open("/dev/null") {
            hog.push(f);
        }
        // Room for the root and the directory stream, none for a record.
        hog.truncate(hog.len() - 2);
        for _ in 0..20 {
            let err = store.list().unwrap_err();
            assert_eq!(err.os_error(), Some(Errno::MFILE.raw_os_error()), "{err}");
        }
        drop(hog);
        let listing = store.list().unwrap();
        assert_eq!(listing.sessions.len(), 3);
        assert_eq!(
            listing.skipped.len(),
            3 * PARALLEL_THRESHOLD,
            "ids that differ from names"
        );
    }
}
