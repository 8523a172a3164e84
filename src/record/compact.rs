//! [`SessionRecord`]: a session record as a listing reads it, every text in one block.
//!
//! A listing can read its records straight into this form (the record parser's sink below),
//! so a session costs one allocation, its block, where a [`Session`] costs one per text: for
//! a listing of 10k sessions, 10k allocations instead of about 80k, made on the listing's
//! threads and freed on the caller's, and half the memory. Each text is followed by a NUL,
//! so the C ABI hands out pointers into the block as they are. The block is a `str`, so a
//! getter slices it without checking UTF-8 again; a path that is not UTF-8 (a link target,
//! or a path of a `Session` made in Rust) is kept apart, byte for byte.

use std::ffi::{CStr, OsStr, OsString};
use std::fmt;
use std::os::unix::ffi::{OsStrExt as _, OsStringExt as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde_json::{Map, Value};

use super::{Fixed, Session, SessionSink, Sink, Text, parse};
use crate::error::Result;
use crate::store::Listed;

/// The text fields of a record.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Field {
    Id,
    ContainerName,
    ImageTag,
    ImageConfigName,
    AgentName,
    WorkingDir,
    SessionDir,
    LinkTarget,
}

/// The number of [`Field`]s.
const FIELDS: usize = 8;

/// While parsing, the place of `image_config_name`'s old name, after the fields.
const LEGACY_CONFIG: usize = FIELDS;

impl Field {
    const ALL: [Field; FIELDS] = [
        Field::Id,
        Field::ContainerName,
        Field::ImageTag,
        Field::ImageConfigName,
        Field::AgentName,
        Field::WorkingDir,
        Field::SessionDir,
        Field::LinkTarget,
    ];

    /// The field's name, for messages.
    #[cfg_attr(not(feature = "capi"), allow(dead_code))]
    pub(crate) fn name(self) -> &'static str {
        match self {
            Field::Id => "id",
            Field::ContainerName => "container_name",
            Field::ImageTag => "image_tag",
            Field::ImageConfigName => "image_config_name",
            Field::AgentName => "agent_name",
            Field::WorkingDir => "working_dir",
            Field::SessionDir => "session_dir",
            Field::LinkTarget => "link_target",
        }
    }

    /// The field a text of the parser goes to, or [`LEGACY_CONFIG`].
    fn place(text: Text) -> usize {
        (match text {
            Text::Id => Field::Id,
            Text::ContainerName => Field::ContainerName,
            Text::ImageTag => Field::ImageTag,
            Text::ImageConfigName => Field::ImageConfigName,
            Text::LegacyConfigName => return LEGACY_CONFIG,
            Text::AgentName => Field::AgentName,
            Text::WorkingDir => Field::WorkingDir,
            Text::SessionDir => Field::SessionDir,
        }) as usize
    }
}

/// Where a text lies: `len` bytes from `at`, then a NUL, in the block, or in the bytes kept
/// apart when `at` has [`Span::APART`]. A record is at most `MAX_RECORD_BYTES`, so both fit a
/// `u32` with a bit to spare, which keeps a listing's records small.
#[derive(Clone, Copy, PartialEq, Debug)]
struct Span {
    at: u32,
    len: u32,
}

impl Span {
    /// The bit of `at` that places a text among the bytes kept apart.
    const APART: u32 = 1 << 31;

    /// A field the record does not have.
    const ABSENT: Span = Span {
        at: u32::MAX,
        len: 0,
    };
}

/// A text of a record as a C string.
#[cfg_attr(not(feature = "capi"), allow(dead_code))]
pub(crate) enum CText<'a> {
    /// The record does not have it.
    Absent,
    Text(&'a CStr),
    /// It holds a NUL byte, which a C string cannot carry.
    HoldsNul,
}

