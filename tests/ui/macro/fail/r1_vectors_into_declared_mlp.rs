// Rule 1 in a declared network: edge vectors fed to a declared `Mlp`. The
// generated `forward` is generic with the rule-1 bound, so the message
// names the rule instead of a type mismatch.
use eqv::equivariant;
use eqv::prelude::*;

#[equivariant(output = Energy)]
pub struct CoordinateMlp {
    mlp: Mlp<1, 16, 1, Relu>,
}

impl CoordinateMlp {
    pub fn forward<'t, T: Real>(&self, g: &Graph<'t, T>) -> Feat<'t, Scalar, T> {
        let h = self.mlp.forward(g.edge_vectors());
        g.sum_over_atoms(g.scatter_sum(h))
    }
}

fn main() {}
