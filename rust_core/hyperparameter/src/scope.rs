//! [`ParamScope`]: a set of parameters to enter as one frame.

use std::fmt;
use std::future::IntoFuture;
use std::sync::Arc;

use hp_store::{key_hash, local, validate_key, EntryMap, Frame, Key, Value};

use crate::context::{self, ScopeGuard};
use crate::future::Bound;
use crate::Error;

/// Parameters to enter together as one frame: `-D key=value` strings
/// ([`ParamScope::from`]), a serde tree ([`ParamScope::from_serde`]), or [`ParamScope::put`]s.
/// Entering one (`params <scope>;` in `with_params!`) costs O(1): the frame shares its table.
///
/// ```
/// use hyperparameter::*;
/// let args = vec!["model.lr=0.1".to_string(), "model.lr=0.2".to_string()];
/// let mut ps = ParamScope::from(&args); // the last -D of a key wins
/// ps.put("model.layers", 4);
/// let (lr, layers) = with_params! {
///     params ps;
///     (get_param!(model.lr, 0.001), get_param!(model.layers, 1))
/// };
/// assert_eq!((lr, layers), (0.2, 4));
/// ```
#[derive(Default)]
pub struct ParamScope {
    entries: Arc<EntryMap<Value>>,
    opaque: bool,
    /// Guards of [`ParamScope::enter`] (0.5.13's manual enter/exit), innermost last.
    entered: Vec<ScopeGuard>,
}

impl Clone for ParamScope {
    /// The same parameters (shared, not copied), not entered.
    fn clone(&self) -> Self {
        ParamScope {
            entries: Arc::clone(&self.entries),
            opaque: self.opaque,
            entered: Vec::new(),
        }
    }
}

impl fmt::Debug for ParamScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut m = f.debug_map();
        for (k, v) in self.entries.iter() {
            m.entry(&k, v);
        }
        m.finish()
    }
}

impl ParamScope {
    /// An empty scope.
    ///
    /// ```
    /// assert!(hyperparameter::ParamScope::new().is_empty());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// A scope that hides every inherited key, the frozen snapshot included (Python's
    /// `param_scope.empty()`).
    ///
    /// ```
    /// use hyperparameter::*;
    /// with_params! {
    ///     @set a = 1;
    ///     assert_eq!(with_params! { params ParamScope::empty(); get_param!(a, 0) }, 0);
    /// }
    /// ```
    pub fn empty() -> Self {
        ParamScope {
            opaque: true,
            ..Self::default()
        }
    }

