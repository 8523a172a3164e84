//! `outrig-sessions`: inspect and prune outrig's session records from the command line.
//!
//! A thin layer over the `outrig` crate: the root is resolved by outrig's cascade, every
//! operation is the store's, and this binary only parses arguments, asks before removing and
//! prints. Errors are one line on stderr (`outrig-sessions: <message>`) and an exit status per
//! kind of failure (see `outrig-sessions --help`).

mod age;
mod args;
mod commands;
mod escape;
mod failure;
mod follow_wake;
mod log_name;
mod ls_watch;
mod prompt;
mod render;
mod session_arg;
mod wait;

use std::io::{self, BufWriter, IsTerminal as _, Write as _};
use std::path::Path;
use std::process::ExitCode;

use clap::Parser as _;
use outrig::{ErrorKind, RootSource, SessionStore};

use crate::args::{Cli, Command};
use crate::commands::Ctx;
use crate::failure::{EXIT_USAGE, Failure, Outcome};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(&e),
    };
    if cli.config.is_some() {
        eprintln!(
            "outrig-sessions: --config is not accepted: name the global config with \
             --global-config FILE (outrig's --config names the repository config, which does not \
             choose the session root); see 'outrig-sessions --help'"
        );
        return ExitCode::from(EXIT_USAGE);
    }
    let stdin = io::stdin();
    let input_is_terminal = stdin.is_terminal();
    let mut input = stdin.lock();
    let mut out = BufWriter::new(io::stdout().lock());
    let mut err = io::stderr().lock();
    let result: Outcome = open_store(&cli, &mut err)
        .and_then(|(store, root_source)| {
            Ctx {
                store,
                root_source,
                out: &mut out,
                err: &mut err,
                input: &mut input,
                input_is_terminal,
            }
            .run(cli.command)
        })
        .and_then(|()| out.flush().map_err(Failure::Output));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) if f.is_closed_pipe() => ExitCode::SUCCESS,
        Err(f) => {
            // What was printed before the failure goes out first (unless that fails too).
            let _ = out.flush();
            if let Some(message) = f.message() {
                // Messages quote ids, paths and fields from records: escaped like the rest.
                let _ = writeln!(err, "outrig-sessions: {}", escape::escape(&message));
            }
            ExitCode::from(f.exit_code())
        }
    }
}

/// The store the command works on, and which step of the cascade chose its root.
///
/// `discard --session-dir DIR` and `logs --session-dir DIR` do not need the root, and outrig
/// does not resolve it there: a root that cannot be resolved (a `--global-config` that does not
/// exist, a malformed config) does not stop them. They then reach the session through the
/// directory DIR is in (the root, for an auto session), say so on stderr, and the root source
/// is `None`.
fn open_store(cli: &Cli, err: &mut dyn io::Write) -> Outcome<(SessionStore, Option<RootSource>)> {
    let resolved = outrig::resolve_root_from_env_with_source(
        cli.session_root.as_deref(),
        cli.global_config.as_deref(),
    );
    let e = match resolved {
        Ok((root, source)) => return Ok((SessionStore::new(root)?, Some(source))),
        Err(e) => e,
    };
    let Some(dir) = session_dir_alone(&cli.command) else {
        return Err(e.into());
    };
    // An empty --session-root is the caller's mistake, not the config's.
    if e.kind() == ErrorKind::InvalidArgument {
        return Err(e.into());
    }
    let dir = std::path::absolute(dir).map_err(|io| {
        Failure::new(
            failure::EXIT_FAILED,
            format!("resolving {}: {io}", dir.display()),
        )
    })?;
    let near = dir.parent().unwrap_or(&dir).to_path_buf();
    writeln!(
        err,
        "outrig-sessions: going by --session-dir alone; the session root was not resolved: {}",
        escape::escape(&e.to_string())
    )?;
    Ok((SessionStore::new(near)?, None))
}

/// The directory a command names with `--session-dir` when it names its sessions by that
/// alone (`logs`, `discard` with no ids), so it can work without the root.
fn session_dir_alone(command: &Command) -> Option<&Path> {
    match command {
        Command::Logs {
            session_dir: Some(dir),
            ..
        } => Some(dir),
        Command::Discard {
            ids, session_dirs, ..
        } if ids.is_empty() => session_dirs.first().map(|d| d.as_path()),
        _ => None,
    }
}

/// Help and version go to stdout with status 0; a bare `outrig-sessions` prints the help with
/// status 2; any other parse error is one line naming the problem and where help is.
fn usage_error(e: &clap::Error) -> ExitCode {
    use clap::error::{ContextKind, ContextValue, ErrorKind as K};
    match e.kind() {
        K::DisplayHelp | K::DisplayVersion => {
            let _ = e.print();
            ExitCode::SUCCESS
        }
        K::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            ExitCode::from(EXIT_USAGE)
        }
        _ => {
            let text = e.render().to_string();
            // The first paragraph, on one line ("... not provided: <ID>"), then clap's tips
            // ("tip: a similar subcommand exists: 'ls'").
            let problem = text
                .lines()
                .take_while(|l| !l.trim().is_empty())
                .map(|l| l.trim().trim_start_matches("error: "))
                .collect::<Vec<_>>()
                .join(" ");
            let mut tips: String = text
                .lines()
                .map(str::trim)
                .filter(|l| l.starts_with("tip: "))
                .map(|l| format!("; {l}"))
                .collect();
            // The usual names for removing something are too far from `discard` (outrig's
            // name) for clap to suggest it.
            if let (K::InvalidSubcommand, Some(ContextValue::String(typed))) =
                (e.kind(), e.get(ContextKind::InvalidSubcommand))
                && matches!(typed.as_str(), "rm" | "remove" | "delete" | "del")
            {
                tips.push_str("; tip: to remove a session, use 'discard' (as outrig does)");
            }
            // "Usage: outrig-sessions discard [OPTIONS] ..." names the command to ask about.
            let command: Vec<&str> = text
                .lines()
                .find_map(|l| l.strip_prefix("Usage: "))
                .unwrap_or("outrig-sessions")
                .split_whitespace()
                .take_while(|w| !w.starts_with(['[', '<', '-']))
                .collect();
            // The problem quotes what was typed, which may hold control characters.
            eprintln!(
                "outrig-sessions: {}{tips}; see '{} --help'",
                escape::escape(&problem),
                command.join(" ")
            );
            ExitCode::from(EXIT_USAGE)
        }
    }
}
