//! The kernel side of a watcher: one inotify instance for the file-change notifications, one
//! timer for the rechecks a watcher owes (a lease to confirm, a state to re-ask, a poll), and
//! one epoll instance over both, which is the single descriptor a caller polls.
//!
//! Three descriptors in all, whatever the number of sessions; the watches themselves live in
//! the kernel (one per watched directory, counted against `fs.inotify.max_user_watches`).

use std::io;
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::Path;
use std::time::{Duration, Instant};

use rustix::event::epoll;
use rustix::fs::inotify::{self, ReadFlags, WatchFlags};
use rustix::io::Errno;
use rustix::time::{
    Itimerspec, TimerfdClockId, TimerfdFlags, TimerfdTimerFlags, Timespec, timerfd_create,
    timerfd_settime,
};

use crate::error::{Error, ErrorKind, Result};

/// One notification, copied out of the kernel's buffer.
#[derive(Debug)]
pub(crate) struct Raw {
    /// The watch it came from.
    pub(crate) wd: i32,
    /// What happened.
    pub(crate) mask: ReadFlags,
    /// The name inside the watched directory, or `None` for the directory itself.
    pub(crate) name: Option<Vec<u8>>,
}

/// The descriptors of one watcher.
pub(crate) struct Notify {
    epoll: OwnedFd,
    timer: OwnedFd,
    /// `None` when the watcher polls (a filesystem whose changes by others inotify cannot see).
    inotify: Option<OwnedFd>,
    buf: Vec<MaybeUninit<u8>>,
}

/// The kernel's limit a failed `inotify_add_watch` or `inotify_init1` ran into, for messages.
fn limit(name: &str) -> String {
    std::fs::read_to_string(format!("/proc/sys/fs/inotify/{name}"))
        .map(|v| v.trim().to_owned())
        .unwrap_or_else(|_| "?".to_owned())
}

impl Notify {
    /// The descriptors; with `inotify` false, only the timer wakes the watcher.
    pub(crate) fn new(root: &Path, inotify: bool) -> Result<Self> {
        let failed = |what: &str, e: Errno| {
            Error::io(
                &format!("setting up a watch ({what}) of session root"),
                root,
                e.into(),
            )
        };
        let epoll =
            epoll::create(epoll::CreateFlags::CLOEXEC).map_err(|e| failed("epoll_create1", e))?;
        let timer = timerfd_create(
            TimerfdClockId::Monotonic,
            TimerfdFlags::CLOEXEC | TimerfdFlags::NONBLOCK,
        )
        .map_err(|e| failed("timerfd_create", e))?;
        epoll::add(
            &epoll,
            &timer,
            epoll::EventData::new_u64(0),
            epoll::EventFlags::IN,
        )
        .map_err(|e| failed("epoll_ctl", e))?;
        let inotify = if inotify {
            let fd = inotify::init(inotify::CreateFlags::CLOEXEC | inotify::CreateFlags::NONBLOCK)
                .map_err(|e| match e {
                    Errno::MFILE => Error::new(
                        ErrorKind::Io,
                        format!(
                            "cannot watch session root {}: this user has reached the kernel's \
                             limit of inotify instances (fs.inotify.max_user_instances = {}); \
                             close other watchers or raise the limit with sysctl",
                            root.display(),
                            limit("max_user_instances")
                        ),
                    ),
                    e => failed("inotify_init1", e),
                })?;
            epoll::add(
                &epoll,
                &fd,
                epoll::EventData::new_u64(1),
                epoll::EventFlags::IN,
            )
            .map_err(|e| failed("epoll_ctl", e))?;
            Some(fd)
        } else {
            None
        };
        Ok(Self {
            epoll,
            timer,
            inotify,
            buf: vec![MaybeUninit::uninit(); 64 * 1024],
        })
    }

    /// Watches `path` (a directory; a symlink to one is followed) for `mask`. `Ok(None)` when
    /// the directory is gone or is not one (nothing to watch there).
    ///
    /// # Errors
    /// The kernel's watch limit gives an error that names it and says how to raise it.
    pub(crate) fn add_watch(&self, path: &Path, mask: WatchFlags) -> Result<Option<i32>> {
        let Some(fd) = &self.inotify else {
            return Ok(None);
        };
        match inotify::add_watch(fd, path, mask | WatchFlags::ONLYDIR) {
            Ok(wd) => Ok(Some(wd)),
            Err(Errno::NOENT | Errno::NOTDIR | Errno::LOOP) => Ok(None),
            Err(Errno::NOSPC) => Err(Error::new(
                ErrorKind::Io,
                format!(
                    "cannot watch {}: this user has reached the kernel's limit of inotify \
                     watches (fs.inotify.max_user_watches = {}); a watcher needs one per \
                     unfinished session plus one for the root: raise the limit with sysctl \
                     or close other watchers",
                    path.display(),
                    limit("max_user_watches")
                ),
            )),
            Err(e) => Err(Error::io("watching", path, e.into())),
        }
    }

