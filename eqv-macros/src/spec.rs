//! Reading the declaration: which fields are layers written with irreps
//! literals (`Linear<"16x0e + 4x1o", "8x0e">`), and which are ordinary
//! sub-networks.

use crate::literal::{self, IrrepsLit};
use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{Attribute, Expr, GenericArgument, Ident, Lit, LitStr, PathArguments, Type, Visibility};

/// A size: a number, or a name (a config entry or, in an `Mlp`, a field
/// whose weights the MLP produces).
#[derive(Clone)]
pub enum Size {
    Lit(usize),
    Name(Ident),
    /// `{2 * hidden}`: arithmetic of config entries.
    Expr(crate::literal::Arith),
}

/// A real number: a literal or a config entry.
#[derive(Clone)]
pub enum RealArg {
    Lit(f64),
    Name(Ident),
}

/// Irreps written as a literal, or named by the field that produces them.
#[derive(Clone)]
pub enum Input {
    Lit(IrrepsLit),
    Field(Ident),
    /// A field reference after resolution.
    Resolved(IrrepsLit),
}

impl Input {
    /// The irreps, once known (literal or resolved).
    pub fn irreps(&self) -> Option<&IrrepsLit> {
        match self {
            Input::Lit(l) | Input::Resolved(l) => Some(l),
            Input::Field(_) => None,
        }
    }
}

/// A layer declared with irreps literals (a few per model: size is no concern).
#[derive(Clone)]
#[allow(clippy::large_enum_variant)]
pub enum Spec {
    /// Channels mixed within each irrep type. The input may be a field name:
    /// "what that layer produces".
    Linear { input: Input, output: IrrepsLit },
    /// A pointwise nonlinearity on scalar blocks.
    Activation { irreps: IrrepsLit, act: Type },
    /// e3nn's gate: scalars activated, gated blocks scaled by activated gates.
    Gate {
        scalars: IrrepsLit,
        gated: IrrepsLit,
        act_scalars: Type,
        act_gates: Type,
    },
    /// Spherical harmonics of a `Vector`, one block per degree.
    SphericalHarmonics { irreps: IrrepsLit },
    /// Channel-wise (uvu) tensor product with weights per row.
    ChannelwiseTp {
        in1: IrrepsLit,
        in2: IrrepsLit,
        out: IrrepsLit,
    },
    /// Fully connected (uvw) tensor product with learned weights.
    FullTp {
        in1: IrrepsLit,
        in2: IrrepsLit,
        out: IrrepsLit,
    },
    /// A scalar MLP (sizes; the last may name a `ChannelwiseTp` field).
    Mlp { sizes: Vec<Size>, act: Type },
    /// Bessel radial basis with a polynomial cutoff.
    Bessel { n: Size, cutoff: RealArg },
    /// One-hot species to scalar channels.
    SpeciesEmbedding { species: Size, out: IrrepsLit },
    /// MACE's symmetric contraction: per channel, products of the input
    /// with itself up to `correlation` factors, coupled to the output
    /// irreps, weighted per species and channel.
    SymmetricContraction {
        input: IrrepsLit,
        out: IrrepsLit,
        correlation: usize,
        /// Where the correlation order is written, for errors.
        correlation_span: Span,
        /// The layer's name as written, for errors about the whole layer.
        name_span: Span,
    },
}

impl Spec {
    /// The layer's name as written.
    pub fn kind(&self) -> &'static str {
        match self {
            Spec::Linear { .. } => "Linear",
            Spec::Activation { .. } => "Activation",
            Spec::Gate { .. } => "Gate",
            Spec::SphericalHarmonics { .. } => "SphericalHarmonics",
            Spec::ChannelwiseTp { .. } => "ChannelwiseTp",
            Spec::FullTp { .. } => "FullTp",
            Spec::Mlp { .. } => "Mlp",
            Spec::Bessel { .. } => "Bessel",
            Spec::SpeciesEmbedding { .. } => "SpeciesEmbedding",
            Spec::SymmetricContraction { .. } => "SymmetricContraction",
        }
    }
}

