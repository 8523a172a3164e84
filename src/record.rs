//! The session record, `session.json`: what it holds and its exact bytes on disk.
//!
//! Reading accepts every shape outrig has written (`agent_name` absent or `null`,
//! `image_config_name` absent or under its old name `container_config_name`,
//! `sidecar_container_names` absent, empty or full, timestamps with any RFC 3339 offset).
//! Writing produces exactly outrig's bytes: known fields in outrig's order, absent optional
//! fields omitted, two-space pretty JSON without a trailing newline, UTC timestamps as jiff
//! prints them. Fields this version does not know are kept, after the known ones, in their
//! original order.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::id::SessionId;

mod compact;
mod read;
pub use compact::SessionRecord;
#[cfg(feature = "capi")]
pub(crate) use compact::{CText, Field as TextField};
pub(crate) use read::parse;
use read::{Fixed, SessionSink, Sink, Text};

/// One session as recorded in its `session.json`.
///
/// Read one with [`SessionStore::get`](crate::SessionStore::get) or a listing; make one with
/// [`SessionStore::create`](crate::SessionStore::create).
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    /// The session's id; also the name of its entry under the session root.
    pub id: SessionId,
    /// When the session started.
    pub started_at: SystemTime,
    /// When it ended; `None` until the session is finalized.
    pub ended_at: Option<SystemTime>,
    /// Name of the agent's container.
    pub container_name: String,
    /// Names of the sidecar containers, in start order.
    pub sidecar_container_names: Vec<String>,
    /// Tag of the image the container ran.
    pub image_tag: String,
    /// Name of the image configuration, when the launcher had one.
    pub image_config_name: Option<String>,
    /// Name of the agent, when the launcher had one.
    pub agent_name: Option<String>,
    /// The working directory the agent was started in.
    pub working_dir: PathBuf,
    /// The directory that holds `session.json` (the link target for explicit sessions).
    pub session_dir: PathBuf,
    /// The agent's exit code, once finalized.
    pub exit_code: Option<i32>,
    /// Where `<root>/<id>` points when that entry is a symlink (explicit sessions). In memory
    /// only: never written to disk.
    pub link_target: Option<PathBuf>,
    /// Fields a newer writer added, kept in their order for every rewrite; `None` when there
    /// are none (never an empty map, so equality holds), boxed as almost every record has
    /// none: an empty map is 72 bytes in every session of a listing.
    unknown: Option<Box<Map<String, Value>>>,
}

/// The record names outrig has used over time, in its write order.
pub(crate) mod field {
    pub const ID: &str = "id";
    pub const STARTED_AT: &str = "started_at";
    pub const ENDED_AT: &str = "ended_at";
    pub const CONTAINER_NAME: &str = "container_name";
    pub const SIDECARS: &str = "sidecar_container_names";
    pub const IMAGE_TAG: &str = "image_tag";
    pub const IMAGE_CONFIG_NAME: &str = "image_config_name";
    /// The name `image_config_name` had in older records.
    pub const LEGACY_CONFIG_NAME: &str = "container_config_name";
    pub const AGENT_NAME: &str = "agent_name";
    pub const WORKING_DIR: &str = "working_dir";
    pub const SESSION_DIR: &str = "session_dir";
    pub const EXIT_CODE: &str = "exit_code";
}

impl Session {
    /// The record's known fields, in the order outrig writes them (an absent optional field
    /// is left out of `session.json`).
    pub const FIELDS: [&'static str; 11] = [
        field::ID,
        field::STARTED_AT,
        field::ENDED_AT,
        field::CONTAINER_NAME,
        field::SIDECARS,
        field::IMAGE_TAG,
        field::IMAGE_CONFIG_NAME,
        field::AGENT_NAME,
        field::WORKING_DIR,
        field::SESSION_DIR,
        field::EXIT_CODE,
    ];
}

