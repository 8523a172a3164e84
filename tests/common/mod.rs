//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use outrig::{NewSession, SessionStore};

/// The shared conformance vectors: `$OUTRIG_CONFORMANCE_DIR`, else `../shared/conformance`
/// beside the repository (where CI puts it).
pub fn conformance_dir() -> PathBuf {
    let dir = std::env::var_os("OUTRIG_CONFORMANCE_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance"),
        PathBuf::from,
    );
    assert!(
        dir.join("README.md").is_file(),
        "conformance vectors not found at {}; set OUTRIG_CONFORMANCE_DIR",
        dir.display()
    );
    dir
}

/// A store under a fresh temporary directory; keep the `TempDir` alive while using it.
pub fn store() -> (tempfile::TempDir, SessionStore) {
    let tmp = tempfile::tempdir().unwrap();
    let store = SessionStore::new(tmp.path().join("root")).unwrap();
    (tmp, store)
}

/// A minimal valid spec.
pub fn spec(name: &str) -> NewSession {
    NewSession::new(name, "localhost/outrig-coding:d8aa33", "/home/me/repo")
}

/// Names in `dir`, sorted.
pub fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Writes an executable stand-in for a container engine at `path`: a shell script of `body`.
pub fn fake_engine(path: &Path, body: &str) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::write(path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A stand-in engine's body that answers `ps -a --format json` as podman does, with `running`
/// running and one other container exited; any other command line fails.
pub fn podman_listing(running: &[&str]) -> String {
    let mut rows: Vec<String> = running
        .iter()
        .map(|n| format!(r#"{{"Names":["{n}"],"State":"running"}}"#))
        .collect();
    rows.push(r#"{"Names":["stopped-one"],"State":"exited"}"#.to_owned());
    format!(
        "[ \"$*\" = \"ps -a --format json\" ] || exit 2\nprintf '%s' '[{}]'",
        rows.join(",")
    )
}
