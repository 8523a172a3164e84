//! The exception classes of `outrig` and the one mapping from the core's error kinds to them.
//!
//! The classes are made once, with `type()`, so each can inherit from `OutrigError` *and* the
//! builtin a Python caller already catches (`ValueError`, `FileNotFoundError`, `OSError`, ...).
//! Every class prints the core's message alone: `OutrigError` takes `BaseException.__str__`,
//! so `OSError`'s `[Errno n]` prefix never replaces it, while `errno`, `strerror` and
//! `filename` are still set for the `OSError` kinds.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};

use outrig::{Error, ErrorKind};
use pyo3::exceptions::{
    PyBaseException, PyBlockingIOError, PyException, PyFileExistsError, PyFileNotFoundError,
    PyOSError, PyValueError,
};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyTuple, PyType};

/// The module the classes claim, so their repr, pickling and docs say `outrig.NotFoundError`.
const MODULE: &str = "outrig";

/// The exception classes, made once per process: the base, and one per core kind in the order
/// of `ErrorKind::ALL`.
struct Classes {
    base: Py<PyType>,
    by_kind: Vec<(ErrorKind, Py<PyType>)>,
}

static CLASSES: PyOnceLock<Classes> = PyOnceLock::new();

/// The builtin exception a kind's class also derives from, if any.
#[derive(Clone, Copy)]
enum Builtin {
    None,
    Value,
    FileNotFound,
    FileExists,
    BlockingIo,
    Os,
}

/// Each kind's class: its name, its builtin base, its docstring. A kind added to the core
/// without a class here makes importing the module fail (every test then fails), never falls
/// back silently to the base class.
fn class_spec(kind: ErrorKind) -> Option<(&'static str, Builtin, &'static str)> {
    Some(match kind {
        ErrorKind::InvalidArgument => (
            "InvalidArgumentError",
            Builtin::Value,
            "An argument was refused before anything touched the filesystem: an invalid \
             session id or log name, an empty required value, a string that is not valid \
             Unicode, a naive datetime, an exit code out of range. Also a ValueError.",
        ),
        ErrorKind::NotFound => (
            "NotFoundError",
            Builtin::FileNotFound,
            "The session, record or path named does not exist. Also a FileNotFoundError.",
        ),
        ErrorKind::AlreadyExists => (
            "AlreadyExistsError",
            Builtin::FileExists,
            "Something that must be new already exists. Also a FileExistsError.",
        ),
        ErrorKind::DirNotUsable => (
            "DirNotUsableError",
            Builtin::None,
            "An explicit session directory cannot take a new session (not a directory, not \
             empty, holds an earlier record, inside the root), or a log path is blocked.",
        ),
        ErrorKind::CorruptRecord => (
            "CorruptRecordError",
            Builtin::None,
            "A session.json could not be read as a session record.",
        ),
        ErrorKind::Config => (
            "ConfigError",
            Builtin::None,
            "The global config file is unreadable or malformed, or no home directory is \
             known when the default root needs one.",
        ),
        ErrorKind::Busy => (
            "BusyError",
            Builtin::BlockingIo,
            "The session is in use by a running launcher: its lock was not free within the \
             store's short bounded wait. Also a BlockingIOError.",
        ),
        ErrorKind::Io => (
            "OutrigIOError",
            Builtin::Os,
            "Any other operating-system error. Also an OSError: `errno` is set, and \
             `filename` when the error is about one path.",
        ),
        _ => return None,
    })
}

