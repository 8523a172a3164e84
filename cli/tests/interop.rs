//! `outrig-sessions` on roots the other faces of the library wrote: one made through the
//! Python module (`make_python_root.py`) and the one the C launcher example writes
//! (`make demo-c`).
//!
//! `make test` runs these with the environment set (mk/cli.mk):
//! - `OUTRIG_SESSIONS_PYTHON`: a Python that can `import outrig`;
//! - `OUTRIG_SESSIONS_C_ROOT`: the C launcher's root, as `make demo-c` leaves it.
//!
//! A plain `cargo test` has neither, so the tests are `#[ignore]`d there (and say why);
//! `make test` runs them with `--include-ignored`, and a missing variable then fails them.

mod common;

use std::path::Path;
use std::process::Command;

use common::{Sandbox, assert_code};
use outrig::SessionStore;
use serde_json::Value;

fn env(name: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| panic!("{name} is not set: run these tests through make test"))
}

/// The JSON objects `ls --json` prints.
fn ls_json(sb: &Sandbox, root: &Path) -> Vec<Value> {
    let run = sb.run_bare(
        &["ls", "--json", "--session-root", root.to_str().unwrap()],
        None,
    );
    assert_code(&run, 0);
    assert_eq!(run.stderr, "", "no record skipped");
    run.stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
#[ignore = "needs the roots make test prepares (mk/cli.mk)"]
fn a_root_written_by_the_python_module() {
    let python = env("OUTRIG_SESSIONS_PYTHON");
    let sb = Sandbox::new();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/make_python_root.py");
    let status = Command::new(&python)
        .arg(&script)
        .arg(sb.path())
        .status()
        .unwrap_or_else(|e| panic!("running {python}: {e}"));
    assert!(status.success(), "{script:?} failed: {status}");
    let root = sb.path().join("root");
    let explicit = std::fs::canonicalize(sb.path().join("explicit")).unwrap();

    let sessions = ls_json(&sb, &root);
    let id_of = |container: &str| -> String {
        let s = sessions
            .iter()
            .find(|s| s["container_name"] == container)
            .unwrap_or_else(|| panic!("no {container} in {sessions:?}"));
        s["id"].as_str().unwrap().to_owned()
    };
    let (done, other, running) = (
        id_of("outrig-py-1"),
        id_of("outrig-py-2"),
        id_of("outrig-py-3"),
    );
    assert_eq!(sessions.len(), 3);

    // The table, row by row.
    let run = sb.run(&["ls", "--session-root", root.to_str().unwrap()], None);
    assert_code(&run, 0);
    let rows: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(rows.len(), 4, "{}", run.stdout);
    assert!(rows[0].starts_with("ID                    STARTED              DURATION"));
    let row = |id: &str| -> Vec<&str> {
        rows.iter()
            .find(|r| r.starts_with(id))
            .unwrap()
            .split_whitespace()
            .collect()
    };
    assert_eq!(
        row(&done)[1..],
        ["2026-05-01", "14:19:07", "6m02s", "coding", "0"]
    );
    let explicit_text = explicit.display().to_string();
    assert_eq!(
        row(&other)[1..],
        [
            "2026-05-01",
            "13:44:12",
            "1h05m",
            "-",
            "3",
            "->",
            explicit_text.as_str()
        ]
    );
    // Its Python launcher exited without finalizing it, and no container of it runs here:
    // abandoned, as outrig would clean it.
    let r = row(&running);
    assert_eq!(
        (r[1], r[2], r[4], r[5]),
        ("2026-05-02", "09:00:00", "coding", "abandoned")
    );

    // Every field, the logs and their content.
    let root_arg = ["--session-root", root.to_str().unwrap()];
    let run = sb.run_bare(&[&root_arg[..], &["show", &done]].concat(), None);
    assert_code(&run, 0);
    for line in [
        "sidecar_container_names  outrig-web\n",
        "agent_name               coder\n",
        "ended_at                 2026-05-01T14:25:09Z\n",
        "exit_code                0\n",
    ] {
        assert!(run.stdout.contains(line), "{line:?} in {}", run.stdout);
    }
    let run = sb.run_bare(&[&root_arg[..], &["logs", &done]].concat(), None);
    assert_code(&run, 0);
    assert_eq!(
        run.stdout,
        "LOG            SIZE\nagent.log      18 B\ntools/web.log  2.0 KiB\n"
    );
    let run = sb.run_bare(
        &[&root_arg[..], &["logs", &done, "agent.log"]].concat(),
        None,
    );
    assert_code(&run, 0);
    assert_eq!(run.stdout, "hello from python\n");

    // Discard the explicit one by its directory, then clean: the finished one goes, and so does
    // the abandoned one (it started long before the cutoff, and nothing runs it).
    let run = sb.run_bare(
        &[&root_arg[..], &["discard", "--session-dir", &explicit_text]].concat(),
        Some("y\n"),
    );
    assert_code(&run, 0);
    assert!(
        run.stdout
            .ends_with(&format!("removed {other} ({explicit_text})\n")),
        "{}",
        run.stdout
    );
    let run = sb.run_bare(
        &[&root_arg[..], &["clean", "--older-than", "1d"]].concat(),
        Some("y\n"),
    );
    assert_code(&run, 0);
    for id in [&done, &running] {
        assert!(
            run.stdout.contains(&format!("removed {id} (")),
            "{}",
            run.stdout
        );
    }
    let left = SessionStore::new(&root).unwrap().list().unwrap();
    assert!(left.sessions.is_empty(), "{:?}", left.sessions);
    assert!(
        !root.join(&other).exists(),
        "the explicit session's link is gone"
    );
}

#[test]
#[ignore = "needs the roots make test prepares (mk/cli.mk)"]
fn the_root_the_c_launcher_wrote() {
    let root = env("OUTRIG_SESSIONS_C_ROOT");
    let root = Path::new(&root);
    assert!(
        root.is_dir(),
        "{} is not a directory: run `make demo-c`",
        root.display()
    );
    let sb = Sandbox::new();
    let store = SessionStore::new(root).unwrap();
    let sessions = ls_json(&sb, root);
    // `make demo-c` runs the launcher as outrig-demo-c with a command that says hello and
    // exits 0; the launcher logs the command's output to launcher.log.
    let demo = sessions
        .iter()
        .find(|s| s["container_name"] == "outrig-demo-c")
        .unwrap_or_else(|| panic!("no outrig-demo-c session among {}", sessions.len()));
    assert_eq!(demo["exit_code"], 0);
    let demo_id = demo["id"].as_str().unwrap();
    let run = sb.run_bare(
        &[
            "logs",
            demo_id,
            "launcher.log",
            "--session-root",
            root.to_str().unwrap(),
        ],
        None,
    );
    assert_code(&run, 0);
    assert!(
        run.stdout.contains("hello from the agent\n"),
        "{}",
        run.stdout
    );

    let run = sb.run_bare(&["ls", "--session-root", root.to_str().unwrap()], None);
    assert_code(&run, 0);
    assert_eq!(run.stderr, "");
    assert_eq!(
        run.stdout.lines().count(),
        sessions.len() + 1,
        "{}",
        run.stdout
    );
    for s in &sessions {
        let id = s["id"].as_str().unwrap();
        let run = sb.run_bare(
            &["show", id, "--session-root", root.to_str().unwrap()],
            None,
        );
        assert_code(&run, 0);
        assert!(
            run.stdout
                .starts_with(&format!("id                       {id}\n"))
        );
        let parsed = id.parse().unwrap();
        // Exactly the record as the library reads it.
        let record = store.get(&parsed).unwrap();
        let own: Value = serde_json::from_slice(&record.to_json().unwrap()).unwrap();
        let mut shown = s.clone();
        shown.as_object_mut().unwrap().shift_remove("link_target");
        let state = shown.as_object_mut().unwrap().shift_remove("state");
        assert_eq!(shown, own);
        let want = if record.is_finalized() {
            "finished"
        } else {
            "abandoned"
        };
        assert_eq!(state, Some(Value::from(want)), "{id}");
        let logs = store.logs(&parsed).unwrap();
        let run = sb.run_bare(
            &["logs", id, "--session-root", root.to_str().unwrap()],
            None,
        );
        assert_code(&run, 0);
        let lines = if logs.is_empty() { 1 } else { logs.len() + 1 };
        assert_eq!(run.stdout.lines().count(), lines, "{}", run.stdout);
        for log in logs {
            let run = sb.run_bare(
                &[
                    "logs",
                    id,
                    &log.name,
                    "--session-root",
                    root.to_str().unwrap(),
                ],
                None,
            );
            assert_code(&run, 0);
            let want = std::fs::read(store.find_log(&parsed, &log.name).unwrap()).unwrap();
            assert_eq!(run.stdout.as_bytes(), want, "{id} {}", log.name);
        }
    }
}