/// A session record as a listing reads it, for reading: the fields of a [`Session`], every
/// text of the record in one allocation.
///
/// [`SessionStore::list_records`](crate::SessionStore::list_records) lists these; a reader
/// that only reads (prints a table, picks sessions to act on) saves a [`Session`]'s
/// allocation per text, and half the memory. [`to_session`](Self::to_session) gives the
/// [`Session`] to write or pass back to the store. Two records are equal when their sessions
/// are.
#[derive(Clone)]
pub struct SessionRecord {
    /// Every text that is UTF-8 (all but an odd path), each followed by a NUL.
    block: Box<str>,
    /// The paths that are not UTF-8, each followed by a NUL; empty (no allocation) for almost
    /// every record.
    apart: Box<[u8]>,
    fields: [Span; FIELDS],
    sidecars: Box<[Span]>,
    started_at: SystemTime,
    ended_at: Option<SystemTime>,
    exit_code: Option<i32>,
    /// Fields this version does not know, in their order on disk; `None` when there are none.
    unknown: Option<Box<Map<String, Value>>>,
}

impl SessionRecord {
    /// The session's id; also the name of its entry under the session root.
    pub fn id(&self) -> &str {
        self.str(Field::Id)
    }

    /// When the session started.
    pub fn started_at(&self) -> SystemTime {
        self.started_at
    }

    /// When it ended; `None` until the session is finalized.
    pub fn ended_at(&self) -> Option<SystemTime> {
        self.ended_at
    }

    /// Name of the agent's container.
    pub fn container_name(&self) -> &str {
        self.str(Field::ContainerName)
    }

    /// Names of the sidecar containers, in start order.
    pub fn sidecar_container_names(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.sidecars.iter().map(|&span| self.span_str(span))
    }

    /// Tag of the image the container ran.
    pub fn image_tag(&self) -> &str {
        self.str(Field::ImageTag)
    }

    /// Name of the image configuration, when the launcher had one.
    pub fn image_config_name(&self) -> Option<&str> {
        self.text(Field::ImageConfigName)
    }

    /// Name of the agent, when the launcher had one.
    pub fn agent_name(&self) -> Option<&str> {
        self.text(Field::AgentName)
    }

    /// The working directory the agent was started in.
    pub fn working_dir(&self) -> &Path {
        as_path(self.bytes(Field::WorkingDir).unwrap_or_default())
    }

    /// The directory that holds `session.json` (the link target for explicit sessions).
    pub fn session_dir(&self) -> &Path {
        as_path(self.bytes(Field::SessionDir).unwrap_or_default())
    }

    /// The agent's exit code, once finalized.
    pub fn exit_code(&self) -> Option<i32> {
        self.exit_code
    }

    /// Where `<root>/<id>` points when that entry is a symlink (explicit sessions).
    pub fn link_target(&self) -> Option<&Path> {
        self.bytes(Field::LinkTarget).map(as_path)
    }

    /// Fields of the record that this version does not know, in their order on disk.
    pub fn unknown_fields(&self) -> &Map<String, Value> {
        match &self.unknown {
            Some(unknown) => unknown,
            None => super::no_unknown_fields(),
        }
    }

    /// Whether the session was finalized, as [`Session::is_finalized`] says.
    pub fn is_finalized(&self) -> bool {
        self.ended_at.is_some()
    }

    /// How long the session ran, as [`Session::duration`] says.
    pub fn duration(&self) -> Option<Duration> {
        super::duration(self.started_at, self.ended_at)
    }

    /// The session's `logs/` directory (which may not exist yet).
    pub fn logs_dir(&self) -> PathBuf {
        self.session_dir().join(crate::store::LOGS_DIR)
    }

