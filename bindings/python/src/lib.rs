//! The Python module of liboutrig, imported as `outrig` (this is its compiled part,
//! `outrig._outrig`; `python/outrig/__init__.py` re-exports it and `__init__.pyi` types it).
//!
//! The module converts and delegates: every rule of the session store lives in the `outrig`
//! crate. Values cross as Python users expect (aware UTC `datetime`s, `pathlib.Path`s, `None`
//! for absent values); errors become the exception classes of `errors`; filesystem work runs
//! with the GIL released.

mod convert;
mod errors;
mod listing;
mod live;
mod probe;
mod session;
mod store;
mod watch;

use pyo3::prelude::*;

use crate::convert::{from_datetime, from_timedelta};

/// Formats a start time as `outrig ls` shows it, in UTC: `2026-05-01 14:19:07`. Takes an
/// aware `datetime`.
#[pyfunction]
fn format_started_at(t: &Bound<'_, PyAny>) -> PyResult<String> {
    Ok(outrig::format_started_at(from_datetime(t, "t")?))
}

/// Formats a duration as `outrig ls` shows it: `0m44s`, `6m02s`, `1h05m`. Takes a
/// non-negative `timedelta`; fractions of a second are dropped.
#[pyfunction]
fn format_duration(d: &Bound<'_, PyAny>) -> PyResult<String> {
    Ok(outrig::format_duration(from_timedelta(d, "d")?))
}

/// The exit code to record for a child whose `subprocess` return code is `returncode`: the
/// code itself, or 128+N when signal N ended it (`-15` from `subprocess` becomes 143), as outrig
/// records it.
#[pyfunction]
fn exit_code_from_returncode(returncode: i32) -> i32 {
    outrig::exit_code_from_returncode(returncode)
}

#[pymodule]
fn _outrig(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<store::PySessionStore>()?;
    m.add_class::<store::SessionContext>()?;
    m.add_class::<live::PyLiveSession>()?;
    m.add_class::<session::PySession>()?;
    m.add_class::<session::PySkipped>()?;
    m.add_class::<session::PyLogFile>()?;
    m.add_class::<listing::PyListing>()?;
    m.add_class::<watch::PyWatch>()?;
    m.add_class::<watch::PyWatchEvent>()?;
    m.add_class::<watch::PyWaiter>()?;
    m.add_function(wrap_pyfunction!(format_started_at, m)?)?;
    m.add_function(wrap_pyfunction!(format_duration, m)?)?;
    m.add_function(wrap_pyfunction!(exit_code_from_returncode, m)?)?;
    m.add_function(wrap_pyfunction!(errors::_error_for_kind, m)?)?;
    m.add_function(wrap_pyfunction!(convert::_datetime_ways, m)?)?;
    errors::register(m)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    // Every session's times are `datetime`s: load the datetime C API (importing `datetime`)
    // with the module, not in the middle of a script's first listing (measured: several ms).
    convert::load_datetime(m.py())?;
    Ok(())
}
