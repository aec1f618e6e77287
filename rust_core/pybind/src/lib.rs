//! `hyperparameter._core`: the PyO3 face of `hp-store`. No logic of its own — it keeps the
//! current frame in the Python `ContextVar` that `hyperparameter.storage` binds, so asyncio
//! tasks and threads get their own chains, and forwards every operation to `hp_store`.

use std::collections::HashSet;
use std::ptr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use hp_store::{Collision, EntryMap, Frame, Store};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple, PyType};

type PyFrameInner = Frame<Val>;

static STORE: Store<Val> = Store::new();

/// A stored Python value. Tables are copied (copy-on-write writes, snapshots) only while the
/// GIL is held, and a copy of a value is a reference count increment.
#[derive(Debug)]
struct Val(Py<PyAny>);

impl Clone for Val {
    fn clone(&self) -> Self {
        Python::attach(|py| Val(self.0.clone_ref(py)))
    }
}
static SERIAL: AtomicU64 = AtomicU64::new(1);

/// What `bind` registers: the context variable and the exception classes of `errors.py`.
struct Binding {
    var: Py<PyAny>,
    scope_error: Py<PyType>,
    invalid_key_error: Py<PyType>,
    /// `_keys._HASHES`: validated key -> hash. Python owns validation and the hash cache
    /// (including the test hook that forces collisions); `Scope()` only reads it.
    hashes: Py<PyDict>,
    /// `_keys.scope_items(args, kwargs) -> (items, binding, view)`: the general path of
    /// `Scope()` (strings, groups, schema instances, new keys).
    items_fn: Py<PyAny>,
    /// `schema.validate_items(bound, items) -> items`: checks and coerces the entries of a
    /// scope entered under bound schemas.
    validate_fn: Py<PyAny>,
}

static BOUND: PyOnceLock<Binding> = PyOnceLock::new();

/// One frame of the chain, as held by the context variable.
#[pyclass(frozen, weakref, name = "Frame", module = "hyperparameter._core")]
struct PyFrame {
    frame: Arc<PyFrameInner>,
    serial: u64,
    /// The schemas bound by typed scopes at or outside this frame (a Python tuple), whose
    /// keys every inner scope and write is validated against; `None` when there are none.
    bound: Option<Py<PyAny>>,
}

#[pymethods]
impl PyFrame {
    /// Frames from the outermost (1) to this one.
    #[getter]
    fn depth(&self) -> usize {
        self.frame.depth()
    }

    /// Identifies the scope that entered this frame (kept across copy-on-write writes).
    #[getter]
    fn serial(&self) -> u64 {
        self.serial
    }

    fn __len__(&self) -> usize {
        self.frame.len()
    }
}

fn bound(py: Python<'_>) -> PyResult<&Binding> {
    BOUND
        .get(py)
        .ok_or_else(|| PyRuntimeError::new_err("hyperparameter._core is not bound"))
}

fn collision(py: Python<'_>, e: Collision) -> PyErr {
    match bound(py) {
        Ok(b) => PyErr::from_type(b.scope_error.bind(py).clone(), e.to_string()),
        Err(err) => err,
    }
}

/// The frame the current context points at, if any.
fn current<'py>(py: Python<'py>) -> PyResult<Option<Bound<'py, PyFrame>>> {
    let var = &bound(py)?.var;
    let mut out: *mut ffi::PyObject = ptr::null_mut();
    // SAFETY: `var` is a ContextVar (checked in `bind`); `out` receives a new reference or NULL.
    let rc = unsafe { ffi::PyContextVar_Get(var.as_ptr(), ptr::null_mut(), &mut out) };
    if rc < 0 {
        return Err(PyErr::fetch(py));
    }
    if out.is_null() {
        return Ok(None);
    }
    // SAFETY: `out` is a new, non-null reference returned by PyContextVar_Get.
    let obj = unsafe { Bound::from_owned_ptr(py, out) };
    if obj.is_none() {
        return Ok(None);
    }
    Ok(Some(obj.cast_into::<PyFrame>()?))
}

/// Points the current context at `frame`; returns the `contextvars.Token`.
fn set_current<'py>(py: Python<'py>, frame: PyFrame) -> PyResult<Bound<'py, PyAny>> {
    let var = &bound(py)?.var;
    let obj = Bound::new(py, frame)?;
    // SAFETY: `var` is a ContextVar; PyContextVar_Set returns a new reference or NULL on error.
    let token = unsafe { ffi::PyContextVar_Set(var.as_ptr(), obj.as_ptr()) };
    if token.is_null() {
        return Err(PyErr::fetch(py));
    }
    // SAFETY: non-null new reference.
    Ok(unsafe { Bound::from_owned_ptr(py, token) })
}

