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
        if jiff::Timestamp::try_from(ended_at).is_err() {
            return Err(Error::invalid(format!(
                "ended_at for session {id} is outside the years -9999 to 9999; pass a real time"
            )));
        }
        self.update(id, |s| {
            s.ended_at = Some(ended_at);
            s.exit_code = Some(exit_code);
        })
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
        if names.iter().any(|n| n.as_ref().is_empty()) {
            return Err(Error::invalid(format!(
                "a sidecar container name for session {id} is empty; give every sidecar its \
                 container's name"
            )));
        }
        let names: Vec<String> = names.iter().map(|n| n.as_ref().to_owned()).collect();
        self.update(id, move |s| s.sidecar_container_names = names)
    }

    /// Read-modify-write of the record of `id`, under the session's lock, all through the
    /// session directory's descriptor.
    fn update(&self, id: &SessionId, change: impl FnOnce(&mut Session)) -> Result<Session> {
        let dir = self.open_session(id)?;
        dir.lock(self.lock_wait)?;
        let mut session = dir.read()?;
        change(&mut session);
        dir.write(&session)?;
        Ok(session)
    }
}
