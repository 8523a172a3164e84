//! `outrig-sessions show ID`: every field of the record, and the ways it can fail.

mod common;

use std::fs;

use common::{Sandbox, assert_code, assert_one_error_line, spec};
use serde_json::Value;

#[test]
fn show_prints_every_field_in_record_order_unknown_ones_last() {
    let sb = Sandbox::new();
    let input = fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/conformance/07-unknown-fields.input.json"),
    )
    .ok();
    // The record a newer outrig wrote (the conformance vector when it is at hand).
    let record = input.unwrap_or_else(|| {
        r#"{
  "id": "20260501T134412-3f2a",
  "started_at": "2026-05-01T13:44:12.123456789Z",
  "container_name": "outrig-20260501T134412-3f2a",
  "image_tag": "localhost/outrig-coding:d8aa33",
  "image_config_name": "coding",
  "agent_name": "coder",
  "working_dir": "/home/me/repo",
  "session_dir": "/home/me/.local/share/outrig/sessions/20260501T134412-3f2a",
  "zz_future": [1, {"b": 2, "a": 1}],
  "network_audit": {"mode": "filter", "rules": 3}
}"#
        .to_owned()
    });
    sb.write_record("20260501T134412-3f2a", &record);
    sb.store
        .finalize(
            &"20260501T134412-3f2a".parse().unwrap(),
            common::time("2026-05-01T14:19:51Z"),
            -2,
        )
        .unwrap();
    sb.store
        .set_sidecar_containers(&"20260501T134412-3f2a".parse().unwrap(), &["web", "db"])
        .unwrap();
    let run = sb.run(&["show", "20260501T134412-3f2a"], None);
    assert_code(&run, 0);
    assert_eq!(run.stderr, "");
    assert_eq!(
        run.stdout,
        "\
id                       20260501T134412-3f2a
started_at               2026-05-01T13:44:12.123456789Z
ended_at                 2026-05-01T14:19:51Z
duration                 35m38s
state                    finished
container_name           outrig-20260501T134412-3f2a
sidecar_container_names  web, db
image_tag                localhost/outrig-coding:d8aa33
image_config_name        coding
agent_name               coder
working_dir              /home/me/repo
session_dir              /home/me/.local/share/outrig/sessions/20260501T134412-3f2a
exit_code                -2
link_target              -
zz_future                [1,{\"b\":2,\"a\":1}]
network_audit            {\"mode\":\"filter\",\"rules\":3}
"
    );
}

#[test]
fn show_marks_absent_values_and_running_sessions() {
    let sb = Sandbox::new();
    let work = sb.path().join("explicit");
    let s = sb.store.create(&spec("c").session_dir(&work)).unwrap();
    let run = sb.run(&["show", s.id.as_str()], None);
    assert_code(&run, 0);
    let field = |name: &str| -> String {
        run.stdout
            .lines()
            .find_map(|l| l.strip_prefix(name).filter(|rest| rest.starts_with("  ")))
            .unwrap_or_else(|| panic!("no {name} in {}", run.stdout))
            .trim()
            .to_owned()
    };
    assert_eq!(field("ended_at"), "- (running)");
    assert!(field("duration").ends_with(" so far"), "{}", run.stdout);
    assert_eq!(field("state"), "running", "this process holds its lease");
    assert_eq!(field("exit_code"), "-");
    assert_eq!(field("image_config_name"), "-");
    assert_eq!(field("agent_name"), "-");
    assert_eq!(field("sidecar_container_names"), "-");
    let canonical = fs::canonicalize(&work).unwrap();
    assert_eq!(field("session_dir"), canonical.to_str().unwrap());
    assert_eq!(field("link_target"), canonical.to_str().unwrap());
    assert_eq!(run.stdout.lines().count(), 14, "{}", run.stdout);
}

#[test]
fn show_json_is_the_record_plus_link_target_and_state() {
    let sb = Sandbox::new();
    let work = sb.path().join("explicit");
    let s = sb
        .store
        .create(&spec("c").session_dir(&work).agent_name("coder"))
        .unwrap();
    let run = sb.run(&["show", "--json", s.id.as_str()], None);
    assert_code(&run, 0);
    assert_eq!(run.stdout.lines().count(), 1);
    let got: Value = serde_json::from_str(&run.stdout).unwrap();
    let mut want: Value = serde_json::from_slice(&s.to_json().unwrap()).unwrap();
    want["link_target"] = Value::String(fs::canonicalize(&work).unwrap().to_str().unwrap().into());
    want["state"] = Value::String("running".into());
    assert_eq!(got, want);
    let keys: Vec<&String> = got.as_object().unwrap().keys().collect();
    assert_eq!(keys.first().unwrap().as_str(), "id");
    assert_eq!(keys[keys.len() - 2].as_str(), "link_target");
    assert_eq!(keys.last().unwrap().as_str(), "state");
}

#[test]
fn unknown_invalid_and_corrupt_ids_fail_with_one_line() {
    let sb = Sandbox::new();
    sb.finished(spec("c"), "2026-05-01T10:00:00Z", 5, 0);

    let run = sb.run(&["show", "20990101T000000-0000"], None);
    assert_code(&run, 3);
    assert_eq!(run.stdout, "");
    assert_one_error_line(&run, "no session 20990101T000000-0000 under ");

    for bad in ["../x", "a/b", ".hidden", "", "x y"] {
        let run = sb.run(&["show", bad], None);
        assert_code(&run, 2);
        assert_eq!(run.stdout, "");
        assert_one_error_line(&run, "invalid session id");
    }

    sb.write_record("20260501T000000-bad0", r#"{"id": "20260501T000000-bad0"}"#);
    let run = sb.run(&["show", "20260501T000000-bad0"], None);
    assert_code(&run, 4);
    let line = assert_one_error_line(&run, "missing field");
    assert!(line.contains("20260501T000000-bad0/session.json"), "{line}");
}
