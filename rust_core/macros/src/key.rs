//! Parameter keys written in macro input: `model.lr`, `layers.0.size`, `learning-rate`, or a
//! string literal `"model.lr"`.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{quote, quote_spanned, ToTokens};
use syn::parse::ParseStream;
use syn::{LitStr, Token};

/// How a key is described in a compile error: the grammar of DESIGN §3.
const GRAMMAR: &str = "a key is dotted segments, each an identifier, a non-negative integer, \
                       or identifier-like with '-', e.g. `model.lr`, `layers.0`, `learning-rate`";

/// A key as written, checked against the grammar.
pub struct Key {
    pub text: String,
    pub span: Span,
}

impl Key {
    /// `const __HP_KEY: ::hyperparameter::Key = ...;` hashed at compile time.
    pub fn constant(&self, name: &syn::Ident) -> TokenStream {
        let text = &self.text;
        quote_spanned! {self.span=>
            const #name: ::hyperparameter::Key = ::hyperparameter::Key::new(#text);
        }
    }

    /// The registration of this key (and its help) for `generate_params_help()`.
    pub fn help(&self, help: Option<&TokenStream>) -> TokenStream {
        let text = &self.text;
        let help = match help {
            Some(h) => h.clone(),
            None => quote!(""),
        };
        quote! {
            #[::hyperparameter::__private::linkme::distributed_slice(::hyperparameter::__private::PARAMS)]
            #[linkme(crate = ::hyperparameter::__private::linkme)]
            static __HP_HELP: ::hyperparameter::__private::Help =
                ::hyperparameter::__private::Help { key: #text, help: #help };
        }
    }
}

/// Parses a key up to (not including) the first token for which `stop` is true, at the top
/// level of `input`.
pub fn parse(input: ParseStream<'_>, stop: impl Fn(ParseStream<'_>) -> bool) -> syn::Result<Key> {
    if input.peek(LitStr) {
        let lit: LitStr = input.parse()?;
        return checked(lit.value(), lit.span(), &lit.to_token_stream());
    }
    let mut tokens = TokenStream::new();
    let mut text = String::new();
    let mut last_word = false;
    while !input.is_empty() && !stop(input) {
        let tt: TokenTree = input.parse()?;
        let word = matches!(tt, TokenTree::Ident(_) | TokenTree::Literal(_));
        if word && last_word {
            // Two words in a row (`a b`): keep the space, which the grammar then refuses.
            text.push(' ');
        }
        last_word = word;
        match &tt {
            TokenTree::Group(g) => text.push_str(&g.to_string()),
            other => text.push_str(&other.to_string()),
        }
        tt.to_tokens(&mut tokens);
    }
    if tokens.is_empty() {
        return Err(input.error(format!("expected a parameter key; {GRAMMAR}")));
    }
    let span = tokens
        .clone()
        .into_iter()
        .next()
        .map_or_else(Span::call_site, |t| t.span());
    checked(text, span, &tokens)
}

fn checked(text: String, span: Span, tokens: &TokenStream) -> syn::Result<Key> {
    match hp_store::check_key(&text) {
        Ok(()) => Ok(Key { text, span }),
        Err(reason) => Err(syn::Error::new_spanned(
            tokens,
            format!("invalid parameter key `{text}`: {reason}; {GRAMMAR}"),
        )),
    }
}

/// Whether the next token is a top-level `,`.
pub fn at_comma(input: ParseStream<'_>) -> bool {
    input.peek(Token![,])
}
