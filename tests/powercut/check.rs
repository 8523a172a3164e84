//! What a booted disk must show, and the check that looks: every operation that returned
//! success fully there, no record torn, `list` working, and everything left removable through
//! the API.

use std::collections::HashMap;
use std::fmt;
use std::fs;
use std::path::PathBuf;

use outrig::{ErrorKind, Session, SessionId, SessionStore};

/// The kinds of failure a boot can show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Something an operation reported done is missing or older than reported.
    Lost,
    /// A record (or log) that is neither a state it was in nor parsable.
    Torn,
    /// `list` failed, or a session appeared that no operation made.
    List,
    /// Something the API could not remove, or that removal left behind.
    Unremovable,
    /// A removal reported done came undone: its record, entry or directory is back.
    Undone,
    /// An operation reported success although one of its syncs failed.
    Swallowed,
}

impl Kind {
    pub const ALL: [Kind; 6] = [
        Kind::Lost,
        Kind::Torn,
        Kind::List,
        Kind::Unremovable,
        Kind::Undone,
        Kind::Swallowed,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Lost => "lost",
            Kind::Torn => "torn",
            Kind::List => "list failures",
            Kind::Unremovable => "unremovable",
            Kind::Undone => "undone removals",
            Kind::Swallowed => "failed syncs reported as success",
        }
    }
}

/// One failure, with what was cut and booted.
#[derive(Debug, Clone)]
pub struct Violation {
    pub kind: Kind,
    pub what: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}", self.kind.name(), self.what)
    }
}

/// A log file's allowed contents: at least `durable` (reported synced), at most `written`.
#[derive(Debug, Clone)]
pub struct LogWant {
    pub id: SessionId,
    pub name: String,
    pub durable: Vec<u8>,
    pub written: Vec<u8>,
}

/// What a booted disk may show.
#[derive(Default)]
pub struct Expect {
    /// Each session the scene knows, and the states it may be in (`None`: absent).
    pub sessions: Vec<(SessionId, Vec<Option<Session>>)>,
    /// Specs of creates that were cut short: each may have left one session matching it.
    pub maybe_new: Vec<Spec>,
    pub logs: Vec<LogWant>,
    /// Explicit session directories to look into for records the root no longer links.
    pub explicit_dirs: Vec<PathBuf>,
    /// Sessions a removal reported done: none may be back in its directory. (A new session
    /// may be there: a removed id is free to be drawn again.)
    pub emptied: Vec<Session>,
    /// Paths a removal that reported success removed (the root's entry, a directory it
    /// emptied and removed): each must stay absent, not come back as an empty directory, a
    /// dangling link or a stray file. An undone removal, even when `list` skips what is back.
    pub absent: Vec<PathBuf>,
    /// Files (a stranded temporary record) that an operation reporting success deleted.
    pub deleted: Vec<PathBuf>,
    /// Names of a user's files a removal keeps (with their directory); the clean-up after
    /// the checks removes them as their user would.
    pub kept: Vec<String>,
}

/// The fields a create was given, to recognise the session it may have left.
#[derive(Debug, Clone)]
pub struct Spec {
    pub container_name: String,
    pub session_dir: Option<PathBuf>,
}

impl Spec {
    fn matches(&self, s: &Session) -> bool {
        s.container_name == self.container_name
            && self
                .session_dir
                .as_ref()
                .is_none_or(|d| *d == s.session_dir)
    }
}

impl Expect {
    /// `id` must be exactly `s`.
    pub fn exactly(&mut self, s: &Session) {
        self.sessions.push((s.id.clone(), vec![Some(plain(s))]));
    }

    /// `id` may be in any of `states`.
    pub fn one_of(&mut self, id: &SessionId, states: Vec<Option<Session>>) {
        let states = states.into_iter().map(|s| s.map(|s| plain(&s))).collect();
        self.sessions.push((id.clone(), states));
    }
}

/// A session as its record holds it: `link_target` is how it was reached, not what it is.
pub fn plain(s: &Session) -> Session {
    let mut s = s.clone();
    s.link_target = None;
    s
}

