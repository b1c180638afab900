//! Access to components and rows, guarded by rules 5 and 7.
//!
//! These methods exist so that the natural-but-wrong thing to write produces
//! an explanation instead of "no method found": for scalars, components are
//! invariants and may be used; for everything else the bound fails with the
//! rule. The deliberate opt-outs live in [`crate::non_equivariant`].

use crate::feat::Feat;
use crate::irrep::{Irrep, Scalar};
use crate::real::Real;
use crate::rules::{AtomOrderIsMeaningful, ComponentsAreInvariant};

impl<'t, I: Irrep, T: Real> Feat<'t, I, T> {
    /// The components as separate `Scalar` features (one per `m`), each with
    /// the original channels. Allowed only where components are invariants
    /// (rule 5): for `Scalar` this is the feature itself.
    pub fn components(self) -> Vec<Feat<'t, Scalar, T>>
    where
        I: ComponentsAreInvariant,
    {
        crate::non_equivariant::components(self)
    }

    /// Row `i` alone ("atom i"): depends on the numbering of atoms, so it
    /// never compiles (rule 7). See [`crate::non_equivariant::row`].
    pub fn row(self, i: usize) -> Self
    where
        Self: AtomOrderIsMeaningful,
    {
        crate::non_equivariant::row(self, i)
    }

    /// All rows concatenated into one row, as an MLP over "the whole
    /// molecule" would read them: depends on the numbering of atoms, so it
    /// never compiles (rule 7).
    pub fn flatten_rows(self) -> Self
    where
        Self: AtomOrderIsMeaningful,
    {
        crate::non_equivariant::flatten_rows(self)
    }
}
