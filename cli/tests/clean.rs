//! `outrig-sessions clean`: the preview, one question, running and unreadable sessions kept.

mod common;

use std::fs;
use std::time::{Duration, SystemTime};

use common::{Sandbox, assert_code, assert_one_error_line, spec};
use outrig::{Session, format_started_at};

/// Two sessions that ended long ago, one that ended an hour ago, one running since long ago,
/// and an unreadable record.
struct Root {
    sb: Sandbox,
    old: Vec<Session>,
    recent: Session,
    /// Held by this process, as its launcher would: the command sees it running.
    running: outrig::LiveSession,
}

fn root() -> Root {
    let sb = Sandbox::new();
    let mut old = vec![
        sb.finished(
            spec("a").image_config_name("coding"),
            "2026-01-01T10:00:00Z",
            44,
            0,
        ),
        sb.finished(
            spec("b").image_config_name("research"),
            "2026-01-02T10:00:00Z",
            3900,
            1,
        ),
    ];
    // Newest first, as the store lists them: by start time, then id.
    old.sort_by(|x, y| (y.started_at, y.id.as_str()).cmp(&(x.started_at, x.id.as_str())));
    let an_hour_ago = SystemTime::now() - Duration::from_secs(3600);
    let recent = sb
        .store
        .create(&spec("c").started_at(an_hour_ago - Duration::from_secs(60)))
        .unwrap();
    let recent = sb.store.finalize(&recent.id, an_hour_ago, 0).unwrap();
    let running = sb
        .store
        .create(&spec("d").started_at(SystemTime::now() - Duration::from_secs(90 * 86400)))
        .unwrap();
    sb.write_record("20250101T000000-bad0", "not json");
    Root {
        sb,
        old,
        recent,
        running,
    }
}

fn preview(old: &[Session]) -> String {
    let mut out =
        String::from("ID                    STARTED              DURATION  IMAGE     EXIT\n");
    for s in old {
        let (duration, image, exit) = match s.image_config_name.as_deref() {
            Some("coding") => ("0m44s", "coding", "0"),
            _ => ("1h05m", "research", "1"),
        };
        out.push_str(&format!(
            "{}  {}  {duration:<8}  {image:<8}  {exit}\n",
            s.id,
            format_started_at(s.started_at)
        ));
    }
    out
}

#[test]
fn clean_previews_asks_once_and_removes_only_old_finished_sessions() {
    let r = root();
    let run = r.sb.run(&["clean", "--older-than", "7d"], Some("y\n"));
    assert_code(&run, 0);
    let mut want = preview(&r.old);
    want.push_str("2 sessions ended more than 7d ago; 1 running session is kept\n");
    for s in &r.old {
        want.push_str(&format!(
            "removed {} ({})\n",
            s.id,
            r.sb.root().join(s.id.as_str()).display()
        ));
    }
    assert_eq!(run.stdout, want);
    let skipped = "outrig-sessions: skipped 20250101T000000-bad0: ";
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{}", run.stderr);
    assert!(lines[0].starts_with(skipped), "{}", run.stderr);
    assert_eq!(lines[1], "Remove 2 sessions? [y/N] y");

    let listing = r.sb.store.list().unwrap();
    let left: Vec<&str> = listing.sessions.iter().map(|s| s.id.as_str()).collect();
    // Newest start first: the recent one started an hour ago, the running one 90 days ago.
    assert_eq!(left, [r.recent.id.as_str(), r.running.id.as_str()]);
    assert_eq!(listing.skipped.len(), 1, "the unreadable record stays");

    // Again: nothing is old enough any more.
    let run = r.sb.run(&["clean", "--older-than", "7d"], None);
    assert_code(&run, 0);
    assert_eq!(
        run.stdout,
        "nothing to clean: no session ended more than 7d ago; 1 running session is kept\n"
    );
}

