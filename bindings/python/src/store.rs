//! `SessionStore`: every operation of the core's store, converted and delegated. Each call that
//! touches the filesystem runs with the GIL released.

use std::path::PathBuf;
use std::sync::Arc;

use outrig::{CleanMode, NewSession, RemoveMode, SessionStore};
use pyo3::exceptions::{PyRuntimeError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::PyType;

use crate::convert::{self, Text, from_datetime, from_timedelta, session_id};
use crate::errors::detach;
use crate::listing::PyListing;
use crate::live::PyLiveSession;
use crate::probe;
use crate::session::{PyLogFile, PySession};

/// The session records under one root directory.
///
/// `SessionStore()` uses the root outrig would (the global config's `session-root`, else
/// `$XDG_DATA_HOME/outrig/sessions` or `~/.local/share/outrig/sessions`); `SessionStore(root)`
/// names one (a relative root is made absolute now). A store holds no open files and may be
/// shared between threads; every call goes to the filesystem with the GIL released. It pickles
/// as its root and its `container_probe` argument (for `multiprocessing`).
#[pyclass(frozen, eq, hash, module = "outrig", name = "SessionStore")]
pub struct PySessionStore {
    inner: SessionStore,
    /// The `container_probe` argument as given (None, a bool or a callable), for pickling.
    probe_arg: Option<Py<PyAny>>,
}

/// Stores are equal when their roots and probes are (the core's equality).
impl PartialEq for PySessionStore {
    fn eq(&self, other: &Self) -> bool {
        self.inner == other.inner
    }
}

impl std::hash::Hash for PySessionStore {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        // Stores are equal when their roots are.
        self.inner.root().hash(state);
    }
}

/// The keyword arguments of `create` and `session`, as the core's `NewSession`.
#[allow(clippy::too_many_arguments)]
fn new_session(
    container_name: Text,
    image_tag: Text,
    working_dir: PathBuf,
    image_config_name: Option<Text>,
    agent_name: Option<Text>,
    sidecar_container_names: Vec<Text>,
    session_dir: Option<PathBuf>,
    started_at: Option<&Bound<'_, PyAny>>,
) -> PyResult<NewSession> {
    let mut new = NewSession::new(container_name.0, image_tag.0, working_dir);
    new.image_config_name = image_config_name.map(|t| t.0);
    new.agent_name = agent_name.map(|t| t.0);
    new.sidecar_container_names = sidecar_container_names.into_iter().map(|t| t.0).collect();
    new.session_dir = session_dir;
    new.started_at = started_at
        .map(|t| from_datetime(t, "started_at"))
        .transpose()?;
    Ok(new)
}

#[pymethods]
impl PySessionStore {
    #[new]
    #[pyo3(signature = (root=None, *, container_probe=None))]
    fn new(
        py: Python<'_>,
        root: Option<PathBuf>,
        container_probe: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let probe = probe::from_python(container_probe)?;
        let inner = match root {
            Some(root) => detach(py, move || SessionStore::new(root))?,
            None => detach(py, || SessionStore::resolve(None, None))?,
        };
        Ok(Self {
            inner: inner.with_container_probe(probe),
            probe_arg: container_probe.map(|p| p.clone().unbind()),
        })
    }

    /// A store at the root outrig would use: `root` when given, else the `session-root` of the
    /// global config (`global_config`, or by default `$XDG_CONFIG_HOME/outrig/config.toml` or
    /// `~/.outrig/config.toml`), else the XDG default. Raises `ConfigError` for an unreadable or
    /// malformed config file, and for a `global_config` that does not exist (only the default
    /// location may be absent) when no `root` is given.
    #[classmethod]
    #[pyo3(signature = (root=None, *, global_config=None, container_probe=None))]
    fn resolve(
        _cls: &Bound<'_, PyType>,
        py: Python<'_>,
        root: Option<PathBuf>,
        global_config: Option<PathBuf>,
        container_probe: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let probe = probe::from_python(container_probe)?;
        let inner = detach(py, move || {
            SessionStore::resolve(root.as_deref(), global_config.as_deref())
        })?;
        Ok(Self {
            inner: inner.with_container_probe(probe),
            probe_arg: container_probe.map(|p| p.clone().unbind()),
        })
    }

