//! `lossyfs`: an in-memory FUSE filesystem that loses, when the power is cut, what a real disk
//! could lose: every file byte and directory entry not yet made durable by `fsync`.
//!
//! The power-cut harness (`tests/powercut`, the `outrig-powercut` package) mounts it, runs the
//! store's operations on it, cuts the power after any step ([`Mounted::cut_after`]), and boots
//! each state the disk may come back in ([`Mounted::boot`]) to check what survived. The rules
//! of what survives are on [`Crash`]. It can also fail one sync with the power on
//! ([`Mounted::fail_sync`]), unlink a file when a given name is made, as a racing process
//! would ([`Mounted::unlink_when_made`]), and run threads one at a time in an order drawn from
//! a seed ([`Mounted::take_turns`]), so a concurrent run replays.
//!
//! Mounting needs `/dev/fuse` and root (the mount is made with `mount(2)` directly; no libfuse
//! or `fusermount` is used).

mod fuse;
mod model;
mod turns;

use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

pub use model::{Crash, Errno, Ino, Model, NewNode, Node, ROOT};

/// A mounted `lossyfs`, and the switch and snapshots that drive it. Unmounted on drop.
pub struct Mounted {
    model: Arc<Mutex<Model>>,
    turns: Arc<turns::Turns>,
    path: PathBuf,
    session: Option<fuser::BackgroundSession>,
}

/// FUSE server threads: at most `SERVER_THREADS - 2` threads can take turns at once.
const SERVER_THREADS: usize = 10;

/// Why FUSE cannot be used here, when it cannot: the harness reports this instead of passing.
pub fn unavailable() -> Option<String> {
    if !Path::new("/dev/fuse").exists() {
        return Some("/dev/fuse does not exist (no FUSE in this kernel or container)".to_owned());
    }
    if effective_uid() != 0 {
        return Some("not running as root, and lossyfs mounts with mount(2) directly".to_owned());
    }
    None
}

fn effective_uid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

impl Mounted {
    /// Mounts an empty filesystem on `mountpoint` (an existing empty directory).
    ///
    /// # Errors
    /// When the mount fails: no `/dev/fuse`, not root, or the mountpoint is unusable.
    pub fn mount(mountpoint: &Path) -> io::Result<Self> {
        let model = Arc::new(Mutex::new(Model::new()));
        let turns = Arc::new(turns::Turns::default());
        let fs = fuse::LossyFs {
            model: Arc::clone(&model),
            turns: Arc::clone(&turns),
        };
        let mut config = fuser::Config::default();
        config.mount_options = vec![
            fuser::MountOption::FSName("lossyfs".to_owned()),
            fuser::MountOption::Subtype("lossyfs".to_owned()),
        ];
        // Threads taking turns are held in the server at their file writes and syncs: one
        // server thread each, and more for everyone else's requests meanwhile.
        config.n_threads = Some(SERVER_THREADS);
        let session = fuser::spawn_mount(fs, mountpoint, &config)?;
        Ok(Self {
            model,
            turns,
            path: mountpoint.to_path_buf(),
            session: Some(session),
        })
    }

    /// Where it is mounted.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn model(&self) -> MutexGuard<'_, Model> {
        self.model.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Changes and syncs performed since the last boot.
    pub fn steps(&self) -> u64 {
        self.model().steps()
    }

    /// Cuts the power right after step `k` since the last boot (`None`: power stays on).
    pub fn cut_after(&self, k: Option<u64>) {
        self.model().cut_after(k);
    }

    /// Whether the power is off.
    pub fn is_dead(&self) -> bool {
        self.model().is_dead()
    }

    /// Syncs asked for since the last boot (failed ones included).
    pub fn syncs(&self) -> u64 {
        self.model().syncs()
    }

    /// Makes sync number `n` since the last boot fail once with `EIO` while the power stays on
    /// (see [`Model::fail_sync`]); `None` fails none. A boot clears it.
    pub fn fail_sync(&self, n: Option<u64>) {
        self.model().fail_sync(n);
    }

