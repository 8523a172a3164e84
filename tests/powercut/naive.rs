//! The negative control: writers that skip a step the store takes, run through the same cuts
//! and checks. The harness must catch each losing or tearing a record it reported written;
//! if it did not, it could not catch the store doing so either.

use std::fs;
use std::io::Write as _;

use super::check::Expect;
use super::scenarios::{Scenario, Scene, finalized, spec};

fn expect_finalized(scene: &Scene, done: Option<&[outrig::Session]>) -> Expect {
    let old = &scene.sessions[0];
    let mut want = Expect::default();
    match done {
        Some(_) => want.exactly(&finalized(old)),
        None => want.one_of(&old.id, vec![Some(old.clone()), Some(finalized(old))]),
    }
    want
}

fn setup(rig: &super::rig::Rig) -> Scene {
    Scene {
        sessions: vec![
            rig.store
                .create(&spec("naive"))
                .expect("setup: create")
                .into_session(),
        ],
        ..Scene::default()
    }
}

/// Naive finalizers, each returning success as soon as its writes returned.
pub fn writers() -> Vec<Scenario> {
    vec![
        Scenario {
            // Truncate and rewrite session.json in place; no fsync at all.
            name: "naive finalize: rewrite in place, no fsync",
            without_root: false,
            faults: false,
            setup,
            act: |_, scene| {
                let new = finalized(&scene.sessions[0]);
                let path = new.session_dir.join("session.json");
                fs::write(path, new.to_json().map_err(|e| e.to_string())?)
                    .map_err(|e| e.to_string())?;
                Ok(vec![new])
            },
            expect: |scene, done| expect_finalized(scene, done),
        },
        Scenario {
            // Temporary file, write, fsync, rename over session.json; the directory is
            // never fsynced, so the rename itself is not durable.
            name: "naive finalize: rename without directory fsync",
            without_root: false,
            faults: false,
            setup,
            act: |_, scene| {
                let new = finalized(&scene.sessions[0]);
                let dir = &new.session_dir;
                let tmp = dir.join(".session.json.naive.tmp");
                let mut f = fs::File::create(&tmp).map_err(|e| e.to_string())?;
                f.write_all(&new.to_json().map_err(|e| e.to_string())?)
                    .and_then(|()| f.sync_all())
                    .map_err(|e| e.to_string())?;
                fs::rename(&tmp, dir.join("session.json")).map_err(|e| e.to_string())?;
                Ok(vec![new])
            },
            expect: |scene, done| expect_finalized(scene, done),
        },
        Scenario {
            // Temporary file, write, rename, fsync of the directory; the file itself is never
            // fsynced, so the rename can survive without its bytes.
            name: "naive finalize: rename and directory fsync, no file fsync",
            without_root: false,
            faults: false,
            setup,
            act: |_, scene| {
                let new = finalized(&scene.sessions[0]);
                let dir = &new.session_dir;
                let tmp = dir.join(".session.json.naive.tmp");
                fs::write(&tmp, new.to_json().map_err(|e| e.to_string())?)
                    .map_err(|e| e.to_string())?;
                fs::rename(&tmp, dir.join("session.json")).map_err(|e| e.to_string())?;
                fs::File::open(dir)
                    .and_then(|d| d.sync_all())
                    .map_err(|e| e.to_string())?;
                Ok(vec![new])
            },
            expect: |scene, done| expect_finalized(scene, done),
        },
    ]
}
