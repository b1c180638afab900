// Rule 8: a network declared as a dipole returns invariants.
use eqv::equivariant;
use eqv::prelude::*;

#[equivariant(output = Dipole)]
pub struct DipoleHead {
    mlp: Mlp<1, 8, 1>,
}

impl DipoleHead {
    pub fn forward<'t, T: Real>(&self, g: &Graph<'t, T>) -> Feat<'t, Scalar, T> {
        let e = self.mlp.forward(g.edge_vectors().norm());
        g.sum_over_atoms(g.scatter_sum(e))
    }
}

fn main() {}
