//! The container probe as Python gives it: `None` (the default: `podman`/`docker ps`),
//! `False` (never ask: unleased, unfinalized sessions are `State.UNKNOWN`), or a callable that
//! takes the list of container names and returns those running (any iterable of `str`), or
//! `None` when it cannot tell.

use outrig::ContainerProbe;
use pyo3::prelude::*;
use pyo3::types::PyBool;

use crate::errors::invalid;

/// The core's probe for the `container_probe` argument.
pub fn from_python(arg: Option<&Bound<'_, PyAny>>) -> PyResult<ContainerProbe> {
    let Some(arg) = arg.filter(|a| !a.is_none()) else {
        return Ok(ContainerProbe::engine());
    };
    if arg.is_instance_of::<PyBool>() {
        return if arg.is_truthy()? {
            Ok(ContainerProbe::engine())
        } else {
            Ok(ContainerProbe::none())
        };
    }
    if !arg.is_callable() {
        return Err(invalid(format!(
            "container_probe must be None (podman/docker), False (no probe) or a callable \\
             taking the container names and returning those running, not {}",
            arg.get_type().name()?
        )));
    }
    let callable = arg.clone().unbind();
    Ok(ContainerProbe::custom(move |names| {
        Python::attach(|py| match ask(py, &callable, names) {
            Ok(running) => running,
            Err(e) => {
                // A probe that fails cannot tell; say why without raising into the store.
                e.write_unraisable(py, Some(callable.bind(py)));
                None
            }
        })
    }))
}

fn ask(py: Python<'_>, callable: &Py<PyAny>, names: &[String]) -> PyResult<Option<Vec<String>>> {
    let answer = callable.bind(py).call1((names.to_vec(),))?;
    if answer.is_none() {
        return Ok(None);
    }
    answer
        .try_iter()?
        .map(|name| name?.extract::<String>())
        .collect::<PyResult<Vec<String>>>()
        .map(Some)
}