fn next_serial() -> u64 {
    SERIAL.fetch_add(1, Ordering::Relaxed)
}

/// Registers the context variable and the exception classes; called once by `storage.py`.
#[pyfunction]
fn bind(
    py: Python<'_>,
    var: Bound<'_, PyAny>,
    scope_error: Bound<'_, PyType>,
    invalid_key_error: Bound<'_, PyType>,
    hashes: Bound<'_, PyDict>,
    items_fn: Bound<'_, PyAny>,
    validate_fn: Bound<'_, PyAny>,
) -> PyResult<()> {
    // SAFETY: type check only.
    if unsafe { ffi::PyContextVar_CheckExact(var.as_ptr()) } == 0 {
        return Err(PyValueError::new_err(
            "bind() needs a contextvars.ContextVar",
        ));
    }
    let b = Binding {
        var: var.unbind(),
        scope_error: scope_error.unbind(),
        invalid_key_error: invalid_key_error.unbind(),
        hashes: hashes.unbind(),
        items_fn: items_fn.unbind(),
        validate_fn: validate_fn.unbind(),
    };
    if BOUND.set(py, b).is_err() {
        return Err(PyRuntimeError::new_err(
            "hyperparameter._core is already bound",
        ));
    }
    Ok(())
}

/// The value stored under `key` (with its precomputed `hash`), or `default`.
#[pyfunction]
fn get(py: Python<'_>, hash: u64, key: &str, default: Py<PyAny>) -> PyResult<Py<PyAny>> {
    let cur = current(py)?;
    let frame = cur.as_ref().map(|f| &*f.get().frame);
    match STORE.get_with(frame, hash, key, |v| v.0.clone_ref(py)) {
        Ok(Some(v)) => Ok(v),
        Ok(None) => Ok(default),
        Err(e) => Err(collision(py, e)),
    }
}

type Item = (u64, String, Py<PyAny>);

/// Pushes a frame holding `items` on the current context; returns `(token, serial)`.
fn push<'py, 'a>(
    py: Python<'py>,
    items: impl IntoIterator<Item = (u64, &'a str, Py<PyAny>)>,
    opaque: bool,
) -> PyResult<(Bound<'py, PyAny>, u64)> {
    let cur = current(py)?;
    let parent = cur.as_ref().map(|f| Arc::clone(&f.get().frame));
    let bound = cur
        .as_ref()
        .and_then(|f| f.get().bound.as_ref().map(|b| b.clone_ref(py)));
    let mut frame = Frame::new(parent, opaque);
    for (hash, key, value) in items {
        frame
            .insert(hash, key, Val(value))
            .map_err(|e| collision(py, e))?;
    }
    let serial = next_serial();
    let token = set_current(
        py,
        PyFrame {
            frame: Arc::new(frame),
            serial,
            bound,
        },
    )?;
    Ok((token, serial))
}

/// Pushes a frame holding `items` (`(hash, key, value)` tuples); returns `(token, serial)`.
#[pyfunction]
fn enter<'py>(
    py: Python<'py>,
    items: &Bound<'py, PyList>,
    opaque: bool,
) -> PyResult<Bound<'py, PyTuple>> {
    let items: Vec<Item> = items.extract()?;
    let (token, serial) = push(
        py,
        items
            .iter()
            .map(|(h, k, v)| (*h, k.as_str(), v.clone_ref(py))),
        opaque,
    )?;
    PyTuple::new(py, [token, serial.into_pyobject(py)?.into_any()])
}

/// Pops the frame entered with `serial`, restoring the context through `token`.
#[pyfunction]
fn exit(py: Python<'_>, token: Bound<'_, PyAny>, serial: u64) -> PyResult<()> {
    pop(py, &token, serial)
}

fn pop(py: Python<'_>, token: &Bound<'_, PyAny>, serial: u64) -> PyResult<()> {
    let b = bound(py)?;
    let cur = current(py)?;
    let found = cur.as_ref().map(|f| f.get().serial);
    if found != Some(serial) {
        return Err(PyErr::from_type(
            b.scope_error.bind(py).clone(),
            "unbalanced scope exit: the scope being left is not the innermost one \
             (scopes must exit in reverse order of entering, in the thread or task that entered them)",
        ));
    }
    // SAFETY: `var` is a ContextVar; `token` is checked by CPython itself.
    let rc = unsafe { ffi::PyContextVar_Reset(b.var.as_ptr(), token.as_ptr()) };
    if rc < 0 {
        let err = PyErr::fetch(py);
        return Err(PyErr::from_type(
            b.scope_error.bind(py).clone(),
            format!("cannot exit scope: {err}"),
        ));
    }
    Ok(())
}

