//! The coercion table's golden rows (`tests/data/coercion_cases.json`), which pytest reads too
//! (`tests/test_coercion_cases.py`): the same value converts to the same result, or is refused
//! for the same reason, in both languages (DESIGN §5).

use hyperparameter::*;
use serde_json::Value as Json;

fn decode(v: &Json) -> Value {
    match v {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) if n.is_f64() => Value::Float(n.as_f64().unwrap()),
        Json::Number(n) => Value::Int(n.as_i64().expect("an i64")),
        Json::String(s) => Value::from(s.as_str()),
        Json::Array(items) => Value::List(items.iter().map(decode).collect()),
        Json::Object(m) => Value::Float(m["float"].as_str().unwrap().parse().unwrap()),
    }
}

fn same(got: &Value, want: &Value) -> bool {
    match (got, want) {
        (Value::Float(g), Value::Float(w)) if w.is_nan() => g.is_nan(),
        (Value::List(g), Value::List(w)) => {
            g.len() == w.len() && g.iter().zip(w.iter()).all(|(a, b)| same(a, b))
        }
        _ => got == want,
    }
}

/// Converts through the reader's type (`Option<T>`, so that a null reads as null), then back
/// to a `Value` to compare with the row.
fn convert(value: &Value, target: &str) -> Result<Value, String> {
    fn via<T: FromValue + Into<Value>>(v: &Value) -> Result<Value, String> {
        Option::<T>::from_value(v)
            .map(Value::from)
            .map_err(|r| r.into_owned())
    }
    match target {
        "bool" => via::<bool>(value),
        "int" | "optional[int]" => via::<i64>(value),
        "float" => via::<f64>(value),
        "str" | "optional[str]" => via::<String>(value),
        "list[int]" => via::<Vec<i64>>(value),
        "list[float]" => via::<Vec<f64>>(value),
        "list[str]" => via::<Vec<String>>(value),
        "list[bool]" => via::<Vec<bool>>(value),
        other => panic!("unknown target {other}"),
    }
}

#[test]
fn every_row_agrees_with_python() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/data/coercion_cases.json"
    );
    let doc: Json = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let cases = doc["cases"].as_array().unwrap();
    assert!(cases.len() >= 80);
    let mut failures = Vec::new();
    for case in cases {
        let value = decode(&case["value"]);
        let target = case["target"].as_str().unwrap();
        let got = convert(&value, target);
        let ok = match (&got, case.get("expect"), case.get("error")) {
            (Ok(g), Some(want), None) => same(g, &decode(want)),
            (Err(reason), None, Some(want)) => reason.contains(want.as_str().unwrap()),
            _ => false,
        };
        if !ok {
            failures.push(format!("{value:?} -> {target}: got {got:?}, row {case}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn get_param_reads_through_the_same_table() {
    with_params! {
        params ParamScope::from(&["c.n=1e3", "c.flag=off", "c.xs=[1, 2]", "c.lr=fast"]);
        assert_eq!(get_param!(c.n, 0), 1000);
        assert!(!get_param!(c.flag, true));
        assert_eq!(get_param!(c.xs, Vec::<u8>::new()), vec![1, 2]);
        assert_eq!(get_param!(c.lr, 0.5), 0.5); // cannot convert: the default (and a warning)
        assert!(try_get_param!(c.lr, 0.5).is_err());
    }
}
