//! `Session`, `Skipped` and `LogFile`: immutable views of the core's values.
//!
//! A `Session` holds the core's record (an `outrig::SessionRecord`, every text in one block) and
//! converts a field to a Python object only when it is read, so a listing of many sessions costs
//! one small object per session actually touched.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString, PyTuple, PyType};

use crate::convert::{to_datetime, to_timedelta};
use crate::errors::check;

/// What a pickled session holds: its record's JSON and its `link_target`.
type PickledSession<'py> = (String, Option<Bound<'py, PyAny>>);

/// One session as recorded in its `session.json`. Immutable.
///
/// Times are timezone-aware UTC `datetime`s (cut to the microsecond; `to_json()` keeps the
/// record's exact text), paths are `pathlib.Path`s, absent values are `None`. Two sessions are
/// equal when every field is, `link_target` and fields unknown to this version included; a
/// session pickles with all of them.
#[pyclass(frozen, eq, hash, subclass, module = "outrig", name = "Session")]
#[derive(Clone, PartialEq)]
pub struct PySession {
    pub(crate) inner: Arc<outrig::SessionRecord>,
}

impl Hash for PySession {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // A subset of the fields `eq` compares, so equal sessions hash alike.
        let s = &*self.inner;
        s.id().hash(state);
        s.started_at().hash(state);
        s.ended_at().hash(state);
        s.exit_code().hash(state);
    }
}

impl From<outrig::Session> for PySession {
    fn from(s: outrig::Session) -> Self {
        Self {
            inner: Arc::new(s.into()),
        }
    }
}

impl From<Arc<outrig::SessionRecord>> for PySession {
    fn from(inner: Arc<outrig::SessionRecord>) -> Self {
        Self { inner }
    }
}

impl PySession {
    /// The record as the core's `Session`, to pass back to it.
    pub(crate) fn session(&self) -> outrig::Session {
        self.inner.to_session()
    }
}

#[pymethods]
impl PySession {
    /// Parses the bytes (or text) of a `session.json`; raises `CorruptRecordError` when they are
    /// not a session record.
    #[staticmethod]
    fn from_json(py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<Self> {
        let session = if let Ok(text) = data.cast::<PyString>() {
            outrig::Session::from_json(text.to_cow()?.as_bytes())
        } else if let Ok(bytes) = data.cast::<PyBytes>() {
            outrig::Session::from_json(bytes.as_bytes())
        } else {
            return Err(pyo3::exceptions::PyTypeError::new_err(
                "from_json takes the record as str or bytes",
            ));
        };
        check(py, session).map(Self::from)
    }

    /// The session's id; also the name of its entry under the session root.
    #[getter]
    fn id(&self) -> &str {
        self.inner.id()
    }

    /// When the session started (aware, UTC).
    #[getter]
    fn started_at<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_datetime(py, self.inner.started_at())
    }