    /// A scope from `-D` strings (`key=value`; key and value are trimmed; the last one of a
    /// key wins), each value stored as text and typed by whoever reads it (DESIGN §5).
    ///
    /// ```
    /// use hyperparameter::*;
    /// let ps = ParamScope::parse(["a.b=1", "flag = yes"]).unwrap();
    /// assert_eq!(ps.get("flag"), Some(&Value::from("yes")));
    /// assert!(ParamScope::parse(["oops"]).is_err());
    /// ```
    pub fn parse<I, S>(defines: I) -> Result<Self, Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut ps = ParamScope::new();
        for d in defines {
            let d = d.as_ref();
            let Some((k, v)) = d.split_once('=') else {
                return Err(Error::Define { text: d.to_owned() });
            };
            ps.try_put(k.trim(), v.trim())?;
        }
        Ok(ps)
    }

    /// Sets `key` in this scope (before it is entered).
    ///
    /// ```
    /// let mut ps = hyperparameter::ParamScope::new();
    /// ps.try_put("model.lr", 0.1).unwrap();
    /// assert!(ps.try_put("model..lr", 0.1).is_err());
    /// ```
    pub fn try_put(
        &mut self,
        key: impl AsRef<str>,
        value: impl Into<Value>,
    ) -> Result<&mut Self, Error> {
        let key = key.as_ref();
        validate_key(key)?;
        Arc::make_mut(&mut self.entries).insert(key_hash(key), key, value.into())?;
        Ok(self)
    }

    /// Sets `key` in this scope (before it is entered), as 0.5.13's `put`.
    ///
    /// ```
    /// let mut ps = hyperparameter::ParamScope::new();
    /// ps.put("model.lr", 0.1).put("model.layers", 4);
    /// assert_eq!(ps.len(), 2);
    /// ```
    ///
    /// # Panics
    ///
    /// If `key` is not a valid key ([`ParamScope::try_put`] returns the error instead).
    pub fn put(&mut self, key: impl AsRef<str>, value: impl Into<Value>) -> &mut Self {
        if let Err(e) = self.try_put(key, value) {
            panic!("hyperparameter: ParamScope::put: {e}");
        }
        self
    }

    /// The value this scope itself sets for `key`.
    ///
    /// ```
    /// let mut ps = hyperparameter::ParamScope::new();
    /// ps.put("a", 1);
    /// assert_eq!(ps.get("a"), Some(&hyperparameter::Value::Int(1)));
    /// assert_eq!(ps.get("b"), None);
    /// ```
    pub fn get(&self, key: impl AsRef<str>) -> Option<&Value> {
        let key = key.as_ref();
        self.entries.get(key_hash(key), key).ok().flatten()
    }

    /// `key` converted to the default's type: this scope's own value, else the current
    /// scope's, else `default` (0.5.13's `get_or_else`).
    ///
    /// ```
    /// let mut ps = hyperparameter::ParamScope::new();
    /// ps.put("a", "3");
    /// assert_eq!(ps.get_or_else("a", 0), 3);
    /// assert_eq!(ps.get_or_else("b", 7), 7);
    /// ```
    pub fn get_or_else<T: crate::FromValue>(&self, key: impl AsRef<str>, default: T) -> T {
        let key = key.as_ref();
        if let Some(v) = self.get(key).and_then(|v| T::from_value(v).ok()) {
            return v;
        }
        if validate_key(key).is_err() {
            return default;
        }
        match context::read(key_hash(key), key, T::from_value) {
            Ok(Some(Ok(v))) => v,
            _ => default,
        }
    }

    /// The keys this scope sets, in the order they were first set.
    ///
    /// ```
    /// let ps = hyperparameter::ParamScope::parse(["b=1", "a=2"]).unwrap();
    /// assert_eq!(ps.keys(), ["b", "a"]);
    /// ```
    pub fn keys(&self) -> Vec<String> {
        self.entries.iter().map(|(k, _)| k.to_owned()).collect()
    }

    /// Every `(key, value)` this scope sets.
    ///
    /// ```
    /// let ps = hyperparameter::ParamScope::parse(["a=1"]).unwrap();
    /// assert_eq!(ps.iter().count(), 1);
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.entries.iter()
    }

    /// How many keys this scope sets.
    ///
    /// ```
    /// assert_eq!(hyperparameter::ParamScope::parse(["a=1", "a=2"]).unwrap().len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether this scope sets no key.
    ///
    /// ```
    /// assert!(hyperparameter::ParamScope::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Enters this scope until the guard drops: the statement form of `params ps;`.
    ///
    /// ```
    /// use hyperparameter::*;
    /// let ps = ParamScope::parse(["a=1"]).unwrap();
    /// {
    ///     let _scope = ps.scope();
    ///     assert_eq!(get_param!(a, 0), 1);
    /// }
    /// assert_eq!(get_param!(a, 0), 0);
    /// ```
    pub fn scope(&self) -> ScopeGuard {
        self.scope_with([])
    }

    pub(crate) fn scope_with<const N: usize>(&self, extra: [(Key, Value); N]) -> ScopeGuard {
        let entries = if N == 0 {
            Arc::clone(&self.entries)
        } else {
            let mut map = EntryMap::clone(&self.entries);
            insert_all(&mut map, extra);
            Arc::new(map)
        };
        context::enter_entries(entries, self.opaque)
    }

    /// A future that runs inside this scope, entered over the scope current *now* (where
    /// `bind` is called), on every poll, on whatever thread polls it: the explicit form of
    /// what `with_params!` does around `.await`. `ParamScope::new().bind(fut)` carries the
    /// current scope into a spawned task, which otherwise starts from the frozen snapshot.
    ///
    /// ```
    /// use hyperparameter::*;
    /// let fut = with_params! {
    ///     @set worker.id = 3;
    ///     ParamScope::new().bind(async { get_param!(worker.id, 0) })
    /// };
    /// // Polled later, outside the scope (a spawned task), it still sees it.
    /// assert_eq!(futures::executor::block_on(fut), 3);
    /// ```
    pub fn bind<F: IntoFuture>(&self, fut: F) -> Bound<F::IntoFuture> {
        let frame = Frame::with_shared(local::current(), Arc::clone(&self.entries), self.opaque);
        Bound::new(Arc::new(frame), fut.into_future())
    }

    /// Enters this scope until [`ParamScope::exit`] (0.5.13's manual form; `with_params!`'s
    /// `params` and [`ParamScope::scope`] end the scope for you, also on panics).
    ///
    /// ```
    /// use hyperparameter::*;
    /// let mut ps = ParamScope::parse(["a=1"]).unwrap();
    /// ps.enter();
    /// assert_eq!(get_param!(a, 0), 1);
    /// ps.exit();
    /// assert_eq!(get_param!(a, 0), 0);
    /// ```
    pub fn enter(&mut self) {
        let guard = self.scope();
        self.entered.push(guard);
    }

    /// Leaves the scope the last [`ParamScope::enter`] of this object entered (nothing if
    /// none is open).
    ///
    /// ```
    /// let mut ps = hyperparameter::ParamScope::new();
    /// ps.exit(); // not entered: nothing happens
    /// ```
    pub fn exit(&mut self) {
        drop(self.entered.pop());
    }

    pub(crate) fn insert_value(&mut self, key: &str, value: Value) -> Result<(), Error> {
        Arc::make_mut(&mut self.entries).insert(key_hash(key), key, value)?;
        Ok(())
    }
}

