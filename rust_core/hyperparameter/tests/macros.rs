//! The macro grammar: `@set`/`set`, `@get`/`get`, `params`, a body that is an expression,
//! nesting, and scopes that end on every way out of the block.

use hyperparameter::*;

#[test]
fn set_get_and_the_body_value() {
    let out = with_params! {
        @set model.lr = 0.01;
        @set model.name = "resnet";
        @get layers = model.layers or 4;
        params ParamScope::from(&["model.dropout=0.1".to_string()]);
        let lr: f64 = get_param!(model.lr, 0.001);
        let amp: bool = get_param!(model.amp, false, "use mixed precision");
        assert_eq!(layers, 4);
        assert!(!amp);
        assert_eq!(get_param!(model.name, String::new()), "resnet");
        assert_eq!(get_param!(model.dropout, 0.0), 0.1);
        lr * 2.0
    };
    assert_eq!(out, 0.02);
    assert_eq!(get_param!(model.lr, 0.001), 0.001);
}

#[test]
fn the_published_spelling_without_at() {
    with_params! {
        set a.b.c = 1;
        set a.b = 2;
        assert_eq!(1, get_param!(a.b.c, 0));
        with_params! {
            set a.b.c = 2.0;
            get a_b = a.b or 0;
            assert_eq!(2.0, get_param!(a.b.c, 0.0));
            assert_eq!(2, a_b);
        };
        assert_eq!(1, get_param!(a.b.c, 0));
    }
    assert_eq!(0, get_param!(a.b.c, 0));
}

#[test]
fn directives_apply_in_order() {
    with_params! {
        get before = x.y or 1;
        set x.y = 3;
        get after = x.y or 2;
        assert_eq!((before, after), (1, 3));
    }
    let base = ParamScope::parse(["p.q=10", "p.r=1"]).unwrap();
    with_params! {
        params &base;
        set p.r = 2; // joins the `params` frame
        assert_eq!((get_param!(p.q, 0), get_param!(p.r, 0)), (10, 2));
    }
    assert_eq!(base.len(), 2); // a reference: still usable, unchanged
    assert_eq!(base.get("p.r"), Some(&Value::from("1")));
}

#[test]
fn keys_with_integers_dashes_and_strings() {
    with_params! {
        @set layers.0.size = 64;
        @set learning-rate = 0.5;
        @set "quoted.key" = true;
        assert_eq!(get_param!(layers.0.size, 0), 64);
        assert_eq!(get_param!(learning-rate, 0.0), 0.5);
        assert!(get_param!("quoted.key", false));
        assert_eq!(get_as::<i64>("layers.0.size").unwrap(), 64);
    }
}

fn early(flag: bool) -> i32 {
    with_params! {
        @set r.v = 5;
        if flag {
            return get_param!(r.v, 0);
        }
        get_param!(r.v, 0) + 1
    }
}

fn fallible(v: &str) -> Result<i64, Error> {
    with_params! {
        @set f.v = v;
        let got = try_get_param!(f.v, 0i64)?;
        Ok(got)
    }
}

#[test]
fn scopes_end_on_return_question_mark_and_panic() {
    assert_eq!(early(true), 5);
    assert_eq!(get_param!(r.v, 0), 0);
    assert_eq!(early(false), 6);
    assert_eq!(fallible("12").unwrap(), 12);
    assert!(matches!(fallible("x"), Err(Error::Conversion(_))));
    assert_eq!(get_param!(f.v, 0), 0);
    let caught = std::panic::catch_unwind(|| {
        with_params! {
            @set p.v = 1;
            panic!("boom");
        }
    });
    assert!(caught.is_err());
    assert_eq!(get_param!(p.v, 0), 0);
    assert!(local::current().is_none());
}

#[test]
fn try_get_param_and_the_one_time_warning() {
    assert_eq!(try_get_param!(t.missing, 3), Ok(3));
    with_params! {
        @set t.lr = "fast";
        let e = try_get_param!(t.lr, 0.1).unwrap_err();
        assert_eq!(e.to_string(), "t.lr: cannot convert 'fast' to float: not a number");
        assert!(!__private::warned(key!("t.lr")));
        assert_eq!(get_param!(t.lr, 0.1), 0.1);
        assert!(__private::warned(key!("t.lr")));
        assert_eq!(get_param!(t.lr, 0.1), 0.1);
    }
}

#[test]
fn writes_land_in_the_innermost_frame() {
    with_params! {
        @set w.a = 1;
        put("w.b", 2).unwrap();
        assert_eq!(get_param!(w.b, 0), 2);
        with_params! {
            put("w.a", 10).unwrap();
            assert_eq!(get_param!(w.a, 0), 10);
        }
        assert_eq!(get_param!(w.a, 0), 1);
        assert!(put("w..c", 1).is_err());
    }
    assert_eq!(get_param!(w.b, 0), 0);
}

#[test]
fn empty_scopes_hide_everything() {
    with_params! {
        @set h.a = 1;
        with_params! {
            params ParamScope::empty();
            assert_eq!(get_param!(h.a, 0), 0);
        }
    }
}

#[test]
fn manual_enter_and_exit() {
    let mut ps = ParamScope::new();
    ps.put("m.a", 1);
    ps.enter();
    assert_eq!(get_param!(m.a, 0), 1);
    ps.exit();
    assert_eq!(get_param!(m.a, 0), 0);
}
