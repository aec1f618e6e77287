//! `hyperparameter._core`: the PyO3 face of `hp-store`. No logic of its own — it keeps the
//! current frame in the Python `ContextVar` that `hyperparameter.storage` binds, so asyncio
//! tasks and threads get their own chains, and forwards every operation to `hp_store`.

use std::collections::{HashMap, HashSet};
use std::hash::BuildHasherDefault;
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, TryLockError};

mod facade;

use hp_store::{Collision, EntryMap, Frame, IdentityHasher, Store};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyCFunction, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple, PyType};

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
/// What `bind` registers: the context variable and the exception classes of `errors.py`.
struct Binding {
    var: Py<PyAny>,
    /// The first item of the argument tuples `scope_factory` passes to `Scope.__new__`.
    packed: Py<PyAny>,
    /// `storage.TOP`: what the variable holds outside every scope once a scope has been left
    /// (exit restores the object that was current before, and "unset" is not an object).
    top: Py<PyAny>,
    scope_error: Py<PyType>,
    invalid_key_error: Py<PyType>,
    /// `_keys._HASHES`: validated key -> hash. Python owns validation and the hash cache
    /// (including the test hook that forces collisions); `Scope()` only reads it.
    hashes: Py<PyDict>,
}

static BOUND: PyOnceLock<Binding> = PyOnceLock::new();

/// What `bind_scopes` registers from the layers above the store.
struct ScopeFns {
    /// `api.items.scope_items(args, kwargs) -> (items, binding, view)`: the general path of
    /// `Scope()` (strings, groups, schema instances, new keys).
    items_fn: Py<PyAny>,
    /// `schema.views.validate_items(bound, items) -> items`: checks and coerces the entries of
    /// a scope entered under bound schemas.
    validate_fn: Py<PyAny>,
}

static SCOPE_FNS: PyOnceLock<ScopeFns> = PyOnceLock::new();

fn scope_fns(py: Python<'_>) -> PyResult<&ScopeFns> {
    SCOPE_FNS.get(py).ok_or_else(|| {
        PyRuntimeError::new_err("hyperparameter._core: bind_scopes() was not called")
    })
}

/// One frame of the chain, as held by the context variable.
///
/// A frame knows who pushed it and what was current before, so leaving a scope needs no state
/// in the scope object: one object can be entered by any number of threads and tasks at once,
/// each leaving its own frame in its own context. Copy-on-write writes keep both.
#[pyclass(frozen, weakref, name = "Frame", module = "hyperparameter._core")]
struct PyFrame {
    frame: Arc<PyFrameInner>,
    /// The schemas bound by typed scopes at or outside this frame (a Python tuple), whose
    /// keys every inner scope and write is validated against; `None` when there are none.
    bound: Option<Py<PyAny>>,
    /// The scope object (or `TLSKVStorage`) that entered this frame; `None` for a root frame
    /// made by a bare write outside every scope.
    owner: Option<Py<PyAny>>,
    /// What the context pointed at before this frame was entered (a frame, or `TOP`): what
    /// leaving it restores.
    before: Py<PyAny>,
}

#[pymethods]
impl PyFrame {
    /// Frames from the outermost (1) to this one.
    #[getter]
    fn depth(&self) -> usize {
        self.frame.depth()
    }

    fn __len__(&self) -> usize {
        self.frame.len()
    }
}

impl PyFrame {
    fn owned_by(&self, owner: &Bound<'_, PyAny>) -> bool {
        self.owner.as_ref().is_some_and(|o| o.is(owner))
    }

