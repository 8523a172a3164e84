//! The session lock: an exclusive `flock` on the session directory, the lock `outrig run-new`
//! holds for its whole run.
//!
//! Our own read-modify-writes and removals hold it for milliseconds; a launcher's lease holds
//! it for as long as the session runs. So it is never waited for without a bound: a caller
//! waits at most [`LOCK_WAIT`] and then gets [`ErrorKind::Busy`].

use std::os::fd::BorrowedFd;
use std::path::Path;
use std::time::{Duration, Instant};

use rustix::fs::{FlockOperation, flock};
use rustix::io::Errno;

use crate::error::{Error, ErrorKind, Result};

/// How long an operation waits for a session's lock before it fails with
/// [`ErrorKind::Busy`]. The store's own critical sections last milliseconds, so a lock held
/// longer than this is a running launcher's lease.
pub const LOCK_WAIT: Duration = Duration::from_secs(1);

/// The longest pause between two attempts while waiting.
const MAX_PAUSE: Duration = Duration::from_millis(8);

/// Takes the exclusive lock on the directory `dir`, trying for at most `wait`. It is released
/// when every descriptor of that open directory is closed (or the process dies).
///
/// # Errors
/// [`ErrorKind::Busy`] with `busy()`'s message when another holder keeps it past `wait`;
/// [`ErrorKind::Io`] when the lock cannot be taken at all.
pub(crate) fn acquire(
    dir: BorrowedFd<'_>,
    dir_path: &Path,
    wait: Duration,
    busy: impl Fn() -> String,
) -> Result<()> {
    let start = Instant::now();
    let mut pause = Duration::from_micros(250);
    loop {
        if try_acquire(dir)
            .map_err(|e| Error::io("locking session directory", dir_path, e.into()))?
        {
            return Ok(());
        }
        let waited = start.elapsed();
        if waited >= wait {
            return Err(Error::new(ErrorKind::Busy, busy()));
        }
        // Polling, not a blocking flock: a blocking one cannot be bounded without signals.
        std::thread::sleep(pause.min(wait - waited));
        pause = (pause * 2).min(MAX_PAUSE);
    }
}

/// One attempt at the exclusive lock: `true` when taken, `false` when another holder has it.
pub(crate) fn try_acquire(dir: BorrowedFd<'_>) -> rustix::io::Result<bool> {
    loop {
        match flock(dir, FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => return Ok(true),
            Err(Errno::WOULDBLOCK) => return Ok(false),
            Err(Errno::INTR) => continue,
            Err(e) => return Err(e),
        }
    }
}

/// Whether some other open description of the directory holds its lock: a non-blocking
/// attempt through `dir` (which must not hold it), released at once. Writes nothing.
pub(crate) fn is_held_elsewhere(dir: BorrowedFd<'_>) -> rustix::io::Result<bool> {
    if try_acquire(dir)? {
        flock(dir, FlockOperation::Unlock)?;
        Ok(false)
    } else {
        Ok(true)
    }
}
