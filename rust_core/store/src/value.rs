//! Native values for Rust callers that do not hold Python objects.

use std::sync::Arc;

/// A parameter value set or read from pure Rust ([`crate::local`]).
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
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Float(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Str(v.into())
    }
}
