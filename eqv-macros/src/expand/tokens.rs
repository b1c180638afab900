//! Small builders for the tokens every generator needs: irrep types, feature
//! types, tuples of blocks, multiplicities read from the config.

use crate::irrep::Ir;
use crate::literal::{IrrepsLit, Mul};
use crate::spec::{RealArg, Size};
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::Ident;

/// `::eqv::__private::Vector` for 1o.
pub fn ir_type(ir: Ir) -> TokenStream {
    let id = Ident::new(&ir.type_name(), Span::call_site());
    quote!(::eqv::__private::#id)
}

/// `::eqv::__private::Feat<'t, Vector, T>`.
pub fn feat_type(ir: Ir) -> TokenStream {
    let t = ir_type(ir);
    quote!(::eqv::__private::Feat<'t, #t, T>)
}

/// One block is passed bare; several as a tuple, in the order written.
pub fn tuple(items: &[TokenStream]) -> TokenStream {
    if items.len() == 1 {
        items[0].clone()
    } else {
        quote!((#(#items),*))
    }
}

/// The feature type of a whole irreps literal.
pub fn irreps_type(lit: &IrrepsLit) -> TokenStream {
    let tys: Vec<TokenStream> = lit.terms.iter().map(|t| feat_type(t.ir)).collect();
    tuple(&tys)
}

/// Identifiers `prefix0, prefix1, ...` for the blocks of a literal.
pub fn block_idents(prefix: &str, n: usize) -> Vec<Ident> {
    (0..n).map(|i| format_ident!("{}{}", prefix, i)).collect()
}

/// A multiplicity as an expression over `cfg: &Config`.
pub fn mul_expr(m: &Mul) -> TokenStream {
    match m {
        Mul::Lit(n) => quote!(#n),
        Mul::Config(name) => quote!(cfg.#name),
        Mul::Expr(a) => a.tokens(),
    }
}

/// The multiplicities of a literal as a `Vec<usize>` expression.
pub fn muls_expr(lit: &IrrepsLit) -> TokenStream {
    if let Some(ty) = &lit.from {
        return quote!(#ty::__out_muls(cfg));
    }
    let m: Vec<TokenStream> = lit.terms.iter().map(|t| mul_expr(&t.mul)).collect();
    quote!(::std::vec![#(#m),*])
}

/// A size; `fields` maps a field name to an expression of its weight count.
pub fn size_expr(s: &Size, field_numel: &dyn Fn(&Ident) -> Option<TokenStream>) -> TokenStream {
    match s {
        Size::Lit(n) => quote!(#n),
        Size::Name(name) => field_numel(name).unwrap_or_else(|| quote!(cfg.#name)),
        Size::Expr(a) => a.tokens(),
    }
}

/// A real number (config entries may be integers or floats).
pub fn real_expr(r: &RealArg) -> TokenStream {
    match r {
        RealArg::Lit(x) => quote!(#x),
        RealArg::Name(name) => quote!((cfg.#name as f64)),
    }
}

/// `"16x0e + 8x1o"` with config multiplicities resolved at run time.
pub fn irreps_string_expr(lit: &IrrepsLit, muls: TokenStream) -> TokenStream {
    let labels: Vec<String> = lit.terms.iter().map(|t| t.ir.to_string()).collect();
    quote!({
        let muls: &[usize] = &#muls;
        let labels: &[&str] = &[#(#labels),*];
        muls.iter().zip(labels).map(|(m, l)| ::std::format!("{}x{}", m, l)).collect::<::std::vec::Vec<_>>().join("+")
    })
}
