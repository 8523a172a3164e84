//! What `logs --follow` sleeps on between its looks: inotify on the session's directory and on
//! the directory of the log, so an append, a finalize or a removal wakes it at once. Where
//! inotify cannot be had (no instance or watch left), it sleeps the whole interval.
//!
//! Closes of the session's directory are not watched: every look (this follower's, another
//! follower's, a watcher's lease probe) opens and closes it, and followers woken by each
//! other's looks would look without end. A launcher's lease ending is found by the look at
//! the end of each interval, as before. Every wake-up only starts a look, and every look asks
//! the store itself, so a notification that means nothing costs one look, and a missed one (a
//! network filesystem, where inotify sees only this machine's changes) is made up at the end
//! of the interval.

use std::mem::MaybeUninit;
use std::os::fd::{AsFd as _, OwnedFd};
use std::path::{Path, PathBuf};
use std::time::Duration;

use rustix::event::{PollFd, PollFlags, Timespec, poll};
use rustix::fs::inotify::{self, CreateFlags, WatchFlags};
use rustix::io::Errno;

/// The changes of a session's directory that can end or advance a follow: its record replaced
/// (finalize writes a new one and renames it in) or deleted, the `logs/` directory made, the
/// directory itself removed or moved.
const SESSION_DIR_EVENTS: WatchFlags = WatchFlags::MOVED_TO
    .union(WatchFlags::CREATE)
    .union(WatchFlags::DELETE)
    .union(WatchFlags::DELETE_SELF)
    .union(WatchFlags::MOVE_SELF);

/// The changes of the log's directory that show new output: a file in it written to, made or
/// renamed in.
const LOG_DIR_EVENTS: WatchFlags = WatchFlags::MODIFY
    .union(WatchFlags::CREATE)
    .union(WatchFlags::MOVED_TO)
    .union(WatchFlags::CLOSE_WRITE)
    .union(WatchFlags::DELETE_SELF)
    .union(WatchFlags::MOVE_SELF);

/// A follower's way to sleep until something may have changed.
pub struct Wake {
    /// `None` when inotify could not be had: then each sleep is the whole interval.
    inotify: Option<OwnedFd>,
    /// The session's directory, where the log's ancestors stop.
    session_dir: PathBuf,
    /// Whether the log's directory is watched yet (it may not exist when the follow starts).
    log_dir_watched: bool,
    buf: Vec<MaybeUninit<u8>>,
}

impl Wake {
    /// Watches `session_dir` (a link to it is followed, as an explicit session's entry is one).
    pub fn new(session_dir: &Path) -> Self {
        let inotify = inotify::init(CreateFlags::CLOEXEC | CreateFlags::NONBLOCK)
            .ok()
            .filter(|fd| {
                inotify::add_watch(fd, session_dir, SESSION_DIR_EVENTS | WatchFlags::ONLYDIR)
                    .is_ok()
            });
        Self {
            inotify,
            session_dir: session_dir.to_path_buf(),
            log_dir_watched: false,
            buf: vec![MaybeUninit::uninit(); 4096],
        }
    }

    /// Watches the directory the log is in, once it exists. Until then the deepest of its
    /// ancestors that exists is watched, so that each directory on the way (`logs/`, `tools/`
    /// of `tools/web.log`) wakes the follower when it is made, to watch the next one.
    pub fn watch_log_dir(&mut self, dir: &Path) {
        if self.log_dir_watched {
            return;
        }
        let Some(fd) = &self.inotify else {
            return;
        };
        // MASK_ADD: the session's directory may be the deepest there is, and keeps its own
        // events.
        for (depth, ancestor) in dir.ancestors().enumerate() {
            if inotify::add_watch(
                fd,
                ancestor,
                LOG_DIR_EVENTS | WatchFlags::ONLYDIR | WatchFlags::MASK_ADD,
            )
            .is_ok()
            {
                self.log_dir_watched = depth == 0;
                return;
            }
            if ancestor == self.session_dir {
                return;
            }
        }
    }

    /// Sleeps until a change is notified or `max` has passed. A change notified during the
    /// look before (which the look may have missed) ends the sleep at once; the follower's own
    /// looks only read, which is not watched.
    pub fn sleep(&mut self, max: Duration) {
        let Some(fd) = &self.inotify else {
            std::thread::sleep(max);
            return;
        };
        let timeout = Timespec {
            tv_sec: max.as_secs().try_into().unwrap_or(i64::MAX),
            tv_nsec: max.subsec_nanos().into(),
        };
        let mut fds = [PollFd::new(fd, PollFlags::IN)];
        match poll(&mut fds, Some(&timeout)) {
            Ok(_) | Err(Errno::INTR) => {}
            // A poll that fails cannot be waited on: sleep the interval instead.
            Err(_) => std::thread::sleep(max),
        }
        drain(fd, &mut self.buf);
    }
}

/// Reads every notification ready now: only their arrival matters.
fn drain(fd: &OwnedFd, buf: &mut [MaybeUninit<u8>]) {
    let mut reader = inotify::Reader::new(fd.as_fd(), buf);
    while reader.next().is_ok() {}
}
