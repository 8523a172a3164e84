//! The FUSE face of [`Model`]: each request is one model operation, answered at once.
//!
//! Nothing is cached by the kernel: attributes and entries live for zero seconds and every
//! open file is `direct_io`, so every read and write reaches the model, and a boot that swaps
//! the model underneath is seen by the next system call. Locks (`flock`) are left to the
//! kernel, which keeps them locally when the filesystem does not claim them.

use std::ffi::OsStr;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, UNIX_EPOCH};

use fuser::{
    Errno, FileAttr, FileHandle, FileType, Filesystem, FopenFlags, Generation, INodeNo, LockOwner,
    OpenFlags, RenameFlags, ReplyAttr, ReplyCreate, ReplyData, ReplyDirectory, ReplyEmpty,
    ReplyEntry, ReplyOpen, ReplyWrite, Request, WriteFlags,
};

use crate::model::{Ino, Model, NewNode, Node};
use crate::turns::Turns;

const NO_CACHE: Duration = Duration::ZERO;

/// The filesystem served to the kernel; it shares its model with [`crate::Mounted`].
pub(crate) struct LossyFs {
    pub(crate) model: Arc<Mutex<Model>>,
    /// Held at file writes and syncs while threads take turns (see `crate::turns`).
    pub(crate) turns: Arc<Turns>,
}

impl LossyFs {
    fn model(&self) -> MutexGuard<'_, Model> {
        // A panic elsewhere must not wedge the mount: the model is still consistent, since
        // every operation checks before it changes anything.
        self.model.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn errno(e: i32) -> Errno {
    Errno::from_i32(e)
}

fn attr(ino: Ino, node: &Node) -> FileAttr {
    let (kind, size, perm, nlink) = match node {
        Node::File(data) => (FileType::RegularFile, data.len() as u64, 0o644, 1),
        Node::Dir(entries) => (FileType::Directory, entries.len() as u64, 0o755, 2),
        Node::Symlink(target) => (FileType::Symlink, target.as_os_str().len() as u64, 0o777, 1),
    };
    FileAttr {
        ino: INodeNo(ino),
        size,
        blocks: size.div_ceil(512),
        atime: UNIX_EPOCH,
        mtime: UNIX_EPOCH,
        ctime: UNIX_EPOCH,
        crtime: UNIX_EPOCH,
        kind,
        perm,
        nlink,
        uid: 0,
        gid: 0,
        rdev: 0,
        blksize: 4096,
        flags: 0,
    }
}

/// The attributes of a node a completed change just made or changed.
fn attr_of(m: &Model, ino: Ino) -> FileAttr {
    attr(
        ino,
        m.peek(ino).expect("a node just made or changed exists"),
    )
}

fn kind(node: &Node) -> FileType {
    match node {
        Node::File(_) => FileType::RegularFile,
        Node::Dir(_) => FileType::Directory,
        Node::Symlink(_) => FileType::Symlink,
    }
}

impl LossyFs {
    fn reply_new(&self, parent: INodeNo, name: &OsStr, new: NewNode, reply: ReplyEntry) {
        let mut m = self.model();
        match m.make(parent.0, name, new).map(|ino| attr_of(&m, ino)) {
            Ok(a) => reply.entry(&NO_CACHE, &a, Generation(0)),
            Err(e) => reply.error(errno(e)),
        }
    }

    /// Answers with the attributes of `ino` after a change to it, which completed even if
    /// the power went out right after it.
    fn reply_changed(&self, m: &Model, ino: Ino, reply: ReplyAttr) {
        reply.attr(&NO_CACHE, &attr_of(m, ino));
    }

    fn reply_attr(&self, m: &Model, ino: Ino, reply: ReplyAttr) {
        match m.node(ino) {
            Ok(n) => reply.attr(&NO_CACHE, &attr(ino, n)),
            Err(e) => reply.error(errno(e)),
        }
    }
}

impl Filesystem for LossyFs {
    fn lookup(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEntry) {
        let m = self.model();
        match m
            .lookup(parent.0, name)
            .and_then(|ino| m.node(ino).map(|n| attr(ino, n)))
        {
            Ok(a) => reply.entry(&NO_CACHE, &a, Generation(0)),
            Err(e) => reply.error(errno(e)),
        }
    }

