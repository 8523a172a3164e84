//! Naming a session on the command line as outrig accepts it: its full id, or any part of an id
//! that only one session's id contains (`outrig-sessions logs 1419 agent.log`).

use std::fs;
use std::path::Path;

use outrig::{ErrorKind, SessionId, SessionStore};

use crate::failure::{EXIT_FAILED, EXIT_NOT_FOUND, EXIT_USAGE, Failure, Outcome};

/// How many candidates an ambiguous query names before `and N more`.
const MAX_CANDIDATES: usize = 8;

/// How many near ids an unknown query suggests.
const MAX_SUGGESTIONS: usize = 3;

/// The session `query` names: the session of exactly that id when one exists (a full id always
/// wins, even when it is also part of other ids), else the one session whose id contains
/// `query`. Unreadable records count as sessions here, by their entry's name, so a corrupt
/// session can still be named by part of its id (and then removed).
///
/// # Errors
/// Exit status 2 when several ids contain `query` (the message lists them); 3 when none does
/// (the message suggests the nearest ids); the store's error when the root cannot be listed.
pub fn resolve(store: &SessionStore, query: &SessionId) -> Outcome<SessionId> {
    match store.get(query) {
        Ok(_) => return Ok(query.clone()),
        // It exists, but something is wrong with it: the command itself reports what, or (for
        // discard) removes it anyway.
        Err(e) if e.kind() != ErrorKind::NotFound => return Ok(query.clone()),
        Err(_) => {}
    }
    let listing = store.list()?;
    let mut ids: Vec<SessionId> = listing
        .sessions
        .into_iter()
        .map(|s| s.id)
        .chain(
            listing
                .skipped
                .iter()
                .filter_map(|s| SessionId::parse(&s.entry).ok()),
        )
        .collect();
    // Newest first, as `ls` shows them.
    ids.sort_unstable_by(|a, b| b.cmp(a));
    ids.dedup();
    let q = query.as_str();
    let matching: Vec<&SessionId> = ids.iter().filter(|id| id.as_str().contains(q)).collect();
    match matching.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(Failure::new(EXIT_NOT_FOUND, unknown(store, q, &ids))),
        many => {
            let mut names: Vec<String> = many
                .iter()
                .take(MAX_CANDIDATES)
                .map(|id| id.to_string())
                .collect();
            if many.len() > MAX_CANDIDATES {
                names.push(format!("and {} more", many.len() - MAX_CANDIDATES));
            }
            Err(Failure::new(
                EXIT_USAGE,
                format!(
                    "session id {q} is ambiguous: {} sessions match it ({}); give more of the id",
                    many.len(),
                    names.join(", ")
                ),
            ))
        }
    }
}

/// The session whose record is in `dir` (a `--session-dir DIR`), and the store to reach it by
/// id: `None` for `store` itself, when its entry of that id leads to `dir`; else a store at the
/// directory `dir` sits in, when `dir` is an auto session's `<root>/<id>` of another root.
///
/// The store reads a session's logs by id, through the root's entry, with its checks (no
/// symlink followed inside `logs/`); going through an entry that leads to `dir` keeps those
/// checks rather than reading `dir` here by hand.
///
/// # Errors
/// The store's error when `dir` holds no readable record; exit status 3 when no root reaches
/// `dir` (a copied directory, or an explicit session of another root).
pub fn resolve_dir(store: &SessionStore, dir: &Path) -> Outcome<(SessionId, Option<SessionStore>)> {
    let session = store.get_by_path(dir)?;
    let wanted = fs::canonicalize(dir)
        .map_err(|e| Failure::new(EXIT_FAILED, format!("resolving {}: {e}", dir.display())))?;
    let leads_here = |store: &SessionStore| {
        fs::canonicalize(store.entry_path(&session.id)).is_ok_and(|p| p == wanted)
    };
    if leads_here(store) {
        return Ok((session.id, None));
    }
    if wanted.file_name() == Some(session.id.as_str().as_ref())
        && let Some(parent) = wanted.parent()
    {
        let other = SessionStore::new(parent)?;
        if leads_here(&other) {
            return Ok((session.id, Some(other)));
        }
    }
    Err(Failure::new(
        EXIT_NOT_FOUND,
        format!(
            "{} holds session {}, but {} does not lead to it; name the root it was recorded \
             under with --session-root",
            dir.display(),
            session.id,
            store.entry_path(&session.id).display()
        ),
    ))
}

/// `no session Q under ROOT`, with the ids nearest to `q` when some are near.
fn unknown(store: &SessionStore, q: &str, ids: &[SessionId]) -> String {
    let mut near: Vec<(usize, &SessionId)> = ids
        .iter()
        .map(|id| (substring_distance(q, id.as_str()), id))
        // Near means at most half the query's characters differ; farther ones share too
        // little to be what was meant.
        .filter(|(d, _)| d * 2 <= q.len())
        .collect();
    // Nearest first; among equals, newest first (the order `ids` is in).
    near.sort_by_key(|(d, _)| *d);
    // Only the nearest and those one edit farther: ids share their date's digits, so a far
    // one is near enough to pass the filter above without being what was meant.
    if let Some(&(best, _)) = near.first() {
        near.retain(|(d, _)| *d <= best + 1);
    }
    let root = store.root().display();
    if near.is_empty() {
        return format!("no session {q} under {root}; list the sessions to see which exist");
    }
    let names: Vec<String> = near
        .iter()
        .take(MAX_SUGGESTIONS)
        .map(|(_, id)| id.to_string())
        .collect();
    format!(
        "no session {q} under {root}; the nearest: {}",
        names.join(", ")
    )
}

/// The fewest single-character edits that turn `query` into some part of `id`: 0 when `id`
/// contains it. (Edit distance with a free start and end in `id`, since a query names a part.)
fn substring_distance(query: &str, id: &str) -> usize {
    let (q, t) = (query.as_bytes(), id.as_bytes());
    // prev[j]: the distance of the query so far to a part of `id` ending at byte j.
    let mut prev = vec![0usize; t.len() + 1];
    let mut cur = vec![0usize; t.len() + 1];
    for (i, &qc) in q.iter().enumerate() {
        cur[0] = i + 1;
        for (j, &tc) in t.iter().enumerate() {
            let substitute = prev[j] + usize::from(qc != tc);
            cur[j + 1] = substitute.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev.into_iter().min().unwrap_or(q.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_is_to_the_nearest_part() {
        for (q, id, d) in [
            ("1419", "20260501T141907-a1b2", 0),
            ("a1b2", "20260501T141907-a1b2", 0),
            ("a1b3", "20260501T141907-a1b2", 1),
            ("T14197", "20260501T141907-a1b2", 1),
            ("a1xb2", "20260501T141907-a1b2", 1),
            ("zzzz", "20260501T141907-a1b2", 4),
            ("", "x", 0),
        ] {
            assert_eq!(substring_distance(q, id), d, "{q} in {id}");
        }
    }
}