    /// The same frame with another table (a write or a clear), owner and origin kept.
    fn replaced(&self, py: Python<'_>, frame: PyFrameInner) -> PyFrame {
        PyFrame {
            frame: Arc::new(frame),
            bound: self.bound.as_ref().map(|b| b.clone_ref(py)),
            owner: self.owner.as_ref().map(|o| o.clone_ref(py)),
            before: self.before.clone_ref(py),
        }
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
    if obj.is(&bound(py)?.top) {
        return Ok(None);
    }
    Ok(Some(obj.cast_into::<PyFrame>()?))
}

/// Points the current context at `obj` (a frame, or `TOP`).
fn set_var(py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<()> {
    let var = &bound(py)?.var;
    // SAFETY: `var` is a ContextVar; PyContextVar_Set returns a new reference (the token, which
    // nothing needs: leaving a scope restores the frame's `before`) or NULL on error.
    let token = unsafe { ffi::PyContextVar_Set(var.as_ptr(), obj.as_ptr()) };
    if token.is_null() {
        return Err(PyErr::fetch(py));
    }
    // SAFETY: non-null new reference, released at once.
    unsafe { ffi::Py_DECREF(token) };
    Ok(())
}

/// Points the current context at a new frame.
fn set_current(py: Python<'_>, frame: PyFrame) -> PyResult<()> {
    set_var(py, Bound::new(py, frame)?.as_any())
}

/// The current context's frame object, or `TOP` outside every scope.
fn current_obj(py: Python<'_>) -> PyResult<(Py<PyAny>, Option<Bound<'_, PyFrame>>)> {
    match current(py)? {
        Some(f) => Ok((f.clone().into_any().unbind(), Some(f))),
        None => Ok((bound(py)?.top.clone_ref(py), None)),
    }
}

/// Pushes a frame holding `entries` for `owner` on the current context.
fn push_frame(
    py: Python<'_>,
    entries: Arc<EntryMap<Val>>,
    opaque: bool,
    owner: &Bound<'_, PyAny>,
    binding: Option<&Py<PyAny>>,
) -> PyResult<()> {
    let (before, cur) = current_obj(py)?;
    let parent = cur.as_ref().map(|f| Arc::clone(&f.get().frame));
    let outer = cur
        .as_ref()
        .and_then(|f| f.get().bound.as_ref().map(|b| b.clone_ref(py)));
    let bound_here = match (outer, binding) {
        (Some(o), Some(b)) => Some(o.bind(py).add(b.bind(py))?.unbind()),
        (Some(o), None) => Some(o),
        (None, Some(b)) => Some(b.clone_ref(py)),
        (None, None) => None,
    };
    set_current(
        py,
        PyFrame {
            frame: Arc::new(Frame::with_shared(parent, entries, opaque)),
            bound: bound_here,
            owner: Some(owner.clone().unbind()),
            before,
        },
    )
}

/// Is a frame of the current chain entered by `owner`?
fn entered_by(py: Python<'_>, owner: &Bound<'_, PyAny>) -> PyResult<bool> {
    let mut f = current(py)?;
    let top = &bound(py)?.top;
    while let Some(frame) = f {
        let frame = frame.get();
        if frame.owned_by(owner) {
            return Ok(true);
        }
        let before = frame.before.bind(py);
        if before.is(top) {
            return Ok(false);
        }
        f = Some(before.cast::<PyFrame>()?.clone());
    }
    Ok(false)
}

/// Leaves the innermost frame, which `owner` must have entered: the context points again at
/// what was current before it.
fn pop_frame(py: Python<'_>, owner: &Bound<'_, PyAny>) -> PyResult<()> {
    if let Some(f) = current(py)? {
        if f.get().owned_by(owner) {
            return set_var(py, f.get().before.bind(py));
        }
    }
    let message = if entered_by(py, owner)? {
        let open = match current(py)?.and_then(|f| f.get().owner.as_ref().map(|o| o.clone_ref(py)))
        {
            Some(o) => o.bind(py).repr()?.to_string(),
            None => "another scope".to_owned(),
        };
        unbalanced_message(&open)
    } else {
        "scope exited without being entered (in this thread or task)".to_owned()
    };
    Err(PyErr::from_type(
        bound(py)?.scope_error.bind(py).clone(),
        message,
    ))
}

/// The `ScopeError` text of leaving a scope while `open`, entered after it, is still entered.
fn unbalanced_message(open: &str) -> String {
    format!(
        "unbalanced scope exit: the innermost scope, {open}, was entered after this one and has \
         not been left (scopes exit in reverse order of entering, in the thread or task that \
         entered them; a generator suspended inside a `with` keeps its scope entered: close it, \
         e.g. with contextlib.aclosing)"
    )
}

/// Registers the context variable and the exception classes; called once by `storage`.
#[pyfunction]
fn bind(
    py: Python<'_>,
    var: Bound<'_, PyAny>,
    top: Bound<'_, PyAny>,
    scope_error: Bound<'_, PyType>,
    invalid_key_error: Bound<'_, PyType>,
    hashes: Bound<'_, PyDict>,
) -> PyResult<()> {
    // SAFETY: type check only.
    if unsafe { ffi::PyContextVar_CheckExact(var.as_ptr()) } == 0 {
        return Err(PyValueError::new_err(
            "bind() needs a contextvars.ContextVar",
        ));
    }
    let b = Binding {
        var: var.unbind(),
        packed: py.import("builtins")?.getattr("object")?.call0()?.unbind(),
        top: top.unbind(),
        scope_error: scope_error.unbind(),
        invalid_key_error: invalid_key_error.unbind(),
        hashes: hashes.unbind(),
    };
    if BOUND.set(py, b).is_err() {
        return Err(PyRuntimeError::new_err(
            "hyperparameter._core is already bound",
        ));
    }
    Ok(())
}

/// Registers how scopes are built and checked (`storage.bind_scopes`, called by the API).
#[pyfunction]
fn bind_scopes(
    py: Python<'_>,
    items_fn: Bound<'_, PyAny>,
    validate_fn: Bound<'_, PyAny>,
) -> PyResult<()> {
    let fns = ScopeFns {
        items_fn: items_fn.unbind(),
        validate_fn: validate_fn.unbind(),
    };
    if SCOPE_FNS.set(py, fns).is_err() {
        return Err(PyRuntimeError::new_err(
            "hyperparameter._core: bind_scopes() was already called",
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

/// Pushes a frame holding `items` (`(hash, key, value)` tuples) for `owner`, which
/// [`exit`] must name to leave it (`TLSKVStorage` uses itself).
#[pyfunction]
fn enter(
    py: Python<'_>,
    items: &Bound<'_, PyList>,
    opaque: bool,
    owner: &Bound<'_, PyAny>,
) -> PyResult<()> {
    let items: Vec<Item> = items.extract()?;
    let mut entries = EntryMap::with_capacity(items.len());
    for (hash, key, value) in items {
        entries
            .insert(hash, &key, Val(value))
            .map_err(|e| collision(py, e))?;
    }
    push_frame(py, Arc::new(entries), opaque, owner, None)
}

/// Leaves the innermost frame of this context, which `owner` must have entered.
#[pyfunction]
fn exit(py: Python<'_>, owner: &Bound<'_, PyAny>) -> PyResult<()> {
    pop_frame(py, owner)
}

/// The base of `param_scope(...)` objects: the parameters a scope sets, and entering and
/// leaving it. Keyword arguments whose keys are already known (validated and hashed by
/// Python) with scalar values are taken here; everything else goes through `api._items`.
///
/// Frozen: nothing in it changes while it is entered, so no native borrow exists to be held
/// across a call into Python, and any number of threads and tasks can enter one object at once.
#[pyclass(subclass, frozen, module = "hyperparameter._core", name = "Scope")]
struct Scope {
    // Built once: every enter shares it (the frame's own table), so entering allocates only
    // the frame and its Python handle.
    entries: Arc<EntryMap<Val>>,
    opaque: AtomicBool,
    /// A 1-tuple holding the schema binding of `param_scope(cfg)`, else `None`.
    binding: Option<Py<PyAny>>,
    /// What `__enter__` returns for `param_scope(cfg)`: the typed view; else the scope.
    view: Option<Py<PyAny>>,
    /// `ps[key]`'s accessors, made on first use by the class's `_hp_accessor_table(self)`.
    accessors: PyOnceLock<Py<PyAny>>,
    /// Where the entries came from when they are one object (a config instance, a snapshot),
    /// for the provenance of a capture; else `None`.
    origin: Option<Py<PyAny>>,
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
            hash_of(&h)?
        };
        entries
            .insert(h, key, Val(item.get_item(2)?.unbind()))
            .map_err(|e| collision(py, e))?;
    }
    entries.shrink_to_fit();
    Ok(entries)
}

/// A key hash that Python computed: an `int` in `0..2**64` (XXH64 of the key, from `_keys`).
fn hash_of(h: &Bound<'_, PyAny>) -> PyResult<u64> {
    // `PyLong_AsUnsignedLongLong` goes through a byte-array conversion (~250 instructions on
    // 3.11); the mask variant adds up the digits, exact for values in 0..2**64 — and the hash
    // cache holds nothing else (XXH64 results, and the test hook's u64 values).
    if h.is_exact_instance_of::<PyInt>() {
        // SAFETY: `h` is an int; the mask variant does not fail for an int.
        return Ok(unsafe { ffi::PyLong_AsUnsignedLongLongMask(h.as_ptr()) });
    }
    h.extract::<u64>()
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
            .insert(hash_of(&h)?, key, Val(v.unbind()))
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
        // `scope_factory`'s calls come packed: (PACKED, args, kwargs or None).
        let packed = (args.len() == 3 && args.get_item(0)?.is(&b.packed)).then(|| {
            let inner = args.get_item(1).ok()?.cast_into::<PyTuple>().ok()?;
            let kw = args.get_item(2).ok()?.cast_into::<PyDict>().ok();
            Some((inner, kw))
        });
        let (args, kwargs) = match &packed {
            Some(Some((inner, kw))) => (inner, kw.as_ref()),
            _ => (args, kwargs),
        };
        let fast = if args.is_empty() {
            fast_entries(py, b, kwargs)?
        } else {
            None
        };
        let (entries, binding, view, origin) = match fast {
            Some(entries) => (entries, None, None, None),
            None => {
                let kw = match kwargs {
                    Some(k) => k.clone(),
                    None => PyDict::new(py),
                };
                #[allow(clippy::type_complexity)]
                let (items, binding, view, origin): (
                    Bound<'_, PyAny>,
                    Bound<'_, PyAny>,
                    Bound<'_, PyAny>,
                    Bound<'_, PyAny>,
                ) = scope_fns(py)?
                    .items_fn
                    .bind(py)
                    .call1((args, kw))?
                    .extract()?;
                (
                    entry_map(py, &items)?,
                    none_to_option(binding),
                    none_to_option(view),
                    none_to_option(origin),
                )
            }
        };
        Ok(Scope {
            entries: Arc::new(entries),
            opaque: AtomicBool::new(false),
            binding,
            view,
            accessors: PyOnceLock::new(),
            origin,
        })
    }

    fn __enter__<'py>(slf: Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let this = slf.get();
        let outer = current(py)?.and_then(|f| f.get().bound.as_ref().map(|b| b.clone_ref(py)));
        // Under a typed scope, what this scope sets is checked (and coerced) on entering. The
        // check calls into Python, and may enter scopes itself: it runs before anything of
        // this entry is decided, and the frame it will sit on is read after it.
        let entries = match &outer {
            Some(outer) if !this.entries.is_empty() => {
                let items = PyList::empty(py);
                for (key, value) in this.entries.iter() {
                    let h = hp_store::key_hash(key);
                    items.append((h, key, value.0.clone_ref(py)))?;
                }
                let checked = scope_fns(py)?
                    .validate_fn
                    .bind(py)
                    .call1((outer.bind(py), items))?;
                Arc::new(entry_map(py, &checked)?)
            }
            _ => Arc::clone(&this.entries),
        };
        push_frame(
            py,
            entries,
            this.opaque.load(Ordering::Relaxed),
            slf.as_any(),
            this.binding.as_ref(),
        )?;
        Ok(match &this.view {
            Some(v) => v.bind(py).clone(),
            None => slf.into_any(),
        })
    }

    #[pyo3(signature = (_exc_type=None, _exc=None, _tb=None))]
    fn __exit__(
        slf: &Bound<'_, Self>,
        _exc_type: Option<&Bound<'_, PyAny>>,
        _exc: Option<&Bound<'_, PyAny>>,
        _tb: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        pop_frame(slf.py(), slf.as_any())
    }

    /// Makes this scope hide every inherited key (`param_scope.empty`).
    fn _hp_make_opaque(&self) {
        self.opaque.store(true, Ordering::Relaxed);
    }

    /// The keys this scope sets, sorted.
    fn _hp_keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self.entries.iter().map(|(k, _)| k.to_owned()).collect();
        keys.sort();
        keys
    }

    /// `ps[key]`: the accessor of `key` from this object's own table (a dict whose
    /// `__missing__` makes them), with no Python frame on a hit.
    fn __getitem__<'py>(
        slf: &Bound<'py, Self>,
        key: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let table = slf.get().accessors.get_or_try_init(py, || {
            slf.get_type()
                .getattr("_hp_accessor_table")?
                .call1((slf,))
                .map(Bound::unbind)
        })?;
        table.bind(py).get_item(key)
    }

