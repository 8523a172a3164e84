//! Where outrig's session commands and this project answered differently (issue 20), each case
//! run three ways: through the library, through the `outrig-sessions` binary, and against a
//! port of outrig's own logic (`common::outrig_port`, which says where each piece comes from).

mod common;

use std::fs;
use std::io::Write as _;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use common::outrig_port as port;
use common::{Sandbox, assert_code, assert_one_error_line, spec};
use outrig::{
    CleanMode, ContainerProbe, ErrorKind, RootSource, SessionId, SessionStore, default_config_path,
    resolve_root_from_env, resolve_root_from_env_with_source,
};

/// A probe that sees nothing running, so unfinalized, unleased sessions are abandoned.
fn nothing_runs() -> ContainerProbe {
    ContainerProbe::custom(|_| Some(Vec::new()))
}

/// The default root of a sandbox's binary runs (`$HOME` is `home/`, no XDG variables).
fn default_root(sb: &Sandbox) -> PathBuf {
    sb.path().join("home/.local/share/outrig/sessions")
}

fn days_ago(days: u64) -> SystemTime {
    SystemTime::now() - Duration::from_secs(days * 86_400)
}

#[test]
fn a_named_global_config_must_exist_unless_the_root_or_a_session_dir_is_given() {
    let sb = Sandbox::new();
    let missing = sb.path().join("typo.toml");
    // A session in the default root, old enough for any clean: what a typo must not reach.
    let defaults = SessionStore::new(default_root(&sb)).unwrap();
    let old = defaults
        .create(&spec("c").started_at(days_ago(60)))
        .unwrap();
    let old = defaults.finalize(&old.id, days_ago(59), 0).unwrap();
    let old_dir = defaults.entry_path(&old.id);

    // outrig: refused, unless --session-root or --session-dir is given.
    let refusal = port::global_config_check(Some(&missing), false, false).unwrap_err();
    assert_eq!(
        refusal,
        format!("--global-config {} does not exist", missing.display())
    );
    assert!(port::global_config_check(Some(&missing), true, false).is_ok());
    assert!(port::global_config_check(Some(&missing), false, true).is_ok());

    // The library: a config error naming the file; an explicit root reads no config.
    for err in [
        resolve_root_from_env(None, Some(&missing)).unwrap_err(),
        SessionStore::resolve(None, Some(&missing)).unwrap_err(),
    ] {
        assert_eq!(err.kind(), ErrorKind::Config);
        assert!(
            err.message()
                .contains(&format!("{} does not exist", missing.display())),
            "{err}"
        );
    }
    assert_eq!(
        resolve_root_from_env_with_source(Some(sb.root()), Some(&missing)).unwrap(),
        (sb.root().to_path_buf(), RootSource::Explicit)
    );

    // The binary: ls, logs, discard and clean (and show) refuse with status 5, naming it.
    let typo = missing.to_str().unwrap();
    let id = old.id.as_str();
    for args in [
        vec!["ls"],
        vec!["logs", id],
        vec!["discard", "--yes", id],
        vec!["clean", "--older-than", "0s", "--yes"],
        vec!["show", id],
    ] {
        let mut argv = vec!["--global-config", typo];
        argv.extend(&args);
        let run = sb.run_bare(&argv, None);
        assert_code(&run, 5);
        assert_eq!(run.stdout, "", "{args:?}");
        assert_one_error_line(&run, &format!("{typo} does not exist"));
        assert!(old_dir.join("session.json").exists(), "{args:?}");
    }
    // With --session-root, the config is not read.
    let run = sb.run(&["--global-config", typo, "ls"], None);
    assert_code(&run, 0);
    // With --session-dir, the root is not needed: the session goes.
    let dir = old_dir.to_str().unwrap();
    let run = sb.run_bare(
        &[
            "--global-config",
            typo,
            "discard",
            "--yes",
            "--session-dir",
            dir,
        ],
        None,
    );
    assert_code(&run, 0);
    assert!(
        run.stdout.contains(&format!("removed {id} ({dir})")),
        "{run:#?}"
    );
    assert!(!old_dir.exists());
}

