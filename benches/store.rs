//! The Rust face of `make bench`: times one store operation and prints one line per sample
//! (seconds), for `bench/run.py` to take medians and ratios.
//!
//! ```text
//! cargo bench --bench store -- OP ROOT N
//!   list            N listings of the whole root, each making the store and reading the
//!                   fields `outrig-sessions ls` prints (id, start, end, exit code, image
//!                   config, link target); the first line is the fresh process's listing
//!   list_records    the same with `list_records` (a `SessionRecord` per session)
//!   list_states     N listings with every session's state (one container probe, which
//!                   answers "none running" without spawning an engine)
//!   get             N gets of ids spread over the root
//!   create          N auto creates
//!   finalize        finalize of N running sessions
//!   remove          N removals by id
//!   remove_by_path  N removals by directory
//! ```

use std::hint::black_box;
use std::time::{Instant, SystemTime};

use outrig::{ContainerProbe, NewSession, SessionId, SessionStore};

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    match args.as_slice() {
        [op, root, n] => run(op, root, n.parse().expect("N is a count")),
        // `cargo test` runs this target without arguments: check that every operation works.
        [] => self_check(),
        _ => {
            eprintln!("usage: store OP ROOT N");
            std::process::exit(2);
        }
    }
}

fn self_check() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    let root = root.to_str().unwrap();
    let count = |store: &SessionStore| store.list().unwrap().sessions.len();
    run("create", root, 6);
    let store = SessionStore::new(root).unwrap();
    assert_eq!(count(&store), 6);
    for op in ["list", "list_states", "get", "finalize"] {
        run(op, root, 3);
    }
    let finalized = store
        .list()
        .unwrap()
        .sessions
        .iter()
        .filter(|s| s.is_finalized())
        .count();
    assert_eq!(finalized, 3);
    run("remove", root, 2);
    run("remove_by_path", root, 2);
    assert_eq!(count(&store), 2);
}

fn run(op: &str, root: &str, n: usize) {
    let store = SessionStore::new(root).expect("root");
    let time = |f: &mut dyn FnMut()| {
        let t0 = Instant::now();
        f();
        println!("{:.9}", t0.elapsed().as_secs_f64());
    };
    // Ids to work on, in an order spread over the root (not the listing's): sorting by the
    // reversed id puts the random suffix first.
    let ids = || -> Vec<SessionId> {
        let mut ids: Vec<SessionId> = store
            .list()
            .unwrap()
            .sessions
            .into_iter()
            .map(|s| s.id)
            .collect();
        ids.sort_by_key(|id| id.as_str().bytes().rev().collect::<Vec<u8>>());
        ids
    };
    match op {
        "list" => {
            for _ in 0..n {
                time(&mut || {
                    let store = SessionStore::new(root).expect("root");
                    let listing = store.list().unwrap();
                    black_box(listing.sessions.iter().map(touch_ls).sum::<usize>());
                });
            }
        }
        "list_records" => {
            for _ in 0..n {
                time(&mut || {
                    let store = SessionStore::new(root).expect("root");
                    let (records, _) = store.list_records().unwrap();
                    black_box(records.iter().map(touch_ls_record).sum::<usize>());
                });
            }
        }
        "list_states" => {
            let store = store
                .clone()
                .with_container_probe(ContainerProbe::custom(|_| Some(Vec::new())));
            for _ in 0..n {
                time(&mut || {
                    let listing = store.list().unwrap();
                    black_box(store.states(&listing.sessions));
                });
            }
        }
        "get" => {
            let ids = ids();
            for i in 0..n {
                let id = &ids[i % ids.len()];
                time(&mut || {
                    black_box(store.get(id).unwrap());
                });
            }
        }
        "create" => {
            let new = NewSession::new(
                "outrig-bench",
                "localhost/outrig-coding:d8aa33",
                "/home/me/repo",
            )
            .image_config_name("coding")
            .agent_name("coder");
            for _ in 0..n {
                time(&mut || {
                    black_box(store.create(&new).unwrap());
                });
            }
        }
        "finalize" => {
            for id in ids().iter().take(n) {
                time(&mut || {
                    black_box(store.finalize(id, SystemTime::now(), 0).unwrap());
                });
            }
        }
        "remove" => {
            for id in ids().iter().take(n) {
                time(&mut || {
                    black_box(store.remove(id).unwrap());
                });
            }
        }
        "remove_by_path" => {
            for id in ids().iter().take(n) {
                let dir = store.entry_path(id);
                time(&mut || {
                    black_box(store.remove_by_path(&dir).unwrap());
                });
            }
        }
        other => {
            eprintln!("unknown op {other}");
            std::process::exit(2);
        }
    }
}

/// [`touch_ls`] of a record.
fn touch_ls_record(r: &outrig::SessionRecord) -> usize {
    r.id().len()
        + usize::from(r.started_at() > SystemTime::UNIX_EPOCH)
        + usize::from(r.ended_at().is_some())
        + r.exit_code().map_or(0, |c| c as usize & 1)
        + r.image_config_name().map_or(0, str::len)
        + r.link_target().map_or(0, |p| p.as_os_str().len())
}

/// Reads the fields `outrig-sessions ls` prints, as the other faces do.
fn touch_ls(s: &outrig::Session) -> usize {
    s.id.as_str().len()
        + usize::from(s.started_at > SystemTime::UNIX_EPOCH)
        + usize::from(s.ended_at.is_some())
        + s.exit_code.map_or(0, |c| c as usize & 1)
        + s.image_config_name.as_ref().map_or(0, String::len)
        + s.link_target.as_ref().map_or(0, |p| p.as_os_str().len())
}