    fn getattr(&self, _req: &Request, ino: INodeNo, _fh: Option<FileHandle>, reply: ReplyAttr) {
        let m = self.model();
        self.reply_attr(&m, ino.0, reply);
    }

    fn setattr(
        &self,
        _req: &Request,
        ino: INodeNo,
        _mode: Option<u32>,
        _uid: Option<u32>,
        _gid: Option<u32>,
        size: Option<u64>,
        _atime: Option<fuser::TimeOrNow>,
        _mtime: Option<fuser::TimeOrNow>,
        _ctime: Option<std::time::SystemTime>,
        _fh: Option<FileHandle>,
        _crtime: Option<std::time::SystemTime>,
        _chgtime: Option<std::time::SystemTime>,
        _bkuptime: Option<std::time::SystemTime>,
        _flags: Option<fuser::BsdFileFlags>,
        reply: ReplyAttr,
    ) {
        // Modes, owners and times are not modeled (the store's durability does not rest on
        // them); a length change is a held change of the file's bytes.
        let mut m = self.model();
        match size {
            Some(len) => match m.set_len(ino.0, len) {
                Ok(()) => self.reply_changed(&m, ino.0, reply),
                Err(e) => reply.error(errno(e)),
            },
            None => self.reply_attr(&m, ino.0, reply),
        }
    }

    fn readlink(&self, _req: &Request, ino: INodeNo, reply: ReplyData) {
        match self.model().node(ino.0) {
            Ok(Node::Symlink(target)) => {
                reply.data(std::os::unix::ffi::OsStrExt::as_bytes(target.as_os_str()));
            }
            Ok(_) => reply.error(Errno::EINVAL),
            Err(e) => reply.error(errno(e)),
        }
    }

    fn mknod(
        &self,
        _req: &Request,
        parent: INodeNo,
        name: &OsStr,
        mode: u32,
        _umask: u32,
        _rdev: u32,
        reply: ReplyEntry,
    ) {
        if mode & libc::S_IFMT != libc::S_IFREG {
            return reply.error(Errno::EPERM);
        }
        self.reply_new(parent, name, NewNode::File, reply);
    }

    fn mkdir(
        &self,
        _req: &Request,
        parent: INodeNo,
        name: &OsStr,
        _mode: u32,
        _umask: u32,
        reply: ReplyEntry,
    ) {
        self.reply_new(parent, name, NewNode::Dir, reply);
    }

    fn unlink(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEmpty) {
        match self.model().remove(parent.0, name, false) {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(errno(e)),
        }
    }

    fn rmdir(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEmpty) {
        match self.model().remove(parent.0, name, true) {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(errno(e)),
        }
    }

    fn symlink(
        &self,
        _req: &Request,
        parent: INodeNo,
        link_name: &OsStr,
        target: &Path,
        reply: ReplyEntry,
    ) {
        self.reply_new(
            parent,
            link_name,
            NewNode::Symlink(target.to_path_buf()),
            reply,
        );
    }

    fn rename(
        &self,
        _req: &Request,
        parent: INodeNo,
        name: &OsStr,
        newparent: INodeNo,
        newname: &OsStr,
        flags: RenameFlags,
        reply: ReplyEmpty,
    ) {
        if flags.contains(RenameFlags::RENAME_EXCHANGE)
            || flags.contains(RenameFlags::RENAME_WHITEOUT)
        {
            return reply.error(Errno::EINVAL);
        }
        let noreplace = flags.contains(RenameFlags::RENAME_NOREPLACE);
        match self
            .model()
            .rename(parent.0, name, newparent.0, newname, noreplace)
        {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(errno(e)),
        }
    }

    fn open(&self, _req: &Request, ino: INodeNo, flags: OpenFlags, reply: ReplyOpen) {
        let mut m = self.model();
        match m.node(ino.0) {
            Ok(Node::File(data)) => {
                // The kernel truncates through setattr before the open (no atomic O_TRUNC is
                // negotiated); this is only a guard should it ever be.
                if flags.0 & libc::O_TRUNC != 0
                    && !data.is_empty()
                    && let Err(e) = m.set_len(ino.0, 0)
                {
                    return reply.error(errno(e));
                }
                reply.opened(FileHandle(0), FopenFlags::FOPEN_DIRECT_IO);
            }
            Ok(_) => reply.error(Errno::EISDIR),
            Err(e) => reply.error(errno(e)),
        }
    }