    /// The record as a [`Session`]: to write it, or to pass it to the store.
    pub fn to_session(&self) -> Session {
        let mut sink = SessionSink::default();
        let texts = [
            (Field::Id, Text::Id),
            (Field::ContainerName, Text::ContainerName),
            (Field::ImageTag, Text::ImageTag),
            (Field::ImageConfigName, Text::ImageConfigName),
            (Field::AgentName, Text::AgentName),
        ];
        for (field, text) in texts {
            if let Some(value) = self.text(field) {
                sink.text(text, value);
            }
        }
        for name in self.sidecar_container_names() {
            sink.sidecar(name);
        }
        let mut session = sink.finish(Fixed {
            started_at: self.started_at,
            ended_at: self.ended_at,
            exit_code: self.exit_code,
            unknown: self.unknown.clone(),
        });
        // The paths byte for byte, as a `Session` made in Rust may hold any.
        let path = |bytes: &[u8]| PathBuf::from(OsString::from_vec(bytes.to_vec()));
        session.working_dir = path(self.bytes(Field::WorkingDir).unwrap_or_default());
        session.session_dir = path(self.bytes(Field::SessionDir).unwrap_or_default());
        session.link_target = self.bytes(Field::LinkTarget).map(path);
        session
    }

    fn from_session(session: &Session) -> Self {
        let mut scratch = Scratch::default();
        let mut sink = Builder::new(&mut scratch);
        let s = session;
        let texts = [
            (Field::Id, Some(s.id.as_str().as_bytes())),
            (Field::ContainerName, Some(s.container_name.as_bytes())),
            (Field::ImageTag, Some(s.image_tag.as_bytes())),
            (
                Field::ImageConfigName,
                s.image_config_name.as_deref().map(str::as_bytes),
            ),
            (Field::AgentName, s.agent_name.as_deref().map(str::as_bytes)),
            (
                Field::WorkingDir,
                Some(s.working_dir.as_os_str().as_bytes()),
            ),
            (
                Field::SessionDir,
                Some(s.session_dir.as_os_str().as_bytes()),
            ),
            (
                Field::LinkTarget,
                s.link_target.as_deref().map(|p| p.as_os_str().as_bytes()),
            ),
        ];
        for (field, bytes) in texts {
            if let Some(bytes) = bytes {
                sink.spans[field as usize] = sink.push_bytes(bytes);
            }
        }
        for name in &s.sidecar_container_names {
            sink.sidecar(name);
        }
        sink.finish(Fixed {
            started_at: s.started_at,
            ended_at: s.ended_at,
            exit_code: s.exit_code,
            unknown: s.unknown.clone(),
        })
    }

    /// A text and its NUL.
    fn with_nul(&self, span: Span) -> &[u8] {
        let (bytes, at) = match span.at & Span::APART {
            0 => (self.block.as_bytes(), span.at),
            _ => (&*self.apart, span.at & !Span::APART),
        };
        &bytes[at as usize..][..span.len as usize + 1]
    }

    fn span(&self, span: Span) -> &[u8] {
        &self.with_nul(span)[..span.len as usize]
    }

    /// A text that came from a string (every one but a path).
    fn span_str(&self, span: Span) -> &str {
        // Such a text is always in the block, which slices at its bounds in O(1).
        self.block
            .get(span.at as usize..)
            .and_then(|rest| rest.get(..span.len as usize))
            .unwrap_or_default()
    }

    /// A text's bytes (without the NUL); `None` when the record does not have it.
    fn bytes(&self, field: Field) -> Option<&[u8]> {
        let span = self.fields[field as usize];
        (span != Span::ABSENT).then(|| self.span(span))
    }

    /// A text the record always has, as a string.
    fn str(&self, field: Field) -> &str {
        self.text(field).unwrap_or_default()
    }

    /// A text that came from a string; `None` when the record does not have it.
    fn text(&self, field: Field) -> Option<&str> {
        let span = self.fields[field as usize];
        (span != Span::ABSENT).then(|| self.span_str(span))
    }