    /// Is this scope entered in the current context (a frame of the chain is its own)?
    fn _hp_entered(slf: &Bound<'_, Self>) -> PyResult<bool> {
        entered_by(slf.py(), slf.as_any())
    }

    /// The value this scope itself sets for `key` (with its `hash`), or `default`.
    fn _hp_own(
        &self,
        py: Python<'_>,
        hash: u64,
        key: &str,
        default: Py<PyAny>,
    ) -> PyResult<Py<PyAny>> {
        match self.entries.get(hash, key) {
            Ok(Some(v)) => Ok(v.0.clone_ref(py)),
            Ok(None) => Ok(default),
            Err(e) => Err(collision(py, e)),
        }
    }

    /// Every `(key, value)` this scope itself sets.
    fn _hp_items<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let list = PyList::empty(py);
        for (key, value) in self.entries.iter() {
            list.append((key, value.0.clone_ref(py)))?;
        }
        Ok(list)
    }
}

/// A callable that builds `cls(*args, **kwargs)` for a subclass `cls` of `Scope` from the
/// caller's own argument tuple and keyword dict: `#[new]` would copy the dict, and calling the
/// class would also look up and run `__init__` (which `Scope` subclasses do not define).
#[pyfunction]
fn scope_factory<'py>(cls: &Bound<'py, PyType>) -> PyResult<Bound<'py, PyCFunction>> {
    let py = cls.py();
    if !cls.is_subclass_of::<Scope>()? {
        return Err(PyValueError::new_err(
            "scope_factory() needs a subclass of Scope",
        ));
    }
    // SAFETY: `cls` is a type object; a subclass of a pyclass always has a `tp_new` slot.
    let slot = unsafe { ffi::PyType_GetSlot(cls.as_ptr().cast(), ffi::Py_tp_new) };
    if slot.is_null() {
        return Err(PyValueError::new_err(
            "scope_factory(): the class has no __new__",
        ));
    }
    // SAFETY: the `Py_tp_new` slot holds a `newfunc`.
    let new: ffi::newfunc = unsafe { std::mem::transmute(slot) };
    let cls_ref = cls.clone().unbind();
    let packed = bound(py)?.packed.clone_ref(py);
    PyCFunction::new_closure(
        py,
        Some(c"param_scope"),
        None,
        move |args: &Bound<'_, PyTuple>,
              kwargs: Option<&Bound<'_, PyDict>>|
              -> PyResult<Py<PyAny>> {
            let py = args.py();
            let kw = match kwargs {
                Some(k) => k.clone().into_any(),
                None => py.None().into_bound(py),
            };
            let call = PyTuple::new(py, [packed.bind(py).clone(), args.clone().into_any(), kw])?;
            // SAFETY: `new` is `cls`'s own tp_new, called as `type.__call__` would call it.
            let obj = unsafe { new(cls_ref.as_ptr().cast(), call.as_ptr(), ptr::null_mut()) };
            if obj.is_null() {
                return Err(PyErr::fetch(py));
            }
            // SAFETY: a new reference.
            Ok(unsafe { Bound::from_owned_ptr(py, obj) }.unbind())
        },
    )
}

