//! One generated type per layer field: its parameters, its construction from
//! the config, its typed `forward`, its parameter walk and its description.
//!
//! Every generated forward calls eqv's typed ops with the user's literal as
//! span, so if a rule is broken in a way the literal checks did not catch,
//! the trait error still lands on the user's token.

use super::tokens::*;
use crate::check::tp_paths;
use crate::literal::IrrepsLit;
use crate::spec::{Size, Spec};
use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::Ident;

/// Context shared by all layers of one model.
pub struct Ctx<'a> {
    pub model: &'a Ident,
    pub config: &'a Ident,
    pub vis: &'a syn::Visibility,
    /// The generated type of a `ChannelwiseTp` field, by field name.
    pub tp_type: &'a dyn Fn(&Ident) -> Option<Ident>,
    /// Whether a name is a field of the model.
    pub is_field: &'a dyn Fn(&Ident) -> bool,
}

fn camel(s: &str) -> String {
    s.split('_')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut c = p.chars();
            match c.next() {
                Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// The generated type's name for a field: `__{Model}{Field}`.
pub fn layer_type_name(model: &Ident, field: &Ident) -> Ident {
    format_ident!("__{}{}", model, camel(&field.to_string()))
}

/// Generates the layer type of one field.
/// `faulty`: the layer breaks a rule (already reported): keep its declared
/// signature but give `forward` a body that never runs, so the user's code
/// type-checks as if it were right and the one error stays one error.
pub fn generate(field: &Ident, spec: &Spec, ctx: &Ctx, faulty: bool) -> TokenStream {
    let ty = layer_type_name(ctx.model, field);
    let (fields, init, forward, visit, describe) = match spec {
        Spec::Linear { input, output } => linear(
            input
                .irreps()
                .expect("inputs are resolved before generation"),
            output,
        ),
        Spec::Activation { irreps, act } => activation(irreps, act, faulty),
        Spec::Gate {
            scalars,
            gated,
            act_scalars,
            act_gates,
        } => gate(scalars, gated, act_scalars, act_gates, faulty),
        Spec::SphericalHarmonics { irreps } => spherical_harmonics(irreps),
        Spec::ChannelwiseTp { in1, in2, out } => channelwise(in1, in2, out, ctx.config),
        Spec::FullTp { in1, in2, out } => full_tp(in1, in2, out),
        Spec::Mlp { sizes, act } => mlp(sizes, act, ctx),
        Spec::Bessel { n, cutoff } => {
            let n = size_expr(n, &|_| None);
            let c = real_expr(cutoff);
            (
                quote!(pub basis: ::eqv::__private::BesselBasis,),
                quote!(Self { basis: ::eqv::__private::BesselBasis::new(#c, #n) }),
                quote! {
                    /// The radial basis of each distance: `[edges, 1] -> [edges, n]`.
                    pub fn forward<'t, T: ::eqv::__private::Real>(&self, distances: ::eqv::__private::Feat<'t, ::eqv::__private::Scalar, T>) -> ::eqv::__private::Feat<'t, ::eqv::__private::Scalar, T> {
                        self.basis.forward(distances)
                    }
                },
                Vec::new(),
                quote!(::std::format!(
                    "Bessel basis: {} functions, cutoff {} Å, polynomial envelope of degree {}",
                    self.basis.num_basis(),
                    self.basis.r_max(),
                    self.basis.envelope_degree()
                )),
            )
        }
        Spec::SymmetricContraction {
            input,
            out,
            correlation,
            ..
        } => symmetric_contraction(input, out, *correlation),
        Spec::SpeciesEmbedding { species, out } => {
            let n = size_expr(species, &|_| None);
            let m = mul_expr(&out.terms[0].mul);
            let span = out.span();
            let check = if out.terms.len() == 1 {
                quote!()
            } else {
                quote_spanned!(span=> ::std::compile_error!("a species embedding has one block of scalars");)
            };
            (
                quote!(pub embedding: ::eqv::__private::SpeciesEmbedding,),
                quote!(Self { embedding: { #check ::eqv::__private::SpeciesEmbedding::new(#n, #m, rng) } }),
                quote! {
                    /// Each atom's species as scalar channels: `[atoms, mul]`.
                    pub fn forward<'t, T: ::eqv::__private::Real>(&self, graph: &::eqv::__private::Graph<'t, T>) -> ::eqv::__private::Feat<'t, ::eqv::__private::Scalar, T> {
                        self.embedding.forward(graph)
                    }
                },
                vec![(format_ident!("embedding"), None)],
                quote!(::std::format!(
                    "SpeciesEmbedding: {} species -> {}x0e",
                    self.embedding.n_species(),
                    self.embedding.mul()
                )),
            )
        }
    };
    let forward = if faulty {
        unreachable_forward(forward)
    } else {
        forward
    };
    let out_muls = out_muls_expr(spec, ctx);
    let path = |key: &Option<String>| match key {
        Some(k) => quote!(&::eqv::__private::join_path(prefix, #k)),
        None => quote!(prefix),
    };
    let visit_mut: Vec<TokenStream> = visit
        .iter()
        .map(|(n, key)| {
            let p = path(key);
            quote!(::eqv::__private::Parameters::visit_mut(&mut self.#n, #p, f);)
        })
        .collect();
    let visit: Vec<TokenStream> = visit
        .iter()
        .map(|(n, key)| {
            let p = path(key);
            quote!(::eqv::__private::Parameters::visit(&self.#n, #p, f);)
        })
        .collect();
    let config = ctx.config;
    let vis = ctx.vis;
    let kind = spec.kind();
    let item = quote! {
        #[doc(hidden)]
        #[derive(Clone, Debug)]
        #vis struct #ty { #fields }
        impl #ty {
            #[doc(hidden)]
            #[allow(unused_variables)]
            pub fn __init(cfg: &#config, rng: &mut ::eqv::__private::Rng) -> Self {
                #init
            }
            #[doc(hidden)]
            #[allow(unused_variables)]
            pub fn __out_muls(cfg: &#config) -> ::std::vec::Vec<usize> { #out_muls }
            #forward
            /// One line: the layer, its irreps and its parameter count.
            pub fn describe(&self) -> ::std::string::String {
                let n = ::eqv::__private::Parameters::num_params(self);
                ::std::format!("{} ({} parameters)", #describe, n)
            }
            /// The layer kind as declared.
            pub fn kind(&self) -> &'static str { #kind }
        }
        impl ::eqv::__private::Parameters for #ty {
            #[allow(unused_variables)]
            fn visit(&self, prefix: &str, f: &mut dyn FnMut(&str, &::eqv::__private::Param)) { #(#visit)* }
            #[allow(unused_variables)]
            fn visit_mut(&mut self, prefix: &str, f: &mut dyn FnMut(&str, &mut ::eqv::__private::Param)) { #(#visit_mut)* }
        }
    };
    item
}

/// Replaces the body of `forward` in `items` by `unreachable!()`.
fn unreachable_forward(items: TokenStream) -> TokenStream {
    let Ok(mut block) = syn::parse2::<syn::ItemImpl>(quote!(impl __Faulty { #items })) else {
        return items;
    };
    for item in &mut block.items {
        if let syn::ImplItem::Fn(f) = item {
            if f.sig.ident == "forward" || f.sig.ident == "convolve" {
                f.block = syn::parse_quote!({
                    ::std::unreachable!("a layer whose declaration breaks a rule")
                });
                f.attrs.push(syn::parse_quote!(#[allow(unused_variables)]));
            }
        }
    }
    let items = block.items;
    quote!(#(#items)*)
}

/// The multiplicities of what the layer produces, over `cfg`.
fn out_muls_expr(spec: &Spec, ctx: &Ctx) -> TokenStream {
    match spec {
        Spec::Linear { output, .. } => muls_expr(output),
        Spec::Activation { irreps, .. } => muls_expr(irreps),
        Spec::Gate { scalars, gated, .. } => {
            let (a, b) = (muls_expr(scalars), muls_expr(gated));
            quote!({ let mut v: ::std::vec::Vec<usize> = #a; v.extend(#b); v })
        }
        Spec::SphericalHarmonics { irreps } => {
            let n = irreps.terms.len();
            quote!(::std::vec![1usize; #n])
        }
        Spec::ChannelwiseTp { in1, in2, out } => {
            let per_out: Vec<TokenStream> = tp_paths(in1, in2, out)
                .iter()
                .map(|p| {
                    let ms: Vec<TokenStream> = p
                        .iter()
                        .map(|&(i, _)| mul_expr(&in1.terms[i].mul))
                        .collect();
                    if ms.is_empty() {
                        quote!(0usize)
                    } else {
                        quote!(#(#ms)+*)
                    }
                })
                .collect();
            quote!(::std::vec![#(#per_out),*])
        }
        Spec::FullTp { out, .. } => muls_expr(out),
        Spec::Mlp { sizes, .. } => {
            let (tp_type, is_field) = (ctx.tp_type, ctx.is_field);
            let last = size_expr(
                sizes.last().expect("an Mlp has sizes"),
                &|name| match tp_type(name) {
                    Some(t) => Some(quote!(#t::__numel(cfg))),
                    None if is_field(name) => Some(quote!(0usize)),
                    None => None,
                },
            );
            quote!(::std::vec![#last])
        }
        Spec::Bessel { n, .. } => {
            let n = size_expr(n, &|_| None);
            quote!(::std::vec![#n])
        }
        Spec::SpeciesEmbedding { out, .. } | Spec::SymmetricContraction { out, .. } => {
            muls_expr(out)
        }
    }
}

/// (fields, init, forward, children with parameters and their path keys, description)
type Parts = (
    TokenStream,
    TokenStream,
    TokenStream,
    Vec<(Ident, Option<String>)>,
    TokenStream,
);

fn destructure(names: &[Ident], from: TokenStream) -> TokenStream {
    let pat = tuple(&names.iter().map(|n| quote!(#n)).collect::<Vec<_>>());
    quote!(#[allow(unused_variables)] let #pat = #from;)
}

fn linear(input: &IrrepsLit, output: &IrrepsLit) -> Parts {
    let span = output.span();
    let xs = block_idents("x", input.terms.len());
    let mut fields = Vec::new();
    let mut inits = Vec::new();
    let mut outs = Vec::new();
    let mut visits = Vec::new();
    for (o, ot) in output.terms.iter().enumerate() {
        let irt = ir_type(ot.ir);
        let sources: Vec<usize> = input
            .terms
            .iter()
            .enumerate()
            .filter(|(_, t)| t.ir == ot.ir)
            .map(|(i, _)| i)
            .collect();
        let mut terms = Vec::new();
        for &i in &sources {
            let name = format_ident!("w{}_{}", o, i);
            fields.push(quote!(pub #name: ::eqv::__private::Linear<#irt, #irt>,));
            inits.push(quote_spanned!(span=> #name: ::eqv::__private::Linear::<#irt, #irt>::new(muls_in[#i], muls_out[#o], rng),));
            let key = format!("{o}_{i}");
            visits.push((name.clone(), Some(key)));
            let x = &xs[i];
            if sources.len() == 1 {
                terms.push(quote_spanned!(span=> self.#name.forward(#x)));
            } else {
                let all: Vec<TokenStream> =
                    sources.iter().map(|&j| quote!(self.muls_in[#j])).collect();
                terms.push(quote_spanned!(span=> self.#name.forward(#x).scale_by(((self.muls_in[#i] as f64) / ((#(#all)+*) as f64)).sqrt())));
            }
        }
        // The checker guarantees a source; keep the expansion valid anyway.
        outs.push(if terms.is_empty() {
            quote!(::std::unreachable!())
        } else {
            quote!(#(#terms)+*)
        });
    }
    let (in_ty, out_ty) = (irreps_type(input), irreps_type(output));
    let d = destructure(&xs, quote!(x));
    let out = tuple(&outs);
    let (mi, mo) = (muls_expr(input), muls_expr(output));
    let (si, so) = (
        irreps_string_expr(input, quote!(self.muls_in)),
        irreps_string_expr(output, quote!(self.muls_out)),
    );
    (
        quote!(#(#fields)* pub muls_in: ::std::vec::Vec<usize>, pub muls_out: ::std::vec::Vec<usize>,),
        quote!({
            let muls_in: ::std::vec::Vec<usize> = #mi;
            let muls_out: ::std::vec::Vec<usize> = #mo;
            Self { #(#inits)* muls_in: muls_in.clone(), muls_out: muls_out.clone() }
        }),
        quote! {
            /// Mixes channels within each irrep type (rule 2).
            pub fn forward<'t, T: ::eqv::__private::Real>(&self, x: #in_ty) -> #out_ty {
                #d
                #out
            }
        },
        visits,
        quote!(::std::format!("Linear: {} -> {}", #si, #so)),
    )
}

fn activation(irreps: &IrrepsLit, act: &syn::Type, faulty: bool) -> Parts {
    let span = irreps.span();
    let xs = block_idents("x", irreps.terms.len());
    let mut outs = Vec::new();
    let mut out_tys = Vec::new();
    for (t, x) in irreps.terms.iter().zip(&xs) {
        outs.push(quote_spanned!(span=> #x.activate(<#act as ::std::default::Default>::default())));
        let it = ir_type(t.ir);
        out_tys.push(if faulty {
            feat_type(t.ir)
        } else if t.ir.l == 0 && t.ir.p.letter() == 'o' {
            // Named through the activation's symmetry claim, which always
            // resolves: a claim rule 9 rejects is reported once, at the
            // `activate` call, not again in this signature.
            quote_spanned!(span=> ::eqv::__private::Feat<'t, <<#act as ::eqv::__private::Activation>::Symmetry as ::eqv::__private::Symmetry>::OnPseudoscalar, T>)
        } else {
            quote_spanned!(span=> ::eqv::__private::Feat<'t, <#act as ::eqv::__private::ActsOn<#it>>::Out, T>)
        });
    }
    let in_ty = irreps_type(irreps);
    let out_ty = tuple(&out_tys);
    let d = destructure(&xs, quote!(x));
    let out = tuple(&outs);
    let m = muls_expr(irreps);
    let s = irreps_string_expr(irreps, quote!(self.muls));
    let name = quote!(#act)
        .to_string()
        .rsplit("::")
        .next()
        .unwrap_or("")
        .trim()
        .to_string();
    // One block: generic over the irrep with the rule-1 bound on the
    // method, so passing it a Vector explains the linearity rule instead of
    // reporting a type mismatch.
    let forward = if irreps.terms.len() == 1 && !faulty {
        quote! {
            /// Applies the activation to every component; only scalars may
            /// pass (rule 1), pseudoscalars only through odd or even
            /// functions (rule 9).
            pub fn forward<'t, I, T: ::eqv::__private::Real>(
                &self,
                x: ::eqv::__private::Feat<'t, I, T>,
            ) -> ::eqv::__private::Feat<'t, <I as ::eqv::__private::ActivatedBy<#act>>::Out, T>
            where
                I: ::eqv::__private::ActivatedBy<#act>,
            {
                <I as ::eqv::__private::ActivatedBy<#act>>::activate_by(x, <#act as ::std::default::Default>::default())
            }
        }
    } else {
        quote! {
            /// Applies the activation to every (scalar) block (rule 1).
            pub fn forward<'t, T: ::eqv::__private::Real>(&self, x: #in_ty) -> #out_ty {
                #d
                #out
            }
        }
    };
    (
        quote!(pub muls: ::std::vec::Vec<usize>,),
        quote!(Self { muls: #m }),
        forward,
        Vec::new(),
        quote!(::std::format!("Activation {}: {}", #name, #s)),
    )
}

fn gate(
    scalars: &IrrepsLit,
    gated: &IrrepsLit,
    act_s: &syn::Type,
    act_g: &syn::Type,
    faulty: bool,
) -> Parts {
    let span = gated.span();
    let ss = block_idents("s", scalars.terms.len());
    let gs = block_idents("g", gated.terms.len());
    let mut names: Vec<Ident> = ss.clone();
    names.push(format_ident!("gates"));
    names.extend(gs.iter().cloned());
    let mut in_tys: Vec<TokenStream> = scalars.terms.iter().map(|t| feat_type(t.ir)).collect();
    in_tys.push(quote!(
        ::eqv::__private::Feat<'t, ::eqv::__private::Scalar, T>
    ));
    in_tys.extend(gated.terms.iter().map(|t| feat_type(t.ir)));
    let mut out_tys: Vec<TokenStream> = Vec::new();
    let mut outs = Vec::new();
    for (t, s) in scalars.terms.iter().zip(&ss) {
        let it = ir_type(t.ir);
        let sspan = scalars.span();
        out_tys.push(if faulty {
            feat_type(t.ir)
        } else {
            quote_spanned!(sspan=> ::eqv::__private::Feat<'t, <#act_s as ::eqv::__private::ActsOn<#it>>::Out, T>)
        });
        outs.push(
            quote_spanned!(sspan=> #s.activate(<#act_s as ::std::default::Default>::default())),
        );
    }
    let mut gated_code = Vec::new();
    for (t, g) in gated.terms.iter().zip(&gs) {
        out_tys.push(feat_type(t.ir));
        let y = format_ident!("y_{}", g);
        gated_code.push(quote_spanned!(span=>
            let #y = ::eqv::__private::gate(gates.channels(off, off + #g.mul()), #g, <#act_g as ::std::default::Default>::default());
            off += #g.mul();
        ));
        outs.push(quote!(#y));
    }
    let d = destructure(&names, quote!(x));
    let in_ty = tuple(&in_tys);
    let out_ty = tuple(&out_tys);
    let out = tuple(&outs);
    let (ms, mg) = (muls_expr(scalars), muls_expr(gated));
    let (s1, s2) = (
        irreps_string_expr(scalars, quote!(self.muls_scalars)),
        irreps_string_expr(gated, quote!(self.muls_gated)),
    );
    (
        quote!(pub muls_scalars: ::std::vec::Vec<usize>, pub muls_gated: ::std::vec::Vec<usize>,),
        quote!(Self { muls_scalars: #ms, muls_gated: #mg }),
        quote! {
            /// e3nn's gate: the input is `(scalars.., gates, gated..)`, one gate
            /// channel per gated channel; scalars are activated, every gated
            /// channel is scaled by its activated gate (rule 1: L >= 1 blocks
            /// are only ever scaled by invariants).
            pub fn forward<'t, T: ::eqv::__private::Real>(&self, x: #in_ty) -> #out_ty {
                #d
                let needed: usize = self.muls_gated.iter().sum();
                ::std::assert_eq!(gates.mul(), needed, "Gate: {} gate channels for {} gated channels", gates.mul(), needed);
                let mut off = 0usize;
                #(#gated_code)*
                let _ = off;
                #out
            }
        },
        Vec::new(),
        quote!(
            ::std::format!("Gate: scalars {} gate {} (gates {}x0e)", #s1, #s2, self.muls_gated.iter().sum::<usize>())
        ),
    )
}

fn spherical_harmonics(irreps: &IrrepsLit) -> Parts {
    let span = irreps.span();
    let mut outs = Vec::new();
    let lmax = irreps.terms.iter().map(|t| t.ir.l).max().unwrap_or(0);
    for t in &irreps.terms {
        let it = ir_type(t.ir);
        outs.push(quote_spanned!(span=> ::eqv::__private::spherical_harmonic::<#it, T>(v, true)));
    }
    let out_ty = irreps_type(irreps);
    let out = tuple(&outs);
    let text = irreps.text();
    (
        quote!(pub lmax: u32,),
        quote!(Self { lmax: #lmax }),
        quote! {
            /// Spherical harmonics ('component' normalisation) of each vector,
            /// one block per degree, parity (-1)^l.
            pub fn forward<'t, T: ::eqv::__private::Real>(&self, v: ::eqv::__private::Feat<'t, ::eqv::__private::Vector, T>) -> #out_ty {
                #out
            }
        },
        Vec::new(),
        quote!(::std::format!("SphericalHarmonics: 1x1o -> {}", #text)),
    )
}

fn channelwise(in1: &IrrepsLit, in2: &IrrepsLit, out: &IrrepsLit, config: &Ident) -> Parts {
    let span = out.span();
    let xs = block_idents("x", in1.terms.len());
    let ys = block_idents("y", in2.terms.len());
    let paths = tp_paths(in1, in2, out);
    let mut outs = Vec::new();
    let mut convs = Vec::new();
    let mut numel_terms = Vec::new();
    for (o, p) in paths.iter().enumerate() {
        let c = ir_type(out.terms[o].ir);
        let mut parts = Vec::new();
        for &(i, j) in p {
            let (x, y) = (&xs[i], &ys[j]);
            let (a, b) = (ir_type(in1.terms[i].ir), ir_type(in2.terms[j].ir));
            parts.push(quote_spanned!(span=>
                ::eqv::__private::ChannelwisePath::<#c, T>::new::<#a, #b>(#x, #y)
            ));
            numel_terms.push(mul_expr(&in1.terms[i].mul));
        }
        if parts.is_empty() {
            outs.push(quote!(::std::unreachable!()));
            convs.push(quote!(::std::unreachable!()));
            continue;
        }
        // All paths into one output irrep run as one op, reading the weights
        // at their offsets and writing their channels in place.
        outs.push(quote!({
            let paths = [#(#parts),*];
            let part = ::eqv::__private::channelwise_paths(&paths, w, off, 1.0);
            off += paths.iter().map(|p| p.weight_numel()).sum::<usize>();
            part
        }));
        convs.push(quote!({
            let paths = [#(#parts),*];
            let part = ::eqv::__private::channelwise_convolution(graph, &paths, w, off, 1.0);
            off += paths.iter().map(|p| p.weight_numel()).sum::<usize>();
            part
        }));
    }
    let numel = if numel_terms.is_empty() {
        quote!(0usize)
    } else {
        quote!(#(#numel_terms)+*)
    };
    let (t1, t2, to) = (irreps_type(in1), irreps_type(in2), irreps_type(out));
    let dx = destructure(&xs, quote!(x));
    let dy = destructure(&ys, quote!(y));
    let names: Vec<Ident> = block_idents("o", outs.len());
    let out_tuple = tuple(&names.iter().map(|n| quote!(#n)).collect::<Vec<_>>());
    let m1 = muls_expr(in1);
    let (s1, s2, so) = (
        irreps_string_expr(in1, quote!(self.muls1)),
        in2.text(),
        out.terms
            .iter()
            .map(|t| t.ir.to_string())
            .collect::<Vec<_>>()
            .join("+"),
    );
    (
        quote!(pub muls1: ::std::vec::Vec<usize>, pub numel: usize,),
        quote!(Self { muls1: #m1, numel: Self::__numel(cfg) }),
        quote! {
            #[doc(hidden)]
            pub fn __numel(cfg: &#config) -> usize { let _ = cfg; #numel }
            /// How many weights per row `forward` takes (the output size of
            /// the MLP that produces them).
            pub fn weight_numel(&self) -> usize { self.numel }
            /// Channel-wise (uvu) tensor product: path by path, output channel
            /// `u` is `w[row, path, u] · (x[row, u] ⊗ y[row])` projected by
            /// Clebsch-Gordan coefficients; blocks of one output irrep are the
            /// concatenation of its paths, in input order.
            pub fn forward<'t, T: ::eqv::__private::Real>(&self, x: #t1, y: #t2, w: ::eqv::__private::Feat<'t, ::eqv::__private::Scalar, T>) -> #to {
                #dx
                #dy
                ::std::assert_eq!(w.mul(), self.numel, "ChannelwiseTp: {} weights per row, expected {}", w.mul(), self.numel);
                let mut off = 0usize;
                #(let #names = #outs;)*
                let _ = off;
                #out_tuple
            }
            /// The convolution of a message-passing layer in one pass:
            /// `x` holds node features (one row per atom), `y` the edge
            /// harmonics and `w` the weights (one row per edge), and the
            /// result is, per atom, the sum over its edges of
            /// `forward(x[neighbour], y, w)` — the same numbers as
            /// `graph.scatter_sum` of `forward` on `graph.gather_neighbors(x)`,
            /// without the per-edge copies.
            pub fn convolve<'t, T: ::eqv::__private::Real>(&self, graph: &::eqv::__private::Graph<'t, T>, x: #t1, y: #t2, w: ::eqv::__private::Feat<'t, ::eqv::__private::Scalar, T>) -> #to {
                #dx
                #dy
                ::std::assert_eq!(w.mul(), self.numel, "ChannelwiseTp: {} weights per row, expected {}", w.mul(), self.numel);
                let mut off = 0usize;
                #(let #names = #convs;)*
                let _ = off;
                #out_tuple
            }
        },
        Vec::new(),
        quote!(
            ::std::format!("ChannelwiseTp: {} ⊗ {} -> {} ({} weights per row)", #s1, #s2, #so, self.numel)
        ),
    )
}

fn full_tp(in1: &IrrepsLit, in2: &IrrepsLit, out: &IrrepsLit) -> Parts {
    let span = out.span();
    let xs = block_idents("x", in1.terms.len());
    let ys = block_idents("y", in2.terms.len());
    let paths = tp_paths(in1, in2, out);
    let mut fields = Vec::new();
    let mut inits = Vec::new();
    let mut visits = Vec::new();
    let mut outs = Vec::new();
    for (o, p) in paths.iter().enumerate() {
        let c = ir_type(out.terms[o].ir);
        let mut terms = Vec::new();
        // Each path's `1/√(mul_a·mul_b)` times the share of its fan-in
        // among the paths into the output, `√(mul_a·mul_b / Σ fan-in)`:
        // `1/√(Σ fan-in)`, folded into the path's coupling (no pass over
        // each path's output to scale it).
        let fans: Vec<TokenStream> = p
            .iter()
            .map(|&(i, j)| quote!((muls1[#i] * muls2[#j])))
            .collect();
        for &(i, j) in p {
            let name = format_ident!("p{}_{}_{}", o, i, j);
            let (a, b) = (ir_type(in1.terms[i].ir), ir_type(in2.terms[j].ir));
            fields.push(quote!(pub #name: ::eqv::__private::FullyConnectedTp<#a, #b, #c>,));
            inits.push(quote_spanned!(span=> #name: ::eqv::__private::FullyConnectedTp::<#a, #b, #c>::with_path_weight(muls1[#i], muls2[#j], muls_out[#o], 1.0 / (((#(#fans)+*).max(1)) as f64).sqrt(), rng),));
            let key = format!("{o}_{i}_{j}");
            visits.push((name.clone(), Some(key)));
            let (x, y) = (&xs[i], &ys[j]);
            terms.push(quote_spanned!(span=> self.#name.path(#x, #y)));
        }
        // The paths into one output irrep are one op, each adding into
        // its output (no output per path and no additions after).
        outs.push(if terms.is_empty() {
            quote!(::std::unreachable!())
        } else {
            quote_spanned!(span=> ::eqv::__private::fully_connected_sum(&[#(#terms),*]))
        });
    }
    let (t1, t2, to) = (irreps_type(in1), irreps_type(in2), irreps_type(out));
    let dx = destructure(&xs, quote!(x));
    let dy = destructure(&ys, quote!(y));
    let out_t = tuple(&outs);
    let (m1, m2, mo) = (muls_expr(in1), muls_expr(in2), muls_expr(out));
    let (s1, s2, so) = (
        irreps_string_expr(in1, quote!(self.muls1)),
        irreps_string_expr(in2, quote!(self.muls2)),
        irreps_string_expr(out, quote!(self.muls_out)),
    );
    let body =
        quote!(#(#inits)* muls1: muls1.clone(), muls2: muls2.clone(), muls_out: muls_out.clone(),);
    (
        quote!(#(#fields)* pub muls1: ::std::vec::Vec<usize>, pub muls2: ::std::vec::Vec<usize>, pub muls_out: ::std::vec::Vec<usize>,),
        quote!({
            let muls1: ::std::vec::Vec<usize> = #m1;
            let muls2: ::std::vec::Vec<usize> = #m2;
            let muls_out: ::std::vec::Vec<usize> = #mo;
            Self { #body }
        }),
        quote! {
            /// Fully connected (uvw) tensor product with learned weights, each
            /// output irrep the normalised sum of its paths.
            pub fn forward<'t, T: ::eqv::__private::Real>(&self, x: #t1, y: #t2) -> #to {
                #dx
                #dy
                #out_t
            }
        },
        visits,
        quote!(::std::format!("FullTp: {} ⊗ {} -> {}", #s1, #s2, #so)),
    )
}

fn mlp(sizes: &[Size], act: &syn::Type, ctx: &Ctx) -> Parts {
    let (tp_type, is_field) = (ctx.tp_type, ctx.is_field);
    // A field that is not a (working) channel-wise product only appears
    // here when the declaration has an error already reported: size 0.
    let numel = |name: &Ident| match tp_type(name) {
        Some(t) => Some(quote!(#t::__numel(cfg))),
        None if is_field(name) => Some(quote!(0usize)),
        None => None,
    };
    let exprs: Vec<TokenStream> = sizes.iter().map(|s| size_expr(s, &numel)).collect();
    (
        quote!(pub mlp: ::eqv::__private::ScalarMlp<#act>,),
        quote!(Self { mlp: ::eqv::__private::ScalarMlp::<#act>::new(&[#(#exprs),*], <#act as ::std::default::Default>::default(), rng) }),
        quote! {
            /// The MLP on scalar rows: `[rows, in] -> [rows, out]`.
            pub fn forward<'t, I: ::eqv::__private::IsScalar, T: ::eqv::__private::Real>(&self, x: ::eqv::__private::Feat<'t, I, T>) -> ::eqv::__private::Feat<'t, ::eqv::__private::Scalar, T> {
                self.mlp.forward(x)
            }
        },
        vec![(format_ident!("mlp"), None)],
        quote!(::std::format!(
            "Mlp: {} scalars",
            self.mlp
                .dims()
                .iter()
                .map(|d| d.to_string())
                .collect::<::std::vec::Vec<_>>()
                .join(" -> ")
        )),
    )
}

/// MACE's symmetric contraction: the coupling paths into each output irrep
/// are worked out here from the literals and compiled once, when the layer
/// is built, into a program that one op (`__private::symmetric_contraction`,
/// a single kernel with its VJP, generic over the number type) runs per
/// output irrep.
fn symmetric_contraction(input: &IrrepsLit, out: &IrrepsLit, correlation: usize) -> Parts {
    use crate::irrep::{Ir, Parity};
    use crate::symmetric::{paths, MAX_CORRELATION};
    let span = out.span();
    let irs: Vec<Ir> = input.terms.iter().map(|t| t.ir).collect();
    // A faulty declaration (already reported) may have any order: keep the
    // generated type small and well-formed.
    let nu = correlation.clamp(1, MAX_CORRELATION);
    let xs = block_idents("x", irs.len());
    let ir_value = |ir: Ir| {
        let l = ir.l;
        let p = match ir.p {
            Parity::Even => quote!(Even),
            Parity::Odd => quote!(Odd),
        };
        quote!(::eqv::__private::Ir::new(#l, ::eqv::__private::Parity::#p))
    };
    let input_irs: Vec<TokenStream> = irs.iter().map(|&ir| ir_value(ir)).collect();
    let mut fields = Vec::new();
    let mut inits = Vec::new();
    let mut visits = Vec::new();
    let mut outs = Vec::new();
    let mut counts = Vec::new();
    let mut programs = Vec::new();
    for (o, t) in out.terms.iter().enumerate() {
        let ps = paths(&irs, t.ir, nu);
        let np = ps.len();
        counts.push(np);
        let name = format_ident!("w{}", o);
        let program = format_ident!("program{}", o);
        fields.push(quote!(pub #name: ::eqv::__private::Linear<::eqv::__private::Scalar, ::eqv::__private::Scalar>,));
        inits.push(quote!(#name: ::eqv::__private::Linear::new(n_species, #np * channels, rng),));
        visits.push((name.clone(), Some(format!("w{o}"))));
        let path_values: Vec<TokenStream> = ps
            .iter()
            .map(|p| {
                let f = &p.factors;
                let c: Vec<TokenStream> = p.couplings.iter().map(|&ir| ir_value(ir)).collect();
                quote!((&[#(#f),*][..], &[#(#c),*][..]))
            })
            .collect();
        let out_ir = ir_value(t.ir);
        let text = format!("SymmetricContraction into {}", t.ir);
        programs.push(quote!(#program: ::std::sync::Arc::new(
            ::eqv::__private::SymmetricProgram::new(&[#(#input_irs),*], #out_ir, &[#(#path_values),*])
                .expect(#text)
        ),));
        fields.push(quote!(pub #program: ::std::sync::Arc<::eqv::__private::SymmetricProgram>,));
        let c = ir_type(t.ir);
        outs.push(if ps.is_empty() {
            quote!(::std::unreachable!())
        } else {
            // One-hot species through a Linear is w[s, ·]/√S; with √(S/P)
            // every path weight is w[s, k, path]/√P (unit variance out).
            quote_spanned!(span=> {
                let w = self.#name.forward(species);
                ::eqv::__private::symmetric_contraction::<#c, _>(
                    &self.#program,
                    &inputs,
                    w,
                    ((self.n_species as f64) / (#np as f64)).sqrt(),
                )
            })
        });
    }
    let names = block_idents("o", outs.len());
    let out_tuple = tuple(&names.iter().map(|n| quote!(#n)).collect::<Vec<_>>());
    let (in_ty, out_ty) = (irreps_type(input), irreps_type(out));
    let d = destructure(&xs, quote!(x));
    let channels = mul_expr(&input.terms[0].mul);
    let checks: Vec<TokenStream> = xs
        .iter()
        .zip(&input.terms)
        .map(|(x, t)| {
            let ir = t.ir.to_string();
            quote!(::std::assert_eq!(#x.mul(), c, "SymmetricContraction: {} channels of {}, expected {} (one multiplicity for every irrep)", #x.mul(), #ir, c);)
        })
        .collect();
    let in_text: String = irs
        .iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(" + ");
    let out_text: Vec<String> = out.terms.iter().map(|t| t.ir.to_string()).collect();
    let n_out = out_text.len();
    (
        quote!(#(#fields)* pub channels: usize, pub n_species: usize, pub paths: ::std::vec::Vec<usize>,),
        quote!({
            let channels: usize = #channels;
            let n_species: usize = cfg.species;
            Self { #(#inits)* #(#programs)* channels, n_species, paths: ::std::vec![#(#counts),*] }
        }),
        quote! {
            /// MACE's symmetric contraction, per atom and channel `k`:
            /// `B[k] = Σ_{ν'=1..ν} Σ_paths w[species, k, path] · (A[k] ⊗ … ⊗ A[k] → OUT)`
            /// (`ν'` factors coupled by Clebsch-Gordan products, paths in a
            /// fixed order), each output the sum of its paths over `√paths`.
            pub fn forward<'t, T: ::eqv::__private::Real>(&self, graph: &::eqv::__private::Graph<'t, T>, x: #in_ty) -> #out_ty {
                #d
                let c = self.channels;
                #(#checks)*
                let species = graph.species_one_hot(self.n_species);
                let inputs = [#(::eqv::__private::SymmetricInput::from(#xs)),*];
                #(let #names = #outs;)*
                #out_tuple
            }
        },
        visits,
        quote!({
            let outs: [&str; #n_out] = [#(#out_text),*];
            let paths: ::std::vec::Vec<::std::string::String> = outs
                .iter()
                .zip(&self.paths)
                .map(|(ir, n)| ::std::format!("{n} into {}x{ir}", self.channels))
                .collect();
            ::std::format!(
                "SymmetricContraction: {}x({}), correlation {}, {} species, paths {}",
                self.channels,
                #in_text,
                #nu,
                self.n_species,
                paths.join(", ")
            )
        }),
    )
}