    /// A text as a C string borrowed from the record.
    #[cfg_attr(not(feature = "capi"), allow(dead_code))]
    pub(crate) fn c_text(&self, field: Field) -> CText<'_> {
        match self.fields[field as usize] {
            Span::ABSENT => CText::Absent,
            span => self.c_str(span),
        }
    }

    /// Sidecar `i` as a C string; `None` when `i` is out of range.
    #[cfg_attr(not(feature = "capi"), allow(dead_code))]
    pub(crate) fn c_sidecar(&self, i: usize) -> Option<CText<'_>> {
        self.sidecars.get(i).map(|&span| self.c_str(span))
    }

    fn c_str(&self, span: Span) -> CText<'_> {
        match CStr::from_bytes_with_nul(self.with_nul(span)) {
            Ok(text) => CText::Text(text),
            Err(_) => CText::HoldsNul,
        }
    }
}

fn as_path(bytes: &[u8]) -> &Path {
    Path::new(OsStr::from_bytes(bytes))
}

/// # Panics
/// When the session's texts together reach 2 GiB, which no record can hold (a record is at
/// most [`MAX_RECORD_BYTES`](crate::MAX_RECORD_BYTES)).
impl From<&Session> for SessionRecord {
    fn from(session: &Session) -> Self {
        Self::from_session(session)
    }
}

/// # Panics
/// As `From<&Session>`.
impl From<Session> for SessionRecord {
    fn from(session: Session) -> Self {
        Self::from_session(&session)
    }
}

impl PartialEq for SessionRecord {
    fn eq(&self, other: &Self) -> bool {
        // By value, as `Session`'s equality: two records of one session may lay their texts
        // out in another order, and paths compare as paths (`/w/` is `/w`).
        self.started_at == other.started_at
            && self.ended_at == other.ended_at
            && self.exit_code == other.exit_code
            && Field::ALL.iter().all(|&f| match f {
                Field::WorkingDir | Field::SessionDir | Field::LinkTarget => {
                    self.bytes(f).map(as_path) == other.bytes(f).map(as_path)
                }
                _ => self.bytes(f) == other.bytes(f),
            })
            && self
                .sidecar_container_names()
                .eq(other.sidecar_container_names())
            && self.unknown == other.unknown
    }
}

impl fmt::Debug for SessionRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionRecord")
            .field("id", &self.id())
            .field("started_at", &self.started_at)
            .field("ended_at", &self.ended_at)
            .field("container_name", &self.container_name())
            .field(
                "sidecar_container_names",
                &self.sidecar_container_names().collect::<Vec<_>>(),
            )
            .field("image_tag", &self.image_tag())
            .field("image_config_name", &self.image_config_name())
            .field("agent_name", &self.agent_name())
            .field("working_dir", &self.working_dir())
            .field("session_dir", &self.session_dir())
            .field("exit_code", &self.exit_code)
            .field("link_target", &self.link_target())
            .field("unknown", &self.unknown)
            .finish()
    }
}

/// What a listing thread reuses from one record to the next: the block, the bytes kept apart
/// and the sidecars as they are built.
#[derive(Default)]
pub(crate) struct Scratch {
    block: String,
    apart: Vec<u8>,
    sidecars: Vec<Span>,
}

/// The record parser's sink for a [`SessionRecord`]: texts go into the scratch block as they are
/// read, and the record takes a copy of exactly its size.
struct Builder<'a> {
    scratch: &'a mut Scratch,
    /// The fields' spans, and the old configuration name's.
    spans: [Span; FIELDS + 1],
}

impl<'a> Builder<'a> {
    fn new(scratch: &'a mut Scratch) -> Self {
        scratch.block.clear();
        scratch.apart.clear();
        scratch.sidecars.clear();
        Self {
            scratch,
            spans: [Span::ABSENT; FIELDS + 1],
        }
    }

    /// Appends a text and its NUL to the block.
    fn push(&mut self, text: &str) -> Span {
        let block = &mut self.scratch.block;
        let span = span(block.len(), text.len());
        block.push_str(text);
        block.push('\0');
        span
    }

    /// Appends a path's bytes and a NUL: to the block when they are UTF-8, else apart.
    fn push_bytes(&mut self, bytes: &[u8]) -> Span {
        if let Ok(text) = std::str::from_utf8(bytes) {
            return self.push(text);
        }
        let apart = &mut self.scratch.apart;
        let mut span = span(apart.len(), bytes.len());
        span.at |= Span::APART;
        apart.extend_from_slice(bytes);
        apart.push(0);
        span
    }
}

