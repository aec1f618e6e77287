//! Programs written for the published 0.5.13 crate, copied from its own tests
//! (`src/api.rs`) and examples with nothing changed but the dependency: they compile and
//! behave the same against this crate. (What does need a change is listed in docs/rust.md,
//! "Migrating from 0.5.13".)

use hyperparameter::*;

#[test]
fn test_param_scope_with_param_set() {
    with_params! {
        set a.b.c=1;
        set a.b =2;

        assert_eq!(1, get_param!(a.b.c, 0));
        assert_eq!(2, get_param!(a.b, 0));

        with_params! {
            set a.b.c=2.0;

            assert_eq!(2.0, get_param!(a.b.c, 0.0));
            assert_eq!(2, get_param!(a.b, 0));
        };

        assert_eq!(1, get_param!(a.b.c, 0));
        assert_eq!(2, get_param!(a.b, 0));
    }

    assert_eq!(0, get_param!(a.b.c, 0));
    assert_eq!(0, get_param!(a.b, 0));
}

#[test]
fn test_param_scope_with_param_get() {
    with_params! {
        set a.b.c=1;

        with_params! {
            get a_b_c = a.b.c or 0;

            assert_eq!(1, a_b_c);
        };
    }
}

#[test]
fn test_param_scope_with_param_set_get() {
    with_params! {
        set a.b.c = 1;
        set a.b = 2;

        with_params! {
            get a_b_c = a.b.c or 0;
            get a_b = a.b or 0;

            assert_eq!(1, a_b_c);
            assert_eq!(2, a_b);
        };
    }
}

#[test]
fn test_param_scope_with_param_readonly() {
    with_params! {
        get a_b_c = a.b.c or 1;

        assert_eq!(1, a_b_c);
    }
}

#[test]
fn test_param_scope_with_param_mixed_get_set() {
    with_params! {
        get _a_b_c = a.b.c or 1;
        set a.b.c = 3;
        get a_b_c = a.b.c or 2;

        assert_eq!(3, a_b_c);
    }
}

#[test]
fn test_param_scope_put_get_enter_exit() {
    let mut ps = ParamScope::default();
    ps.put("1", 1);
    ps.put("2.0", 2.0);
    assert_eq!(1, ps.get_or_else("1", 0));
    assert_eq!(2.0, ps.get_or_else("2.0", 0.0));
    ps.enter();
    assert_eq!(1, get_param!(1, 0));
    ps.exit();
    assert_eq!(0, get_param!(1, 0));
    assert_eq!(1, ps.get_or_else("1", 0));
}

#[test]
fn test_param_scope_from_vec_and_frozen() {
    let vec = vec!["param1=value1", "param2=value2"];
    let ps: ParamScope = (&vec).into();
    with_params! {
        params ps;

        assert_eq!("value1", get_param!(param1, String::new()));
    }
    assert_eq!(
        hyperparameter::xxhash("12345".as_bytes()),
        13461425039964245335u64
    );
}

// The 0.5.13 examples' shape (examples/clap_layered.rs, the config file aside): a function
// with a documented `get`, called from nested scopes.
fn foo(desc: &str) -> String {
    with_params! {
        /// Example param1 // this explain shows in `<app> --help`
        get param1 = example.param1 or "default".to_string();

        format!("param1={} // {}", param1, desc)
    }
}

#[test]
fn test_the_layered_example() {
    let args: Vec<String> = vec!["example.param1=from cmdline".into()];
    let mut lines = vec![foo("Outside any specific scope")];
    with_params! { // Scope with command-line arguments
        params ParamScope::from(&args);

        lines.push(foo("Within command-line arguments scope"));
        with_params! { // User-defined scope
            set example.param1= "scoped".to_string();

            lines.push(foo("Within user-defined scope"));
        }
    }
    assert_eq!(
        lines,
        [
            "param1=default // Outside any specific scope",
            "param1=from cmdline // Within command-line arguments scope",
            "param1=scoped // Within user-defined scope",
        ]
    );
    assert!(generate_params_help().contains("example.param1\n          Example param1"));
}
