//! The arguments of `#[equivariant(...)]`: what the network promises to
//! return, and its config entries with their defaults.

use proc_macro2::TokenStream;
use syn::parse::Parser;
use syn::{Ident, Lit};

/// The declared output of a whole network (rule 8).
#[derive(Clone)]
pub struct Output {
    /// `Energy`, `Forces`, `Dipole` or `Charges`.
    pub kind: Ident,
}

/// The outputs a network can declare, with what each one is.
pub const OUTPUT_KINDS: &[(&str, &str)] = &[
    (
        "Energy",
        "one Scalar (0e) per structure; forces follow as -∇E",
    ),
    ("Forces", "one Vector (1o) per atom"),
    ("Dipole", "one Vector (1o) per structure"),
    ("Charges", "one Scalar (0e) per atom"),
];

/// The type of a config entry, read off its default value.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum ConfigType {
    Usize,
    F64,
    Bool,
}

/// One `name = default` config entry.
#[derive(Clone)]
pub struct ConfigEntry {
    pub name: Ident,
    pub ty: ConfigType,
    pub default: Lit,
}

/// Everything `#[equivariant(...)]` says.
#[derive(Default)]
pub struct Args {
    pub output: Option<Output>,
    pub config: Vec<ConfigEntry>,
}

impl Args {
    /// The config entry `name`, if declared.
    pub fn entry(&self, name: &Ident) -> Option<&ConfigEntry> {
        self.config.iter().find(|e| e.name == *name)
    }
}

/// Skips the value of an argument the parser does not know: `= expr` or
/// `( ... )`, so the arguments after it are still read.
fn skip_value(meta: &syn::meta::ParseNestedMeta) -> syn::Result<()> {
    if meta.input.peek(syn::Token![=]) {
        let _: syn::Expr = meta.value()?.parse()?;
    } else if meta.input.peek(syn::token::Paren) {
        let content;
        syn::parenthesized!(content in meta.input);
        let _: TokenStream = content.parse()?;
    }
    Ok(())
}

/// Parses the attribute's arguments. A mistake in one argument is reported
/// and the others are still read, so one typo gives one error.
pub fn parse(tokens: TokenStream, errors: &mut crate::errors::Errors) -> Args {
    let mut args = Args::default();
    let mut found: Vec<syn::Error> = Vec::new();
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("output") {
            let kind: Ident = meta.value()?.parse()?;
            if OUTPUT_KINDS.iter().any(|(k, _)| kind == k) {
                args.output = Some(Output { kind });
            } else {
                let known: Vec<String> = OUTPUT_KINDS
                    .iter()
                    .map(|(k, what)| format!("`{k}` ({what})"))
                    .collect();
                found.push(syn::Error::new(
                    kind.span(),
                    format!(
                        "unknown output `{kind}`: expected one of {}",
                        known.join(", ")
                    ),
                ));
            }
            Ok(())
        } else if meta.path.is_ident("config") {
            meta.parse_nested_meta(|entry| {
                let Some(name) = entry.path.get_ident().cloned() else {
                    found.push(entry.error("config entries are `name = value`, e.g. `config(channels = 32)`"));
                    return skip_value(&entry);
                };
                let default: Lit = entry.value()?.parse()?;
                let ty = match &default {
                    Lit::Int(_) => ConfigType::Usize,
                    Lit::Float(_) => ConfigType::F64,
                    Lit::Bool(_) => ConfigType::Bool,
                    other => {
                        found.push(syn::Error::new_spanned(
                            other,
                            "a config default is an integer (a size), a float (a length, a rate) or a bool",
                        ));
                        return Ok(());
                    }
                };
                if args.config.iter().any(|e| e.name == name) {
                    found.push(syn::Error::new(name.span(), format!("config entry `{name}` is declared twice")));
                    return Ok(());
                }
                args.config.push(ConfigEntry { name, ty, default });
                Ok(())
            })
        } else {
            found.push(meta.error(
                "unknown argument: `#[equivariant]` takes `output = Energy|Forces|Dipole|Charges` and `config(name = default, ...)`",
            ));
            skip_value(&meta)
        }
    });
    if let Err(e) = parser.parse2(tokens) {
        found.push(e);
    }
    for e in found {
        errors.push(e);
    }
    args
}