    /// When it ended (aware, UTC); `None` until the session is finalized.
    #[getter]
    fn ended_at<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.inner
            .ended_at()
            .map(|t| to_datetime(py, t))
            .transpose()
    }

    /// Name of the agent's container.
    #[getter]
    fn container_name(&self) -> &str {
        self.inner.container_name()
    }

    /// Names of the sidecar containers, in start order.
    #[getter]
    fn sidecar_container_names<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, self.inner.sidecar_container_names())
    }

    /// Tag of the image the container ran.
    #[getter]
    fn image_tag(&self) -> &str {
        self.inner.image_tag()
    }

    /// Name of the image configuration, or `None`.
    #[getter]
    fn image_config_name(&self) -> Option<&str> {
        self.inner.image_config_name()
    }

    /// Name of the agent, or `None`.
    #[getter]
    fn agent_name(&self) -> Option<&str> {
        self.inner.agent_name()
    }

    /// The working directory the agent was started in.
    #[getter]
    fn working_dir<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.inner.working_dir().into_pyobject(py)
    }

    /// The directory that holds `session.json` (the link target for explicit sessions).
    #[getter]
    fn session_dir<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.inner.session_dir().into_pyobject(py)
    }

    /// The agent's exit code once finalized, else `None`.
    #[getter]
    fn exit_code(&self) -> Option<i32> {
        self.inner.exit_code()
    }

    /// Where `<root>/<id>` points when that entry is a symlink (explicit sessions), else
    /// `None`. Never written to disk.
    #[getter]
    fn link_target<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.inner
            .link_target()
            .map(|p| p.into_pyobject(py))
            .transpose()
    }

    /// The session's `logs/` directory (which may not exist yet).
    #[getter]
    fn logs_dir<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.inner.logs_dir().as_path().into_pyobject(py)
    }

    /// Whether the session was finalized (it has `ended_at`). Whether an unfinalized session
    /// still runs is `store.state(id)`'s answer.
    #[getter]
    fn finalized(&self) -> bool {
        self.inner.is_finalized()
    }

    /// Deprecated: `not finalized`, which is not whether the session runs (that is
    /// `store.state(id) is State.RUNNING`).
    #[getter]
    fn running(&self, py: Python<'_>) -> PyResult<bool> {
        let warnings = py.import("warnings")?;
        let category = py.get_type::<pyo3::exceptions::PyDeprecationWarning>();
        warnings.call_method1(
            "warn",
            (
                "Session.running means 'not finalized', not State.RUNNING; use \
                 `not session.finalized`, or store.state(id) for whether it runs",
                category,
                2,
            ),
        )?;
        Ok(!self.inner.is_finalized())
    }

    /// `ended_at - started_at` (zero if the clock stepped back), or `None` until it is finalized.
    #[getter]
    fn duration<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.inner
            .duration()
            .map(|d| to_timedelta(py, d).map(Bound::into_any))
            .transpose()
    }

    /// The record's exact bytes as outrig writes them (pretty JSON, no trailing newline), as
    /// `str`; fields unknown to this version are kept.
    fn to_json(&self, py: Python<'_>) -> PyResult<String> {
        let bytes = check(py, self.session().to_json())?;
        Ok(String::from_utf8(bytes).expect("serde_json writes UTF-8"))
    }

    /// The attributes as a dict, in the record's field order, then `link_target`, with the
    /// sidecar names as a list and `None` for absent values. `mode="python"` (the default)
    /// gives `datetime`s and `Path`s; `mode="json"` gives only values `json.dumps` takes: times
    /// as ISO 8601 text (`datetime.isoformat()`, which `datetime.fromisoformat` reads back) and
    /// paths as `str`.
    #[pyo3(signature = (*, mode = "python"))]
    fn to_dict<'py>(&self, py: Python<'py>, mode: &str) -> PyResult<Bound<'py, PyDict>> {
        let json = match mode {
            "python" => false,
            "json" => true,
            other => {
                return Err(PyValueError::new_err(format!(
                    "to_dict's mode is \"python\" or \"json\", not {}",
                    PyString::new(py, other).repr()?
                )));
            }
        };
        let time = |t: SystemTime| -> PyResult<Bound<'py, PyAny>> {
            let t = to_datetime(py, t)?;
            if json {
                t.call_method0("isoformat")
            } else {
                Ok(t)
            }
        };
        // As `str`, a path that is not UTF-8 keeps its bytes as surrogate escapes, like
        // `os.fspath` of the `Path`.
        let path = |p: &Path| -> PyResult<Bound<'py, PyAny>> {
            if json {
                Ok(p.as_os_str().into_pyobject(py)?.into_any())
            } else {
                p.into_pyobject(py)
            }
        };
        let s = &*self.inner;
        let d = PyDict::new(py);
        d.set_item("id", s.id())?;
        d.set_item("started_at", time(s.started_at())?)?;
        d.set_item("ended_at", s.ended_at().map(time).transpose()?)?;
        d.set_item("container_name", s.container_name())?;
        let sidecars: Vec<&str> = s.sidecar_container_names().collect();
        d.set_item("sidecar_container_names", sidecars)?;
        d.set_item("image_tag", s.image_tag())?;
        d.set_item("image_config_name", s.image_config_name())?;
        d.set_item("agent_name", s.agent_name())?;
        d.set_item("working_dir", path(s.working_dir())?)?;
        d.set_item("session_dir", path(s.session_dir())?)?;
        d.set_item("exit_code", s.exit_code())?;
        d.set_item("link_target", s.link_target().map(path).transpose()?)?;
        Ok(d)
    }

    /// Pickles as the record's JSON, which keeps every field exactly (unknown ones too), and
    /// `link_target`, which the record does not hold.
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, PyAny>, PickledSession<'py>)> {
        let py = slf.py();
        let me = slf.get();
        let rebuild = slf.get_type().getattr("_from_pickle")?;
        Ok((rebuild, (me.to_json(py)?, me.link_target(py)?)))
    }

    /// Unpickles what `__reduce__` gave: the record's JSON and `link_target`.
    #[classmethod]
    #[pyo3(name = "_from_pickle")]
    fn from_pickle(
        _cls: &Bound<'_, PyType>,
        py: Python<'_>,
        record: &str,
        link_target: Option<PathBuf>,
    ) -> PyResult<Self> {
        let mut session = check(py, outrig::Session::from_json(record.as_bytes()))?;
        session.link_target = link_target;
        Ok(Self::from(session))
    }

    /// Sessions are immutable: a copy is the session itself.
    fn __copy__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __deepcopy__<'py>(slf: PyRef<'py, Self>, _memo: &Bound<'py, PyAny>) -> PyRef<'py, Self> {
        slf
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let s = &*self.inner;
        let text = |v: &str| -> PyResult<String> { Ok(PyString::new(py, v).repr()?.to_string()) };
        let opt = |v: Option<String>| v.unwrap_or_else(|| "None".to_owned());
        // Times as the datetimes the attributes give (their repr), not as strings.
        let time = |t: std::time::SystemTime| -> PyResult<String> {
            Ok(crate::convert::to_datetime(py, t)?.repr()?.to_string())
        };
        Ok(format!(
            "Session(id={}, started_at={}, ended_at={}, exit_code={}, container_name={}, \
             image_tag={}, session_dir={})",
            text(s.id())?,
            time(s.started_at())?,
            opt(s.ended_at().map(time).transpose()?),
            opt(s.exit_code().map(|c| c.to_string())),
            text(s.container_name())?,
            text(s.image_tag())?,
            text(&s.session_dir().to_string_lossy())?,
        ))
    }
}

