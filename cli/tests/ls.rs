//! `outrig-sessions ls`: the table, `--json`, empty and unreadable roots, the root cascade.

mod common;

use std::fs;
use std::os::unix::fs::symlink;
use std::time::{Duration, SystemTime};

use common::{Sandbox, assert_code, assert_one_error_line, spec, time};
use outrig::format_duration;
use serde_json::Value;

/// A root as outrig leaves it: a finished session, an explicit (symlinked) one without an
/// image configuration name, a running one, an unreadable record, and entries that are not
/// sessions at all.
fn outrig_root(sb: &Sandbox) -> String {
    sb.write_record(
        "20260501T141907-a1b2",
        r#"{
  "id": "20260501T141907-a1b2",
  "started_at": "2026-05-01T14:19:07.25Z",
  "ended_at": "2026-05-01T14:19:51.5Z",
  "container_name": "outrig-20260501T141907-a1b2",
  "image_tag": "localhost/outrig-coding:d8aa33",
  "image_config_name": "coding",
  "agent_name": "coder",
  "working_dir": "/home/me/repo",
  "session_dir": "/home/me/.local/share/outrig/sessions/20260501T141907-a1b2",
  "exit_code": 0
}"#,
    );
    let work = sb.path().join("work").join("s1");
    fs::create_dir_all(&work).unwrap();
    fs::write(
        work.join("session.json"),
        format!(
            r#"{{
  "id": "20260501T134412-3f2a",
  "started_at": "2026-05-01T13:44:12Z",
  "ended_at": "2026-05-01T14:49:40Z",
  "container_name": "outrig-20260501T134412-3f2a",
  "image_tag": "localhost/outrig-research:41c0de",
  "working_dir": "/home/me/repo",
  "session_dir": "{}",
  "exit_code": 1
}}"#,
            work.display()
        ),
    )
    .unwrap();
    fs::create_dir_all(sb.root()).unwrap();
    symlink(&work, sb.root().join("20260501T134412-3f2a")).unwrap();
    sb.write_record(
        "20260430T090000-0001",
        r#"{
  "id": "20260430T090000-0001",
  "started_at": "2026-04-30T09:00:00Z",
  "container_name": "outrig-20260430T090000-0001",
  "image_tag": "localhost/outrig-coding:d8aa33",
  "container_config_name": "coding",
  "agent_name": null,
  "working_dir": "/home/me/repo",
  "session_dir": "/x/20260430T090000-0001"
}"#,
    );
    sb.write_record("20260429T000000-dead", "{ this is not json");
    fs::create_dir_all(sb.root().join(".hidden")).unwrap();
    fs::write(sb.root().join(".hidden/session.json"), "{}").unwrap();
    fs::create_dir_all(sb.root().join("not-a-session")).unwrap();
    fs::write(sb.root().join("notes.txt"), "mine").unwrap();
    work.display().to_string()
}

fn expected_table(work: &str, running_for: Duration) -> String {
    let running = format_duration(running_for);
    let w = running.len().max("DURATION".len());
    format!(
        "\
ID                    STARTED              {:<w$}  IMAGE   EXIT
20260501T141907-a1b2  2026-05-01 14:19:07  {:<w$}  coding  0
20260501T134412-3f2a  2026-05-01 13:44:12  {:<w$}  -       1          -> {work}
20260430T090000-0001  2026-04-30 09:00:00  {running:<w$}  coding  abandoned
",
        "DURATION", "0m44s", "1h05m"
    )
}

#[test]
fn ls_prints_the_outrig_table_and_names_skipped_records_on_stderr() {
    let sb = Sandbox::new();
    let work = outrig_root(&sb);
    let running_since = time("2026-04-30T09:00:00Z");
    let before = SystemTime::now().duration_since(running_since).unwrap();
    let run = sb.run(&["ls"], None);
    let after = SystemTime::now().duration_since(running_since).unwrap();
    assert_code(&run, 0);
    // The running session's duration is "so far": what it was when ls looked.
    assert!(
        run.stdout == expected_table(&work, before) || run.stdout == expected_table(&work, after),
        "got:\n{}\nwanted:\n{}",
        run.stdout,
        expected_table(&work, after)
    );
    let line = assert_one_error_line(&run, "skipped 20260429T000000-dead: ");
    assert!(line.contains("20260429T000000-dead/session.json"), "{line}");
    assert!(line.contains("not a session record"), "{line}");
}