    /// Pickles as `SessionStore(root, container_probe=...)`: the resolved root and the probe
    /// argument as given. A probe callable must itself pickle (a module-level function does, a
    /// lambda or a local function does not): otherwise a `TypeError` says so.
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, PyAny>, (Bound<'py, PyAny>,))> {
        let py = slf.py();
        let me = slf.get();
        let probe = match &me.probe_arg {
            Some(p) => p.bind(py).clone(),
            None => py.None().into_bound(py),
        };
        if probe.is_callable() {
            let pickle = py.import("pickle")?;
            if let Err(e) = pickle.call_method1("dumps", (&probe,)) {
                let err = PyTypeError::new_err(format!(
                    "cannot pickle SessionStore({}): its container_probe {} cannot be pickled \
                     ({}); give a module-level function (or None, or False) as container_probe \
                     to send the store to another process",
                    me.inner.root().display(),
                    probe.repr()?,
                    e.value(py)
                ));
                err.set_cause(py, Some(e));
                return Err(err);
            }
        }
        let kwargs = pyo3::types::PyDict::new(py);
        kwargs.set_item("container_probe", probe)?;
        let rebuild = py
            .import("functools")?
            .getattr("partial")?
            .call((slf.get_type(),), Some(&kwargs))?;
        let root = me.inner.root().into_pyobject(py)?.into_any();
        Ok((rebuild, (root,)))
    }

