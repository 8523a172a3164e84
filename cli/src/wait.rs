//! `outrig-sessions wait ID...`: one line per session when it ends, and the exit status of the
//! last one (or the status of the first that did not finish).

use std::time::Instant;

use outrig::{SessionId, WaitOutcome};

use crate::age::Age;
use crate::commands::Ctx;
use crate::failure::{EXIT_ABANDONED, EXIT_NOT_FOUND, EXIT_TIMED_OUT, Failure, Outcome};
use crate::session_arg;

impl Ctx<'_> {
    /// Waits for each session in turn (all within one `timeout`), printing `ID CODE` for a
    /// finished one and `ID abandoned`, `ID removed` or `ID timed-out` otherwise, each line as
    /// soon as it is known.
    pub fn wait(&mut self, queries: &[SessionId], timeout: Option<&Age>) -> Outcome {
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t.duration()));
        let mut status: Option<u8> = None;
        let mut last_code = 0u8;
        for query in queries {
            let id = match session_arg::resolve(&self.store, query) {
                Ok(id) => id,
                // An id that names no session (any more): removed, as a wait says.
                Err(f) if f.exit_code() == EXIT_NOT_FOUND => {
                    writeln!(self.out, "{query} removed")?;
                    self.out.flush()?;
                    status.get_or_insert(EXIT_NOT_FOUND);
                    continue;
                }
                Err(f) => return Err(f),
            };
            let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
            let (word, code) = match self.store.wait(&id, left)? {
                WaitOutcome::Finished(s) => {
                    let code = s.exit_code.unwrap_or_default();
                    // As a shell reports a status: the low byte.
                    last_code = (code & 0xff) as u8;
                    (code.to_string(), None)
                }
                WaitOutcome::Abandoned(_) => ("abandoned".to_owned(), Some(EXIT_ABANDONED)),
                WaitOutcome::Removed => ("removed".to_owned(), Some(EXIT_NOT_FOUND)),
                _ => ("timed-out".to_owned(), Some(EXIT_TIMED_OUT)),
            };
            writeln!(self.out, "{id} {word}")?;
            self.out.flush()?;
            if let Some(code) = code {
                status.get_or_insert(code);
            }
        }
        match status.unwrap_or(last_code) {
            0 => Ok(()),
            code => Err(Failure::Reported { code }),
        }
    }
}