    /// The step at which the sync made to fail by [`fail_sync`](Self::fail_sync) failed, if it
    /// did.
    pub fn failed_sync_step(&self) -> Option<u64> {
        self.model().failed_sync_step()
    }

    /// Once a name equal to `trigger` is made anywhere on the mount, the file `victim` (a path
    /// under the mount) is unlinked at once, as another process racing the maker would (see
    /// [`Model::unlink_when_made`]). A boot clears it.
    ///
    /// # Panics
    /// When `victim` is not under the mount.
    pub fn unlink_when_made(&self, trigger: &str, victim: &Path) {
        let rel = victim
            .strip_prefix(&self.path)
            .expect("the victim is under the mount");
        let parts = rel.iter().map(|p| p.to_owned()).collect();
        self.model()
            .unlink_when_made(std::ffi::OsStr::new(trigger), parts);
    }

    /// How many times an entry named `name` was made (anywhere on the mount) since the last
    /// boot: more than once means a name was used again after its removal.
    pub fn times_made(&self, name: &str) -> u32 {
        self.model().times_made(std::ffi::OsStr::new(name))
    }

    /// The steps taken since the last boot, one line each (inodes by number), for messages.
    pub fn step_log(&self) -> Vec<String> {
        self.model().step_log().to_vec()
    }

    /// Starts taking turns: the `members` threads that will [`join_turns`](Self::join_turns)
    /// run one at a time, the next drawn from `seed` whenever all of them reached a turn point
    /// (a call of [`turn`](Self::turn), or a write or fsync of a regular file). For a given
    /// seed, and threads that act only on what they read here, the run is the same every time.
    ///
    /// # Panics
    /// When `members` exceeds what the server can hold at once.
    pub fn take_turns(&self, seed: u64, members: usize) {
        assert!(
            members + 2 <= SERVER_THREADS,
            "at most {} threads can take turns",
            SERVER_THREADS - 2
        );
        self.turns.start(seed, members);
    }

    /// Stops taking turns; returns the members in the order they were let go on.
    pub fn stop_turns(&self) -> Vec<usize> {
        self.turns.stop()
    }

    /// Makes the calling thread member `index` of the turns started by
    /// [`take_turns`](Self::take_turns), and returns at its first turn. The member leaves when
    /// the returned guard is dropped (also when it panics).
    pub fn join_turns(&self, index: usize) -> TurnGuard<'_> {
        self.turns.join(index);
        TurnGuard {
            turns: &self.turns,
            tid: turns::thread_id(),
        }
    }

    /// A turn point of the calling thread: returns when it is its turn (at once when it is no
    /// member).
    pub fn turn(&self) {
        self.turns.point(turns::thread_id());
    }

    /// Makes everything durable now, outside the step count (to set a scene up).
    pub fn sync_everything(&self) {
        self.model().sync_everything();
    }

    /// The disk as it stands now, with what is still held: boot any of its outcomes.
    pub fn crash(&self) -> Crash {
        self.model().crash()
    }

    /// Replaces the filesystem with `outcome` of `crash`: the machine is back up, with the
    /// power on and the step count at zero.
    pub fn boot(&self, crash: &Crash, outcome: u64) {
        let mut model = self.model();
        // Renumber past every inode the kernel may still hold from the current model.
        let booted = crash.boot_above(outcome, model.next_ino());
        *model = booted;
    }
}

/// A member's place in the turns; dropping it leaves them.
pub struct TurnGuard<'a> {
    turns: &'a turns::Turns,
    tid: u32,
}

impl Drop for TurnGuard<'_> {
    fn drop(&mut self) {
        self.turns.leave(self.tid);
    }
}

impl Drop for Mounted {
    fn drop(&mut self) {
        // Nobody may stay held in the server past the unmount.
        self.turns.stop();
        if let Some(session) = self.session.take() {
            // Errors here only mean the kernel already let go of the mount.
            let _ = session.umount_and_join();
        }
    }
}