fn classes(py: Python<'_>) -> PyResult<&'static Classes> {
    CLASSES.get_or_try_init(py, || {
        let base = make_class(
            py,
            "OutrigError",
            &[py.get_type::<PyException>()],
            "Base class of every error the session store raises; `str()` is the message, which \
             names the path or id concerned and says what to do.",
            true,
        )?;
        let mut by_kind = Vec::with_capacity(ErrorKind::ALL.len());
        for kind in ErrorKind::ALL {
            let Some((name, builtin, doc)) = class_spec(kind) else {
                return Err(PyErr::new::<pyo3::exceptions::PyImportError, _>(format!(
                    "outrig has no exception class for the error kind {kind:?}; this build is \
                     broken, please report it"
                )));
            };
            let mut bases = vec![base.bind(py).clone()];
            bases.extend(match builtin {
                Builtin::None => None,
                Builtin::Value => Some(py.get_type::<PyValueError>()),
                Builtin::FileNotFound => Some(py.get_type::<PyFileNotFoundError>()),
                Builtin::FileExists => Some(py.get_type::<PyFileExistsError>()),
                Builtin::BlockingIo => Some(py.get_type::<PyBlockingIOError>()),
                Builtin::Os => Some(py.get_type::<PyOSError>()),
            });
            by_kind.push((kind, make_class(py, name, &bases, doc, false)?));
        }
        Ok::<_, PyErr>(Classes { base, by_kind })
    })
}

/// `type(name, bases, {...})`; the base class also takes `BaseException.__str__`.
fn make_class(
    py: Python<'_>,
    name: &str,
    bases: &[Bound<'_, PyType>],
    doc: &str,
    plain_str: bool,
) -> PyResult<Py<PyType>> {
    let namespace = PyDict::new(py);
    namespace.set_item("__module__", MODULE)?;
    namespace.set_item("__doc__", doc)?;
    if plain_str {
        namespace.set_item(
            "__str__",
            py.get_type::<PyBaseException>().getattr("__str__")?,
        )?;
    }
    let class = py
        .get_type::<PyType>()
        .call1((name, PyTuple::new(py, bases)?, namespace))?;
    Ok(class.cast_into::<PyType>()?.unbind())
}

/// Adds the classes to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    let c = classes(py)?;
    for class in std::iter::once(&c.base).chain(c.by_kind.iter().map(|(_, class)| class)) {
        let class = class.bind(py);
        m.add(class.name()?, class)?;
    }
    Ok(())
}

/// The Python exception for a core error: the class of its kind, the core's message, and for
/// the `OSError` kinds `errno`/`strerror` (the OS's, or ENOENT/EEXIST when the kind implies
/// one) and `filename` (the path the OS refused, when there is one).
pub fn to_pyerr(py: Python<'_>, e: &Error) -> PyErr {
    build(py, e).unwrap_or_else(|failed| failed)
}

fn build(py: Python<'_>, e: &Error) -> PyResult<PyErr> {
    let c = classes(py)?;
    let class = c
        .by_kind
        .iter()
        .find(|(kind, _)| *kind == e.kind())
        .map_or(&c.base, |(_, class)| class);
    let implied_errno = match e.kind() {
        ErrorKind::NotFound => Some("ENOENT"),
        ErrorKind::AlreadyExists => Some("EEXIST"),
        ErrorKind::Busy => Some("EWOULDBLOCK"),
        _ => None,
    };
    let exc = class.bind(py).call1((e.message(),))?;
    if exc.is_instance_of::<PyOSError>() {
        let errno = match (e.os_error(), implied_errno) {
            (Some(n), _) => Some(n),
            (None, Some(name)) => Some(py.import("errno")?.getattr(name)?.extract::<i32>()?),
            (None, None) => None,
        };
        if let Some(n) = errno {
            exc.setattr("errno", n)?;
            exc.setattr("strerror", py.import("os")?.call_method1("strerror", (n,))?)?;
        }
        if let Some(path) = e.path() {
            exc.setattr("filename", path.as_os_str())?;
        }
    }
    Ok(PyErr::from_value(exc))
}

/// An `InvalidArgumentError` with `message`.
pub fn invalid(message: impl Into<String>) -> PyErr {
    Python::attach(|py| to_pyerr(py, &Error::new(ErrorKind::InvalidArgument, message)))
}

/// Maps a core result's error to its Python exception.
pub fn check<T>(py: Python<'_>, r: outrig::Result<T>) -> PyResult<T> {
    r.map_err(|e| to_pyerr(py, &e))
}

/// Runs `f` (a call into the core that touches the filesystem) with the GIL released, so other
/// Python threads run meanwhile, and maps its error. A panic (a bug) becomes an `OutrigError`
/// instead of unwinding into Python.
pub fn detach<T, F>(py: Python<'_>, f: F) -> PyResult<T>
where
    F: Send + FnOnce() -> outrig::Result<T>,
    T: Send,
{
    match py.detach(|| catch_unwind(AssertUnwindSafe(f))) {
        Ok(result) => check(py, result),
        Err(panic) => Err(panic_error(py, panic.as_ref())),
    }
}

fn panic_error(py: Python<'_>, panic: &(dyn Any + Send)) -> PyErr {
    let what = panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("unknown panic");
    let message = format!("internal error in the outrig library: {what}; please report this bug");
    match classes(py) {
        Ok(c) => PyErr::from_type(c.base.bind(py).clone(), message),
        Err(e) => e,
    }
}

/// The exception the module raises for a core error of kind `kind` (the kind's stable name,
/// such as `"already exists"`) and `message`. For tests of the mapping: some kinds are hard to
/// provoke through the store.
#[pyfunction]
pub fn _error_for_kind(py: Python<'_>, kind: &str, message: &str) -> PyResult<Py<PyAny>> {
    let Some(kind) = ErrorKind::ALL.into_iter().find(|k| k.as_str() == kind) else {
        let names: Vec<&str> = ErrorKind::ALL.iter().map(|k| k.as_str()).collect();
        return Err(invalid(format!(
            "unknown error kind {kind:?}; use one of {names:?}"
        )));
    };
    Ok(to_pyerr(py, &Error::new(kind, message))
        .into_value(py)
        .into_any())
}
