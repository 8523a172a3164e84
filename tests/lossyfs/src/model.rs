//! The filesystem's state: what processes see now, what is durable, and what is still held.
//!
//! Every node lives twice: in `live`, the view processes read and write, and in `durable`, the
//! node as the disk holds it. A change to a file's bytes or to a directory's entries is applied
//! to `live` and queued on that file or directory; `fsync`/`fdatasync` of the file or directory
//! makes its own queue durable and nothing else. A power cut ([`Model::crash`]) keeps, of each
//! queue independently, whatever the model allows (see [`Crash`]); the rest is lost.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::ffi::{OsStr, OsString};
use std::path::PathBuf;

/// An inode number. The root is [`ROOT`].
pub type Ino = u64;

/// The inode number of the mount's root directory (FUSE's fixed root).
pub const ROOT: Ino = 1;

/// An errno value, as the operations report failures.
pub type Errno = i32;

/// A file, a directory or a symbolic link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// A regular file and its bytes.
    File(Vec<u8>),
    /// A directory: entry names and the inodes they name.
    Dir(BTreeMap<OsString, Ino>),
    /// A symbolic link and its target.
    Symlink(PathBuf),
}

/// What [`Model::make`] creates.
#[derive(Debug, Clone)]
pub enum NewNode {
    /// An empty regular file.
    File,
    /// An empty directory.
    Dir,
    /// A symbolic link to the given target.
    Symlink(PathBuf),
}

/// One held change of a directory's entries.
#[derive(Debug, Clone)]
enum DirChange {
    /// An entry made (create, mkdir, symlink).
    Add(OsString, Ino),
    /// An entry removed (unlink, rmdir).
    Remove(OsString),
    /// An entry renamed within the directory, replacing any entry of the new name.
    Rename(OsString, OsString),
}

/// One held change of a file's bytes.
#[derive(Debug, Clone)]
enum DataChange {
    Write { offset: u64, bytes: Vec<u8> },
    SetLen(u64),
}

/// The whole filesystem: both views, the held changes, and the power switch.
#[derive(Debug, Clone)]
pub struct Model {
    live: HashMap<Ino, Node>,
    durable: HashMap<Ino, Node>,
    /// Held entry changes per directory, in the order they were made.
    dirs: BTreeMap<Ino, Vec<DirChange>>,
    /// Held byte changes per file, in the order they were made.
    files: BTreeMap<Ino, Vec<DataChange>>,
    /// The next inode number to hand out; never reused, even across cuts, so the kernel never
    /// meets an old inode number that now means another node.
    next_ino: Ino,
    /// Changes and syncs performed so far (the steps a cut can fall between).
    steps: u64,
    /// Power fails once `steps` reaches this.
    cut_after: Option<u64>,
    /// Syncs (`fsync`/`fdatasync` of a file or directory) asked for so far.
    syncs: u64,
    /// The sync of this number (counted from 0 since the last boot) fails with `EIO` while
    /// the power stays on.
    fail_sync: Option<u64>,
    /// The step a failed sync took, once one failed.
    failed_sync_step: Option<u64>,
    /// When a name equal to the first is made anywhere, the file at the path (components from
    /// the root) is unlinked at once, as another process racing the maker would.
    unlink_when_made: Option<(OsString, Vec<OsString>)>,
    /// How many times each name was made since the last boot.
    made: HashMap<OsString, u32>,
    /// The steps since the last boot, described.
    log: Vec<String>,
}

impl Default for Model {
    fn default() -> Self {
        Self::new()
    }
}

impl Model {
    /// An empty filesystem: a root directory, durable.
    pub fn new() -> Self {
        let root = HashMap::from([(ROOT, Node::Dir(BTreeMap::new()))]);
        Self {
            live: root.clone(),
            durable: root,
            dirs: BTreeMap::new(),
            files: BTreeMap::new(),
            next_ino: ROOT + 1,
            steps: 0,
            cut_after: None,
            syncs: 0,
            fail_sync: None,
            failed_sync_step: None,
            unlink_when_made: None,
            made: HashMap::new(),
            log: Vec::new(),
        }
    }

    /// Whether the power is off: every operation then fails with `EIO`.
    pub fn is_dead(&self) -> bool {
        self.cut_after.is_some_and(|k| self.steps >= k)
    }

    /// Changes and syncs performed since this model was made or booted.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// Cuts the power right after step `k` (counted from the last boot): that step completes,
    /// the next one and everything after fail with `EIO`. `None` keeps the power on.
    pub fn cut_after(&mut self, k: Option<u64>) {
        self.cut_after = k;
    }