/// The base of `param_scope(...)` objects: the parameters a scope sets, and entering and
/// leaving it. Keyword arguments whose keys are already known (validated and hashed by
/// Python) with scalar values are taken here; everything else goes through `api._items`.
#[pyclass(subclass, module = "hyperparameter._core", name = "Scope")]
struct Scope {
    // Built once: every enter shares it (the frame's own table), so entering allocates only
    // the frame and its Python handle.
    entries: Arc<EntryMap<Val>>,
    opaque: bool,
    tokens: Vec<(Py<PyAny>, u64)>,
    /// A 1-tuple holding the schema binding of `param_scope(cfg)`, else `None`.
    binding: Option<Py<PyAny>>,
    /// What `__enter__` returns for `param_scope(cfg)`: the typed view; else the scope.
    view: Option<Py<PyAny>>,
}

// Kind codes of `_keys._KINDS` (0 is a leaf).
const MAPPING: u8 = 1;
const SEQUENCE: u8 = 2;

/// Walks a config instance the way `_keys.flatten` does — groups by leaf, lists whole and by
/// index — with the per-type plans of `_keys.Deferred`, building key texts in Rust.
fn walk_into(
    py: Python<'_>,
    deferred: &Bound<'_, PyAny>,
    entries: &mut EntryMap<Val>,
) -> PyResult<()> {
    let kinds = deferred.getattr("kinds")?.cast_into::<PyDict>()?;
    let kind_fn = deferred.getattr("kind")?;
    let segment_fn = deferred.getattr("segment")?;
    let collision_fn = deferred.getattr("collision")?;
    let mut insert = |key: &str, value: &Bound<'_, PyAny>| -> PyResult<()> {
        entries
            .insert(hp_store::key_hash(key), key, Val(value.clone().unbind()))
            .map_err(|e| collision(py, e))
    };
    // `None` for a key marks the end of a group's children; `path` holds the groups being
    // walked (by address): meeting one of them again is a cycle, as in `_keys.flatten`.
    let mut stack: Vec<(Option<String>, Bound<'_, PyAny>)> =
        vec![(Some(String::new()), deferred.getattr("value")?)];
    let mut path: HashSet<usize> = HashSet::new();
    while let Some((key, node)) = stack.pop() {
        let Some(key) = key else {
            path.remove(&(node.as_ptr() as usize));
            continue;
        };
        let kind = match kinds.get_item(node.get_type())? {
            Some(k) => k,
            None => kind_fn.call1((&node,))?,
        };
        let join = |name: &str| {
            if key.is_empty() {
                name.to_owned()
            } else {
                format!("{key}.{name}")
            }
        };
        let code = kind.extract::<u8>().ok();
        let group = match code {
            Some(MAPPING) => node.len()? > 0,
            Some(SEQUENCE) | None => true,
            Some(_) => false,
        };
        if group {
            if !path.insert(node.as_ptr() as usize) {
                let message = format!("{key}: the value contains itself (a cycle)");
                return Err(pyo3::exceptions::PyValueError::new_err(message));
            }
            stack.push((None, node.clone()));
        }
        if let Some(code) = code {
            match code {
                MAPPING if node.len()? > 0 => {
                    // Keys of one dict are distinct, so only a key that is not an exact `str`
                    // (`0` beside `"0"`) can make two children one segment.
                    let first = stack.len();
                    let mut all_str = true;
                    for pair in node.call_method0("items")?.try_iter()? {
                        let (k, v): (Bound<'_, PyAny>, Bound<'_, PyAny>) = pair?.extract()?;
                        all_str &= k.is_exact_instance_of::<PyString>();
                        let name = match k.cast::<PyString>() {
                            Ok(s)
                                if s.to_str()?.is_ascii()
                                    && hp_store::check_key(s.to_str()?).is_ok()
                                    && !s.to_str()?.contains('.') =>
                            {
                                s.to_str()?.to_owned()
                            }
                            _ => segment_fn.call1((&k,))?.extract::<String>()?,
                        };
                        stack.push((Some(join(&name)), v));
                    }
                    if !all_str {
                        let mut seen = HashSet::new();
                        if !stack[first..]
                            .iter()
                            .all(|(k, _)| seen.insert(k.as_deref()))
                        {
                            let e = collision_fn.call1((&node, &key))?;
                            return Err(PyErr::from_value(e));
                        }
                    }
                }
                SEQUENCE => {
                    insert(&key, &node)?;
                    for (i, item) in node.try_iter()?.enumerate() {
                        let item = item?;
                        let item_key = join(&i.to_string());
                        insert(&item_key, &item)?;
                        stack.push((Some(item_key), item));
                    }
                }
                _ => insert(&key, &node)?, // a leaf, or an empty mapping
            }
        } else {
            for name in kind.cast::<PyTuple>()?.iter() {
                let name = name.cast_into::<PyString>()?;
                let child = node.getattr(&name)?;
                stack.push((Some(join(name.to_str()?)), child));
            }
        }
    }
    Ok(())
}

