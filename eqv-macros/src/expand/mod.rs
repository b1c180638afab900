//! Code generation: one `gen_*` function per generated piece.

mod layers;
mod tokens;

use crate::attr::{Args, ConfigType};
use crate::spec::{FieldKind, Model, Spec};
use layers::{layer_type_name, Ctx};

/// The generated type of a field (for references between fields).
pub fn layer_type_ident(model: &Ident, field: &Ident) -> Ident {
    layer_type_name(model, field)
}
use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::Ident;

/// Everything generated for one declaration.
pub fn generate(model: &Model, args: &Args) -> TokenStream {
    let config = format_ident!("{}Config", model.name);
    let tp_type = |name: &Ident| -> Option<Ident> {
        model
            .fields
            .iter()
            .find(|f| f.name == *name)
            .and_then(|f| match &f.kind {
                FieldKind::Spec(Spec::ChannelwiseTp { .. }) => {
                    Some(layer_type_name(&model.name, &f.name))
                }
                _ => None,
            })
    };
    let is_field = |name: &Ident| model.fields.iter().any(|f| f.name == *name);
    let ctx = Ctx {
        is_field: &is_field,
        model: &model.name,
        config: &config,
        vis: &model.vis,
        tp_type: &tp_type,
    };
    let layers: Vec<TokenStream> = model
        .fields
        .iter()
        .filter_map(|f| match &f.kind {
            FieldKind::Spec(spec) => Some(layers::generate(&f.name, spec, &ctx, false)),
            FieldKind::Faulty(spec) => Some(layers::generate(&f.name, spec, &ctx, true)),
            FieldKind::Sub { .. } | FieldKind::Poisoned { .. } => None,
        })
        .collect();
    let strukt = gen_struct(model, &config);
    let cfg = gen_config(model, args, &config);
    let layer_impl = gen_layer_impl(model, args, &config);
    let params = gen_params(model);
    let inherent = gen_inherent(model, args, &config);
    let debug = gen_debug(model);
    let model_impl = gen_model_impl(model, args);
    quote! {
        #strukt
        #cfg
        #(#layers)*
        #layer_impl
        #params
        #inherent
        #debug
        #model_impl
    }
}

