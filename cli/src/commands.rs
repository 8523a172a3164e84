//! The commands: each one calls the store and writes what it found or did.

use std::fs::File;
use std::io::{self, BufRead, Read, Seek as _, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use outrig::{
    CleanMode, ErrorKind, Removal, RemoveMode, RootSource, Session, SessionId, SessionStore,
    Skipped, State,
};

use crate::age::Age;
use crate::args::Command;
use crate::escape::escape;
use crate::failure::{
    EXIT_ABANDONED, EXIT_BUSY, EXIT_DECLINED, EXIT_FAILED, EXIT_NOT_FOUND, EXIT_TIMED_OUT,
    EXIT_USAGE, Failure, Outcome,
};
use crate::follow_wake::Wake;
use crate::prompt::Prompter;
use crate::render::{self, ABSENT};
use crate::{log_name, session_arg};

/// How often `logs --follow` looks for the session's end (its lease), and for new output where
/// the filesystem does not notify it (see `follow_wake`).
const FOLLOW_POLL: Duration = Duration::from_millis(250);

/// [`FOLLOW_POLL`], or the milliseconds `OUTRIG_SESSIONS_TEST_FOLLOW_POLL_MS` says: the tests
/// lengthen the interval to show that a notification, not the interval, brings new output.
fn follow_poll() -> Duration {
    std::env::var("OUTRIG_SESSIONS_TEST_FOLLOW_POLL_MS")
        .ok()
        .and_then(|ms| ms.parse().ok())
        .map_or(FOLLOW_POLL, Duration::from_millis)
}

/// How often `logs --follow` asks the container engine whether an unleased session still
/// runs (the lease itself is checked at every look).
const ENGINE_EVERY: Duration = Duration::from_secs(5);

/// A command's surroundings: the store and the three standard streams.
pub struct Ctx<'a> {
    /// The store at the resolved root (for `logs --session-dir`, the root that reaches that
    /// directory).
    pub store: SessionStore,
    /// Which step of the cascade chose the store's root; `None` when it was not resolved and
    /// the store is the directory a `--session-dir` is in.
    pub root_source: Option<RootSource>,
    /// Results.
    pub out: &'a mut dyn Write,
    /// Skipped records and prompts (errors are written by the caller).
    pub err: &'a mut dyn Write,
    /// Answers to prompts.
    pub input: &'a mut dyn BufRead,
    /// Whether `input` is a terminal.
    pub input_is_terminal: bool,
}

