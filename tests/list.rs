//! `list`, `get`, `get_by_path` and `clean`.

mod common;

use std::fs;
use std::os::unix::fs::symlink;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{spec, store};
use outrig::{
    CleanMode, ContainerProbe, ErrorKind, MAX_RECORD_BYTES, SessionId, SessionRecord, SessionStore,
};

/// Puts one kind of bad record into a directory.
type MakeBad<'a> = Box<dyn Fn(&std::path::Path) + 'a>;

fn at(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_777_600_000 + secs)
}

/// Writes a record with a chosen id (ids of real creates are random within a second).
fn plant(store: &SessionStore, id: &str, started_at: SystemTime) {
    let s = store.create(&spec(id).started_at(started_at)).unwrap();
    let text = String::from_utf8(s.to_json().unwrap()).unwrap();
    let dir = store.root().join(id);
    fs::create_dir(&dir).unwrap();
    let text = text
        .replace(s.id.as_str(), id)
        .replace(&*s.session_dir.to_string_lossy(), &dir.to_string_lossy());
    fs::write(dir.join("session.json"), text).unwrap();
    store.remove(&s.id).unwrap();
}

#[test]
fn missing_root_is_empty() {
    let (_tmp, store) = store();
    let listing = store.list().unwrap();
    assert!(listing.sessions.is_empty() && listing.skipped.is_empty());
}

#[test]
fn newest_first_by_start_time_then_id() {
    let (_tmp, store) = store();
    let at = |secs: u64| UNIX_EPOCH + Duration::from_secs(secs);
    // Two sessions created in the same second (same start time) list by id; otherwise the
    // start time decides, even against the ids' order (a caller may pass its own start time).
    for (id, started) in [
        ("20260501T134412-0001", 1_000),
        ("20260501T134412-00ff", 1_000),
        ("20260502T000000-0000", 500),
        ("20260430T235959-ffff", 2_000),
    ] {
        plant(&store, id, at(started));
    }
    let ids: Vec<String> = store
        .list()
        .unwrap()
        .sessions
        .into_iter()
        .map(|s| s.id.into_string())
        .collect();
    assert_eq!(
        ids,
        [
            "20260430T235959-ffff",
            "20260501T134412-00ff",
            "20260501T134412-0001",
            "20260502T000000-0000",
        ]
    );
}

#[test]
fn what_is_not_a_session_is_silently_ignored() {
    let (tmp, store) = store();
    let real = store.create(&spec("real")).unwrap();
    let root = store.root();
    fs::write(root.join("stray-file"), "x").unwrap();
    fs::create_dir(root.join("empty-dir")).unwrap();
    fs::create_dir(root.join(".hidden")).unwrap();
    fs::write(root.join(".hidden/session.json"), real.to_json().unwrap()).unwrap();
    symlink(tmp.path().join("nowhere"), root.join("dangling")).unwrap();
    symlink(root.join("stray-file"), root.join("link-to-file")).unwrap();
    fs::write(root.join(".session.json.abc.tmp"), "{").unwrap();
    let listing = store.list().unwrap();
    assert_eq!(listing.sessions.len(), 1);
    assert_eq!(listing.sessions[0].id, real.id);
    assert!(listing.skipped.is_empty(), "{:?}", listing.skipped);
}