/// What a field is.
#[derive(Clone)]
pub enum FieldKind {
    /// A layer declared with literals; the macro generates its type.
    Spec(Spec),
    /// A layer whose declaration has an error (already reported). It keeps
    /// its place, typed so that the code using it type-checks without a
    /// cascade of follow-up errors; `arity` is how many inputs its
    /// `forward` takes.
    Poisoned { arity: usize },
    /// A layer that parsed but breaks a rule (already reported): generated
    /// with its declared signature and a body that never runs, so the code
    /// using it type-checks exactly as if it were right.
    Faulty(Spec),
    /// Any other type implementing `eqv::Layer` (a sub-network), possibly
    /// repeated `#[eqv(repeat = n)]` times in a `Vec`.
    Sub {
        ty: Type,
        elem: Type,
        repeat: Option<Ident>,
    },
}

/// One field of the declaration.
#[derive(Clone)]
pub struct Field {
    pub name: Ident,
    pub vis: Visibility,
    pub attrs: Vec<Attribute>,
    pub kind: FieldKind,
    pub ty_span: Span,
}

/// The declaration.
pub struct Model {
    pub name: Ident,
    pub vis: Visibility,
    pub attrs: Vec<Attribute>,
    pub fields: Vec<Field>,
}

/// The layer names the macro understands.
pub const LAYERS: &[&str] = &[
    "Linear",
    "Activation",
    "Gate",
    "SphericalHarmonics",
    "ChannelwiseTp",
    "FullTp",
    "Mlp",
    "Bessel",
    "SpeciesEmbedding",
    "SymmetricContraction",
];

fn generic_args(ty: &Type) -> Option<(Ident, Vec<GenericArgument>)> {
    let Type::Path(p) = ty else { return None };
    if p.qself.is_some() || p.path.segments.len() != 1 {
        return None;
    }
    let seg = &p.path.segments[0];
    let args = match &seg.arguments {
        PathArguments::AngleBracketed(a) => a.args.iter().cloned().collect(),
        PathArguments::None => Vec::new(),
        PathArguments::Parenthesized(_) => return None,
    };
    Some((seg.ident.clone(), args))
}

fn as_lit(arg: &GenericArgument) -> Option<&Lit> {
    match arg {
        GenericArgument::Const(Expr::Lit(l)) => Some(&l.lit),
        _ => None,
    }
}

fn as_str(arg: &GenericArgument) -> Option<&LitStr> {
    match as_lit(arg) {
        Some(Lit::Str(s)) => Some(s),
        _ => None,
    }
}

/// A `{name}` block or a bare lower-case identifier.
fn as_name(arg: &GenericArgument) -> Option<Ident> {
    match arg {
        GenericArgument::Const(Expr::Block(b)) if b.block.stmts.len() == 1 => {
            match &b.block.stmts[0] {
                syn::Stmt::Expr(Expr::Path(p), None) => p.path.get_ident().cloned(),
                _ => None,
            }
        }
        GenericArgument::Type(Type::Path(p)) if p.qself.is_none() => {
            let id = p.path.get_ident()?;
            let first = id.to_string().chars().next()?;
            first.is_lowercase().then(|| id.clone())
        }
        _ => None,
    }
}

fn as_type(arg: &GenericArgument) -> Option<Type> {
    match arg {
        GenericArgument::Type(t) if as_name(arg).is_none() => Some(t.clone()),
        _ => None,
    }
}

