//! The C library as built: its SONAME and exported symbols, sessions written by compiled C
//! programs read with the Rust API byte for byte, and the launcher example run for real.
//!
//! These tests build `liboutrig.a` and `liboutrig.so` with cargo and compile C with `cc` (or
//! `$CC`), so they need a C compiler and binutils, as the C suite does.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use outrig::{NewSession, SessionId, SessionStore};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// What a program linking `liboutrig.a` also needs: `mk/static-libs`, the one list mk/c.mk,
/// `outrig.pc`, `outrig-static.pc` and the CMake targets take it from too.
fn static_libs() -> impl Iterator<Item = &'static str> {
    include_str!("../mk/static-libs").split_whitespace()
}

/// The static and shared libraries, built once per test run.
struct Libraries {
    shared: PathBuf,
    static_lib: PathBuf,
}

fn libraries() -> &'static Libraries {
    static LIBS: OnceLock<Libraries> = OnceLock::new();
    LIBS.get_or_init(|| {
        // `cargo test` builds only the rlib (the package's one crate type); build the C
        // libraries of the same profile, with the command mk/c.mk's `c-lib` runs (its SONAME
        // argument included), so that `make test` builds them once.
        let out = Command::new(env!("CARGO"))
            .args([
                "rustc",
                "-p",
                "outrig",
                "--lib",
                "--features",
                "capi",
                "--crate-type",
                "cdylib",
                "--crate-type",
                "staticlib",
                "--message-format=json",
                "--",
                "-C",
                concat!(
                    "link-arg=-Wl,-soname,liboutrig.so.",
                    env!("CARGO_PKG_VERSION_MAJOR")
                ),
            ])
            .current_dir(ROOT)
            .output()
            .expect("run cargo build");
        assert!(
            out.status.success(),
            "cargo build of the C libraries failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut shared = None;
        let mut static_lib = None;
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            let Ok(msg) = serde_json::from_str::<serde_json::Value>(line) else {
                continue;
            };
            if msg["reason"] != "compiler-artifact" || msg["target"]["name"] != "outrig" {
                continue;
            }
            for file in msg["filenames"].as_array().into_iter().flatten() {
                let file = PathBuf::from(file.as_str().unwrap_or_default());
                match file.extension().and_then(|e| e.to_str()) {
                    Some("so") => shared = Some(file),
                    Some("a") => static_lib = Some(file),
                    _ => {}
                }
            }
        }
        Libraries {
            shared: shared.expect("cargo built liboutrig.so"),
            static_lib: static_lib.expect("cargo built liboutrig.a"),
        }
    })
}

/// Compiles C `source` against the static library into `out`.
fn compile(source: &str, out: &Path) {
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_owned());
    let status = Command::new(&cc)
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-Iinclude"])
        .arg(source)
        .arg(&libraries().static_lib)
        .args(static_libs())
        .arg("-o")
        .arg(out)
        .current_dir(ROOT)
        .status()
        .unwrap_or_else(|e| panic!("run {cc}: {e}"));
    assert!(status.success(), "{cc} could not build {source}");
}

fn tool_output(program: &str, args: &[&str], file: &Path) -> String {
    let out = Command::new(program)
        .args(args)
        .arg(file)
        .output()
        .unwrap_or_else(|e| panic!("run {program}: {e}"));
    assert!(out.status.success(), "{program} {}", file.display());
    String::from_utf8(out.stdout).unwrap()
}

/// A Rust dependent builds the rlib only: the package lists no cdylib or staticlib, which
/// every dependent would otherwise build and link too (the C library is built by the command
/// in `libraries()`, which names those crate types itself).
#[test]
fn rust_dependents_build_only_the_rlib() {
    let out = Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--no-deps",
            "--format-version",
            "1",
            "--offline",
        ])
        .current_dir(ROOT)
        .output()
        .expect("run cargo metadata");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let package = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "outrig")
        .expect("the outrig package");
    let lib = package["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| {
            t["kind"]
                .as_array()
                .unwrap()
                .iter()
                .any(|k| k == "rlib" || k == "lib")
        })
        .expect("outrig's library target");
    assert_eq!(lib["crate_types"], serde_json::json!(["rlib"]), "{lib}");
    // And the C library's build still makes both C libraries from it.
    assert!(libraries().shared.ends_with("liboutrig.so"));
    assert!(libraries().static_lib.ends_with("liboutrig.a"));
}

