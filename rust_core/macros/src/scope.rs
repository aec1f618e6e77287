//! `with_params! { ... }`: directives, then a body that is an expression.
//!
//! ```text
//! with_params! {
//!     @set model.lr = 0.01;            // or `set model.lr = 0.01;` (0.5.13)
//!     @get layers = model.layers or 4; // or `get ...` (0.5.13); `///` doc comments are help
//!     params ParamScope::from(&args);  // a ParamScope value or reference
//!     body...                          // statements; the last expression is the value
//! }
//! ```
//!
//! Every `with_params!` opens at least one frame (an empty one when it starts with a `get` or
//! has no directive), so writes in its body end with it. Consecutive `set`s form one frame; a `params` starts a new frame (inner to what came before)
//! that later `set`s add to, and a `get` reads the scope as entered so far — as 0.5.13 did.
//! Each frame is a guard local to the expansion's block, so it ends when the block does,
//! also on `return`, `?`, `break` and panics.
//!
//! Every `.await` in the input is rewritten to await `__private::scoped(fut)`, which carries
//! the scope across suspension points: the scope is taken off the thread when the future
//! returns `Pending` and put back when it is polled again, on whichever thread that is.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::spanned::Spanned;
use syn::visit_mut::{self, VisitMut};
use syn::{Attribute, Block, Expr, Ident, Stmt, Token};

use crate::key::{self, Key};
use crate::params::GetParam;

enum Op {
    /// A frame: an optional `params` base, plus the keys `set` adds.
    Frame {
        base: Option<Expr>,
        sets: Vec<(Key, Expr)>,
    },
    /// `get name = key or default;`
    Get { name: Ident, get: GetParam },
}

struct WithParams {
    ops: Vec<Op>,
    body: Vec<Stmt>,
}

fn is_word(input: ParseStream<'_>, word: &str) -> bool {
    input.fork().parse::<Ident>().is_ok_and(|i| i == word)
}

/// After the directive word: what may start a key (`set`) or a binding name (`get`).
fn starts_key(input: ParseStream<'_>) -> bool {
    let fork = input.fork();
    let _ = fork.parse::<Ident>();
    fork.peek(Ident::peek_any) || fork.peek(syn::Lit)
}

/// `params <expr>;` — but not a body statement that uses a variable named `params`.
fn starts_params(input: ParseStream<'_>) -> bool {
    let fork = input.fork();
    let _ = fork.parse::<Ident>();
    fork.peek(Ident::peek_any) || fork.peek(Token![&]) || fork.peek(Token![*])
}

fn parse(input: ParseStream<'_>) -> syn::Result<WithParams> {
    let mut ops: Vec<Op> = Vec::new();
    loop {
        let attrs_fork = input.fork();
        let attrs = attrs_fork.call(Attribute::parse_outer)?;
        let at = attrs_fork.peek(Token![@]);
        let directive = {
            let f = attrs_fork.fork();
            if at {
                let _ = f.parse::<Token![@]>();
            }
            if is_word(&f, "set") && (at || starts_key(&f)) {
                Some("set")
            } else if is_word(&f, "get") && (at || starts_key(&f)) {
                Some("get")
            } else if is_word(&f, "params") && (at || starts_params(&f)) {
                Some("params")
            } else if at {
                return Err(f.error("expected `@set`, `@get` or `params`"));
            } else {
                None
            }
        };
        let Some(directive) = directive else {
            break;
        };
        // Commit: consume the attributes, the `@` and the word.
        let attrs_here = input.call(Attribute::parse_outer)?;
        debug_assert_eq!(attrs_here.len(), attrs.len());
        if at {
            input.parse::<Token![@]>()?;
        }
        let word: Ident = input.parse()?;
        if directive != "get" {
            if let Some(a) = attrs.first() {
                return Err(syn::Error::new_spanned(
                    a,
                    "only `get` takes doc comments (its help text)",
                ));
            }
        }
        match directive {
            "set" => {
                let key = key::parse(input, |i| i.peek(Token![=]))?;
                input.parse::<Token![=]>().map_err(|e| {
                    syn::Error::new(
                        e.span(),
                        format!("expected `=` after `{word} {}`", key.text),
                    )
                })?;
                let mut value: Expr = input.parse()?;
                scoped_awaits(&mut value);
                input.parse::<Token![;]>()?;
                match ops.last_mut() {
                    Some(Op::Frame { sets, .. }) => sets.push((key, value)),
                    _ => ops.push(Op::Frame {
                        base: None,
                        sets: vec![(key, value)],
                    }),
                }
            }
            "get" => {
                let name: Ident = input.parse()?;
                input.parse::<Token![=]>()?;
                let key = key::parse(input, |i| is_word(i, "or"))?;
                if !is_word(input, "or") {
                    return Err(input.error(format!(
                        "expected `or <default>` after `get {name} = {}`",
                        key.text
                    )));
                }
                input.parse::<Ident>()?;
                let mut default: Expr = input.parse()?;
                scoped_awaits(&mut default);
                input.parse::<Token![;]>()?;
                let help = doc_help(&attrs)?;
                ops.push(Op::Get {
                    name,
                    get: GetParam { key, default, help },
                });
            }
            _ => {
                let mut base: Expr = input.parse()?;
                scoped_awaits(&mut base);
                input.parse::<Token![;]>()?;
                ops.push(Op::Frame {
                    base: Some(base),
                    sets: Vec::new(),
                });
            }
        }
    }
    if !matches!(ops.first(), Some(Op::Frame { .. })) {
        // Every `with_params!` opens a scope, so that writes in its body end with it.
        ops.insert(
            0,
            Op::Frame {
                base: None,
                sets: Vec::new(),
            },
        );
    }
    let mut body = input.call(Block::parse_within)?;
    for stmt in &mut body {
        ScopedAwaits.visit_stmt_mut(stmt);
    }
    Ok(WithParams { ops, body })
}

