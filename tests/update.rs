//! `finalize` and `set_sidecar_containers`: read-modify-write under the directory lock.

mod common;

use std::fs;
use std::sync::{Arc, Barrier};
use std::time::{Duration, SystemTime};

use common::{names, spec, store};
use outrig::{ErrorKind, SessionId};

#[test]
fn finalize_sets_end_and_exit_and_keeps_the_rest() {
    let (_tmp, store) = store();
    let s = store
        .create(&spec("c").agent_name("a").sidecar("side"))
        .unwrap();
    let end = s.started_at + Duration::from_secs(44);
    let done = store.finalize(&s.id, end, -9).unwrap();
    assert_eq!(done.ended_at, Some(end));
    assert_eq!(done.exit_code, Some(-9));
    assert_eq!(done.duration(), Some(Duration::from_secs(44)));
    assert!(done.is_finalized());
    assert_eq!(done.agent_name.as_deref(), Some("a"));
    assert_eq!(done.sidecar_container_names, ["side"]);
    let dir = store.entry_path(&s.id);
    assert_eq!(
        fs::read(dir.join("session.json")).unwrap(),
        done.to_json().unwrap()
    );
    assert_eq!(names(&dir), ["session.json"], "no temp file left behind");
    // Finalizing again overwrites.
    let again = store.finalize(&s.id, end, 3).unwrap();
    assert_eq!(store.get(&s.id).unwrap().exit_code, Some(3));
    assert_eq!(again.exit_code, Some(3));
}

#[test]
fn finalize_of_an_explicit_session_writes_through_the_link() {
    let (tmp, store) = store();
    let dir = tmp.path().join("explicit");
    let s = store.create(&spec("c").session_dir(&dir)).unwrap();
    let done = store.finalize(&s.id, SystemTime::now(), 0).unwrap();
    assert_eq!(done.link_target, s.link_target);
    assert_eq!(store.get_by_path(&dir).unwrap().exit_code, Some(0));
    assert!(
        fs::symlink_metadata(store.entry_path(&s.id))
            .unwrap()
            .is_symlink()
    );
}

#[test]
fn sidecars_are_replaced_and_emptied() {
    let (_tmp, store) = store();
    let s = store.create(&spec("c")).unwrap();
    let got = store.set_sidecar_containers(&s.id, &["a", "b"]).unwrap();
    assert_eq!(got.sidecar_container_names, ["a", "b"]);
    assert_eq!(
        store.get(&s.id).unwrap().sidecar_container_names,
        ["a", "b"]
    );
    let none: [&str; 0] = [];
    store.set_sidecar_containers(&s.id, &none).unwrap();
    let text = fs::read_to_string(store.entry_path(&s.id).join("session.json")).unwrap();
    assert!(!text.contains("sidecar_container_names"), "{text}");
    let err = store
        .set_sidecar_containers(&s.id, &["ok", ""])
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
}

#[test]
fn updates_of_missing_or_corrupt_sessions_fail_and_change_nothing() {
    let (_tmp, store) = store();
    let id = SessionId::parse("20260501T134412-3f2a").unwrap();
    let err = store.finalize(&id, SystemTime::now(), 0).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(err.message().contains(id.as_str()));
    let dir = store.entry_path(&id);
    fs::create_dir_all(&dir).unwrap();
    assert_eq!(
        store
            .finalize(&id, SystemTime::now(), 0)
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound,
        "a directory without a record is no session"
    );
    fs::write(dir.join("session.json"), "{\"id\": 1}").unwrap();
    let err = store.set_sidecar_containers(&id, &["x"]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CorruptRecord);
    assert_eq!(fs::read(dir.join("session.json")).unwrap(), b"{\"id\": 1}");
    assert_eq!(names(&dir), ["session.json"]);
}

#[test]
fn out_of_range_end_times_are_refused() {
    let (_tmp, store) = store();
    let s = store.create(&spec("c")).unwrap();
    let far = SystemTime::UNIX_EPOCH + Duration::from_secs(400_000_000_000);
    let err = store.finalize(&s.id, far, 0).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(!store.get(&s.id).unwrap().is_finalized());
}

#[test]
fn concurrent_finalize_and_sidecar_updates_lose_nothing() {
    let (_tmp, store) = store();
    let store = Arc::new(store);
    for round in 0..20 {
        let s = store.create(&spec(&format!("c{round}"))).unwrap();
        let barrier = Arc::new(Barrier::new(2));
        let end = s.started_at + Duration::from_secs(round);
        let finalizer = {
            let (store, barrier, id) = (Arc::clone(&store), Arc::clone(&barrier), s.id.clone());
            std::thread::spawn(move || {
                barrier.wait();
                store.finalize(&id, end, 7).unwrap();
            })
        };
        let sidecars = {
            let (store, barrier, id) = (Arc::clone(&store), Arc::clone(&barrier), s.id.clone());
            std::thread::spawn(move || {
                barrier.wait();
                store
                    .set_sidecar_containers(&id, &["side-a", "side-b"])
                    .unwrap();
            })
        };
        finalizer.join().unwrap();
        sidecars.join().unwrap();
        let got = store.get(&s.id).unwrap();
        assert_eq!(got.exit_code, Some(7), "round {round}");
        assert_eq!(got.ended_at, Some(end), "round {round}");
        assert_eq!(
            got.sidecar_container_names,
            ["side-a", "side-b"],
            "round {round}"
        );
    }
}

#[test]
fn a_record_under_another_entry_name_is_not_reached_by_id() {
    // A session directory copied under a new name: its record still carries the old id.
    let (_tmp, store) = store();
    let s = store.create(&spec("c")).unwrap();
    let copy = SessionId::parse("copied").unwrap();
    fs::create_dir(store.entry_path(&copy)).unwrap();
    let record = store.entry_path(&s.id).join("session.json");
    fs::copy(&record, store.entry_path(&copy).join("session.json")).unwrap();
    for err in [
        store.get(&copy).unwrap_err(),
        store.finalize(&copy, SystemTime::now(), 0).unwrap_err(),
    ] {
        assert_eq!(err.kind(), ErrorKind::CorruptRecord);
        assert!(
            err.message().contains("differs from its entry name"),
            "{err}"
        );
    }
    assert!(store.get(&copy).is_err());
    assert!(
        !store.get(&s.id).unwrap().is_finalized(),
        "the original is untouched"
    );
    let listing = store.list().unwrap();
    assert_eq!(listing.sessions.len(), 1);
    assert_eq!(listing.skipped[0].entry, "copied");
    // It can still be removed by its entry name.
    store.remove(&copy).unwrap();
    assert!(!store.entry_path(&copy).exists());
}
