// `output = Force`: a typo for `Forces`.
use eqv::equivariant;
use eqv::prelude::*;

#[equivariant(output = Force, config(hidden = 32))]
pub struct DirectForces {
    mlp: Mlp<1, { hidden }, 1, Silu>,
}

impl DirectForces {
    pub fn forward<'t, T: Real>(&self, g: &Graph<'t, T>) -> Feat<'t, Vector, T> {
        let r = g.edge_vectors();
        let w = self.mlp.forward(r.norm());
        g.scatter_sum(r.scale(w))
    }
}

fn main() {
    let model = DirectForces::new(&DirectForcesConfig::default(), 0);
    println!("{}", model.summary());
}
