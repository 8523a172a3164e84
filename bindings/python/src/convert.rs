//! Conversions between the core's values and Python's: ids, exit codes, and times.
//!
//! Times cross as timezone-aware UTC `datetime`s and `timedelta`s, through exact integer
//! microseconds from the Unix epoch (never a float timestamp). A naive `datetime` is refused,
//! not guessed at. Python's types hold microseconds, so a record's finer fraction is cut to the
//! microsecond on the way to Python (and kept exactly in the record and `to_json()`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use outrig::SessionId;
use pyo3::exceptions::{PyOverflowError, PyTypeError};
use std::os::raw::c_int;

use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{
    PyBool, PyBytes, PyDateTime, PyDelta, PyDeltaAccess, PyInt, PyModule, PyString, PyTzInfo,
    PyTzInfoAccess,
};

use crate::errors::{check, invalid};

const MICROS_PER_SECOND: i128 = 1_000_000;
const MICROS_PER_DAY: i128 = 86_400 * MICROS_PER_SECOND;

/// A `str` argument as UTF-8. A string holding a lone surrogate (which no UTF-8 file can
/// store) is an `InvalidArgumentError` that shows it, as every refused argument is, rather
/// than a bare `UnicodeEncodeError` from the conversion.
pub struct Text(pub String);

impl<'a, 'py> FromPyObject<'a, 'py> for Text {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        let s = obj.cast::<PyString>()?;
        match s.to_cow() {
            Ok(text) => Ok(Text(text.into_owned())),
            Err(_) => Err(invalid(format!(
                "{} is not valid Unicode text: it holds a lone surrogate, which no UTF-8 record \
                 or path can store; pass a str without one",
                s.repr()?
            ))),
        }
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Validates a session id from Python (an `InvalidArgumentError` for a bad one).
pub fn session_id(py: Python<'_>, id: &str) -> PyResult<SessionId> {
    check(py, SessionId::parse(id))
}

/// An exit code: a Python `int` within the 32-bit range records hold.
pub fn exit_code(value: &Bound<'_, PyAny>) -> PyResult<i32> {
    if !value.is_instance_of::<PyInt>() || value.is_instance_of::<PyBool>() {
        return Err(PyTypeError::new_err(format!(
            "exit_code must be an int, not {}",
            type_name(value)
        )));
    }
    value.extract::<i32>().map_err(|_| {
        invalid(format!(
            "exit_code {value} is outside the 32-bit range a session record holds \
             ({} to {}); pass the process's exit status",
            i32::MIN,
            i32::MAX
        ))
    })
}

/// `1970-01-01T00:00:00+00:00`, made once.
fn epoch(py: Python<'_>) -> PyResult<&Bound<'_, PyDateTime>> {
    static EPOCH: PyOnceLock<Py<PyDateTime>> = PyOnceLock::new();
    let epoch = EPOCH.get_or_try_init(py, || {
        let utc = PyTzInfo::utc(py)?.to_owned();
        PyDateTime::new(py, 1970, 1, 1, 0, 0, 0, 0, Some(&utc)).map(Bound::unbind)
    })?;
    Ok(epoch.bind(py))
}

/// The calendar fields of a core time in UTC, cut (toward the past) to the microsecond.
///
/// # Errors
/// `OverflowError` for a time before year 1, which a record may hold but `datetime` cannot.
fn fields_of(t: SystemTime) -> PyResult<Fields> {
    let micros: i128 = match t.duration_since(UNIX_EPOCH) {
        Ok(after) => after.as_micros() as i128,
        Err(before) => -(before.duration().as_nanos().div_ceil(1000) as i128),
    };
    let overflow = || {
        PyOverflowError::new_err(format!(
            "the time {} is outside the years 1 to 9999 that datetime can hold; \
             read it from to_json()",
            outrig::format_started_at(t)
        ))
    };
    // The calendar date comes from jiff (the core's clock), not from arithmetic of our own.
    let ts = i64::try_from(micros)
        .ok()
        .and_then(|m| jiff::Timestamp::from_microsecond(m).ok())
        .ok_or_else(overflow)?;
    let dt = jiff::tz::Offset::UTC.to_datetime(ts);
    if !(1..=9999).contains(&dt.year()) {
        return Err(overflow());
    }
    let fields = Fields {
        year: dt.year() as u16,
        month: dt.month() as u8,
        day: dt.day() as u8,
        hour: dt.hour() as u8,
        minute: dt.minute() as u8,
        second: dt.second() as u8,
        microsecond: (dt.subsec_nanosecond() / 1000) as u32,
    };
    Ok(fields)
}

/// A core time as an aware UTC `datetime`, cut (toward the past) to the microsecond.
///
/// # Errors
/// `OverflowError` for a time before year 1, which a record may hold but `datetime` cannot.
pub fn to_datetime<'py>(py: Python<'py>, t: SystemTime) -> PyResult<Bound<'py, PyAny>> {
    DatetimeConstructor::get(py)?.build(py, fields_of(t)?)
}

