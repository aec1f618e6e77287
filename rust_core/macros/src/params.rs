//! `get_param!(key, default)`, `get_param!(key, default, "help")` and `try_get_param!`.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, ToTokens};
use syn::parse::{Parse, ParseStream, Parser};
use syn::{Expr, Token};

use crate::key::{self, Key};
use crate::scope::scoped_awaits;

/// A parsed `get_param!` input.
pub struct GetParam {
    pub key: Key,
    pub default: Expr,
    pub help: Option<TokenStream>,
}

impl Parse for GetParam {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let key = key::parse(input, key::at_comma)?;
        if input.is_empty() {
            return Err(input.error(format!(
                "expected `, default` after the key `{}`: get_param!(key, default) or \
                 get_param!(key, default, \"help\")",
                key.text
            )));
        }
        input.parse::<Token![,]>()?;
        let mut default: Expr = input.parse()?;
        scoped_awaits(&mut default);
        let mut help = None;
        if input.peek(Token![,]) {
            input.parse::<Token![,]>()?;
            if !input.is_empty() {
                let h: Expr = input.parse()?;
                help = Some(h.to_token_stream());
                if input.peek(Token![,]) {
                    input.parse::<Token![,]>()?;
                }
            }
        }
        if !input.is_empty() {
            return Err(input.error("unexpected tokens after get_param!(key, default, \"help\")"));
        }
        Ok(GetParam { key, default, help })
    }
}

impl GetParam {
    /// The read: a block that evaluates to `T` (`try_`: `Result<T, Error>`).
    pub fn expand(&self, fallible: bool) -> TokenStream {
        let name = format_ident!("__HP_KEY");
        let constant = self.key.constant(&name);
        let help = self.key.help(self.help.as_ref());
        let default = &self.default;
        let read = if fallible {
            quote!(::hyperparameter::__private::try_get_or(&#name, #default))
        } else {
            quote!(::hyperparameter::__private::get_or(&#name, #default))
        };
        quote! {{
            #constant
            #help
            #read
        }}
    }
}

pub fn get_param(input: TokenStream, fallible: bool) -> TokenStream {
    match GetParam::parse.parse2(input) {
        Ok(g) => g.expand(fallible),
        Err(e) => e.to_compile_error(),
    }
}