/// The span of `len` bytes at `at`.
fn span(at: usize, len: usize) -> Span {
    let fit = |n: usize| u32::try_from(n).ok().filter(|n| n & Span::APART == 0);
    Span {
        at: fit(at).expect("a record's texts fit its size limit"),
        len: fit(len).expect("a record's texts fit its size limit"),
    }
}

impl Sink for Builder<'_> {
    type Record = SessionRecord;

    fn text(&mut self, field: Text, value: &str) {
        self.spans[Field::place(field)] = self.push(value);
    }

    fn sidecar(&mut self, name: &str) {
        let span = self.push(name);
        self.scratch.sidecars.push(span);
    }

    fn finish(self, fixed: Fixed) -> SessionRecord {
        let mut fields = [Span::ABSENT; FIELDS];
        fields.copy_from_slice(&self.spans[..FIELDS]);
        let config = &mut fields[Field::ImageConfigName as usize];
        // The current name wins when a record somehow carries both.
        if *config == Span::ABSENT {
            *config = self.spans[LEGACY_CONFIG];
        }
        SessionRecord {
            block: self.scratch.block.as_str().into(),
            apart: self.scratch.apart.as_slice().into(),
            fields,
            sidecars: self.scratch.sidecars.as_slice().into(),
            started_at: fixed.started_at,
            ended_at: fixed.ended_at,
            exit_code: fixed.exit_code,
            unknown: fixed.unknown,
        }
    }
}

impl Listed for SessionRecord {
    type Scratch = Scratch;

    fn from_json(bytes: &[u8], link_target: Option<&Path>, scratch: &mut Scratch) -> Result<Self> {
        let mut sink = Builder::new(scratch);
        if let Some(target) = link_target {
            sink.spans[Field::LinkTarget as usize] = sink.push_bytes(target.as_os_str().as_bytes());
        }
        parse(bytes, sink)
    }

    fn id(&self) -> &[u8] {
        self.bytes(Field::Id).unwrap_or_default()
    }

    fn started_at(&self) -> SystemTime {
        self.started_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECORD: &str = r#"{
  "id": "20260501T134412-3f2a",
  "started_at": "2026-05-01T13:44:12.5Z",
  "ended_at": "2026-05-01T13:45:00Z",
  "container_name": "c",
  "sidecar_container_names": ["side-a", "side\u0000b"],
  "image_tag": "t",
  "container_config_name": "old",
  "agent_name": null,
  "working_dir": "/w",
  "session_dir": "/s/d",
  "exit_code": 3,
  "later": {"kept": true}
}"#;

    fn text(record: &SessionRecord, field: Field) -> Option<String> {
        match record.c_text(field) {
            CText::Absent => None,
            CText::Text(t) => Some(t.to_str().unwrap().to_owned()),
            CText::HoldsNul => Some("<nul>".to_owned()),
        }
    }