/// The entries of Python's `[(hash or None, key, value), …]`, keys borrowed (copied once), or
/// of a `_keys.Deferred` config walked here.
fn entry_map(py: Python<'_>, items: &Bound<'_, PyAny>) -> PyResult<EntryMap<Val>> {
    let Ok(items) = items.cast::<PyList>() else {
        // Sized like the last config of this class, so the table does not grow while filled.
        let sizes = items.getattr("sizes")?.cast_into::<PyDict>()?;
        let cls = items.getattr("value")?.get_type();
        let hint = match sizes.get_item(&cls)? {
            Some(n) => n.extract::<usize>()?,
            None => 64,
        };
        let mut entries = EntryMap::with_capacity(hint);
        walk_into(py, items, &mut entries)?;
        sizes.set_item(cls, entries.len())?;
        entries.shrink_to_fit();
        return Ok(entries);
    };
    let mut entries = EntryMap::with_capacity(items.len());
    for item in items.iter() {
        let item = item.cast_into::<PyTuple>()?;
        let key = item.get_item(1)?;
        let key = key.cast::<PyString>()?.to_str()?;
        let h = item.get_item(0)?;
        let h = if h.is_none() {
            hp_store::key_hash(key)
        } else {
            h.extract::<u64>()?
        };
        entries
            .insert(h, key, Val(item.get_item(2)?.unbind()))
            .map_err(|e| collision(py, e))?;
    }
    entries.shrink_to_fit();
    Ok(entries)
}

fn none_to_option(obj: Bound<'_, PyAny>) -> Option<Py<PyAny>> {
    if obj.is_none() {
        None
    } else {
        Some(obj.unbind())
    }
}

fn is_scalar(v: &Bound<'_, PyAny>) -> bool {
    v.is_none()
        || v.is_exact_instance_of::<PyInt>()
        || v.is_exact_instance_of::<PyFloat>()
        || v.is_exact_instance_of::<PyString>()
        || v.is_exact_instance_of::<PyBool>()
}

