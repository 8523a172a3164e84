//! The command line: every command, option and help text, as clap's derive API declares them.

use std::path::PathBuf;

use clap::{ArgGroup, Parser, Subcommand};
use outrig::SessionId;

use crate::age::Age;

/// What `--help` shows after the options: where the root comes from and the exit statuses.
const AFTER_HELP: &str = "\
The session root is the first of: --session-root; `session-root` in the global config file
(--global-config, which must exist, else $XDG_CONFIG_HOME/outrig/config.toml or
~/.outrig/config.toml, which may be absent); else $XDG_DATA_HOME/outrig/sessions or
~/.local/share/outrig/sessions. With --session-dir, a root that cannot be resolved does not stop
discard or logs.

A session is named by its id, or by any part of it that only one id contains (`a1b2`).

Exit status:
  0  success (records that could not be read are reported on stderr and skipped)
  1  the operation failed (an I/O error, a file in the way)
  2  usage: an unknown option, an invalid or ambiguous session id, a bad log name or duration
  3  not found: no such session (the nearest ids are named), session directory or log
  4  a session record is corrupt
  5  the config file is unreadable or malformed, or --global-config names none
  6  declined at the prompt: nothing was removed
  7  a --timeout ran out before the session ended (logs --follow, wait)
  8  busy: the session is running, or might be (a launcher holds it, a container of it runs,
     or the container engine could not tell: the message says which; discard --force skips
     the container check)
  9  the session was abandoned (its launcher died without finalizing it): wait, logs --follow
`wait` exits with the last session's exit code when every session finished; otherwise with
the status of the first that did not (3 removed, 7 timed out, 9 abandoned).";

/// Inspect and prune outrig's session records.
///
/// Works on the sessions that outrig, or any launcher using liboutrig (C, Python, Rust),
/// recorded under the session root.
#[derive(Debug, Parser)]
#[command(name = "outrig-sessions", version, after_help = AFTER_HELP)]
pub struct Cli {
    /// The session root to work on, instead of the configured or default one.
    #[arg(long, global = true, value_name = "DIR")]
    pub session_root: Option<PathBuf>,

    /// The global config file to read `session-root` from (as outrig's --global-config); it
    /// must exist.
    #[arg(long, global = true, value_name = "FILE")]
    pub global_config: Option<PathBuf>,

    /// Refused with a pointer to --global-config: outrig's --config names the repository
    /// config, which does not choose the session root, so accepting it here would either mean
    /// something else than in outrig or let a repository's file choose what is deleted.
    #[arg(long, global = true, value_name = "FILE", hide = true)]
    pub config: Option<PathBuf>,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the sessions, newest first: ID, STARTED (UTC), DURATION, IMAGE, EXIT.
    ///
    /// IMAGE is the image configuration's name (`show` has the tag). A running session shows
    /// its duration so far and no exit code; a session whose entry is a symlink (an explicit
    /// session directory) shows `-> target`; `-` marks an absent value. Records that cannot be
    /// read are named on stderr and skipped; with no sessions, stderr says so (and whether the
    /// root exists), with status 0.
    #[command(after_help = AFTER_HELP)]
    Ls {
        /// One JSON object per session and line: the record's own fields as in session.json,
        /// plus `link_target` for a symlinked entry and `state`. Newest first, so printed once
        /// every record is read; until then each finished session's line is held, not its
        /// parsed record.
        #[arg(long)]
        json: bool,
        /// Keep watching: draw the table again as sessions are created, updated, finalized,
        /// abandoned or removed (with --json: one line per change, `{"event": KIND, "id": ID,
        /// "session": RECORD}`), until interrupted. Event-driven (inotify); on a network
        /// filesystem it lists the root every second.
        #[arg(long)]
        watch: bool,
    },

    /// Print every field of one session's record.
    #[command(after_help = AFTER_HELP)]
    Show {
        /// The session: its id (as `ls` prints it), or a part only one id contains.
        id: SessionId,
        /// Print the record as one JSON object (the shape `ls --json` prints).
        #[arg(long)]
        json: bool,
    },