#[test]
fn session_dir_needs_no_root() {
    let sb = Sandbox::new();
    // A malformed default config: any command that resolves the root fails.
    let config_dir = sb.path().join("home/.outrig");
    fs::create_dir_all(&config_dir).unwrap();
    fs::write(config_dir.join("config.toml"), "session-root = [").unwrap();
    let store = SessionStore::new(sb.root())
        .unwrap()
        .with_container_probe(nothing_runs());
    let auto = sb.finished(spec("a"), "2026-05-01T10:00:00Z", 5, 0);
    writeln!(store.append_log(&auto.id, "fs.stderr").unwrap(), "from fs").unwrap();
    let auto_dir = sb.root().join(auto.id.as_str());
    let explicit_dir = sb.path().join("work");
    let explicit = store
        .create(&spec("b").session_dir(&explicit_dir))
        .unwrap()
        .into_session();
    let explicit_dir = explicit.session_dir.clone();

    // The library: the cascade fails; the session is still reached through its directory.
    assert_eq!(
        resolve_root_from_env(None, Some(&config_dir.join("config.toml")))
            .unwrap_err()
            .kind(),
        ErrorKind::Config
    );
    let near = SessionStore::new(auto_dir.parent().unwrap()).unwrap();
    assert_eq!(near.get_by_path(&auto_dir).unwrap().id, auto.id);

    // The binary, by id: the root is needed, and the config is broken.
    let run = sb.run_bare(&["logs", auto.id.as_str(), "fs"], None);
    assert_code(&run, 5);
    // By directory: as outrig, no root needed (a note says the root was not resolved).
    let dir = auto_dir.to_str().unwrap();
    let run = sb.run_bare(&["logs", "--session-dir", dir, "fs"], None);
    assert_code(&run, 0);
    assert_eq!(run.stdout, "from fs\n");
    assert!(
        run.stderr
            .contains("going by --session-dir alone; the session root was not resolved"),
        "{run:#?}"
    );
    let run = sb.run_bare(&["logs", "--session-dir", dir], None);
    assert_code(&run, 0);
    assert!(run.stdout.contains("fs "), "{run:#?}");
    let run = sb.run_bare(&["discard", "--yes", "--session-dir", dir], None);
    assert_code(&run, 0);
    assert!(!auto_dir.exists());

    // An explicit session's directory: discard removes it, and (like outrig without a root)
    // cannot find the root's link, which is left dangling and lists as nothing.
    let edir = explicit_dir.to_str().unwrap();
    let run = sb.run_bare(&["discard", "--yes", "--session-dir", edir], None);
    assert_code(&run, 0);
    assert!(!explicit_dir.exists());
    let link = sb.root().join(explicit.id.as_str());
    assert!(link.symlink_metadata().is_ok() && !link.exists());
    assert!(store.list().unwrap().sessions.is_empty());
    // The library's removal by id then takes the link.
    store.remove(&explicit.id).unwrap();
    assert!(link.symlink_metadata().is_err());
}

#[test]
fn logs_of_an_explicit_session_dir_need_its_root() {
    let sb = Sandbox::new();
    let explicit = sb
        .store
        .create(&spec("b").session_dir(sb.path().join("work")))
        .unwrap()
        .into_session();
    writeln!(
        sb.store.append_log(&explicit.id, "agent.log").unwrap(),
        "hi"
    )
    .unwrap();
    let dir = explicit.session_dir.to_str().unwrap();
    // With the root named (or configured), it is read through the root's entry.
    let run = sb.run(&["logs", "--session-dir", dir, "agent.log"], None);
    assert_code(&run, 0);
    assert_eq!(run.stdout, "hi\n");
    // Without a root that reaches it, the message says to name the root (outrig reads
    // DIR/logs directly: a difference README lists).
    let run = sb.run_bare(&["logs", "--session-dir", dir, "agent.log"], None);
    assert_code(&run, 3);
    assert_one_error_line(
        &run,
        "name the root it was recorded under with --session-root",
    );
}