    /// Stops watching `wd` (gone already is fine).
    pub(crate) fn rm_watch(&self, wd: i32) {
        if let Some(fd) = &self.inotify {
            let _ = inotify::remove_watch(fd, wd);
        }
    }

    /// Every notification ready now, without waiting.
    pub(crate) fn read(&mut self) -> Result<Vec<Raw>> {
        let mut out = Vec::new();
        let Some(fd) = &self.inotify else {
            return Ok(out);
        };
        let mut reader = inotify::Reader::new(fd, &mut self.buf);
        loop {
            match reader.next() {
                Ok(ev) => out.push(Raw {
                    wd: ev.wd(),
                    mask: ev.events(),
                    name: ev.file_name().map(|n| n.to_bytes().to_vec()),
                }),
                Err(Errno::AGAIN | Errno::INTR) => return Ok(out),
                Err(e) => {
                    return Err(Error::new(
                        ErrorKind::Io,
                        format!("reading file-change notifications: {e}"),
                    ));
                }
            }
        }
    }

    /// Arms the timer to fire at `at` (`None`: disarms it), and clears a past expiry, so the
    /// descriptor a caller polls is readable exactly when the watcher has work.
    pub(crate) fn arm(&self, at: Option<Instant>) {
        let mut expiries = [0u8; 8];
        let _ = rustix::io::read(&self.timer, &mut expiries);
        let zero = Timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        let value = match at {
            None => zero,
            Some(at) => {
                // Zero would disarm: the earliest expiry is one nanosecond away.
                let d = at
                    .saturating_duration_since(Instant::now())
                    .max(Duration::from_nanos(1));
                Timespec {
                    tv_sec: i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
                    tv_nsec: i64::from(d.subsec_nanos()),
                }
            }
        };
        let _ = timerfd_settime(
            &self.timer,
            TimerfdTimerFlags::empty(),
            &Itimerspec {
                it_interval: zero,
                it_value: value,
            },
        );
    }

    /// Sleeps until a notification or the timer is ready, `until` passes, or a signal comes;
    /// `false` for the signal.
    pub(crate) fn wait(&self, until: Option<Instant>) -> Result<bool> {
        let timeout = until.map(|u| {
            let d = u.saturating_duration_since(Instant::now());
            Timespec {
                tv_sec: i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
                tv_nsec: i64::from(d.subsec_nanos()),
            }
        });
        let mut ready = [MaybeUninit::<epoll::Event>::uninit(); 2];
        match epoll::wait(&self.epoll, &mut ready[..], timeout.as_ref()) {
            Ok(_) => Ok(true),
            Err(Errno::INTR) => Ok(false),
            Err(e) => Err(Error::new(
                ErrorKind::Io,
                format!(
                    "waiting for file-change notifications: {}",
                    io::Error::from(e)
                ),
            )),
        }
    }
}

impl AsFd for Notify {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.epoll.as_fd()
    }
}

/// Whether the filesystem holding `path` is one whose changes by other machines (or another
/// side of a user-space filesystem) inotify does not report: network and cluster filesystems.
/// An unknown answer (statfs failed) counts as local.
pub(crate) fn needs_polling(path: &Path) -> bool {
    // f_type values from statfs(2) / <linux/magic.h>.
    const REMOTE: &[i64] = &[
        0x6969,      // NFS
        0x00c3_6400, // CephFS
        0x517b,      // SMB
        0xff53_4d42, // CIFS
        0xfe53_4d42, // SMB2
        0x0102_1997, // 9P (v9fs)
        0x6573_5546, // FUSE (sshfs, GlusterFS, ...)
        0x5346_414f, // AFS
        0x6b41_4653, // kAFS
        0x0bd0_0bd0, // Lustre
        0x4750_4653, // GPFS
        0x7461_636f, // OCFS2
        0x0116_1970, // GFS2
        0x6165_6f6c, // Panasas
    ];
    let mut p = Some(path);
    while let Some(dir) = p {
        match rustix::fs::statfs(dir) {
            #[allow(clippy::unnecessary_cast, clippy::useless_conversion)]
            Ok(st) => return REMOTE.contains(&(i64::from(st.f_type) & 0xffff_ffff)),
            Err(_) => p = dir.parent(),
        }
    }
    false
}
