//! Waiting for a session and watching a root: `SessionStore.wait`, `SessionStore.watch` (a
//! `Watch` of `WatchEvent`s) and the resumable `_Waiter` the asyncio facade awaits.
//!
//! Every wait runs with the GIL released, in slices of at most [`SLICE`], between which
//! pending signals are handled: Ctrl-C interrupts a wait as it interrupts `time.sleep`.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use outrig::{Error, ErrorKind, SessionId, SessionStore, WaitOutcome, Waiter, Watcher};
use pyo3::exceptions::{PyTimeoutError, PyValueError};
use pyo3::prelude::*;

use crate::errors::{detach, to_pyerr};
use crate::session::PySession;

/// The longest the GIL stays released before signals are looked at.
const SLICE: Duration = Duration::from_millis(100);

/// A timeout in seconds from Python: `None` is forever; negative or NaN is refused.
pub fn timeout(seconds: Option<f64>) -> PyResult<Option<Duration>> {
    seconds
        .map(|s| {
            Duration::try_from_secs_f64(s).map_err(|_| {
                PyValueError::new_err(format!(
                    "timeout must be None or a number of seconds >= 0, not {s}"
                ))
            })
        })
        .transpose()
}

/// `outcome` as Python sees it: the `outrig.State` it ended in, `NotFoundError` for a
/// removal; `None` while it runs.
fn outcome_object<'py>(
    py: Python<'py>,
    store: &SessionStore,
    id: &SessionId,
    outcome: WaitOutcome,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    match outcome.state() {
        Some(state) => crate::store::state_object(py, state).map(Some),
        None if outcome == WaitOutcome::Removed => Err(to_pyerr(
            py,
            &Error::new(
                ErrorKind::NotFound,
                format!(
                    "session {id} was removed from {} (or never was there); list the sessions \
                     to see which exist",
                    store.root().display()
                ),
            ),
        )),
        None => Ok(None),
    }
}

/// Waits with `waiter` until its session ends or `limit` passes, a slice at a time.
pub fn wait<'py>(
    py: Python<'py>,
    store: &SessionStore,
    waiter: &mut Waiter,
    limit: Option<Duration>,
) -> PyResult<Bound<'py, PyAny>> {
    let deadline = limit.and_then(|t| Instant::now().checked_add(t));
    loop {
        let slice = deadline.map_or(SLICE, |d| {
            d.saturating_duration_since(Instant::now()).min(SLICE)
        });
        let outcome = detach(py, || waiter.wait(Some(slice)))?;
        let id = waiter.id().clone();
        if let Some(state) = outcome_object(py, store, &id, outcome)? {
            return Ok(state);
        }
        if deadline.is_some_and(|d| d <= Instant::now()) {
            let secs = limit.unwrap_or_default().as_secs_f64();
            return Err(PyTimeoutError::new_err(format!(
                "session {id} still runs after {secs} s of waiting"
            )));
        }
        py.check_signals()?;
    }
}

/// What happened to a session (`Watch`'s items): `id`, `kind` (an `outrig.EventKind`) and
/// `session` (the record after the change; None for a removal).
#[pyclass(frozen, eq, module = "outrig", name = "WatchEvent")]
#[derive(PartialEq)]
pub struct PyWatchEvent {
    /// The session's id.
    #[pyo3(get)]
    id: String,
    kind: outrig::EventKind,
    session: Option<PySession>,
}

#[pymethods]
impl PyWatchEvent {
    /// What happened: `EventKind.CREATED`, `UPDATED`, `FINALIZED`, `ABANDONED` or `REMOVED`
    /// (a `str` enum: equal to `"created"`, ...).
    #[getter]
    fn kind<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        py.import("outrig")?
            .getattr("EventKind")?
            .call1((self.kind.as_str(),))
    }

    /// The record as read after the change; None for a removal.
    #[getter]
    fn session(&self) -> Option<PySession> {
        self.session.clone()
    }

    fn __repr__(&self) -> String {
        format!("<outrig.WatchEvent {} {}>", self.kind, self.id)
    }
}

impl From<outrig::Event> for PyWatchEvent {
    fn from(e: outrig::Event) -> Self {
        Self {
            id: e.id.as_str().to_owned(),
            kind: e.kind,
            session: e.session.map(PySession::from),
        }
    }
}

