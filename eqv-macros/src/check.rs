//! The rules, checked on the literals of a declaration before any code is
//! generated, so each mistake is one error at the user's own token with the
//! rule named and the fix given. (The generated code also goes through the
//! typed ops, whose trait bounds enforce the same rules as a backstop.)

use crate::attr::{Args, ConfigType};
use crate::errors::Errors;
use crate::irrep::{Ir, Parity};
use crate::literal::{describe, IrrepsLit, Mul, Term};
use crate::spec::{FieldKind, Model, RealArg, Size, Spec};
use syn::Ident;

const RULES: &str = "https://docs.rs/eqv-nn/latest/eqv/rules";

/// A term as the user wrote it: `16x1o`, `{vectors}x1o`.
fn term_text(t: &Term) -> String {
    match &t.mul {
        Mul::Lit(m) => format!("{m}x{}", t.ir),
        Mul::Config(name) => format!("{{{name}}}x{}", t.ir),
        Mul::Expr(a) => format!("{{{}}}x{}", a.text, t.ir),
    }
}

fn rule_page(n: u32, page: &str) -> String {
    format!("see `eqv::rules::{page}` ({RULES}/{page}/index.html) — rule {n}")
}

/// For each output term, the `(in1 term, in2 term)` pairs whose
/// Clebsch-Gordan product contains it, in input order.
pub fn tp_paths(in1: &IrrepsLit, in2: &IrrepsLit, out: &IrrepsLit) -> Vec<Vec<(usize, usize)>> {
    out.terms
        .iter()
        .map(|o| {
            let mut v = Vec::new();
            for (i, a) in in1.terms.iter().enumerate() {
                for (j, b) in in2.terms.iter().enumerate() {
                    if a.ir.couples_to(b.ir, o.ir) {
                        v.push((i, j));
                    }
                }
            }
            v
        })
        .collect()
}

/// Checks the whole declaration; every problem becomes one spanned error.
/// Layers with an error are poisoned (kept in place, with a type that lets
/// the user's code still type-check), and so are layers whose sizes refer to
/// a poisoned one, so that one mistake gives one error.
pub fn check(model: &mut Model, args: &Args, errors: &mut Errors) {
    let mut poisoned: Vec<Ident> = Vec::new();
    for f in &model.fields {
        match &f.kind {
            FieldKind::Spec(spec) => {
                let before = errors.len();
                check_spec(spec, model, args, errors);
                if errors.len() > before {
                    poisoned.push(f.name.clone());
                }
            }
            FieldKind::Poisoned { .. } | FieldKind::Faulty(_) => poisoned.push(f.name.clone()),
            FieldKind::Sub { repeat, .. } => {
                if let Some(r) = repeat {
                    check_size_name(r, args, &[], errors);
                }
                // A sub-network's config is a field of the same name in the
                // generated config, next to the entries.
                if let Some(e) = args.entry(&f.name) {
                    errors.push(syn::Error::new(
                        e.name.span(),
                        format!(
                            "config entry `{}` has the name of the sub-network field `{}`, whose config is `{}Config.{}`: rename one of them",
                            e.name, f.name, model.name, f.name
                        ),
                    ));
                }
            }
        }
    }
    for f in &mut model.fields {
        let refers_to_poisoned = match &f.kind {
            FieldKind::Spec(Spec::Mlp { sizes, .. }) => sizes
                .iter()
                .any(|s| matches!(s, Size::Name(n) if poisoned.contains(n))),
            _ => false,
        };
        if poisoned.contains(&f.name) || refers_to_poisoned {
            if let FieldKind::Spec(spec) = &f.kind {
                f.kind = FieldKind::Faulty(spec.clone());
            }
        }
    }
}