    #[test]
    fn a_parsed_record_holds_what_a_session_does() {
        let mut scratch = Scratch::default();
        let record =
            SessionRecord::from_json(RECORD.as_bytes(), Some(Path::new("/t")), &mut scratch)
                .unwrap();
        let mut session = Session::from_json(RECORD.as_bytes()).unwrap();
        session.link_target = Some(PathBuf::from("/t"));
        assert_eq!(record.to_session(), session);
        assert_eq!(
            text(&record, Field::Id).as_deref(),
            Some("20260501T134412-3f2a")
        );
        assert_eq!(
            text(&record, Field::ImageConfigName).as_deref(),
            Some("old")
        );
        assert_eq!(text(&record, Field::AgentName), None);
        assert_eq!(text(&record, Field::LinkTarget).as_deref(), Some("/t"));
        assert!(matches!(record.c_sidecar(0), Some(CText::Text(t)) if t == c"side-a"));
        assert!(matches!(record.c_sidecar(1), Some(CText::HoldsNul)));
        assert!(record.c_sidecar(2).is_none());
        // The getters say what the session's fields do.
        let s = &session;
        assert_eq!(record.id(), s.id.as_str());
        assert_eq!(record.started_at(), s.started_at);
        assert_eq!(record.ended_at(), s.ended_at);
        assert_eq!(record.container_name(), s.container_name);
        let sidecars: Vec<&str> = record.sidecar_container_names().collect();
        assert_eq!(sidecars, s.sidecar_container_names);
        assert_eq!(record.image_tag(), s.image_tag);
        assert_eq!(record.image_config_name(), s.image_config_name.as_deref());
        assert_eq!(record.agent_name(), None);
        assert_eq!(record.working_dir(), s.working_dir);
        assert_eq!(record.session_dir(), s.session_dir);
        assert_eq!(record.exit_code(), Some(3));
        assert_eq!(record.link_target(), s.link_target.as_deref());
        assert_eq!(record.unknown_fields(), s.unknown_fields());
        assert_eq!(record.unknown_fields().len(), 1);
        assert!(record.is_finalized());
        assert_eq!(record.duration(), s.duration());
        assert_eq!(record.logs_dir(), s.logs_dir());
        assert_eq!(record, SessionRecord::from(s));
        // The block holds the texts and their NULs, nothing more: the old configuration
        // name's only when it is the one kept.
        let texts = [
            "20260501T134412-3f2a",
            "c",
            "side-a",
            "side\0b",
            "t",
            "old",
            "/w",
            "/s/d",
            "/t",
        ];
        assert_eq!(
            record.block.len(),
            texts.iter().map(|t| t.len() + 1).sum::<usize>()
        );
    }

    #[test]
    fn a_session_round_trips_through_its_record() {
        let both = RECORD.replace(
            "\"container_config_name\": \"old\"",
            "\"container_config_name\": \"old\", \"image_config_name\": \"new\"",
        );
        let session = Session::from_json(both.as_bytes()).unwrap();
        let record = SessionRecord::from_session(&session);
        assert_eq!(record.to_session(), session);
        assert_eq!(
            text(&record, Field::ImageConfigName).as_deref(),
            Some("new")
        );
        assert_eq!(text(&record, Field::LinkTarget), None);
        // Parsed, the current name wins over the old one in either order.
        let mut scratch = Scratch::default();
        let parsed = SessionRecord::from_json(both.as_bytes(), None, &mut scratch).unwrap();
        assert_eq!(
            text(&parsed, Field::ImageConfigName).as_deref(),
            Some("new")
        );
    }

    #[test]
    fn records_are_equal_when_their_sessions_are() {
        let session = Session::from_json(RECORD.as_bytes()).unwrap();
        let mut same = session.clone();
        same.working_dir = PathBuf::from("/w/");
        same.session_dir = PathBuf::from("/s/./d");
        same.link_target = None;
        assert_eq!(same, session);
        assert_eq!(SessionRecord::from(&same), SessionRecord::from(&session));
        let mut other = session.clone();
        other.working_dir = PathBuf::from("/w/x");
        assert_ne!(SessionRecord::from(&other), SessionRecord::from(&session));
        other = session.clone();
        other.link_target = Some(PathBuf::from("/t"));
        assert_ne!(SessionRecord::from(&other), SessionRecord::from(&session));
        other = session.clone();
        other.container_name.push('/');
        assert_ne!(SessionRecord::from(&other), SessionRecord::from(&session));
    }