#[test]
fn the_shared_library_has_its_soname_and_exports_exactly_the_header() {
    let so = &libraries().shared;
    let dynamic = tool_output("readelf", &["-d"], so);
    let soname = format!(
        "Library soname: [liboutrig.so.{}]",
        env!("CARGO_PKG_VERSION_MAJOR")
    );
    assert!(dynamic.contains(&soname), "no {soname} in:\n{dynamic}");

    let exported: BTreeSet<String> = tool_output("nm", &["-D", "--defined-only"], so)
        .lines()
        .filter_map(|l| l.split_whitespace().nth(2).map(str::to_owned))
        .collect();
    let header = fs::read_to_string(Path::new(ROOT).join("include/outrig.h")).unwrap();
    let declared: BTreeSet<String> = header
        .lines()
        .filter(|l| !l.trim_start().starts_with('*') && !l.trim_start().starts_with("/*"))
        .filter_map(|l| {
            // The identifier right before the first '(' of a declaration line.
            let before = &l[..l.find('(')?];
            let start = before
                .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .map_or(0, |i| i + 1);
            let name = &before[start..];
            name.starts_with("outrig_").then(|| name.to_owned())
        })
        .collect();
    assert!(
        declared.len() > 60,
        "parsed only {declared:?} from the header"
    );
    assert_eq!(
        exported, declared,
        "exported symbols vs header declarations"
    );
}

fn unix(secs: u64, nanos: u32) -> SystemTime {
    UNIX_EPOCH + Duration::new(secs, nanos)
}

#[test]
fn sessions_written_through_c_read_in_rust_with_the_same_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let writer = tmp.path().join("writer");
    compile("tests/c/interop/writer.c", &writer);
    let root = tmp.path().join("root");
    let explicit = tmp.path().join("explicit");
    let out = Command::new(&writer)
        .arg(&root)
        .arg(&explicit)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "writer failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let ids: Vec<SessionId> = stdout
        .lines()
        .map(|l| SessionId::parse(l).unwrap())
        .collect();
    assert_eq!(ids.len(), 2, "{stdout}");

    let store = SessionStore::new(&root).unwrap();
    let listing = store.list().unwrap();
    assert_eq!(listing.sessions.len(), 2);
    assert!(listing.skipped.is_empty(), "{:?}", listing.skipped);

    // The auto session: every field, sidecars replaced, finalized.
    let c_made = store.get(&ids[0]).unwrap();
    let on_disk = fs::read(root.join(ids[0].as_str()).join("session.json")).unwrap();
    assert_eq!(
        c_made.to_json().unwrap(),
        on_disk,
        "C wrote the canonical bytes"
    );
    assert_eq!(c_made.container_name, "outrig-interop");
    assert_eq!(c_made.sidecar_container_names, ["proxy", "db"]);
    assert_eq!(c_made.image_config_name.as_deref(), Some("coding"));
    assert_eq!(c_made.agent_name.as_deref(), Some("coder"));
    assert_eq!(c_made.started_at, unix(1_777_643_052, 500_000_000));
    assert_eq!(c_made.ended_at, Some(unix(1_777_645_191, 0)));
    assert_eq!(c_made.exit_code, Some(0));

    // The same session made through Rust has the same bytes, but for its id and directory.
    let rust_store = SessionStore::new(tmp.path().join("rust-root")).unwrap();
    let spec = NewSession::new(
        "outrig-interop",
        "localhost/outrig-coding:d8aa33",
        "/home/me/repo",
    )
    .image_config_name("coding")
    .agent_name("coder")
    .sidecar("proxy")
    .started_at(unix(1_777_643_052, 500_000_000));
    let rust_made = rust_store.create(&spec).unwrap();
    rust_store
        .set_sidecar_containers(&rust_made.id, &["proxy", "db"])
        .unwrap();
    let rust_made = rust_store
        .finalize(&rust_made.id, unix(1_777_645_191, 0), 0)
        .unwrap();
    let rust_bytes = String::from_utf8(rust_made.to_json().unwrap()).unwrap();
    let c_bytes = String::from_utf8(on_disk)
        .unwrap()
        .replace(
            c_made.session_dir.to_str().unwrap(),
            rust_made.session_dir.to_str().unwrap(),
        )
        .replace(ids[0].as_str(), rust_made.id.as_str());
    assert_eq!(c_bytes, rust_bytes);

    // The explicit session: linked from the root, running, its record in the directory.
    let explicit_made = store.get(&ids[1]).unwrap();
    let canonical = fs::canonicalize(&explicit).unwrap();
    assert_eq!(explicit_made.session_dir, canonical);
    assert_eq!(
        explicit_made.link_target.as_deref(),
        Some(canonical.as_path())
    );
    assert!(!explicit_made.is_finalized());
    assert_eq!(
        explicit_made.to_json().unwrap(),
        fs::read(canonical.join("session.json")).unwrap()
    );
    assert_eq!(store.get_by_path(&explicit).unwrap().id, ids[1]);
}