/// Writes `key` into the innermost frame of this context (copy-on-write), or a new root frame.
#[pyfunction]
fn put(py: Python<'_>, hash: u64, key: &str, value: Py<PyAny>) -> PyResult<()> {
    let next = match current(py)? {
        Some(f) => {
            let f = f.get();
            let frame = f
                .frame
                .with_entry(hash, key, Val(value))
                .map_err(|e| collision(py, e))?;
            f.replaced(py, frame)
        }
        None => {
            let mut frame = Frame::new(None, false);
            frame
                .insert(hash, key, Val(value))
                .map_err(|e| collision(py, e))?;
            root_frame(py, frame)?
        }
    };
    set_current(py, next)
}

/// A frame made outside every scope: nobody entered it, nothing is under it.
fn root_frame(py: Python<'_>, frame: PyFrameInner) -> PyResult<PyFrame> {
    Ok(PyFrame {
        frame: Arc::new(frame),
        bound: None,
        owner: None,
        before: bound(py)?.top.clone_ref(py),
    })
}

/// Hides every effective key in this context until the innermost frame's scope ends.
#[pyfunction]
fn clear(py: Python<'_>) -> PyResult<()> {
    let next = match current(py)? {
        Some(f) => {
            let f = f.get();
            f.replaced(py, f.frame.cleared())
        }
        None => root_frame(py, Frame::new(None, true))?,
    };
    set_current(py, next)
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

/// The Python key objects `effective_dict` made, by hash: a key is made once and reused with
/// its cached hash (the store keeps key text, not objects). Cleared when it grows past
/// `KEY_OBJECTS_LIMIT`.
static KEY_OBJECTS: Mutex<Option<KeyObjects>> = Mutex::new(None);
type KeyObjects = HashMap<u64, Py<PyString>, BuildHasherDefault<IdentityHasher>>;
const KEY_OBJECTS_LIMIT: usize = 1 << 16;

fn key_object<'py>(
    py: Python<'py>,
    cache: &mut KeyObjects,
    hash: u64,
    key: &str,
) -> Bound<'py, PyString> {
    if let Some(k) = cache.get(&hash) {
        let k = k.bind(py);
        if k.to_str().is_ok_and(|s| s == key) {
            return k.clone();
        }
    }
    let k = PyString::new(py, key);
    if cache.len() >= KEY_OBJECTS_LIMIT {
        cache.clear();
    }
    cache.insert(hash, k.clone().unbind());
    k
}