#[test]
fn bad_records_cost_only_themselves() {
    let (tmp, store) = store();
    let good = store.create(&spec("good")).unwrap();
    let root = store.root();
    let cases: [(&str, MakeBad<'_>, &str); 5] = [
        (
            "empty",
            Box::new(|d| fs::write(d.join("session.json"), "").unwrap()),
            "EOF",
        ),
        (
            "wrong-shape",
            Box::new(|d| fs::write(d.join("session.json"), "[1]").unwrap()),
            "JSON object",
        ),
        (
            "is-a-dir",
            Box::new(|d| fs::create_dir(d.join("session.json")).unwrap()),
            "directory",
        ),
        (
            "huge",
            Box::new(|d| {
                let f = fs::File::create(d.join("session.json")).unwrap();
                f.set_len(MAX_RECORD_BYTES + 1).unwrap();
            }),
            "limit",
        ),
        (
            "renamed",
            Box::new(|d| fs::write(d.join("session.json"), good.to_json().unwrap()).unwrap()),
            "differs from its entry name",
        ),
    ];
    for (name, make, _) in &cases {
        let dir = root.join(name);
        fs::create_dir(&dir).unwrap();
        make(&dir);
    }
    // A symlink loop.
    symlink(root.join("loop-b"), root.join("loop-a")).unwrap();
    symlink(root.join("loop-a"), root.join("loop-b")).unwrap();
    let _ = tmp;

    let listing = store.list().unwrap();
    assert_eq!(listing.sessions.len(), 1);
    assert_eq!(listing.sessions[0].id, good.id);
    let skipped: Vec<&str> = listing.skipped.iter().map(|s| s.entry.as_str()).collect();
    assert_eq!(
        skipped,
        [
            "wrong-shape",
            "renamed",
            "loop-b",
            "loop-a",
            "is-a-dir",
            "huge",
            "empty"
        ]
    );
    for (name, _, why) in &cases {
        let s = listing.skipped.iter().find(|s| s.entry == *name).unwrap();
        assert!(s.reason.contains(why), "{name}: {}", s.reason);
        assert!(s.reason.contains("session.json"), "{name}: {}", s.reason);
    }
    // Reading one directly is a corrupt-record error.
    let err = store
        .get(&SessionId::parse("wrong-shape").unwrap())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CorruptRecord);
    let err = store.get_by_path(&root.join("huge")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CorruptRecord);
}

#[test]
fn unreadable_root_is_an_error() {
    let (tmp, _) = store();
    let file = tmp.path().join("file");
    fs::write(&file, "x").unwrap();
    let err = SessionStore::new(&file).unwrap().list().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io);
    assert!(err.message().contains("reading session root"), "{err}");
}