fn insert_all<const N: usize>(map: &mut EntryMap<Value>, entries: [(Key, Value); N]) {
    for (k, v) in entries {
        if let Err(e) = map.insert(k.hash(), k.text(), v) {
            panic!("hyperparameter: {e}");
        }
    }
}

/// A scope of `with_params!` (`@set`s, over an optional `params` base).
#[doc(hidden)]
pub fn enter<const N: usize>(base: Option<&ParamScope>, sets: [(Key, Value); N]) -> ScopeGuard {
    match base {
        Some(ps) => ps.scope_with(sets),
        None => {
            let mut map = EntryMap::with_capacity(N);
            insert_all(&mut map, sets);
            context::enter_entries(Arc::new(map), false)
        }
    }
}

/// `params <expr>;` takes a scope or a reference to one.
#[doc(hidden)]
pub fn as_scope(ps: &ParamScope) -> &ParamScope {
    ps
}

impl<S: AsRef<str>> From<&[S]> for ParamScope {
    /// `-D` strings, as [`ParamScope::parse`].
    ///
    /// # Panics
    ///
    /// On a string that is not `key=value` or a key outside the grammar.
    fn from(defines: &[S]) -> Self {
        ParamScope::parse(defines).unwrap_or_else(|e| panic!("hyperparameter: {e}"))
    }
}

impl<S: AsRef<str>, const N: usize> From<&[S; N]> for ParamScope {
    /// `-D` strings, as [`ParamScope::parse`].
    ///
    /// # Panics
    ///
    /// On a string that is not `key=value` or a key outside the grammar.
    fn from(defines: &[S; N]) -> Self {
        ParamScope::from(&defines[..])
    }
}

impl<S: AsRef<str>> From<&Vec<S>> for ParamScope {
    /// `-D` strings, as [`ParamScope::parse`].
    ///
    /// # Panics
    ///
    /// On a string that is not `key=value` or a key outside the grammar.
    fn from(defines: &Vec<S>) -> Self {
        ParamScope::from(&defines[..])
    }
}