impl Session {
    /// Builds a record for a session starting now-ish; used by the store's `create`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn starting(
        id: SessionId,
        started_at: SystemTime,
        container_name: String,
        sidecar_container_names: Vec<String>,
        image_tag: String,
        image_config_name: Option<String>,
        agent_name: Option<String>,
        working_dir: PathBuf,
        session_dir: PathBuf,
    ) -> Self {
        Self {
            id,
            started_at,
            ended_at: None,
            container_name,
            sidecar_container_names,
            image_tag,
            image_config_name,
            agent_name,
            working_dir,
            session_dir,
            exit_code: None,
            link_target: None,
            unknown: None,
        }
    }

    /// Parses the bytes of a `session.json`.
    ///
    /// # Errors
    /// [`ErrorKind::CorruptRecord`](crate::ErrorKind::CorruptRecord) when the bytes are not a
    /// session record; the message says which field is wrong.
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        parse(bytes, read::SessionSink::default())
    }

    /// The exact bytes outrig writes for this record (pretty JSON, no trailing newline).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) when a path is not
    /// UTF-8 or a time lies outside the years -9999 to 9999, since neither can be written as
    /// outrig's JSON.
    pub fn to_json(&self) -> Result<Vec<u8>> {
        serde_json::to_vec_pretty(self)
            .map_err(|e| Error::invalid(format!("session {} cannot be written: {e}", self.id)))
    }

    /// Whether the session was finalized: its record has `ended_at`. This says nothing of
    /// whether an unfinalized session still runs: ask [`SessionStore::state`] for that.
    ///
    /// [`SessionStore::state`]: crate::SessionStore::state
    pub fn is_finalized(&self) -> bool {
        self.ended_at.is_some()
    }

    /// `true` until the session is finalized: `!is_finalized()`. Not whether it runs.
    #[deprecated(
        since = "0.2.0",
        note = "it means \"not finalized\", not State::Running: use !is_finalized(), or \
                SessionStore::state for whether the session runs"
    )]
    pub fn is_running(&self) -> bool {
        !self.is_finalized()
    }

    /// How long the session ran: `ended_at - started_at`, or `None` until it is finalized. An end
    /// before the start (a clock step) counts as zero.
    pub fn duration(&self) -> Option<Duration> {
        duration(self.started_at, self.ended_at)
    }

    /// The session's `logs/` directory (which may not exist yet).
    pub fn logs_dir(&self) -> PathBuf {
        self.session_dir.join(crate::store::LOGS_DIR)
    }

    /// Fields of the record that this version does not know, in their order on disk.
    pub fn unknown_fields(&self) -> &Map<String, Value> {
        self.unknown.as_deref().unwrap_or(no_unknown_fields())
    }
}

/// The unknown fields of a record without any.
fn no_unknown_fields() -> &'static Map<String, Value> {
    static NONE: std::sync::LazyLock<Map<String, Value>> = std::sync::LazyLock::new(Map::new);
    &NONE
}

/// How long a session ran: from its start to its end, `None` without an end; an end before
/// the start (a clock step) counts as zero.
fn duration(started_at: SystemTime, ended_at: Option<SystemTime>) -> Option<Duration> {
    ended_at.map(|end| end.duration_since(started_at).unwrap_or_default())
}

/// `t` as nanoseconds from the Unix epoch (negative before it), exactly: every `SystemTime`
/// fits an `i128`, and the numbers compare as the times do.
pub(crate) fn nanos_since_epoch(t: SystemTime) -> i128 {
    match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(after) => after.as_nanos() as i128,
        Err(before) => -(before.duration().as_nanos() as i128),
    }
}

fn write_time(t: SystemTime) -> std::result::Result<jiff::Timestamp, String> {
    jiff::Timestamp::try_from(t).map_err(|e| format!("time out of range: {e}"))
}

fn path_str(p: &Path) -> std::result::Result<&str, String> {
    p.to_str()
        .ok_or_else(|| format!("path {} is not valid UTF-8", p.display()))
}

