//! The procedural macros of the `hyperparameter` crate: `with_params!`, `get_param!` and
//! `try_get_param!`. Use them through `hyperparameter`, which re-exports them and documents
//! them with examples; the expansions name `::hyperparameter` paths.
//!
//! Keys are checked against the store's grammar here, at expansion time, so that a bad key is
//! a compile error pointing at it; the expansion hashes it with the store's `const fn` XXH64
//! (`hyperparameter::Key::new` in a `const`), so no key is hashed at run time.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod key;
mod params;
mod scope;

use proc_macro::TokenStream;

/// Reads a parameter, typed and coerced by its default: `get_param!(model.lr, 0.001)`, or
/// `get_param!(model.lr, 0.001, "learning rate")` with a help text for
/// `generate_params_help()`. See the `hyperparameter` crate.
#[proc_macro]
pub fn get_param(input: TokenStream) -> TokenStream {
    params::get_param(input.into(), false).into()
}

/// Reads a parameter as `Result<T, hyperparameter::Error>`: `Ok(default)` when it is missing,
/// `Err` when its value does not convert to the default's type. See the `hyperparameter` crate.
#[proc_macro]
pub fn try_get_param(input: TokenStream) -> TokenStream {
    params::get_param(input.into(), true).into()
}

/// Runs a block inside a new parameter scope: `@set a.b = v;` (or `set`), `@get x = a.b or d;`
/// (or `get`), `params <ParamScope>;`, then the body, whose value is the macro's. See the
/// `hyperparameter` crate.
#[proc_macro]
pub fn with_params(input: TokenStream) -> TokenStream {
    scope::with_params(input.into()).into()
}