    /// Syncs asked for since this model was made or booted (failed ones included).
    pub fn syncs(&self) -> u64 {
        self.syncs
    }

    /// Makes sync number `n` (counted from 0 since the last boot) fail once with `EIO`, the
    /// power staying on: a disk that reported a write error. The failed sync is a step (it was
    /// tried) and makes nothing durable; what it would have made durable stays held, so a later
    /// sync or cut treats it as any held change. (Linux may instead drop a file's unwritten
    /// pages after such an error, so that a later fsync of the same file reports success
    /// without them; the model does not: a writer that retries fsync on the same file is not
    /// judged here. The store never does: it gives up the temporary file and reports the
    /// error.) `None` fails no sync.
    pub fn fail_sync(&mut self, n: Option<u64>) {
        self.fail_sync = n;
    }

    /// The step the sync made to fail by [`fail_sync`](Self::fail_sync) took, once it failed.
    pub fn failed_sync_step(&self) -> Option<u64> {
        self.failed_sync_step
    }

    /// Once a name equal to `trigger` is made anywhere, unlinks the file at `victim`
    /// (components from the root), as another process racing the maker would: not a step of
    /// this process, and held like any entry change. Once; a boot clears it.
    pub fn unlink_when_made(&mut self, trigger: &OsStr, victim: Vec<OsString>) {
        self.unlink_when_made = Some((trigger.to_owned(), victim));
    }

    /// The racing unlink armed by [`unlink_when_made`](Self::unlink_when_made), if `name` is
    /// its trigger. Nothing happens when the victim is not there.
    fn race(&mut self, name: &OsStr) {
        let armed = self.unlink_when_made.take();
        let victim = match armed {
            Some((trigger, victim)) if trigger == name => victim,
            other => {
                self.unlink_when_made = other;
                return;
            }
        };
        let Some((last, dirs)) = victim.split_last() else {
            return;
        };
        let mut dir = ROOT;
        for part in dirs {
            match self.lookup(dir, part) {
                Ok(ino) => dir = ino,
                Err(_) => return,
            }
        }
        if matches!(
            self.lookup(dir, last).and_then(|i| self.node(i)),
            Ok(Node::File(_))
        ) {
            self.dir_entries_mut(dir).remove(last);
            self.hold_dir(dir, DirChange::Remove(last.clone()));
        }
    }

    /// How many times an entry named `name` was made (anywhere) since the last boot.
    pub fn times_made(&self, name: &OsStr) -> u32 {
        self.made.get(name).copied().unwrap_or(0)
    }

    /// The next inode number this model would hand out (every number it used is below).
    pub fn next_ino(&self) -> Ino {
        self.next_ino
    }

    /// Whether anything is held (not yet durable).
    pub fn has_pending(&self) -> bool {
        !self.dirs.is_empty() || !self.files.is_empty()
    }

    /// The live node `ino`.
    pub fn node(&self, ino: Ino) -> Result<&Node, Errno> {
        self.alive()?;
        self.live.get(&ino).ok_or(libc::ESTALE)
    }

    /// The live node `ino` even with the power off: for answering the call whose step was the
    /// last before the cut (it completed, so it reports success).
    pub fn peek(&self, ino: Ino) -> Option<&Node> {
        self.live.get(&ino)
    }

    /// The inode `name` names in directory `parent`.
    pub fn lookup(&self, parent: Ino, name: &OsStr) -> Result<Ino, Errno> {
        self.entries(parent)?.get(name).copied().ok_or(libc::ENOENT)
    }

    /// The live entries of directory `dir`.
    pub fn entries(&self, dir: Ino) -> Result<&BTreeMap<OsString, Ino>, Errno> {
        match self.node(dir)? {
            Node::Dir(entries) => Ok(entries),
            _ => Err(libc::ENOTDIR),
        }
    }

    /// Makes `name` in `parent`; `EEXIST` when the name is taken.
    pub fn make(&mut self, parent: Ino, name: &OsStr, new: NewNode) -> Result<Ino, Errno> {
        if self.entries(parent)?.contains_key(name) {
            return Err(libc::EEXIST);
        }
        self.step(|| format!("make {} in {parent}", name.to_string_lossy()))?;
        let ino = self.next_ino;
        self.next_ino += 1;
        let node = match new {
            NewNode::File => Node::File(Vec::new()),
            NewNode::Dir => Node::Dir(BTreeMap::new()),
            NewNode::Symlink(target) => Node::Symlink(target),
        };
        // The inode itself is on disk at once (empty, or with its link target, which lives in
        // the inode); whether any directory names it depends on the parent's entries.
        self.durable.insert(ino, node.clone());
        self.live.insert(ino, node);
        self.dir_entries_mut(parent).insert(name.to_owned(), ino);
        self.hold_dir(parent, DirChange::Add(name.to_owned(), ino));
        *self.made.entry(name.to_owned()).or_default() += 1;
        self.race(name);
        Ok(ino)
    }