/// The help text of `/// ...` comments on a `get`.
fn doc_help(attrs: &[Attribute]) -> syn::Result<Option<TokenStream>> {
    let mut lines = Vec::new();
    for a in attrs {
        if !a.path().is_ident("doc") {
            return Err(syn::Error::new_spanned(
                a,
                "only doc comments (help text) may precede `get`",
            ));
        }
        match &a.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) => lines.push(s.value().trim().to_owned()),
                other => return Err(syn::Error::new_spanned(other, "expected a doc string")),
            },
            other => return Err(syn::Error::new_spanned(other, "expected a doc string")),
        }
    }
    if lines.is_empty() {
        return Ok(None);
    }
    let text = lines.join("\n");
    Ok(Some(quote!(#text)))
}

impl WithParams {
    fn expand(&self) -> TokenStream {
        let mut out = TokenStream::new();
        for (i, op) in self.ops.iter().enumerate() {
            match op {
                Op::Frame { base, sets } => {
                    let guard = format_ident!("__hp_scope_{}", i, span = Span::mixed_site());
                    let base = match base {
                        Some(b) => quote_spanned! {b.span()=>
                            ::core::option::Option::Some(::hyperparameter::__private::as_scope(&(#b)))
                        },
                        None => quote!(::core::option::Option::None),
                    };
                    let entries = sets.iter().map(|(k, v)| {
                        let name = format_ident!("__HP_KEY");
                        let constant = k.constant(&name);
                        quote! {
                            ({ #constant #name }, ::hyperparameter::Value::from(#v))
                        }
                    });
                    out.extend(quote! {
                        let #guard = ::hyperparameter::__private::enter(#base, [#(#entries),*]);
                    });
                }
                Op::Get { name, get } => {
                    let read = get.expand(false);
                    out.extend(quote! { let #name = #read; });
                }
            }
        }
        let body = &self.body;
        quote! {{
            #out
            #(#body)*
        }}
    }
}

pub fn with_params(input: TokenStream) -> TokenStream {
    match parse.parse2(input) {
        Ok(w) => w.expand(),
        Err(e) => e.to_compile_error(),
    }
}

/// Rewrites `fut.await` to `::hyperparameter::__private::scoped(fut).await`, except inside
/// closures, async blocks and nested items, which are futures (or code) of their own.
struct ScopedAwaits;

impl VisitMut for ScopedAwaits {
    fn visit_expr_mut(&mut self, e: &mut Expr) {
        match e {
            Expr::Closure(_) | Expr::Async(_) => {}
            Expr::Await(aw) => {
                visit_mut::visit_expr_mut(self, &mut aw.base);
                let base = &aw.base;
                let wrapped: Expr = syn::parse_quote_spanned! {base.span()=>
                    ::hyperparameter::__private::scoped(#base)
                };
                *aw.base = wrapped;
            }
            _ => visit_mut::visit_expr_mut(self, e),
        }
    }

    fn visit_item_mut(&mut self, _: &mut syn::Item) {}
}

/// [`ScopedAwaits`] over one expression.
pub fn scoped_awaits(e: &mut Expr) {
    ScopedAwaits.visit_expr_mut(e);
}
