//! `Listing`: the sessions of a root as a read-only sequence, newest first, plus the skipped
//! entries.
//!
//! The listing keeps the core's records and makes a `Session` object only for the index that
//! is read, so listing a large root costs no per-session Python objects up front.

use std::sync::Arc;

use pyo3::exceptions::{PyIndexError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyList, PySlice};

use crate::session::{PySession, PySkipped};

/// The records, shared by a listing and its iterators.
type Records = Arc<[Arc<outrig::SessionRecord>]>;

/// What a listing pickles as: `Listing._from_pickle` and its arguments.
type PickledListing<'py> = (Bound<'py, PyAny>, (Vec<PySession>, Vec<PySkipped>));

/// The sessions under a root, newest first (a `Sequence[Session]`), and in `skipped` the
/// entries whose records could not be read.
#[pyclass(frozen, sequence, module = "outrig", name = "Listing")]
pub struct PyListing {
    sessions: Records,
    skipped: Vec<outrig::Skipped>,
}

impl PyListing {
    /// A listing of shared records (see `SessionStore::list_records_with`, which makes them on its
    /// worker threads) and the skipped entries.
    pub fn new(sessions: Vec<Arc<outrig::SessionRecord>>, skipped: Vec<outrig::Skipped>) -> Self {
        Self {
            sessions: sessions.into(),
            skipped,
        }
    }
}

impl PyListing {
    /// A Python index (negative counts from the end) as a position, if in range.
    fn position(&self, index: isize) -> Option<usize> {
        let len = self.sessions.len() as isize;
        let i = if index < 0 { index + len } else { index };
        (0..len).contains(&i).then_some(i as usize)
    }

    fn session_eq(&self, i: usize, value: &Bound<'_, PyAny>) -> bool {
        value
            .cast::<PySession>()
            .is_ok_and(|v| *v.get().inner == *self.sessions[i])
    }
}

#[pymethods]
impl PyListing {
    fn __len__(&self) -> usize {
        self.sessions.len()
    }

    /// `listing[i]` is a `Session`; `listing[a:b:c]` a list of them.
    fn __getitem__<'py>(&self, index: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let py = index.py();
        if let Ok(slice) = index.cast::<PySlice>() {
            let ix = slice.indices(self.sessions.len() as isize)?;
            let items = (0..ix.slicelength).map(|k| {
                let i = (ix.start + k as isize * ix.step) as usize;
                PySession::from(Arc::clone(&self.sessions[i]))
            });
            return Ok(PyList::new(py, items)?.into_any());
        }
        let Ok(i) = index.extract::<isize>() else {
            return Err(PyTypeError::new_err(
                "Listing indices must be integers or slices",
            ));
        };
        match self.position(i) {
            Some(i) => {
                Ok(Bound::new(py, PySession::from(Arc::clone(&self.sessions[i])))?.into_any())
            }
            None => Err(PyIndexError::new_err("Listing index out of range")),
        }
    }

    fn __iter__(&self) -> ListingIter {
        ListingIter {
            sessions: Arc::clone(&self.sessions),
            next: 0,
            reversed: false,
        }
    }

    fn __reversed__(&self) -> ListingIter {
        ListingIter {
            sessions: Arc::clone(&self.sessions),
            next: 0,
            reversed: true,
        }
    }

    fn __contains__(&self, value: &Bound<'_, PyAny>) -> bool {
        (0..self.sessions.len()).any(|i| self.session_eq(i, value))
    }

    /// The position of the first session equal to `value` (within `start:stop`).
    #[pyo3(signature = (value, start=0, stop=None))]
    fn index(
        &self,
        value: &Bound<'_, PyAny>,
        start: isize,
        stop: Option<isize>,
    ) -> PyResult<usize> {
        let len = self.sessions.len() as isize;
        let clamp = |i: isize| if i < 0 { (i + len).max(0) } else { i.min(len) } as usize;
        let (start, stop) = (clamp(start), clamp(stop.unwrap_or(len)));
        (start..stop.max(start))
            .find(|&i| self.session_eq(i, value))
            .ok_or_else(|| PyValueError::new_err("session is not in the listing"))
    }

    /// How many sessions equal `value` (0 or 1: ids are unique in a root).
    fn count(&self, value: &Bound<'_, PyAny>) -> usize {
        (0..self.sessions.len())
            .filter(|&i| self.session_eq(i, value))
            .count()
    }

    /// The entries whose `session.json` could not be read or parsed, newest name first.
    #[getter]
    fn skipped(&self) -> Vec<PySkipped> {
        self.skipped.iter().cloned().map(PySkipped::from).collect()
    }

    /// Pickles as its sessions and skipped entries (each session as its record).
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<PickledListing<'py>> {
        let me = slf.get();
        let sessions = me.sessions.iter().cloned().map(PySession::from).collect();
        Ok((
            slf.get_type().getattr("_from_pickle")?,
            (sessions, me.skipped()),
        ))
    }

    /// Unpickles what `__reduce__` gave.
    #[classmethod]
    #[pyo3(name = "_from_pickle")]
    fn from_pickle(
        _cls: &Bound<'_, pyo3::types::PyType>,
        sessions: Vec<PyRef<'_, PySession>>,
        skipped: Vec<PyRef<'_, PySkipped>>,
    ) -> Self {
        Self::new(
            sessions.iter().map(|s| s.inner.clone()).collect(),
            skipped
                .iter()
                .map(|s| outrig::Skipped::from(&**s))
                .collect(),
        )
    }

    fn __repr__(&self) -> String {
        format!(
            "<Listing: {} sessions, {} skipped>",
            self.sessions.len(),
            self.skipped.len()
        )
    }
}

/// An iterator over a listing's sessions.
#[pyclass(module = "outrig")]
pub struct ListingIter {
    sessions: Records,
    next: usize,
    reversed: bool,
}

#[pymethods]
impl ListingIter {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&mut self) -> Option<PySession> {
        let len = self.sessions.len();
        if self.next >= len {
            return None;
        }
        let i = if self.reversed {
            len - 1 - self.next
        } else {
            self.next
        };
        self.next += 1;
        Some(PySession::from(Arc::clone(&self.sessions[i])))
    }

    fn __length_hint__(&self) -> usize {
        self.sessions.len().saturating_sub(self.next)
    }
}