    /// Removes the entry `name` of `parent`: a non-directory (`unlink`) or, with `dir`, an
    /// empty directory (`rmdir`).
    pub fn remove(&mut self, parent: Ino, name: &OsStr, dir: bool) -> Result<(), Errno> {
        let ino = self.lookup(parent, name)?;
        match (self.node(ino)?, dir) {
            (Node::Dir(_), false) => return Err(libc::EISDIR),
            (Node::Dir(entries), true) if !entries.is_empty() => return Err(libc::ENOTEMPTY),
            (Node::File(_) | Node::Symlink(_), true) => return Err(libc::ENOTDIR),
            _ => {}
        }
        self.step(|| format!("remove {} in {parent}", name.to_string_lossy()))?;
        self.dir_entries_mut(parent).remove(name);
        self.hold_dir(parent, DirChange::Remove(name.to_owned()));
        Ok(())
    }

    /// Renames `from` to `to`, both in `parent`, replacing what `to` names (unless
    /// `noreplace`). Renames between directories are refused with `EXDEV`: the store never
    /// does one, and refusing keeps every held change inside one directory's queue.
    pub fn rename(
        &mut self,
        parent: Ino,
        from: &OsStr,
        new_parent: Ino,
        to: &OsStr,
        noreplace: bool,
    ) -> Result<(), Errno> {
        let ino = self.lookup(parent, from)?;
        if parent != new_parent {
            self.alive()?;
            return Err(libc::EXDEV);
        }
        if from == to {
            return Ok(());
        }
        if let Ok(old) = self.lookup(parent, to) {
            if noreplace {
                return Err(libc::EEXIST);
            }
            match (self.node(ino)?, self.node(old)?) {
                (Node::Dir(_), Node::Dir(entries)) if !entries.is_empty() => {
                    return Err(libc::ENOTEMPTY);
                }
                (Node::Dir(_), Node::Dir(_)) => {}
                (Node::Dir(_), _) => return Err(libc::ENOTDIR),
                (_, Node::Dir(_)) => return Err(libc::EISDIR),
                _ => {}
            }
        }
        self.step(|| {
            format!(
                "rename {} to {} in {parent}",
                from.to_string_lossy(),
                to.to_string_lossy()
            )
        })?;
        let entries = self.dir_entries_mut(parent);
        entries.remove(from);
        entries.insert(to.to_owned(), ino);
        self.hold_dir(parent, DirChange::Rename(from.to_owned(), to.to_owned()));
        Ok(())
    }

    /// Writes `bytes` at `offset` of file `ino` (extending it with zeros as needed).
    pub fn write(&mut self, ino: Ino, offset: u64, bytes: &[u8]) -> Result<(), Errno> {
        self.file(ino)?;
        self.step(|| format!("write {} bytes to {ino}", bytes.len()))?;
        let change = DataChange::Write {
            offset,
            bytes: bytes.to_vec(),
        };
        apply_data(self.file_mut(ino), &change);
        self.files.entry(ino).or_default().push(change);
        Ok(())
    }

    /// Sets the length of file `ino` (truncate or extend with zeros).
    pub fn set_len(&mut self, ino: Ino, len: u64) -> Result<(), Errno> {
        self.file(ino)?;
        self.step(|| format!("set length of {ino} to {len}"))?;
        let change = DataChange::SetLen(len);
        apply_data(self.file_mut(ino), &change);
        self.files.entry(ino).or_default().push(change);
        Ok(())
    }

    /// Reads up to `size` bytes at `offset` of file `ino`.
    pub fn read(&self, ino: Ino, offset: u64, size: usize) -> Result<&[u8], Errno> {
        let data = self.file(ino)?;
        let start = usize::try_from(offset).map_or(data.len(), |o| o.min(data.len()));
        let end = start.saturating_add(size).min(data.len());
        Ok(&data[start..end])
    }