/// Every effective `key: value` of this context, the frozen snapshot included, as a dict
/// built in one walk (`dict(effective())` without the pairs).
#[pyfunction]
fn effective_dict<'py>(py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
    let cur = current(py)?;
    let dict = PyDict::new(py);
    // Held only while this walk runs, which calls no Python code; a walk that finds it held
    // (a finalizer run by an allocation inside a walk, in principle) makes its own keys.
    let mut local = None;
    let mut guard = match KEY_OBJECTS.try_lock() {
        Ok(g) => Some(g),
        Err(TryLockError::Poisoned(e)) => Some(e.into_inner()),
        Err(TryLockError::WouldBlock) => None,
    };
    let cache = match guard.as_mut() {
        Some(g) => g.get_or_insert_with(KeyObjects::default),
        None => local.get_or_insert_with(KeyObjects::default),
    };
    let cut = match cur.as_ref() {
        Some(f) => f.get().frame.for_each_effective(|h, key, value: &Val| {
            dict.set_item(key_object(py, cache, h, key), value.0.bind(py))
        })?,
        None => false,
    };
    if !cut {
        if let Some(g) = STORE.snapshot() {
            g.for_each_effective(|h, key, value: &Val| {
                let key = key_object(py, cache, h, key);
                if dict.contains(&key)? {
                    Ok(())
                } else {
                    dict.set_item(key, value.0.bind(py))
                }
            })?;
        }
    }
    Ok(dict)
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