/// A `datetime` and the name of the way it was built.
type NamedDatetime<'py> = (&'static str, Bound<'py, PyAny>);

/// For the tests: the way of building a `datetime` in use, and the `datetime` of `t` built
/// each way this interpreter offers (whether or not it passed the check at import).
#[pyfunction]
pub fn _datetime_ways<'py>(
    t: &Bound<'py, PyAny>,
) -> PyResult<(&'static str, Vec<NamedDatetime<'py>>)> {
    let py = t.py();
    let fields = fields_of(from_datetime(t, "t")?)?;
    let module = py.import("datetime")?;
    let class = module.getattr("datetime")?;
    let utc = PyTzInfo::utc(py)?;
    let mut ways = vec![
        DatetimeConstructor::Fields,
        DatetimeConstructor::State(class.clone().unbind()),
    ];
    if let Some(api) = c_api(py, &module, &class, &utc)? {
        ways.push(DatetimeConstructor::CApi {
            api,
            _module: module.clone().unbind(),
        });
    }
    let built = ways
        .iter()
        .map(|way| Ok((way.name(), way.build(py, fields)?)))
        .collect::<PyResult<_>>()?;
    Ok((DatetimeConstructor::get(py)?.name(), built))
}

/// Imports `datetime` and readies the fastest way to build one (see [`DatetimeConstructor`]).
pub fn load_datetime(py: Python<'_>) -> PyResult<()> {
    DatetimeConstructor::get(py).map(|_| ())
}

/// The calendar fields of an aware UTC `datetime`, checked to lie in its range.
#[derive(Clone, Copy)]
struct Fields {
    year: u16,
    month: u8,
    day: u8,
    hour: u8,
    minute: u8,
    second: u8,
    microsecond: u32,
}

impl Fields {
    /// The `datetime` through its constructor with one argument per field.
    fn datetime<'py>(
        self,
        py: Python<'py>,
        utc: &Bound<'py, PyTzInfo>,
    ) -> PyResult<Bound<'py, PyDateTime>> {
        PyDateTime::new(
            py,
            i32::from(self.year),
            self.month,
            self.day,
            self.hour,
            self.minute,
            self.second,
            self.microsecond,
            Some(utc),
        )
    }

    /// The fields in the 10 bytes `datetime` pickles itself as (`datetime.__reduce__`): year
    /// (2 bytes), month, day, hour, minute, second, microsecond (3 bytes), big-endian.
    fn state(self, py: Python<'_>) -> Bound<'_, PyBytes> {
        let [y1, y0] = self.year.to_be_bytes();
        let [_, u2, u1, u0] = self.microsecond.to_be_bytes();
        let state = [
            y1,
            y0,
            self.month,
            self.day,
            self.hour,
            self.minute,
            self.second,
            u2,
            u1,
            u0,
        ];
        PyBytes::new(py, &state)
    }
}

/// How this interpreter builds a `datetime` fastest.
///
/// The module is built for the stable ABI (one wheel for every Python from 3.9), where pyo3
/// builds a `datetime` by calling `datetime(y, m, d, ...)`, which parses eight arguments per
/// call: over a third of a listing's time in Python, reading two times per session
/// (bench/RESULTS.md). Two faster ways are tried at import, each checked against that
/// constructor on sample times and used only if every sample agrees:
/// - the datetime module's C API (its `datetime.datetime_CAPI` capsule, the table of
///   constructors `datetime.h` documents and every CPython since 3.7 begins the same way),
///   checked first to hold this interpreter's own `datetime`, `tzinfo` and UTC objects: a
///   direct call, no arguments parsed;
/// - `datetime(state, tzinfo)`, with the 10-byte state `datetime` pickles itself as (which
///   every Python must keep reading, so that old pickles load): no parsing either, but a call
///   through the type.
enum DatetimeConstructor {
    CApi {
        api: &'static DateTimeCapi,
        /// The `datetime` module, holding the table alive.
        _module: Py<PyModule>,
    },
    State(Py<PyAny>),
    Fields,
}