    /// `fsync`/`fdatasync` of `ino`: a file's bytes or a directory's entries become durable.
    /// Nothing else does: not the entry that names `ino` in its parent, not its children.
    pub fn sync(&mut self, ino: Ino) -> Result<(), Errno> {
        let node = self.node(ino)?.clone();
        self.step(|| format!("sync {ino}"))?;
        let n = self.syncs;
        self.syncs += 1;
        if self.fail_sync == Some(n) {
            self.failed_sync_step = Some(self.steps);
            return Err(libc::EIO);
        }
        match node {
            Node::Dir(_) => {
                self.dirs.remove(&ino);
            }
            Node::File(_) => {
                self.files.remove(&ino);
            }
            Node::Symlink(_) => return Ok(()),
        }
        self.durable.insert(ino, node);
        Ok(())
    }

    /// Makes everything durable at once (for setting a scene up, not a step).
    pub fn sync_everything(&mut self) {
        self.durable = self.live.clone();
        self.dirs.clear();
        self.files.clear();
    }

    /// What the disk holds if the power fails now: the durable state and every held change.
    pub fn crash(&self) -> Crash {
        Crash {
            model: self.clone(),
        }
    }

    fn alive(&self) -> Result<(), Errno> {
        if self.is_dead() {
            Err(libc::EIO)
        } else {
            Ok(())
        }
    }

    /// Counts one change or sync, or refuses it when the power is off.
    fn step(&mut self, what: impl FnOnce() -> String) -> Result<(), Errno> {
        self.alive()?;
        self.steps += 1;
        self.log.push(what());
        Ok(())
    }

    /// The steps taken since the last boot, one line each (inodes by number), for messages.
    pub fn step_log(&self) -> &[String] {
        &self.log
    }

    fn file(&self, ino: Ino) -> Result<&Vec<u8>, Errno> {
        match self.node(ino)? {
            Node::File(data) => Ok(data),
            Node::Dir(_) => Err(libc::EISDIR),
            Node::Symlink(_) => Err(libc::EINVAL),
        }
    }

    fn file_mut(&mut self, ino: Ino) -> &mut Vec<u8> {
        match self.live.get_mut(&ino) {
            Some(Node::File(data)) => data,
            _ => unreachable!("checked to be a file before the step"),
        }
    }

    fn dir_entries_mut(&mut self, dir: Ino) -> &mut BTreeMap<OsString, Ino> {
        match self.live.get_mut(&dir) {
            Some(Node::Dir(entries)) => entries,
            _ => unreachable!("checked to be a directory before the step"),
        }
    }

    fn hold_dir(&mut self, dir: Ino, change: DirChange) {
        self.dirs.entry(dir).or_default().push(change);
    }
}

fn apply_data(data: &mut Vec<u8>, change: &DataChange) {
    match change {
        DataChange::Write { offset, bytes } => {
            let start = usize::try_from(*offset).expect("offset fits in memory");
            let end = start + bytes.len();
            if data.len() < end {
                data.resize(end, 0);
            }
            data[start..end].copy_from_slice(bytes);
        }
        DataChange::SetLen(len) => {
            data.resize(usize::try_from(*len).expect("length fits in memory"), 0);
        }
    }
}

fn apply_dir(entries: &mut BTreeMap<OsString, Ino>, change: &DirChange) {
    match change {
        DirChange::Add(name, ino) => {
            entries.insert(name.clone(), *ino);
        }
        DirChange::Remove(name) => {
            entries.remove(name);
        }
        DirChange::Rename(from, to) => {
            if let Some(ino) = entries.remove(from) {
                entries.insert(to.clone(), ino);
            }
        }
    }
}

/// The state of the disk at a power cut, and every state it may come back up in.
///
/// The rules (at least as harsh as ext4 `data=ordered`, XFS and btrfs):
/// 1. A file's bytes become durable only through `fsync`/`fdatasync` of that file. Of its held
///    writes and length changes, a cut keeps an in-order prefix, possibly tearing the next
///    write (its first half kept), or keeps only the new length with the held bytes read as
///    zeros (metadata written, data blocks not).
/// 2. A directory's entries (create, mkdir, symlink, unlink, rmdir, rename within it) become
///    durable only through `fsync` of that directory. A cut keeps an in-order prefix of its
///    held changes: the order a journal commits them in.
/// 3. Queues are independent: any combination of the prefixes above, across files and
///    directories, may survive. An `fsync` of a file does not make its name durable, nor an
///    `fsync` of a directory its own entry in its parent, nor its children's bytes. (ext4 in
///    fact commits everything earlier with any fsync; the model does not rely on that.)
/// 4. So a rename can survive without the renamed file's bytes, and bytes without their name.
/// 5. What hangs under a directory that did not survive is gone with it.
///
/// Each surviving state is an *outcome*, numbered `0..outcomes()`; outcome 0 loses every held
/// change.
#[derive(Debug, Clone)]
pub struct Crash {
    model: Model,
}