/// Runs the launcher example under `root` in `cwd` with `command`; returns its exit code and
/// its output.
fn launch(launcher: &Path, root: &Path, cwd: &Path, command: &str) -> (i32, String) {
    let out = Command::new(launcher)
        .arg("--root")
        .arg(root)
        .args(["--", "sh", "-c", command])
        .current_dir(cwd)
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (
        out.status.code().expect("the launcher exits normally"),
        text,
    )
}

#[test]
fn the_launcher_example_runs_a_command_as_a_session() {
    let tmp = tempfile::tempdir().unwrap();
    let launcher = tmp.path().join("launcher");
    compile("examples/launcher.c", &launcher);
    let root = tmp.path().join("root");
    let work = tmp.path().join("work");
    fs::create_dir(&work).unwrap();
    let store = SessionStore::new(&root).unwrap();

    let (code, output) = launch(
        &launcher,
        &root,
        &work,
        "echo to-out; echo to-err >&2; exit 7",
    );
    assert_eq!(code, 7, "{output}");
    assert!(
        output.contains("to-out") && output.contains("to-err"),
        "{output}"
    );
    let listing = store.list().unwrap();
    assert_eq!(listing.sessions.len(), 1);
    let s = &listing.sessions[0];
    assert!(
        output.contains(s.id.as_str()),
        "the launcher names its session: {output}"
    );
    assert_eq!(s.exit_code, Some(7));
    assert!(s.ended_at.is_some_and(|end| end >= s.started_at));
    assert_eq!(s.container_name, "outrig-launcher");
    assert_eq!(s.agent_name.as_deref(), Some("sh"));
    assert_eq!(s.working_dir, fs::canonicalize(&work).unwrap());
    let logs = store.logs(&s.id).unwrap();
    assert_eq!(logs.len(), 1);
    assert_eq!(logs[0].name, "launcher.log");
    let log = fs::read_to_string(store.log_path(&s.id, "launcher.log").unwrap()).unwrap();
    assert!(
        log.contains("to-out\n") && log.contains("to-err\n"),
        "{log}"
    );
    assert!(log.contains("exit status 7"), "{log}");

    // A signal is 128 + its number; a command that cannot run is 127, and says why.
    let (code, output) = launch(&launcher, &root, &work, "kill -KILL $$");
    assert_eq!(code, 137, "{output}");
    let (code, output) = launch(&launcher, &root, &work, "kill -TERM $$");
    assert_eq!(code, 143, "{output}");
    let (code, output) = launch(&launcher, &root, &work, "exec /nonexistent/outrig-command");
    assert_eq!(code, 127, "{output}");
    let codes: BTreeSet<i32> = store
        .list()
        .unwrap()
        .sessions
        .iter()
        .map(|s| s.exit_code.unwrap())
        .collect();
    assert_eq!(codes, BTreeSet::from([7, 127, 137, 143]));
    // Each was finalized through its lease, which ended with it.
    let states = store.states(&store.list().unwrap().sessions);
    assert!(
        states.iter().all(|s| *s == outrig::State::Finished),
        "{states:?}"
    );

    // Bad usage and an unusable root fail before any session is made.
    let out = Command::new(&launcher).arg("--root").output().unwrap();
    assert_eq!(out.status.code(), Some(125));
    let file_root = tmp.path().join("file-root");
    fs::write(&file_root, "not a directory").unwrap();
    let (code, output) = launch(&launcher, &file_root, &work, "true");
    assert_eq!(code, 125, "{output}");
    assert!(output.contains("OUTRIG_ERR_IO"), "{output}");
    assert_eq!(store.list().unwrap().sessions.len(), 4);
}