/// The field's Rust type after rewriting.
fn field_type(model: &Model, f: &crate::spec::Field) -> TokenStream {
    match &f.kind {
        FieldKind::Spec(_) | FieldKind::Faulty(_) => {
            let t = layer_type_name(&model.name, &f.name);
            quote!(#t)
        }
        FieldKind::Sub { ty, .. } => quote!(#ty),
        FieldKind::Poisoned { arity } => poisoned_type(*arity),
    }
}

/// The stand-in type of a layer with a declaration error.
fn poisoned_type(arity: usize) -> TokenStream {
    let t = format_ident!("Poisoned{}", arity.clamp(1, 3));
    quote!(::eqv::__private::#t)
}

/// The struct itself, with layer types in place of the literals and the
/// config it was built from.
fn gen_struct(model: &Model, config: &Ident) -> TokenStream {
    let attrs = &model.attrs;
    let vis = &model.vis;
    let name = &model.name;
    let fields = model.fields.iter().map(|f| {
        let (fa, fv, fnm) = (&f.attrs, &f.vis, &f.name);
        let ty = field_type(model, f);
        quote!(#(#fa)* #fv #fnm: #ty,)
    });
    quote! {
        #(#attrs)*
        #vis struct #name {
            #(#fields)*
            #[doc(hidden)]
            __eqv_config: #config,
        }
    }
}

/// `{Name}Config`: every size of the network as a runtime choice.
fn gen_config(model: &Model, args: &Args, config: &Ident) -> TokenStream {
    let vis = &model.vis;
    let name = &model.name;
    let mut fields = Vec::new();
    let mut defaults = Vec::new();
    for e in &args.config {
        let n = &e.name;
        let d = &e.default;
        let ty = match e.ty {
            ConfigType::Usize => quote!(usize),
            ConfigType::F64 => quote!(f64),
            ConfigType::Bool => quote!(bool),
        };
        let doc = format!("Config entry `{n}` (default `{}`).", quote!(#d));
        fields.push(quote!(#[doc = #doc] pub #n: #ty,));
        defaults.push(quote!(#n: #d,));
    }
    for f in &model.fields {
        if let FieldKind::Sub { elem, .. } = &f.kind {
            let n = &f.name;
            let doc = format!("Config of the sub-network `{n}`.");
            fields.push(quote!(#[doc = #doc] pub #n: <#elem as ::eqv::__private::Layer>::Config,));
            defaults.push(quote!(#n: ::std::default::Default::default(),));
        }
    }
    let doc = format!("The sizes and settings of [`{name}`]: runtime choices with the defaults written in its declaration.");
    quote! {
        #[doc = #doc]
        #[derive(Clone, Debug, PartialEq)]
        #vis struct #config { #(#fields)* }
        impl ::std::default::Default for #config {
            fn default() -> Self { Self { #(#defaults)* } }
        }
    }
}

/// `Layer`: construction from a config, used by `new` and by parents.
fn gen_layer_impl(model: &Model, args: &Args, config: &Ident) -> TokenStream {
    let name = &model.name;
    let inits = model.fields.iter().map(|f| {
        let n = &f.name;
        match &f.kind {
            FieldKind::Spec(_) | FieldKind::Faulty(_) => {
                let t = layer_type_name(&model.name, &f.name);
                quote!(#n: #t::__init(cfg, rng),)
            }
            FieldKind::Sub { elem, repeat: Some(r), .. } => {
                quote_spanned!(f.ty_span=> #n: (0..cfg.#r).map(|_| <#elem as ::eqv::__private::Layer>::init(&cfg.#n, rng)).collect(),)
            }
            FieldKind::Poisoned { arity } => {
                let t = poisoned_type(*arity);
                quote!(#n: #t,)
            }
            FieldKind::Sub { ty, repeat: None, .. } => {
                quote_spanned!(f.ty_span=> #n: <#ty as ::eqv::__private::Layer>::init(&cfg.#n, rng),)
            }
        }
    });
    // Shared entries flow down: every sub-network's config follows this
    // network's entries of the same name (Layer::follow_parent).
    let entries: Vec<TokenStream> = args
        .config
        .iter()
        .map(|e| {
            let n = &e.name;
            let key = n.to_string();
            quote!((#key, ::eqv::__private::ConfigEntry::to_value(cfg.#n)))
        })
        .collect();
    let follows: Vec<TokenStream> = model
        .fields
        .iter()
        .filter_map(|f| match &f.kind {
            FieldKind::Sub { elem, .. } => {
                let n = &f.name;
                Some(quote_spanned! {f.ty_span=>
                    if let ::std::result::Result::Err(e) = <#elem as ::eqv::__private::Layer>::follow_parent(&mut cfg.#n, ::std::stringify!(#config), &__entries) {
                        ::std::panic!("{}: config mismatch: {}", ::std::stringify!(#name), e);
                    }
                })
            }
            _ => None,
        })
        .collect();
    let own: Vec<TokenStream> = args
        .config
        .iter()
        .map(|e| {
            let n = &e.name;
            let key = n.to_string();
            quote!(#key => ::eqv::__private::follow_entry(&mut config.#n, __defaults.#n, *value, parent, ::std::stringify!(#config), #key)?,)
        })
        .collect();
    quote! {
        impl ::eqv::__private::Layer for #name {
            type Config = #config;
            fn init(cfg: &#config, rng: &mut ::eqv::__private::Rng) -> Self {
                #[allow(unused_mut)]
                let mut cfg = cfg.clone();
                let __entries: ::std::vec::Vec<(&str, ::eqv::__private::ConfigValue)> = ::std::vec![#(#entries),*];
                #(#follows)*
                let _ = &__entries;
                let cfg = &cfg;
                Self { #(#inits)* __eqv_config: cfg.clone() }
            }
            fn describe(&self) -> ::std::string::String { self.summary() }
            #[allow(unused_variables)]
            fn follow_parent(config: &mut #config, parent: &str, entries: &[(&str, ::eqv::__private::ConfigValue)]) -> ::std::result::Result<(), ::std::string::String> {
                let __defaults = <#config as ::std::default::Default>::default();
                for (name, value) in entries {
                    match *name {
                        #(#own)*
                        _ => {}
                    }
                }
                ::std::result::Result::Ok(())
            }
        }
    }
}

/// The parameter walk: fields in declaration order, paths `field.sub.name`.
fn gen_params(model: &Model) -> TokenStream {
    let name = &model.name;
    let visits: Vec<TokenStream> = model
        .fields
        .iter()
        .map(|f| {
            let n = &f.name;
            let key = n.to_string();
            quote!(::eqv::__private::Parameters::visit(&self.#n, &::eqv::__private::join_path(prefix, #key), f);)
        })
        .collect();
    let visits_mut: Vec<TokenStream> = model
        .fields
        .iter()
        .map(|f| {
            let n = &f.name;
            let key = n.to_string();
            quote!(::eqv::__private::Parameters::visit_mut(&mut self.#n, &::eqv::__private::join_path(prefix, #key), f);)
        })
        .collect();
    quote! {
        impl ::eqv::__private::Parameters for #name {
            fn visit(&self, prefix: &str, f: &mut dyn FnMut(&str, &::eqv::__private::Param)) { #(#visits)* }
            fn visit_mut(&mut self, prefix: &str, f: &mut dyn FnMut(&str, &mut ::eqv::__private::Param)) { #(#visits_mut)* }
        }
    }
}

/// `new`, `config`, `num_params`, `summary`, `save`, `load`.
fn gen_inherent(model: &Model, args: &Args, config: &Ident) -> TokenStream {
    let name = &model.name;
    let name_s = name.to_string();
    let lines = model.fields.iter().map(|f| {
        let n = &f.name;
        let key = n.to_string();
        match &f.kind {
            FieldKind::Spec(_) | FieldKind::Faulty(_) | FieldKind::Poisoned { .. } => quote!(out.push_str(&::std::format!("  {}: {}\n", #key, self.#n.describe()));),
            FieldKind::Sub { repeat: Some(_), .. } => quote! {
                for (i, sub) in self.#n.iter().enumerate() {
                    let text = ::eqv::__private::Layer::describe(sub);
                    out.push_str(&::std::format!("  {}.{}: {}\n", #key, i, text.trim_end().replace('\n', "\n    ")));
                }
            },
            FieldKind::Sub { .. } => quote! {
                let text = ::eqv::__private::Layer::describe(&self.#n);
                out.push_str(&::std::format!("  {}: {}\n", #key, text.trim_end().replace('\n', "\n    ")));
            },
        }
    });
    let output = match &args.output {
        Some(o) => {
            let k = o.kind.to_string();
            quote!(::std::format!(" -> {}", #k))
        }
        None => quote!(::std::string::String::new()),
    };
    let check = if args.output.is_some() {
        quote! {
            /// Applies random rotations, reflections, translations and atom
            /// permutations to `batch` and reports the largest deviation of
            /// the output from what equivariance demands (f64). For an
            /// energy model the forces −∇E are checked too.
            pub fn check_equivariance(&self, batch: &::eqv::__private::Batch, seed: u64) -> ::eqv::__private::EquivarianceReport {
                ::eqv::__private::check_model_equivariance(self, batch, seed)
            }
        }
    } else {
        quote!()
    };
    quote! {
        impl #name {
            /// Builds the network from its config, weights drawn from a
            /// generator seeded with `seed` (e3nn's normalisation: N(0, 1)
            /// weights, scaled in the forward pass).
            pub fn new(config: &#config, seed: u64) -> Self {
                let mut rng = ::eqv::__private::Rng::new(seed);
                <Self as ::eqv::__private::Layer>::init(config, &mut rng)
            }
            /// The config the network was built from.
            pub fn config(&self) -> &#config { &self.__eqv_config }
            /// Number of trainable scalars.
            pub fn num_params(&self) -> usize { ::eqv::__private::Parameters::num_params(self) }
            /// A readable list of layers with their irreps and parameter counts.
            pub fn summary(&self) -> ::std::string::String {
                let mut out = ::std::format!("{}{} ({} parameters)\n", #name_s, #output, self.num_params());
                #(#lines)*
                out
            }
            /// Saves the parameters (safetensors format, with the summary and
            /// config as metadata).
            pub fn save(&self, path: impl ::std::convert::AsRef<::std::path::Path>) -> ::std::result::Result<(), ::eqv::__private::CheckpointError> {
                ::eqv::__private::save_params(self, path.as_ref(), #name_s, &::std::format!("{:?}", self.__eqv_config), &self.summary())
            }
            /// Builds the network from `config` and loads parameters saved by
            /// [`Self::save`]; a missing parameter or a shape that differs
            /// (another config, other irreps) is an error naming it.
            pub fn load(config: &#config, path: impl ::std::convert::AsRef<::std::path::Path>) -> ::std::result::Result<Self, ::eqv::__private::CheckpointError> {
                let mut model = Self::new(config, 0);
                ::eqv::__private::load_params(&mut model, path.as_ref(), #name_s)?;
                ::std::result::Result::Ok(model)
            }
            #check
        }
    }
}

fn derives_debug(model: &Model) -> bool {
    model.attrs.iter().any(|a| {
        a.path().is_ident("derive")
            && a.meta
                .require_list()
                .map(|l| l.tokens.to_string().contains("Debug"))
                .unwrap_or(false)
    })
}

/// `Debug` shows the summary (unless the user derives their own).
fn gen_debug(model: &Model) -> TokenStream {
    if derives_debug(model) {
        return quote!();
    }
    let name = &model.name;
    quote! {
        impl ::std::fmt::Debug for #name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result { f.write_str(&self.summary()) }
        }
    }
}

/// `Model`: the declared output, checked against what `forward` returns
/// (rule 8), at the user's `output = ...` token.
fn gen_model_impl(model: &Model, args: &Args) -> TokenStream {
    let Some(out) = &args.output else {
        return quote!();
    };
    let name = &model.name;
    let kind = &out.kind;
    let span = kind.span();
    let convert = quote_spanned! {span=>
        ::eqv::__private::into_declared::<::eqv::__private::kind::#kind, T>(out)
    };
    quote! {
        impl ::eqv::__private::Model for #name {
            type Output = ::eqv::__private::kind::#kind;
            #[allow(refining_impl_trait)]
            fn predict<'t, T: ::eqv::__private::Real>(&self, graph: &::eqv::__private::Graph<'t, T>) -> ::eqv::__private::Feat<'t, <::eqv::__private::kind::#kind as ::eqv::__private::OutputKind>::Ir, T> {
                let out = #name::forward(self, graph);
                let out = #convert;
                ::eqv::__private::check_output_rows::<::eqv::__private::kind::#kind, T>(::std::stringify!(#name), graph, &out);
                out
            }
        }
    }
}