#[test]
fn ls_json_is_one_record_per_line_in_the_records_own_shape() {
    let sb = Sandbox::new();
    let work = outrig_root(&sb);
    let run = sb.run(&["ls", "--json"], None);
    assert_code(&run, 0);
    assert!(run.stderr.contains("skipped 20260429T000000-dead"));
    let objects: Vec<Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let ids: Vec<&str> = objects.iter().map(|o| o["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "20260501T141907-a1b2",
            "20260501T134412-3f2a",
            "20260430T090000-0001"
        ]
    );
    // Exactly the record as the library writes it, compacted: field order included, then
    // the session's state.
    let finished = sb
        .store
        .get(&"20260501T141907-a1b2".parse().unwrap())
        .unwrap();
    let mut own: Value = serde_json::from_slice(&finished.to_json().unwrap()).unwrap();
    own.as_object_mut()
        .unwrap()
        .insert("state".to_owned(), Value::from("finished"));
    assert_eq!(objects[0], own);
    assert_eq!(
        run.stdout.lines().next().unwrap(),
        serde_json::to_string(&own).unwrap()
    );
    let states: Vec<&str> = objects
        .iter()
        .map(|o| o["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["finished", "finished", "abandoned"]);
    assert_eq!(objects[0]["started_at"], "2026-05-01T14:19:07.25Z");
    assert!(objects[0].get("link_target").is_none());
    // The symlinked entry says where it leads; the running one has no end and no exit.
    assert_eq!(objects[1]["link_target"], work.as_str());
    assert_eq!(objects[1]["exit_code"], 1);
    assert!(objects[2].get("ended_at").is_none());
    assert!(objects[2].get("exit_code").is_none());
    // The legacy name reads as the current one.
    assert_eq!(objects[2]["image_config_name"], "coding");
    assert!(objects[2].get("container_config_name").is_none());
}

#[test]
fn an_empty_or_missing_root_has_no_sessions() {
    let sb = Sandbox::new();
    // As `outrig ls`: nothing on stdout, the notice on stderr, status 0; a missing root says
    // so, and where it came from.
    let run = sb.run(&["ls"], None);
    assert_code(&run, 0);
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        format!(
            "outrig-sessions: no sessions: the session root {} does not exist (from \
             --session-root)\n",
            sb.root().display()
        )
    );
    fs::create_dir_all(sb.root()).unwrap();
    let run = sb.run(&["ls"], None);
    assert_code(&run, 0);
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        format!("outrig-sessions: no sessions in {}\n", sb.root().display())
    );
    fs::create_dir_all(sb.root().join("not-a-session")).unwrap();
    let run = sb.run(&["ls", "--json"], None);
    assert_code(&run, 0);
    assert_eq!(run.stdout, "");
    assert_eq!(run.stderr, "");
}

#[test]
fn a_root_of_only_unreadable_records_says_so_and_still_exits_0() {
    let sb = Sandbox::new();
    sb.write_record("20260501T000000-0001", "[]");
    sb.write_record(
        "20260501T000000-0002",
        r#"{"id": "20260501T000000-9999", "started_at": "2026-05-01T00:00:00Z",
            "container_name": "c", "image_tag": "t", "working_dir": "/w", "session_dir": "/s"}"#,
    );
    let run = sb.run(&["ls"], None);
    assert_code(&run, 0);
    assert_eq!(run.stdout, "");
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 3, "{}", run.stderr);
    assert_eq!(
        lines[2],
        format!(
            "outrig-sessions: no readable sessions in {} (2 skipped)",
            sb.root().display()
        )
    );
    assert!(lines[0].starts_with("outrig-sessions: skipped 20260501T000000-0002: "));
    assert!(
        lines[0].contains("differs from its entry name"),
        "{}",
        lines[0]
    );
    assert!(lines[1].starts_with("outrig-sessions: skipped 20260501T000000-0001: "));
}

