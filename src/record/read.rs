//! Reading a `session.json`: one parser that checks a record, and sinks that keep what it reads.
//!
//! The parser checks everything a record must be (a JSON object, each known field once and of
//! its type, the required fields present, a valid id, timestamps jiff reads) whatever keeps the
//! values: a [`Session`], or a face's own form of the record (the C ABI keeps every text of a
//! record in one block, NUL-terminated, so a listing of 10k sessions allocates 10k blocks
//! instead of 80k strings). So every face accepts and refuses the same records with the same
//! messages.

use std::fmt;
use std::path::PathBuf;
use std::time::SystemTime;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::{Session, field};
use crate::error::{Error, ErrorKind, Result};
use crate::id::{SessionId, check_name};

/// A text field of the record, as the parser hands it to a sink.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Text {
    /// Already checked as a session id.
    Id,
    ContainerName,
    ImageTag,
    ImageConfigName,
    /// `image_config_name` under its old name; the sink keeps it only when the record has no
    /// `image_config_name` (see [`Sink::text`]).
    LegacyConfigName,
    AgentName,
    WorkingDir,
    SessionDir,
}

/// The fields of a record that are not text, read and checked by the parser.
pub(crate) struct Fixed {
    pub(crate) started_at: SystemTime,
    pub(crate) ended_at: Option<SystemTime>,
    pub(crate) exit_code: Option<i32>,
    /// Fields this version does not know, in their order; `None` when there are none.
    pub(crate) unknown: Option<Box<Map<String, Value>>>,
}

/// What keeps the values of a record as the parser reads them.
///
/// The parser hands over each text field that is present and not `null`, once (a second
/// occurrence fails the record first), and the sidecar names in order; it calls
/// [`finish`](Self::finish) only for a record with every required field.
pub(crate) trait Sink {
    /// The record built.
    type Record;
    /// One text field. A sink resolves the old name of the configuration name itself: the
    /// current name wins when a record somehow carries both, in either order.
    fn text(&mut self, field: Text, value: &str);
    /// The next sidecar container name.
    fn sidecar(&mut self, name: &str);
    /// The record, from the texts handed over and the other fields.
    fn finish(self, fixed: Fixed) -> Self::Record;
}

/// Parses the bytes of a `session.json` into what `sink` builds.
///
/// # Errors
/// [`ErrorKind::CorruptRecord`] when the bytes are not a session record; the message says which
/// field is wrong.
pub(crate) fn parse<S: Sink>(bytes: &[u8], sink: S) -> Result<S::Record> {
    // A record is checked for UTF-8 once, whole, and then read as text: read as bytes, every
    // key and string is checked again on its own (3% of a listing's time). A record that is
    // not UTF-8 is read as bytes, so its error names where, as it always has.
    match std::str::from_utf8(bytes) {
        Ok(text) => parse_from(serde_json::Deserializer::from_str(text), sink),
        Err(_) => parse_from(serde_json::Deserializer::from_slice(bytes), sink),
    }
}

fn parse_from<'de, R: serde_json::de::Read<'de>, S: Sink>(
    mut de: serde_json::Deserializer<R>,
    sink: S,
) -> Result<S::Record> {
    de.deserialize_map(RecordVisitor { sink })
        .and_then(|record| de.end().map(|()| record))
        .map_err(|e| {
            Error::new(
                ErrorKind::CorruptRecord,
                format!("not a session record: {e}"),
            )
        })
}

impl<'de> Deserialize<'de> for Session {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_map(RecordVisitor {
            sink: SessionSink::default(),
        })
    }
}

/// Builds a [`Session`], one `String` per text field.
#[derive(Default)]
pub(crate) struct SessionSink {
    id: String,
    container_name: String,
    image_tag: String,
    image_config_name: Option<String>,
    legacy_config_name: Option<String>,
    agent_name: Option<String>,
    working_dir: String,
    session_dir: String,
    sidecars: Vec<String>,
}

impl Sink for SessionSink {
    type Record = Session;