#[test]
fn clean_session_takes_the_exact_id_and_the_age_cutoff() {
    let sb = Sandbox::new();
    let store = SessionStore::new(sb.root())
        .unwrap()
        .with_container_probe(nothing_runs());
    let finished = |started: SystemTime, ended: SystemTime| {
        let s = store.create(&spec("f").started_at(started)).unwrap();
        store.finalize(&s.id, ended, 0).unwrap()
    };
    let abandoned = |started: SystemTime| {
        store
            .create(&spec("a").started_at(started))
            .unwrap()
            .into_session()
    };
    let sessions = [
        finished(days_ago(41), days_ago(40)),
        finished(days_ago(41), SystemTime::now() - Duration::from_secs(3600)),
        abandoned(days_ago(40)),
        abandoned(SystemTime::now() - Duration::from_secs(3600)),
    ];
    let default = port::parse_duration("30d").unwrap();
    assert_eq!(default, port::DEFAULT_OLDER_THAN);
    let now = SystemTime::now();
    for s in &sessions {
        let id = s.id.as_str();
        let outrig_takes = port::clean_session_takes(s, id, default, now);
        let plan = store
            .clean_session_older_than(&s.id, default, CleanMode::DryRun)
            .unwrap();
        assert_eq!(
            plan.removed.iter().any(|r| r.id == s.id),
            outrig_takes,
            "{id}"
        );
        assert!(plan.removed.len() <= 1);
        let run = sb.run(&["clean", "--dry-run", "--session", id], None);
        assert_code(&run, 0);
        if outrig_takes {
            assert!(run.stdout.contains("1 session to clean"), "{run:#?}");
            assert!(run.stdout.contains(id), "{run:#?}");
        } else {
            assert!(
                run.stdout.starts_with("nothing to clean: session "),
                "{run:#?}"
            );
        }
    }
    // Two of four, as outrig: the old finished and the old abandoned one.
    assert_eq!(
        sessions
            .iter()
            .filter(|s| port::older_than(s, default, now))
            .count(),
        2
    );

    // A part of an id names nothing, in outrig and here.
    let whole = sessions[0].id.as_str();
    let part = &whole[..whole.len() - 1];
    assert!(!port::clean_session_takes(&sessions[0], part, default, now));
    let part_id: SessionId = part.parse().unwrap();
    assert_eq!(
        store
            .clean_session_older_than(&part_id, default, CleanMode::DryRun)
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );
    let run = sb.run(&["clean", "--yes", "--session", part], None);
    assert_code(&run, 3);
    assert_eq!(store.list().unwrap().sessions.len(), 4);

    // The cutoff outrig would take for the young ones removes them, one at a time.
    let hour = port::parse_duration("30m").unwrap();
    let young = sessions[1].id.as_str();
    assert!(port::clean_session_takes(
        &sessions[1],
        young,
        hour,
        SystemTime::now()
    ));
    let run = sb.run(
        &["clean", "--yes", "--session", young, "--older-than", "30m"],
        None,
    );
    assert_code(&run, 0);
    assert!(run.stdout.contains(&format!("removed {young}")), "{run:#?}");
    assert_eq!(store.list().unwrap().sessions.len(), 3);
    // --help says it.
    let run = sb.run_bare(&["clean", "--help"], None);
    assert!(run.stdout.contains("exact, full id"), "{}", run.stdout);
    assert!(run.stdout.contains("use `discard`"), "{}", run.stdout);
}