/// Checks the booted disk against `want`, then removes everything through the API and checks
/// that nothing is left. Returns the failures and the number of leftovers removed.
pub fn check(store: &SessionStore, want: &Expect, context: &str) -> (Vec<Violation>, u64) {
    let mut out = Vec::new();
    let mut leftovers = 0;
    let fail = |out: &mut Vec<Violation>, kind, what: String| {
        out.push(Violation {
            kind,
            what: format!("{what} ({context})"),
        });
    };

    let listing = match store.list() {
        Ok(l) => l,
        Err(e) => {
            fail(&mut out, Kind::List, format!("list failed: {e}"));
            return (out, leftovers);
        }
    };
    // A skipped entry is fine when it is a leftover (a link whose target lost its record);
    // a record that does not parse is a torn write.
    for skipped in &listing.skipped {
        leftovers += 1;
        if let Ok(id) = SessionId::parse(&skipped.entry)
            && let Err(e) = store.get(&id)
            && e.kind() == ErrorKind::CorruptRecord
        {
            fail(&mut out, Kind::Torn, format!("{}: {e}", skipped.entry));
        }
    }
    for dir in &want.explicit_dirs {
        if let Err(e) = store.get_by_path(dir)
            && e.kind() != ErrorKind::NotFound
        {
            fail(&mut out, Kind::Torn, format!("{}: {e}", dir.display()));
        }
    }

    for removed in &want.emptied {
        let dir = &removed.session_dir;
        if let Ok(back) = store.get_by_path(dir)
            && back.container_name == removed.container_name
        {
            fail(
                &mut out,
                Kind::Undone,
                format!(
                    "{} holds session {}'s record again after its removal returned",
                    dir.display(),
                    back.id
                ),
            );
        }
    }

    for path in want.absent.iter().chain(&want.deleted) {
        if let Ok(meta) = fs::symlink_metadata(path) {
            fail(
                &mut out,
                Kind::Undone,
                format!(
                    "{} is back ({}) after the removal that removed it returned",
                    path.display(),
                    if meta.is_dir() {
                        "a directory"
                    } else if meta.is_symlink() {
                        "a link"
                    } else {
                        "a file"
                    }
                ),
            );
        }
    }

    let listed: HashMap<&SessionId, Session> =
        listing.sessions.iter().map(|s| (&s.id, plain(s))).collect();
    let mut unclaimed = want.maybe_new.clone();
    for (id, states) in &want.sessions {
        let actual = listed.get(id).cloned();
        if states.contains(&actual) {
            continue;
        }
        // A create cut short may have drawn the id of a session removed before it.
        if let Some(s) = &actual
            && states
                .iter()
                .flatten()
                .all(|k| k.container_name != s.container_name)
            && let Some(i) = unclaimed.iter().position(|spec| spec.matches(s))
        {
            unclaimed.remove(i);
            continue;
        }
        let kind = match &actual {
            None => Kind::Lost,
            // An older state than reported is a lost update; anything else is a mix.
            Some(_) if states.iter().all(Option::is_some) => Kind::Lost,
            Some(_) => Kind::Torn,
        };
        fail(
            &mut out,
            kind,
            format!(
                "session {id} is {} but may only be {}",
                brief(actual.as_ref()),
                states
                    .iter()
                    .map(|s| brief(s.as_ref()))
                    .collect::<Vec<_>>()
                    .join(" or ")
            ),
        );
    }
    for s in &listing.sessions {
        if want.sessions.iter().any(|(id, _)| *id == s.id) {
            continue;
        }
        match unclaimed.iter().position(|spec| spec.matches(s)) {
            Some(i) => {
                unclaimed.remove(i);
            }
            None => fail(
                &mut out,
                Kind::List,
                format!("session {} appeared that no operation made", s.id),
            ),
        }
    }

    for log in &want.logs {
        let content = store
            .find_log(&log.id, &log.name)
            .ok()
            .and_then(|p| fs::read(p).ok())
            .unwrap_or_default();
        let session_there = listed.contains_key(&log.id);
        if !session_there {
            continue; // the session's own expectation says whether that is allowed
        }
        if !content.starts_with(&log.durable) {
            fail(
                &mut out,
                Kind::Lost,
                format!(
                    "log {} of {} holds {:?}, not the synced {:?}",
                    log.name,
                    log.id,
                    String::from_utf8_lossy(&content),
                    String::from_utf8_lossy(&log.durable)
                ),
            );
        } else if !unsynced_tail_ok(
            &content[log.durable.len()..],
            &log.written[log.durable.len().min(log.written.len())..],
        ) {
            fail(
                &mut out,
                Kind::Torn,
                format!(
                    "log {} of {} holds {:?}, not what was written (or zeros) past what was synced",
                    log.name,
                    log.id,
                    String::from_utf8_lossy(&content)
                ),
            );
        }
    }

    leftovers += remove_everything(store, want, &mut out, context);
    (out, leftovers)
}