    /// The state of session `id`: `State.RUNNING` (its lease is held by a launcher, or one of
    /// its containers runs), `FINISHED` (finalized), `ABANDONED` (neither: its launcher died)
    /// or `UNKNOWN` (the container probe could not tell).
    fn state<'py>(&self, py: Python<'py>, id: Text) -> PyResult<Bound<'py, PyAny>> {
        let id = session_id(py, &id.0)?;
        let state = detach(py, || self.inner.state(&id))?;
        state_object(py, state)
    }

    /// The state of each of `sessions` (a listing, say), in order, with one container probe
    /// for all of them.
    fn states<'py>(
        &self,
        py: Python<'py>,
        sessions: Vec<PyRef<'py, PySession>>,
    ) -> PyResult<Vec<Bound<'py, PyAny>>> {
        let sessions: Vec<outrig::Session> = sessions.iter().map(|s| s.session()).collect();
        let states = py.detach(|| self.inner.states(&sessions));
        states.into_iter().map(|s| state_object(py, s)).collect()
    }

    /// The absolute root directory.
    #[getter]
    fn root<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.inner.root().into_pyobject(py)
    }

    /// Creates a session and writes its record; returns the record as written.
    ///
    /// Without `session_dir` the session gets a fresh directory `<root>/<id>`. With it, the
    /// record goes into that directory (created when missing, refused with
    /// `DirNotUsableError` when it holds anything) and `<root>/<id>` becomes a symlink to it.
    /// `started_at` (an aware datetime) defaults to now. A relative `working_dir` is recorded
    /// absolute, as outrig records it: joined to the current directory at the create, lexically
    /// (as `os.path.abspath`, but `..` kept; no symlink resolved); an absolute one as given.
    /// The same rule holds in every face (the core applies it).
    #[pyo3(signature = (
        *,
        container_name,
        image_tag,
        working_dir,
        image_config_name=None,
        agent_name=None,
        sidecar_container_names=Vec::new(),
        session_dir=None,
        started_at=None,
    ),
    text_signature = "($self, /, *, container_name, image_tag, working_dir, image_config_name=None, \
                      agent_name=None, sidecar_container_names=(), session_dir=None, started_at=None)"
    )]
    #[allow(clippy::too_many_arguments)]
    fn create(
        &self,
        py: Python<'_>,
        container_name: Text,
        image_tag: Text,
        working_dir: PathBuf,
        image_config_name: Option<Text>,
        agent_name: Option<Text>,
        sidecar_container_names: Vec<Text>,
        session_dir: Option<PathBuf>,
        started_at: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyLiveSession>> {
        let new = new_session(
            container_name,
            image_tag,
            working_dir,
            image_config_name,
            agent_name,
            sidecar_container_names,
            session_dir,
            started_at,
        )?;
        let live = detach(py, || self.inner.create(&new))?;
        PyLiveSession::new_object(py, live)
    }

    /// Marks a session ended with `exit_code` at `ended_at` (an aware datetime; default now),
    /// keeping every other field; returns the record as written. Finalizing again overwrites
    /// both values.
    #[pyo3(signature = (id, exit_code, ended_at=None))]
    fn finalize(
        &self,
        py: Python<'_>,
        id: Text,
        exit_code: &Bound<'_, PyAny>,
        ended_at: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PySession> {
        let id = session_id(py, &id.0)?;
        let code = convert::exit_code(exit_code)?;
        let ended_at = ended_at.map(|t| from_datetime(t, "ended_at")).transpose()?;
        detach(py, || match ended_at {
            Some(at) => self.inner.finalize(&id, at, code),
            None => self.inner.finalize_now(&id, code),
        })
        .map(PySession::from)
    }

    /// Replaces the session's sidecar container names (in start order); an empty sequence
    /// removes them. Returns the record as written.
    fn set_sidecar_containers(
        &self,
        py: Python<'_>,
        id: Text,
        names: Vec<Text>,
    ) -> PyResult<PySession> {
        let id = session_id(py, &id.0)?;
        detach(py, || self.inner.set_sidecar_containers(&id, &names)).map(PySession::from)
    }

    /// The sessions under the root, newest first; unreadable records are in `.skipped`. A
    /// missing root lists nothing.
    fn list(&self, py: Python<'_>) -> PyResult<PyListing> {
        detach(py, || {
            let (sessions, skipped) = self.inner.list_records_with(Arc::new)?;
            Ok(PyListing::new(sessions, skipped))
        })
    }

    /// The session `id`; `NotFoundError` when there is none, `CorruptRecordError` when its
    /// record does not parse.
    fn get(&self, py: Python<'_>, id: Text) -> PyResult<PySession> {
        let id = session_id(py, &id.0)?;
        detach(py, || self.inner.get(&id)).map(PySession::from)
    }

    /// The session whose record is in the directory `dir`.
    fn get_by_path(&self, py: Python<'_>, dir: PathBuf) -> PyResult<PySession> {
        detach(py, || self.inner.get_by_path(&dir)).map(PySession::from)
    }

    /// Removes the session `id`: exactly its `outrig-enter`, `logs/` and `session.json`, then
    /// the directory if that emptied it (and the root's link for an explicit session). Returns
    /// the names kept in the directory because they are not the store's (empty when it went).
    ///
    /// Decided after the session is locked, and fails closed: `BusyError` when another
    /// process leases it, when a container of it runs, or when it was never finalized and the
    /// container probe cannot tell (the message says why). `force=True` skips the container
    /// check (for a machine whose engine is broken), never a held lease.
    #[pyo3(signature = (id, *, force=false))]
    fn remove(&self, py: Python<'_>, id: Text, force: bool) -> PyResult<Vec<String>> {
        let id = session_id(py, &id.0)?;
        detach(py, || {
            self.inner.remove_with(&id, RemoveMode::from_force(force))
        })
        .map(|r| r.kept)
    }

    /// Removes the session whose record is in `dir`, as `remove` does, and the root's link to
    /// it. Returns the names kept.
    #[pyo3(signature = (dir, *, force=false))]
    fn remove_by_path(&self, py: Python<'_>, dir: PathBuf, force: bool) -> PyResult<Vec<String>> {
        detach(py, || {
            self.inner
                .remove_by_path_with(&dir, RemoveMode::from_force(force))
        })
        .map(|r| r.kept)
    }

    /// Removes what `outrig clean` removes and returns it: finished sessions that ended more
    /// than `older_than` ago, and abandoned ones that started more than `older_than` ago. With
    /// `dry_run=True` only returns them. Running sessions, sessions whose state is unknown and
    /// unreadable records stay. A session that cannot be removed does not stop the others:
    /// once the rest are done, the first failure is raised (its class by kind) with
    /// `.removed` (the sessions removed) and `.failures` (`(Session, message)` pairs).
    #[pyo3(signature = (older_than, *, dry_run=false))]
    fn clean(
        &self,
        py: Python<'_>,
        older_than: &Bound<'_, PyAny>,
        dry_run: bool,
    ) -> PyResult<Vec<PySession>> {
        let age = from_timedelta(older_than, "older_than")?;
        let done = detach(py, || {
            self.inner
                .clean_older_than(age, CleanMode::from_dry_run(dry_run))
        })?;
        cleaned(py, done)
    }

    /// Cleans session `id` alone, whatever its age: removes it when it is finished or
    /// abandoned and returns it (in a list); returns `[]` when it is running or unknown.
    #[pyo3(signature = (id, *, dry_run=false))]
    fn clean_session(&self, py: Python<'_>, id: Text, dry_run: bool) -> PyResult<Vec<PySession>> {
        let id = session_id(py, &id.0)?;
        let done = detach(py, || {
            self.inner
                .clean_session(&id, CleanMode::from_dry_run(dry_run))
        })?;
        cleaned(py, done)
    }

    /// Opens the session's log file `name` (one or more `/`-separated components under
    /// `logs/`) for appending, creating it and the directories on the way, and returns it as a
    /// binary file object (close it, or use it in a `with` block). Writes go to that file
    /// whatever another process renames or plants in its place later. Nothing on the way is
    /// followed: `DirNotUsableError` when something there is a symlink, a FIFO, or a file where
    /// a directory belongs.
    fn append_log<'py>(
        &self,
        py: Python<'py>,
        id: Text,
        name: Text,
    ) -> PyResult<Bound<'py, PyAny>> {
        let id = session_id(py, &id.0)?;
        let file = detach(py, || self.inner.append_log(&id, &name.0))?;
        file_object(py, file, "ab")
    }

    /// Opens the session's existing log file `name` for reading and returns it as a binary
    /// file object; it keeps reading that file whatever is renamed or planted in its place
    /// later. `NotFoundError` when there is no such log; `DirNotUsableError` as for
    /// `append_log`.
    fn read_log<'py>(&self, py: Python<'py>, id: Text, name: Text) -> PyResult<Bound<'py, PyAny>> {
        let id = session_id(py, &id.0)?;
        let file = detach(py, || self.inner.read_log(&id, &name.0))?;
        file_object(py, file, "rb")
    }

    /// The path of the log file `name` (one or more `/`-separated components) under the
    /// session's `logs/`, creating the directories on the way. The file itself is not created.
    /// The path is advisory (whoever opens it looks it up again): prefer `append_log`.
    fn log_path<'py>(&self, py: Python<'py>, id: Text, name: Text) -> PyResult<Bound<'py, PyAny>> {
        let id = session_id(py, &id.0)?;
        detach(py, || self.inner.log_path(&id, &name.0))?.into_pyobject(py)
    }

    /// The path of the session's existing log file `name`, for reading; creates nothing.
    /// Advisory like `log_path`'s: prefer `read_log`.
    /// `NotFoundError` when there is no such log; `DirNotUsableError` when `logs/`, a directory
    /// on the way, or the file is not a real directory or regular file (nothing is followed).
    fn find_log<'py>(&self, py: Python<'py>, id: Text, name: Text) -> PyResult<Bound<'py, PyAny>> {
        let id = session_id(py, &id.0)?;
        detach(py, || self.inner.find_log(&id, &name.0))?.into_pyobject(py)
    }

    /// The files under the session's `logs/`, subdirectories included, sorted by name.
    fn logs(&self, py: Python<'_>, id: Text) -> PyResult<Vec<PyLogFile>> {
        let id = session_id(py, &id.0)?;
        let files = detach(py, || self.inner.logs(&id))?;
        Ok(files.into_iter().map(PyLogFile::from).collect())
    }

    /// The path `<root>/<id>` (the directory of an auto session, the symlink of an explicit
    /// one); it may not exist.
    fn entry_path<'py>(&self, py: Python<'py>, id: Text) -> PyResult<Bound<'py, PyAny>> {
        let id = session_id(py, &id.0)?;
        self.inner.entry_path(&id).into_pyobject(py)
    }

    /// A context manager that creates a session (with `create`'s keyword arguments) on entry,
    /// gives it to the `with` block, and finalizes it on exit: exit code 0, or 1 when the
    /// block raises (the exception propagates).
    #[pyo3(signature = (
        *,
        container_name,
        image_tag,
        working_dir,
        image_config_name=None,
        agent_name=None,
        sidecar_container_names=Vec::new(),
        session_dir=None,
        started_at=None,
    ),
    text_signature = "($self, /, *, container_name, image_tag, working_dir, image_config_name=None, \
                      agent_name=None, sidecar_container_names=(), session_dir=None, started_at=None)"
    )]
    #[allow(clippy::too_many_arguments)]
    fn session(
        &self,
        container_name: Text,
        image_tag: Text,
        working_dir: PathBuf,
        image_config_name: Option<Text>,
        agent_name: Option<Text>,
        sidecar_container_names: Vec<Text>,
        session_dir: Option<PathBuf>,
        started_at: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<SessionContext> {
        Ok(SessionContext {
            store: self.inner.clone(),
            new: new_session(
                container_name,
                image_tag,
                working_dir,
                image_config_name,
                agent_name,
                sidecar_container_names,
                session_dir,
                started_at,
            )?,
            live: None,
            done: None,
        })
    }

    /// Waits until session `id` is no longer running, at most `timeout` seconds (None: as long
    /// as it takes), without polling: returns `State.FINISHED` (its record has the exit code)
    /// or `State.ABANDONED` (its launcher died), at once when it already ended. Raises
    /// `NotFoundError` when it was removed (or never existed) and `TimeoutError` when the time
    /// passed. The GIL is released while waiting; Ctrl-C interrupts it.
    #[pyo3(signature = (id, timeout=None))]
    fn wait<'py>(
        &self,
        py: Python<'py>,
        id: Text,
        timeout: Option<f64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let id = session_id(py, &id.0)?;
        let limit = crate::watch::timeout(timeout)?;
        let mut waiter = detach(py, || self.inner.waiter(&id))?;
        crate::watch::wait(py, &self.inner, &mut waiter, limit)
    }

    /// Watches the whole root: a `Watch` of the changes from now on (created, updated,
    /// finalized, abandoned, removed), event-driven (inotify; polling every second on a network
    /// filesystem, as its `description` says).
    fn watch(&self, py: Python<'_>) -> PyResult<crate::watch::PyWatch> {
        detach(py, || self.inner.watch()).map(crate::watch::PyWatch::new)
    }

    /// A resumable wait for session `id`, for `outrig.aio` (not part of the typed interface).
    fn _waiter(&self, py: Python<'_>, id: Text) -> PyResult<crate::watch::PyWaiter> {
        let id = session_id(py, &id.0)?;
        let waiter = detach(py, || self.inner.waiter(&id))?;
        Ok(crate::watch::PyWaiter::new(self.inner.clone(), waiter))
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let root = self.inner.root().into_pyobject(py)?.str()?;
        Ok(format!("SessionStore({})", root.repr()?))
    }
}

