//! `outrig-sessions discard`: the preview, the y/N prompt answered through stdin, what is
//! removed and what is kept.

mod common;

use std::fs;

use common::{Sandbox, assert_code, assert_one_error_line, spec};

#[test]
fn discard_asks_and_yes_removes_the_session() {
    let sb = Sandbox::new();
    let s = sb.finished(
        spec("c").image_config_name("coding"),
        "2026-05-01T10:00:00Z",
        44,
        0,
    );
    fs::write(sb.store.log_path(&s.id, "agent.log").unwrap(), "log").unwrap();
    let run = sb.run(&["discard", s.id.as_str()], Some("y\n"));
    assert_code(&run, 0);
    let dir = sb.root().join(s.id.as_str());
    assert_eq!(
        run.stdout,
        format!(
            "\
ID                    STARTED              DURATION  IMAGE   EXIT
{id}  2026-05-01 10:00:00  0m44s     coding  0
removed {id} ({dir})
",
            id = s.id,
            dir = dir.display()
        )
    );
    assert_eq!(run.stderr, "Discard 1 session? [y/N] y\n");
    assert!(!dir.exists());
    assert!(sb.store.list().unwrap().sessions.is_empty());
}

#[test]
fn no_and_end_of_input_remove_nothing_and_exit_6() {
    let sb = Sandbox::new();
    let s = sb.finished(spec("c"), "2026-05-01T10:00:00Z", 44, 0);
    for (answer, echoed) in [
        (Some("n\n"), "n"),
        (None, ""),
        (Some("yes please\n"), "yes please"),
    ] {
        let run = sb.run(&["discard", s.id.as_str()], answer);
        assert_code(&run, 6);
        assert!(run.stdout.contains(s.id.as_str()), "the preview: {run:#?}");
        assert!(!run.stdout.contains("removed"), "{run:#?}");
        assert_eq!(
            run.stderr,
            format!(
                "Discard 1 session? [y/N] {echoed}\n\
                 outrig-sessions: nothing removed (answer y to remove, or pass --yes)\n"
            )
        );
        assert!(sb.store.get(&s.id).is_ok(), "still there after {answer:?}");
    }
}