/// The start of CPython's `PyDateTime_CAPI` (`datetime.h`): the part this module reads.
#[repr(C)]
struct DateTimeCapi {
    date_type: *mut ffi::PyTypeObject,
    datetime_type: *mut ffi::PyTypeObject,
    time_type: *mut ffi::PyTypeObject,
    delta_type: *mut ffi::PyTypeObject,
    tzinfo_type: *mut ffi::PyTypeObject,
    timezone_utc: *mut ffi::PyObject,
    date_from_date:
        unsafe extern "C" fn(c_int, c_int, c_int, *mut ffi::PyTypeObject) -> *mut ffi::PyObject,
    datetime_from_date_and_time: unsafe extern "C" fn(
        c_int,
        c_int,
        c_int,
        c_int,
        c_int,
        c_int,
        c_int,
        *mut ffi::PyObject,
        *mut ffi::PyTypeObject,
    ) -> *mut ffi::PyObject,
}

// The table is immutable once the module made it, and only read with the GIL held.
unsafe impl Sync for DateTimeCapi {}

impl DatetimeConstructor {
    fn get(py: Python<'_>) -> PyResult<&Self> {
        static CONSTRUCTOR: PyOnceLock<DatetimeConstructor> = PyOnceLock::new();
        CONSTRUCTOR.get_or_try_init(py, || {
            let module = py.import("datetime")?;
            let class = module.getattr("datetime")?;
            let utc = PyTzInfo::utc(py)?;
            if let Some(api) = c_api(py, &module, &class, &utc)? {
                let way = DatetimeConstructor::CApi {
                    api,
                    _module: module.clone().unbind(),
                };
                if way.agrees(py, &utc)? {
                    return Ok(way);
                }
            }
            let way = DatetimeConstructor::State(class.unbind());
            if way.agrees(py, &utc)? {
                return Ok(way);
            }
            Ok(DatetimeConstructor::Fields)
        })
    }