/// What `SessionStore.session(...)` returns: `with store.session(...) as s:` creates the
/// session on entry (a `LiveSession`, holding the lease for the block) and finalizes it on
/// exit by `LiveSession`'s rules.
#[pyclass(module = "outrig", name = "SessionContext")]
pub struct SessionContext {
    store: SessionStore,
    new: NewSession,
    live: Option<Py<PyLiveSession>>,
    /// The record as the block's end left it.
    done: Option<PySession>,
}

#[pymethods]
impl SessionContext {
    fn __enter__(&mut self, py: Python<'_>) -> PyResult<Py<PyLiveSession>> {
        if self.live.is_some() {
            return Err(PyRuntimeError::new_err(
                "this session context was already used; call store.session(...) again for a \
                 new session",
            ));
        }
        let (store, new) = (&self.store, &self.new);
        let live = PyLiveSession::new_object(py, detach(py, || store.create(new))?)?;
        self.live = Some(live.clone_ref(py));
        Ok(live)
    }

    /// Finalizes the session by `LiveSession`'s rules. Never swallows the block's exception.
    #[pyo3(signature = (exc_type=None, exc_value=None, traceback=None))]
    fn __exit__(
        &mut self,
        py: Python<'_>,
        exc_type: Option<&Bound<'_, PyAny>>,
        exc_value: Option<&Bound<'_, PyAny>>,
        traceback: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        let Some(live) = &self.live else {
            return Err(PyRuntimeError::new_err(
                "__exit__ called on a session context that was not entered",
            ));
        };
        let live = live.bind(py);
        let swallowed = live
            .call_method1("__exit__", (exc_type, exc_value, traceback))?
            .extract()?;
        self.done = Some(live.get().record());
        Ok(swallowed)
    }

