//! serde: a TOML file into a scope, a subtree back into a struct, leaves coerced by §5.

use hyperparameter::*;
use serde::Deserialize;

const FILE: &str = r#"
[model]
lr = 0.01
layers = [64, 32]
name = "resnet"

[[model.blocks]]
kind = "conv"
width = 3

[[model.blocks]]
kind = "pool"
width = 2

[data]
when = 1979-05-27T07:32:00Z
"#;

#[derive(Debug, Deserialize, PartialEq)]
struct Block {
    kind: String,
    width: u32,
}

#[derive(Debug, Deserialize, PartialEq)]
struct Model {
    lr: f64,
    layers: Vec<u32>,
    name: String,
    blocks: Vec<Block>,
    #[serde(default)]
    amp: bool,
}

#[test]
fn a_toml_file_flattens_into_a_scope() {
    let doc: toml::Value = toml::from_str(FILE).unwrap();
    let ps = ParamScope::from_serde(&doc).unwrap();
    assert_eq!(ps.get("model.lr"), Some(&Value::Float(0.01)));
    assert_eq!(ps.get("model.layers.1"), Some(&Value::Int(32)));
    assert_eq!(ps.get("model.blocks.1.kind"), Some(&Value::from("pool")));
    assert_eq!(
        ps.get("data.when"),
        Some(&Value::from("1979-05-27T07:32:00Z"))
    );
    with_params! {
        params ps;
        assert_eq!(get_param!(model.lr, 0.0), 0.01);
        assert_eq!(get_param!(model.layers, Vec::<i64>::new()), vec![64, 32]);
        let m: Model = get_as("model").unwrap();
        assert_eq!(m, Model {
            lr: 0.01,
            layers: vec![64, 32],
            name: "resnet".into(),
            blocks: vec![
                Block { kind: "conv".into(), width: 3 },
                Block { kind: "pool".into(), width: 2 },
            ],
            amp: false,
        });
        // -D strings over the file: typed by the struct's fields.
        with_params! {
            params ParamScope::from(&["model.lr=3e-4", "model.amp=yes", "model.layers.0=128"]);
            let m: Model = get_as("model").unwrap();
            assert_eq!((m.lr, m.amp, m.layers), (3e-4, true, vec![128, 32]));
        }
        with_params! {
            params ParamScope::from(&["model.blocks.0.width=wide"]);
            let e = get_as::<Model>("model").unwrap_err();
            assert_eq!(
                e.to_string(),
                "model.blocks.0.width: cannot convert 'wide' to u32: not a number"
            );
        }
    }
}

#[test]
fn bad_trees_are_errors() {
    assert!(matches!(
        ParamScope::from_serde(&[1, 2]),
        Err(Error::Serde(_))
    ));
    let doc: toml::Value = toml::from_str("[a]\n\"x y\" = 1\n").unwrap();
    assert!(matches!(
        ParamScope::from_serde(&doc),
        Err(Error::InvalidKey(_))
    ));
    assert!(matches!(
        get_as::<i64>("no.such"),
        Err(Error::Missing { .. })
    ));
    assert!(matches!(
        get_as::<i64>("bad..key"),
        Err(Error::InvalidKey(_))
    ));
}
