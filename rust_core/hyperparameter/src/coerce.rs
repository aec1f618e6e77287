//! The coercion table of DESIGN §5, for values read by Rust: a value converts toward the type
//! of the reader's default (`get_param!`), or the type asked for (`get_as::<T>`).
//!
//! | target | accepted | rejected |
//! |---|---|---|
//! | `bool` | bool; int 0 or 1; str `true/false/yes/no/on/off/1/0/t/f/y/n`, any case | other ints and strings, floats |
//! | integers | int; integral float; str of an int or integral float (`"1_000"`, `"1e3"`) | `"3.7"`, `"abc"`, bool, out of range |
//! | `f64`, `f32` | int, float; str of a number incl. `inf`/`nan` | `"abc"`, bool |
//! | `String` | str | numbers, bools, lists |
//! | `Vec<T>` | list (items converted to `T`); a str in YAML flow form (`"[1, 2]"`) | scalars |
//! | `Option<T>` | null is `None`; anything else converts to `T` | what `T` rejects |
//! | [`Value`] | anything, as stored | — |
//!
//! The rows of `tests/data/coercion_cases.json` are checked against this module by
//! `cargo test` and against `hyperparameter.coerce` by pytest: both languages accept the same
//! values, convert them to the same results and refuse the others for the same reason.

use std::borrow::Cow;
use std::sync::Arc;

use hp_store::Value;

/// Why a value does not convert (the reason part of a [`crate::ConversionError`]).
pub type Reason = Cow<'static, str>;

/// A type a stored [`Value`] converts to by the §5 table: every `get_param!` default's type.
///
/// ```
/// use hyperparameter::{FromValue, Value};
/// assert_eq!(i64::from_value(&Value::from("1e3")), Ok(1000));
/// assert_eq!(bool::from_value(&Value::from("on")), Ok(true));
/// assert!(f64::from_value(&Value::from(true)).is_err());
/// ```
pub trait FromValue: Sized {
    /// The target's name in messages (`"int"`, `"float"`, `"Vec<int>"`, …).
    fn target() -> Cow<'static, str>;

    /// Converts `value`, or says why it cannot.
    fn from_value(value: &Value) -> Result<Self, Reason>;
}

const TRUE_WORDS: [&str; 6] = ["true", "yes", "on", "1", "t", "y"];
const FALSE_WORDS: [&str; 6] = ["false", "no", "off", "0", "f", "n"];

/// `bool` by the table.
pub fn to_bool(v: &Value) -> Result<bool, Reason> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::Int(0) => Ok(false),
        Value::Int(1) => Ok(true),
        Value::Int(_) => Err("only the ints 0 and 1 are booleans".into()),
        Value::Str(s) => {
            let s = s.trim().to_lowercase();
            if TRUE_WORDS.contains(&s.as_str()) {
                Ok(true)
            } else if FALSE_WORDS.contains(&s.as_str()) {
                Ok(false)
            } else {
                Err("expected one of true/false, yes/no, on/off, 1/0, t/f, y/n".into())
            }
        }
        other => Err(format!("{} is not a boolean", other.type_name()).into()),
    }
}

/// A 64-bit integer by the table.
pub fn to_i64(v: &Value) -> Result<i64, Reason> {
    match v {
        Value::Bool(_) => Err("a bool is not an int".into()),
        Value::Int(i) => Ok(*i),
        Value::Float(f) => {
            if f.is_finite() && f.fract() == 0.0 {
                // Integral and finite; i64's range is checked by the round trip.
                let i = *f as i64;
                if i as f64 == *f && *f < 2f64.powi(63) {
                    return Ok(i);
                }
                return Err("out of range for a 64-bit int".into());
            }
            Err("the float has a fractional part".into())
        }
        Value::Str(s) => str_to_i64(s.trim()),
        other => Err(format!("{} is not an int", other.type_name()).into()),
    }
}

/// Digits with single `_` between digits (Python's literal rule), the `_` removed.
fn plain_digits(s: &str) -> Option<String> {
    let b = s.as_bytes();
    if b.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(b.len());
    for (i, &c) in b.iter().enumerate() {
        if c == b'_' {
            let ok =
                i > 0 && i + 1 < b.len() && b[i - 1].is_ascii_digit() && b[i + 1].is_ascii_digit();
            if !ok {
                return None;
            }
        } else if c.is_ascii_digit() {
            out.push(c as char);
        } else {
            return None;
        }
    }
    Some(out)
}

fn split_sign(s: &str) -> (bool, &str) {
    match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    }
}