impl Serialize for Session {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::Error as _;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry(field::ID, self.id.as_str())?;
        let started = write_time(self.started_at).map_err(S::Error::custom)?;
        m.serialize_entry(field::STARTED_AT, &format_args!("{started}"))?;
        if let Some(end) = self.ended_at {
            let end = write_time(end).map_err(S::Error::custom)?;
            m.serialize_entry(field::ENDED_AT, &format_args!("{end}"))?;
        }
        m.serialize_entry(field::CONTAINER_NAME, &self.container_name)?;
        if !self.sidecar_container_names.is_empty() {
            m.serialize_entry(field::SIDECARS, &self.sidecar_container_names)?;
        }
        m.serialize_entry(field::IMAGE_TAG, &self.image_tag)?;
        if let Some(name) = &self.image_config_name {
            m.serialize_entry(field::IMAGE_CONFIG_NAME, name)?;
        }
        if let Some(name) = &self.agent_name {
            m.serialize_entry(field::AGENT_NAME, name)?;
        }
        let working = path_str(&self.working_dir).map_err(S::Error::custom)?;
        m.serialize_entry(field::WORKING_DIR, working)?;
        let dir = path_str(&self.session_dir).map_err(S::Error::custom)?;
        m.serialize_entry(field::SESSION_DIR, dir)?;
        if let Some(code) = self.exit_code {
            m.serialize_entry(field::EXIT_CODE, &code)?;
        }
        for (k, v) in self.unknown_fields() {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn fields_are_listed_in_the_order_they_are_written() {
        let mut s = Session::from_json(RUNNING.as_bytes()).unwrap();
        s.ended_at = Some(s.started_at);
        s.exit_code = Some(0);
        s.sidecar_container_names = vec!["side".into()];
        s.image_config_name = Some("coding".into());
        s.agent_name = Some("coder".into());
        let written: Map<String, Value> = serde_json::from_slice(&s.to_json().unwrap()).unwrap();
        let keys: Vec<&str> = written.keys().map(String::as_str).collect();
        assert_eq!(keys, Session::FIELDS);
    }

    const RUNNING: &str = r#"{
  "id": "20260501T134412-3f2a",
  "started_at": "2026-05-01T13:44:12.5Z",
  "container_name": "c",
  "image_tag": "t",
  "working_dir": "/w",
  "session_dir": "/s"
}"#;

    #[test]
    fn round_trips_exact_bytes() {
        let s = Session::from_json(RUNNING.as_bytes()).unwrap();
        assert!(!s.is_finalized());
        #[allow(deprecated)]
        let old_name = s.is_running();
        assert!(old_name);
        assert_eq!(s.duration(), None);
        assert_eq!(String::from_utf8(s.to_json().unwrap()).unwrap(), RUNNING);
    }

    #[test]
    fn duplicate_known_fields_are_corrupt() {
        let dup = RUNNING.replace(
            "\"image_tag\": \"t\"",
            "\"image_tag\": \"t\", \"image_tag\": \"u\"",
        );
        let err = Session::from_json(dup.as_bytes()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::CorruptRecord);
        assert!(
            err.message().contains("duplicate field `image_tag`"),
            "{}",
            err.message()
        );
    }

    #[test]
    fn record_ids_are_validated() {
        let bad = RUNNING.replace("20260501T134412-3f2a", "../../etc");
        let err = Session::from_json(bad.as_bytes()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::CorruptRecord);
        assert!(
            err.message().contains("invalid session id"),
            "{}",
            err.message()
        );
    }

    #[test]
    fn current_config_name_wins_over_legacy() {
        let both = RUNNING.replace(
            "\"image_tag\": \"t\",",
            "\"image_tag\": \"t\", \"container_config_name\": \"old\", \"image_config_name\": \"new\",",
        );
        let s = Session::from_json(both.as_bytes()).unwrap();
        assert_eq!(s.image_config_name.as_deref(), Some("new"));
        assert!(s.unknown_fields().is_empty());
    }

    #[test]
    fn duration_and_clock_steps() {
        let mut s = Session::from_json(RUNNING.as_bytes()).unwrap();
        s.ended_at = Some(s.started_at + Duration::from_secs(44));
        assert_eq!(s.duration(), Some(Duration::from_secs(44)));
        s.ended_at = Some(s.started_at - Duration::from_secs(1));
        assert_eq!(s.duration(), Some(Duration::ZERO));
    }

    #[test]
    fn unwritable_values_are_refused() {
        use std::os::unix::ffi::OsStrExt;
        let mut s = Session::from_json(RUNNING.as_bytes()).unwrap();
        s.working_dir = PathBuf::from(std::ffi::OsStr::from_bytes(b"/w/\xff"));
        let err = s.to_json().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        assert!(
            err.message().contains("not valid UTF-8"),
            "{}",
            err.message()
        );
    }
}