    #[test]
    fn a_link_target_keeps_its_bytes() {
        let mut session = Session::from_json(RECORD.as_bytes()).unwrap();
        session.link_target = Some(PathBuf::from(OsStr::from_bytes(b"/t/\xff")));
        session.working_dir = PathBuf::from(OsStr::from_bytes(b"/w/\xfe"));
        let record = SessionRecord::from_session(&session);
        assert_eq!(record.bytes(Field::LinkTarget), Some(&b"/t/\xff"[..]));
        assert_eq!(record.working_dir(), session.working_dir);
        assert!(
            matches!(record.c_text(Field::WorkingDir), CText::Text(t) if t.to_bytes() == b"/w/\xfe")
        );
        // Kept apart from the block, which is UTF-8.
        assert_eq!(&*record.apart, b"/w/\xfe\0/t/\xff\0");
        assert_eq!(record.to_session(), session);
        assert_eq!(record, SessionRecord::from(&session));
    }

    #[test]
    fn a_record_that_does_not_parse_fails_as_a_session_does() {
        let mut scratch = Scratch::default();
        let bad = RECORD.replace("\"image_tag\": \"t\",", "");
        let err = SessionRecord::from_json(bad.as_bytes(), None, &mut scratch)
            .err()
            .unwrap();
        assert_eq!(
            err.message(),
            Session::from_json(bad.as_bytes()).unwrap_err().message()
        );
        // The scratch is reused as it was left.
        let ok = SessionRecord::from_json(RECORD.as_bytes(), None, &mut scratch).unwrap();
        assert_eq!(
            ok.to_session(),
            Session::from_json(RECORD.as_bytes()).unwrap()
        );
    }

    /// Every conformance vector, and each with every known field (and an unknown one) set to
    /// values of every JSON type, removed, or repeated, and each cut short: the record and the
    /// session parsers accept the same bytes as the same session and refuse the rest with the
    /// same message.
    #[test]
    fn records_and_sessions_parse_alike() {
        let dir = std::env::var_os("OUTRIG_CONFORMANCE_DIR").map_or_else(
            || Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance"),
            PathBuf::from,
        );
        let mut vectors = Vec::new();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "json") {
                vectors.push(std::fs::read(path).unwrap());
            }
        }
        assert!(
            vectors.len() > 10,
            "conformance vectors at {}",
            dir.display()
        );
        let values = [
            "null",
            "5",
            "-1",
            "2147483648",
            "true",
            "\"x\"",
            "\"../x\"",
            "\"a\\u0000b\"",
            "\"2026-05-01T13:44:12Z\"",
            "[]",
            "[\"a\", \"b\"]",
            "[1]",
            "[null]",
            "{}",
        ];
        let mut keys: Vec<&str> = Session::FIELDS.to_vec();
        keys.extend([super::super::field::LEGACY_CONFIG_NAME, "later"]);
        let mut cases = vectors.clone();
        for vector in &vectors {
            let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(vector) else {
                continue;
            };
            let text = serde_json::to_string(&fields).unwrap();
            for key in &keys {
                let mut without = fields.clone();
                without.remove(*key);
                cases.push(serde_json::to_vec(&without).unwrap());
                for value in values {
                    let mut with = fields.clone();
                    with.insert(key.to_string(), serde_json::from_str(value).unwrap());
                    cases.push(serde_json::to_vec(&with).unwrap());
                    let again = format!("{}, \"{key}\": {value}}}", &text[..text.len() - 1]);
                    cases.push(again.into_bytes());
                }
            }
            cases.extend((0..vector.len()).map(|n| vector[..n].to_vec()));
        }
        let mut scratch = Scratch::default();
        let (mut accepted, mut refused) = (0, 0);
        for case in &cases {
            let record = SessionRecord::from_json(case, None, &mut scratch);
            match (record, Session::from_json(case)) {
                (Ok(record), Ok(session)) => {
                    assert_eq!(record.to_session(), session);
                    accepted += 1;
                }
                (Err(r), Err(s)) => {
                    assert_eq!(r.message(), s.message());
                    refused += 1;
                }
                (r, s) => panic!(
                    "{}: record {:?}, session {:?}",
                    String::from_utf8_lossy(case),
                    r.map(|_| ()),
                    s.map(|_| ())
                ),
            }
        }
        assert!(accepted > 100 && refused > 1000, "{accepted} {refused}");
    }
}