#[test]
fn sessions_made_through_the_library_list_with_their_running_state() {
    let sb = Sandbox::new();
    let done = sb.finished(
        spec("outrig-a").image_config_name("coding"),
        "2026-05-01T10:00:00Z",
        362,
        3,
    );
    let started = SystemTime::now() - Duration::from_secs(3 * 3600);
    let running = sb
        .store
        .create(&spec("outrig-b").started_at(started))
        .unwrap();
    let run = sb.run(&["ls"], None);
    assert_code(&run, 0);
    let rows: Vec<Vec<&str>> = run
        .stdout
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(rows[0], ["ID", "STARTED", "DURATION", "IMAGE", "EXIT"]);
    let row = |id: &str| rows.iter().find(|r| r[0] == id).unwrap().clone();
    assert_eq!(
        row(done.id.as_str()),
        [
            done.id.as_str(),
            "2026-05-01",
            "10:00:00",
            "6m02s",
            "coding",
            "3"
        ]
    );
    let r = row(running.id.as_str());
    // No image configuration: `-`, as outrig (the tag is in `show`); no exit yet; three
    // hours so far.
    assert_eq!(r[4], "-");
    assert_eq!(r[5], "-");
    assert!(r[3].starts_with("3h0"), "{r:?}");
    assert_eq!(rows.len(), 3);
}

#[test]
fn the_root_comes_from_the_config_then_the_xdg_default() {
    let sb = Sandbox::new();
    // The default under $HOME, with no config.
    let default_root = sb.path().join("home/.local/share/outrig/sessions");
    let run = sb.run_bare(&["ls"], None);
    assert_code(&run, 0);
    assert_eq!(
        run.stderr,
        format!(
            "outrig-sessions: no sessions: the session root {} does not exist (the default: \
             no --session-root, and no session-root in the global config)\n",
            default_root.display()
        )
    );
    // $XDG_DATA_HOME moves the default.
    fs::create_dir_all(sb.path().join("data/outrig/sessions")).unwrap();
    let mut cmd = sb.command();
    cmd.env("XDG_DATA_HOME", sb.path().join("data")).arg("ls");
    let run = common::run(cmd, None);
    assert_eq!(
        run.stderr,
        format!(
            "outrig-sessions: no sessions in {}/data/outrig/sessions\n",
            sb.path().display()
        )
    );
    // The global config's session-root, relative to the config file's directory.
    let s = sb.finished(spec("c"), "2026-05-01T10:00:00Z", 1, 0);
    let config_dir = sb.path().join("home/.outrig");
    fs::create_dir_all(&config_dir).unwrap();
    fs::write(
        config_dir.join("config.toml"),
        "session-root = \"../../root\"\n",
    )
    .unwrap();
    let run = sb.run_bare(&["ls"], None);
    assert_code(&run, 0);
    assert!(run.stdout.contains(s.id.as_str()), "{run:#?}");
    // --global-config names another file; --session-root beats both.
    let other = sb.path().join("other.toml");
    fs::write(
        &other,
        format!(
            "session-root = \"{}\"\n",
            sb.path().join("elsewhere").display()
        ),
    )
    .unwrap();
    let run = sb.run_bare(&["--global-config", other.to_str().unwrap(), "ls"], None);
    assert_eq!(
        run.stderr,
        format!(
            "outrig-sessions: no sessions: the session root {}/elsewhere does not exist (from \
             session-root in {})\n",
            sb.path().display(),
            other.display()
        )
    );
    let run = sb.run_bare(
        &[
            "ls",
            "--global-config",
            other.to_str().unwrap(),
            "--session-root",
            "root",
        ],
        None,
    );
    assert!(run.stdout.contains(s.id.as_str()), "{run:#?}");
}

#[test]
fn a_malformed_config_is_one_line_and_status_5() {
    let sb = Sandbox::new();
    let config = sb.path().join("bad.toml");
    fs::write(&config, "session-root = [").unwrap();
    let run = sb.run_bare(&["--global-config", config.to_str().unwrap(), "ls"], None);
    assert_code(&run, 5);
    assert_eq!(run.stdout, "");
    let line = assert_one_error_line(&run, "not valid TOML");
    assert!(line.contains(config.to_str().unwrap()), "{line}");
    // An explicit root does not need the config.
    let run = sb.run(&["--global-config", config.to_str().unwrap(), "ls"], None);
    assert_code(&run, 0);
}

#[test]
fn an_unreadable_root_is_an_error() {
    let sb = Sandbox::new();
    fs::write(sb.path().join("file"), "not a directory").unwrap();
    let run = sb.run_bare(&["ls", "--session-root", "file"], None);
    assert_code(&run, 1);
    assert_eq!(run.stdout, "");
    assert_one_error_line(&run, "reading session root");
}

