// Rule 8 — the tutorial's second code example, "a distance MLP predicts
// forces": Linear(1, 128) -> ReLU -> Linear(128, 3) on pair distances, mean
// over neighbours, declared `output = Forces`. Its three outputs per atom
// are invariants: when the molecule turns, the "forces" stay put.
use eqv::equivariant;
use eqv::prelude::*;

#[equivariant(output = Forces, config(hidden = 128))]
pub struct DistanceForces {
    mlp: Mlp<1, { hidden }, 3, Relu>,
}

impl DistanceForces {
    pub fn forward<'t, T: Real>(&self, g: &Graph<'t, T>) -> Feat<'t, Scalar, T> {
        let distances = g.edge_vectors().norm(); // [edges, 1]
        let per_edge = self.mlp.forward(distances); // [edges, 3]: "fx, fy, fz"
        g.scatter_mean(per_edge) // [atoms, 3]
    }
}

fn main() {}