/// Removes every root entry by its name, then every record an explicit directory still holds
/// by its path; all must succeed and leave the root empty. Returns how many leftovers (entries
/// that were not listed sessions, records the root no longer linked) were removed.
fn remove_everything(
    store: &SessionStore,
    want: &Expect,
    out: &mut Vec<Violation>,
    context: &str,
) -> u64 {
    let mut fail = |kind, what: String| {
        out.push(Violation {
            kind,
            what: format!("{what} ({context})"),
        });
    };
    let listed = store.list().map(|l| l.sessions.len()).unwrap_or(0);
    let mut removed = 0u64;
    let names: Vec<String> = match fs::read_dir(store.root()) {
        Ok(entries) => entries
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => {
            fail(Kind::List, format!("reading the root: {e}"));
            return 0;
        }
    };
    for name in &names {
        match SessionId::parse(name) {
            Ok(id) => match store.remove(&id) {
                Ok(r) if r.kept.is_empty() => removed += 1,
                Ok(r) if r.kept.iter().all(|k| want.kept.contains(k)) => {
                    // The user's files stay, as they should; their user removes them.
                    for k in &r.kept {
                        let _ = fs::remove_file(r.session_dir.join(k));
                    }
                    match fs::remove_dir(&r.session_dir) {
                        Ok(()) => removed += 1,
                        Err(e) => fail(
                            Kind::Unremovable,
                            format!("removing {name} once its user's files went: {e}"),
                        ),
                    }
                }
                Ok(r) => fail(
                    Kind::Unremovable,
                    format!("removing {name} kept {:?}", r.kept),
                ),
                Err(e) => fail(Kind::Unremovable, format!("removing {name}: {e}")),
            },
            Err(_) => fail(
                Kind::Unremovable,
                format!("root entry {name:?} is no session id"),
            ),
        }
    }
    for dir in &want.explicit_dirs {
        if dir.join("session.json").exists() {
            match store.remove_by_path(dir) {
                Ok(_) => removed += 1,
                Err(e) => fail(
                    Kind::Unremovable,
                    format!("orphan record in {}: {e}", dir.display()),
                ),
            }
        }
    }
    match fs::read_dir(store.root()) {
        Ok(entries) => {
            let left: Vec<_> = entries.map(|e| e.unwrap().file_name()).collect();
            if !left.is_empty() {
                fail(Kind::Unremovable, format!("the root still holds {left:?}"));
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => fail(Kind::List, format!("reading the root: {e}")),
    }
    match store.list() {
        Ok(l) if l.sessions.is_empty() && l.skipped.is_empty() => {}
        Ok(l) => fail(
            Kind::Unremovable,
            format!(
                "after removing everything, list shows {} sessions and {} skipped",
                l.sessions.len(),
                l.skipped.len()
            ),
        ),
        Err(e) => fail(Kind::List, format!("list after removal: {e}")),
    }
    removed.saturating_sub(listed as u64)
}

/// Whether `tail`, what a log holds past its synced part, could be left of the unsynced
/// `written` bytes: a prefix of them (a write cut anywhere), or zeros no longer than they
/// are (the filesystem kept the new length but not the data blocks; a log reader must stop
/// at such a run of zeros). Not zeros mixed into written bytes, nor bytes never written.
pub fn unsynced_tail_ok(tail: &[u8], written: &[u8]) -> bool {
    tail.len() <= written.len() && (written.starts_with(tail) || tail.iter().all(|b| *b == 0))
}

/// A session in a few words, for messages.
fn brief(s: Option<&Session>) -> String {
    match s {
        None => "absent".to_owned(),
        Some(s) => format!(
            "[ended {}, exit {:?}, sidecars {:?}]",
            s.ended_at.is_some(),
            s.exit_code,
            s.sidecar_container_names
        ),
    }
}
