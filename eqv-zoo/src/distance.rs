//! The tutorial's second approach in its simplest form: an invariant energy
//! from pair distances only (a learned pair potential), forces by gradient.
//! Exactly equivariant, but blind to angles: it cannot represent the
//! three-body term of the Stillinger–Weber potential.

use eqv::equivariant;
use eqv::prelude::*;

/// `E = ½ Σ_edges MLP(Bessel(|r_ij|))`, a smooth pair potential.
#[equivariant(
    output = Energy,
    config(species = 1, hidden = 32, n_basis = 8, cutoff = 4.0, scale = 1.0)
)]
pub struct PairPotential {
    radial: Bessel<{ n_basis }, { cutoff }>,
    mlp: Mlp<{ n_basis }, { hidden }, { hidden }, 1>,
}

impl PairPotential {
    /// The energy of each structure.
    pub fn forward<'t, T: Real>(&self, g: &Graph<'t, T>) -> Energy<'t, T> {
        let pair = self
            .mlp
            .forward(self.radial.forward(g.edge_vectors().norm()));
        let per_atom = g.scatter_sum(pair).scale_by(0.5 * self.config().scale);
        Energy::from_feat(g.sum_over_atoms(per_atom))
    }
}
