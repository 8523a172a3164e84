//! A session's life as outrig tells it, and the exit-code convention of its records.

use std::fmt;

/// What is known of a session's life.
///
/// - `Running`: not finalized, and its lease is held (by any process: a launcher using this
///   library, or `outrig run-new`), or one of its containers runs per the store's
///   [`ContainerProbe`](crate::ContainerProbe).
/// - `Finished`: finalized (`ended_at` is set).
/// - `Abandoned`: not finalized, no lease, and no container of it runs: its launcher died.
/// - `Unknown`: not finalized, no lease, and the container probe could not tell (or there is
///   none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum State {
    /// Live: leased, or a container of it runs.
    Running,
    /// Finalized.
    Finished,
    /// Never finalized, and nothing runs it any more.
    Abandoned,
    /// Never finalized, no lease, and whether a container runs it could not be told.
    Unknown,
}

impl State {
    /// Every state, in a fixed order (the C and Python mappings are checked against it).
    pub const ALL: [State; 4] = [
        State::Running,
        State::Finished,
        State::Abandoned,
        State::Unknown,
    ];

    /// A short, stable, lowercase name: `"running"`, `"finished"`, `"abandoned"`, `"unknown"`.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Running => "running",
            State::Finished => "finished",
            State::Abandoned => "abandoned",
            State::Unknown => "unknown",
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The exit code to record for a child that ended with `status`: its exit code, or 128+N when
/// signal N ended it (outrig's convention: 129 for SIGHUP, 130 for SIGINT, 143 for SIGTERM).
///
/// ```
/// use std::os::unix::process::ExitStatusExt as _;
/// use std::process::ExitStatus;
/// assert_eq!(outrig::exit_code(ExitStatus::from_raw(3 << 8)), 3);
/// assert_eq!(outrig::exit_code(ExitStatus::from_raw(15)), 143); // SIGTERM
/// ```
pub fn exit_code(status: std::process::ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt as _;
    exit_code_from_wait_status(status.into_raw())
}

/// [`exit_code`] of a raw `waitpid` status.
pub fn exit_code_from_wait_status(status: i32) -> i32 {
    let signal = status & 0x7f;
    if signal == 0 {
        (status >> 8) & 0xff
    } else if signal == 0x7f {
        // Stopped, not ended: not a final status; its stop signal is the best answer.
        128 + ((status >> 8) & 0xff)
    } else {
        128 + signal
    }
}

/// The exit code to record for a subprocess return code as Python's `subprocess` reports it:
/// the code itself, or 128+N for `-N` (ended by signal N).
pub fn exit_code_from_returncode(returncode: i32) -> i32 {
    if returncode < 0 {
        128i32.saturating_sub(returncode)
    } else {
        returncode
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_are_128_plus_n_and_codes_are_themselves() {
        assert_eq!(exit_code_from_wait_status(0), 0);
        assert_eq!(exit_code_from_wait_status(1 << 8), 1);
        assert_eq!(exit_code_from_wait_status(255 << 8), 255);
        assert_eq!(exit_code_from_wait_status(1), 129);
        assert_eq!(exit_code_from_wait_status(2), 130);
        assert_eq!(exit_code_from_wait_status(15), 143);
        assert_eq!(exit_code_from_wait_status(9 | 0x80), 137, "core dumped");
        assert_eq!(exit_code_from_returncode(-15), 143);
        assert_eq!(exit_code_from_returncode(-2), 130);
        assert_eq!(exit_code_from_returncode(3), 3);
        assert_eq!(exit_code_from_returncode(i32::MIN), i32::MAX);
        let names: Vec<&str> = State::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(names, ["running", "finished", "abandoned", "unknown"]);
    }
}
