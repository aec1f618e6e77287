//! The Python store as the Rust facade's host (`hyperparameter::host`): Rust code in this
//! extension that uses `get_param!` / `with_params!` while it holds the GIL reads and writes
//! the current Python context's frames, so values set in Python are read by Rust in the same
//! thread and the other way round (DESIGN §4, §13). Only while the Rust store backend is bound:
//! under `HYPERPARAMETER_BACKEND=python` the facade keeps its own thread-local frames.

use std::sync::Arc;

use hp_store::EntryMap;
use hyperparameter::host::{Host, HostFrame};
use hyperparameter::{get_param, with_params, Error, Value};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyFloat, PyInt, PyList, PyString, PyTuple};

use super::{current, entry_map, pop_frame, push_frame, scope_fns, Val, BOUND, STORE};

struct PyHost;

static PY_HOST: PyHost = PyHost;

/// Installs the Python store as the facade's host (module init).
pub fn install() {
    // Only this module installs one; a second import of the module finds it installed.
    let _ = hyperparameter::host::install(&PY_HOST);
}

fn host_err(e: PyErr) -> Error {
    Error::Host(e.to_string())
}

/// A Python value as Rust reads it; a raw `-D` string (`coerce.Raw`) is its text.
fn to_value(key: &str, obj: &Bound<'_, PyAny>) -> Result<Value, Error> {
    if obj.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if obj.is_instance_of::<PyInt>() {
        return obj
            .extract::<i64>()
            .map(Value::Int)
            .map_err(|_| Error::Host(format!("{key}: the int {obj} does not fit 64 bits")));
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        return Ok(Value::Float(f.value()));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Value::from(s.to_str().map_err(host_err)?));
    }
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        let items: Result<Vec<Value>, Error> = obj
            .try_iter()
            .map_err(host_err)?
            .map(|item| to_value(key, &item.map_err(host_err)?))
            .collect();
        return Ok(Value::List(items?.into()));
    }
    let ty = obj.get_type();
    let module = ty.module().map(|m| m.to_string()).unwrap_or_default();
    let name = ty.name().map(|n| n.to_string()).unwrap_or_default();
    if module == "hyperparameter.coerce" && name == "Raw" {
        let text = obj.getattr("text").map_err(host_err)?;
        return to_value(key, &text);
    }
    Err(Error::Host(format!(
        "{key}: a {module}.{name} value cannot be read from Rust"
    )))
}

fn to_py(py: Python<'_>, v: &Value) -> PyResult<Py<PyAny>> {
    Ok(match v {
        Value::Null => py.None(),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any().unbind(),
        Value::Int(i) => i.into_pyobject(py)?.into_any().unbind(),
        Value::Float(f) => PyFloat::new(py, *f).into_any().unbind(),
        Value::Str(s) => PyString::new(py, s).into_any().unbind(),
        Value::List(items) => {
            let list = PyList::empty(py);
            for item in items.iter() {
                list.append(to_py(py, item)?)?;
            }
            list.into_any().unbind()
        }
    })
}

impl Host for PyHost {
    fn active(&self) -> bool {
        // SAFETY: PyGILState_Check only reads the calling thread's state; Python is initialized
        // (this code runs inside one of its extension modules).
        if unsafe { ffi::PyGILState_Check() } == 0 {
            return false;
        }
        Python::attach(|py| BOUND.get(py).is_some())
    }

    fn get(&self, hash: u64, key: &str) -> Result<Option<Value>, Error> {
        Python::attach(|py| {
            let cur = current(py).map_err(host_err)?;
            let frame = cur.as_ref().map(|f| &*f.get().frame);
            match STORE.get_with(frame, hash, key, |v| to_value(key, v.0.bind(py))) {
                Ok(Some(v)) => v.map(Some),
                Ok(None) => Ok(None),
                Err(c) => Err(Error::Collision(c)),
            }
        })
    }

    fn enter(&self, entries: &EntryMap<Value>, opaque: bool) -> Result<HostFrame, Error> {
        Python::attach(|py| -> PyResult<HostFrame> {
            let items = PyList::empty(py);
            for (key, value) in entries.iter() {
                items.append((hp_store::key_hash(key), key, to_py(py, value)?))?;
            }
            // Under a typed scope, what this scope sets is checked against the bound schemas
            // first, as a Python scope's entries are.
            let outer = current(py)?.and_then(|f| f.get().bound.as_ref().map(|b| b.clone_ref(py)));
            let items = match outer {
                Some(outer) if !entries.is_empty() => scope_fns(py)?
                    .validate_fn
                    .bind(py)
                    .call1((outer.bind(py), items))?,
                _ => items.into_any(),
            };
            let map: EntryMap<Val> = entry_map(py, &items)?;
            let owner = py.import("builtins")?.getattr("object")?.call0()?;
            push_frame(py, Arc::new(map), opaque, &owner, None)?;
            Ok(HostFrame(Box::new(owner.unbind())))
        })
        .map_err(host_err)
    }

    fn exit(&self, frame: HostFrame) {
        Python::attach(|py| {
            if let Ok(owner) = frame.0.downcast::<Py<PyAny>>() {
                if let Err(e) = pop_frame(py, owner.bind(py)) {
                    e.write_unraisable(py, None);
                }
            }
        });
    }

    fn put(&self, hash: u64, key: &str, value: Value) -> Result<(), Error> {
        Python::attach(|py| super::put(py, hash, key, to_py(py, &value)?)).map_err(host_err)
    }

    fn effective(&self) -> Result<Vec<(String, Value)>, Error> {
        Python::attach(|py| {
            let list = super::effective(py).map_err(host_err)?;
            let mut out = Vec::with_capacity(list.len());
            for item in list.iter() {
                let (k, v): (String, Bound<'_, PyAny>) = item.extract().map_err(host_err)?;
                let v = to_value(&k, &v)?;
                out.push((k, v));
            }
            Ok(out)
        })
    }

    fn freeze(&self) -> Result<(), Error> {
        Python::attach(super::freeze).map_err(host_err)
    }
}

/// Test-only (tests/storage/test_rust_api.py): `rust.*` read with `get_param!`, each typed
/// by its default.
#[pyfunction]
pub fn _facade_read() -> (f64, i64, String, bool) {
    (
        get_param!(rust.lr, 0.5),
        get_param!(rust.layers, 1),
        get_param!(rust.name, "none".to_string()),
        get_param!(rust.amp, false),
    )
}

/// Test-only: calls `callback` inside `with_params! { @set rust.lr = 0.25; @set rust.name =
/// "from-rust"; }` and returns what it returns; an exception it raises leaves the scope too.
#[pyfunction]
pub fn _facade_scope(callback: Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    with_params! {
        @set rust.lr = 0.25;
        @set rust.name = "from-rust";
        let out = callback.call0()?;
        Ok(out.unbind())
    }
}
