//! serde: [`ParamScope::from_serde`] flattens any `Serialize` tree into dotted keys;
//! [`get_as`] rebuilds a value (a scalar, or a subtree into a struct) from the current scope,
//! converting leaves by the §5 table toward the types the target asks for.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, DeserializeOwned, IntoDeserializer, Visitor};
use serde::Serialize;

use hp_store::{key_hash, validate_key, Value};

use crate::coerce::{self, Reason};
use crate::context;
use crate::{ConversionError, Error, ParamScope};

impl ParamScope {
    /// A scope holding every leaf of `value` (a struct, a map, a TOML or JSON document read
    /// with `toml`/`serde_json`) under its dotted key: nested maps flatten, a list is stored
    /// whole under its key and each item also under `key.N` (DESIGN §3). A map key must be
    /// one segment of the key grammar; an empty map holds nothing.
    ///
    /// ```
    /// use hyperparameter::*;
    /// #[derive(serde::Serialize)]
    /// struct Model { lr: f64, layers: Vec<u32> }
    /// let ps = ParamScope::from_serde(&serde_json::json!({
    ///     "model": Model { lr: 0.1, layers: vec![64, 32] },
    /// })).unwrap();
    /// assert_eq!(ps.keys(), ["model.lr", "model.layers", "model.layers.0", "model.layers.1"]);
    /// let bad = ParamScope::from_serde(&serde_json::json!({"a.b": 1})).unwrap_err();
    /// assert_eq!(bad.to_string(), "invalid key \"a.b\": a map key must be one segment of a key");
    /// ```
    pub fn from_serde<T: Serialize + ?Sized>(value: &T) -> Result<Self, Error> {
        let tree = serde_json::to_value(value).map_err(|e| Error::Serde(e.to_string()))?;
        let serde_json::Value::Object(map) = tree else {
            return Err(Error::Serde(
                "from_serde: the top level must be a map or a struct".to_owned(),
            ));
        };
        let mut ps = ParamScope::new();
        for (k, v) in map {
            flatten(&mut ps, segment(&k)?, v)?;
        }
        Ok(ps)
    }
}

/// A map key checked as one segment of the grammar.
fn segment(k: &str) -> Result<String, Error> {
    if k.contains('.') {
        return Err(Error::InvalidKey(hp_store::InvalidKey {
            key: k.to_owned(),
            reason: "a map key must be one segment of a key",
        }));
    }
    validate_key(k)?;
    Ok(k.to_owned())
}

/// TOML's datetimes reach serde as a one-field struct with this name.
const TOML_DATETIME: &str = "$__toml_private_datetime";

/// A leaf value, or `None` for a map (which is flattened instead).
fn leaf(v: &serde_json::Value) -> Option<Value> {
    use serde_json::Value as J;
    Some(match v {
        J::Null => Value::Null,
        J::Bool(b) => Value::Bool(*b),
        J::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => Value::Int(i),
            (None, Some(u)) => Value::from(u),
            _ => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        J::String(s) => Value::from(s.as_str()),
        J::Array(items) => Value::List(items.iter().map(leaf).collect::<Option<Vec<_>>>()?.into()),
        J::Object(m) => match (m.len(), m.get(TOML_DATETIME)) {
            (1, Some(J::String(s))) => Value::from(s.as_str()),
            _ => return None,
        },
    })
}

