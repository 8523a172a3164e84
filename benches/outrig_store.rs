//! outrig's own session store, as a face of `make bench`: the listing of the seed
//! (`outrig_cli/session.rs`, `SessionStore::list`) with its record type and reader, copied as
//! they are (only its error type is reduced to the two variants the listing can return, and
//! one timestamp conversion follows jiff 1.0's API), so
//! `bench/run.py` can put the library's faces beside the store they replace, in the same run.
//!
//! ```text
//! cargo bench --bench outrig_store -- list ROOT N
//! ```
//! lists N times in this process and prints one line per listing: its seconds (the store
//! made, the root listed, and the fields `outrig ls` prints read: id, start, end, exit code,
//! image config, link target). The first line is the fresh process's listing.

use std::fs;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

use serde::{Deserialize, Serialize};

const SESSION_JSON: &str = "session.json";

/// outrig's error, reduced to what `list` can return.
#[derive(Debug)]
#[allow(dead_code)] // Read through Debug when a listing fails.
enum OutrigError {
    Io(std::io::Error),
    Configuration(String),
}

impl From<std::io::Error> for OutrigError {
    fn from(e: std::io::Error) -> Self {
        Self::Io(e)
    }
}

type Result<T> = std::result::Result<T, OutrigError>;

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
struct SessionId(pub String);

/// outrig's record type, as the seed declares it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "snake_case")]
struct Session {
    pub id: SessionId,
    #[serde(with = "iso_systime")]
    pub started_at: SystemTime,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "iso_systime_opt"
    )]
    pub ended_at: Option<SystemTime>,
    pub container_name: String,
    pub image_tag: String,
    pub image_config_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_name: Option<String>,
    pub working_dir: PathBuf,
    pub session_dir: PathBuf,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    #[serde(skip)]
    pub link_target: Option<PathBuf>,
}

struct SessionStore {
    root: PathBuf,
}

impl SessionStore {
    fn new(root: PathBuf) -> Self {
        Self { root }
    }

    /// The seed's `list`, unchanged.
    fn list(&self) -> Result<Vec<Session>> {
        let mut out = Vec::new();
        let entries = match fs::read_dir(&self.root) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
            Err(e) => return Err(e.into()),
        };
        for entry in entries {
            let entry = entry?;
            let Some((resolved, link_target)) = resolve_entry(&entry.path())? else {
                continue;
            };
            match read_session_json(&resolved.join(SESSION_JSON)) {
                Ok(mut session) => {
                    session.link_target = link_target;
                    out.push(session);
                }
                Err(OutrigError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            }
        }
        out.sort_by(|a, b| b.id.0.cmp(&a.id.0));
        Ok(out)
    }
}

fn resolve_entry(path: &Path) -> Result<Option<(PathBuf, Option<PathBuf>)>> {
    let meta = match fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    if meta.file_type().is_symlink() {
        let tgt = fs::read_link(path)?;
        Ok(Some((tgt.clone(), Some(tgt))))
    } else if meta.is_dir() {
        Ok(Some((path.to_path_buf(), None)))
    } else {
        Ok(None)
    }
}

fn read_session_json(path: &Path) -> Result<Session> {
    let bytes = fs::read(path)?;
    serde_json::from_slice::<Session>(&bytes).map_err(|e| {
        OutrigError::Configuration(format!("session.json at {}: {}", path.display(), e))
    })
}

mod iso_systime {
    use std::time::SystemTime;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn to_iso(t: SystemTime) -> Result<String, jiff::Error> {
        Ok(jiff::Timestamp::try_from(t)?.to_string())
    }

    pub fn from_iso(s: &str) -> Result<SystemTime, jiff::Error> {
        // jiff 1.0 converts with `try_from` where the seed's jiff had `From`.
        SystemTime::try_from(s.parse::<jiff::Timestamp>()?)
    }

    pub fn serialize<S: Serializer>(t: &SystemTime, s: S) -> Result<S::Ok, S::Error> {
        to_iso(*t).map_err(serde::ser::Error::custom)?.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<SystemTime, D::Error> {
        from_iso(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

mod iso_systime_opt {
    use std::time::SystemTime;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(t: &Option<SystemTime>, s: S) -> Result<S::Ok, S::Error> {
        let v = match t {
            Some(t) => Some(super::iso_systime::to_iso(*t).map_err(serde::ser::Error::custom)?),
            None => None,
        };
        v.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<SystemTime>, D::Error> {
        match Option::<String>::deserialize(d)? {
            Some(s) => super::iso_systime::from_iso(&s)
                .map(Some)
                .map_err(serde::de::Error::custom),
            None => Ok(None),
        }
    }
}

/// Reads the fields `outrig ls` prints, as the library's faces do.
fn touch(s: &Session) -> usize {
    s.id.0.len()
        + usize::from(s.started_at > SystemTime::UNIX_EPOCH)
        + usize::from(s.ended_at.is_some())
        + s.exit_code.map_or(0, |c| c as usize & 1)
        + s.image_config_name.len()
        + s.link_target.as_ref().map_or(0, |p| p.as_os_str().len())
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    match args.as_slice() {
        [op, root, n] if op == "list" => {
            for _ in 0..n.parse::<usize>().expect("N is a count") {
                let t0 = Instant::now();
                let store = SessionStore::new(PathBuf::from(root));
                let sessions = store.list().expect("outrig's list");
                black_box(sessions.iter().map(touch).sum::<usize>());
                println!("{:.9}", t0.elapsed().as_secs_f64());
            }
        }
        // `cargo test` runs this target without arguments: list a small root and check it.
        [] => self_check(),
        _ => {
            eprintln!("usage: outrig_store list ROOT N");
            std::process::exit(2);
        }
    }
}

fn self_check() {
    let tmp = tempfile::tempdir().unwrap();
    let store = outrig::SessionStore::new(tmp.path()).unwrap();
    let new = outrig::NewSession::new("c", "t", "/w").image_config_name("coding");
    let made: Vec<_> = (0..3)
        .map(|_| store.create(&new).unwrap().id.clone())
        .collect();
    let listed = SessionStore::new(tmp.path().to_path_buf()).list().unwrap();
    let mut ids: Vec<_> = listed.iter().map(|s| s.id.0.clone()).collect();
    let mut want: Vec<_> = made.iter().map(|id| id.as_str().to_owned()).collect();
    ids.sort();
    want.sort();
    assert_eq!(ids, want, "outrig's list reads the library's records");
    assert!(listed.iter().all(|s| s.image_config_name == "coding"));
}
