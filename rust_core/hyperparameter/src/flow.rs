//! YAML 1.2 flow sequences of scalars (`[1, 2.5, true, null, abc, 'q']`, nested), the form a
//! `-D` list takes: what `hyperparameter.coerce` reads with ruamel.yaml, for the values a
//! command line carries. Flow mappings, anchors and tags are not read here (the text is then
//! refused as "not a sequence").

use hp_store::Value;

/// The items of `text` (which starts with `[`), or `None` if it is not one flow sequence.
pub fn parse_list(text: &str) -> Option<Vec<Value>> {
    let mut p = Parser {
        s: text.as_bytes(),
        i: 0,
        depth: 0,
    };
    let items = p.list()?;
    p.ws();
    (p.i == p.s.len()).then_some(items)
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    depth: usize,
}

/// Nesting beyond this is refused (as deeply nested files are, DESIGN §8).
const MAX_DEPTH: usize = 1000;

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }

    fn list(&mut self) -> Option<Vec<Value>> {
        self.depth += 1;
        if self.depth > MAX_DEPTH || self.s.get(self.i) != Some(&b'[') {
            return None;
        }
        self.i += 1;
        let mut items = Vec::new();
        loop {
            self.ws();
            match self.s.get(self.i)? {
                b']' => {
                    self.i += 1;
                    self.depth -= 1;
                    return Some(items);
                }
                b',' => return None,
                _ => {}
            }
            items.push(self.item()?);
            self.ws();
            match self.s.get(self.i)? {
                b',' => self.i += 1,
                b']' => {}
                _ => return None,
            }
        }
    }

    fn item(&mut self) -> Option<Value> {
        match self.s.get(self.i)? {
            b'[' => self.list().map(|v| Value::List(v.into())),
            b'\'' => self.single().map(Value::from),
            b'"' => self.double().map(Value::from),
            b'{' | b'&' | b'*' | b'!' | b'|' | b'>' | b'%' | b'@' | b'`' => None,
            _ => {
                let start = self.i;
                while self.i < self.s.len()
                    && !matches!(self.s[self.i], b',' | b']' | b'[' | b'{' | b'}')
                {
                    self.i += 1;
                }
                let raw = std::str::from_utf8(&self.s[start..self.i]).ok()?.trim();
                if raw.contains(": ") || raw.ends_with(':') || raw.contains(" #") {
                    return None; // a flow mapping entry or a comment: not read here
                }
                Some(plain(raw))
            }
        }
    }

    fn single(&mut self) -> Option<String> {
        self.i += 1;
        let mut out = Vec::new();
        loop {
            match *self.s.get(self.i)? {
                b'\'' if self.s.get(self.i + 1) == Some(&b'\'') => {
                    out.push(b'\'');
                    self.i += 2;
                }
                b'\'' => {
                    self.i += 1;
                    return String::from_utf8(out).ok();
                }
                c => {
                    out.push(c);
                    self.i += 1;
                }
            }
        }
    }

    fn double(&mut self) -> Option<String> {
        self.i += 1;
        let mut out = Vec::new();
        loop {
            match *self.s.get(self.i)? {
                b'"' => {
                    self.i += 1;
                    return String::from_utf8(out).ok();
                }
                b'\\' => {
                    let c = *self.s.get(self.i + 1)?;
                    out.push(match c {
                        b'n' => b'\n',
                        b't' => b'\t',
                        b'\\' => b'\\',
                        b'"' => b'"',
                        b'/' => b'/',
                        _ => return None,
                    });
                    self.i += 2;
                }
                c => {
                    out.push(c);
                    self.i += 1;
                }
            }
        }
    }
}

/// A plain scalar by the YAML 1.2 core schema (as `coerce.parse_scalar` reads one).
fn plain(s: &str) -> Value {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Value::Float(f64::INFINITY)
        }
        "-.inf" | "-.Inf" | "-.INF" => return Value::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Value::Float(f64::NAN),
        _ => {}
    }
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    if !body.is_empty() && body.bytes().all(|c| c.is_ascii_digit()) {
        if let Ok(i) = s.parse::<i64>() {
            return Value::Int(i);
        }
    }
    if let Some(oct) = s.strip_prefix("0o") {
        if let Ok(i) = i64::from_str_radix(oct, 8) {
            return Value::Int(i);
        }
    }
    if let Some(hex) = s.strip_prefix("0x") {
        if let Ok(i) = i64::from_str_radix(hex, 16) {
            return Value::Int(i);
        }
    }
    if is_float(s) {
        if let Ok(f) = s.parse::<f64>() {
            return Value::Float(f);
        }
    }
    Value::from(s)
}

/// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`, YAML 1.2's float.
fn is_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'-' | b'+')));
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'-' | b'+')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flow_lists() {
        let l = |s: &str| parse_list(s);
        assert_eq!(l("[1, 2]"), Some(vec![Value::Int(1), Value::Int(2)]));
        assert_eq!(l("[]"), Some(vec![]));
        assert_eq!(l("[1, 2,]"), Some(vec![Value::Int(1), Value::Int(2)]));
        assert_eq!(
            l("[a, 'b c', \"d\", 1.5, true, null, [3]]"),
            Some(vec![
                Value::from("a"),
                Value::from("b c"),
                Value::from("d"),
                Value::Float(1.5),
                Value::Bool(true),
                Value::Null,
                Value::List(vec![Value::Int(3)].into()),
            ])
        );
        assert_eq!(
            l("[1e-3, -2, 0x1f, yes]"),
            Some(vec![
                Value::Float(1e-3),
                Value::Int(-2),
                Value::Int(31),
                Value::from("yes")
            ])
        );
        assert_eq!(l("[1, 2"), None);
        assert_eq!(l("[1] x"), None);
        assert_eq!(l("[{a: 1}]"), None);
        assert_eq!(l("[,]"), None);
    }
}