fn check_config_muls(lit: &IrrepsLit, args: &Args, errors: &mut Errors) {
    for t in &lit.terms {
        let names: Vec<&Ident> = match &t.mul {
            Mul::Config(name) => vec![name],
            Mul::Expr(a) => a.names.iter().collect(),
            Mul::Lit(_) => Vec::new(),
        };
        for name in names {
            match args.entry(name) {
                None => errors.push(syn::Error::new(
                    lit.span(),
                    format!(
                        "unknown config entry `{name}` in {:?}: declare it with its default, e.g. #[equivariant(config({name} = 16))]",
                        lit.text()
                    ),
                )),
                Some(e) if e.ty != ConfigType::Usize => errors.push(syn::Error::new(
                    lit.span(),
                    format!("config entry `{name}` is used as a multiplicity, so its default must be an integer"),
                )),
                Some(_) => {}
            }
        }
    }
}

fn check_size_name(name: &Ident, args: &Args, fields: &[&Ident], errors: &mut Errors) {
    if fields.contains(&name) {
        return;
    }
    match args.entry(name) {
        Some(e) if e.ty == ConfigType::Usize => {}
        Some(_) => errors.push(syn::Error::new(name.span(), format!("config entry `{name}` is used as a size, so its default must be an integer"))),
        None => errors.push(syn::Error::new(
            name.span(),
            format!("unknown config entry `{name}`: declare it with its default, e.g. #[equivariant(config({name} = 8))]"),
        )),
    }
}