#[test]
fn the_readme_c_program_builds_and_runs() {
    let readme = fs::read_to_string(Path::new(ROOT).join("README.md")).unwrap();
    let section = &readme[readme
        .find("## C and C++")
        .expect("the README has a C section")..];
    let start = section
        .find("```c\n")
        .expect("a C program in the C section")
        + 5;
    let program = &section[start..start + section[start..].find("```").unwrap()];
    let tmp = tempfile::tempdir().unwrap();
    let source = tmp.path().join("demo.c");
    fs::write(&source, program).unwrap();
    let demo = tmp.path().join("demo");
    compile(source.to_str().unwrap(), &demo);

    let root = tmp.path().join("root");
    let out = Command::new(&demo).arg(&root).output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let store = SessionStore::new(&root).unwrap();
    let listing = store.list().unwrap();
    assert_eq!(listing.sessions.len(), 1);
    let s = &listing.sessions[0];
    assert_eq!(s.exit_code, Some(0));
    assert_eq!(s.agent_name.as_deref(), Some("coder"));
    let prefix = format!("{}  {}  ", s.id, outrig::format_started_at(s.started_at));
    let took = outrig::format_duration(s.duration().unwrap());
    assert_eq!(stdout, format!("{prefix}{took}  OUTRIG_STATE_FINISHED\n"));
    let log = store.log_path(&s.id, "agent.log").unwrap();
    assert_eq!(fs::read_to_string(log).unwrap(), "hello\n");

    // A root it cannot use: the status name and the message, and a failing exit.
    let file_root = tmp.path().join("file-root");
    fs::write(&file_root, "").unwrap();
    let out = Command::new(&demo).arg(&file_root).output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("creating the session: OUTRIG_ERR_IO: "),
        "{stderr}"
    );
}

#[test]
fn the_readme_cpp_program_builds_and_runs() {
    let readme = fs::read_to_string(Path::new(ROOT).join("README.md")).unwrap();
    let section = &readme[readme
        .find("## C and C++")
        .expect("the README has a C section")..];
    let start = section
        .find("```cpp\n")
        .expect("a C++ program in the C section")
        + 7;
    let program = &section[start..start + section[start..].find("```").unwrap()];
    let tmp = tempfile::tempdir().unwrap();
    let source = tmp.path().join("demo.cpp");
    fs::write(&source, program).unwrap();
    let demo = tmp.path().join("demo");
    let cxx = std::env::var("CXX").unwrap_or_else(|_| "c++".to_owned());
    let status = Command::new(&cxx)
        .args(["-std=c++17", "-Wall", "-Wextra", "-Werror", "-pedantic"])
        .arg("-Iinclude")
        .arg(&source)
        .arg(&libraries().static_lib)
        .args(static_libs())
        .arg("-o")
        .arg(&demo)
        .current_dir(ROOT)
        .status()
        .unwrap_or_else(|e| panic!("run {cxx}: {e}"));
    assert!(
        status.success(),
        "{cxx} could not build the README's C++ program"
    );

    // It runs on the root it is given, never outrig's own (HOME points at a scratch
    // directory that must stay empty).
    let home = tmp.path().join("home");
    let root = tmp.path().join("root");
    let out = Command::new(&demo)
        .arg(&root)
        .env("HOME", &home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!home.exists(), "the README's C++ program touched $HOME");
    let store = SessionStore::new(&root).unwrap();
    let listing = store.list().unwrap();
    assert_eq!(listing.sessions.len(), 1);
    let s = &listing.sessions[0];
    assert_eq!(s.exit_code, Some(0));
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!("{}  finished\n", s.id)
    );
    let log = store.find_log(&s.id, "agent.log").unwrap();
    assert_eq!(fs::read_to_string(log).unwrap(), "hello\n");
}
