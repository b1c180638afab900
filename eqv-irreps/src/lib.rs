//! Irreducible representations of O(3) and e3nn's irreps grammar.
//!
//! This crate is the part of eqv that both the library ([`eqv-core`]) and
//! the `#[equivariant]` macro ([`eqv-macros`]) need: the macro parses and
//! checks irreps literals at compile time with exactly the parser the
//! library uses at run time, so the two can never disagree. It depends only
//! on `std`. Users reach it through the facade as `eqv::irrep` and
//! `eqv::irreps`.
//!
//! [`eqv-core`]: https://docs.rs/eqv-core
//! [`eqv-macros`]: https://docs.rs/eqv-macros
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod irrep;
pub mod irreps;