fn check_spec(spec: &Spec, model: &Model, args: &Args, errors: &mut Errors) {
    let push = |errors: &mut Errors, lit: &IrrepsLit, msg: String| {
        errors.push(syn::Error::new(lit.span(), msg))
    };
    match spec {
        Spec::Linear { input, output } => {
            let Some(input) = input.irreps() else { return };
            check_config_muls(input, args, errors);
            check_config_muls(output, args, errors);
            for t in &output.terms {
                if !input.terms.iter().any(|i| i.ir == t.ir) {
                    let have: Vec<String> = input.terms.iter().map(|i| describe(i.ir)).collect();
                    let same_l = input.terms.iter().find(|i| i.ir.l == t.ir.l);
                    let fix = if t.ir.l == 0 && input.terms.iter().any(|i| i.ir.l > 0) {
                        format!(
                            "invariants of a {} come from its norm or a dot product (`x.norm()`, `x.dot(y)`) or a tensor product to 0e (`FullTp`); or add {} channels to the input irreps",
                            input.terms.iter().find(|i| i.ir.l > 0).map(|i| i.ir.type_name()).unwrap_or_default(),
                            t.ir
                        )
                    } else if let Some(i) = same_l {
                        let example = if t.ir.l == 1 {
                            " (e.g. a cross product: `FullTp<\"..x1o\", \"..x1o\", \"..x1e\">`)"
                        } else {
                            " with an odd input"
                        };
                        format!(
                            "{} and {} turn alike but differ under inversion; only a tensor product changes parity{}; or add {} to the input irreps",
                            describe(i.ir),
                            describe(t.ir),
                            example,
                            t.ir
                        )
                    } else {
                        format!(
                            "add {} to the input irreps, or produce it with a tensor product (`ChannelwiseTp`, `FullTp`)",
                            t.ir
                        )
                    };
                    push(
                        errors,
                        output,
                        format!(
                            "a linear map cannot produce {} from {}: no {} input feeds it\n\
                             = rule 2: by Schur's lemma an equivariant linear map between different irreps is zero; linear layers mix channels of one irrep type only\n\
                             = fix: {}\n\
                             = {}",
                            describe(t.ir),
                            have.join(" + "),
                            t.ir,
                            fix,
                            rule_page(2, "r2_linear_maps")
                        ),
                    );
                }
            }
        }
        Spec::Activation { irreps, .. } => {
            check_config_muls(irreps, args, errors);
            for t in &irreps.terms {
                if t.ir.l > 0 {
                    push(
                        errors,
                        irreps,
                        format!(
                            "a pointwise nonlinearity cannot act on {}: only scalars may pass through a nonlinearity\n\
                             = rule 1 (the linearity rule): a rotation mixes the components of a {}, and a function applied to each component does not commute with that mixing\n\
                             = fix: scale the {} channels by activated scalars instead, `Gate<\"..x0e\", \"{}\">`, or act on their norms (`norm_activation`); an Activation takes scalars (0e, and 0o with an odd or even function) only\n\
                             = {}",
                            describe(t.ir),
                            t.ir.type_name(),
                            t.ir.type_name(),
                            term_text(t),
                            rule_page(1, "r1_linearity")
                        ),
                    );
                }
            }
        }
        Spec::Gate { scalars, gated, .. } => {
            check_config_muls(scalars, args, errors);
            check_config_muls(gated, args, errors);
            for t in &scalars.terms {
                if t.ir.l > 0 {
                    push(
                        errors,
                        scalars,
                        format!(
                            "the first irreps of a Gate are activated pointwise, so they must be scalars, but {} is not\n\
                             = rule 1 (the linearity rule): only scalars may pass through a nonlinearity\n\
                             = fix: keep only scalars in the first irreps (like \"16x0e\"); {} goes in the second, whose channels are scaled by activated gates: `Gate<\"..x0e\", \"{}\">`\n\
                             = {}",
                            describe(t.ir),
                            term_text(t),
                            term_text(t),
                            rule_page(1, "r1_linearity")
                        ),
                    );
                }
            }
        }
        Spec::SphericalHarmonics { irreps } => {
            for t in &irreps.terms {
                let want = Parity::of_harmonic(t.ir.l);
                if t.ir.p != want {
                    let right = Ir::new(t.ir.l, want);
                    push(
                        errors,
                        irreps,
                        format!(
                            "the spherical harmonic of degree {} of a Vector is {}, not {}\n\
                             = rule 4 (parity): Y^l(-x) = (-1)^l Y^l(x), so Y^l has parity (-1)^l ('y' in e3nn's grammar)\n\
                             = fix: write \"{}\" (or \"{}y\")\n\
                             = {}",
                            t.ir.l,
                            describe(right),
                            describe(t.ir),
                            right,
                            t.ir.l,
                            rule_page(4, "r4_selection_rules")
                        ),
                    );
                }
                if !matches!(t.mul, Mul::Lit(1)) {
                    push(
                        errors,
                        irreps,
                        format!(
                            "spherical harmonics have one copy of each degree: write \"1x{}\"",
                            t.ir
                        ),
                    );
                }
            }
        }
        Spec::ChannelwiseTp { in1, in2, out } | Spec::FullTp { in1, in2, out } => {
            for lit in [in1, in2, out] {
                check_config_muls(lit, args, errors);
            }
            let channelwise = matches!(spec, Spec::ChannelwiseTp { .. });
            if channelwise {
                for t in &in2.terms {
                    if !matches!(t.mul, Mul::Lit(1)) {
                        push(
                            errors,
                            in2,
                            format!(
                                "a channel-wise tensor product takes one copy of each irrep as its second input (like spherical harmonics): write \"1x{}\"",
                                t.ir
                            ),
                        );
                    }
                }
            }
            let paths = tp_paths(in1, in2, out);
            for (t, p) in out.terms.iter().zip(&paths) {
                if p.is_empty() {
                    let avail: Vec<String> = in1
                        .terms
                        .iter()
                        .flat_map(|a| in2.terms.iter().flat_map(move |b| a.ir.products(b.ir)))
                        .fold(Vec::new(), |mut v: Vec<Ir>, ir| {
                            if !v.contains(&ir) {
                                v.push(ir);
                            }
                            v
                        })
                        .into_iter()
                        .map(|ir| ir.to_string())
                        .collect();
                    push(
                        errors,
                        out,
                        format!(
                            "no Clebsch-Gordan path of {:?} ⊗ {:?} produces {}\n\
                             = rule 4: (l1,p1) ⊗ (l2,p2) contains exactly the irreps (l3, p1·p2) with |l1-l2| <= l3 <= l1+l2\n\
                             = fix: these inputs can produce {}; check the parity (odd·odd = even), or add the input that yields {}\n\
                             = {}",
                            in1.text(),
                            in2.text(),
                            describe(t.ir),
                            avail.join(", "),
                            t.ir,
                            rule_page(4, "r4_selection_rules")
                        ),
                    );
                } else if channelwise {
                    // uvu: the output channels are the first input's, path by path.
                    if let Mul::Lit(declared) = t.mul {
                        let muls: Option<Vec<usize>> = p
                            .iter()
                            .map(|&(i, _)| match in1.terms[i].mul {
                                Mul::Lit(m) => Some(m),
                                Mul::Config(_) | Mul::Expr(_) => None,
                            })
                            .collect();
                        if let Some(muls) = muls {
                            let produced: usize = muls.iter().sum();
                            if produced != declared && declared != 1 {
                                push(
                                    errors,
                                    out,
                                    format!(
                                        "this channel-wise product produces {produced}x{} ({} path(s), each keeping the channels of its first input), not {declared}x{}: write \"{produced}x{}\" or just \"{}\"",
                                        t.ir,
                                        p.len(),
                                        t.ir,
                                        t.ir,
                                        t.ir
                                    ),
                                );
                            }
                        }
                    }
                }
            }
        }
        Spec::Mlp { sizes, .. } => {
            let tps: Vec<&Ident> = model
                .fields
                .iter()
                .filter(|f| {
                    matches!(
                        f.kind,
                        FieldKind::Spec(Spec::ChannelwiseTp { .. })
                            | FieldKind::Poisoned { .. }
                            | FieldKind::Faulty(_)
                    )
                })
                .map(|f| &f.name)
                .collect();
            let others: Vec<&Ident> = model
                .fields
                .iter()
                .map(|f| &f.name)
                .filter(|n| !tps.contains(n))
                .collect();
            for s in sizes {
                if let Size::Expr(a) = s {
                    for n in &a.names {
                        check_size_name(n, args, &[], errors);
                    }
                }
                if let Size::Name(n) = s {
                    if others.contains(&n) {
                        errors.push(syn::Error::new(
                            n.span(),
                            format!("`{n}` is not a `ChannelwiseTp` field: an Mlp size may name a channel-wise tensor product whose weights it produces"),
                        ));
                    } else {
                        check_size_name(n, args, &tps, errors);
                    }
                }
            }
        }
        Spec::Bessel { n, cutoff } => {
            if let Size::Name(name) = n {
                check_size_name(name, args, &[], errors);
            }
            if let Size::Expr(a) = n {
                for name in &a.names {
                    check_size_name(name, args, &[], errors);
                }
            }
            if let RealArg::Name(name) = cutoff {
                if args.entry(name).is_none() {
                    errors.push(syn::Error::new(
                        name.span(),
                        format!("unknown config entry `{name}`: declare it, e.g. #[equivariant(config({name} = 5.0))]"),
                    ));
                }
            }
        }
        Spec::SymmetricContraction {
            input,
            out,
            correlation,
            correlation_span,
            name_span,
        } => check_symmetric_contraction(
            input,
            out,
            *correlation,
            *correlation_span,
            *name_span,
            args,
            errors,
        ),
        Spec::SpeciesEmbedding { species, out } => {
            check_config_muls(out, args, errors);
            if let Size::Name(name) = species {
                check_size_name(name, args, &[], errors);
            }
            if let Size::Expr(a) = species {
                for name in &a.names {
                    check_size_name(name, args, &[], errors);
                }
            }
            for t in &out.terms {
                if t.ir != Ir::new(0, Parity::Even) {
                    push(
                        errors,
                        out,
                        format!(
                            "a species embedding produces invariants: the species of an atom does not turn or flip, so it cannot give {}\n\
                             = rule 2: a linear map from invariants (one-hot species) can only produce Scalar (0e) channels\n\
                             = fix: embed into \"..x0e\" and build {} features from edge vectors with a tensor product\n\
                             = {}",
                            describe(t.ir),
                            t.ir.type_name(),
                            rule_page(2, "r2_linear_maps")
                        ),
                    );
                }
            }
        }
    }
}

