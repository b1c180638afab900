// Rule 8 — `output = Energy`, but `forward` returns the summed, scaled edge
// vectors: a Vector, which turns with the molecule, not an invariant.
use eqv::equivariant;
use eqv::prelude::*;

#[equivariant(output = Energy, config(hidden = 32))]
pub struct PairEnergy {
    mlp: Mlp<1, { hidden }, 1, Silu>,
}

impl PairEnergy {
    pub fn forward<'t, T: Real>(&self, g: &Graph<'t, T>) -> Feat<'t, Vector, T> {
        let r = g.edge_vectors();
        let w = self.mlp.forward(r.norm());
        g.sum_over_atoms(g.scatter_sum(r.scale(w)))
    }
}

fn main() {}
