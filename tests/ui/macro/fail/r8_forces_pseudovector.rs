// Rule 8 — `output = Forces`, but `forward` returns a cross product of two
// vectors: a Pseudovector, which does not flip under inversion as a force
// does.
use eqv::equivariant;
use eqv::prelude::*;

#[equivariant(output = Forces, config(hidden = 32))]
pub struct CrossForces {
    mlp: Mlp<1, { hidden }, 1, Silu>,
}

impl CrossForces {
    pub fn forward<'t, T: Real>(&self, g: &Graph<'t, T>) -> Feat<'t, Pseudovector, T> {
        let r = g.edge_vectors();
        let w = self.mlp.forward(r.norm());
        let m = g.scatter_sum(r.scale(w)); // a Vector per atom
        let n = g.scatter_sum(r); // another Vector per atom
        m.cross(n)
    }
}

fn main() {}