/// Config names used in the declaration but not declared (each already
/// reported): declared afterwards as placeholders so the generated code
/// does not add "no field" errors to the one that explains the mistake.
pub fn declare_missing_entries(model: &Model, args: &mut Args) {
    use crate::attr::ConfigEntry;
    let mut missing: Vec<(Ident, ConfigType)> = Vec::new();
    let mut note = |name: &Ident, ty: ConfigType| {
        let is_field = model.fields.iter().any(|f| f.name == *name);
        if !is_field && args.entry(name).is_none() && !missing.iter().any(|(n, _)| n == name) {
            missing.push((name.clone(), ty));
        }
    };
    let lits = |spec: &Spec| -> Vec<IrrepsLit> {
        match spec {
            Spec::Linear { input, output } => input
                .irreps()
                .into_iter()
                .cloned()
                .chain([output.clone()])
                .collect(),
            Spec::Activation { irreps, .. } | Spec::SphericalHarmonics { irreps } => {
                vec![irreps.clone()]
            }
            Spec::Gate { scalars, gated, .. } => vec![scalars.clone(), gated.clone()],
            Spec::ChannelwiseTp { in1, in2, out } | Spec::FullTp { in1, in2, out } => {
                vec![in1.clone(), in2.clone(), out.clone()]
            }
            Spec::SpeciesEmbedding { out, .. } => vec![out.clone()],
            Spec::SymmetricContraction { input, out, .. } => vec![input.clone(), out.clone()],
            Spec::Mlp { .. } | Spec::Bessel { .. } => Vec::new(),
        }
    };
    for f in &model.fields {
        let spec = match &f.kind {
            FieldKind::Spec(s) | FieldKind::Faulty(s) => s,
            FieldKind::Sub {
                repeat: Some(r), ..
            } => {
                note(r, ConfigType::Usize);
                continue;
            }
            _ => continue,
        };
        for lit in lits(spec) {
            for t in &lit.terms {
                match &t.mul {
                    Mul::Config(n) => note(n, ConfigType::Usize),
                    Mul::Expr(a) => {
                        for n in &a.names {
                            note(n, ConfigType::Usize);
                        }
                    }
                    Mul::Lit(_) => {}
                }
            }
        }
        let sizes: Vec<&Size> = match spec {
            Spec::Mlp { sizes, .. } => sizes.iter().collect(),
            Spec::Bessel { n, .. } => vec![n],
            Spec::SpeciesEmbedding { species, .. } => vec![species],
            _ => Vec::new(),
        };
        for s in sizes {
            match s {
                Size::Name(n) => note(n, ConfigType::Usize),
                Size::Expr(a) => {
                    for n in &a.names {
                        note(n, ConfigType::Usize);
                    }
                }
                Size::Lit(_) => {}
            }
        }
        if let Spec::Bessel {
            cutoff: RealArg::Name(n),
            ..
        } = spec
        {
            note(n, ConfigType::F64);
        }
        if let Spec::SymmetricContraction { name_span, .. } = spec {
            note(&Ident::new(SPECIES, *name_span), ConfigType::Usize);
        }
    }
    for (name, ty) in missing {
        let default: syn::Lit = match ty {
            ConfigType::F64 => syn::parse_quote!(0.0),
            ConfigType::Bool => syn::parse_quote!(false),
            ConfigType::Usize => syn::parse_quote!(0),
        };
        args.config.push(ConfigEntry { name, ty, default });
    }
}

