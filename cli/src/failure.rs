//! How a command fails: one line of message and an exit status per kind of failure.

use std::io;

use outrig::ErrorKind;

/// Exit status: the operation failed (I/O and every other error).
pub const EXIT_FAILED: u8 = 1;
/// Exit status: bad usage (unknown option, invalid or ambiguous id, bad log name or duration).
pub const EXIT_USAGE: u8 = 2;
/// Exit status: no such session, session directory or log.
pub const EXIT_NOT_FOUND: u8 = 3;
/// Exit status: a session record is corrupt.
pub const EXIT_CORRUPT: u8 = 4;
/// Exit status: the config file is unreadable or malformed, or a named one does not exist.
pub const EXIT_CONFIG: u8 = 5;
/// Exit status: the person declined at the prompt; nothing was removed.
pub const EXIT_DECLINED: u8 = 6;
/// Exit status: a `--timeout` ran out before the session ended (`logs --follow`, `wait`).
pub const EXIT_TIMED_OUT: u8 = 7;
/// Exit status: the session is running, or might be (a launcher holds its lease, a container
/// of it runs, or the container engine could not tell); nothing was removed or changed.
pub const EXIT_BUSY: u8 = 8;
/// Exit status: the session was abandoned (its launcher died without finalizing it, and
/// nothing runs it): found by `wait`, or ending `logs --follow`.
pub const EXIT_ABANDONED: u8 = 9;

/// Why a command stopped short.
#[derive(Debug)]
pub enum Failure {
    /// The store refused or failed.
    Store(outrig::Error),
    /// Writing the output failed (a closed pipe included).
    Output(io::Error),
    /// Reading the answer to a prompt failed.
    Input(io::Error),
    /// A failure whose message was already printed where it happened (one of several
    /// removals): only its exit status is left to give.
    Reported {
        /// The exit status.
        code: u8,
    },
    /// A failure with its own message and exit status.
    Other {
        /// The exit status.
        code: u8,
        /// The one-line message.
        message: String,
    },
}

impl Failure {
    /// A failure with its own message and exit status.
    pub fn new(code: u8, message: impl Into<String>) -> Self {
        Self::Other {
            code,
            message: message.into(),
        }
    }

    /// The exit status for this failure.
    pub fn exit_code(&self) -> u8 {
        match self {
            Failure::Store(e) => match e.kind() {
                ErrorKind::InvalidArgument => EXIT_USAGE,
                ErrorKind::NotFound => EXIT_NOT_FOUND,
                ErrorKind::CorruptRecord => EXIT_CORRUPT,
                ErrorKind::Config => EXIT_CONFIG,
                ErrorKind::Busy => EXIT_BUSY,
                _ => EXIT_FAILED,
            },
            Failure::Output(_) | Failure::Input(_) => EXIT_FAILED,
            Failure::Reported { code } | Failure::Other { code, .. } => *code,
        }
    }

    /// `true` for a failure to write to a reader that went away (`outrig-sessions ls | head`):
    /// not worth a message.
    pub fn is_closed_pipe(&self) -> bool {
        matches!(self, Failure::Output(e) if e.kind() == io::ErrorKind::BrokenPipe)
    }

    /// The one-line message; `None` when it was already printed.
    pub fn message(&self) -> Option<String> {
        Some(match self {
            Failure::Store(e) => e.to_string(),
            Failure::Output(e) => format!("writing the output: {e}"),
            Failure::Input(e) => format!("reading the answer from standard input: {e}"),
            Failure::Other { message, .. } => message.clone(),
            Failure::Reported { .. } => return None,
        })
    }
}

impl From<outrig::Error> for Failure {
    fn from(e: outrig::Error) -> Self {
        Failure::Store(e)
    }
}

impl From<io::Error> for Failure {
    /// Plain I/O errors in the commands come from writing their output.
    fn from(e: io::Error) -> Self {
        Failure::Output(e)
    }
}

/// The result of a command.
pub type Outcome<T = ()> = Result<T, Failure>;