    fn text(&mut self, field: Text, value: &str) {
        let value = value.to_owned();
        match field {
            Text::Id => self.id = value,
            Text::ContainerName => self.container_name = value,
            Text::ImageTag => self.image_tag = value,
            Text::ImageConfigName => self.image_config_name = Some(value),
            Text::LegacyConfigName => self.legacy_config_name = Some(value),
            Text::AgentName => self.agent_name = Some(value),
            Text::WorkingDir => self.working_dir = value,
            Text::SessionDir => self.session_dir = value,
        }
    }

    fn sidecar(&mut self, name: &str) {
        self.sidecars.push(name.to_owned());
    }

    fn finish(self, fixed: Fixed) -> Session {
        Session {
            id: SessionId::checked(self.id),
            started_at: fixed.started_at,
            ended_at: fixed.ended_at,
            container_name: self.container_name,
            sidecar_container_names: self.sidecars,
            image_tag: self.image_tag,
            image_config_name: self.image_config_name.or(self.legacy_config_name),
            agent_name: self.agent_name,
            working_dir: PathBuf::from(self.working_dir),
            session_dir: PathBuf::from(self.session_dir),
            exit_code: fixed.exit_code,
            link_target: None,
            unknown: fixed.unknown,
        }
    }
}

struct RecordVisitor<S> {
    sink: S,
}

/// A field the record holds as a JSON string and this crate as a `T`: one deserializer for
/// every such field, each kind saying what it expects and how it parses.
struct Parsed<T>(T);

/// A value read from a record's string field.
trait StrField: Sized {
    /// What the field must hold, for the error message.
    const EXPECTING: &'static str;
    /// Parses the field's text.
    fn from_field(s: &str) -> std::result::Result<Self, String>;
}

/// A timestamp field: any RFC 3339 string jiff accepts.
impl StrField for SystemTime {
    const EXPECTING: &'static str = "an RFC 3339 timestamp such as \"2026-05-01T13:44:12Z\"";
    fn from_field(s: &str) -> std::result::Result<Self, String> {
        s.parse::<jiff::Timestamp>()
            .and_then(SystemTime::try_from)
            .map_err(|e| format!("timestamp {s:?}: {e}"))
    }
}

impl<'de, T: StrField> Deserialize<'de> for Parsed<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<T: StrField> Visitor<'_> for V<T> {
            type Value = Parsed<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(T::EXPECTING)
            }
            fn visit_str<E: de::Error>(self, s: &str) -> std::result::Result<Parsed<T>, E> {
                T::from_field(s).map(Parsed).map_err(E::custom)
            }
        }
        d.deserialize_str(V(std::marker::PhantomData))
    }
}

/// Reads one known field, refusing a second occurrence as outrig's reader does.
fn take<'de, A, T>(
    map: &mut A,
    slot: &mut Option<T>,
    name: &'static str,
) -> std::result::Result<(), A::Error>
where
    A: MapAccess<'de>,
    T: Deserialize<'de>,
{
    if slot.is_some() {
        return Err(de::Error::duplicate_field(name));
    }
    *slot = Some(map.next_value()?);
    Ok(())
}

impl Text {
    /// Whether a record may leave the field out or hold `null` there.
    fn nullable(self) -> bool {
        matches!(
            self,
            Text::ImageConfigName | Text::LegacyConfigName | Text::AgentName
        )
    }
}

/// Reads one text field into the sink: a string, or `null` for a nullable field. What a
/// wrong value says is what serde says of a `String` or an `Option<String>`.
struct TextSeed<'a, S> {
    sink: &'a mut S,
    field: Text,
    /// Whether the value may still be `null`: a nullable field's, until inside its `Some`.
    nullable: bool,
}

impl<'de, S: Sink> DeserializeSeed<'de> for TextSeed<'_, S> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        if self.nullable {
            d.deserialize_option(self)
        } else {
            d.deserialize_str(self)
        }
    }
}