/// The global snapshot as it is now, to put back with `restore_snapshot` (`launch` restores
/// the one that was there before it froze its own values).
#[pyclass(frozen, module = "hyperparameter._core", name = "Snapshot")]
struct Snapshot(Option<Arc<PyFrameInner>>);

/// The current global snapshot, as a token for `restore_snapshot`.
#[pyfunction]
fn snapshot_token() -> Snapshot {
    Snapshot(STORE.snapshot())
}

/// Makes the snapshot taken by `snapshot_token` the global snapshot again.
#[pyfunction]
fn restore_snapshot(token: &Snapshot) {
    STORE.set_snapshot(token.0.clone());
}

/// The schemas bound in this context (a tuple), or `None`.
#[pyfunction]
fn bound_schemas(py: Python<'_>) -> PyResult<Py<PyAny>> {
    Ok(current(py)?
        .and_then(|f| f.get().bound.as_ref().map(|b| b.clone_ref(py)))
        .unwrap_or_else(|| py.None()))
}

/// A propagated function as it runs in a process it was sent to (`api/procs.py`): outside
/// every scope (a worker's task) it points the context at the snapshot's `frame` around the
/// call and resets it, all in C; anywhere else it calls `slow`, the Python wrapper, which
/// enters the snapshot as a scope. Pickling it again gives what `reduce()` returns.
#[pyclass(frozen, dict, name = "Propagated", module = "hyperparameter._core")]
struct Propagated {
    func: Py<PyAny>,
    frame: Py<PyAny>,
    slow: Py<PyAny>,
    reduce: Py<PyAny>,
}