fn digits_to_i64(negative: bool, digits: &str) -> Result<i64, Reason> {
    let digits = digits.trim_start_matches('0');
    let text = if negative {
        format!("-{}", if digits.is_empty() { "0" } else { digits })
    } else if digits.is_empty() {
        "0".to_owned()
    } else {
        digits.to_owned()
    };
    text.parse::<i64>()
        .map_err(|_| "out of range for a 64-bit int".into())
}

/// An int from text: an int literal, or a decimal number that is integral (`"1e3"`, `"2.0"`),
/// exactly (no float rounding), as Python's `int()` then `Decimal` do.
fn str_to_i64(s: &str) -> Result<i64, Reason> {
    let (negative, body) = split_sign(s);
    if let Some(d) = plain_digits(body) {
        return digits_to_i64(negative, &d);
    }
    // Then as a decimal number, whose `_`s go wherever they are (as CPython's `Decimal`).
    let cleaned = s.replace('_', "");
    let (negative, body) = split_sign(&cleaned);
    let lower = body.to_ascii_lowercase();
    if ["inf", "infinity", "nan", "snan"].contains(&lower.as_str()) {
        return Err("not an integral number".into());
    }
    let (mantissa, exponent) = match lower.split_once('e') {
        Some((m, e)) => {
            let (eneg, edigits) = split_sign(e);
            let Some(ed) = plain_digits(edigits) else {
                return Err("not a number".into());
            };
            let e: i64 = ed.trim_start_matches('0').parse().unwrap_or(
                if ed.trim_start_matches('0').is_empty() {
                    0
                } else {
                    i64::MAX
                },
            );
            (m, if eneg { -e } else { e })
        }
        None => (lower.as_str(), 0),
    };
    let (int_part, frac_part) = match mantissa.split_once('.') {
        Some((i, f)) => (i, f),
        None => (mantissa, ""),
    };
    let int_digits = if int_part.is_empty() {
        Some(String::new())
    } else {
        plain_digits(int_part)
    };
    let frac_digits = if frac_part.is_empty() {
        Some(String::new())
    } else {
        plain_digits(frac_part)
    };
    let (Some(i), Some(f)) = (int_digits, frac_digits) else {
        return Err("not a number".into());
    };
    if i.is_empty() && f.is_empty() {
        return Err("not a number".into());
    }
    let all = format!("{i}{f}");
    let significant = all.trim_start_matches('0');
    if significant.is_empty() {
        return Ok(0);
    }
    // value = all * 10^(exponent - len(f))
    let scale = exponent.saturating_sub(f.len() as i64);
    if scale >= 0 {
        if scale > 19 {
            return Err("out of range for a 64-bit int".into());
        }
        let mut d = all.clone();
        d.extend(std::iter::repeat_n('0', scale as usize));
        digits_to_i64(negative, &d)
    } else {
        let cut = (-scale) as usize;
        if cut >= all.len() {
            return Err("not an integral number".into());
        }
        let (keep, dropped) = all.split_at(all.len() - cut);
        if dropped.bytes().any(|c| c != b'0') {
            return Err("not an integral number".into());
        }
        digits_to_i64(negative, keep)
    }
}

/// A 64-bit float by the table.
pub fn to_f64(v: &Value) -> Result<f64, Reason> {
    match v {
        Value::Bool(_) => Err("a bool is not a float".into()),
        Value::Int(i) => Ok(*i as f64),
        Value::Float(f) => Ok(*f),
        Value::Str(s) => str_to_f64(s.trim()).ok_or_else(|| "not a number".into()),
        other => Err(format!("{} is not a float", other.type_name()).into()),
    }
}

fn str_to_f64(s: &str) -> Option<f64> {
    if s.contains('_') {
        // Python allows `_` only between two digits.
        let b = s.as_bytes();
        for (i, &c) in b.iter().enumerate() {
            if c == b'_'
                && !(i > 0
                    && i + 1 < b.len()
                    && b[i - 1].is_ascii_digit()
                    && b[i + 1].is_ascii_digit())
            {
                return None;
            }
        }
        return s.replace('_', "").parse().ok();
    }
    s.parse().ok()
}

/// A string by the table: only a string is one.
pub fn to_str(v: &Value) -> Result<&Arc<str>, Reason> {
    match v {
        Value::Str(s) => Ok(s),
        other => Err(format!("{} is not a string", other.type_name()).into()),
    }
}

/// The items of a list by the table: a list, or a string in YAML flow form.
pub fn to_list(v: &Value) -> Result<Cow<'_, [Value]>, Reason> {
    match v {
        Value::List(items) => Ok(Cow::Borrowed(items)),
        Value::Str(s) => {
            let t = s.trim();
            if t.starts_with('[') {
                if let Some(items) = crate::flow::parse_list(t) {
                    return Ok(Cow::Owned(items));
                }
            }
            Err("a string is not a sequence (write it in flow form: [a, b])".into())
        }
        other => Err(format!("{} is not a sequence", other.type_name()).into()),
    }
}

