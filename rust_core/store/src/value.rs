//! Native values for Rust callers that do not hold Python objects.

use std::sync::Arc;

/// A parameter value set or read from pure Rust ([`crate::local`]).
///
/// ```
/// use hp_store::Value;
/// assert_eq!(Value::from(3), Value::Int(3));
/// assert_eq!(Value::from("relu"), Value::Str("relu".into()));
/// assert_eq!(Value::from(vec![1, 2]), Value::List(vec![Value::Int(1), Value::Int(2)].into()));
/// assert_eq!(Value::from(None::<i64>), Value::Null);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// An explicit null (`None` in Python): a value, not "missing".
    Null,
    /// A boolean.
    Bool(bool),
    /// A 64-bit integer.
    Int(i64),
    /// A 64-bit float.
    Float(f64),
    /// A string.
    Str(Arc<str>),
    /// A list, stored whole (a flattened list also has each item under `key.N`).
    List(Arc<[Value]>),
}

impl Value {
    /// The name of this value's type in messages, as Python names it (`int`, `str`, …), so
    /// that both languages word a refused conversion alike.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "NoneType",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::Str(_) => "str",
            Value::List(_) => "list",
        }
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}

macro_rules! lossless_ints {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(v: $t) -> Self {
                Value::Int(i64::from(v))
            }
        }
    )*};
}
lossless_ints!(i8, i16, i32, i64, u8, u16, u32);

macro_rules! wide_ints {
    ($($t:ty),*) => {$(
        /// An integer beyond `i64` is stored as its decimal text (an `int` read of it then
        /// fails as out of range rather than wrapping).
        impl From<$t> for Value {
            fn from(v: $t) -> Self {
                match i64::try_from(v) {
                    Ok(i) => Value::Int(i),
                    Err(_) => Value::Str(v.to_string().into()),
                }
            }
        }
    )*};
}
wide_ints!(u64, usize, isize, i128, u128);

impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Float(v)
    }
}

impl From<f32> for Value {
    fn from(v: f32) -> Self {
        Value::Float(f64::from(v))
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Str(v.into())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Str(v.into())
    }
}

impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::Str(v.as_str().into())
    }
}

impl From<Arc<str>> for Value {
    fn from(v: Arc<str>) -> Self {
        Value::Str(v)
    }
}

impl<T: Into<Value>> From<Vec<T>> for Value {
    fn from(v: Vec<T>) -> Self {
        Value::List(v.into_iter().map(Into::into).collect())
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

impl From<&Value> for Value {
    fn from(v: &Value) -> Self {
        v.clone()
    }
}
