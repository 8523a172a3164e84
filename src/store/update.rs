//! Read-modify-write of one record, under the session directory's lock.

use std::time::SystemTime;

use super::SessionStore;
use crate::error::{Error, Result};
use crate::id::SessionId;
use crate::record::Session;

impl SessionStore {
    /// Marks a session ended: sets `ended_at` and `exit_code`, keeps every other field (unknown
    /// ones included), and returns the record as written. Finalizing again overwrites both.
    ///
    /// The update holds an exclusive lock on the session directory from read to write, so it
    /// never loses a concurrent [`set_sidecar_containers`](Self::set_sidecar_containers) or
    /// finalize, in this process or another. The lock is waited for at most
    /// [`lock_wait`](Self::lock_wait). The write is durable and atomic, and a record over
    /// [`MAX_RECORD_BYTES`](crate::MAX_RECORD_BYTES) is never written.
    ///
    /// # Errors
    /// [`ErrorKind::Busy`](crate::ErrorKind::Busy) when another process holds the session's
    /// lock past the wait (a running launcher's lease, or `outrig run-new`);
    /// [`ErrorKind::NotFound`](crate::ErrorKind::NotFound) for no such session,
    /// [`ErrorKind::CorruptRecord`](crate::ErrorKind::CorruptRecord) when its record does not
    /// parse (it is left as it is), [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument)
    /// when `ended_at` lies outside the years -9999 to 9999, [`ErrorKind::Io`](crate::ErrorKind::Io)
    /// when it cannot be written.
    pub fn finalize(
        &self,
        id: &SessionId,
        ended_at: SystemTime,
        exit_code: i32,
    ) -> Result<Session> {
        check_end_time(id, ended_at)?;
        self.update(id, true, |s| {
            s.ended_at = Some(ended_at);
            s.exit_code = Some(exit_code);
        })
    }

    /// [`finalize`](Self::finalize) with the current time as `ended_at`.
    ///
    /// # Errors
    /// As for [`finalize`](Self::finalize).
    pub fn finalize_now(&self, id: &SessionId, exit_code: i32) -> Result<Session> {
        self.finalize(id, SystemTime::now(), exit_code)
    }

    /// Replaces the session's sidecar container names (in start order) and returns the record
    /// as written; an empty list removes the field. Locked and durable like
    /// [`finalize`](Self::finalize).
    ///
    /// # Errors
    /// As for [`finalize`](Self::finalize); an empty name, or names that would make the record
    /// larger than [`MAX_RECORD_BYTES`](crate::MAX_RECORD_BYTES), is
    /// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) (nothing is written).
    pub fn set_sidecar_containers<S: AsRef<str>>(
        &self,
        id: &SessionId,
        names: &[S],
    ) -> Result<Session> {
        let names = sidecar_names(id, names)?;
        self.update(id, false, move |s| s.sidecar_container_names = names)
    }

    /// Read-modify-write of the record of `id`, under the session's lock, all through the
    /// session directory's descriptor.
    /// When this process holds the session's lease, the update goes through it, and a
    /// finalize (`ends`) ends it.
    fn update(
        &self,
        id: &SessionId,
        ends: bool,
        change: impl FnOnce(&mut Session),
    ) -> Result<Session> {
        let dir = self.open_session(id)?;
        let locked = dir.lock(self.lock_wait)?;
        let mut session = dir.read()?;
        change(&mut session);
        dir.write(&session)?;
        if ends {
            locked.end_lease();
        }
        Ok(session)
    }
}

/// Refuses an end time a record cannot hold.
pub(crate) fn check_end_time(id: &SessionId, ended_at: SystemTime) -> Result<()> {
    if jiff::Timestamp::try_from(ended_at).is_err() {
        return Err(Error::invalid(format!(
            "ended_at for session {id} is outside the years -9999 to 9999; pass a real time"
        )));
    }
    Ok(())
}

/// Sidecar names as a record holds them; an empty one is refused.
pub(crate) fn sidecar_names<S: AsRef<str>>(id: &SessionId, names: &[S]) -> Result<Vec<String>> {
    if names.iter().any(|n| n.as_ref().is_empty()) {
        return Err(Error::invalid(format!(
            "a sidecar container name for session {id} is empty; give every sidecar its \
             container's name"
        )));
    }
    Ok(names.iter().map(|n| n.as_ref().to_owned()).collect())
}
