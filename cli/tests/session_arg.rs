//! Naming a session as outrig's commands accept it: the full id, or a part only one id
//! contains; an ambiguous part lists the candidates, an unknown one suggests the nearest ids.

mod common;

use common::{Sandbox, assert_code, assert_one_error_line, record_json};

const A: &str = "20260501T141907-a1b2";
const B: &str = "20260502T090000-77c0";
const C: &str = "20260502T093000-77c1";

/// Three sessions; B and C share `77c` and `20260502T09`.
fn three() -> Sandbox {
    let sb = Sandbox::new();
    for id in [A, B, C] {
        sb.write_record(id, &record_json(id));
    }
    sb
}

#[test]
fn a_part_only_one_id_contains_names_that_session() {
    let sb = three();
    let run = sb.run(&["show", "a1b2"], None);
    assert_code(&run, 0);
    assert!(run.stdout.starts_with("id  "), "{}", run.stdout);
    assert!(
        run.stdout.lines().next().unwrap().ends_with(A),
        "{}",
        run.stdout
    );

    let run = sb.run(&["show", "77c1", "--json"], None);
    assert_code(&run, 0);
    assert!(
        run.stdout.contains(&format!("\"id\":\"{C}\"")),
        "{}",
        run.stdout
    );

    std::fs::create_dir_all(sb.root().join(A).join("logs")).unwrap();
    std::fs::write(sb.root().join(A).join("logs/agent.log"), "hello\n").unwrap();
    let run = sb.run(&["logs", "0501T14", "agent.log"], None);
    assert_code(&run, 0);
    assert_eq!(run.stdout, "hello\n");
    let run = sb.run(&["logs", "0501T14"], None);
    assert_code(&run, 0);
    assert!(run.stdout.contains("agent.log"), "{}", run.stdout);

    let run = sb.run(&["discard", "--yes", "T0930"], None);
    assert_code(&run, 0);
    assert!(
        run.stdout.contains(&format!("removed {C} (")),
        "{}",
        run.stdout
    );
    assert!(!sb.root().join(C).exists());
    assert!(sb.root().join(B).exists() && sb.root().join(A).exists());
}

#[test]
fn an_ambiguous_part_is_refused_and_lists_the_candidates() {
    let sb = three();
    for args in [
        vec!["show", "77c"],
        vec!["logs", "77c"],
        vec!["discard", "--yes", "77c"],
    ] {
        let run = sb.run(&args, None);
        assert_code(&run, 2);
        assert_eq!(run.stdout, "", "{args:?}");
        let line = assert_one_error_line(
            &run,
            &format!(
                "session id 77c is ambiguous: 2 sessions match it ({C}, {B}); give more of the id"
            ),
        );
        assert!(!line.contains(A), "{line}");
    }
    // Nothing was removed by the refused discard.
    assert_eq!(sb.store.list().unwrap().sessions.len(), 3);
    // Many candidates are cut short.
    let sb = Sandbox::new();
    for i in 0..12 {
        let id = format!("20260503T0000{i:02}-0000");
        sb.write_record(&id, &record_json(&id));
    }
    let run = sb.run(&["show", "20260503"], None);
    assert_code(&run, 2);
    let line = assert_one_error_line(&run, "12 sessions match it (20260503T000011-0000, ");
    assert!(line.contains(", and 4 more); give more"), "{line}");
}

#[test]
fn an_unknown_id_suggests_the_nearest() {
    let sb = three();
    let root = sb.root().display().to_string();
    for (args, query, suggested) in [
        // One typo from A's tail; B and C share too little with it.
        (vec!["show", "a1b3"], "a1b3", format!("the nearest: {A}")),
        // One from B, two from C (nearest first); A is too far.
        (
            vec!["logs", "77d0"],
            "77d0",
            format!("the nearest: {B}, {C}"),
        ),
        // A full id with a typo.
        (
            vec!["discard", "--yes", "20260501T141907-a1b3"],
            "20260501T141907-a1b3",
            format!("the nearest: {A}"),
        ),
        // Nothing near.
        (
            vec!["show", "zzzz"],
            "zzzz",
            "list the sessions to see which exist".to_owned(),
        ),
    ] {
        let run = sb.run(&args, None);
        assert_code(&run, 3);
        assert_eq!(run.stdout, "");
        assert_eq!(
            run.stderr,
            format!("outrig-sessions: no session {query} under {root}; {suggested}\n"),
            "{args:?}"
        );
    }
    assert_eq!(sb.store.list().unwrap().sessions.len(), 3);
}

#[test]
fn a_full_id_that_exists_wins_over_ids_containing_it() {
    let sb = three();
    // An id that is also part of a longer one.
    let longer = format!("{A}x");
    sb.write_record(&longer, &record_json(&longer));
    let run = sb.run(&["show", A, "--json"], None);
    assert_code(&run, 0);
    assert!(
        run.stdout.contains(&format!("\"id\":\"{A}\"")),
        "{}",
        run.stdout
    );
    let run = sb.run(&["discard", "--yes", A], None);
    assert_code(&run, 0);
    assert!(!sb.root().join(A).exists());
    assert!(sb.root().join(&longer).exists());
    // Once it is gone, the same text is a part of the longer id only.
    let run = sb.run(&["show", A, "--json"], None);
    assert_code(&run, 0);
    assert!(
        run.stdout.contains(&format!("\"id\":\"{longer}\"")),
        "{}",
        run.stdout
    );
}

#[test]
fn an_unreadable_session_is_named_by_a_part_and_removed() {
    let sb = three();
    let bad = "20260504T000000-dead";
    sb.write_record(bad, "{ not json");
    let run = sb.run(&["show", "dead"], None);
    assert_code(&run, 4);
    assert_one_error_line(&run, &format!("{bad}/session.json"));
    let run = sb.run(&["discard", "--yes", "dead"], None);
    assert_code(&run, 0);
    assert!(
        run.stdout.contains(&format!("removed {bad} (")),
        "{}",
        run.stdout
    );
    assert!(!sb.root().join(bad).exists());
}