    /// Which way this is (for the tests).
    fn name(&self) -> &'static str {
        match self {
            DatetimeConstructor::CApi { .. } => "c-api",
            DatetimeConstructor::State(_) => "state",
            DatetimeConstructor::Fields => "fields",
        }
    }

    /// The aware UTC `datetime` of `fields`.
    fn build<'py>(&self, py: Python<'py>, fields: Fields) -> PyResult<Bound<'py, PyAny>> {
        let utc = PyTzInfo::utc(py)?;
        match self {
            DatetimeConstructor::CApi { api, .. } => {
                // SAFETY: the table was checked at import to be this interpreter's datetime
                // C API, whose constructor takes in-range fields (checked by `Fields`), a
                // tzinfo and the datetime type, and returns a new reference or NULL with an
                // exception set.
                let made = unsafe {
                    (api.datetime_from_date_and_time)(
                        c_int::from(fields.year),
                        c_int::from(fields.month),
                        c_int::from(fields.day),
                        c_int::from(fields.hour),
                        c_int::from(fields.minute),
                        c_int::from(fields.second),
                        fields.microsecond as c_int,
                        utc.as_ptr(),
                        api.datetime_type,
                    )
                };
                // SAFETY: a new reference or NULL, as above.
                unsafe { Bound::from_owned_ptr_or_err(py, made) }
            }
            DatetimeConstructor::State(class) => class.bind(py).call1((fields.state(py), &*utc)),
            DatetimeConstructor::Fields => fields.datetime(py, &utc).map(Bound::into_any),
        }
    }

    /// Whether this way builds what the field constructor does, on times across the range.
    fn agrees(&self, py: Python<'_>, utc: &Borrowed<'_, '_, PyTzInfo>) -> PyResult<bool> {
        let samples = [
            (1, 1, 1, 0, 0, 0, 0),
            (1970, 1, 1, 0, 0, 0, 1),
            (2024, 2, 29, 23, 59, 59, 999_999),
            (2026, 12, 3, 8, 24, 45, 123_456),
            (9999, 12, 31, 23, 59, 59, 999_999),
        ];
        for (year, month, day, hour, minute, second, microsecond) in samples {
            let fields = Fields {
                year,
                month,
                day,
                hour,
                minute,
                second,
                microsecond,
            };
            let want = fields.datetime(py, utc)?;
            let same = self.build(py, fields).and_then(|got| {
                Ok(got.get_type().is(want.get_type())
                    && got.eq(&want)?
                    && got.getattr("tzinfo")?.is(&**utc))
            });
            if !same.unwrap_or(false) {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

/// The datetime module's C API table, when its capsule holds this interpreter's own
/// `datetime`, `tzinfo` and UTC objects.
fn c_api(
    py: Python<'_>,
    module: &Bound<'_, PyModule>,
    class: &Bound<'_, PyAny>,
    utc: &Borrowed<'_, '_, PyTzInfo>,
) -> PyResult<Option<&'static DateTimeCapi>> {
    // SAFETY: a NUL-terminated name; the call returns the capsule's pointer or NULL with an
    // exception set.
    let table = unsafe { ffi::PyCapsule_Import(c"datetime.datetime_CAPI".as_ptr(), 0) };
    if table.is_null() {
        // Not this interpreter's way: the other constructors serve.
        drop(PyErr::take(py));
        return Ok(None);
    }
    // SAFETY: the capsule of that name holds a `PyDateTime_CAPI`, which begins with the
    // fields of `DateTimeCapi`, and lives as long as the module (held by the constructor).
    let api = unsafe { &*(table as *const DateTimeCapi) };
    let tzinfo = module.getattr("tzinfo")?;
    let ours = std::ptr::eq(api.datetime_type.cast(), class.as_ptr())
        && std::ptr::eq(api.tzinfo_type.cast(), tzinfo.as_ptr())
        && std::ptr::eq(api.timezone_utc, utc.as_ptr());
    Ok(ours.then_some(api))
}

/// An aware `datetime` as a core time. `what` names the argument in errors.
///
/// # Errors
/// `TypeError` for anything but a `datetime`; `InvalidArgumentError` for a naive one.
pub fn from_datetime(value: &Bound<'_, PyAny>, what: &str) -> PyResult<SystemTime> {
    let py = value.py();
    let dt = value.cast::<PyDateTime>().map_err(|_| {
        PyTypeError::new_err(format!(
            "{what} must be a datetime.datetime, not {}",
            type_name(value)
        ))
    })?;
    let aware = dt.get_tzinfo().is_some() && !dt.call_method0("utcoffset")?.is_none();
    if !aware {
        return Err(invalid(format!(
            "{what} {} is a naive datetime (it has no timezone), which could mean any time; \
             pass an aware one, such as datetime.now(timezone.utc)",
            dt.repr()?
        )));
    }
    let since_epoch = dt.sub(epoch(py)?)?;
    let micros = delta_micros(since_epoch.cast::<PyDelta>()?);
    let magnitude = duration_from_micros(micros.unsigned_abs());
    let t = if micros >= 0 {
        magnitude.and_then(|m| UNIX_EPOCH.checked_add(m))
    } else {
        magnitude.and_then(|m| UNIX_EPOCH.checked_sub(m))
    };
    match t {
        Some(t) => Ok(t),
        None => Err(invalid(format!("{what} {} is out of range", dt.repr()?))),
    }
}

/// A non-negative `timedelta` as a core duration. `what` names the argument in errors.
///
/// # Errors
/// `TypeError` for anything but a `timedelta`; `InvalidArgumentError` for a negative one.
pub fn from_timedelta(value: &Bound<'_, PyAny>, what: &str) -> PyResult<Duration> {
    let delta = value.cast::<PyDelta>().map_err(|_| {
        PyTypeError::new_err(format!(
            "{what} must be a datetime.timedelta, not {}",
            type_name(value)
        ))
    })?;
    let micros = delta_micros(delta);
    if micros < 0 {
        return Err(invalid(format!(
            "{what} {} is negative; pass a duration of zero or more",
            delta.repr()?
        )));
    }
    match duration_from_micros(micros.unsigned_abs()) {
        Some(d) => Ok(d),
        None => Err(invalid(format!("{what} {} is out of range", delta.repr()?))),
    }
}

/// A core duration as a `timedelta` (cut to the microsecond).
pub fn to_timedelta(py: Python<'_>, d: Duration) -> PyResult<Bound<'_, PyDelta>> {
    d.into_pyobject(py)
}

/// A `timedelta`'s exact length in microseconds (its fields are normalized: only `days` may be
/// negative).
fn delta_micros(delta: &Bound<'_, PyDelta>) -> i128 {
    i128::from(delta.get_days()) * MICROS_PER_DAY
        + i128::from(delta.get_seconds()) * MICROS_PER_SECOND
        + i128::from(delta.get_microseconds())
}

fn duration_from_micros(micros: u128) -> Option<Duration> {
    let secs = u64::try_from(micros / MICROS_PER_SECOND as u128).ok()?;
    Some(Duration::new(
        secs,
        (micros % MICROS_PER_SECOND as u128) as u32 * 1000,
    ))
}

fn type_name(value: &Bound<'_, PyAny>) -> String {
    value
        .get_type()
        .name()
        .map_or_else(|_| "?".to_owned(), |n| n.to_string())
}