#[test]
fn get_reports_missing_sessions() {
    let (_tmp, store) = store();
    let id = SessionId::parse("20260501T134412-3f2a").unwrap();
    let err = store.get(&id).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(err.message().contains(id.as_str()), "{err}");
    fs::create_dir_all(store.entry_path(&id)).unwrap();
    assert_eq!(store.get(&id).unwrap_err().kind(), ErrorKind::NotFound);
    let err = store.get_by_path(store.root()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(err.message().contains("session.json"), "{err}");
}

#[test]
fn listing_many_entries_uses_the_parallel_path_and_keeps_order() {
    let (_tmp, store) = store();
    let made: Vec<_> = (0..600)
        .map(|i| store.create(&spec(&format!("c{i}"))).unwrap())
        .collect();
    fs::create_dir(store.root().join("broken")).unwrap();
    fs::write(store.root().join("broken/session.json"), "{").unwrap();
    let listing = store.list().unwrap();
    assert_eq!(listing.sessions.len(), 600);
    assert_eq!(listing.skipped.len(), 1);
    let mut want: Vec<_> = made.iter().map(|s| (s.started_at, s.id.clone())).collect();
    want.sort_by(|a, b| b.cmp(a));
    let want: Vec<_> = want.into_iter().map(|(_, id)| id).collect();
    let got: Vec<_> = listing.sessions.iter().map(|s| s.id.clone()).collect();
    assert_eq!(got, want);
}

/// Records and sessions list alike: the same entries in the same order, each record holding
/// what its session does (an explicit session's link target, sidecars, unknown fields, an
/// end), and the same entries skipped for the same reasons, on the one-thread path and the
/// parallel one.
#[test]
fn records_list_as_sessions_do() {
    for count in [10, 300] {
        let (tmp, store) = store();
        for i in 0..count {
            let mut new = spec(&format!("c{i}"));
            if i % 3 == 0 {
                new = new.sidecar("side-a").sidecar(format!("side-{i}"));
            }
            if i % 5 == 0 {
                new = new.image_config_name("coding").agent_name("coder");
            }
            if i % 7 == 0 {
                new = new.session_dir(tmp.path().join(format!("explicit-{i}")));
            }
            let live = store.create(&new).unwrap();
            if i % 2 == 0 {
                store.finalize(&live.id, SystemTime::now(), i).unwrap();
            }
        }
        // A record with a field this version does not know, and two that cannot be read.
        let some = store.list().unwrap().sessions[0].clone();
        let path = some.session_dir.join("session.json");
        let text = fs::read_to_string(&path).unwrap();
        fs::write(&path, text.replacen("{", "{\n  \"later\": [1, 2],", 1)).unwrap();
        fs::create_dir(store.root().join("broken")).unwrap();
        fs::write(store.root().join("broken/session.json"), "{").unwrap();
        fs::create_dir(store.root().join("renamed")).unwrap();
        fs::write(store.root().join("renamed/session.json"), text).unwrap();

        let listing = store.list().unwrap();
        let (records, skipped) = store.list_records().unwrap();
        assert_eq!(records.len(), count as usize);
        assert_eq!(skipped, listing.skipped);
        assert_eq!(skipped.len(), 2);
        let mut explicit = 0;
        let mut unknown = 0;
        for (record, session) in records.iter().zip(&listing.sessions) {
            assert_eq!(record.to_session(), *session);
            assert_eq!(*record, SessionRecord::from(session));
            assert_eq!(record.id(), session.id.as_str());
            assert_eq!(record.link_target(), session.link_target.as_deref());
            explicit += usize::from(record.link_target().is_some());
            unknown += usize::from(!record.unknown_fields().is_empty());
        }
        assert_eq!(explicit, (count as usize).div_ceil(7));
        assert_eq!(unknown, 1);
        // A record that differs in any one field is not equal.
        let first = &listing.sessions[1];
        let mut other = first.clone();
        other.exit_code = Some(99);
        assert_ne!(records[1], SessionRecord::from(&other));
        let mut other = first.clone();
        other.sidecar_container_names.push("more".into());
        assert_ne!(records[1], SessionRecord::from(&other));
        // Converted on the threads that read them, as `list_with` does.
        let (ids, _) = store.list_records_with(|r| r.id().to_owned()).unwrap();
        let want: Vec<_> = listing.sessions.iter().map(|s| s.id.to_string()).collect();
        assert_eq!(ids, want);
    }
}

#[test]
fn parallel_listings_sort_by_start_time_when_ids_disagree() {
    let (_tmp, store) = store();
    let template = String::from_utf8(
        store
            .create(&spec("c").started_at(at(0)))
            .unwrap()
            .to_json()
            .unwrap(),
    )
    .unwrap();
    let first = store.list().unwrap().sessions.remove(0);
    store.remove(&first.id).unwrap();
    let stamp = |t: SystemTime| jiff::Timestamp::try_from(t).unwrap().to_string();
    // Ids in one order, start times in a scrambled one (several sharing a second), over more
    // entries than one thread reads: each thread's share comes back out of order.
    let mut want = Vec::new();
    for i in 0..700u64 {
        let id = format!("20260501T{:06}-{:04x}", i / 10, i);
        let started = at((i * 7919) % 350);
        let dir = store.root().join(&id);
        fs::create_dir(&dir).unwrap();
        let text = template
            .replace(first.id.as_str(), &id)
            .replace(&stamp(first.started_at), &stamp(started))
            .replace(
                &*first.session_dir.to_string_lossy(),
                &dir.to_string_lossy(),
            );
        fs::write(dir.join("session.json"), text).unwrap();
        want.push((started, id));
    }
    want.sort_by(|a, b| b.cmp(a));
    let listing = store.list().unwrap();
    let got: Vec<_> = listing
        .sessions
        .iter()
        .map(|s| (s.started_at, s.id.as_str().to_owned()))
        .collect();
    assert_eq!(got, want);
}

#[test]
fn clean_removes_finished_and_abandoned_sessions_older_than_the_cutoff() {
    let (_tmp, store) = store();
    // Nothing runs here but the container "up".
    let store = store.with_container_probe(ContainerProbe::custom(|names| {
        Some(names.iter().filter(|n| *n == "up").cloned().collect())
    }));
    let old = store.create(&spec("old").started_at(at(0))).unwrap();
    store.finalize(&old.id, at(10), 0).unwrap();
    let recent = store.create(&spec("recent").started_at(at(0))).unwrap();
    store.finalize(&recent.id, at(1000), 1).unwrap();
    // Leased by this process: running.
    let running = store.create(&spec("running").started_at(at(0))).unwrap();
    // Its launcher went away without finalizing: abandoned, aged from its start.
    let abandoned = store
        .create(&spec("abandoned").started_at(at(100)))
        .unwrap()
        .into_session();
    let young = store
        .create(&spec("young").started_at(at(900)))
        .unwrap()
        .into_session();
    // Unleased, but its sidecar container runs: running.
    let contained = store
        .create(&spec("main").sidecar("up").started_at(at(0)))
        .unwrap()
        .into_session();
    fs::create_dir(store.root().join("corrupt")).unwrap();
    fs::write(store.root().join("corrupt/session.json"), "nope").unwrap();
    let ids = |v: &[outrig::Session]| v.iter().map(|s| s.id.clone()).collect::<Vec<_>>();

    let preview = store.clean(at(500), CleanMode::DryRun).unwrap();
    assert_eq!(
        ids(&preview.removed),
        [abandoned.id.clone(), old.id.clone()]
    );
    let mut kept = ids(&preview.kept_running);
    kept.sort();
    let mut want = vec![running.id.clone(), contained.id.clone()];
    want.sort();
    assert_eq!(kept, want);
    assert!(preview.kept_unknown.is_empty());
    assert_eq!(
        store.list().unwrap().sessions.len(),
        6,
        "dry run removes nothing"
    );

    let done = store.clean(at(500), CleanMode::Remove).unwrap();
    assert_eq!(ids(&done.removed), [abandoned.id.clone(), old.id.clone()]);
    assert!(!store.entry_path(&old.id).exists());
    assert!(!store.entry_path(&abandoned.id).exists());
    assert!(store.root().join("corrupt/session.json").exists());
    let left = ids(&store.list().unwrap().sessions);
    for id in [&recent.id, &running.id, &young.id, &contained.id] {
        assert!(left.contains(id), "{id} must stay");
    }

    // A probe that cannot tell keeps every unleased, unfinalized session.
    let blind = store.clone().with_container_probe(ContainerProbe::none());
    let done = blind.clean(at(10_000), CleanMode::Remove).unwrap();
    assert_eq!(ids(&done.removed), std::slice::from_ref(&recent.id));
    assert_eq!(ids(&done.kept_running), std::slice::from_ref(&running.id));
    let mut unknown = ids(&done.kept_unknown);
    unknown.sort();
    let mut want = vec![young.id.clone(), contained.id.clone()];
    want.sort();
    assert_eq!(unknown, want);
    drop(running);
}

#[test]
fn clean_older_than_takes_an_age() {
    let (_tmp, store) = store();
    let now = SystemTime::now();
    let old = store
        .create(&spec("old").started_at(now - Duration::from_secs(7200)))
        .unwrap();
    store
        .finalize(&old.id, now - Duration::from_secs(3600), 0)
        .unwrap();
    let fresh = store.create(&spec("fresh")).unwrap();
    store.finalize(&fresh.id, now, 0).unwrap();

    let preview = store
        .clean_older_than(Duration::from_secs(1800), CleanMode::DryRun)
        .unwrap();
    assert_eq!(
        preview.removed.iter().map(|s| &s.id).collect::<Vec<_>>(),
        [&old.id]
    );
    assert_eq!(store.list().unwrap().sessions.len(), 2);
    assert!(
        store
            .clean_older_than(Duration::from_secs(7200), CleanMode::Remove)
            .unwrap()
            .removed
            .is_empty()
    );
    let done = store
        .clean_older_than(Duration::from_secs(1800), CleanMode::Remove)
        .unwrap();
    assert_eq!(done.removed.len(), 1);
    assert_eq!(store.list().unwrap().sessions[0].id, fresh.id);

    let err = store
        .clean_older_than(Duration::MAX, CleanMode::Remove)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(err.message().contains("smaller age"), "{err}");
    assert_eq!(store.list().unwrap().sessions.len(), 1);
}