/// Keyword arguments whose keys Python already validated and hashed, with scalar values;
/// `None` sends the call down the general path.
fn fast_entries(
    py: Python<'_>,
    b: &Binding,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<Option<EntryMap<Val>>> {
    let Some(kwargs) = kwargs else {
        return Ok(Some(EntryMap::default()));
    };
    let hashes = b.hashes.bind(py);
    let mut entries = EntryMap::with_capacity(kwargs.len());
    for (k, v) in kwargs.iter() {
        let Some(h) = hashes.get_item(&k)? else {
            return Ok(None);
        };
        if !is_scalar(&v) {
            return Ok(None);
        }
        let key = k.cast::<PyString>()?.to_str()?;
        entries
            .insert(h.extract::<u64>()?, key, Val(v.unbind()))
            .map_err(|e| collision(py, e))?;
    }
    Ok(Some(entries))
}

#[pymethods]
impl Scope {
    #[new]
    #[pyo3(signature = (*args, **kwargs))]
    fn new(
        py: Python<'_>,
        args: &Bound<'_, PyTuple>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let b = bound(py)?;
        let fast = if args.is_empty() {
            fast_entries(py, b, kwargs)?
        } else {
            None
        };
        let (entries, binding, view) = match fast {
            Some(entries) => (entries, None, None),
            None => {
                let kw = match kwargs {
                    Some(k) => k.clone(),
                    None => PyDict::new(py),
                };
                let (items, binding, view): (Bound<'_, PyAny>, Bound<'_, PyAny>, Bound<'_, PyAny>) =
                    b.items_fn.bind(py).call1((args, kw))?.extract()?;
                (
                    entry_map(py, &items)?,
                    none_to_option(binding),
                    none_to_option(view),
                )
            }
        };
        Ok(Scope {
            entries: Arc::new(entries),
            opaque: false,
            tokens: Vec::new(),
            binding,
            view,
        })
    }

    fn __enter__<'py>(slf: Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let view = {
            let mut this = slf.borrow_mut();
            let cur = current(py)?;
            let parent = cur.as_ref().map(|f| Arc::clone(&f.get().frame));
            let outer = cur
                .as_ref()
                .and_then(|f| f.get().bound.as_ref().map(|b| b.clone_ref(py)));
            // Under a typed scope, what this scope sets is checked (and coerced) on entering.
            let entries = match &outer {
                Some(outer) if !this.entries.is_empty() => {
                    let items = PyList::empty(py);
                    for (key, value) in this.entries.iter() {
                        let h = hp_store::key_hash(key);
                        items.append((h, key, value.0.clone_ref(py)))?;
                    }
                    let checked = bound(py)?
                        .validate_fn
                        .bind(py)
                        .call1((outer.bind(py), items))?;
                    Arc::new(entry_map(py, &checked)?)
                }
                _ => Arc::clone(&this.entries),
            };
            let bound_here = match (outer, &this.binding) {
                (Some(o), Some(b)) => Some(o.bind(py).add(b.bind(py))?.unbind()),
                (Some(o), None) => Some(o),
                (None, Some(b)) => Some(b.clone_ref(py)),
                (None, None) => None,
            };
            let frame = Frame::with_shared(parent, entries, this.opaque);
            let serial = next_serial();
            let token = set_current(
                py,
                PyFrame {
                    frame: Arc::new(frame),
                    serial,
                    bound: bound_here,
                },
            )?;
            this.tokens.push((token.unbind(), serial));
            this.view.as_ref().map(|v| v.clone_ref(py))
        };
        Ok(match view {
            Some(v) => v.into_bound(py),
            None => slf.into_any(),
        })
    }

    #[pyo3(signature = (_exc_type=None, _exc=None, _tb=None))]
    fn __exit__(
        &mut self,
        py: Python<'_>,
        _exc_type: Option<&Bound<'_, PyAny>>,
        _exc: Option<&Bound<'_, PyAny>>,
        _tb: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let Some((token, serial)) = self.tokens.last() else {
            return Err(PyErr::from_type(
                bound(py)?.scope_error.bind(py).clone(),
                "param_scope exited without being entered",
            ));
        };
        pop(py, token.bind(py), *serial)?;
        self.tokens.pop();
        Ok(())
    }

    /// Makes this scope hide every inherited key (`param_scope.empty`).
    fn _hp_make_opaque(&mut self) {
        self.opaque = true;
    }

    /// The keys this scope sets, sorted.
    fn _hp_keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self.entries.iter().map(|(k, _)| k.to_owned()).collect();
        keys.sort();
        keys
    }
}

/// Writes `key` into the innermost frame of this context (copy-on-write), or a new root frame.
#[pyfunction]
fn put(py: Python<'_>, hash: u64, key: &str, value: Py<PyAny>) -> PyResult<()> {
    let cur = current(py)?;
    let (next, serial, bound) = match &cur {
        Some(f) => {
            let f = f.get();
            let next = f
                .frame
                .with_entry(hash, key, Val(value))
                .map_err(|e| collision(py, e))?;
            (next, f.serial, f.bound.as_ref().map(|b| b.clone_ref(py)))
        }
        None => {
            let mut next = Frame::new(None, false);
            next.insert(hash, key, Val(value))
                .map_err(|e| collision(py, e))?;
            (next, next_serial(), None)
        }
    };
    set_current(
        py,
        PyFrame {
            frame: Arc::new(next),
            serial,
            bound,
        },
    )?;
    Ok(())
}

/// Hides every effective key in this context until the innermost frame's scope ends.
#[pyfunction]
fn clear(py: Python<'_>) -> PyResult<()> {
    let cur = current(py)?;
    let (next, serial, bound) = match &cur {
        Some(f) => {
            let f = f.get();
            let bound = f.bound.as_ref().map(|b| b.clone_ref(py));
            (f.frame.cleared(), f.serial, bound)
        }
        None => (Frame::new(None, true), next_serial(), None),
    };
    set_current(
        py,
        PyFrame {
            frame: Arc::new(next),
            serial,
            bound,
        },
    )?;
    Ok(())
}