#[test]
fn ls_image_is_the_configuration_name_or_a_dash_and_no_sessions_is_on_stderr() {
    let sb = Sandbox::new();
    // No sessions: nothing on stdout, a notice on stderr, status 0, in outrig and here.
    assert!(port::LS_NO_SESSIONS.contains("no sessions"));
    fs::create_dir_all(sb.root()).unwrap();
    assert!(sb.store.list().unwrap().sessions.is_empty());
    let run = sb.run(&["ls"], None);
    assert_code(&run, 0);
    assert_eq!(run.stdout, "");
    assert!(run.stderr.contains("no sessions"), "{run:#?}");

    let named = sb.finished(
        spec("a").image_config_name("coding"),
        "2026-05-01T10:00:00Z",
        5,
        0,
    );
    let unnamed = sb.finished(spec("b"), "2026-05-02T10:00:00Z", 5, 0);
    let run = sb.run(&["ls"], None);
    assert_code(&run, 0);
    for s in [&named, &unnamed] {
        let row: Vec<&str> = run
            .stdout
            .lines()
            .find(|l| l.starts_with(s.id.as_str()))
            .unwrap()
            .split_whitespace()
            .collect();
        // The library's record, outrig's cell, the binary's cell.
        let record = sb.store.get(&s.id).unwrap();
        assert_eq!(row[4], port::ls_image_cell(&record), "{}", run.stdout);
    }
    // The tag stays in `show`.
    let run = sb.run(&["show", unnamed.id.as_str()], None);
    assert!(
        run.stdout
            .lines()
            .any(|l| l.starts_with("image_tag") && l.ends_with("localhost/outrig-coding:d8aa33")),
        "{}",
        run.stdout
    );
}

/// Names that look like outrig's temporary records and are not: a user's, and kept.
const LOOKALIKES: [&str; 4] = [".tmpABCDE", ".tmpABCDEFG", ".tmp-abc12", ".tmp abcd"];

/// Plants `LOOKALIKES`, a directory and a symlink with outrig's pattern, in `dir`.
fn plant_lookalikes(dir: &Path) -> Vec<String> {
    for name in LOOKALIKES {
        fs::write(dir.join(name), "mine").unwrap();
    }
    fs::create_dir(dir.join(".tmpQWERTY")).unwrap();
    symlink("/nowhere", dir.join(".tmpZXCVBN")).unwrap();
    let mut names: Vec<String> = LOOKALIKES.iter().map(|s| s.to_string()).collect();
    names.extend([".tmpQWERTY".to_owned(), ".tmpZXCVBN".to_owned()]);
    names.sort();
    names
}