impl Ctx<'_> {
    /// Runs one command.
    pub fn run(&mut self, command: Command) -> Outcome {
        match command {
            Command::Ls { json, watch: true } => self.ls_watch(json),
            Command::Ls { json, .. } => self.ls(json),
            Command::Show { id, json } => {
                let id = self.resolve_id(&id)?;
                self.show(&id, json)
            }
            Command::Logs {
                id,
                name,
                session_dir,
                follow,
                timeout,
            } => {
                let (id, name) = self.logs_target(id, name, session_dir.as_deref())?;
                match name {
                    None if follow => Err(Failure::new(
                        EXIT_USAGE,
                        "--follow needs the NAME of the log to follow; see 'outrig-sessions logs \
                         --help'",
                    )),
                    None => self.list_logs(&id),
                    Some(name) => {
                        let name = log_name::resolve(&self.store, &id, &name);
                        if follow {
                            self.follow_log(&id, &name, timeout.as_ref())
                        } else {
                            self.print_log(&id, &name)
                        }
                    }
                }
            }
            Command::Discard {
                ids,
                session_dirs,
                dry_run,
                yes,
                force,
            } => self.discard(&ids, &session_dirs, dry_run, yes, force),
            Command::Clean {
                older_than,
                session,
                dry_run,
                yes,
            } => self.clean(&older_than, session.as_ref(), dry_run, yes),
            Command::Wait { ids, timeout } => self.wait(&ids, timeout.as_ref()),
        }
    }

    /// The session `query` names (see [`session_arg::resolve`]). When there is none because
    /// the root itself does not exist, the message says that, and where the root came from.
    fn resolve_id(&self, query: &SessionId) -> Outcome<SessionId> {
        session_arg::resolve(&self.store, query).map_err(|f| self.in_missing_root(query, f))
    }

    /// `f`, or for a session not found in a root that does not exist, a message that says so.
    fn in_missing_root(&self, id: &SessionId, f: Failure) -> Failure {
        match self.missing_root() {
            Some(why) if f.exit_code() == EXIT_NOT_FOUND => {
                Failure::new(EXIT_NOT_FOUND, format!("no session {id}: {why}"))
            }
            _ => f,
        }
    }

    /// `the session root R does not exist (from ...)` when the root does not exist.
    fn missing_root(&self) -> Option<String> {
        let root = self.store.root();
        if root.exists() {
            return None;
        }
        let origin = match &self.root_source {
            Some(RootSource::Explicit) => "from --session-root".to_owned(),
            Some(RootSource::Config(file)) => {
                format!("from session-root in {}", file.display())
            }
            Some(RootSource::Default) => {
                "the default: no --session-root, and no session-root in the global config"
                    .to_owned()
            }
            None => "the directory --session-dir names is in".to_owned(),
            Some(_) => "as resolved".to_owned(),
        };
        Some(format!(
            "the session root {} does not exist ({origin})",
            escape(&root.to_string_lossy())
        ))
    }

    /// The session and log a `logs` command names: `ID [NAME]`, or `--session-dir DIR
    /// [NAME]`. A DIR's session is then read through the store that reaches it (see
    /// [`session_arg::resolve_dir`]).
    fn logs_target(
        &mut self,
        id: Option<String>,
        name: Option<String>,
        dir: Option<&Path>,
    ) -> Outcome<(SessionId, Option<String>)> {
        let Some(dir) = dir else {
            let query = SessionId::parse(id.as_deref().unwrap_or_default())?;
            return Ok((self.resolve_id(&query)?, name));
        };
        let name = match (id, name) {
            (Some(_), Some(_)) => {
                return Err(Failure::new(
                    EXIT_USAGE,
                    "with --session-dir, give only the log's NAME, not an ID; see \
                     'outrig-sessions logs --help'",
                ));
            }
            (one, None) | (None, one) => one,
        };
        let (id, store) = session_arg::resolve_dir(&self.store, dir)?;
        if let Some(store) = store {
            self.store = store;
        }
        Ok((id, name))
    }

    fn ls(&mut self, json: bool) -> Outcome {
        if json {
            return self.ls_json();
        }
        let listing = self.store.list()?;
        self.report_skipped(&listing.skipped)?;
        if listing.sessions.is_empty() {
            // As `outrig ls`: stdout is for the table; the notice goes to stderr, status 0.
            let root = self.store.root().to_string_lossy();
            let root = escape(&root);
            let notice = match (listing.skipped.len(), self.missing_root()) {
                (0, Some(why)) => format!("no sessions: {why}"),
                (0, None) => format!("no sessions in {root}"),
                (n, _) => format!("no readable sessions in {root} ({n} skipped)"),
            };
            self.out.flush()?;
            writeln!(self.err, "outrig-sessions: {notice}")?;
        } else {
            let liveness = self.store.liveness(&listing.sessions);
            let table =
                render::session_table(&listing.sessions, &liveness.states, SystemTime::now());
            self.out.write_all(table.as_bytes())?;
            self.report_unknown(&liveness)?;
        }
        Ok(())
    }

    /// Says once, on stderr, why some states are unknown (`?`), when any are.
    fn report_unknown(&mut self, liveness: &outrig::Liveness) -> Outcome {
        if let Some(why) = &liveness.unknown_reason
            && liveness.states.contains(&State::Unknown)
        {
            self.out.flush()?;
            writeln!(
                self.err,
                "outrig-sessions: the states marked ? cannot be told: {}",
                escape(why)
            )?;
        }
        Ok(())
    }

    /// `ls --json`, newest first. The order needs every record's start time before the first
    /// line can be printed, so the whole root is read first; what is held meanwhile is each
    /// session's line, rendered on the thread that read the record (the parsed record is
    /// dropped there), not the record itself. The lines are then written, and freed, one by
    /// one.
    ///
    /// A finished session's line is complete at once; an unfinalized one's record is kept until
    /// the states of all of them are known (one lease probe each, one container probe for all).
    fn ls_json(&mut self) -> Outcome {
        let (mut lines, skipped) = self.store.list_with(|s| {
            if s.is_finalized() {
                JsonLine::Done(
                    render::session_line(&s, State::Finished).map(String::into_boxed_str),
                )
            } else {
                JsonLine::Open(Box::new(s))
            }
        })?;
        self.report_skipped(&skipped)?;
        let open: Vec<Session> = lines
            .iter()
            .filter_map(|l| match l {
                JsonLine::Open(s) => Some((**s).clone()),
                JsonLine::Done(_) => None,
            })
            .collect();
        let liveness = self.store.liveness(&open);
        let mut states = liveness.states.iter();
        for line in &mut lines {
            if let JsonLine::Open(s) = line {
                let state = *states.next().expect("one state per open session");
                *line = JsonLine::Done(render::session_line(s, state).map(String::into_boxed_str));
            }
        }
        for line in lines {
            if let JsonLine::Done(line) = line {
                writeln!(self.out, "{}", line?)?;
            }
        }
        self.report_unknown(&liveness)?;
        Ok(())
    }

    fn show(&mut self, id: &SessionId, json: bool) -> Outcome {
        let session = self.store.get(id)?;
        let liveness = self.store.liveness(std::slice::from_ref(&session));
        let state = liveness.states[0];
        if json {
            writeln!(
                self.out,
                "{}",
                render::session_json_with_state(&session, state)?
            )?;
        } else {
            let why = liveness.unknown_reason.as_deref();
            let text = render::show(&session, state, why, SystemTime::now())?;
            self.out.write_all(text.as_bytes())?;
        }
        Ok(())
    }

    fn list_logs(&mut self, id: &SessionId) -> Outcome {
        let files = self.store.logs(id)?;
        if files.is_empty() {
            writeln!(self.out, "session {id} has no logs")?;
            return Ok(());
        }
        let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
        let mut rows: Vec<_> = files
            .iter()
            .map(|f| vec![log_name::shown(&f.name, &names), render::human_size(f.size)])
            .collect();
        // In the order of the names shown, as outrig sorts its listing (`a` before `a-b`,
        // though `a.stderr` sorts after it).
        rows.sort_by(|a, b| a[0].cmp(&b[0]));
        self.out
            .write_all(render::table(&["LOG", "SIZE"], &rows).as_bytes())?;
        Ok(())
    }

    fn print_log(&mut self, id: &SessionId, name: &str) -> Outcome {
        let mut file = self.store.read_log(id, name)?;
        copy_log(&mut file, &self.log_label(id, name), self.out)?;
        Ok(())
    }

    /// Where a log is, for messages only: the file itself is always the one the store opened.
    fn log_label(&self, id: &SessionId, name: &str) -> PathBuf {
        self.store.entry_path(id).join(outrig::LOGS_DIR).join(name)
    }

    /// Prints the log, then what is appended to it, until the session is finalized (or
    /// removed or abandoned, or `timeout` runs out). The end is checked before each read, so
    /// everything written before the finalize is printed. Whether an unfinalized session still
    /// runs is asked of its lease at every look (one lock attempt), and of the container
    /// engine only when nobody holds the lease, at most every [`ENGINE_EVERY`].
    fn follow_log(&mut self, id: &SessionId, name: &str, timeout: Option<&Age>) -> Outcome {
        let started = Instant::now();
        // Refuse an unknown session or a bad name at once.
        self.store.get(id)?;
        let log_path = self.log_label(id, name);
        let mut wake = Wake::new(&self.store.entry_path(id));
        let poll = follow_poll();
        // The log is opened once, through the session's directory, and then read through that
        // descriptor only: renaming it or planting a link in its place changes nothing here.
        let mut log: Option<(File, PathBuf)> = None;
        let mut missing: Option<outrig::Error> = None;
        let mut read = 0u64;
        let mut engine_asked: Option<Instant> = None;
        loop {
            let mut abandoned = false;
            let ended = match self.store.get(id) {
                Ok(s) if s.ended_at.is_some() => true,
                Ok(s) => {
                    let due = engine_asked.is_none_or(|t| t.elapsed() >= ENGINE_EVERY);
                    if due && !self.store.lease_held(id).unwrap_or(true) {
                        engine_asked = Some(Instant::now());
                        abandoned =
                            self.store.states(std::slice::from_ref(&s))[0] == State::Abandoned;
                    }
                    abandoned
                }
                Err(e) if e.kind() == ErrorKind::NotFound => {
                    return Err(Failure::new(
                        EXIT_NOT_FOUND,
                        format!("session {id} was removed while its log {name} was followed"),
                    ));
                }
                Err(e) => return Err(e.into()),
            };
            if let Some(dir) = log_path.parent() {
                wake.watch_log_dir(dir);
            }
            if log.is_none() {
                match self.store.read_log(id, name) {
                    Ok(file) => log = Some((file, self.log_label(id, name))),
                    Err(e) if e.kind() == ErrorKind::NotFound => missing = Some(e),
                    Err(e) => return Err(e.into()),
                }
            }
            if let Some((file, path)) = &mut log {
                let len = file
                    .metadata()
                    .map_err(|e| log_error("reading the size of", path, e))?
                    .len();
                if len < read {
                    // Truncated: start over from its new beginning, in the same file.
                    file.seek(SeekFrom::Start(0))
                        .map_err(|e| log_error("rewinding log", path, e))?;
                    read = 0;
                }
                read += copy_log(file, path, self.out)?;
                self.out.flush()?;
            }
            if abandoned {
                return Err(Failure::new(
                    EXIT_ABANDONED,
                    format!(
                        "stopped following {name}: session {id} was abandoned (its launcher \
                         ended without finalizing it, and no container of it runs)"
                    ),
                ));
            }
            if ended {
                return match (log, missing) {
                    (None, Some(e)) => Err(e.into()),
                    _ => Ok(()),
                };
            }
            let mut nap = poll;
            if let Some(limit) = timeout {
                match limit.duration().checked_sub(started.elapsed()) {
                    Some(left) if !left.is_zero() => nap = nap.min(left),
                    _ => {
                        return Err(Failure::new(
                            EXIT_TIMED_OUT,
                            format!(
                                "stopped following after {limit}: session {id} is still running"
                            ),
                        ));
                    }
                }
            }
            wake.sleep(nap);
        }
    }

    fn discard(
        &mut self,
        ids: &[SessionId],
        dirs: &[PathBuf],
        dry_run: bool,
        yes: bool,
        force: bool,
    ) -> Outcome {
        let mut targets: Vec<Target> = Vec::new();
        for query in ids {
            let id = &self.resolve_id(query)?;
            if targets.iter().any(|t| &t.id == id) {
                continue;
            }
            let session = match self.store.get(id) {
                Ok(s) => Some(s),
                // A corrupt session can still be removed by id.
                Err(e) if e.kind() == ErrorKind::CorruptRecord => None,
                Err(e) => return Err(e.into()),
            };
            targets.push(Target {
                id: id.clone(),
                session,
                dir: None,
            });
        }
        for dir in dirs {
            let session = self.store.get_by_path(dir)?;
            targets.push(Target {
                id: session.id.clone(),
                session: Some(session),
                dir: Some(dir.clone()),
            });
        }
        let now = SystemTime::now();
        let readable: Vec<Session> = targets.iter().filter_map(|t| t.session.clone()).collect();
        let liveness = self.store.liveness(&readable);
        let mut readable_states = liveness.states.iter().copied();
        let states: Vec<Option<State>> = targets
            .iter()
            .map(|t| t.session.as_ref().and_then(|_| readable_states.next()))
            .collect();
        let rows: Vec<_> = targets
            .iter()
            .zip(&states)
            .map(|(t, state)| t.preview_row(*state, now))
            .collect();
        self.out
            .write_all(render::table(&render::SESSION_HEADER, &rows).as_bytes())?;
        // As `outrig discard`: a running session is not discarded (its launcher or container
        // still writes there).
        let running: Vec<String> = targets
            .iter()
            .zip(&states)
            .filter(|(_, state)| **state == Some(State::Running))
            .map(|(t, _)| t.id.to_string())
            .collect();
        if !running.is_empty() {
            let (which, them) = match running.len() {
                1 => ("1 session is".to_owned(), "it"),
                n => (format!("{n} sessions are"), "them"),
            };
            return Err(Failure::new(
                EXIT_BUSY,
                format!(
                    "{which} running ({}): stop {them} first; nothing was removed",
                    running.join(", ")
                ),
            ));
        }
        // Fail closed: a session that might run is not removed on a guess.
        let unknown: Vec<String> = targets
            .iter()
            .zip(&states)
            .filter(|(_, state)| **state == Some(State::Unknown))
            .map(|(t, _)| t.id.to_string())
            .collect();
        if !unknown.is_empty() && !force {
            return Err(cannot_tell(
                &format!("{} still run(s)", unknown.join(", ")),
                liveness.unknown_reason.as_deref(),
                "pass --force",
            ));
        }
        if dry_run {
            writeln!(self.out, "dry run: nothing removed")?;
            return Ok(());
        }
        let question = format!("Discard {}?", count(targets.len(), "session"));
        self.confirm_or_decline(&question, yes)?;
        self.remove_all(
            targets.iter().map(|t| (t.id.clone(), t.dir.as_deref())),
            force,
        )
    }

    fn clean(
        &mut self,
        older_than: &Age,
        session: Option<&SessionId>,
        dry_run: bool,
        yes: bool,
    ) -> Outcome {
        let cutoff = format!("more than {older_than} ago");
        let plan = match session {
            // As outrig's clean --session: the exact id, and the age cutoff still applies.
            Some(id) => self
                .store
                .clean_session_older_than(id, older_than.duration(), CleanMode::DryRun)
                .map_err(|e| self.in_missing_root(id, e.into()))?,
            None => self
                .store
                .clean_older_than(older_than.duration(), CleanMode::DryRun)?,
        };
        self.report_skipped(&plan.skipped)?;
        let mut kept = String::new();
        match plan.kept_running.len() {
            0 => {}
            1 => kept.push_str("; 1 running session is kept"),
            n => kept.push_str(&format!("; {n} running sessions are kept")),
        }
        match plan.kept_unknown.len() {
            0 => {}
            1 => kept.push_str("; 1 session whose state cannot be told (?) is kept"),
            n => kept.push_str(&format!(
                "; {n} sessions whose state cannot be told (?) are kept"
            )),
        }
        if let Some(id) = session
            && plan.removed.is_empty()
        {
            // As `discard` answers for the one session: running, or might be, is status 8.
            if !plan.kept_running.is_empty() {
                return Err(Failure::new(
                    EXIT_BUSY,
                    format!("session {id} is running: stop it first; nothing was removed"),
                ));
            }
            if !plan.kept_unknown.is_empty() {
                return Err(cannot_tell(
                    &format!("session {id} still runs"),
                    plan.unknown_reason.as_deref(),
                    "discard --force it",
                ));
            }
        }
        if plan.removed.is_empty() {
            match session {
                Some(id) if kept.is_empty() => writeln!(
                    self.out,
                    "nothing to clean: session {id} did not end (or, abandoned, start) {cutoff}"
                )?,
                Some(_) => writeln!(self.out, "nothing to clean{kept}")?,
                None => writeln!(
                    self.out,
                    "nothing to clean: no session ended {cutoff}{kept}"
                )?,
            }
            return Ok(());
        }
        let now = SystemTime::now();
        let states = self.store.states(&plan.removed);
        self.out
            .write_all(render::session_table(&plan.removed, &states, now).as_bytes())?;
        let n = count(plan.removed.len(), "session");
        let abandoned = plan.removed.iter().any(|s| s.ended_at.is_none());
        match session {
            Some(_) => writeln!(self.out, "{n} to clean{kept}")?,
            None if abandoned => {
                writeln!(self.out, "{n} finished or were abandoned {cutoff}{kept}")?;
            }
            None => writeln!(self.out, "{n} ended {cutoff}{kept}")?,
        }
        if dry_run {
            writeln!(self.out, "dry run: nothing removed")?;
            return Ok(());
        }
        self.confirm_or_decline(&format!("Remove {n}?"), yes)?;
        // The clean itself decides again, session by session under its lock, with one probe
        // of the container engine for all. A session another process removed since the
        // preview is what clean wanted anyway; one that started running since is kept.
        let done = match session {
            Some(id) => self.store.clean_session(id, CleanMode::Remove)?,
            None => self
                .store
                .clean_older_than(older_than.duration(), CleanMode::Remove)?,
        };
        for (s, removal) in done.removed.iter().zip(&done.removals) {
            report_removal(self.out, &s.id, removal)?;
        }
        for planned in &plan.removed {
            let kept = done.kept_running.iter().chain(&done.kept_unknown);
            if kept.clone().any(|s| s.id == planned.id) {
                writeln!(
                    self.out,
                    "kept {}: it started running meanwhile",
                    planned.id
                )?;
            } else if !done.removed.iter().any(|s| s.id == planned.id)
                && !done.failed.iter().any(|f| f.session.id == planned.id)
            {
                writeln!(self.out, "already removed: {}", planned.id)?;
            }
        }
        if done.failed.is_empty() {
            return Ok(());
        }
        self.out.flush()?;
        for f in &done.failed {
            writeln!(
                self.err,
                "outrig-sessions: could not remove {}: {}",
                f.session.id,
                escape(&f.message)
            )?;
        }
        let first = &done.failed[0];
        let code =
            Failure::Store(outrig::Error::new(first.kind, first.message.clone())).exit_code();
        Err(Failure::Reported { code })
    }

    /// Removes each session (by id, or by its directory; with `force`, without the container
    /// check), saying what was removed and what was kept. A failure is reported where it
    /// happens and the rest still go; the first failure decides the exit status (its message
    /// is not printed a second time).
    fn remove_all<'p>(
        &mut self,
        targets: impl Iterator<Item = (SessionId, Option<&'p Path>)>,
        force: bool,
    ) -> Outcome {
        let mut first_failure: Option<Failure> = None;
        let mode = RemoveMode::from_force(force);
        for (id, dir) in targets {
            let result = match dir {
                Some(dir) => self.store.remove_by_path_with(dir, mode),
                None => self.store.remove_with(&id, mode),
            };
            match result {
                Ok(removal) => report_removal(self.out, &id, &removal)?,
                Err(e) => {
                    self.out.flush()?;
                    writeln!(self.err, "outrig-sessions: {}", escape(&e.to_string()))?;
                    let code = Failure::Store(e).exit_code();
                    first_failure.get_or_insert(Failure::Reported { code });
                }
            }
        }
        first_failure.map_or(Ok(()), Err)
    }

    /// Goes on when `yes` or when the person answers yes; otherwise fails with
    /// [`EXIT_DECLINED`].
    fn confirm_or_decline(&mut self, question: &str, yes: bool) -> Outcome {
        if yes {
            return Ok(());
        }
        self.out.flush()?;
        let agreed = Prompter {
            input: self.input,
            prompt: self.err,
            input_is_terminal: self.input_is_terminal,
        }
        .confirm(question)?;
        if agreed {
            Ok(())
        } else {
            Err(Failure::new(
                EXIT_DECLINED,
                "nothing removed (answer y to remove, or pass --yes)",
            ))
        }
    }

    /// Names each unreadable record on stderr.
    fn report_skipped(&mut self, skipped: &[Skipped]) -> Outcome {
        if skipped.is_empty() {
            return Ok(());
        }
        self.out.flush()?;
        for s in skipped {
            writeln!(
                self.err,
                "outrig-sessions: skipped {}: {}",
                escape(&s.entry),
                escape(&s.reason)
            )?;
        }
        Ok(())
    }
}