impl<'de, S: Sink> Visitor<'de> for TextSeed<'_, S> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.field {
            _ if self.nullable => "option",
            Text::Id => "a session id string",
            _ => "a string",
        })
    }

    fn visit_str<E: de::Error>(self, s: &str) -> std::result::Result<(), E> {
        if self.field == Text::Id {
            // The store turns an id into a path (removal by path finds the root's link by
            // it): checked like any caller-given id.
            check_name(s, "session id").map_err(|e| E::custom(e.message()))?;
        }
        self.sink.text(self.field, s);
        Ok(())
    }

    fn visit_none<E: de::Error>(self) -> std::result::Result<(), E> {
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> std::result::Result<(), E> {
        Ok(())
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_str(TextSeed {
            nullable: false,
            ..self
        })
    }
}

/// Reads `sidecar_container_names` (a list of strings, or `null`) into the sink.
struct SidecarsSeed<'a, S> {
    sink: &'a mut S,
    /// Whether the value may still be `null`: true until inside the list.
    nullable: bool,
}

impl<'de, S: Sink> DeserializeSeed<'de> for SidecarsSeed<'_, S> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de, S: Sink> Visitor<'de> for SidecarsSeed<'_, S> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.nullable {
            "option"
        } else {
            "a sequence"
        })
    }

    fn visit_none<E: de::Error>(self) -> std::result::Result<(), E> {
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> std::result::Result<(), E> {
        Ok(())
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_seq(SidecarsSeed {
            sink: self.sink,
            nullable: false,
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<(), A::Error> {
        while seq
            .next_element_seed(SidecarSeed {
                sink: &mut *self.sink,
            })?
            .is_some()
        {}
        Ok(())
    }
}

/// Reads one sidecar name into the sink.
struct SidecarSeed<'a, S> {
    sink: &'a mut S,
}

impl<'de, S: Sink> DeserializeSeed<'de> for SidecarSeed<'_, S> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_str(self)
    }
}

impl<S: Sink> Visitor<'_> for SidecarSeed<'_, S> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: de::Error>(self, s: &str) -> std::result::Result<(), E> {
        self.sink.sidecar(s);
        Ok(())
    }
}

/// The key of one map entry: a known field or an unknown one to keep.
enum Key {
    /// Its name, and its bit in the set of fields seen (its place in [`KNOWN`]).
    Known(&'static str, u16),
    Unknown(String),
}

struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Key;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Key, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> std::result::Result<Key, E> {
                Ok(match KNOWN.iter().position(|k| *k == s) {
                    Some(place) => Key::Known(KNOWN[place], 1 << place),
                    None => Key::Unknown(s.to_owned()),
                })
            }
        }
        d.deserialize_str(V)
    }
}

/// The names the record has held, each with its bit in the parser's set of fields seen.
const KNOWN: [&str; 12] = [
    field::ID,
    field::STARTED_AT,
    field::ENDED_AT,
    field::CONTAINER_NAME,
    field::SIDECARS,
    field::IMAGE_TAG,
    field::IMAGE_CONFIG_NAME,
    field::LEGACY_CONFIG_NAME,
    field::AGENT_NAME,
    field::WORKING_DIR,
    field::SESSION_DIR,
    field::EXIT_CODE,
];

/// The known fields seen so far, one bit each (by place in [`KNOWN`]).
#[derive(Default)]
struct Seen(u16);

impl Seen {
    /// Marks a field seen, refusing a second occurrence as outrig's reader does.
    fn first<E: de::Error>(&mut self, name: &'static str, bit: u16) -> std::result::Result<(), E> {
        if self.0 & bit != 0 {
            return Err(E::duplicate_field(name));
        }
        self.0 |= bit;
        Ok(())
    }

    /// Refuses a record without the field `name`.
    fn require<E: de::Error>(&self, name: &'static str) -> std::result::Result<(), E> {
        let place = KNOWN.iter().position(|k| *k == name);
        if self.0 & (1 << place.expect("a known field")) == 0 {
            return Err(E::missing_field(name));
        }
        Ok(())
    }
}