impl Crash {
    /// How many states the disk may come back in (saturating at `u64::MAX`).
    pub fn outcomes(&self) -> u64 {
        self.radices()
            .iter()
            .fold(1u64, |n, (_, r)| n.saturating_mul(*r))
    }

    /// The outcome that keeps every held change (the state processes saw at the cut).
    pub fn everything_kept(&self) -> u64 {
        let mut index = 0;
        let mut scale = 1u64;
        for (item, radix) in self.radices() {
            let kept = match item {
                Item::Dir(ino) => self.model.dirs[&ino].len(),
                Item::File(ino) => self.model.files[&ino].len(),
            } as u64;
            index += kept * scale;
            scale = scale.saturating_mul(radix);
        }
        index
    }

    /// Held changes at the cut: directory entry changes and file byte changes.
    pub fn held(&self) -> (usize, usize) {
        (
            self.model.dirs.values().map(Vec::len).sum(),
            self.model.files.values().map(Vec::len).sum(),
        )
    }

    /// A short account of what `outcome` keeps, for failure messages.
    pub fn describe(&self, outcome: u64) -> String {
        let mut out = Vec::new();
        for (item, variant) in self.decode(outcome) {
            match item {
                Item::Dir(ino) => out.push(format!(
                    "dir {} keeps {variant}/{} entry changes",
                    self.path_of(ino),
                    self.model.dirs[&ino].len()
                )),
                Item::File(ino) => {
                    let n = self.model.files[&ino].len();
                    out.push(format!(
                        "file {} {}",
                        self.path_of(ino),
                        match FileVariant::of(variant, n) {
                            FileVariant::Prefix(k) => format!("keeps {k}/{n} writes"),
                            FileVariant::Torn(k) => format!("keeps {k}/{n} writes, tears the next"),
                            FileVariant::Zeroed => "keeps its length, not its bytes".to_owned(),
                        }
                    ));
                }
            }
        }
        if out.is_empty() {
            "nothing was held".to_owned()
        } else {
            out.join("; ")
        }
    }

    /// The filesystem as it boots after the cut, in `outcome`: every surviving node durable,
    /// nothing held, the power on, and every inode renumbered past any number used before.
    pub fn boot(&self, outcome: u64) -> Model {
        self.boot_above(outcome, self.model.next_ino)
    }

    /// [`boot`](Self::boot), numbering inodes from `first_ino` or above (past what a model
    /// that ran since the cut has handed out).
    pub fn boot_above(&self, outcome: u64, first_ino: Ino) -> Model {
        let mut nodes = self.model.durable.clone();
        for (item, variant) in self.decode(outcome) {
            match item {
                Item::Dir(ino) => {
                    if let Some(Node::Dir(entries)) = nodes.get_mut(&ino) {
                        for change in &self.model.dirs[&ino][..variant] {
                            apply_dir(entries, change);
                        }
                    }
                }
                Item::File(ino) => {
                    let changes = &self.model.files[&ino];
                    let Some(Node::File(data)) = nodes.get_mut(&ino) else {
                        continue;
                    };
                    match FileVariant::of(variant, changes.len()) {
                        FileVariant::Prefix(k) => {
                            changes[..k].iter().for_each(|c| apply_data(data, c));
                        }
                        FileVariant::Torn(k) => {
                            changes[..k].iter().for_each(|c| apply_data(data, c));
                            if let DataChange::Write { offset, bytes } = &changes[k] {
                                let half = DataChange::Write {
                                    offset: *offset,
                                    bytes: bytes[..bytes.len() / 2].to_vec(),
                                };
                                apply_data(data, &half);
                            }
                        }
                        FileVariant::Zeroed => {
                            let mut len = data.len();
                            if let Some(Node::File(live)) = self.model.live.get(&ino) {
                                len = live.len();
                            }
                            let keep = data.len().min(len);
                            data.truncate(keep);
                            data.resize(len, 0);
                        }
                    }
                }
            }
        }
        renumbered(&nodes, first_ino.max(self.model.next_ino))
    }