/// A root entry whose `session.json` could not be read: its name and why.
#[pyclass(frozen, eq, hash, get_all, module = "outrig", name = "Skipped")]
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PySkipped {
    /// The entry's name under the root (normally the session id).
    entry: String,
    /// Why it was skipped, naming the file.
    reason: String,
}

impl From<outrig::Skipped> for PySkipped {
    fn from(s: outrig::Skipped) -> Self {
        Self {
            entry: s.entry,
            reason: s.reason,
        }
    }
}

impl From<&PySkipped> for outrig::Skipped {
    fn from(s: &PySkipped) -> Self {
        Self {
            entry: s.entry.clone(),
            reason: s.reason.clone(),
        }
    }
}

#[pymethods]
impl PySkipped {
    #[new]
    fn new(entry: String, reason: String) -> Self {
        Self { entry, reason }
    }

    /// Pickles (and copies) as `Skipped(entry, reason)`.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> (Bound<'py, PyType>, (String, String)) {
        let me = slf.get();
        (slf.get_type(), (me.entry.clone(), me.reason.clone()))
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "Skipped(entry={}, reason={})",
            PyString::new(py, &self.entry).repr()?,
            PyString::new(py, &self.reason).repr()?
        ))
    }
}

/// One file under a session's `logs/`: its name relative to `logs/` (components joined by
/// `/`) and its size in bytes.
#[pyclass(frozen, eq, hash, get_all, module = "outrig", name = "LogFile")]
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PyLogFile {
    /// The path relative to `logs/` (`agent.log`, `tools/web.log`).
    name: String,
    /// Its size in bytes.
    size: u64,
}

impl From<outrig::LogFile> for PyLogFile {
    fn from(f: outrig::LogFile) -> Self {
        Self {
            name: f.name,
            size: f.size,
        }
    }
}

#[pymethods]
impl PyLogFile {
    #[new]
    fn new(name: String, size: u64) -> Self {
        Self { name, size }
    }

    /// Pickles (and copies) as `LogFile(name, size)`.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> (Bound<'py, PyType>, (String, u64)) {
        let me = slf.get();
        (slf.get_type(), (me.name.clone(), me.size))
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "LogFile(name={}, size={})",
            PyString::new(py, &self.name).repr()?,
            self.size
        ))
    }
}
