//! Collecting errors: the macro reports every problem it finds at once, each
//! at the user's own token, instead of stopping at the first.

use proc_macro2::TokenStream;

/// A list of spanned errors.
#[derive(Default)]
pub struct Errors(Vec<syn::Error>);

impl Errors {
    /// Records one error.
    pub fn push(&mut self, e: syn::Error) {
        self.0.push(e);
    }
    /// How many errors so far.
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// All errors as `compile_error!` invocations.
    pub fn to_compile_errors(&self) -> TokenStream {
        self.0.iter().map(syn::Error::to_compile_error).collect()
    }
}