#[test]
fn dry_run_previews_and_removes_nothing() {
    let r = root();
    let run =
        r.sb.run(&["clean", "--older-than", "30m", "--dry-run"], None);
    assert_code(&run, 0);
    let rows: Vec<&str> = run.stdout.lines().collect();
    // The recent session ended an hour ago: more than 30m.
    assert_eq!(rows.len(), 1 + 3 + 2, "{}", run.stdout);
    assert!(rows.iter().any(|l| l.starts_with(r.recent.id.as_str())));
    assert!(!rows.iter().any(|l| l.starts_with(r.running.id.as_str())));
    assert_eq!(
        rows[4],
        "3 sessions ended more than 30m ago; 1 running session is kept"
    );
    assert_eq!(rows[5], "dry run: nothing removed");
    assert!(!run.stderr.contains("[y/N]"), "a dry run does not ask");
    assert_eq!(r.sb.store.list().unwrap().sessions.len(), 4);
}

#[test]
fn no_or_no_answer_removes_nothing_and_exits_6() {
    let r = root();
    for answer in [Some("n\n"), None] {
        let run = r.sb.run(&["clean", "--older-than", "7d"], answer);
        assert_code(&run, 6);
        assert!(run.stdout.starts_with(&preview(&r.old)), "{}", run.stdout);
        assert!(!run.stdout.contains("removed"), "{}", run.stdout);
        assert!(
            run.stderr.ends_with(
                "Remove 2 sessions? [y/N] \noutrig-sessions: nothing removed (answer y to \
                 remove, or pass --yes)\n"
            ) || run.stderr.ends_with(
                "Remove 2 sessions? [y/N] n\noutrig-sessions: nothing removed (answer y to \
                 remove, or pass --yes)\n"
            ),
            "{}",
            run.stderr
        );
        assert_eq!(r.sb.store.list().unwrap().sessions.len(), 4);
    }
}

#[test]
fn the_default_cutoff_is_30_days_and_yes_does_not_ask() {
    let r = root();
    // A session finished 40 days ago goes; the January ones too; the recent one stays.
    let forty_days_ago = SystemTime::now() - Duration::from_secs(40 * 86400);
    let s =
        r.sb.store
            .create(&spec("e").started_at(forty_days_ago))
            .unwrap();
    r.sb.store.finalize(&s.id, forty_days_ago, 0).unwrap();
    let kept_file = r.sb.root().join(s.id.as_str()).join("notes.md");
    fs::write(&kept_file, "mine").unwrap();
    let run = r.sb.run(&["clean", "--yes"], None);
    assert_code(&run, 0);
    assert!(!run.stderr.contains("[y/N]"), "{}", run.stderr);
    assert!(
        run.stdout
            .contains("3 sessions ended more than 30d ago; 1 running session is kept\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(&format!(
            "kept in {}: notes.md (not the session store's files)\n",
            r.sb.root().join(s.id.as_str()).display()
        )),
        "{}",
        run.stdout
    );
    assert!(kept_file.exists());
    assert_eq!(r.sb.store.list().unwrap().sessions.len(), 2);
}

#[test]
fn bad_durations_are_usage_errors() {
    let r = root();
    for bad in ["30", "7y", "1.5d", "-1d", "d", "", "30m1h", "1d1d", "1d12"] {
        let run = r.sb.run(&["clean", "--older-than", bad, "--yes"], None);
        assert_code(&run, 2);
        assert_eq!(run.stdout, "");
        assert_one_error_line(&run, &format!("invalid duration {bad:?}"));
    }
    assert_eq!(r.sb.store.list().unwrap().sessions.len(), 4);
}

#[test]
fn an_empty_root_has_nothing_to_clean() {
    let sb = Sandbox::new();
    let run = sb.run(&["clean"], None);
    assert_code(&run, 0);
    assert_eq!(
        run.stdout,
        "nothing to clean: no session ended more than 30d ago\n"
    );
    assert_eq!(run.stderr, "");
}

