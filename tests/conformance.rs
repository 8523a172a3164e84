//! The shared session.json vectors: every face of the library must read and write them alike.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use outrig::{ErrorKind, Session, SessionId, SessionStore};

const VECTOR_ID: &str = "20260501T134412-3f2a";

fn vectors(suffix: &str) -> Vec<(String, PathBuf)> {
    let dir = common::conformance_dir();
    let mut out: Vec<(String, PathBuf)> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter_map(|p| {
            let name = p.file_name()?.to_str()?.to_owned();
            let case = name.strip_suffix(suffix)?.to_owned();
            Some((case, p))
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no *{suffix} vectors in {}", dir.display());
    out
}

fn sibling(input: &Path, case: &str, suffix: &str) -> Vec<u8> {
    fs::read(input.with_file_name(format!("{case}{suffix}"))).unwrap()
}

/// Places `bytes` as `<root>/<id>/session.json`.
fn place(store: &SessionStore, bytes: &[u8]) -> PathBuf {
    let dir = store.root().join(VECTOR_ID);
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("session.json"), bytes).unwrap();
    dir
}

fn ended() -> SystemTime {
    SystemTime::try_from("2026-05-01T14:19:51Z".parse::<jiff::Timestamp>().unwrap()).unwrap()
}

#[test]
fn valid_vectors_rewrite_to_the_expected_bytes() {
    for (case, input) in vectors(".input.json") {
        let bytes = fs::read(&input).unwrap();
        let session = Session::from_json(&bytes).unwrap_or_else(|e| panic!("{case}: {e}"));
        let rewritten = session.to_json().unwrap();
        assert_eq!(
            String::from_utf8(rewritten).unwrap(),
            String::from_utf8(sibling(&input, &case, ".rewrite.json")).unwrap(),
            "{case}: rewrite"
        );
        // A rewrite is a fixed point.
        let again = Session::from_json(&sibling(&input, &case, ".rewrite.json")).unwrap();
        assert_eq!(again, session, "{case}: re-read of the rewrite");
    }
}

#[test]
fn valid_vectors_finalize_to_the_expected_bytes_on_disk() {
    for (case, input) in vectors(".input.json") {
        let (_tmp, store) = common::store();
        let dir = place(&store, &fs::read(&input).unwrap());
        let id = SessionId::parse(VECTOR_ID).unwrap();
        let listed = store.list().unwrap();
        assert_eq!(listed.sessions.len(), 1, "{case}: {:?}", listed.skipped);
        assert!(listed.skipped.is_empty());
        let finalized = store.finalize(&id, ended(), 0).unwrap();
        assert_eq!(finalized.exit_code, Some(0));
        assert_eq!(
            String::from_utf8(fs::read(dir.join("session.json")).unwrap()).unwrap(),
            String::from_utf8(sibling(&input, &case, ".finalized.json")).unwrap(),
            "{case}: finalized"
        );
        // get_by_path reads the same record back.
        assert_eq!(store.get_by_path(&dir).unwrap(), finalized, "{case}");
    }
}

#[test]
fn corrupt_vectors_are_errors_and_skipped_entries() {
    for (case, input) in vectors(".corrupt.json") {
        let (_tmp, store) = common::store();
        let bytes = fs::read(&input).unwrap();
        let err = Session::from_json(&bytes).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::CorruptRecord, "{case}");

        let dir = place(&store, &bytes);
        let err = store.get_by_path(&dir).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::CorruptRecord, "{case}");
        assert!(err.message().contains("session.json"), "{case}: {err}");
        let id = SessionId::parse(VECTOR_ID).unwrap();
        assert_eq!(store.get(&id).unwrap_err().kind(), ErrorKind::CorruptRecord);
        let err = store.finalize(&id, ended(), 0).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::CorruptRecord, "{case}");
        assert_eq!(
            fs::read(dir.join("session.json")).unwrap(),
            bytes,
            "{case}: untouched"
        );

        // A good session beside it still lists; the bad one is reported, not fatal.
        let good = store.create(&common::spec("good")).unwrap();
        let listing = store.list().unwrap();
        assert_eq!(listing.sessions.len(), 1, "{case}");
        assert_eq!(listing.sessions[0].id, good.id);
        assert_eq!(listing.skipped.len(), 1, "{case}");
        assert_eq!(listing.skipped[0].entry, VECTOR_ID);
        assert!(!listing.skipped[0].reason.is_empty());
    }
}