    /// Files and directories with held changes, each with its number of variants.
    fn radices(&self) -> Vec<(Item, u64)> {
        let dirs = self
            .model
            .dirs
            .iter()
            .map(|(ino, changes)| (Item::Dir(*ino), changes.len() as u64 + 1));
        let files = self
            .model
            .files
            .iter()
            .map(|(ino, changes)| (Item::File(*ino), FileVariant::count(changes) as u64));
        dirs.chain(files).collect()
    }

    /// The variant each held item takes in `outcome` (mixed radix, first item lowest).
    fn decode(&self, mut outcome: u64) -> Vec<(Item, usize)> {
        self.radices()
            .into_iter()
            .map(|(item, radix)| {
                let variant = (outcome % radix) as usize;
                outcome /= radix;
                (item, variant)
            })
            .collect()
    }

    /// The path of `ino` at the cut, for messages: in the live tree, else (removed since) in
    /// the durable one, else `?`.
    fn path_of(&self, ino: Ino) -> String {
        [&self.model.live, &self.model.durable]
            .into_iter()
            .find_map(|nodes| path_in(nodes, ino))
            .unwrap_or_else(|| format!("?(inode {ino})"))
    }
}

/// The path of `ino` in the tree `nodes` (breadth first from the root).
fn path_in(nodes: &HashMap<Ino, Node>, ino: Ino) -> Option<String> {
    if ino == ROOT {
        return Some("/".to_owned());
    }
    let mut queue = VecDeque::from([(ROOT, String::new())]);
    while let Some((dir, path)) = queue.pop_front() {
        if let Some(Node::Dir(entries)) = nodes.get(&dir) {
            for (name, child) in entries {
                let child_path = format!("{path}/{}", name.to_string_lossy());
                if *child == ino {
                    return Some(child_path);
                }
                queue.push_back((*child, child_path));
            }
        }
    }
    None
}

#[derive(Debug, Clone, Copy)]
enum Item {
    Dir(Ino),
    File(Ino),
}

/// What a cut keeps of one file's held byte changes.
enum FileVariant {
    /// The first `k` changes.
    Prefix(usize),
    /// The first `k` changes and the first half of the next (a write).
    Torn(usize),
    /// The length processes saw, the held bytes as zeros.
    Zeroed,
}

impl FileVariant {
    /// Variants are numbered: prefixes `0..=n`, then one tear per write, then zeroed.
    fn count(changes: &[DataChange]) -> usize {
        changes.len() + 1 + changes.len() + 1
    }

    fn of(variant: usize, n: usize) -> Self {
        if variant <= n {
            Self::Prefix(variant)
        } else if variant <= 2 * n {
            Self::Torn(variant - n - 1)
        } else {
            Self::Zeroed
        }
    }
}

