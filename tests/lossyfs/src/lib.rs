//! `lossyfs`: an in-memory FUSE filesystem that loses, when the power is cut, what a real disk
//! could lose: every file byte and directory entry not yet made durable by `fsync`.
//!
//! The power-cut harness (`tests/powercut/main.rs` of the `outrig` crate) mounts it, runs the
//! store's operations on it, cuts the power after any step ([`Mounted::cut_after`]), and boots
//! each state the disk may come back in ([`Mounted::boot`]) to check what survived. The rules
//! of what survives are on [`Crash`].
//!
//! Mounting needs `/dev/fuse` and root (the mount is made with `mount(2)` directly; no libfuse
//! or `fusermount` is used).

mod fuse;
mod model;

use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

pub use model::{Crash, Errno, Ino, Model, NewNode, Node, ROOT};

/// A mounted `lossyfs`, and the switch and snapshots that drive it. Unmounted on drop.
pub struct Mounted {
    model: Arc<Mutex<Model>>,
    path: PathBuf,
    session: Option<fuser::BackgroundSession>,
}

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
        let fs = fuse::LossyFs {
            model: Arc::clone(&model),
        };
        let mut config = fuser::Config::default();
        config.mount_options = vec![
            fuser::MountOption::FSName("lossyfs".to_owned()),
            fuser::MountOption::Subtype("lossyfs".to_owned()),
        ];
        let session = fuser::spawn_mount(fs, mountpoint, &config)?;
        Ok(Self {
            model,
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

impl Drop for Mounted {
    fn drop(&mut self) {
        if let Some(session) = self.session.take() {
            // Errors here only mean the kernel already let go of the mount.
            let _ = session.umount_and_join();
        }
    }
}