/// Every effective `(key, value)` pair of this context, the frozen snapshot included.
#[pyfunction]
fn effective<'py>(py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
    let cur = current(py)?;
    let frame = cur.as_ref().map(|f| &*f.get().frame);
    let entries = STORE.effective(frame);
    let list = PyList::empty(py);
    for e in entries {
        list.append((e.key(), e.value().0.clone_ref(py)))?;
    }
    Ok(list)
}

/// Replaces the global snapshot with this context's effective parameters.
#[pyfunction]
fn freeze(py: Python<'_>) -> PyResult<()> {
    let cur = current(py)?;
    let frame = cur.as_ref().map(|f| &*f.get().frame);
    STORE.freeze(frame).map_err(|e| collision(py, e))
}

/// Drops the global snapshot (tests use this to start clean).
#[pyfunction]
fn reset_snapshot() {
    STORE.set_snapshot(None);
}

/// The schemas bound in this context (a tuple), or `None`.
#[pyfunction]
fn bound_schemas(py: Python<'_>) -> PyResult<Py<PyAny>> {
    Ok(current(py)?
        .and_then(|f| f.get().bound.as_ref().map(|b| b.clone_ref(py)))
        .unwrap_or_else(|| py.None()))
}

/// The current frame's depth (0 outside every scope).
#[pyfunction]
fn depth(py: Python<'_>) -> PyResult<usize> {
    Ok(current(py)?.map_or(0, |f| f.get().frame.depth()))
}

/// XXH64 (seed 42) of `key`'s UTF-8 bytes, computed by the Rust `const fn`.
#[pyfunction]
fn xxh64(key: &str) -> u64 {
    hp_store::key_hash(key)
}

fn checked_key(py: Python<'_>, key: &str) -> PyResult<u64> {
    hp_store::validate_key(key).map_err(|e| match bound(py) {
        Ok(b) => PyErr::from_type(b.invalid_key_error.bind(py).clone(), e.to_string()),
        Err(err) => err,
    })?;
    Ok(hp_store::key_hash(key))
}

/// Reads `key` the way Rust code does: hashing and validating in Rust, then walking the
/// current context's frames through `hp_store::Store`.
#[pyfunction]
#[pyo3(signature = (key, default=None))]
fn rust_read(py: Python<'_>, key: &str, default: Option<Py<PyAny>>) -> PyResult<Py<PyAny>> {
    let hash = checked_key(py, key)?;
    let cur = current(py)?;
    let frame = cur.as_ref().map(|f| &*f.get().frame);
    match STORE.get_with(frame, hash, key, |v| v.0.clone_ref(py)) {
        Ok(Some(v)) => Ok(v),
        Ok(None) => Ok(default.unwrap_or_else(|| py.None())),
        Err(e) => Err(collision(py, e)),
    }
}

/// Writes `key` the way Rust code does: hashed and validated in Rust, then `Frame::with_entry`.
#[pyfunction]
fn rust_write(py: Python<'_>, key: &str, value: Py<PyAny>) -> PyResult<()> {
    let hash = checked_key(py, key)?;
    put(py, hash, key, value)
}

/// Test-only hook: panics inside the extension, which PyO3 turns into a Python exception.
#[pyfunction]
fn _debug_panic(message: &str) -> PyResult<()> {
    panic!("{message}")
}

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<PyFrame>()?;
    m.add_class::<Scope>()?;
    m.add_function(wrap_pyfunction!(bind, m)?)?;
    m.add_function(wrap_pyfunction!(get, m)?)?;
    m.add_function(wrap_pyfunction!(enter, m)?)?;
    m.add_function(wrap_pyfunction!(exit, m)?)?;
    m.add_function(wrap_pyfunction!(put, m)?)?;
    m.add_function(wrap_pyfunction!(clear, m)?)?;
    m.add_function(wrap_pyfunction!(effective, m)?)?;
    m.add_function(wrap_pyfunction!(freeze, m)?)?;
    m.add_function(wrap_pyfunction!(reset_snapshot, m)?)?;
    m.add_function(wrap_pyfunction!(depth, m)?)?;
    m.add_function(wrap_pyfunction!(bound_schemas, m)?)?;
    m.add_function(wrap_pyfunction!(xxh64, m)?)?;
    m.add_function(wrap_pyfunction!(rust_read, m)?)?;
    m.add_function(wrap_pyfunction!(rust_write, m)?)?;
    m.add_function(wrap_pyfunction!(_debug_panic, m)?)?;
    Ok(())
}