fn size(arg: &GenericArgument, what: &str) -> syn::Result<Size> {
    if let Some(Lit::Int(i)) = as_lit(arg) {
        return Ok(Size::Lit(i.base10_parse()?));
    }
    if let Some(id) = as_name(arg) {
        return Ok(Size::Name(id));
    }
    if let GenericArgument::Const(Expr::Block(b)) = arg {
        if let [syn::Stmt::Expr(e, None)] = b.block.stmts.as_slice() {
            let text = quote::quote!(#e).to_string();
            if let Some(a) = crate::literal::Arith::parse(&text, arg.span()) {
                return Ok(Size::Expr(a));
            }
        }
    }
    Err(syn::Error::new(
        arg.span(),
        format!("{what}: expected a number, a config entry like {{channels}}, simple arithmetic like {{2 * channels}}, or a field name"),
    ))
}

fn real(arg: &GenericArgument, what: &str) -> syn::Result<RealArg> {
    match as_lit(arg) {
        Some(Lit::Float(f)) => return Ok(RealArg::Lit(f.base10_parse()?)),
        Some(Lit::Int(i)) => return Ok(RealArg::Lit(i.base10_parse::<u64>()? as f64)),
        _ => {}
    }
    if let Some(id) = as_name(arg) {
        return Ok(RealArg::Name(id));
    }
    Err(syn::Error::new(
        arg.span(),
        format!("{what}: expected a number or a config entry like {{cutoff}}"),
    ))
}

fn irreps(arg: &GenericArgument, what: &str) -> syn::Result<IrrepsLit> {
    match as_str(arg) {
        Some(s) => literal::parse(s),
        None => Err(syn::Error::new(
            arg.span(),
            format!("{what}: expected an irreps string in e3nn's grammar, like \"16x0e + 8x1o\""),
        )),
    }
}

fn default_type(name: &str) -> Type {
    let id = Ident::new(name, Span::call_site());
    syn::parse_quote!(::eqv::__private::#id)
}

fn arity(
    name: &Ident,
    args: &[GenericArgument],
    lo: usize,
    hi: usize,
    usage: &str,
) -> syn::Result<()> {
    if args.len() < lo || args.len() > hi {
        return Err(syn::Error::new(
            name.span(),
            format!("`{name}` takes {usage}, got {} argument(s)", args.len()),
        ));
    }
    Ok(())
}

/// Reads a field type as a layer, if it is one written with literals.
/// `Ok(None)`: an ordinary type (a sub-network, or eqv's typed layers such
/// as `Linear<Vector, Vector>` used directly).
pub fn parse_spec(ty: &Type) -> syn::Result<Option<Spec>> {
    let Some((name, args)) = generic_args(ty) else {
        return Ok(None);
    };
    let n = name.to_string();
    if !LAYERS.contains(&n.as_str()) {
        return Ok(None);
    }
    let has_literal = args
        .iter()
        .any(|a| as_lit(a).is_some() || as_name(a).is_some());
    // `Linear<Vector, Vector>` is eqv-core's typed layer; `Linear<conv, "..">` a declaration.
    if !has_literal {
        // e.g. `Linear<Vector, Vector>`: eqv-core's typed layer, used as is.
        return Ok(None);
    }
    let spec = match n.as_str() {
        "Linear" => {
            arity(
                &name,
                &args,
                2,
                2,
                "an input and an output irreps string: Linear<\"16x0e + 4x1o\", \"8x0e + 4x1o\">",
            )?;
            let input = match as_name(&args[0]) {
                Some(field) => Input::Field(field),
                None => Input::Lit(irreps(&args[0], "Linear input (an irreps string or the name of the field that produces the input)")?),
            };
            Spec::Linear {
                input,
                output: irreps(&args[1], "Linear output")?,
            }
        }
        "Activation" => {
            arity(
                &name,
                &args,
                1,
                2,
                "an irreps string and an activation: Activation<\"16x0e\", Silu>",
            )?;
            let act = match args.get(1) {
                Some(a) => as_type(a).ok_or_else(|| {
                    syn::Error::new(a.span(), "expected an activation type such as Silu")
                })?,
                None => default_type("Silu"),
            };
            Spec::Activation {
                irreps: irreps(&args[0], "Activation irreps")?,
                act,
            }
        }
        "Gate" => {
            arity(&name, &args, 2, 4, "scalars and gated irreps, and optionally the two activations: Gate<\"16x0e\", \"8x1o\", Silu, Sigmoid>")?;
            let act = |i: usize, d: &str| -> syn::Result<Type> {
                match args.get(i) {
                    Some(a) => as_type(a)
                        .ok_or_else(|| syn::Error::new(a.span(), "expected an activation type")),
                    None => Ok(default_type(d)),
                }
            };
            Spec::Gate {
                scalars: irreps(&args[0], "Gate scalars")?,
                gated: irreps(&args[1], "Gate gated irreps")?,
                act_scalars: act(2, "Silu")?,
                act_gates: act(3, "Sigmoid")?,
            }
        }
        "SphericalHarmonics" => {
            arity(
                &name,
                &args,
                1,
                1,
                "an irreps string \"1x0e + 1x1o + 1x2e\" or lmax: SphericalHarmonics<2>",
            )?;
            let irreps = match as_lit(&args[0]) {
                Some(Lit::Int(i)) => {
                    let lmax: u32 = i.base10_parse()?;
                    let text = (0..=lmax)
                        .map(|l| format!("1x{l}{}", if l % 2 == 0 { 'e' } else { 'o' }))
                        .collect::<Vec<_>>()
                        .join(" + ");
                    literal::parse(&LitStr::new(&text, i.span()))?
                }
                _ => irreps(&args[0], "SphericalHarmonics")?,
            };
            Spec::SphericalHarmonics { irreps }
        }
        "ChannelwiseTp" | "FullTp" => {
            arity(&name, &args, 3, 3, "two input irreps and the output irreps: ChannelwiseTp<\"16x0e + 8x1o\", \"0e + 1o + 2e\", \"0e + 1o + 1e\">")?;
            let (in1, in2, out) = (
                irreps(&args[0], "first input")?,
                irreps(&args[1], "second input")?,
                irreps(&args[2], "output")?,
            );
            if n == "FullTp" {
                Spec::FullTp { in1, in2, out }
            } else {
                Spec::ChannelwiseTp { in1, in2, out }
            }
        }
        "Mlp" => {
            let (act, sizes) = match args.last().and_then(as_type) {
                Some(t) => (t, &args[..args.len() - 1]),
                None => (default_type("Silu"), &args[..]),
            };
            if sizes.len() < 2 {
                return Err(syn::Error::new(
                    name.span(),
                    "`Mlp` takes at least an input and an output size: Mlp<8, 64, 64, conv, Silu>",
                ));
            }
            Spec::Mlp {
                sizes: sizes
                    .iter()
                    .map(|a| size(a, "Mlp size"))
                    .collect::<syn::Result<_>>()?,
                act,
            }
        }
        "Bessel" => {
            arity(
                &name,
                &args,
                2,
                2,
                "the number of basis functions and the cutoff: Bessel<8, {cutoff}>",
            )?;
            Spec::Bessel {
                n: size(&args[0], "Bessel size")?,
                cutoff: real(&args[1], "Bessel cutoff")?,
            }
        }
        "SpeciesEmbedding" => {
            arity(
                &name,
                &args,
                2,
                2,
                "the number of species and scalar irreps: SpeciesEmbedding<{species}, \"32x0e\">",
            )?;
            Spec::SpeciesEmbedding {
                species: size(&args[0], "number of species")?,
                out: irreps(&args[1], "SpeciesEmbedding output")?,
            }
        }
        "SymmetricContraction" => {
            arity(
                &name,
                &args,
                3,
                3,
                "the input irreps, the output irreps and the correlation order: SymmetricContraction<\"{c}x0e + {c}x1o + {c}x2e\", \"{c}x0e + {c}x1o\", 3>",
            )?;
            let correlation = match as_lit(&args[2]) {
                Some(Lit::Int(i)) => i.base10_parse()?,
                _ => {
                    return Err(syn::Error::new(
                        args[2].span(),
                        "the correlation order of a SymmetricContraction is a number written in the declaration (like 3): it decides which products exist, so it cannot be a config entry",
                    ))
                }
            };
            Spec::SymmetricContraction {
                input: irreps(&args[0], "SymmetricContraction input")?,
                out: irreps(&args[1], "SymmetricContraction output")?,
                correlation,
                correlation_span: args[2].span(),
                name_span: name.span(),
            }
        }
        _ => return Ok(None),
    };
    Ok(Some(spec))
}

/// `#[eqv(repeat = n)]` on a field.
fn repeat_attr(attrs: &[Attribute]) -> syn::Result<Option<Ident>> {
    let mut repeat = None;
    for a in attrs.iter().filter(|a| a.path().is_ident("eqv")) {
        a.parse_nested_meta(|m| {
            if m.path.is_ident("repeat") {
                let id: Ident = m.value()?.parse()?;
                repeat = Some(id);
                Ok(())
            } else {
                Err(m.error("unknown field option: `#[eqv(repeat = n)]` repeats a sub-network `n` times (a config entry)"))
            }
        })?;
    }
    Ok(repeat)
}

/// The `T` of `Vec<T>`.
fn vec_elem(ty: &Type) -> Option<Type> {
    let (name, args) = generic_args(ty)?;
    if name != "Vec" || args.len() != 1 {
        return None;
    }
    match &args[0] {
        GenericArgument::Type(t) => Some(t.clone()),
        _ => None,
    }
}

/// Reads the struct. Errors are collected per field.
pub fn parse_model(item: &syn::ItemStruct, errors: &mut crate::errors::Errors) -> Option<Model> {
    if !item.generics.params.is_empty() {
        errors.push(syn::Error::new_spanned(
            &item.generics,
            "an #[equivariant] network has no generic parameters: sizes are config entries, the number type is chosen per forward pass",
        ));
    }
    let syn::Fields::Named(named) = &item.fields else {
        errors.push(syn::Error::new_spanned(
            &item.ident,
            "#[equivariant] expects a struct with named fields, one per layer",
        ));
        return None;
    };
    let mut fields = Vec::new();
    for f in &named.named {
        let name = f.ident.clone().expect("named field");
        let repeat = match repeat_attr(&f.attrs) {
            Ok(r) => r,
            Err(e) => {
                errors.push(e);
                None
            }
        };
        let attrs: Vec<Attribute> = f
            .attrs
            .iter()
            .filter(|a| !a.path().is_ident("eqv"))
            .cloned()
            .collect();
        let kind = match parse_spec(&f.ty) {
            Ok(Some(spec)) => {
                if let Some(r) = &repeat {
                    errors.push(syn::Error::new(
                        r.span(),
                        "`repeat` applies to sub-networks in a `Vec`, not to layers",
                    ));
                }
                FieldKind::Spec(spec)
            }
            Ok(None) => {
                let elem = match (&repeat, vec_elem(&f.ty)) {
                    (Some(_), Some(e)) => e,
                    (Some(r), None) => {
                        errors.push(syn::Error::new(
                            r.span(),
                            "`#[eqv(repeat = n)]` needs a field of type `Vec<SubNetwork>`",
                        ));
                        f.ty.clone()
                    }
                    (None, _) => f.ty.clone(),
                };
                FieldKind::Sub {
                    ty: f.ty.clone(),
                    elem,
                    repeat,
                }
            }
            Err(e) => {
                errors.push(e);
                FieldKind::Poisoned {
                    arity: arity_of(&f.ty),
                }
            }
        };
        fields.push(Field {
            name,
            vis: f.vis.clone(),
            attrs,
            kind,
            ty_span: f.ty.span(),
        });
    }
    resolve_inputs(&item.ident, &mut fields, errors);
    Some(Model {
        name: item.ident.clone(),
        vis: item.vis.clone(),
        attrs: item.attrs.clone(),
        fields,
    })
}

/// How many inputs the `forward` of a layer written as `ty` takes.
pub fn arity_of(ty: &Type) -> usize {
    match generic_args(ty)
        .map(|(name, _)| name.to_string())
        .as_deref()
    {
        Some("ChannelwiseTp") => 3,
        Some("FullTp") | Some("SymmetricContraction") => 2,
        _ => 1,
    }
}

/// The irreps a layer produces, as irreps (multiplicities are resolved at
/// run time through the generated `__out_muls`).
pub fn output_irs(spec: &Spec) -> Vec<crate::irrep::Ir> {
    use crate::irrep::{Ir, Parity};
    let scalar = Ir::new(0, Parity::Even);
    let irs = |l: &IrrepsLit| l.terms.iter().map(|t| t.ir).collect::<Vec<_>>();
    match spec {
        Spec::Linear { output, .. } => irs(output),
        Spec::Activation { irreps, .. } => irs(irreps),
        Spec::Gate { scalars, gated, .. } => irs(scalars).into_iter().chain(irs(gated)).collect(),
        Spec::SphericalHarmonics { irreps } => irs(irreps),
        Spec::ChannelwiseTp { out, .. }
        | Spec::FullTp { out, .. }
        | Spec::SymmetricContraction { out, .. } => irs(out),
        Spec::Mlp { .. } | Spec::Bessel { .. } | Spec::SpeciesEmbedding { .. } => vec![scalar],
    }
}

/// Replaces `Linear<field, "..">` inputs by the irreps that field produces.
fn resolve_inputs(model: &Ident, fields: &mut [Field], errors: &mut crate::errors::Errors) {
    // Per field: None = poisoned, Some(None) = sub-network, Some(Some(irs)).
    let outputs: Vec<(Ident, Option<Option<Vec<crate::irrep::Ir>>>)> = fields
        .iter()
        .map(|f| {
            let out = match &f.kind {
                FieldKind::Spec(s) => Some(Some(output_irs(s))),
                FieldKind::Sub { .. } => Some(None),
                FieldKind::Poisoned { .. } | FieldKind::Faulty(_) => None,
            };
            (f.name.clone(), out)
        })
        .collect();
    for f in fields.iter_mut() {
        let FieldKind::Spec(Spec::Linear { input, .. }) = &mut f.kind else {
            continue;
        };
        let Input::Field(src) = input else { continue };
        let mut poison = false;
        match outputs.iter().find(|(n, _)| n == src) {
            Some((_, Some(Some(irs)))) => {
                let text = irs
                    .iter()
                    .map(|ir| ir.to_string())
                    .collect::<Vec<_>>()
                    .join(" + ");
                let lit = LitStr::new(&text, src.span());
                let terms = irs
                    .iter()
                    .map(|&ir| literal::Term {
                        mul: literal::Mul::Lit(0),
                        ir,
                    })
                    .collect();
                let from = Some(crate::expand::layer_type_ident(model, src));
                *input = Input::Resolved(IrrepsLit { terms, lit, from });
            }
            // The source has an error of its own, already reported.
            Some((_, None)) => poison = true,
            Some((_, Some(None))) => {
                errors.push(syn::Error::new(
                    src.span(),
                    format!("`{src}` is a sub-network: a Linear input named by a field must be a layer declared with irreps"),
                ));
                poison = true;
            }
            None => {
                errors.push(syn::Error::new(
                    src.span(),
                    format!("no field `{src}`: the input of a Linear is an irreps string or the name of the layer that produces it"),
                ));
                poison = true;
            }
        }
        if poison {
            f.kind = FieldKind::Poisoned { arity: 1 };
        }
    }
}