fn flatten(ps: &mut ParamScope, key: String, v: serde_json::Value) -> Result<(), Error> {
    if let Some(value) = leaf(&v) {
        ps.insert_value(&key, value)?;
    }
    match v {
        serde_json::Value::Object(m) if !m.contains_key(TOML_DATETIME) => {
            for (k, child) in m {
                flatten(ps, format!("{key}.{}", segment(&k)?), child)?;
            }
        }
        serde_json::Value::Array(items) => {
            for (i, item) in items.into_iter().enumerate() {
                flatten(ps, format!("{key}.{i}"), item)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Reads `key` from the current scope as a `T`: a leaf converted by the §5 table (like
/// `get_param!`, but with no default: a missing key is [`Error::Missing`]), or the subtree
/// under `key` deserialized into a struct, a map or a list, each leaf converted toward the
/// field's type.
///
/// ```
/// use hyperparameter::*;
/// #[derive(serde::Deserialize, Debug, PartialEq)]
/// struct Model { lr: f64, layers: Vec<u32>, name: String }
/// let cli = ParamScope::from(&["model.lr=0.1", "model.name=resnet", "model.layers=[64, 32]"]);
/// with_params! {
///     params cli;
///     let m: Model = get_as("model").unwrap();
///     assert_eq!(m, Model { lr: 0.1, layers: vec![64, 32], name: "resnet".into() });
///     assert_eq!(get_as::<f64>("model.lr").unwrap(), 0.1);
///     assert!(matches!(get_as::<f64>("model.nope"), Err(Error::Missing { .. })));
///     assert!(matches!(get_as::<u8>("model.name"), Err(Error::Conversion(_))));
/// }
/// ```
pub fn get_as<T: DeserializeOwned>(key: &str) -> Result<T, Error> {
    validate_key(key)?;
    let tree = match context::read(key_hash(key), key, Value::clone)? {
        Some(v) => Tree::Leaf(v),
        None => subtree(key)?.ok_or_else(|| Error::Missing {
            key: key.to_owned(),
        })?,
    };
    T::deserialize(TreeDe {
        tree: &tree,
        path: key.to_owned(),
    })
    .map_err(|e| match e {
        DeError::Conversion(c) => Error::Conversion(c),
        DeError::Other(m) => Error::Serde(format!("{key}: {m}")),
    })
}

/// The effective entries under `prefix.`, as a tree.
fn subtree(prefix: &str) -> Result<Option<Tree>, Error> {
    let dotted = format!("{prefix}.");
    let mut entries: Vec<(String, Value)> = context::effective()?
        .into_iter()
        .filter_map(|(k, v)| k.strip_prefix(&dotted).map(|rest| (rest.to_owned(), v)))
        .collect();
    if entries.is_empty() {
        return Ok(None);
    }
    // Shorter keys first: a list stored whole comes before the items that override it.
    entries.sort_by(|a, b| (a.0.matches('.').count(), &a.0).cmp(&(b.0.matches('.').count(), &b.0)));
    let mut root = Tree::Map(BTreeMap::new());
    for (k, v) in entries {
        root.insert(&k, v);
    }
    Ok(Some(root))
}

enum Tree {
    Leaf(Value),
    Map(BTreeMap<String, Tree>),
}

impl Tree {
    fn insert(&mut self, key: &str, value: Value) {
        let (head, rest) = match key.split_once('.') {
            Some((h, r)) => (h, Some(r)),
            None => (key, None),
        };
        match self {
            Tree::Map(m) => match rest {
                None => {
                    m.insert(head.to_owned(), Tree::Leaf(value));
                }
                Some(rest) => m
                    .entry(head.to_owned())
                    .or_insert_with(|| Tree::Map(BTreeMap::new()))
                    .insert(rest, value),
            },
            Tree::Leaf(Value::List(items)) => {
                // An item of a list stored whole: an inner scope may have set it.
                if let (Ok(i), None) = (head.parse::<usize>(), rest) {
                    if i < items.len() {
                        let mut v: Vec<Value> = items.to_vec();
                        v[i] = value;
                        *items = v.into();
                    }
                }
            }
            Tree::Leaf(_) => {}
        }
    }

    /// Whether this map's keys are `0..n`: a list of groups, read back as a sequence.
    fn is_sequence(m: &BTreeMap<String, Tree>) -> bool {
        let mut idx: Vec<usize> = match m.keys().map(|k| k.parse::<usize>()).collect() {
            Ok(v) => v,
            Err(_) => return false,
        };
        idx.sort_unstable();
        idx.iter().enumerate().all(|(i, &k)| i == k) && !m.is_empty()
    }
}

#[derive(Debug)]
enum DeError {
    Conversion(ConversionError),
    Other(String),
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeError::Conversion(c) => c.fmt(f),
            DeError::Other(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError::Other(msg.to_string())
    }
}

struct TreeDe<'a> {
    tree: &'a Tree,
    path: String,
}

impl TreeDe<'_> {
    fn leaf<R>(
        &self,
        target: &'static str,
        f: impl FnOnce(&Value) -> Result<R, Reason>,
    ) -> Result<R, DeError> {
        match self.tree {
            Tree::Leaf(v) => f(v).map_err(|reason| {
                DeError::Conversion(ConversionError {
                    key: self.path.clone(),
                    value: v.clone(),
                    target: target.into(),
                    reason,
                })
            }),
            Tree::Map(_) => Err(DeError::Other(format!(
                "{}: a group of parameters is not a {target}",
                self.path
            ))),
        }
    }
}

struct Seq<'a, I> {
    items: I,
    path: &'a str,
    index: usize,
}

impl<'de, 'a, I: Iterator<Item = &'a Tree>> de::SeqAccess<'de> for Seq<'a, I> {
    type Error = DeError;

    fn next_element_seed<S: de::DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, DeError> {
        let Some(tree) = self.items.next() else {
            return Ok(None);
        };
        let path = format!("{}.{}", self.path, self.index);
        self.index += 1;
        seed.deserialize(TreeDe { tree, path }).map(Some)
    }
}

struct Map<'a, I> {
    entries: I,
    next: Option<(&'a String, &'a Tree)>,
    path: &'a str,
}

