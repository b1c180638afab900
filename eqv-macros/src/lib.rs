//! `#[equivariant]`: declare an E(3)-equivariant network with irreps
//! literals, get a checked model.
//!
//! The macro reads a struct whose fields are layers written with e3nn irreps
//! strings (`Linear<"16x0e + 4x1o", "8x0e + 4x1o">`), checks every rule it can
//! see in the literals (a nonlinearity on a vector, a linear map between
//! different irreps, an impossible tensor-product path, a wrong parity), and
//! generates the layer types, a config, seeded construction, the parameter
//! walk, save/load, a summary, and — with `output = ...` — the `Model`
//! implementation whose output type is checked against the declaration.
//! See the `eqv` crate for the guide.
//!
//! Sizes are runtime choices: `config(channels = 16)` declares an entry,
//! `"{channels}x0e"` and `Mlp<1, { hidden }, 1>` read it, and simple integer
//! arithmetic of entries is allowed (`"{2 * channels}x0e"`,
//! `{ 2 * hidden + 1 }`). A sub-network's config entries follow the
//! parent's entries of the same name (left at their default they take the
//! parent's value; set to a third value they are an error at `new`). The
//! generated `predict` checks the row count of the declared output (one per
//! atom or per structure, rule 8).
//!
//! Structure: `attr` and `spec` parse, `check` applies the rules,
//! `expand` generates; errors are collected, never panicked.
#![forbid(unsafe_code)]

// The irreps grammar is the library's own parser (one crate, no copy), so a
// literal the macro accepts is one the library parses the same way.
use eqv_irreps::{irrep, irreps};

mod attr;
mod check;
mod errors;
mod expand;
mod literal;
mod spec;
mod symmetric;

use proc_macro::TokenStream;

/// Declares an equivariant network: the layer vocabulary, the generated
/// methods, nested configs and output kinds are in the guide,
/// <https://docs.rs/eqv-nn/latest/eqv/guide/index.html> (`eqv::guide`).
#[proc_macro_attribute]
pub fn equivariant(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand_equivariant(attr.into(), item.into()).into()
}

fn expand_equivariant(
    attr: proc_macro2::TokenStream,
    item: proc_macro2::TokenStream,
) -> proc_macro2::TokenStream {
    let mut errors = errors::Errors::default();
    let mut args = attr::parse(attr, &mut errors);
    let item: syn::ItemStruct = match syn::parse2(item.clone()) {
        Ok(s) => s,
        Err(e) => {
            let mut out = syn::Error::new(
                e.span(),
                "#[equivariant] goes on a struct whose fields are the network's layers",
            )
            .to_compile_error();
            out.extend(item);
            return out;
        }
    };
    let Some(mut model) = spec::parse_model(&item, &mut errors) else {
        let mut out = errors.to_compile_errors();
        out.extend(quote::ToTokens::to_token_stream(&item));
        return out;
    };
    check::check(&mut model, &args, &mut errors);
    check::declare_missing_entries(&model, &mut args);
    // Even with errors, generate everything: layers with a mistake are
    // poisoned (typed to keep the user's code checking), so the editor keeps
    // working and one mistake gives one error.
    let mut out = errors.to_compile_errors();
    out.extend(expand::generate(&model, &args));
    out
}
