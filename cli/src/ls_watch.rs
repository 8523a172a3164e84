//! `outrig-sessions ls --watch`: the table drawn again as sessions change, or one JSON line per
//! change with `--json`, until interrupted.

use std::io::IsTerminal as _;
use std::time::{Duration, SystemTime};

use outrig::{Event, Watcher};
use serde_json::json;

use crate::commands::Ctx;
use crate::escape::escape;
use crate::failure::Outcome;
use crate::render;

/// How long after a change the table waits for more before it is drawn again: a burst of
/// changes (a `clean`, a storm of launches) is drawn once.
const SETTLE: Duration = Duration::from_millis(100);

/// Clears a terminal and puts the cursor at its top left.
const CLEAR: &str = "\x1b[H\x1b[2J";

impl Ctx<'_> {
    /// Watches the root: with `json`, prints `{"event": KIND, "id": ID, "session": RECORD}`
    /// (the record as `ls --json` prints it; `null` for a removal) per change; otherwise draws
    /// the table, and again after each burst of changes (on a terminal, in place).
    pub fn ls_watch(&mut self, json: bool) -> Outcome {
        let mut watcher = self.store.watch()?;
        let in_place = std::io::stdout().is_terminal();
        if !json {
            self.draw(in_place)?;
        }
        loop {
            let Some(event) = watcher.next_timeout(None)? else {
                continue;
            };
            if json {
                self.print_event(&event)?;
                continue;
            }
            settle(&mut watcher)?;
            if !in_place {
                writeln!(self.out)?;
            }
            self.draw(in_place)?;
        }
    }

    fn print_event(&mut self, event: &Event) -> Outcome {
        let session = match &event.session {
            Some(s) => render::session_json(s)?,
            None => serde_json::Value::Null,
        };
        let line = json!({
            "event": event.kind.as_str(),
            "id": event.id.as_str(),
            "session": session,
        });
        writeln!(self.out, "{line}")?;
        self.out.flush()?;
        Ok(())
    }

    /// The table of the root as it is now (the states asked once, as `ls` does).
    fn draw(&mut self, in_place: bool) -> Outcome {
        let listing = self.store.list()?;
        if in_place {
            self.out.write_all(CLEAR.as_bytes())?;
        }
        if listing.sessions.is_empty() {
            let root = self.store.root().to_string_lossy();
            writeln!(self.out, "no sessions in {}", escape(&root))?;
        } else {
            let states = self.store.states(&listing.sessions);
            let table = render::session_table(&listing.sessions, &states, SystemTime::now());
            self.out.write_all(table.as_bytes())?;
        }
        if !listing.skipped.is_empty() {
            writeln!(
                self.out,
                "({} unreadable records skipped)",
                listing.skipped.len()
            )?;
        }
        self.out.flush()?;
        Ok(())
    }
}

/// Takes in the changes that follow within [`SETTLE`] of each other.
fn settle(watcher: &mut Watcher) -> Outcome {
    while watcher.next_timeout(Some(SETTLE))?.is_some() {}
    Ok(())
}