/// The changes of the sessions under a root, as they happen (`SessionStore.watch()`): iterate
/// it (each step blocks until the next event, interruptible by Ctrl-C), or call `next(timeout)`.
/// `fileno()` is a descriptor that is readable when an event may be ready, for `select` or an
/// event loop. Close it with `close()` or a `with` block.
#[pyclass(frozen, module = "outrig", name = "Watch")]
pub struct PyWatch {
    inner: Mutex<Option<Watcher>>,
}

impl PyWatch {
    pub fn new(watcher: Watcher) -> Self {
        Self {
            inner: Mutex::new(Some(watcher)),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut Watcher) -> PyResult<T>) -> PyResult<T> {
        let mut guard = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        match guard.as_mut() {
            Some(w) => f(w),
            None => Err(PyValueError::new_err("this watch is closed")),
        }
    }
}

#[pymethods]
impl PyWatch {
    /// The next event, waiting at most `timeout` seconds (None: until there is one); None
    /// when the time passed without one.
    #[pyo3(signature = (timeout=None))]
    fn next(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<Option<PyWatchEvent>> {
        let deadline = self::timeout(timeout)?.and_then(|t| Instant::now().checked_add(t));
        loop {
            let slice = deadline.map_or(SLICE, |d| {
                d.saturating_duration_since(Instant::now()).min(SLICE)
            });
            let event = self.with(|w| detach(py, || w.next_timeout(Some(slice))))?;
            if let Some(event) = event {
                return Ok(Some(event.into()));
            }
            if deadline.is_some_and(|d| d <= Instant::now()) {
                return Ok(None);
            }
            py.check_signals()?;
        }
    }

    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Option<PyWatchEvent>> {
        self.next(py, None)
    }

    /// A descriptor that is readable when `next(0)` may have an event (never read it).
    fn fileno(&self) -> PyResult<i32> {
        use std::os::fd::{AsFd as _, AsRawFd as _};
        self.with(|w| Ok(w.as_fd().as_raw_fd()))
    }

    /// Where the events come from, in words (says when it polls, and why).
    #[getter]
    fn description(&self) -> PyResult<String> {
        self.with(|w| Ok(w.description()))
    }

    /// How many times the kernel's queue of notifications overflowed (each time the root was
    /// listed again and the differences reported as events).
    #[getter]
    fn overflows(&self) -> PyResult<u64> {
        self.with(|w| Ok(w.overflows()))
    }

    /// Whether `close()` was called.
    #[getter]
    fn closed(&self) -> bool {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_none()
    }

    /// Stops watching and frees the descriptors; closing again does nothing.
    fn close(&self) {
        drop(
            self.inner
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take(),
        );
    }

    fn __enter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __exit__(
        &self,
        _exc_type: Option<Bound<'_, PyAny>>,
        _exc_value: Option<Bound<'_, PyAny>>,
        _traceback: Option<Bound<'_, PyAny>>,
    ) -> bool {
        self.close();
        false
    }
}

/// A resumable wait for one session (`SessionStore._waiter`), for the asyncio facade: `poll()`
/// does the work that is due without waiting; `fileno()` is readable when there is some.
#[pyclass(frozen, module = "outrig", name = "_Waiter")]
pub struct PyWaiter {
    store: SessionStore,
    inner: Mutex<Option<Waiter>>,
}

impl PyWaiter {
    pub fn new(store: SessionStore, waiter: Waiter) -> Self {
        Self {
            store,
            inner: Mutex::new(Some(waiter)),
        }
    }
}

#[pymethods]
impl PyWaiter {
    /// The state the session ended in, None while it runs; NotFoundError when it was removed.
    fn poll<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let mut guard = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let waiter = guard
            .as_mut()
            .ok_or_else(|| PyValueError::new_err("this wait is closed"))?;
        let outcome = detach(py, || waiter.wait(Some(Duration::ZERO)))?;
        let id = waiter.id().clone();
        outcome_object(py, &self.store, &id, outcome)
    }

    fn fileno(&self) -> PyResult<i32> {
        use std::os::fd::{AsFd as _, AsRawFd as _};
        let guard = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let waiter = guard
            .as_ref()
            .ok_or_else(|| PyValueError::new_err("this wait is closed"))?;
        Ok(waiter.as_fd().as_raw_fd())
    }

    fn close(&self) {
        drop(
            self.inner
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take(),
        );
    }
}