#[test]
fn a_relative_xdg_config_home_is_taken_against_the_current_directory_as_outrig_does() {
    let sb = Sandbox::new();
    let s = sb.finished(spec("c"), "2026-05-01T10:00:00Z", 1, 0);
    // The sandbox is the current directory: `rel/outrig/config.toml` there names the root,
    // relative to that file's directory.
    let config_dir = sb.path().join("rel/outrig");
    fs::create_dir_all(&config_dir).unwrap();
    fs::write(
        config_dir.join("config.toml"),
        "session-root = \"../../root\"\n",
    )
    .unwrap();
    let mut cmd = sb.command();
    cmd.env("XDG_CONFIG_HOME", "rel").arg("ls");
    let run = common::run(cmd, None);
    assert_code(&run, 0);
    assert!(run.stdout.contains(s.id.as_str()), "{run:#?}");

    // Run from elsewhere, the same setting names another file (absent there): the default.
    let elsewhere = sb.path().join("elsewhere");
    fs::create_dir(&elsewhere).unwrap();
    let mut cmd = sb.command();
    cmd.env("XDG_CONFIG_HOME", "rel")
        .current_dir(&elsewhere)
        .arg("ls");
    let run = common::run(cmd, None);
    assert_code(&run, 0);
    let default_root = sb.path().join("home/.local/share/outrig/sessions");
    assert!(
        run.stderr.contains(&format!(
            "the session root {} does not exist (the default",
            default_root.display()
        )),
        "{run:#?}"
    );

    // An empty one is unset: ~/.outrig/config.toml, not `outrig/config.toml` here.
    fs::create_dir_all(sb.path().join("outrig")).unwrap();
    fs::write(
        sb.path().join("outrig/config.toml"),
        "session-root = \"/not/this\"\n",
    )
    .unwrap();
    let home_config = sb.path().join("home/.outrig");
    fs::create_dir_all(&home_config).unwrap();
    fs::write(
        home_config.join("config.toml"),
        "session-root = \"../../root\"\n",
    )
    .unwrap();
    let mut cmd = sb.command();
    cmd.env("XDG_CONFIG_HOME", "").arg("ls");
    let run = common::run(cmd, None);
    assert_code(&run, 0);
    assert!(run.stdout.contains(s.id.as_str()), "{run:#?}");
}

#[test]
fn ls_tells_running_abandoned_and_unknown_sessions_apart() {
    let sb = Sandbox::new();
    let held = sb.store.create(&spec("held")).unwrap();
    let left = sb.store.create(&spec("left")).unwrap().into_session();
    let boxed = sb.store.create(&spec("boxed")).unwrap().into_session();
    sb.set_running_containers(&["boxed"]);
    let exit_of = |stdout: &str, id: &str| {
        let line = stdout
            .lines()
            .find(|l| l.starts_with(id))
            .unwrap()
            .to_owned();
        line.split_whitespace().nth(5).unwrap().to_owned()
    };
    let run = sb.run(&["ls"], None);
    assert_code(&run, 0);
    assert_eq!(
        exit_of(&run.stdout, held.id.as_str()),
        "-",
        "{}",
        run.stdout
    );
    assert_eq!(
        exit_of(&run.stdout, boxed.id.as_str()),
        "-",
        "{}",
        run.stdout
    );
    assert_eq!(
        exit_of(&run.stdout, left.id.as_str()),
        "abandoned",
        "{}",
        run.stdout
    );
    // An engine that does not answer cannot tell: `?`, and clean keeps them.
    let bin = sb.path().join("bin/podman");
    fs::write(&bin, "#!/bin/sh\nexit 125\n").unwrap();
    let run = sb.run(&["ls"], None);
    assert_eq!(
        exit_of(&run.stdout, left.id.as_str()),
        "?",
        "{}",
        run.stdout
    );
    assert_eq!(
        exit_of(&run.stdout, held.id.as_str()),
        "-",
        "{}",
        run.stdout
    );
    let run = sb.run(&["clean", "--older-than", "0s", "--yes"], None);
    assert_code(&run, 0);
    assert!(
        run.stdout.contains(
            "1 running session is kept; 2 sessions whose state cannot be told (?) are kept"
        ),
        "{}",
        run.stdout
    );
    assert_eq!(sb.store.list().unwrap().sessions.len(), 3);
}
