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
mod log_name;
mod ls_watch;
mod prompt;
mod render;
mod session_arg;
mod wait;

use std::io::{self, BufWriter, IsTerminal as _, Write as _};
use std::process::ExitCode;

use clap::Parser as _;
use outrig::SessionStore;

use crate::args::Cli;
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
    let result: Outcome =
        SessionStore::resolve(cli.session_root.as_deref(), cli.global_config.as_deref())
            .map_err(Failure::from)
            .and_then(|store| {
                Ctx {
                    store,
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

/// Help and version go to stdout with status 0; a bare `outrig-sessions` prints the help with
/// status 2; any other parse error is one line naming the problem and where help is.
fn usage_error(e: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind as K;
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
            let tips: String = text
                .lines()
                .map(str::trim)
                .filter(|l| l.starts_with("tip: "))
                .map(|l| format!("; {l}"))
                .collect();
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
