//! `LiveSession`: a session this process created and runs, holding its lease; and the
//! exit-code rules of its `with` block.

use std::sync::Mutex;
use std::time::SystemTime;

use outrig::LiveSession;
use pyo3::exceptions::{PyKeyboardInterrupt, PySystemExit};
use pyo3::prelude::*;

use crate::convert::{self, Text, from_datetime};
use crate::errors::detach;
use crate::session::PySession;

/// A session this process created and is running: every attribute of `Session` (as the
/// record was written by `create`), and the session's lease.
///
/// The lease is the lock `outrig run-new` holds on a session directory for its whole run:
/// while it is held, other processes see the session running, and their `finalize` and
/// `remove` fail with `BusyError`. It ends with `finalize`, `release`, when the object is
/// garbage-collected, or when the process exits.
///
/// Used as a context manager (`with store.create(...) as s:`, or `store.session(...)`), it
/// finalizes on exit unless the block finalized it already: with the code given to
/// `set_exit_code`, else 130 for `KeyboardInterrupt`, `SystemExit.code` for `sys.exit`, 1 for
/// another exception, 0 otherwise.
#[pyclass(extends = PySession, frozen, module = "outrig", name = "LiveSession")]
pub struct PyLiveSession {
    live: Mutex<LiveSession>,
    /// The code `set_exit_code` asked the `with` block to record.
    exit_code: Mutex<Option<i32>>,
}

impl PyLiveSession {
    /// The Python object for a session `create` just made.
    pub fn new_object(py: Python<'_>, live: LiveSession) -> PyResult<Py<PyLiveSession>> {
        let base = PySession::from(live.session().clone());
        let init = PyClassInitializer::from(base).add_subclass(PyLiveSession {
            live: Mutex::new(live),
            exit_code: Mutex::new(None),
        });
        Py::new(py, init)
    }

    /// The record as last written through this object.
    pub fn record(&self) -> PySession {
        PySession::from(self.live().session().clone())
    }

    fn live(&self) -> std::sync::MutexGuard<'_, LiveSession> {
        self.live
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Finalizes through the lease with the GIL released, at `at` or (`None`) now as the core
    /// tells it.
    fn finalize_with(
        &self,
        py: Python<'_>,
        code: i32,
        at: Option<SystemTime>,
    ) -> PyResult<PySession> {
        detach(py, || match at {
            Some(at) => self.live().finalize(at, code),
            None => self.live().finalize_now(code),
        })
        .map(PySession::from)
    }
}

#[pymethods]
impl PyLiveSession {
    /// Marks the session ended with `exit_code` at `ended_at` (an aware datetime; default now)
    /// and ends the lease; returns the record as written. Finalizing again overwrites both.
    #[pyo3(signature = (exit_code, ended_at=None))]
    fn finalize(
        &self,
        py: Python<'_>,
        exit_code: &Bound<'_, PyAny>,
        ended_at: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PySession> {
        let code = convert::exit_code(exit_code)?;
        let at = ended_at.map(|t| from_datetime(t, "ended_at")).transpose()?;
        self.finalize_with(py, code, at)
    }

    /// Replaces the session's sidecar container names through the lease; returns the record
    /// as written (this object's attributes stay those `create` wrote).
    fn set_sidecar_containers(&self, py: Python<'_>, names: Vec<Text>) -> PyResult<PySession> {
        detach(py, || self.live().set_sidecar_containers(&names).cloned()).map(PySession::from)
    }

    /// The exit code the `with` block records when it ends without an exception (or with
    /// one): for a launcher that ran its child inside the block.
    fn set_exit_code(&self, exit_code: &Bound<'_, PyAny>) -> PyResult<()> {
        let code = convert::exit_code(exit_code)?;
        *self
            .exit_code
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(code);
        Ok(())
    }

    /// Ends the lease without finalizing: once nothing else runs the session, it is
    /// `State.ABANDONED`.
    fn release(&self) {
        self.live().release();
    }

    /// Whether the lease is still held (`False` once finalized, removed or released).
    #[getter]
    fn leased(&self) -> bool {
        self.live().is_leased()
    }

    /// The file descriptor that holds the lease, or -1 once it ended. It belongs to this
    /// object: do not close it. Pass it to a child (`subprocess.Popen(pass_fds=[fd])`) to keep
    /// the lease until that child exits.
    fn lease_fd(&self) -> i32 {
        use std::os::fd::{AsFd as _, AsRawFd as _};
        let live = self.live();
        if live.is_leased() {
            live.lease_fd().as_fd().as_raw_fd()
        } else {
            -1
        }
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// Finalizes as the class documentation says, unless the block finalized (or removed or
    /// released) the session already. Never swallows the block's exception.
    #[pyo3(signature = (exc_type=None, exc_value=None, traceback=None))]
    fn __exit__(
        &self,
        py: Python<'_>,
        exc_type: Option<&Bound<'_, PyAny>>,
        exc_value: Option<&Bound<'_, PyAny>>,
        traceback: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        let _ = traceback;
        if !self.live().is_leased() {
            return Ok(false);
        }
        let set = *self
            .exit_code
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let code = match (set, exc_type.filter(|t| !t.is_none())) {
            (Some(code), _) => code,
            (None, None) => 0,
            (None, Some(t)) => exception_exit_code(py, t, exc_value)?,
        };
        self.finalize_with(py, code, None)?;
        Ok(false)
    }
}

/// The exit code for a block that raised `t`: 130 for `KeyboardInterrupt`, `SystemExit.code`
/// for `sys.exit` (0 for `None`, 1 for a message, as the interpreter exits), 1 otherwise.
fn exception_exit_code(
    py: Python<'_>,
    t: &Bound<'_, PyAny>,
    value: Option<&Bound<'_, PyAny>>,
) -> PyResult<i32> {
    let is = |base: Bound<'_, pyo3::types::PyType>| -> PyResult<bool> {
        Ok(t.is_instance_of::<pyo3::types::PyType>()
            && t.cast::<pyo3::types::PyType>()?.is_subclass(&base)?)
    };
    if is(py.get_type::<PyKeyboardInterrupt>())? {
        return Ok(130);
    }
    if is(py.get_type::<PySystemExit>())? {
        let code = match value {
            Some(v) => v.getattr("code")?,
            None => return Ok(0),
        };
        if code.is_none() {
            return Ok(0);
        }
        return Ok(code.extract::<i32>().unwrap_or(1));
    }
    Ok(1)
}