    fn read(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        offset: u64,
        size: u32,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        reply: ReplyData,
    ) {
        match self.model().read(ino.0, offset, size as usize) {
            Ok(bytes) => reply.data(bytes),
            Err(e) => reply.error(errno(e)),
        }
    }

    fn write(
        &self,
        req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        offset: u64,
        data: &[u8],
        _write_flags: WriteFlags,
        flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        reply: ReplyWrite,
    ) {
        self.turns.point(req.pid());
        let mut m = self.model();
        // With direct_io the kernel passes O_APPEND writes at the offset it last knew; append
        // at the live end, as a local filesystem would.
        let offset = if flags.0 & libc::O_APPEND != 0 {
            match m.node(ino.0) {
                Ok(Node::File(bytes)) => bytes.len() as u64,
                _ => offset,
            }
        } else {
            offset
        };
        match m.write(ino.0, offset, data) {
            Ok(()) => reply.written(data.len() as u32),
            Err(e) => reply.error(errno(e)),
        }
    }

    fn flush(
        &self,
        _req: &Request,
        _ino: INodeNo,
        _fh: FileHandle,
        _lock_owner: LockOwner,
        reply: ReplyEmpty,
    ) {
        // close() makes nothing durable, so it neither counts as a step nor fails.
        reply.ok();
    }

    fn fsync(
        &self,
        req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        _datasync: bool,
        reply: ReplyEmpty,
    ) {
        self.turns.point(req.pid());
        // Must never answer ENOSYS: the kernel would then treat every later fsync as done.
        match self.model().sync(ino.0) {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(errno(e)),
        }
    }

    fn opendir(&self, _req: &Request, ino: INodeNo, _flags: OpenFlags, reply: ReplyOpen) {
        match self.model().entries(ino.0) {
            Ok(_) => reply.opened(FileHandle(0), FopenFlags::empty()),
            Err(e) => reply.error(errno(e)),
        }
    }

    fn readdir(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        offset: u64,
        mut reply: ReplyDirectory,
    ) {
        let m = self.model();
        let entries = match m.entries(ino.0) {
            Ok(e) => e,
            Err(e) => return reply.error(errno(e)),
        };
        let dots = [
            (ino.0, FileType::Directory, OsStr::new(".")),
            (ino.0, FileType::Directory, OsStr::new("..")),
        ];
        let children = entries.iter().map(|(name, child)| {
            let k = m.node(*child).map_or(FileType::RegularFile, kind);
            (*child, k, name.as_os_str())
        });
        for (i, (child, k, name)) in dots
            .into_iter()
            .chain(children)
            .enumerate()
            .skip(offset as usize)
        {
            if reply.add(INodeNo(child), i as u64 + 1, k, name) {
                break;
            }
        }
        reply.ok();
    }

    fn fsyncdir(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        _datasync: bool,
        reply: ReplyEmpty,
    ) {
        match self.model().sync(ino.0) {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(errno(e)),
        }
    }

    fn access(&self, _req: &Request, ino: INodeNo, _mask: fuser::AccessFlags, reply: ReplyEmpty) {
        match self.model().node(ino.0) {
            Ok(_) => reply.ok(),
            Err(e) => reply.error(errno(e)),
        }
    }

    fn create(
        &self,
        _req: &Request,
        parent: INodeNo,
        name: &OsStr,
        mode: u32,
        _umask: u32,
        flags: i32,
        reply: ReplyCreate,
    ) {
        if mode & libc::S_IFMT != libc::S_IFREG && mode & libc::S_IFMT != 0 {
            return reply.error(Errno::EPERM);
        }
        let mut m = self.model();
        let made = match m.make(parent.0, name, NewNode::File) {
            Err(libc::EEXIST) if flags & libc::O_EXCL == 0 => m.lookup(parent.0, name),
            other => other,
        };
        match made.map(|ino| attr_of(&m, ino)) {
            Ok(a) => reply.created(
                &NO_CACHE,
                &a,
                Generation(0),
                FileHandle(0),
                FopenFlags::FOPEN_DIRECT_IO,
            ),
            Err(e) => reply.error(errno(e)),
        }
    }
}