#[test]
fn outrig_temporary_records_are_the_stores_own() {
    let sb = Sandbox::new();
    let record = br#"{"id": "half-written"}"#;

    // The library: a session outrig's writer crashed in is fully removed.
    let s = sb.finished(spec("a"), "2026-05-01T10:00:00Z", 5, 0);
    let dir = sb.store.entry_path(&s.id);
    let temp = port::write_session_json_interrupted(&dir, record);
    let name = temp.file_name().unwrap().to_str().unwrap();
    assert!(name.starts_with(".tmp") && name.len() == 10, "{name}");
    let removal = sb.store.remove(&s.id).unwrap();
    assert!(removal.kept.is_empty(), "{removal:?}");
    assert!(!dir.exists());
    // ...and look-alikes are a user's: kept, and named.
    let s = sb.finished(spec("b"), "2026-05-01T11:00:00Z", 5, 0);
    let dir = sb.store.entry_path(&s.id);
    let names = plant_lookalikes(&dir);
    let removal = sb.store.remove(&s.id).unwrap();
    assert_eq!(removal.kept, names);
    assert!(dir.join(".tmpQWERTY").is_dir());

    // The binary: discard, of an auto session and of an explicit one (the temporary record in
    // the link's target).
    let auto = sb.finished(spec("c"), "2026-05-01T12:00:00Z", 5, 0);
    let auto_dir = sb.store.entry_path(&auto.id);
    port::write_session_json_interrupted(&auto_dir, record);
    port::write_session_json_interrupted(&auto_dir, record);
    let explicit = sb
        .store
        .create(&spec("d").session_dir(sb.path().join("work")))
        .unwrap()
        .into_session();
    let explicit = sb
        .store
        .finalize(&explicit.id, SystemTime::now(), 0)
        .unwrap();
    port::write_session_json_interrupted(&explicit.session_dir, record);
    let run = sb.run(
        &["discard", "--yes", auto.id.as_str(), explicit.id.as_str()],
        None,
    );
    assert_code(&run, 0);
    assert!(!run.stdout.contains("kept in"), "{run:#?}");
    assert!(!auto_dir.exists());
    assert!(!explicit.session_dir.exists());
    assert!(
        sb.store
            .entry_path(&explicit.id)
            .symlink_metadata()
            .is_err()
    );
    // clean too, and look-alikes stay there as well.
    let old = sb.finished(spec("e"), "2026-01-01T10:00:00Z", 5, 0);
    let old_dir = sb.store.entry_path(&old.id);
    port::write_session_json_interrupted(&old_dir, record);
    let names = plant_lookalikes(&old_dir);
    let run = sb.run(&["clean", "--yes", "--older-than", "1d"], None);
    assert_code(&run, 0);
    assert!(
        run.stdout.contains(&format!(
            "kept in {}: {} (not the session store's files)",
            old_dir.display(),
            names.join(", ")
        )),
        "{run:#?}"
    );
    let mut left: Vec<String> = fs::read_dir(&old_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    left.sort();
    assert_eq!(left, names);
}

#[test]
fn config_edge_cases_follow_outrig_where_safe() {
    let sb = Sandbox::new();
    let home = sb.path().join("home");

    // `session-root = ""`: the global file's own directory, in outrig and here.
    let config_dir = sb.path().join("conf");
    fs::create_dir_all(&config_dir).unwrap();
    let config = config_dir.join("outrig.toml");
    fs::write(&config, "session-root = \"\"\n").unwrap();
    let outrig_root = port::resolve_session_root(
        None,
        Some(&port::resolve_against(
            port::global_base_dir(&config),
            Path::new(""),
        )),
        &default_root(&sb),
    );
    let (root, source) = resolve_root_from_env_with_source(None, Some(&config)).unwrap();
    assert_eq!(root, config_dir);
    assert_eq!(source, RootSource::Config(config.clone()));
    // (outrig's join leaves a trailing slash: the same directory.)
    assert_eq!(
        outrig_root.components().collect::<Vec<_>>(),
        root.components().collect::<Vec<_>>()
    );
    let there = SessionStore::new(&config_dir).unwrap();
    let s = there.create(&spec("c")).unwrap().into_session();
    let run = sb.run_bare(&["--global-config", config.to_str().unwrap(), "ls"], None);
    assert_code(&run, 0);
    assert!(run.stdout.contains(s.id.as_str()), "{run:#?}");
    // The config file itself is not a session, and is never touched.
    let run = sb.run_bare(
        &[
            "--global-config",
            config.to_str().unwrap(),
            "discard",
            "--yes",
            s.id.as_str(),
        ],
        None,
    );
    assert_code(&run, 0);
    assert!(config.exists());

    // A relative $XDG_CONFIG_HOME: used as given, in outrig and here.
    assert_eq!(
        default_config_path(Some("rel".as_ref()), Some(&home)).unwrap(),
        port::global_config_path_with(None, Some(Path::new("rel")), &home)
    );
    // An empty one: outrig reads `outrig/config.toml` under whatever directory it runs in,
    // which would let any directory choose what is listed and cleaned; here it counts as
    // unset (the XDG rule), a difference README lists.
    assert_eq!(
        port::global_config_path_with(None, Some(Path::new("")), &home),
        Path::new("outrig/config.toml")
    );
    assert_eq!(
        default_config_path(Some("".as_ref()), Some(&home)).unwrap(),
        home.join(".outrig/config.toml")
    );
}