impl<'de, 'a, I: Iterator<Item = (&'a String, &'a Tree)>> de::MapAccess<'de> for Map<'a, I> {
    type Error = DeError;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        self.next = self.entries.next();
        match self.next {
            Some((k, _)) => seed.deserialize(k.as_str().into_deserializer()).map(Some),
            None => Ok(None),
        }
    }

    fn next_value_seed<V: de::DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, DeError> {
        let (k, tree) = self
            .next
            .take()
            .ok_or_else(|| DeError::Other("value without a key".to_owned()))?;
        seed.deserialize(TreeDe {
            tree,
            path: format!("{}.{k}", self.path),
        })
    }
}

/// Leaves read from a list stored whole.
fn leaves(items: &[Value]) -> Vec<Tree> {
    items.iter().cloned().map(Tree::Leaf).collect()
}

macro_rules! ints {
    ($($method:ident => $visit:ident as $t:ty),*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
            let i = self.leaf(stringify!($t), |v| {
                let i = coerce::to_i64(v)?;
                <$t>::try_from(i).map_err(|_| concat!("out of range for ", stringify!($t)).into())
            })?;
            visitor.$visit(i)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for TreeDe<'_> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.tree {
            Tree::Leaf(Value::Null) => visitor.visit_unit(),
            Tree::Leaf(Value::Bool(b)) => visitor.visit_bool(*b),
            Tree::Leaf(Value::Int(i)) => visitor.visit_i64(*i),
            Tree::Leaf(Value::Float(f)) => visitor.visit_f64(*f),
            Tree::Leaf(Value::Str(s)) => visitor.visit_str(s),
            Tree::Leaf(Value::List(_)) => self.deserialize_seq(visitor),
            Tree::Map(m) if Tree::is_sequence(m) => self.deserialize_seq(visitor),
            Tree::Map(_) => self.deserialize_map(visitor),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_bool(self.leaf("bool", coerce::to_bool)?)
    }

    ints!(
        deserialize_i8 => visit_i8 as i8,
        deserialize_i16 => visit_i16 as i16,
        deserialize_i32 => visit_i32 as i32,
        deserialize_i64 => visit_i64 as i64,
        deserialize_u8 => visit_u8 as u8,
        deserialize_u16 => visit_u16 as u16,
        deserialize_u32 => visit_u32 as u32,
        deserialize_u64 => visit_u64 as u64
    );

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_f32(self.leaf("f32", coerce::to_f64)? as f32)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_f64(self.leaf("float", coerce::to_f64)?)
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let s = self.leaf("str", |v| coerce::to_str(v).cloned())?;
        visitor.visit_str(&s)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.tree {
            Tree::Leaf(Value::Null) => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.tree {
            Tree::Leaf(Value::Null) => visitor.visit_unit(),
            _ => Err(DeError::Other(format!("{}: expected null", self.path))),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.tree {
            Tree::Map(m) if Tree::is_sequence(m) => {
                let mut items: Vec<(usize, &Tree)> = m
                    .iter()
                    .filter_map(|(k, t)| k.parse().ok().map(|i| (i, t)))
                    .collect();
                items.sort_by_key(|(i, _)| *i);
                visitor.visit_seq(Seq {
                    items: items.into_iter().map(|(_, t)| t),
                    path: &self.path,
                    index: 0,
                })
            }
            _ => {
                let items = self.leaf("list", |v| coerce::to_list(v).map(|l| leaves(&l)))?;
                visitor.visit_seq(Seq {
                    items: items.iter(),
                    path: &self.path,
                    index: 0,
                })
            }
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _: usize, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.tree {
            Tree::Map(m) => visitor.visit_map(Map {
                entries: m.iter(),
                next: None,
                path: &self.path,
            }),
            Tree::Leaf(v) => Err(DeError::Other(format!(
                "{}: expected a group of parameters, found {}",
                self.path,
                crate::error::Repr(v)
            ))),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_map(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let s = self.leaf("enum", |v| coerce::to_str(v).cloned())?;
        visitor.visit_enum(s.to_string().into_deserializer())
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }
}