impl<'de, S: Sink> Visitor<'de> for RecordVisitor<S> {
    type Value = S::Record;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a session record (a JSON object)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<S::Record, A::Error> {
        use field::*;
        let mut sink = self.sink;
        let mut seen = Seen::default();
        let mut started_at: Option<Parsed<SystemTime>> = None;
        let mut ended_at: Option<Option<Parsed<SystemTime>>> = None;
        let mut exit_code: Option<Option<i32>> = None;
        let mut unknown = Map::new();

        while let Some(key) = map.next_key_seed(KeySeed)? {
            let (name, bit) = match key {
                Key::Known(name, bit) => (name, bit),
                Key::Unknown(name) => {
                    let value: Value = map.next_value()?;
                    unknown.insert(name, value);
                    continue;
                }
            };
            let field = match name {
                STARTED_AT => {
                    take(&mut map, &mut started_at, STARTED_AT)?;
                    continue;
                }
                ENDED_AT => {
                    take(&mut map, &mut ended_at, ENDED_AT)?;
                    continue;
                }
                EXIT_CODE => {
                    take(&mut map, &mut exit_code, EXIT_CODE)?;
                    continue;
                }
                SIDECARS => {
                    seen.first(SIDECARS, bit)?;
                    map.next_value_seed(SidecarsSeed {
                        sink: &mut sink,
                        nullable: true,
                    })?;
                    continue;
                }
                ID => Text::Id,
                CONTAINER_NAME => Text::ContainerName,
                IMAGE_TAG => Text::ImageTag,
                IMAGE_CONFIG_NAME => Text::ImageConfigName,
                LEGACY_CONFIG_NAME => Text::LegacyConfigName,
                AGENT_NAME => Text::AgentName,
                WORKING_DIR => Text::WorkingDir,
                SESSION_DIR => Text::SessionDir,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            };
            seen.first(name, bit)?;
            map.next_value_seed(TextSeed {
                sink: &mut sink,
                field,
                nullable: field.nullable(),
            })?;
        }

        seen.require(ID)?;
        let started_at = started_at
            .ok_or_else(|| de::Error::missing_field(STARTED_AT))?
            .0;
        for name in [CONTAINER_NAME, IMAGE_TAG, WORKING_DIR, SESSION_DIR] {
            seen.require(name)?;
        }
        Ok(sink.finish(Fixed {
            started_at,
            ended_at: ended_at.flatten().map(|t| t.0),
            exit_code: exit_code.flatten(),
            unknown: (!unknown.is_empty()).then(|| Box::new(unknown)),
        }))
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    const RECORD: &str = r#"{"id": "20260501T134412-3f2a", "started_at": "2026-05-01T13:44:12Z",
"container_name": "c\u00e9", "image_tag": "tag", "working_dir": "/w/é", "session_dir": "/s",
"later": "x"}"#;

    fn session(bytes: &[u8]) -> Result<Session> {
        parse(bytes, SessionSink::default())
    }

    /// Text read as text: escapes and raw UTF-8 alike, keys and values, known fields or not.
    #[test]
    fn utf8_records_read_as_text() {
        let s = session(RECORD.as_bytes()).unwrap();
        assert_eq!(s.container_name, "cé");
        assert_eq!(s.working_dir, Path::new("/w/é"));
        assert_eq!(s.unknown_fields()["later"], "x");
    }

    /// A record that is not UTF-8, in a value, a key or an unknown field, is refused, and the
    /// message says where, as reading it as bytes always did.
    #[test]
    fn records_not_utf8_are_refused_naming_where() {
        for (from, to) in [
            ("c\\u00e9", "c\u{ff}"),
            ("\"tag\"", "\"t\u{fe}g\""),
            ("later", "lat\u{ff}r"),
        ] {
            // The text is UTF-8; the byte replaced into it is a lone 0xff or 0xfe.
            let text = RECORD.replacen(from, to, 1);
            let bytes: Vec<u8> = text
                .chars()
                .flat_map(|c| match c {
                    '\u{ff}' => vec![0xff],
                    '\u{fe}' => vec![0xfe],
                    c => c.to_string().into_bytes(),
                })
                .collect();
            assert!(std::str::from_utf8(&bytes).is_err());
            let e = session(&bytes).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::CorruptRecord);
            let as_bytes = serde_json::from_slice::<serde_json::Value>(&bytes).unwrap_err();
            assert_eq!(e.message(), format!("not a session record: {as_bytes}"));
            assert!(e.message().contains(" at line "), "{}", e.message());
        }
    }
}