#[test]
fn a_session_removed_between_preview_and_answer_counts_as_removed() {
    use std::io::{Read as _, Write as _};
    use std::process::Stdio;

    let r = root();
    let mut child =
        r.sb.command()
            .arg("--session-root")
            .arg(r.sb.root())
            .args(["clean", "--older-than", "7d"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
    // The question comes after the preview: wait for it, then remove one session behind the
    // command's back before answering.
    let mut stderr = child.stderr.take().unwrap();
    let mut seen = Vec::new();
    let mut byte = [0u8; 1];
    while !String::from_utf8_lossy(&seen).contains("Remove 2 sessions?") {
        assert_eq!(
            stderr.read(&mut byte).unwrap(),
            1,
            "no question in {seen:?}"
        );
        seen.push(byte[0]);
    }
    r.sb.store.remove(&r.old[0].id).unwrap();
    child.stdin.take().unwrap().write_all(b"y\n").unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains(&format!("already removed: {}", r.old[0].id)),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("removed {}", r.old[1].id)),
        "{stdout}"
    );
    assert!(r.sb.store.get(&r.old[1].id).is_err());
    assert!(r.sb.store.get(&r.running.id).is_ok());
}

#[test]
fn durations_are_written_as_people_type_them() {
    let r = root();
    // One more, ended 30 hours ago: more than 1d ago, not more than 1d12h.
    let thirty_hours_ago = SystemTime::now() - Duration::from_secs(30 * 3600);
    let s =
        r.sb.store
            .create(&spec("e").started_at(thirty_hours_ago - Duration::from_secs(60)))
            .unwrap();
    r.sb.store.finalize(&s.id, thirty_hours_ago, 0).unwrap();
    // The two January sessions, the one an hour ago, and the one 30 hours ago.
    for (age, n, includes_thirty) in [
        ("59m", 4, true),
        ("90m", 3, true),
        ("1h30m", 3, true),
        ("1d", 3, true),
        ("1d12h", 2, false),
        ("36h", 2, false),
        ("1w", 2, false),
        ("1w1d", 2, false),
    ] {
        let run = r.sb.run(&["clean", "--older-than", age, "--dry-run"], None);
        assert_code(&run, 0);
        assert!(
            run.stdout.contains(&format!(
                "{n} sessions ended more than {age} ago; 1 running session is kept\n"
            )),
            "{age}: {}",
            run.stdout
        );
        assert_eq!(
            run.stdout.contains(s.id.as_str()),
            includes_thirty,
            "{age}: {}",
            run.stdout
        );
    }
    // And they remove what they preview.
    let run = r.sb.run(&["clean", "--older-than", "1d12h", "--yes"], None);
    assert_code(&run, 0);
    let left: Vec<_> = r.sb.store.list().unwrap().sessions;
    assert_eq!(left.len(), 3);
    assert!(left.iter().any(|l| l.id == s.id));
}

#[test]
fn session_cleans_one_session_by_its_exact_id_and_the_age_cutoff_as_outrig_does() {
    let r = root();
    let recent = r.recent.id.as_str();
    // Finished an hour ago: too young for the default cutoff (30d), so not cleaned.
    let run = r.sb.run(&["clean", "--session", recent, "--yes"], None);
    assert_code(&run, 0);
    assert_eq!(
        run.stdout,
        format!(
            "nothing to clean: session {recent} did not end (or, abandoned, start) more than 30d \
             ago\n"
        )
    );
    assert!(r.sb.root().join(recent).exists());
    // With a cutoff it passes, it is removed: it alone.
    let run = r.sb.run(
        &["clean", "--session", recent, "--older-than", "30m", "--yes"],
        None,
    );
    assert_code(&run, 0);
    assert!(
        run.stdout.contains(&format!("removed {recent}")),
        "{}",
        run.stdout
    );
    assert!(!r.sb.root().join(recent).exists());
    assert_eq!(r.sb.store.list().unwrap().sessions.len(), 3);
    // Part of an id names nothing here (outrig's --session takes the exact id).
    let part = &r.old[0].id.as_str()[9..];
    let run = r.sb.run(&["clean", "--session", part, "--yes"], None);
    assert_code(&run, 3);
    assert_one_error_line(&run, &format!("no session {part} under "));
    assert_eq!(r.sb.store.list().unwrap().sessions.len(), 3);
    // Running (this process holds it), and old enough: kept, with discard's status for a
    // running session.
    let running = r.running.id.as_str();
    let run = r.sb.run(&["clean", "--session", running, "--yes"], None);
    assert_code(&run, 8);
    assert!(run.stderr.contains("is running"), "{}", run.stderr);
    assert!(r.sb.root().join(running).exists());
}