#[test]
fn yes_skips_the_question_and_user_files_are_kept_and_named() {
    let sb = Sandbox::new();
    let a = sb.finished(spec("a"), "2026-05-01T10:00:00Z", 1, 0);
    let b = sb.finished(spec("b"), "2026-05-01T11:00:00Z", 1, 0);
    let a_dir = sb.root().join(a.id.as_str());
    fs::write(a_dir.join("notes.md"), "mine").unwrap();
    fs::write(a_dir.join("outrig-enter"), "#!/bin/sh\n").unwrap();
    fs::write(sb.store.log_path(&a.id, "agent.log").unwrap(), "log").unwrap();
    let run = sb.run(&["discard", "--yes", a.id.as_str(), b.id.as_str()], None);
    assert_code(&run, 0);
    assert_eq!(run.stderr, "");
    let tail: Vec<&str> = run.stdout.lines().skip(3).collect();
    assert_eq!(
        tail,
        [
            format!("removed {} ({})", a.id, a_dir.display()),
            format!(
                "kept in {}: notes.md (not the session store's files)",
                a_dir.display()
            ),
            format!(
                "removed {} ({})",
                b.id,
                sb.root().join(b.id.as_str()).display()
            ),
        ]
    );
    assert_eq!(
        fs::read_dir(&a_dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect::<Vec<_>>(),
        ["notes.md"]
    );
    let listing = sb.store.list().unwrap();
    assert!(listing.sessions.is_empty() && listing.skipped.is_empty());
}

#[test]
fn session_dir_removes_an_explicit_session_and_its_link() {
    let sb = Sandbox::new();
    let work = sb.path().join("work");
    // Its launcher has finished with it (and not finalized it): it may go.
    let s = sb
        .store
        .create(&spec("c").session_dir(&work))
        .unwrap()
        .into_session();
    fs::write(work.join("keep.txt"), "mine").unwrap();
    let run = sb.run(
        &["discard", "--session-dir", work.to_str().unwrap()],
        Some("Y\n"),
    );
    assert_code(&run, 0);
    let canonical = fs::canonicalize(&work).unwrap();
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert!(lines[1].starts_with(s.id.as_str()), "{}", run.stdout);
    assert!(
        lines[1].ends_with("  abandoned"),
        "the preview marks a session its launcher left unfinalized: {}",
        run.stdout
    );
    assert_eq!(
        &lines[2..],
        [
            format!("removed {} ({})", s.id, canonical.display()),
            format!(
                "kept in {}: keep.txt (not the session store's files)",
                canonical.display()
            )
        ]
    );
    assert!(!sb.root().join(s.id.as_str()).exists(), "the link is gone");
    assert!(work.join("keep.txt").exists());
    assert!(!work.join("session.json").exists());

    let run = sb.run(&["discard", "--session-dir", work.to_str().unwrap()], None);
    assert_code(&run, 3);
    assert_eq!(run.stdout, "");
    assert_one_error_line(&run, "no session record at");
}

#[test]
fn a_corrupt_record_is_previewed_as_unreadable_and_removed_by_id() {
    let sb = Sandbox::new();
    let dir = sb.write_record("20260501T000000-bad0", "{ not json");
    let run = sb.run(&["discard", "20260501T000000-bad0"], Some("y\n"));
    assert_code(&run, 0);
    assert_eq!(
        run.stdout,
        format!(
            "\
ID                    STARTED  DURATION  IMAGE  EXIT
20260501T000000-bad0  -        -         -      -     (unreadable record)
removed 20260501T000000-bad0 ({})
",
            dir.display()
        )
    );
    assert!(!dir.exists());
}

#[test]
fn one_unknown_or_invalid_id_stops_everything_before_the_question() {
    let sb = Sandbox::new();
    let s = sb.finished(spec("c"), "2026-05-01T10:00:00Z", 1, 0);
    let run = sb.run(
        &["discard", "--yes", s.id.as_str(), "20990101T000000-0000"],
        None,
    );
    assert_code(&run, 3);
    assert_eq!(run.stdout, "");
    assert_one_error_line(&run, "no session 20990101T000000-0000");
    assert!(sb.store.get(&s.id).is_ok());

    for bad in ["../x", "/etc", "a/b", ".."] {
        let run = sb.run(&["discard", "--yes", s.id.as_str(), bad], None);
        assert_code(&run, 2);
        assert_one_error_line(&run, "invalid session id");
        assert!(sb.store.get(&s.id).is_ok());
    }
    // Nothing named, or ids and a directory at once: usage errors.
    let run = sb.run(&["discard", "--yes"], None);
    assert_code(&run, 2);
    assert_one_error_line(&run, "required");
    let run = sb.run(
        &[
            "discard",
            s.id.as_str(),
            "--session-dir",
            sb.root().to_str().unwrap(),
        ],
        None,
    );
    assert_code(&run, 2);
    assert_one_error_line(&run, "cannot be used with");
    assert!(sb.store.get(&s.id).is_ok());
}

#[test]
fn a_repeated_id_is_removed_once() {
    let sb = Sandbox::new();
    let s = sb.finished(spec("c"), "2026-05-01T10:00:00Z", 1, 0);
    let run = sb.run(&["discard", s.id.as_str(), s.id.as_str()], Some("y\n"));
    assert_code(&run, 0);
    assert_eq!(run.stderr, "Discard 1 session? [y/N] y\n");
    assert_eq!(run.stdout.matches("removed").count(), 1, "{}", run.stdout);
}

#[test]
fn dry_run_previews_and_removes_nothing() {
    let sb = Sandbox::new();
    let s = sb.finished(
        spec("c").image_config_name("coding"),
        "2026-05-01T10:00:00Z",
        44,
        0,
    );
    let work = sb.path().join("work");
    let e = sb
        .store
        .create(&spec("e").session_dir(&work))
        .unwrap()
        .into_session();
    for args in [
        vec!["discard", "--dry-run", s.id.as_str()],
        vec!["discard", "--dry-run", "--yes", s.id.as_str()],
    ] {
        // An answer waiting on stdin is not read: a dry run does not ask.
        let run = sb.run(&args, Some("y\n"));
        assert_code(&run, 0);
        assert_eq!(
            run.stdout,
            format!(
                "\
ID                    STARTED              DURATION  IMAGE   EXIT
{}  2026-05-01 10:00:00  0m44s     coding  0
dry run: nothing removed
",
                s.id
            ),
            "{args:?}"
        );
        assert_eq!(run.stderr, "", "{args:?}");
    }
    let run = sb.run(
        &[
            "discard",
            "--dry-run",
            "--session-dir",
            work.to_str().unwrap(),
        ],
        None,
    );
    assert_code(&run, 0);
    assert!(run.stdout.contains(e.id.as_str()), "{}", run.stdout);
    assert!(run.stdout.ends_with("dry run: nothing removed\n"));
    assert!(sb.store.get(&s.id).is_ok());
    assert!(sb.store.get(&e.id).is_ok());
}

#[test]
fn a_failed_removal_prints_its_error_once() {
    let sb = Sandbox::new();
    let s = sb.finished(spec("c"), "2026-05-01T10:00:00Z", 1, 0);
    let dir = sb.root().join(s.id.as_str());
    // The record reads, but the root named here is a file, so looking up the session's link
    // in it fails after the question was answered.
    let not_a_root = sb.path().join("file");
    fs::write(&not_a_root, "not a directory").unwrap();
    let run = sb.run_bare(
        &[
            "discard",
            "--yes",
            "--session-root",
            not_a_root.to_str().unwrap(),
            "--session-dir",
            dir.to_str().unwrap(),
        ],
        None,
    );
    assert_code(&run, 1);
    assert!(run.stdout.contains(s.id.as_str()), "the preview: {run:#?}");
    assert!(!run.stdout.contains("removed"), "{run:#?}");
    assert_one_error_line(&run, "Not a directory");
    assert!(sb.store.get(&s.id).is_ok());
}

#[test]
fn a_running_session_is_refused_with_status_8() {
    let sb = Sandbox::new();
    // Leased by this process, as a launcher holds it while the session runs.
    let live = sb.store.create(&spec("held")).unwrap();
    // Not leased, but its container runs (outrig run holds no lock).
    let contained = sb.store.create(&spec("box")).unwrap().into_session();
    sb.set_running_containers(&["box"]);
    for id in [live.id.as_str(), contained.id.as_str()] {
        let run = sb.run(&["discard", "--yes", id], None);
        assert_code(&run, 8);
        assert!(run.stdout.contains("(running)"), "{}", run.stdout);
        assert_one_error_line(&run, &format!("1 session is running ({id}): stop it first"));
    }
    assert_eq!(
        sb.store.list().unwrap().sessions.len(),
        2,
        "nothing removed"
    );
    // Once its launcher lets go, and its container stops, it can be discarded.
    drop(live);
    sb.set_running_containers(&[]);
    let run = sb.run(&["discard", "--yes", contained.id.as_str()], None);
    assert_code(&run, 0);
}

/// `--force` skips only the container check: a session whose launcher holds its lease (here,
/// this test process) is refused with status 8, by id or by `--session-dir`, even when the
/// engine is broken, which is what `--force` is for; once the launcher lets go, it goes.
#[test]
fn force_never_overrides_a_launchers_lease() {
    let sb = Sandbox::new();
    let live = sb.store.create(&spec("held")).unwrap();
    let dir = sb.path().join("explicit");
    let explicit = sb
        .store
        .create(&spec("held-explicit").session_dir(&dir))
        .unwrap();
    sb.set_engine("echo 'Error: the engine is broken' >&2; exit 125\n");
    let dir_arg = dir.to_str().unwrap();
    for (args, id) in [
        (
            vec!["discard", "--yes", "--force", live.id.as_str()],
            live.id.as_str(),
        ),
        (
            vec!["discard", "--yes", "--force", "--session-dir", dir_arg],
            explicit.id.as_str(),
        ),
    ] {
        let run = sb.run(&args, None);
        assert_code(&run, 8);
        assert_one_error_line(&run, &format!("1 session is running ({id}): stop it first"));
        assert!(!run.stdout.contains("removed"), "{run:#?}");
    }
    assert_eq!(
        sb.store.list().unwrap().sessions.len(),
        2,
        "nothing removed"
    );
    assert!(dir.join("session.json").is_file());
    // The launchers let go (unfinalized: abandoned); forced, both go despite the engine.
    drop(live);
    drop(explicit);
    let run = sb.run(
        &["discard", "--yes", "--force", "--session-dir", dir_arg],
        None,
    );
    assert_code(&run, 0);
    let left = sb.store.list().unwrap().sessions;
    assert_eq!(left.len(), 1);
    let run = sb.run(&["discard", "--yes", "--force", left[0].id.as_str()], None);
    assert_code(&run, 0);
    assert!(sb.store.list().unwrap().sessions.is_empty());
}
