//! Irreps literals inside a declaration: e3nn's grammar (parsed by the very
//! parser eqv-core uses at run time), plus `{name}` multiplicities that refer
//! to entries of the model's config, so sizes stay runtime choices.

use crate::irrep::{Ir, MAX_L};
use crate::irreps::parse_irreps;
use syn::{Ident, LitStr};

/// A multiplicity: a number, or a config entry.
#[derive(Clone, Debug)]
pub enum Mul {
    /// A fixed number of channels.
    Lit(usize),
    /// `{name}`: the config entry `name`.
    Config(Ident),
    /// `{2 * channels}`: integer arithmetic (`+ - * /`, parentheses) of
    /// config entries and literals.
    Expr(Arith),
}

/// Simple integer arithmetic of config entries, as written and parsed.
#[derive(Clone, Debug)]
pub struct Arith {
    /// The text between the braces, trimmed.
    pub text: String,
    /// The parsed expression (checked: only `+ - * /`, parentheses,
    /// integer literals and config names).
    pub expr: syn::Expr,
    /// The config names it reads, in order.
    pub names: Vec<Ident>,
}

impl Arith {
    /// Parses `text` (what is inside the braces); `None` if it is not
    /// simple arithmetic of names and integers.
    pub fn parse(text: &str, span: proc_macro2::Span) -> Option<Arith> {
        let expr: syn::Expr = syn::parse_str(text).ok()?;
        let mut names = Vec::new();
        if !walk(&expr, &mut names, span) {
            return None;
        }
        Some(Arith {
            text: text.trim().to_string(),
            expr,
            names,
        })
    }
    /// The expression over `cfg: &Config` (`cfg.name` for every name).
    pub fn tokens(&self) -> proc_macro2::TokenStream {
        emit(&self.expr)
    }
}

fn walk(e: &syn::Expr, names: &mut Vec<Ident>, span: proc_macro2::Span) -> bool {
    use syn::{BinOp, Expr};
    match e {
        Expr::Binary(b) => {
            matches!(
                b.op,
                BinOp::Add(_) | BinOp::Sub(_) | BinOp::Mul(_) | BinOp::Div(_)
            ) && walk(&b.left, names, span)
                && walk(&b.right, names, span)
        }
        Expr::Paren(p) => walk(&p.expr, names, span),
        Expr::Lit(l) => matches!(&l.lit, syn::Lit::Int(i) if i.suffix().is_empty()),
        Expr::Path(p) if p.qself.is_none() => match p.path.get_ident() {
            Some(id) => {
                names.push(Ident::new(&id.to_string(), span));
                true
            }
            None => false,
        },
        _ => false,
    }
}

fn emit(e: &syn::Expr) -> proc_macro2::TokenStream {
    use quote::quote;
    use syn::Expr;
    match e {
        Expr::Binary(b) => {
            let (l, r, op) = (emit(&b.left), emit(&b.right), &b.op);
            quote!((#l #op #r))
        }
        Expr::Paren(p) => emit(&p.expr),
        Expr::Lit(l) => {
            let lit = &l.lit;
            quote!((#lit as usize))
        }
        Expr::Path(p) => {
            let id = p.path.get_ident().expect("checked by walk");
            quote!(cfg.#id)
        }
        _ => quote!(0usize),
    }
}

/// One `mul x ir` term.
#[derive(Clone, Debug)]
pub struct Term {
    pub mul: Mul,
    pub ir: Ir,
}

/// A parsed irreps literal and where it was written.
#[derive(Clone)]
pub struct IrrepsLit {
    pub terms: Vec<Term>,
    pub lit: LitStr,
    /// Set when the irreps are "whatever that field produces" (a field name
    /// in place of the literal): the generated type of that field, whose
    /// `__out_muls(cfg)` gives the multiplicities at run time.
    pub from: Option<Ident>,
}

impl IrrepsLit {
    /// The literal as the user wrote it.
    pub fn text(&self) -> String {
        self.lit.value()
    }
    /// The literal's span, for errors.
    pub fn span(&self) -> proc_macro2::Span {
        self.lit.span()
    }
}

/// Parses an irreps literal. Errors point at the literal and repeat the
/// run-time parser's message with its column.
pub fn parse(lit: &LitStr) -> syn::Result<IrrepsLit> {
    let text = lit.value();
    let err = |msg: String| syn::Error::new(lit.span(), msg);
    // Replace every `{name}` by a number of the same length so that the
    // shared parser sees plain e3nn grammar and its columns stay right.
    let mut plain = String::with_capacity(text.len());
    let mut names: Vec<(usize, Mul)> = Vec::new(); // (term index, multiplicity)
    let mut rest = text.as_str();
    let mut offset = 0;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}').map(|c| open + c) else {
            return Err(err(format!(
                "invalid irreps {text:?}: '{{' at column {} is not closed by '}}' (config multiplicities are written like {{channels}}x0e)",
                offset + open + 1
            )));
        };
        let name = rest[open + 1..close].trim();
        let mul = match syn::parse_str::<Ident>(name) {
            Ok(ident) => Mul::Config(Ident::new(&ident.to_string(), lit.span())),
            Err(_) => Mul::Expr(Arith::parse(name, lit.span()).ok_or_else(|| {
                err(format!(
                    "invalid irreps {text:?}: {{{name}}} is not a config name or simple arithmetic of config names (write e.g. {{channels}}x0e or {{2 * channels}}x0e)"
                ))
            })?),
        };
        let after = rest[close + 1..].trim_start();
        if !after.starts_with('x') {
            return Err(err(format!(
                "invalid irreps {text:?}: the config multiplicity {{{name}}} must be followed by 'x' and an irrep, like {{{name}}}x1o"
            )));
        }
        // Count the sums outside braces only: `{a + b}` is one multiplicity.
        let term_index = plain.matches('+').count() + rest[..open].matches('+').count();
        names.push((term_index, mul));
        plain.push_str(&rest[..open]);
        let width = close + 1 - open;
        plain.push_str(&"0".repeat(width - 1));
        plain.push('1');
        offset += close + 1;
        rest = &rest[close + 1..];
    }
    plain.push_str(rest);
    let irreps = parse_irreps(&plain).map_err(|e| {
        let mut e = e;
        e.input = text.clone();
        err(format!("invalid irreps: {e}"))
    })?;
    if irreps.is_empty() {
        return Err(err(format!(
            "invalid irreps {text:?}: no irreps declared (write e.g. \"16x0e + 8x1o\")"
        )));
    }
    let mut terms: Vec<Term> = irreps
        .iter()
        .map(|b| Term {
            mul: Mul::Lit(b.mul),
            ir: b.ir,
        })
        .collect();
    for (i, mul) in names {
        if let Some(t) = terms.get_mut(i) {
            t.mul = mul;
        }
    }
    for t in &terms {
        if t.ir.l > MAX_L {
            return Err(err(format!(
                "irreps {text:?}: {} is above the highest degree eqv names (L = {MAX_L})",
                t.ir
            )));
        }
    }
    Ok(IrrepsLit {
        terms,
        lit: lit.clone(),
        from: None,
    })
}

/// "Vector (1o)": how messages name an irrep.
pub fn describe(ir: Ir) -> String {
    format!("{} ({ir})", ir.type_name())
}
