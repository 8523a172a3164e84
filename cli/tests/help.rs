//! `--help` for every command, the version, and usage errors as one line.

mod common;

use common::{Sandbox, assert_code, assert_one_error_line};

#[test]
fn every_command_has_help_on_stdout() {
    let sb = Sandbox::new();
    for (args, usage) in [
        (vec!["--help"], "Usage: outrig-sessions [OPTIONS] <COMMAND>"),
        (vec!["ls", "--help"], "Usage: outrig-sessions ls [OPTIONS]"),
        (
            vec!["show", "--help"],
            "Usage: outrig-sessions show [OPTIONS] <ID>",
        ),
        (
            vec!["logs", "--help"],
            "Usage: outrig-sessions logs [OPTIONS] <ID|--session-dir <DIR>> [NAME]",
        ),
        (vec!["discard", "--help"], "Usage: outrig-sessions discard"),
        (
            vec!["clean", "--help"],
            "Usage: outrig-sessions clean [OPTIONS]",
        ),
        (
            vec!["help", "clean"],
            "Usage: outrig-sessions clean [OPTIONS]",
        ),
    ] {
        let run = sb.run_bare(&args, None);
        assert_code(&run, 0);
        assert!(run.stdout.contains(usage), "{args:?}: {}", run.stdout);
        assert!(run.stdout.contains("--session-root <DIR>"), "{args:?}");
        assert!(run.stdout.contains("Exit status:"), "{args:?}");
        assert_eq!(run.stderr, "");
    }
    let run = sb.run_bare(&["clean", "--help"], None);
    assert!(run.stdout.contains("[default: 30d]"), "{}", run.stdout);
    assert!(
        run.stdout.contains("(`7d`, `12h`, `90m`, `1w`, `1d12h`)"),
        "{}",
        run.stdout
    );
    let run = sb.run_bare(&["--version"], None);
    assert_code(&run, 0);
    assert_eq!(
        run.stdout,
        format!("outrig-sessions {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn no_command_prints_help_on_stderr_and_exits_2() {
    let sb = Sandbox::new();
    let run = sb.run_bare(&[], None);
    assert_code(&run, 2);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr.contains("Usage: outrig-sessions"),
        "{}",
        run.stderr
    );
}

#[test]
fn usage_errors_are_one_line_that_says_where_help_is() {
    let sb = Sandbox::new();
    let run = sb.run_bare(&["ls", "--bogus"], None);
    assert_code(&run, 2);
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        "outrig-sessions: unexpected argument '--bogus' found; see 'outrig-sessions ls --help'\n"
    );
    let run = sb.run_bare(&["frobnicate"], None);
    assert_code(&run, 2);
    assert_one_error_line(&run, "unrecognized subcommand 'frobnicate'");
    let run = sb.run_bare(&["show"], None);
    assert_code(&run, 2);
    assert_one_error_line(&run, "<ID>");
    let run = sb.run_bare(&["ls", "--session-root", ""], None);
    assert_code(&run, 2);
    assert_one_error_line(&run, "a value is required for '--session-root <DIR>'");
}

#[test]
fn mistyped_commands_and_options_get_clap_suggestions() {
    let sb = Sandbox::new();
    for (args, tip, help) in [
        (
            vec!["lss"],
            "tip: some similar subcommands exist: 'logs', 'ls'",
            "outrig-sessions",
        ),
        (
            vec!["discrad", "x"],
            "tip: a similar subcommand exists: 'discard'",
            "outrig-sessions",
        ),
        (
            vec!["discard", "--dryrun", "x"],
            "tip: a similar argument exists: '--dry-run'",
            "outrig-sessions discard",
        ),
        (
            vec!["clean", "--older-then", "1d"],
            "tip: a similar argument exists: '--older-than'",
            "outrig-sessions clean",
        ),
    ] {
        let run = sb.run_bare(&args, None);
        assert_code(&run, 2);
        assert_eq!(run.stdout, "");
        let line = assert_one_error_line(&run, tip);
        assert!(line.ends_with(&format!("; see '{help} --help'")), "{line}");
    }
}

#[test]
fn removing_under_another_name_points_to_discard() {
    let sb = Sandbox::new();
    for name in ["rm", "remove", "delete", "del"] {
        let run = sb.run_bare(&[name, "20260501T134412-3f2a"], None);
        assert_code(&run, 2);
        assert_eq!(run.stdout, "");
        let line = assert_one_error_line(&run, &format!("unrecognized subcommand '{name}'"));
        assert!(
            line.contains("tip: to remove a session, use 'discard'"),
            "{line}"
        );
        assert!(line.ends_with("; see 'outrig-sessions --help'"), "{line}");
    }
    // Other unknown commands get no such tip.
    let run = sb.run_bare(&["frobnicate"], None);
    assert!(!run.stderr.contains("discard"), "{}", run.stderr);
}

#[test]
fn config_is_refused_with_a_pointer_to_global_config() {
    let sb = Sandbox::new();
    let config = sb.path().join("config.toml");
    std::fs::write(&config, "session-root = \"/somewhere\"\n").unwrap();
    for args in [
        vec!["--config", config.to_str().unwrap(), "ls"],
        vec!["ls", "--config", config.to_str().unwrap()],
    ] {
        let run = sb.run_bare(&args, None);
        assert_code(&run, 2);
        assert_eq!(run.stdout, "");
        assert_one_error_line(
            &run,
            "--config is not accepted: name the global config with --global-config FILE",
        );
    }
    // Not advertised either.
    let run = sb.run_bare(&["--help"], None);
    assert!(
        run.stdout.contains("--global-config <FILE>"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("--config"), "{}", run.stdout);
}