#[pymethods]
impl Propagated {
    #[new]
    fn new(func: Py<PyAny>, frame: Py<PyAny>, slow: Py<PyAny>, reduce: Py<PyAny>) -> Self {
        Propagated {
            func,
            frame,
            slow,
            reduce,
        }
    }

    #[pyo3(signature = (*args, **kwargs))]
    fn __call__(
        &self,
        py: Python<'_>,
        args: &Bound<'_, PyTuple>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Py<PyAny>> {
        let b = bound(py)?;
        let var = b.var.as_ptr();
        let mut out: *mut ffi::PyObject = ptr::null_mut();
        // SAFETY: `var` is a ContextVar (checked in `bind`); `out` receives a new reference or
        // NULL.
        if unsafe { ffi::PyContextVar_Get(var, ptr::null_mut(), &mut out) } < 0 {
            return Err(PyErr::fetch(py));
        }
        let at_top = out.is_null() || out == b.top.as_ptr();
        if !out.is_null() {
            // SAFETY: a new reference from PyContextVar_Get, released at once (only compared).
            unsafe { ffi::Py_DECREF(out) };
        }
        if !at_top {
            return Ok(self.slow.bind(py).call(args, kwargs)?.unbind());
        }
        // SAFETY: `var` is a ContextVar; the token is a new reference or NULL on error.
        let token = unsafe { ffi::PyContextVar_Set(var, self.frame.as_ptr()) };
        if token.is_null() {
            return Err(PyErr::fetch(py));
        }
        let result = self.func.bind(py).call(args, kwargs);
        // SAFETY: `token` came from PyContextVar_Set on this variable in this context (the
        // call returned, so the context is the one it was made in); released after use.
        let rc = unsafe { ffi::PyContextVar_Reset(var, token) };
        // SAFETY: the token's reference, owned here.
        unsafe { ffi::Py_DECREF(token) };
        if rc < 0 {
            return Err(PyErr::fetch(py));
        }
        Ok(result?.unbind())
    }