    /// List a session's log files with their sizes, or print one of them.
    ///
    /// The listing names an MCP server's `NAME.stderr` as just `NAME`, as outrig does, and
    /// `logs ID NAME` finds `NAME.stderr` when there is no log `NAME`.
    #[command(
        after_help = AFTER_HELP,
        group(ArgGroup::new("which").required(true).multiple(true).args(["id", "session_dir"]))
    )]
    Logs {
        /// The session: its id, or a part only one id contains. With --session-dir there is no
        /// ID, and a single word after it is the log's NAME.
        #[arg(value_name = "ID")]
        id: Option<String>,
        /// The log to print, as the listing names it (`agent.log`, `tools/web.log`, `fs` for
        /// `fs.stderr`).
        name: Option<String>,
        /// The session whose record is in DIR, instead of an ID.
        #[arg(long = "session-dir", value_name = "DIR")]
        session_dir: Option<PathBuf>,
        /// Keep printing what is appended to the log until the session is finalized (woken by
        /// the filesystem as it is written; waits for the log to appear). Needs a NAME.
        #[arg(short, long)]
        follow: bool,
        /// With --follow: stop after this long even if the session still runs (`10m`, `2h`,
        /// `1h30m`), with exit status 7.
        #[arg(
            long,
            value_name = "DURATION",
            requires = "follow",
            allow_hyphen_values = true
        )]
        timeout: Option<Age>,
    },

    /// Remove sessions: their record, `logs/` and `outrig-enter`, and the root's link.
    ///
    /// A running session (its launcher holds it, or one of its containers runs: all of an
    /// unfinalized session's, a finished session's primary one, as outrig asks) is refused
    /// with exit status 8, and so is an unfinalized one whose state cannot be told (the
    /// container engine failed: the message quotes it), unless --force. Files a user added to
    /// a session directory are kept, and named. Asks before removing unless --yes (--dry-run
    /// only shows what would go); the answer is read from standard input, and no answer means
    /// no.
    #[command(
        after_help = AFTER_HELP,
        group(ArgGroup::new("which").required(true).args(["ids", "session_dirs"]))
    )]
    Discard {
        /// The sessions to remove: ids, or parts only one id contains.
        #[arg(value_name = "ID")]
        ids: Vec<SessionId>,
        /// Remove the session whose record is in DIR instead (repeatable).
        #[arg(long = "session-dir", value_name = "DIR")]
        session_dirs: Vec<PathBuf>,
        /// Show what would be removed, and remove nothing.
        #[arg(long)]
        dry_run: bool,
        /// Do not ask.
        #[arg(short, long)]
        yes: bool,
        /// Do not ask the container engine whether the sessions' containers run (for a
        /// machine whose engine is broken). A session a launcher holds is still refused.
        #[arg(long)]
        force: bool,
    },

    /// Wait until sessions end; print `ID CODE` for each as it does.
    ///
    /// Without polling: the kernel tells when a record is written or a launcher's directory
    /// is closed. A session that ends without a code prints `ID abandoned` (its launcher died;
    /// no container of it runs) or `ID removed`; one still running when the timeout passes
    /// prints `ID timed-out`. Waits for the sessions in the order given, all within one
    /// timeout; one already ended prints at once.
    #[command(after_help = AFTER_HELP)]
    Wait {
        /// The sessions: ids, or parts only one id contains.
        #[arg(required = true, value_name = "ID")]
        ids: Vec<SessionId>,
        /// Stop waiting after this long (`30s`, `10m`, `1h30m`), with exit status 7.
        #[arg(long, value_name = "DURATION", allow_hyphen_values = true)]
        timeout: Option<Age>,
    },

    /// Remove the sessions that finished, or were abandoned, before a cutoff.
    ///
    /// As `outrig clean`: a finished session goes when it ended before the cutoff, an
    /// abandoned one (never finalized, no launcher holds it, no container of it runs) when it
    /// started before it. Shows what it will remove and asks once (unless --yes or
    /// --dry-run). Running sessions, sessions whose state cannot be told (`?`: the container
    /// engine did not answer) and unreadable records are never removed; files a user added to a
    /// session directory are kept, and named.
    #[command(after_help = AFTER_HELP)]
    Clean {
        /// Remove sessions that ended (or, abandoned, started) more than this long ago: whole
        /// numbers with units w
        /// (weeks), d (days), h, m or s, largest first (`7d`, `12h`, `90m`, `1w`, `1d12h`).
        #[arg(
            long,
            value_name = "DURATION",
            default_value = "30d",
            allow_hyphen_values = true
        )]
        older_than: Age,
        /// Clean this session alone, as outrig's clean --session: its exact, full id (no part
        /// of one), and only when --older-than (default 30d) would take it; kept when it runs.
        /// To remove one session whatever its age, use `discard`.
        #[arg(long, value_name = "ID")]
        session: Option<SessionId>,
        /// Show what would be removed, and remove nothing.
        #[arg(long)]
        dry_run: bool,
        /// Do not ask.
        #[arg(short, long)]
        yes: bool,
    },
}