    /// The session: `None` before entry, the `LiveSession` inside the block, and the record as
    /// the block's end left it (finalized) after.
    #[getter]
    fn session(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        match (&self.done, &self.live) {
            (Some(done), _) => Py::new(py, done.clone()).ok().map(Py::into_any),
            (None, Some(live)) => Some(live.clone_ref(py).into_any()),
            (None, None) => None,
        }
    }
}

/// `state` as a member of the Python `outrig.State` enum.
pub(crate) fn state_object(py: Python<'_>, state: outrig::State) -> PyResult<Bound<'_, PyAny>> {
    py.import("outrig")?
        .getattr("State")?
        .call1((state.as_str(),))
}

/// `file` as a Python binary file object of `mode` (`"ab"`, `"rb"`), which then owns the
/// descriptor and closes it.
fn file_object<'py>(
    py: Python<'py>,
    file: std::fs::File,
    mode: &str,
) -> PyResult<Bound<'py, PyAny>> {
    use std::os::fd::{AsRawFd as _, IntoRawFd as _};
    let object = py
        .import("io")?
        .call_method1("open", (file.as_raw_fd(), mode))?;
    // From here on Python's object closes it; on an error above, `file` closes it.
    let _ = file.into_raw_fd();
    Ok(object)
}

/// What a clean returns: the sessions removed; or, when some removal failed, the first failure
/// raised with `.removed` and `.failures` (every failure, `(Session, message)`).
fn cleaned(py: Python<'_>, done: outrig::Cleaning) -> PyResult<Vec<PySession>> {
    let first = done.first_failure();
    let removed: Vec<PySession> = done.removed.into_iter().map(PySession::from).collect();
    let Some(first) = first else {
        return Ok(removed);
    };
    let err = crate::errors::to_pyerr(py, &first);
    let value = err.value(py);
    value.setattr("removed", removed)?;
    let failures: Vec<(PySession, String)> = done
        .failed
        .into_iter()
        .map(|f| (PySession::from(f.session), f.message))
        .collect();
    value.setattr("failures", failures)?;
    Err(err)
}