/// One session of `ls --json`: its line, or the record of an unfinalized session until its
/// state is known.
enum JsonLine {
    Done(Outcome<Box<str>>),
    Open(Box<Session>),
}

/// A session `discard` will remove.
struct Target {
    id: SessionId,
    /// `None` when its record is unreadable.
    session: Option<Session>,
    /// The directory named with `--session-dir`.
    dir: Option<PathBuf>,
}

impl Target {
    /// Its row in the preview: the `ls` row, with the running and unreadable ones marked.
    fn preview_row(&self, state: Option<State>, now: SystemTime) -> Vec<String> {
        match (&self.session, state) {
            (Some(s), Some(state)) => {
                let mut row = render::session_row(s, state, now);
                if state == State::Running {
                    let last = row.last_mut().expect("a session row has columns");
                    *last = format!("{last} (running)").trim_start().to_owned();
                }
                row
            }
            _ => {
                let mut row = vec![ABSENT.to_owned(); render::SESSION_HEADER.len()];
                row[0] = self.id.to_string();
                row[render::SESSION_HEADER.len() - 1] = "(unreadable record)".to_owned();
                row
            }
        }
    }
}

/// `removed ID (DIR)`, and what stayed in DIR, if anything.
fn report_removal(out: &mut dyn Write, id: &SessionId, removal: &Removal) -> Outcome {
    // The directory is a link's target and the kept names are whatever is in it: escaped.
    let dir = removal.session_dir.to_string_lossy();
    let dir = escape(&dir);
    writeln!(out, "removed {id} ({dir})")?;
    if !removal.kept.is_empty() {
        writeln!(
            out,
            "kept in {dir}: {} (not the session store's files)",
            escape(&removal.kept.join(", "))
        )?;
    }
    Ok(())
}

/// `1 session`, `2 sessions`.
fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

fn log_error(action: &str, path: &Path, e: io::Error) -> Failure {
    let code = if e.kind() == io::ErrorKind::NotFound {
        EXIT_NOT_FOUND
    } else {
        EXIT_FAILED
    };
    Failure::new(code, format!("{action} {}: {e}", path.display()))
}

/// Copies what is left of `file` to `out`; returns how many bytes. Read errors name the log;
/// write errors are output errors.
fn copy_log(file: &mut File, path: &Path, out: &mut dyn Write) -> Outcome<u64> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0u64;
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(log_error("reading log", path, e)),
        };
        out.write_all(&buf[..n])?;
        total += n as u64;
    }
}

/// The refusal of a removal whose sessions might still run (status 8): `whether` says what
/// could not be told, `why` the container probe's words, `force` how to override.
fn cannot_tell(whether: &str, why: Option<&str>, force: &str) -> Failure {
    let why = why.unwrap_or("the container probe could not tell");
    Failure::new(
        EXIT_BUSY,
        format!(
            "cannot tell whether {whether}: {why}; nothing was removed (fix the container \
             engine, or {force} if you know nothing runs)"
        ),
    )
}
