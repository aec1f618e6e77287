//! The facade's errors.

use std::fmt;

use hp_store::{Collision, InvalidKey, Value};

/// Everything the Rust API can refuse.
///
/// ```
/// use hyperparameter::*;
/// let err = with_params! {
///     @set model.lr = "fast";
///     try_get_param!(model.lr, 0.001).unwrap_err()
/// };
/// assert_eq!(err.to_string(), "model.lr: cannot convert 'fast' to float: not a number");
/// assert!(matches!(err, Error::Conversion(_)));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// A key outside the grammar (DESIGN §3).
    InvalidKey(InvalidKey),
    /// Two keys with one hash: an error, never an alias.
    Collision(Collision),
    /// A stored value that does not convert to the type asked for.
    Conversion(ConversionError),
    /// No scope and no frozen snapshot holds the key ([`crate::get_as`]).
    Missing {
        /// The key asked for.
        key: String,
    },
    /// A `-D` string that is not `key=value`.
    Define {
        /// The string as given.
        text: String,
    },
    /// A value serde could not flatten or rebuild ([`crate::ParamScope::from_serde`],
    /// [`crate::get_as`]).
    Serde(String),
    /// The host store (Python, for Rust code called from Python) refused the operation.
    Host(String),
}

/// A stored value that does not convert to the reader's type (DESIGN §5): key, value, target
/// and reason.
///
/// ```
/// use hyperparameter::*;
/// let Err(Error::Conversion(e)) = with_params!(
///     @set layers = 2.5;
///     try_get_param!(layers, 1)
/// ) else { unreachable!() };
/// assert_eq!((e.key.as_str(), &e.value, e.target.as_ref()), ("layers", &Value::Float(2.5), "i32"));
/// assert_eq!(e.reason, "the float has a fractional part");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ConversionError {
    /// The key read.
    pub key: String,
    /// The value stored under it.
    pub value: Value,
    /// The type asked for.
    pub target: std::borrow::Cow<'static, str>,
    /// Why it does not convert.
    pub reason: std::borrow::Cow<'static, str>,
}

/// A value as Python's `repr` shows it, so that messages read the same in both languages.
pub(crate) struct Repr<'a>(pub &'a Value);

impl fmt::Display for Repr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Value::Null => f.write_str("None"),
            Value::Bool(true) => f.write_str("True"),
            Value::Bool(false) => f.write_str("False"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) if x.is_nan() => f.write_str("nan"),
            Value::Float(x) if x.is_infinite() => {
                f.write_str(if *x > 0.0 { "inf" } else { "-inf" })
            }
            Value::Float(x) if x.fract() == 0.0 && x.abs() < 1e16 => write!(f, "{x:.1}"),
            Value::Float(x) => write!(f, "{x}"),
            Value::Str(s) => write!(f, "'{}'", s.replace('\\', "\\\\").replace('\'', "\\'")),
            Value::List(items) => {
                f.write_str("[")?;
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{}", Repr(v))?;
                }
                f.write_str("]")
            }
        }
    }
}

impl fmt::Display for ConversionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: cannot convert {} to {}: {}",
            self.key,
            Repr(&self.value),
            self.target,
            self.reason
        )
    }
}

impl std::error::Error for ConversionError {}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidKey(e) => e.fmt(f),
            Error::Collision(e) => e.fmt(f),
            Error::Conversion(e) => e.fmt(f),
            Error::Missing { key } => write!(f, "{key}: no scope sets this parameter"),
            Error::Define { text } => write!(f, "-D {text:?}: expected key=value"),
            Error::Serde(m) => f.write_str(m),
            Error::Host(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::InvalidKey(e) => Some(e),
            Error::Collision(e) => Some(e),
            Error::Conversion(e) => Some(e),
            _ => None,
        }
    }
}

impl From<InvalidKey> for Error {
    fn from(e: InvalidKey) -> Self {
        Error::InvalidKey(e)
    }
}

impl From<Collision> for Error {
    fn from(e: Collision) -> Self {
        Error::Collision(e)
    }
}

impl From<ConversionError> for Error {
    fn from(e: ConversionError) -> Self {
        Error::Conversion(e)
    }
}

impl From<hp_store::Error> for Error {
    fn from(e: hp_store::Error) -> Self {
        match e {
            hp_store::Error::InvalidKey(k) => Error::InvalidKey(k),
            hp_store::Error::Collision(c) => Error::Collision(c),
        }
    }
}
