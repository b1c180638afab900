//! What a network promises to return (rule 8): typed outputs that accept
//! only the irrep the physics requires.

use crate::feat::Feat;
use crate::irrep::{Irrep, Scalar, Vector};
use crate::real::Real;
use crate::rules::{IsEnergyLike, IsForceLike};

/// Per-atom forces: one `Vector` (1o) per atom.
#[derive(Clone, Copy, Debug)]
pub struct Forces<'t, T: Real = f64>(pub Feat<'t, Vector, T>);

impl<'t, T: Real> Forces<'t, T> {
    /// Declares `x` (one channel per atom) to be the forces. Only a `Vector`
    /// can be a force (rule 8).
    ///
    /// # Panics
    /// If `x` has more than one channel.
    pub fn from_feat<I: IsForceLike>(x: Feat<'t, I, T>) -> Self {
        assert_eq!(
            x.mul(),
            1,
            "forces have one Vector channel per atom, got {}",
            x.mul()
        );
        Forces(Feat::wrap(x.tape(), x.id(), x.rows(), 1))
    }
}

/// Energy: one invariant `Scalar` (0e) per structure (or per atom, before
/// summation).
#[derive(Clone, Copy, Debug)]
pub struct Energy<'t, T: Real = f64>(pub Feat<'t, Scalar, T>);

impl<'t, T: Real> Energy<'t, T> {
    /// Declares `x` (one channel per row) to be an energy. Only a `Scalar`
    /// can be an energy (rule 8).
    ///
    /// # Panics
    /// If `x` has more than one channel.
    pub fn from_feat<I: IsEnergyLike>(x: Feat<'t, I, T>) -> Self {
        assert_eq!(
            x.mul(),
            1,
            "an energy has one Scalar channel per row, got {}",
            x.mul()
        );
        Energy(Feat::wrap(x.tape(), x.id(), x.rows(), 1))
    }
}

/// Type-level description of an output irrep, for generic checking code.
pub trait OutputIrrep {
    /// The irrep of the output.
    type Ir: Irrep;
}
impl OutputIrrep for Forces<'_> {
    type Ir = Vector;
}
impl OutputIrrep for Energy<'_> {
    type Ir = Scalar;
}