impl FromValue for bool {
    fn target() -> Cow<'static, str> {
        "bool".into()
    }
    #[inline]
    fn from_value(v: &Value) -> Result<Self, Reason> {
        match v {
            Value::Bool(b) => Ok(*b),
            other => to_bool(other),
        }
    }
}

impl FromValue for i64 {
    fn target() -> Cow<'static, str> {
        "int".into()
    }
    #[inline]
    fn from_value(v: &Value) -> Result<Self, Reason> {
        match v {
            Value::Int(i) => Ok(*i),
            other => to_i64(other),
        }
    }
}

macro_rules! narrow_ints {
    ($($t:ty),*) => {$(
        impl FromValue for $t {
            fn target() -> Cow<'static, str> {
                stringify!($t).into()
            }
            #[inline]
            fn from_value(v: &Value) -> Result<Self, Reason> {
                let i = i64::from_value(v)?;
                <$t>::try_from(i)
                    .map_err(|_| concat!("out of range for ", stringify!($t)).into())
            }
        }
    )*};
}
narrow_ints!(i8, i16, i32, isize, u8, u16, u32, u64, usize);

impl FromValue for f64 {
    fn target() -> Cow<'static, str> {
        "float".into()
    }
    #[inline]
    fn from_value(v: &Value) -> Result<Self, Reason> {
        match v {
            Value::Float(f) => Ok(*f),
            other => to_f64(other),
        }
    }
}

impl FromValue for f32 {
    fn target() -> Cow<'static, str> {
        "f32".into()
    }
    #[inline]
    fn from_value(v: &Value) -> Result<Self, Reason> {
        f64::from_value(v).map(|f| f as f32)
    }
}

impl FromValue for String {
    fn target() -> Cow<'static, str> {
        "str".into()
    }
    #[inline]
    fn from_value(v: &Value) -> Result<Self, Reason> {
        to_str(v).map(|s| s.to_string())
    }
}

impl FromValue for Arc<str> {
    fn target() -> Cow<'static, str> {
        "str".into()
    }
    #[inline]
    fn from_value(v: &Value) -> Result<Self, Reason> {
        to_str(v).cloned()
    }
}

impl<T: FromValue> FromValue for Vec<T> {
    fn target() -> Cow<'static, str> {
        format!("Vec<{}>", T::target()).into()
    }
    fn from_value(v: &Value) -> Result<Self, Reason> {
        to_list(v)?
            .iter()
            .enumerate()
            .map(|(i, x)| T::from_value(x).map_err(|r| format!("item {i}: {r}").into()))
            .collect()
    }
}

impl<T: FromValue> FromValue for Option<T> {
    fn target() -> Cow<'static, str> {
        format!("Option<{}>", T::target()).into()
    }
    #[inline]
    fn from_value(v: &Value) -> Result<Self, Reason> {
        match v {
            Value::Null => Ok(None),
            other => T::from_value(other).map(Some),
        }
    }
}

impl FromValue for Value {
    fn target() -> Cow<'static, str> {
        "Value".into()
    }
    #[inline]
    fn from_value(v: &Value) -> Result<Self, Reason> {
        Ok(v.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ints_from_text_are_exact() {
        let int = |s: &str| i64::from_value(&Value::from(s));
        assert_eq!(int("1_000"), Ok(1000));
        assert_eq!(int("1e3"), Ok(1000));
        assert_eq!(int("-2.50e1"), Ok(-25));
        assert_eq!(int("-2.55e1"), Err("not an integral number".into()));
        assert_eq!(int("-2.50e2"), Ok(-250));
        assert_eq!(int("9223372036854775807"), Ok(i64::MAX));
        assert_eq!(int("-9223372036854775808"), Ok(i64::MIN));
        assert!(int("9223372036854775808").is_err());
        assert_eq!(int("0.000e5"), Ok(0));
        assert_eq!(int("5."), Ok(5));
        assert_eq!(int(".5"), Err("not an integral number".into()));
        assert_eq!(int("1__0"), Ok(10));
        assert_eq!(int("e3"), Err("not a number".into()));
        assert_eq!(
            u8::from_value(&Value::Int(300)),
            Err("out of range for u8".into())
        );
        assert_eq!(
            i64::from_value(&Value::Float(1e300)),
            Err("out of range for a 64-bit int".into())
        );
    }
}