/// The config entry a `SymmetricContraction` reads the number of species from.
pub const SPECIES: &str = "species";

/// Two multiplicities written the same way (a number, or the same entry).
fn same_mul(a: &Mul, b: &Mul) -> bool {
    match (a, b) {
        (Mul::Lit(x), Mul::Lit(y)) => x == y,
        (Mul::Config(x), Mul::Config(y)) => x == y,
        (Mul::Expr(x), Mul::Expr(y)) => x.text.replace(' ', "") == y.text.replace(' ', ""),
        _ => false,
    }
}

fn check_symmetric_contraction(
    input: &IrrepsLit,
    out: &IrrepsLit,
    correlation: usize,
    correlation_span: proc_macro2::Span,
    name_span: proc_macro2::Span,
    args: &Args,
    errors: &mut Errors,
) {
    use crate::symmetric::{lowest_order, paths, MAX_CORRELATION};
    check_config_muls(input, args, errors);
    check_config_muls(out, args, errors);
    let species = Ident::new(SPECIES, name_span);
    match args.entry(&species) {
        Some(e) if e.ty == ConfigType::Usize => {}
        Some(e) => errors.push(syn::Error::new(
            e.name.span(),
            "config entry `species` is the number of species a SymmetricContraction has weights for, so its default must be an integer",
        )),
        None => errors.push(syn::Error::new(
            name_span,
            "a SymmetricContraction has weights per species and reads how many from the config entry `species`, which this declaration lacks\n\
             = fix: declare it with its default, e.g. #[equivariant(config(species = 1))]; in a sub-network it follows the parent's `species`",
        )),
    }
    if correlation == 0 || correlation > MAX_CORRELATION {
        errors.push(syn::Error::new(
            correlation_span,
            format!(
                "correlation order {correlation} is out of range: a SymmetricContraction multiplies each channel with itself 1 to {MAX_CORRELATION} times\n\
                 = the correlation order ν is the largest number of factors A_k ⊗ … ⊗ A_k; ν = 1 is a per-species linear map, MACE uses ν = 3 (four-body terms in one layer), and the number of paths grows quickly with ν\n\
                 = fix: write a number from 1 to {MAX_CORRELATION}"
            ),
        ));
        return;
    }
    // Channel by channel: one multiplicity everywhere.
    let first = &input.terms[0];
    for (lit, side) in [(input, "input"), (out, "output")] {
        if let Some(t) = lit.terms.iter().find(|t| !same_mul(&t.mul, &first.mul)) {
            errors.push(syn::Error::new(
                lit.span(),
                format!(
                    "a SymmetricContraction works channel by channel (channel k of each output irrep is made from channel k of every input irrep), so every irrep of its input and output has the same multiplicity; in the {side}, {} differs from {}\n\
                     = fix: write the same multiplicity for every irrep, e.g. \"{}\"",
                    term_text(t),
                    term_text(first),
                    lit.terms
                        .iter()
                        .map(|u| term_text(&Term { mul: first.mul.clone(), ir: u.ir }))
                        .collect::<Vec<_>>()
                        .join(" + ")
                ),
            ));
            return;
        }
    }
    let irs: Vec<Ir> = input.terms.iter().map(|t| t.ir).collect();
    for t in &out.terms {
        if !paths(&irs, t.ir, correlation).is_empty() {
            continue;
        }
        let fix = match lowest_order(&irs, t.ir, 8) {
            Some(n) => format!(
                "correlation order {n} reaches {}: write `SymmetricContraction<{:?}, {:?}, {n}>`, or remove {} from the output",
                t.ir,
                input.text(),
                out.text(),
                t.ir
            ),
            None => {
                let reason = if t.ir.p == Parity::Odd && irs.iter().all(|i| i.p == Parity::Even) {
                    format!("every input irrep is even, and a product of even irreps is even, so no order gives the odd {}", t.ir)
                } else {
                    format!("no product of up to 8 factors gives {}", t.ir)
                };
                format!("{reason}; add an input irrep that yields it, or remove {} from the output", t.ir)
            }
        };
        errors.push(syn::Error::new(
            out.span(),
            format!(
                "no symmetric product of {:?} with itself, up to correlation order {correlation}, produces {}\n\
                 = rule 4: each factor couples by (l1,p1) ⊗ (l2,p2) → (l3, p1·p2) with |l1-l2| <= l3 <= l1+l2, and a channel multiplied with itself keeps only the symmetric part (a vector times itself has no 1e part: a × a = 0)\n\
                 = fix: {fix}\n\
                 = {}",
                input.text(),
                describe(t.ir),
                rule_page(4, "r4_selection_rules")
            ),
        ));
    }
}
