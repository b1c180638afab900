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
    /// Records the error of a failed result and returns its value, if any.
    pub fn ok<T>(&mut self, r: syn::Result<T>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.push(e);
                None
            }
        }
    }
    /// Whether nothing went wrong.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// All errors as `compile_error!` invocations.
    pub fn to_compile_errors(&self) -> TokenStream {
        self.0.iter().map(syn::Error::to_compile_error).collect()
    }
}