/// The nodes reachable from the root, renumbered from `next_ino` up, as a fresh model.
fn renumbered(nodes: &HashMap<Ino, Node>, next_ino: Ino) -> Model {
    let mut numbers = HashMap::from([(ROOT, ROOT)]);
    let mut order = vec![ROOT];
    let mut seen = HashSet::from([ROOT]);
    let mut queue = VecDeque::from([ROOT]);
    let mut next = next_ino;
    while let Some(ino) = queue.pop_front() {
        if let Some(Node::Dir(entries)) = nodes.get(&ino) {
            for child in entries.values() {
                if nodes.contains_key(child) && seen.insert(*child) {
                    numbers.insert(*child, next);
                    next += 1;
                    order.push(*child);
                    queue.push_back(*child);
                }
            }
        }
    }
    let mut live = HashMap::new();
    for ino in order {
        let node = match &nodes[&ino] {
            Node::Dir(entries) => Node::Dir(
                entries
                    .iter()
                    .filter_map(|(name, child)| numbers.get(child).map(|n| (name.clone(), *n)))
                    .collect(),
            ),
            other => other.clone(),
        };
        live.insert(numbers[&ino], node);
    }
    Model {
        durable: live.clone(),
        live,
        dirs: BTreeMap::new(),
        files: BTreeMap::new(),
        next_ino: next,
        steps: 0,
        cut_after: None,
        syncs: 0,
        fail_sync: None,
        failed_sync_step: None,
        unlink_when_made: None,
        made: HashMap::new(),
        log: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> &OsStr {
        OsStr::new(s)
    }

    /// The bytes of `path` (slash-separated from the root) in `m`, if it exists as a file.
    fn read_path(m: &Model, path: &str) -> Option<Vec<u8>> {
        let mut ino = ROOT;
        for part in path.split('/') {
            ino = m.lookup(ino, name(part)).ok()?;
        }
        match m.node(ino).ok()? {
            Node::File(data) => Some(data.clone()),
            _ => None,
        }
    }

    fn all_boots(crash: &Crash) -> Vec<Model> {
        (0..crash.outcomes()).map(|o| crash.boot(o)).collect()
    }

    #[test]
    fn unsynced_file_bytes_can_be_lost_or_torn_and_synced_ones_cannot() {
        let mut m = Model::new();
        let f = m.make(ROOT, name("f"), NewNode::File).unwrap();
        m.sync(ROOT).unwrap();
        m.write(f, 0, b"abcd").unwrap();
        let crash = m.crash();
        // 1 write: prefixes 0 and 1, one tear, zeroed.
        assert_eq!(crash.outcomes(), 4);
        let seen: Vec<_> = all_boots(&crash)
            .iter()
            .map(|b| read_path(b, "f").unwrap())
            .collect();
        assert_eq!(
            seen,
            [b"".to_vec(), b"abcd".to_vec(), b"ab".to_vec(), vec![0; 4]]
        );
        assert_eq!(
            read_path(&crash.boot(crash.everything_kept()), "f").unwrap(),
            b"abcd"
        );

        m.sync(f).unwrap();
        let crash = m.crash();
        assert_eq!(crash.outcomes(), 1);
        assert_eq!(read_path(&crash.boot(0), "f").unwrap(), b"abcd");
    }

    #[test]
    fn a_new_name_needs_its_directory_synced_not_only_the_file() {
        let mut m = Model::new();
        let f = m.make(ROOT, name("f"), NewNode::File).unwrap();
        m.write(f, 0, b"data").unwrap();
        m.sync(f).unwrap();
        let crash = m.crash();
        assert_eq!(crash.outcomes(), 2);
        assert_eq!(read_path(&crash.boot(0), "f"), None, "the name can be lost");
        assert_eq!(read_path(&crash.boot(1), "f").unwrap(), b"data");
    }

    #[test]
    fn a_rename_can_survive_without_the_bytes_unless_they_were_synced() {
        let mut m = Model::new();
        let old = m.make(ROOT, name("r"), NewNode::File).unwrap();
        m.write(old, 0, b"old").unwrap();
        m.sync_everything();
        let tmp = m.make(ROOT, name("t"), NewNode::File).unwrap();
        m.write(tmp, 0, b"new").unwrap();
        m.rename(ROOT, name("t"), ROOT, name("r"), false).unwrap();
        let states: HashSet<_> = all_boots(&m.crash())
            .iter()
            .map(|b| read_path(b, "r"))
            .collect();
        assert!(
            states.contains(&Some(b"".to_vec())),
            "renamed, bytes lost: {states:?}"
        );
        assert!(states.contains(&Some(b"old".to_vec())));
        assert!(states.contains(&Some(b"new".to_vec())));

        m.sync(tmp).unwrap();
        let states: HashSet<_> = all_boots(&m.crash())
            .iter()
            .map(|b| read_path(b, "r"))
            .collect();
        assert_eq!(
            states,
            HashSet::from([Some(b"old".to_vec()), Some(b"new".to_vec())])
        );
        m.sync(ROOT).unwrap();
        assert_eq!(read_path(&m.crash().boot(0), "r").unwrap(), b"new");
    }

    #[test]
    fn a_directory_sync_does_not_make_its_own_name_durable() {
        let mut m = Model::new();
        let d = m.make(ROOT, name("d"), NewNode::Dir).unwrap();
        let f = m.make(d, name("f"), NewNode::File).unwrap();
        m.write(f, 0, b"x").unwrap();
        m.sync(f).unwrap();
        m.sync(d).unwrap();
        let crash = m.crash();
        assert_eq!(read_path(&crash.boot(0), "d/f"), None);
        assert_eq!(read_path(&crash.boot(1), "d/f").unwrap(), b"x");
        m.sync(ROOT).unwrap();
        assert_eq!(read_path(&m.crash().boot(0), "d/f").unwrap(), b"x");
    }

    #[test]
    fn a_directory_keeps_its_changes_in_order() {
        let mut m = Model::new();
        for n in ["a", "b", "c"] {
            m.make(ROOT, name(n), NewNode::File).unwrap();
        }
        let states: Vec<Vec<String>> = all_boots(&m.crash())
            .iter()
            .map(|b| {
                let names = b.entries(ROOT).unwrap().keys();
                names.map(|n| n.to_string_lossy().into_owned()).collect()
            })
            .collect();
        assert_eq!(
            states,
            [vec![], vec!["a"], vec!["a", "b"], vec!["a", "b", "c"]]
        );
    }

    #[test]
    fn power_off_refuses_everything_after_the_cut_step() {
        let mut m = Model::new();
        m.cut_after(Some(1));
        m.make(ROOT, name("a"), NewNode::File).unwrap();
        assert!(m.is_dead());
        assert_eq!(m.make(ROOT, name("b"), NewNode::File), Err(libc::EIO));
        assert_eq!(m.lookup(ROOT, name("a")), Err(libc::EIO));
        assert_eq!(m.steps(), 1);
        let booted = m.crash().boot(1);
        assert!(!booted.is_dead());
        assert!(booted.lookup(ROOT, name("a")).is_ok());
    }

    #[test]
    fn a_failed_sync_makes_nothing_durable_and_the_next_one_works() {
        let mut m = Model::new();
        let f = m.make(ROOT, name("f"), NewNode::File).unwrap();
        m.sync(ROOT).unwrap();
        m.write(f, 0, b"new").unwrap();
        m.fail_sync(Some(1));
        assert_eq!(m.sync(f), Err(libc::EIO));
        assert!(!m.is_dead(), "the power stays on");
        assert_eq!(m.syncs(), 2);
        assert_eq!(
            m.read(f, 0, 10).unwrap(),
            b"new",
            "processes still see the write"
        );
        // Held, not durable: a cut now may lose it.
        assert!(
            all_boots(&m.crash())
                .iter()
                .any(|b| read_path(b, "f") == Some(vec![]))
        );
        m.sync(f).unwrap();
        assert!(
            all_boots(&m.crash())
                .iter()
                .all(|b| read_path(b, "f") == Some(b"new".to_vec()))
        );
    }

    #[test]
    fn a_racing_unlink_happens_when_its_trigger_is_made() {
        let mut m = Model::new();
        let d = m.make(ROOT, name("d"), NewNode::Dir).unwrap();
        m.make(d, name("victim"), NewNode::File).unwrap();
        m.sync_everything();
        m.unlink_when_made(name("t"), vec!["d".into(), "victim".into()]);
        m.make(ROOT, name("other"), NewNode::File).unwrap();
        assert!(m.lookup(d, name("victim")).is_ok());
        let steps = m.steps();
        m.make(ROOT, name("t"), NewNode::File).unwrap();
        assert_eq!(m.lookup(d, name("victim")), Err(libc::ENOENT));
        assert_eq!(
            m.steps(),
            steps + 1,
            "the racing unlink is no step of this process"
        );
        // Held: a cut may undo it.
        assert!(
            all_boots(&m.crash())
                .iter()
                .any(|b| read_path(b, "d/victim").is_some())
        );
    }

    #[test]
    fn refusals_leave_nothing_held() {
        let mut m = Model::new();
        let d = m.make(ROOT, name("d"), NewNode::Dir).unwrap();
        m.make(d, name("f"), NewNode::File).unwrap();
        m.make(ROOT, name("g"), NewNode::File).unwrap();
        m.sync_everything();
        let before = m.steps();
        assert_eq!(m.make(ROOT, name("d"), NewNode::Dir), Err(libc::EEXIST));
        assert_eq!(m.remove(ROOT, name("d"), true), Err(libc::ENOTEMPTY));
        assert_eq!(m.remove(ROOT, name("d"), false), Err(libc::EISDIR));
        assert_eq!(m.remove(ROOT, name("g"), true), Err(libc::ENOTDIR));
        assert_eq!(m.remove(ROOT, name("nope"), false), Err(libc::ENOENT));
        assert_eq!(
            m.rename(d, name("f"), ROOT, name("f"), false),
            Err(libc::EXDEV)
        );
        assert_eq!(
            m.rename(ROOT, name("g"), ROOT, name("d"), false),
            Err(libc::EISDIR)
        );
        assert_eq!(
            m.rename(ROOT, name("g"), ROOT, name("d"), true),
            Err(libc::EEXIST)
        );
        assert!(!m.has_pending());
        assert_eq!(m.steps(), before);
    }

    #[test]
    fn boots_renumber_inodes_past_every_number_used() {
        let mut m = Model::new();
        let f = m.make(ROOT, name("f"), NewNode::File).unwrap();
        m.sync(ROOT).unwrap();
        let booted = m.crash().boot(0);
        let g = booted.lookup(ROOT, name("f")).unwrap();
        assert!(g > f, "inode {g} reuses a number at or below {f}");
        assert_eq!(booted.node(f), Err(libc::ESTALE));
    }
}