    fn __reduce__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        Ok(self.reduce.bind(py).call0()?.unbind())
    }

    /// The function this runs.
    #[getter]
    fn __wrapped__(&self, py: Python<'_>) -> Py<PyAny> {
        self.func.clone_ref(py)
    }

    /// The name of the function this runs.
    #[getter]
    fn __name__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        Ok(self.slow.bind(py).getattr("__name__")?.unbind())
    }
}

/// The origins of the scopes whose frames the current context sees (see `Scope::origin`),
/// innermost first, through the first opaque frame; frames of other owners are skipped.
#[pyfunction]
fn origins<'py>(py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
    let out = PyList::empty(py);
    let mut cur = current(py)?.map(|f| f.unbind());
    while let Some(frame) = cur {
        let f = frame.get();
        if let Some(owner) = &f.owner {
            if let Ok(scope) = owner.bind(py).cast::<Scope>() {
                if let Some(origin) = &scope.get().origin {
                    out.append(origin.bind(py))?;
                }
            }
        }
        if f.frame.is_opaque() {
            break;
        }
        let before = f.before.bind(py);
        cur = before.cast::<PyFrame>().ok().map(|b| b.clone().unbind());
    }
    Ok(out)
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
    m.add_class::<Propagated>()?;
    m.add_function(wrap_pyfunction!(bind, m)?)?;
    m.add_function(wrap_pyfunction!(bind_scopes, m)?)?;
    m.add_function(wrap_pyfunction!(scope_factory, m)?)?;
    m.add_function(wrap_pyfunction!(get, m)?)?;
    m.add_function(wrap_pyfunction!(enter, m)?)?;
    m.add_function(wrap_pyfunction!(exit, m)?)?;
    m.add_function(wrap_pyfunction!(put, m)?)?;
    m.add_function(wrap_pyfunction!(clear, m)?)?;
    m.add_function(wrap_pyfunction!(effective, m)?)?;
    m.add_function(wrap_pyfunction!(effective_dict, m)?)?;
    m.add_function(wrap_pyfunction!(freeze, m)?)?;
    m.add_function(wrap_pyfunction!(reset_snapshot, m)?)?;
    m.add_class::<Snapshot>()?;
    m.add_function(wrap_pyfunction!(snapshot_token, m)?)?;
    m.add_function(wrap_pyfunction!(restore_snapshot, m)?)?;
    m.add_function(wrap_pyfunction!(depth, m)?)?;
    m.add_function(wrap_pyfunction!(bound_schemas, m)?)?;
    m.add_function(wrap_pyfunction!(origins, m)?)?;
    m.add_function(wrap_pyfunction!(xxh64, m)?)?;
    m.add_function(wrap_pyfunction!(rust_read, m)?)?;
    m.add_function(wrap_pyfunction!(rust_write, m)?)?;
    m.add_function(wrap_pyfunction!(_debug_panic, m)?)?;
    m.add_function(wrap_pyfunction!(facade::_facade_read, m)?)?;
    m.add_function(wrap_pyfunction!(facade::_facade_scope, m)?)?;
    facade::install();
    Ok(())
}
